// wire_responses.go speaks OpenAI's Responses API (openai-responses).

package llm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bexrun/bex/vmspan"
)

type responsesWire struct{}

func (responsesWire) build(ep *endpoint, msgs []vmspan.Message, stream bool) (*wireRequest, error) {
	r := newWireRequest(ep, ep.baseURL+"/responses", "max_output_tokens")
	if ep.apiKey != "" {
		r.header.Set("Authorization", ep.bearerKey)
	}
	input := make([]any, len(msgs))
	for i, m := range msgs {
		parts, err := responsesParts(m)
		if err != nil {
			return nil, err
		}
		input[i] = map[string]any{"role": m.Role, "content": parts}
	}
	r.body["input"] = input
	if stream {
		r.body["stream"] = true
		r.header.Set("Accept", "text/event-stream")
	}
	return r, nil
}

// responsesParts renders a message as Responses content: input_text (or
// output_text for the assistant's own turns), input_image, input_audio and
// input_file, as BAML does.
func responsesParts(m vmspan.Message) ([]any, error) {
	textType := "input_text"
	if m.Role == "assistant" {
		textType = "output_text"
	}
	if !hasMedia(m) {
		return []any{map[string]any{"type": textType, "text": m.Content}}, nil
	}
	out := make([]any, 0, len(m.Parts))
	for _, p := range m.Parts {
		md := p.Media
		if md == nil {
			out = append(out, map[string]any{"type": textType, "text": p.Text})
			continue
		}
		switch md.Kind {
		case vmspan.MediaImage:
			out = append(out, map[string]any{"type": "input_image", "detail": "auto", "image_url": mediaURL(md)})
		case vmspan.MediaAudio:
			if md.IsURL() {
				return nil, errMediaURL("openai-responses", md)
			}
			out = append(out, map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": md.Base64(), "format": mediaSubtype(md)}})
		case vmspan.MediaPDF:
			if md.IsURL() {
				out = append(out, map[string]any{"type": "input_file", "file_url": md.URL, "filename": "document.pdf"})
			} else {
				out = append(out, map[string]any{"type": "input_file", "file_data": dataURL(md), "filename": "document.pdf"})
			}
		default:
			return nil, errMediaKind("the Responses API", md)
		}
	}
	return out, nil
}

// responsesReply is a Response object.
type responsesReply struct {
	ID     string `json:"id"`
	Model  string `json:"model"`
	Status string `json:"status"`
	Output []struct {
		Type    string `json:"type"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
	Usage *struct {
		InputTokens        *int64 `json:"input_tokens"`
		OutputTokens       *int64 `json:"output_tokens"`
		InputTokensDetails *struct {
			CachedTokens *int64 `json:"cached_tokens"`
		} `json:"input_tokens_details"`
		OutputTokensDetails *struct {
			ReasoningTokens *int64 `json:"reasoning_tokens"`
		} `json:"output_tokens_details"`
	} `json:"usage"`
}

// apply sets c's id, model, finish reason and usage from r. The finish
// reason is the status ("completed"), or why the response is incomplete
// ("max_output_tokens", "content_filter").
func (r *responsesReply) apply(c *completion) {
	setString(&c.id, r.ID)
	setString(&c.model, r.Model)
	setString(&c.finish, r.Status)
	if r.IncompleteDetails != nil {
		setString(&c.finish, r.IncompleteDetails.Reason)
	}
	if u := r.Usage; u != nil {
		c.usage = vmspan.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
		if u.InputTokensDetails != nil {
			c.usage.CachedInputTokens = u.InputTokensDetails.CachedTokens
		}
		if u.OutputTokensDetails != nil {
			c.usage.ReasoningTokens = u.OutputTokensDetails.ReasoningTokens
		}
	}
}

func (r *responsesReply) text() string {
	var b strings.Builder
	for _, o := range r.Output {
		if o.Type != "message" {
			continue // reasoning, tool calls
		}
		for _, c := range o.Content {
			if c.Type == "output_text" {
				b.WriteString(c.Text)
			}
		}
	}
	return b.String()
}

func (responsesWire) parse(body []byte) (completion, error) {
	var r responsesReply
	if err := json.Unmarshal(body, &r); err != nil {
		return completion{}, fmt.Errorf("not a response: %v", err)
	}
	if r.Status == "failed" && r.Error != nil {
		return completion{}, &summarizedError{msg: "the response failed: " + r.Error.Message, summary: "the response failed"}
	}
	if r.Output == nil {
		return completion{}, fmt.Errorf("the response has no output")
	}
	c := completion{text: r.text()}
	r.apply(&c)
	return c, nil
}

func (responsesWire) decoder() streamDecoder { return responsesDecoder{} }

// responsesDecoder reads the Responses stream: response.created (id,
// model), response.output_text.delta (text), response.completed or
// response.incomplete (the final response with usage), and
// response.failed or error events.
type responsesDecoder struct{}

func (responsesDecoder) event(ev sseEvent, c *completion) (string, bool, error) {
	var r struct {
		Type     string          `json:"type"`
		Delta    string          `json:"delta"`
		Message  string          `json:"message"`
		Response *responsesReply `json:"response"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
		return "", false, fmt.Errorf("not a response stream event: %v", err)
	}
	switch r.Type {
	case "response.created", "response.in_progress":
		if r.Response != nil {
			setString(&c.id, r.Response.ID)
			setString(&c.model, r.Response.Model)
		}
	case "response.output_text.delta":
		return r.Delta, false, nil
	case "response.completed", "response.incomplete":
		if r.Response != nil {
			r.Response.apply(c)
		}
		return "", true, nil
	case "response.failed":
		msg := "the response failed"
		if r.Response != nil && r.Response.Error != nil {
			msg = r.Response.Error.Message
		}
		return "", false, &streamError{msg: msg}
	case "error":
		return "", false, &streamError{msg: r.Message}
	}
	return "", false, nil
}
