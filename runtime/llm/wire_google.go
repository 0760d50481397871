// wire_google.go speaks Gemini's generateContent API (google-ai and
// vertex-ai).

package llm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bexrun/bex/vmspan"
)

type googleWire struct{}

func (googleWire) build(ep *endpoint, msgs []vmspan.Message, stream bool) (*wireRequest, error) {
	method := ":generateContent"
	if stream {
		method = ":streamGenerateContent?alt=sse"
	}
	r := newWireRequest(ep, ep.baseURL+ep.modelPath+method, "")
	switch {
	case ep.bearer != "":
		r.header.Set("Authorization", "Bearer "+ep.bearer)
	case ep.apiKey != "":
		r.header.Set("X-Goog-Api-Key", ep.apiKey) // never in the URL, where logs and proxies keep it
	}
	if stream {
		r.header.Set("Accept", "text/event-stream")
	}
	// temperature and max_tokens live in generationConfig, merged with
	// the client's own generationConfig option.
	delete(r.body, "temperature")
	if ep.temperature != nil || ep.maxTokens != nil {
		gc := map[string]any{}
		if old, ok := r.body["generationConfig"].(map[string]any); ok {
			for k, v := range old {
				gc[k] = v
			}
		}
		if ep.temperature != nil {
			gc["temperature"] = *ep.temperature
		}
		if ep.maxTokens != nil {
			gc["maxOutputTokens"] = *ep.maxTokens
		}
		r.body["generationConfig"] = gc
	}
	system, rest := splitSystem(msgs, true)
	if system != "" {
		r.body["system_instruction"] = map[string]any{"parts": []any{map[string]any{"text": system}}}
	}
	contents := make([]any, len(rest))
	for i, m := range rest {
		role := m.Role
		if role == "assistant" {
			role = "model"
		}
		parts, err := googleParts(m)
		if err != nil {
			return nil, err
		}
		contents[i] = map[string]any{"role": role, "parts": parts}
	}
	r.body["contents"] = contents
	return r, nil
}

// googleParts renders a message as Gemini parts: text, inline_data for
// bytes, file_data for a URL (gs:// or https://).
func googleParts(m vmspan.Message) ([]any, error) {
	if !hasMedia(m) {
		return []any{map[string]any{"text": m.Content}}, nil
	}
	out := make([]any, 0, len(m.Parts))
	for _, p := range m.Parts {
		md := p.Media
		switch {
		case md == nil:
			out = append(out, map[string]any{"text": p.Text})
		case md.IsURL():
			fd := map[string]any{"file_uri": md.URL}
			if md.MediaType != "" {
				fd["mime_type"] = md.MediaType
			}
			out = append(out, map[string]any{"file_data": fd})
		default:
			out = append(out, map[string]any{"inline_data": map[string]any{"mime_type": md.MediaType, "data": md.Base64()}})
		}
	}
	return out, nil
}

// googleReply is a GenerateContentResponse (also each event of a stream).
type googleReply struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text    string `json:"text"`
				Thought bool   `json:"thought"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount        *int64 `json:"promptTokenCount"`
		CandidatesTokenCount    *int64 `json:"candidatesTokenCount"`
		CachedContentTokenCount *int64 `json:"cachedContentTokenCount"`
		ThoughtsTokenCount      *int64 `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

// apply adds r to c and returns r's text.
func (r *googleReply) apply(c *completion) string {
	setString(&c.model, r.ModelVersion)
	setString(&c.id, r.ResponseID)
	if u := r.UsageMetadata; u != nil {
		c.usage = vmspan.Usage{InputTokens: u.PromptTokenCount, OutputTokens: u.CandidatesTokenCount, CachedInputTokens: u.CachedContentTokenCount}
		if u.ThoughtsTokenCount != nil { // thinking tokens are output tokens, billed as such
			c.usage.OutputTokens = int64p(*u.ThoughtsTokenCount + deref(u.CandidatesTokenCount))
			c.usage.ReasoningTokens = u.ThoughtsTokenCount
		}
	}
	if len(r.Candidates) == 0 {
		return ""
	}
	cand := r.Candidates[0]
	setString(&c.finish, cand.FinishReason)
	var text strings.Builder
	for _, p := range cand.Content.Parts {
		if !p.Thought {
			text.WriteString(p.Text)
		}
	}
	return text.String()
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (googleWire) parse(body []byte) (completion, error) {
	var r googleReply
	if err := json.Unmarshal(body, &r); err != nil {
		return completion{}, fmt.Errorf("not a GenerateContentResponse: %v", err)
	}
	if len(r.Candidates) == 0 {
		if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
			return completion{}, fmt.Errorf("the prompt was blocked: %s", r.PromptFeedback.BlockReason)
		}
		return completion{}, fmt.Errorf("the response has no candidates")
	}
	var c completion
	c.text = r.apply(&c)
	return c, nil
}

func (googleWire) decoder() streamDecoder { return googleDecoder{} }

// googleDecoder reads streamGenerateContent?alt=sse: every event is a
// GenerateContentResponse with the next text; usage is cumulative; the
// event with a finishReason is the last.
type googleDecoder struct{}

func (googleDecoder) event(ev sseEvent, c *completion) (string, bool, error) {
	var r googleReply
	if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
		if msg := providerMessage([]byte(ev.Data)); msg != "" {
			return "", false, &streamError{msg: msg}
		}
		return "", false, fmt.Errorf("not a GenerateContentResponse: %v", err)
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return "", false, &streamError{msg: "the prompt was blocked: " + r.PromptFeedback.BlockReason}
	}
	text := r.apply(c)
	return text, len(r.Candidates) > 0 && r.Candidates[0].FinishReason != "", nil
}
