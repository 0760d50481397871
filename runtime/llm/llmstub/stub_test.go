package llmstub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// post sends a chat request and decodes the reply.
func post(t *testing.T, ctx context.Context, url, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	if out == nil {
		out = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, resp.Header, out
}

const (
	openAIBody    = `{"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}]}`
	anthropicBody = `{"model": "claude", "max_tokens": 10, "system": "Be brief.", "messages": [{"role": "user", "content": [{"type": "text", "text": "hello there"}]}]}`
)

func TestCompletionBodies(t *testing.T) {
	s := New(WithScript(Script{Rules: []Rule{{Replies: []Reply{{Text: "hi!", Usage: &Usage{Input: 5, Output: 1, Cached: 2}}}}}}))
	defer s.Close()
	for _, path := range []string{"/chat/completions", "/v1/chat/completions"} {
		status, _, got := post(t, context.Background(), s.URL()+path, openAIBody, nil)
		b, _ := json.Marshal(got)
		want := `{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"hi!","role":"assistant"}}],"created":1700000000,` +
			`"id":"chatcmpl-stub-000%d","model":"gpt-4o-mini","object":"chat.completion",` +
			`"usage":{"completion_tokens":1,"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":2},"total_tokens":6}}`
		if status != 200 || !strings.HasPrefix(string(b), want[:strings.Index(want, "%d")]) {
			t.Errorf("%s: %d %s", path, status, b)
		}
	}
	status, _, got := post(t, context.Background(), s.URL()+"/v1/messages", anthropicBody, nil)
	b, _ := json.Marshal(got)
	want := `{"content":[{"text":"hi!","type":"text"}],"id":"msg_stub_0003","model":"claude","role":"assistant","stop_reason":"end_turn",` +
		`"stop_sequence":null,"type":"message","usage":{"cache_creation_input_tokens":0,"cache_read_input_tokens":2,"input_tokens":5,"output_tokens":1}}`
	if status != 200 || string(b) != want {
		t.Errorf("anthropic: %d\n got %s\nwant %s", status, b, want)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[2].API != "anthropic" || reqs[2].Model != "claude" ||
		fmt.Sprint(reqs[2].Messages) != "[{system Be brief.} {user hello there}]" || reqs[2].Last("user") != "hello there" {
		t.Errorf("recorded requests = %+v", reqs)
	}
}

func TestRules(t *testing.T) {
	s := New(WithScript(Script{
		Rules: []Rule{
			{Model: "m1", Replies: []Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}}, {Status: 500, Text: "boom"}, {Text: "ok"}}},
			{Contains: "magic", API: "anthropic", Respond: func(r Request) Reply { return Reply{Text: "saw " + r.Model} }},
		},
		Default: func(Request) Reply { return Reply{Text: "default"} },
	}))
	defer s.Close()
	body := func(model, text string) string {
		return fmt.Sprintf(`{"model": %q, "messages": [{"role": "user", "content": %q}]}`, model, text)
	}
	var got []string
	for _, c := range []struct{ path, model, text string }{
		{"/chat/completions", "m1", "x"}, {"/chat/completions", "m1", "x"}, {"/chat/completions", "m1", "x"}, {"/chat/completions", "m1", "x"},
		{"/v1/messages", "m2", "the magic word"}, {"/chat/completions", "m2", "the magic word"},
	} {
		status, h, out := post(t, context.Background(), s.URL()+c.path, body(c.model, c.text), nil)
		got = append(got, fmt.Sprintf("%d %s %s", status, h.Get("Retry-After"), replyText(out)))
	}
	want := []string{"429 1 Too Many Requests", "500  boom", "200  ok", "200  ok", "200  saw m2", "200  default"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// replyText returns the completion text or the error message of a reply.
func replyText(out map[string]any) string {
	if e, ok := out["error"].(map[string]any); ok {
		return fmt.Sprint(e["message"])
	}
	if c, ok := out["choices"].([]any); ok {
		return fmt.Sprint(c[0].(map[string]any)["message"].(map[string]any)["content"])
	}
	if c, ok := out["content"].([]any); ok {
		return fmt.Sprint(c[0].(map[string]any)["text"])
	}
	return fmt.Sprint(out["raw"])
}

func TestBadRequests(t *testing.T) {
	s := New(WithScript(Script{Rules: []Rule{{Replies: []Reply{{Body: "{not json", Status: 200}}}}}))
	defer s.Close()
	if status, _, out := post(t, context.Background(), s.URL()+"/chat/completions", openAIBody, nil); status != 200 || out["raw"] != "{not json" {
		t.Errorf("malformed body: %d %v", status, out)
	}
	if status, _, _ := post(t, context.Background(), s.URL()+"/v1/embeddings", openAIBody, nil); status != 404 {
		t.Errorf("unknown path: %d, want 404", status)
	}
	if status, _, out := post(t, context.Background(), s.URL()+"/v1/messages", "nope", nil); status != 400 || replyText(out) == "" {
		t.Errorf("bad json: %d %v", status, out)
	}
}

func TestAPIKey(t *testing.T) {
	s := New(WithAPIKey("k-123"))
	defer s.Close()
	if status, _, _ := post(t, context.Background(), s.URL()+"/chat/completions", openAIBody, nil); status != 401 {
		t.Errorf("no key: %d, want 401", status)
	}
	if status, _, _ := post(t, context.Background(), s.URL()+"/chat/completions", openAIBody, map[string]string{"Authorization": "Bearer k-123"}); status != 200 {
		t.Errorf("bearer key: %d, want 200", status)
	}
	if status, _, _ := post(t, context.Background(), s.URL()+"/v1/messages", anthropicBody, map[string]string{"x-api-key": "k-123"}); status != 200 {
		t.Errorf("x-api-key: %d, want 200", status)
	}
}

func TestDelayEndsWithClient(t *testing.T) {
	s := New(WithRules(Rule{Replies: []Reply{{Text: "late", Delay: time.Hour}}}))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.Count() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(openAIBody))
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDefaultScript(t *testing.T) {
	s := New()
	defer s.Close()
	msgs := func(ms ...string) string {
		var parts []string
		for i := 0; i < len(ms); i += 2 {
			parts = append(parts, fmt.Sprintf(`{"role": %q, "content": %q}`, ms[i], ms[i+1]))
		}
		return `{"model": "gpt-4o-mini", "messages": [` + strings.Join(parts, ",") + `]}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"ticket urgent", msgs("system", "Read the ticket and extract its title and priority.\nAnswer in JSON using this schema:\n{\n  title: string,\n  priority: int,\n}",
			"user", "Checkout is down for all users. Please help."),
			"Here is the ticket:\n```json\n{\n  \"title\": \"Checkout is down for all users\",\n  \"priority\": 1\n}\n```"},
		{"ticket bug", msgs("system", "extract its title and priority", "user", "The export button shows an error"),
			"Here is the ticket:\n```json\n{\n  \"title\": \"The export button shows an error\",\n  \"priority\": 2\n}\n```"},
		{"ticket minor", msgs("system", "extract its title and priority", "user", "Please add a dark mode to the settings page and the dashboard too"),
			"Here is the ticket:\n```json\n{\n  \"title\": \"Please add a dark mode to the settings\",\n  \"priority\": 3\n}\n```"},
		{"headline", msgs("system", "One line headline for: login fails on Safari. Users are stuck."), "Login fails on Safari"},
		{"schema", msgs("system", "Mood\n----\n- HAPPY\n- SAD\n\nAnswer in JSON using this schema:\n{\n  // who\n  name: string,\n  age: int,\n  mood: Mood,\n  tags: string[],\n  nick: string or null,\n  address: {\n    city: string,\n  },\n}"),
			"```json\n{\n  \"name\": \"stub name\",\n  \"age\": 1,\n  \"mood\": \"HAPPY\",\n  \"tags\": [],\n  \"nick\": null,\n  \"address\": {}\n}\n```"},
		{"echo", msgs("user", "What is the capital of France?\nThanks"), "stub reply: What is the capital of France?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, out := post(t, context.Background(), s.URL()+"/chat/completions", tt.body, nil)
			if got := replyText(out); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestKeep(t *testing.T) {
	const n = 250
	for _, tt := range []struct {
		name  string
		keep  *int // nil: the default
		first int  // the first request kept, -1 for none
	}{
		{"default", nil, n - DefaultKeep},
		{"last 7", ptr(7), n - 7},
		{"none", ptr(0), -1},
		{"all", ptr(KeepAll), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(Script{})
			if tt.keep != nil {
				h.Keep(*tt.keep)
			}
			for i := range n {
				body := fmt.Sprintf(`{"model": "m%d", "messages": [{"role": "user", "content": "hi"}]}`, i)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/chat/completions", strings.NewReader(body)))
				if w.Code != 200 {
					t.Fatalf("request %d: status %d", i, w.Code)
				}
			}
			if h.Count() != n {
				t.Errorf("Count = %d, want %d", h.Count(), n)
			}
			var models []string
			for _, r := range h.Requests() {
				models = append(models, r.Model)
			}
			var want []string
			for i := tt.first; i >= 0 && i < n; i++ {
				want = append(want, fmt.Sprintf("m%d", i))
			}
			if !slices.Equal(models, want) {
				t.Errorf("kept %d requests %v..., want %d from m%d", len(models), models[:min(3, len(models))], len(want), tt.first)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Each fault goes wrong on the wire as documented, streamed and not.
func TestFaults(t *testing.T) {
	streamBody := `{"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]}`
	for _, tc := range []struct {
		name   string
		reply  Reply
		body   string
		status int    // 0: no reply before the client gives up
		want   string // in what was read
		broken bool   // the read ends in an error
	}{
		{"hang", Reply{Fault: FaultHang}, openAIBody, 0, "", false},
		{"stall", Reply{Text: "abc", Fault: FaultStall}, openAIBody, 200, "", true},
		{"stall streamed", Reply{Text: "abcdef", ChunkSize: 2, Fault: FaultStall, FaultAfter: 2}, streamBody, 200, `"content":"ab"`, true},
		{"drop", Reply{Text: "abc", Fault: FaultDrop}, openAIBody, 200, `{"choices"`, true},
		{"drop streamed", Reply{Text: "abcdef", ChunkSize: 2, Fault: FaultDrop, FaultAfter: 2}, streamBody, 200, `"content":"ab"`, true},
		{"malformed streamed", Reply{Text: "abcdef", ChunkSize: 2, Fault: FaultMalformed, FaultAfter: 1}, streamBody, 200, `"content": "broken`, false},
		{"no final", Reply{Text: "abcdef", ChunkSize: 2, Fault: FaultNoFinal}, streamBody, 200, `"content":"ef"`, false},
		{"paced", Reply{Text: "abcdef", ChunkSize: 2, FirstChunkDelay: time.Millisecond, ChunkDelay: time.Millisecond}, streamBody, 200, "[DONE]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(WithRules(Rule{Replies: []Reply{tc.reply}}))
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/v1/chat/completions", strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if tc.status == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got a reply, want none")
				}
				return
			}
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("%v %v", resp, err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if (err != nil) != tc.broken || !strings.Contains(string(b), tc.want) {
				t.Errorf("read %q, err %v; want %q, broken %v", b, err, tc.want, tc.broken)
			}
			if tc.reply.Fault == FaultNoFinal && (strings.Contains(string(b), "[DONE]") || strings.Contains(string(b), `"finish_reason":"stop"`)) {
				t.Errorf("no-final reply has its final events: %s", b)
			}
		})
	}
	if FaultDrop.String() != "drop" || Fault(99).String() != "fault(?)" {
		t.Error("Fault.String")
	}
}
