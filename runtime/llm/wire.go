// wire.go builds provider requests and reads their replies: OpenAI Chat
// Completions and Anthropic Messages.

package llm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/bexrun/bex/vmspan"
)

// anthropicVersion is the API version header Anthropic requires.
const anthropicVersion = "2023-06-01"

// anthropicMaxTokens is sent when an anthropic client sets no max_tokens:
// the Messages API requires one.
const anthropicMaxTokens = 4096

// A completion is what a provider's reply says.
type completion struct {
	text   string
	model  string
	id     string
	finish string
	usage  vmspan.Usage
}

// buildRequest returns the URL, headers and JSON body of a chat request.
func buildRequest(ep *endpoint, msgs []vmspan.Message) (string, http.Header, []byte, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	body := map[string]any{}
	for k, v := range ep.extra {
		body[k] = v
	}
	body["model"] = ep.model
	if ep.temperature != nil {
		body["temperature"] = *ep.temperature
	}
	var url string
	switch ep.api {
	case apiAnthropic:
		url = ep.baseURL + "/v1/messages"
		if ep.apiKey != "" {
			h.Set("X-Api-Key", ep.apiKey)
		}
		h.Set("Anthropic-Version", anthropicVersion)
		system, rest := anthropicMessages(msgs)
		if system != "" {
			body["system"] = system
		}
		body["messages"] = rest
	default:
		url = ep.baseURL + "/chat/completions"
		if ep.apiKey != "" {
			h.Set("Authorization", "Bearer "+ep.apiKey)
		}
		body["messages"] = msgs
	}
	if ep.maxTokens != nil {
		body["max_tokens"] = *ep.maxTokens
	}
	for k, v := range ep.headers { // the client's headers win, even over ours
		h.Set(k, v)
	}
	b, err := json.Marshal(body)
	return url, h, b, err
}

// anthropicMessages moves system messages to the top-level system prompt
// (joined by blank lines), as the Messages API wants. When nothing else is
// left — a prompt without role markers is one system message — the text is
// sent as a single user message instead, because the API needs at least one.
func anthropicMessages(msgs []vmspan.Message) (string, []vmspan.Message) {
	var system []string
	var rest []vmspan.Message
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
		} else {
			rest = append(rest, m)
		}
	}
	if len(rest) == 0 {
		return "", []vmspan.Message{{Role: "user", Content: strings.Join(system, "\n\n")}}
	}
	return strings.Join(system, "\n\n"), rest
}

type openAIReply struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        *int64 `json:"prompt_tokens"`
		CompletionTokens    *int64 `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens *int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
}

type anthropicReply struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StopReason string `json:"stop_reason"`
	Usage      *struct {
		InputTokens          *int64 `json:"input_tokens"`
		OutputTokens         *int64 `json:"output_tokens"`
		CacheReadInputTokens *int64 `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

// parseCompletion reads a 2xx reply body.
func parseCompletion(api string, body []byte) (completion, error) {
	if api == apiAnthropic {
		return parseAnthropic(body)
	}
	return parseOpenAI(body)
}

func parseOpenAI(body []byte) (completion, error) {
	var r openAIReply
	if err := json.Unmarshal(body, &r); err != nil {
		return completion{}, fmt.Errorf("not a chat completion: %v", err)
	}
	if len(r.Choices) == 0 {
		return completion{}, fmt.Errorf("the completion has no choices")
	}
	c := completion{model: r.Model, id: r.ID, finish: r.Choices[0].FinishReason}
	if p := r.Choices[0].Message.Content; p != nil {
		c.text = *p
	}
	if u := r.Usage; u != nil {
		c.usage.InputTokens, c.usage.OutputTokens = u.PromptTokens, u.CompletionTokens
		if u.PromptTokensDetails != nil {
			c.usage.CachedInputTokens = u.PromptTokensDetails.CachedTokens
		}
	}
	return c, nil
}

func parseAnthropic(body []byte) (completion, error) {
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
	if u := r.Usage; u != nil {
		c.usage = vmspan.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CachedInputTokens: u.CacheReadInputTokens}
	}
	return c, nil
}

// providerMessage extracts the error message of an error body: OpenAI's and
// Anthropic's {"error": {"message": ...}} (or a plain {"error": "..."}).
func providerMessage(body []byte) string {
	var r struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.Error) == 0 {
		return ""
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(r.Error, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	var s string
	if json.Unmarshal(r.Error, &s) == nil {
		return s
	}
	return ""
}
