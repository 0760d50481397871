package llm

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestMarshalBody: request bodies encode to json.Marshal's bytes.
func TestMarshalBody(t *testing.T) {
	bodies := []map[string]any{
		{},
		{"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": int64(256), "stream": true,
			"messages":       []any{&chatMessage{"system", "Be <brief> & \"exact\"\n\t\u2028\u2029\x01\x7f\xff é 😀"}, &chatMessage{"user", []any{map[string]any{"type": "text", "text": "hi"}}}},
			"stream_options": map[string]any{"include_usage": true}, "stop": []any{"\n\n", nil}, "seed": 7, "none": nil,
			"floats": []any{0.0, -0.0, 1e-7, 1e21, 123456789.0, 1.5e-6, -2.5e300, 1e20, 3.0}},
		{"nested": map[string]any{"b": []any{}, "a": map[string]any{}, "c": []any(nil), "d": map[string]any(nil)}},
	}
	for _, body := range bodies {
		checkMarshalBody(t, body)
	}
	if got, err := marshalBody(map[string]any{"x": math.NaN()}); err == nil {
		t.Errorf("NaN encodes to %s, want json.Marshal's error", got)
	}
	if got, err := marshalBody(map[string]any{"x": struct{ A int }{1}}); err != nil || string(got) != `{"x":{"A":1}}` {
		t.Errorf("a struct encodes to %s, %v", got, err)
	}
}

func checkMarshalBody(t *testing.T, body map[string]any) {
	t.Helper()
	want, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := marshalBody(body)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("marshalBody =\n%s, %v\njson.Marshal =\n%s", got, err, want)
	}
}

// openAIReplies are chat completions as providers write them, and unusual
// ones.
var openAIReplies = []string{
	`{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{\"title\": \"Checkout\\u00e9\", \"priority\": 1}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":92,"completion_tokens":21,"total_tokens":113,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default","system_fingerprint":"fp_1"}`,
	`{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"hi","role":"assistant"}}],"created":1,"id":"x","model":"m","object":"chat.completion","usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3}}`,
	`{"id":"x","choices":[{"message":{"content":null},"finish_reason":"length"},{"message":{"content":"b"},"finish_reason":"stop"}],"usage":null}`,
	`{"id":"x","choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":null,"completion_tokens":5,"prompt_tokens_details":null}}`,
	`{"id":"x","choices":[],"usage":{}}`,
	`{"id":"x","choices":null}`,
	`{"id":null,"choices":[{"message":{"content":"a"}}]}`,
	`{"ID":"x","choices":[{"message":{"content":"a"}}]}`,
	`{"id":"x","id":"y","choices":[{"message":{"content":"a"}}]}`,
	`{"id":"x","choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":1.0}}`,
	`{"id":"x","choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":"1"}}`,
	`{"id":"x","choices":[{"message":{"content":"a\ud800"}}]} `,
	`{"id":"x","choices":[{"message":{"content":"a"}}]} x`,
	`{"id":"x","choices":[{"message":null}]}`,
	`[]`, `null`, ``, `{"error":{"message":"boom"}}`,
}

// TestOpenAIReplyFast: the fast decoder gives what json.Unmarshal gives,
// or leaves the reply to it.
func TestOpenAIReplyFast(t *testing.T) {
	for _, body := range openAIReplies {
		checkOpenAIReply(t, []byte(body))
	}
	var r openAIReply
	if !r.decodeFast([]byte(openAIReplies[0])) || !r.decodeFast([]byte(openAIReplies[1])) {
		t.Error("replies as providers write them do not take the fast path")
	}
}

func checkOpenAIReply(t *testing.T, body []byte) {
	t.Helper()
	var fast, std openAIReply
	if !fast.decodeFast(body) {
		return
	}
	if err := json.Unmarshal(body, &std); err != nil {
		t.Fatalf("fast decoder took %q, json.Unmarshal fails: %v", body, err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("reply %q:\nfast %s\njson %s", body, dump(fast), dump(std))
	}
}

func dump(v any) string { b, _ := json.Marshal(v); return string(b) }

// FuzzOpenAIReply: on any body the fast decoder either steps aside or
// decodes what json.Unmarshal decodes.
func FuzzOpenAIReply(f *testing.F) {
	for _, r := range openAIReplies {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkOpenAIReply(t, body) })
}

// TestOpenAIReplyKeys: every field json.Unmarshal fills in a chat
// completion has its key in the fast decoder; a field it did not know would
// be lost on the fast path.
func TestOpenAIReplyKeys(t *testing.T) {
	var r openAIReply
	var c openAIChoice
	var u openAIUsage
	for _, tc := range []struct {
		v    any
		keys []string
	}{
		{r, openAIReplyKeys.Names()}, {c, openAIChoiceKeys.Names()}, {c.Message, openAIMessageKeys.Names()},
		{u, openAIUsageKeys.Names()}, {u.PromptTokensDetails, openAIDetailKeys.Names()},
		{u.CompletionTokensDetails, openAIOutDetailKeys.Names()},
	} {
		rt := reflect.TypeOf(tc.v)
		if rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if !slices.Contains(tc.keys, name) {
				t.Errorf("%s: the fast decoder does not know key %q", rt, name)
			}
		}
	}
}
