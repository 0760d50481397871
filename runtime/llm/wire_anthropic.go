// wire_anthropic.go speaks Anthropic's Messages API.

package llm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bexrun/bex/vmspan"
)

// anthropicVersion is the API version header Anthropic requires.
const anthropicVersion = "2023-06-01"

// anthropicMaxTokens is sent when an anthropic client sets no max_tokens:
// the Messages API requires one.
const anthropicMaxTokens = 4096

type anthropicWire struct{}

func (anthropicWire) build(ep *endpoint, msgs []vmspan.Message, stream bool) (*wireRequest, error) {
	r := newWireRequest(ep, ep.baseURL+"/v1/messages", "max_tokens")
	if ep.apiKey != "" {
		r.header.Set("X-Api-Key", ep.apiKey)
	}
	r.header.Set("Anthropic-Version", anthropicVersion)
	system, rest := splitSystem(msgs, true)
	if system != "" {
		r.body["system"] = system
	}
	out, err := chatMessages(rest, anthropicParts)
	if err != nil {
		return nil, err
	}
	r.body["messages"] = out
	if stream {
		r.body["stream"] = true
		r.header.Set("Accept", "text/event-stream")
	}
	return r, nil
}

// splitSystem moves system messages to a top-level system prompt (joined by
// blank lines), as the Messages API and Gemini want. When nothing else is
// left — a prompt without role markers is one system message — and
// needUser is set, the text is sent as a single user message instead,
// because the API needs at least one.
func splitSystem(msgs []vmspan.Message, needUser bool) (string, []vmspan.Message) {
	var system []string
	var rest []vmspan.Message
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
		} else {
			rest = append(rest, m)
		}
	}
	if len(rest) == 0 && needUser {
		var parts []vmspan.Part
		for _, m := range msgs {
			parts = append(parts, m.Parts...)
		}
		return "", []vmspan.Message{{Role: "user", Content: strings.Join(system, "\n\n"), Parts: parts}}
	}
	return strings.Join(system, "\n\n"), rest
}

// anthropicParts renders message parts as content blocks: images as image
// blocks and PDFs as document blocks, each with a base64 or url source.
func anthropicParts(parts []vmspan.Part) ([]any, error) {
	out := make([]any, 0, len(parts))
	for _, p := range parts {
		m := p.Media
		if m == nil {
			out = append(out, map[string]any{"type": "text", "text": p.Text})
			continue
		}
		var typ string
		switch m.Kind {
		case vmspan.MediaImage:
			typ = "image"
		case vmspan.MediaPDF:
			typ = "document"
		default:
			return nil, errMediaKind("the Anthropic Messages API", m)
		}
		src := map[string]any{"type": "url", "url": m.URL}
		if !m.IsURL() {
			src = map[string]any{"type": "base64", "media_type": m.MediaType, "data": m.Base64()}
		}
		out = append(out, map[string]any{"type": typ, "source": src})
	}
	return out, nil
}

type anthropicUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
}

// add sets the counts u reports in v. Anthropic's input_tokens leaves out
// the tokens read from and written to the cache; the conventions' input
// count (vmspan.Usage) includes them.
func (u *anthropicUsage) add(v *vmspan.Usage) {
	if u == nil {
		return
	}
	if u.InputTokens != nil || u.CacheReadInputTokens != nil || u.CacheCreationInputTokens != nil {
		v.InputTokens = sum(u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens)
	}
	if u.OutputTokens != nil {
		v.OutputTokens = u.OutputTokens
	}
	if u.CacheReadInputTokens != nil {
		v.CachedInputTokens = u.CacheReadInputTokens
	}
	if u.CacheCreationInputTokens != nil {
		v.CacheCreationInputTokens = u.CacheCreationInputTokens
	}
}

type anthropicReply struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      *anthropicUsage `json:"usage"`
}

func (anthropicWire) parse(body []byte) (completion, error) {
	var r anthropicReply
	if err := json.Unmarshal(body, &r); err != nil {
		return completion{}, fmt.Errorf("not a message: %v", err)
	}
	if r.Content == nil {
		return completion{}, fmt.Errorf("the message has no content")
	}
	c := completion{model: r.Model, id: r.ID, finish: r.StopReason}
	var text strings.Builder
	for _, b := range r.Content {
		if b.Type == "text" {
			text.WriteString(b.Text)
		}
	}
	c.text = text.String()
	r.Usage.add(&c.usage)
	return c, nil
}

func (anthropicWire) decoder() streamDecoder { return anthropicDecoder{} }

// anthropicDecoder reads the Messages stream: message_start (id, model,
// input usage), content_block_delta (text_delta), message_delta (stop
// reason, output usage), message_stop (the end), ping and error events.
type anthropicDecoder struct{}

func (anthropicDecoder) event(ev sseEvent, c *completion) (string, bool, error) {
	var r struct {
		Type    string `json:"type"`
		Message *struct {
			ID    string          `json:"id"`
			Model string          `json:"model"`
			Usage *anthropicUsage `json:"usage"`
		} `json:"message"`
		Delta *struct {
			Type       string `json:"type"`
			Text       string `json:"text"`
			StopReason string `json:"stop_reason"`
		} `json:"delta"`
		Usage *anthropicUsage `json:"usage"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
		return "", false, fmt.Errorf("not a message stream event: %v", err)
	}
	switch r.Type {
	case "message_start":
		if m := r.Message; m != nil {
			c.id, c.model = m.ID, m.Model
			m.Usage.add(&c.usage)
		}
	case "content_block_delta":
		if r.Delta != nil && r.Delta.Type == "text_delta" {
			return r.Delta.Text, false, nil
		}
	case "message_delta":
		if r.Delta != nil {
			setString(&c.finish, r.Delta.StopReason)
		}
		r.Usage.add(&c.usage)
	case "message_stop":
		return "", true, nil
	case "error":
		return "", false, &streamError{msg: providerMessage([]byte(ev.Data)), code: providerCode([]byte(ev.Data))}
	}
	return "", false, nil
}
