// wire_openai.go speaks OpenAI's Chat Completions API (openai,
// openai-generic, ollama, azure-openai).

package llm

import (
	"encoding/json"
	"fmt"

	"github.com/bexrun/bex/vmspan"
)

type openAIWire struct{}

func (w openAIWire) build(ep *endpoint, msgs []vmspan.Message, stream bool) (*wireRequest, error) {
	if p := ep.openAIPlan(stream); p != nil {
		if r, err := p.request(msgs); r != nil || err != nil {
			return r, err
		}
	}
	r := w.start(ep, stream)
	out, err := chatMessages(msgs, openAIParts)
	if err != nil {
		return nil, err
	}
	r.body["messages"] = out
	return r, nil
}

// start returns a request of ep without its messages.
func (openAIWire) start(ep *endpoint, stream bool) *wireRequest {
	r := newWireRequest(ep, ep.baseURL+"/chat/completions", "max_tokens")
	if ep.azure {
		if ep.apiKey != "" {
			r.header.Set("Api-Key", ep.apiKey)
		}
	} else if ep.apiKey != "" {
		r.header.Set("Authorization", ep.bearerKey)
	}
	if stream {
		r.body["stream"] = true
		r.body["stream_options"] = map[string]any{"include_usage": true}
		r.header.Set("Accept", "text/event-stream")
	}
	return r
}

// openAIParts renders message parts as Chat Completions content parts, as
// BAML does: images as image_url (a URL or a data URL), audio as
// input_audio, PDFs as file.
func openAIParts(parts []vmspan.Part) ([]any, error) {
	out := make([]any, 0, len(parts))
	for _, p := range parts {
		m := p.Media
		if m == nil {
			out = append(out, map[string]any{"type": "text", "text": p.Text})
			continue
		}
		switch m.Kind {
		case vmspan.MediaImage:
			out = append(out, map[string]any{"type": "image_url", "image_url": map[string]any{"url": mediaURL(m)}})
		case vmspan.MediaAudio:
			if m.IsURL() {
				return nil, errMediaURL("openai", m)
			}
			out = append(out, map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": m.Base64(), "format": mediaSubtype(m)}})
		case vmspan.MediaPDF:
			if m.IsURL() {
				out = append(out, map[string]any{"type": "file", "file": map[string]any{"type": "input_file", "file_url": m.URL, "filename": "document.pdf"}})
			} else {
				out = append(out, map[string]any{"type": "file", "file": map[string]any{"filename": "document.pdf", "file_data": dataURL(m)}})
			}
		default:
			return nil, errMediaKind("the Chat Completions API", m)
		}
	}
	return out, nil
}

type openAIUsage struct {
	PromptTokens        *int64 `json:"prompt_tokens"`
	CompletionTokens    *int64 `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// usage returns u with the conventions' meaning, which OpenAI's counts
// have: prompt_tokens includes the cached tokens, completion_tokens the
// reasoning tokens.
func (u *openAIUsage) usage() vmspan.Usage {
	if u == nil {
		return vmspan.Usage{}
	}
	v := vmspan.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if u.PromptTokensDetails != nil {
		v.CachedInputTokens = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		v.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	return v
}

type openAIReply struct {
	ID      string         `json:"id"`
	Model   string         `json:"model"`
	Choices []openAIChoice `json:"choices"`
	Usage   *openAIUsage   `json:"usage"`
}

type openAIChoice struct {
	Message struct {
		Content *string `json:"content"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
}

func (openAIWire) parse(body []byte) (completion, error) {
	var r openAIReply
	if !r.decodeFast(body) {
		slow := new(openAIReply) // json.Unmarshal's: r stays on the stack
		if err := json.Unmarshal(body, slow); err != nil {
			return completion{}, fmt.Errorf("not a chat completion: %v", err)
		}
		r = *slow
	}
	if len(r.Choices) == 0 {
		return completion{}, fmt.Errorf("the completion has no choices")
	}
	c := completion{model: r.Model, id: r.ID, finish: r.Choices[0].FinishReason, usage: r.Usage.usage()}
	if p := r.Choices[0].Message.Content; p != nil {
		c.text = *p
	}
	return c, nil
}

func (openAIWire) decoder() streamDecoder { return openAIDecoder{} }

// openAIDecoder reads chat.completion.chunk events: text in
// choices[0].delta.content, the finish reason in its own chunk, usage in a
// last chunk with no choices (stream_options.include_usage), then [DONE].
type openAIDecoder struct{}

func (openAIDecoder) event(ev sseEvent, c *completion) (string, bool, error) {
	if ev.Data == "[DONE]" {
		return "", true, nil
	}
	var r struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Delta struct {
				Content *string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *openAIUsage     `json:"usage"`
		Error *json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
		return "", false, fmt.Errorf("not a chat completion chunk: %v", err)
	}
	if r.Error != nil {
		return "", false, &streamError{msg: providerMessage([]byte(ev.Data)), code: providerCode([]byte(ev.Data))}
	}
	setString(&c.id, r.ID)
	setString(&c.model, r.Model)
	if r.Usage != nil {
		c.usage = r.Usage.usage()
	}
	if len(r.Choices) == 0 {
		return "", false, nil
	}
	ch := r.Choices[0]
	if ch.FinishReason != nil {
		c.finish = *ch.FinishReason
	}
	if ch.Delta.Content != nil {
		return *ch.Delta.Content, false, nil
	}
	return "", false, nil
}

// A streamError is an error event inside a 2xx stream.
type streamError struct{ msg, code string } // code: the provider's error code, if any

func (e *streamError) Error() string { return "the provider sent an error event: " + e.msg }

// ErrorSummary leaves out the provider's message, which may echo the
// prompt (see vmspan.ErrorSummary).
func (e *streamError) ErrorSummary() string { return "the provider sent an error event" }

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
