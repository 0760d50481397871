// wire.go decodes requests and encodes replies in each API's wire format,
// streamed or not.

package llmstub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// decodeRequest reads req.Body into req.Model, req.Stream and req.Messages.
func decodeRequest(req *Request) error {
	var b struct {
		Model    string          `json:"model"`
		Stream   bool            `json:"stream"`
		System   json.RawMessage `json:"system"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Input        json.RawMessage `json:"input"`        // Responses
		Instructions string          `json:"instructions"` // Responses
		SystemInstr  *struct {
			Parts json.RawMessage `json:"parts"`
		} `json:"system_instruction"` // Gemini
		Contents []struct {
			Role  string          `json:"role"`
			Parts json.RawMessage `json:"parts"`
		} `json:"contents"` // Gemini
	}
	if err := json.Unmarshal(req.Body, &b); err != nil {
		return err
	}
	if req.Model == "" {
		req.Model = b.Model
	}
	req.Stream = req.Stream || b.Stream
	add := func(role string, content json.RawMessage) {
		if role == "model" {
			role = "assistant"
		}
		req.Messages = append(req.Messages, Message{Role: role, Content: contentText(content)})
	}
	if s := contentText(b.System); s != "" {
		add("system", b.System)
	}
	if b.Instructions != "" {
		req.Messages = append(req.Messages, Message{Role: "system", Content: b.Instructions})
	}
	if b.SystemInstr != nil {
		add("system", b.SystemInstr.Parts)
	}
	for _, m := range b.Messages {
		add(m.Role, m.Content)
	}
	for _, c := range b.Contents {
		add(c.Role, c.Parts)
	}
	var input []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(b.Input, &input) == nil {
		for _, m := range input {
			add(m.Role, m.Content)
		}
	} else if s := contentText(b.Input); s != "" {
		add("user", b.Input)
	}
	return nil
}

// contentText reads message content: a string, or a list of blocks whose
// "text" fields are joined (every API names text "text").
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &blocks)
	parts := make([]string, 0, len(blocks))
	for _, b := range blocks {
		if b.Text != "" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Fixed values keep stub replies deterministic.
const created = 1700000000

// replyFacts are what every format says about a reply.
type replyFacts struct {
	model, finish string
	u             Usage
}

func facts(req *Request, r *Reply) replyFacts {
	f := replyFacts{model: orDefault(r.Model, req.Model), finish: r.FinishReason}
	f.u = Usage{Input: int64(len(strings.Fields(req.Prompt()))), Output: int64(len(strings.Fields(r.Text)))}
	if r.Usage != nil {
		f.u = *r.Usage
	}
	if f.finish == "" {
		f.finish = map[string]string{"openai": "stop", "anthropic": "end_turn", "google": "STOP", "responses": "completed", "bedrock": "end_turn"}[req.API]
	}
	return f
}

func completionBody(req *Request, r *Reply, id int) any {
	f := facts(req, r)
	u := f.u
	switch req.API {
	case "anthropic":
		return map[string]any{
			"id": fmt.Sprintf("msg_stub_%04d", id), "type": "message", "role": "assistant", "model": f.model,
			"content":     []any{map[string]any{"type": "text", "text": r.Text}},
			"stop_reason": f.finish, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": u.Input, "output_tokens": u.Output,
				"cache_read_input_tokens": u.Cached, "cache_creation_input_tokens": u.CacheCreation},
		}
	case "google":
		return googleBody(f, r.Text, f.finish, id)
	case "responses":
		return responseObject(f, r.Text, id)
	case "bedrock":
		return map[string]any{
			"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]any{"text": r.Text}}}},
			"stopReason": f.finish, "usage": bedrockUsage(u), "metrics": map[string]any{"latencyMs": 1},
		}
	}
	return map[string]any{
		"id": fmt.Sprintf("chatcmpl-stub-%04d", id), "object": "chat.completion", "created": created, "model": f.model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": r.Text},
			"finish_reason": f.finish}},
		"usage": openAIUsage(u),
	}
}

func openAIUsage(u Usage) map[string]any {
	m := map[string]any{"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": u.Input + u.Output,
		"prompt_tokens_details": map[string]any{"cached_tokens": u.Cached}}
	if u.Reasoning != 0 {
		m["completion_tokens_details"] = map[string]any{"reasoning_tokens": u.Reasoning}
	}
	return m
}

func bedrockUsage(u Usage) map[string]any {
	m := map[string]any{"inputTokens": u.Input, "outputTokens": u.Output, "totalTokens": u.Input + u.Output, "cacheReadInputTokens": u.Cached}
	if u.CacheCreation != 0 {
		m["cacheWriteInputTokens"] = u.CacheCreation
	}
	return m
}

// googleBody is a GenerateContentResponse (finish "" for a stream's
// intermediate events).
func googleBody(f replyFacts, text, finish string, id int) map[string]any {
	cand := map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": text}}, "role": "model"}, "index": 0}
	if finish != "" {
		cand["finishReason"] = finish
	}
	return map[string]any{
		"candidates": []any{cand},
		"usageMetadata": map[string]any{"promptTokenCount": f.u.Input, "candidatesTokenCount": f.u.Output,
			"totalTokenCount": f.u.Input + f.u.Output, "cachedContentTokenCount": f.u.Cached},
		"modelVersion": f.model, "responseId": fmt.Sprintf("stub-resp-%04d", id),
	}
}

func responseObject(f replyFacts, text string, id int) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("resp_stub_%04d", id), "object": "response", "created_at": created, "status": f.finish, "model": f.model,
		"output": []any{map[string]any{"type": "message", "id": fmt.Sprintf("msg_stub_%04d", id), "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": text, "annotations": []any{}}}}},
		"usage": map[string]any{"input_tokens": f.u.Input, "input_tokens_details": map[string]any{"cached_tokens": f.u.Cached},
			"output_tokens": f.u.Output, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": f.u.Input + f.u.Output},
	}
}

// writeError writes the API's error body for status.
func writeError(w http.ResponseWriter, api string, status int, msg string) {
	typ := "api_error"
	switch {
	case status == 429:
		typ = "rate_limit_error"
	case status == 401:
		typ = "authentication_error"
	case status < 500:
		typ = "invalid_request_error"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	switch api {
	case "anthropic":
		writeJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
	case "google":
		st := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}[status]
		writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": msg, "status": orDefault(st, "INTERNAL")}})
	case "bedrock":
		if w.Header().Get("X-Amzn-Errortype") == "" {
			et := map[int]string{400: "ValidationException", 403: "AccessDeniedException", 404: "ResourceNotFoundException", 429: "ThrottlingException", 503: "ServiceUnavailableException"}[status]
			w.Header().Set("X-Amzn-Errortype", orDefault(et, "InternalServerException"))
		}
		writeJSON(w, status, map[string]any{"message": msg})
	default:
		writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// chunks cuts text into pieces of at most n bytes, at rune boundaries.
func chunks(text string, n int) []string {
	if n <= 0 {
		n = 16
	}
	var out []string
	for len(text) > n {
		i := n
		for i > 0 && !utf8.RuneStart(text[i]) {
			i--
		}
		if i == 0 {
			i = n
		}
		out = append(out, text[:i])
		text = text[i:]
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// A streamEvent is one event of a streamed reply: its SSE event name (or
// Bedrock's event type) and JSON payload (nil: OpenAI's [DONE]). final marks
// the API's closing events, from the one carrying the finish reason on,
// which FaultNoFinal leaves out.
type streamEvent struct {
	name  string
	data  any
	final bool
}

// writeStream writes a streamed reply in req's API.
func writeStream(ctx context.Context, w http.ResponseWriter, req *Request, r *Reply, id int) {
	f := facts(req, r)
	parts := chunks(r.Text, r.ChunkSize)
	var evs []streamEvent
	switch req.API {
	case "anthropic":
		evs = anthropicEvents(f, parts, id)
	case "google":
		evs = googleEvents(f, parts, id)
	case "responses":
		evs = responsesEvents(f, r.Text, parts, id)
	case "bedrock":
		evs = bedrockEvents(f, parts)
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("stub-req-%04d", id))
	default:
		evs = openAIEvents(req, f, parts, id)
	}
	if req.API != "bedrock" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(200)
	flush(w)
	sendEvents(ctx, w, r, evs, req.API == "bedrock")
}

// encodeSSE encodes ev as a server-sent event.
func encodeSSE(ev streamEvent) []byte {
	var b []byte
	if ev.name != "" {
		b = append(b, "event: "+ev.name+"\n"...)
	}
	data := []byte("[DONE]")
	if ev.data != nil {
		data, _ = json.Marshal(ev.data)
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

func openAIEvents(req *Request, f replyFacts, parts []string, id int) []streamEvent {
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": fmt.Sprintf("chatcmpl-stub-%04d", id), "object": "chat.completion.chunk", "created": created, "model": f.model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	evs := []streamEvent{{data: chunk(map[string]any{"role": "assistant", "content": ""}, nil)}}
	for _, p := range parts {
		evs = append(evs, streamEvent{data: chunk(map[string]any{"content": p}, nil)})
	}
	evs = append(evs, streamEvent{data: chunk(map[string]any{}, f.finish), final: true})
	var opts struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	_ = json.Unmarshal(req.Body, &opts)
	if opts.StreamOptions.IncludeUsage {
		evs = append(evs, streamEvent{data: map[string]any{"id": fmt.Sprintf("chatcmpl-stub-%04d", id), "object": "chat.completion.chunk", "created": created,
			"model": f.model, "choices": []any{}, "usage": openAIUsage(f.u)}, final: true})
	}
	return append(evs, streamEvent{final: true})
}

func anthropicEvents(f replyFacts, parts []string, id int) []streamEvent {
	evs := []streamEvent{
		{name: "message_start", data: map[string]any{"type": "message_start", "message": map[string]any{
			"id": fmt.Sprintf("msg_stub_%04d", id), "type": "message", "role": "assistant", "model": f.model, "content": []any{},
			"stop_reason": nil, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": f.u.Input, "output_tokens": 1, "cache_read_input_tokens": f.u.Cached, "cache_creation_input_tokens": f.u.CacheCreation}}}},
		{name: "content_block_start", data: map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}}},
		{name: "ping", data: map[string]any{"type": "ping"}},
	}
	for _, p := range parts {
		evs = append(evs, streamEvent{name: "content_block_delta", data: map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": p}}})
	}
	return append(evs,
		streamEvent{name: "content_block_stop", data: map[string]any{"type": "content_block_stop", "index": 0}},
		streamEvent{name: "message_delta", data: map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": f.finish, "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": f.u.Output}}, final: true},
		streamEvent{name: "message_stop", data: map[string]any{"type": "message_stop"}, final: true})
}

func googleEvents(f replyFacts, parts []string, id int) []streamEvent {
	if len(parts) == 0 {
		return []streamEvent{{data: googleBody(f, "", f.finish, id), final: true}}
	}
	evs := make([]streamEvent, len(parts))
	for i, p := range parts {
		evs[i].data = googleBody(f, p, "", id)
	}
	evs[len(evs)-1] = streamEvent{data: googleBody(f, parts[len(parts)-1], f.finish, id), final: true}
	return evs
}

func responsesEvents(f replyFacts, text string, parts []string, id int) []streamEvent {
	created := responseObject(f, "", id)
	created["status"], created["output"], created["usage"] = "in_progress", []any{}, nil
	evs := []streamEvent{{name: "response.created", data: map[string]any{"type": "response.created", "sequence_number": 0, "response": created}}}
	for i, p := range parts {
		evs = append(evs, streamEvent{name: "response.output_text.delta", data: map[string]any{"type": "response.output_text.delta", "sequence_number": i + 1,
			"item_id": fmt.Sprintf("msg_stub_%04d", id), "output_index": 0, "content_index": 0, "delta": p}})
	}
	return append(evs, streamEvent{name: "response.completed", data: map[string]any{"type": "response.completed", "sequence_number": len(parts) + 1,
		"response": responseObject(f, text, id)}, final: true})
}
