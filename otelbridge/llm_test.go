package otelbridge

import (
	"context"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

func ptr[T any](v T) *T { return &v }

// attemptsFor returns two attempts: a failed one to OpenAI and the selected
// one to Anthropic.
func attemptsFor() []vmspan.LLMAttempt {
	return []vmspan.LLMAttempt{{
		Client: "Fast", Provider: "openai", Model: "gpt-4o", ServerAddress: "api.openai.com", ServerPort: 443,
		Start: base.Add(10 * time.Millisecond), Duration: 5 * time.Millisecond,
		Usage:       vmspan.Usage{InputTokens: ptr[int64](12)},
		Temperature: ptr(0.5), MaxTokens: ptr[int64](256),
		Messages: []vmspan.Message{{Role: "system", Content: "Extract."}, {Role: "user", Content: "Ann is \"42\""}},
		Err:      &vmspan.ErrorInfo{Type: "LLMHTTPError", Message: "429 Too Many Requests", Summary: "429 Too Many Requests", Code: "429"},
	}, {
		Client: "Smart", Provider: "anthropic", Model: "claude-sonnet", ResponseModel: "claude-sonnet-4-5", ResponseID: "msg_01",
		ServerAddress: "api.anthropic.com", ServerPort: 443,
		Start: base.Add(20 * time.Millisecond), Duration: 30 * time.Millisecond,
		Usage: vmspan.Usage{InputTokens: ptr[int64](20), OutputTokens: ptr[int64](7), CachedInputTokens: ptr[int64](4),
			CacheCreationInputTokens: ptr[int64](3), ReasoningTokens: ptr[int64](2)},
		FinishReason: "stop", Selected: true,
		Messages: []vmspan.Message{{Role: "system", Content: "Extract."}, {Role: "user", Content: "Ann is 42"}},
		Output:   `{"name":"Ann"}`,
	}}
}

// runLLM runs root main -> LLM Extract with two attempts.
func runLLM(f *fixture) {
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	llm, endLlm := child(root, "Extract", vmspan.KindLLM, []vmspan.Arg{{Name: "text", Value: "Ann is 42"}})
	llm.AddAttempts(attemptsFor()...)
	endLlm(vmspan.Object{Class: "Person", Fields: []vmspan.Arg{{Name: "name", Value: "Ann"}}}, nil)
	root.End(nil, nil)
}

func TestLLMAttempts(t *testing.T) {
	f := newFixture(t, false)
	runLLM(f)
	spans := f.sr.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	fn := f.span(t, "Extract")
	// The function span sums usage under bex.usage.*, so that a backend
	// summing gen_ai.usage.* over a trace counts each token once.
	checkAttrs(t, fn, map[attribute.Key]string{
		KeySpanKind: "llm", KeyLLMAttempts: "2",
		KeyUsageInputTokens: "32", KeyUsageOutputTokens: "7", KeyUsageCacheReadTokens: "4",
		KeyUsageCacheCreationTokens: "3", KeyUsageReasoningTokens: "2",
	}, KeyResult, KeyArgs, semconv.GenAIUsageInputTokensKey, semconv.GenAIUsageOutputTokensKey, semconv.GenAIUsageCacheReadInputTokensKey)
	start := find(t, f.rec, vmspan.EventStart, "Extract")
	atts := attemptsFor()
	tests := []struct {
		name   string
		want   map[attribute.Key]string
		absent []attribute.Key
		err    string
	}{
		{"chat gpt-4o", map[attribute.Key]string{
			semconv.GenAIOperationNameKey: "chat", semconv.GenAIProviderNameKey: "openai", semconv.GenAIRequestModelKey: "gpt-4o",
			semconv.GenAIRequestTemperatureKey: "0.5", semconv.GenAIRequestMaxTokensKey: "256", semconv.GenAIUsageInputTokensKey: "12",
			semconv.ServerAddressKey: "api.openai.com", semconv.ServerPortKey: "443", KeyLLMClient: "Fast", KeyLLMSelected: "false",
			semconv.ErrorTypeKey: "429", KeyErrorType: "LLMHTTPError",
		}, []attribute.Key{semconv.GenAIResponseModelKey, semconv.GenAIResponseIDKey, semconv.GenAIUsageOutputTokensKey, semconv.GenAIResponseFinishReasonsKey,
			semconv.GenAIInputMessagesKey, semconv.GenAIOutputMessagesKey}, "429 Too Many Requests"},
		{"chat claude-sonnet", map[attribute.Key]string{
			semconv.GenAIOperationNameKey: "chat", semconv.GenAIProviderNameKey: "anthropic", semconv.GenAIRequestModelKey: "claude-sonnet",
			semconv.GenAIResponseModelKey: "claude-sonnet-4-5", semconv.GenAIResponseIDKey: "msg_01", semconv.GenAIUsageInputTokensKey: "20",
			semconv.GenAIUsageOutputTokensKey: "7", semconv.GenAIUsageCacheReadInputTokensKey: "4", semconv.GenAIResponseFinishReasonsKey: `["stop"]`,
			semconv.GenAIUsageCacheCreationInputTokensKey: "3", semconv.GenAIUsageReasoningOutputTokensKey: "2",
			semconv.ServerAddressKey: "api.anthropic.com", semconv.ServerPortKey: "443", KeyLLMClient: "Smart", KeyLLMSelected: "true",
		}, []attribute.Key{KeyErrorType, semconv.GenAIRequestTemperatureKey, semconv.GenAIInputMessagesKey, semconv.GenAIOutputMessagesKey}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := f.span(t, tt.name)
			checkAttrs(t, s, tt.want, tt.absent...)
			checkParent(t, s, fn)
			if s.SpanKind() != trace.SpanKindClient {
				t.Errorf("kind %v, want client", s.SpanKind())
			}
			if s.SpanContext().SpanID() != vmspan.AttemptSpanID(start.Span.ID, i) || s.SpanContext().TraceID() != start.TraceID {
				t.Errorf("ids %v/%v, want %v/AttemptSpanID(%d)", s.SpanContext().TraceID(), s.SpanContext().SpanID(), start.TraceID, i)
			}
			if !s.StartTime().Equal(atts[i].Start) || s.EndTime().Sub(s.StartTime()) != atts[i].Duration {
				t.Errorf("times %v..%v, want %v for %v", s.StartTime(), s.EndTime(), atts[i].Start, atts[i].Duration)
			}
			checkStatus(t, s, tt.err)
		})
	}
}

// checkStatus checks an error status and exception event (msg != "") or
// their absence.
func checkStatus(t *testing.T, s sdktrace.ReadOnlySpan, msg string) {
	t.Helper()
	if msg == "" {
		if s.Status().Code != codes.Unset || len(s.Events()) != 0 {
			t.Errorf("%s: status %v, events %v; want none", s.Name(), s.Status(), s.Events())
		}
		return
	}
	if s.Status().Code != codes.Error || s.Status().Description != msg {
		t.Errorf("%s: status %+v, want error %q", s.Name(), s.Status(), msg)
	}
	if len(s.Events()) != 1 || s.Events()[0].Name != "exception" || !s.Events()[0].Time.Equal(s.EndTime()) {
		t.Errorf("%s: events %+v, want one exception at the end", s.Name(), s.Events())
	}
}

func TestContentCapture(t *testing.T) {
	f := newFixture(t, false, WithContentCapture(true))
	runLLM(f)
	checkAttrs(t, f.span(t, "chat gpt-4o"), map[attribute.Key]string{
		semconv.GenAIInputMessagesKey: `[{"role":"system","parts":[{"type":"text","content":"Extract."}]},{"role":"user","parts":[{"type":"text","content":"Ann is \"42\""}]}]`,
	}, semconv.GenAIOutputMessagesKey)
	// Anthropic takes system instructions apart from the chat history.
	checkAttrs(t, f.span(t, "chat claude-sonnet"), map[attribute.Key]string{
		semconv.GenAISystemInstructionsKey: `[{"type":"text","content":"Extract."}]`,
		semconv.GenAIInputMessagesKey:      `[{"role":"user","parts":[{"type":"text","content":"Ann is 42"}]}]`,
		semconv.GenAIOutputMessagesKey:     `[{"role":"assistant","parts":[{"type":"text","content":"{\"name\":\"Ann\"}"}],"finish_reason":"stop"}]`,
	})
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{
		KeyArgs: `{"text":"Ann is 42"}`, KeyResult: `{"__class":"Person","name":"Ann"}`,
	})
}

func TestLLMWithoutUsage(t *testing.T) {
	f := newFixture(t, false)
	root := f.tracer.StartSpan(context.Background(), "Extract", vmspan.StartConfig{Kind: vmspan.KindLLM})
	root.AddAttempts(vmspan.LLMAttempt{Start: base, Duration: time.Millisecond}) // no model, no usage
	root.End("x", nil)
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{KeyLLMAttempts: "1"},
		KeyUsageInputTokens, KeyUsageOutputTokens, KeyUsageCacheReadTokens, semconv.GenAIUsageInputTokensKey)
	checkAttrs(t, f.span(t, "chat"), map[attribute.Key]string{semconv.GenAIOperationNameKey: "chat", KeyLLMSelected: "false"},
		semconv.GenAIRequestModelKey, semconv.ServerPortKey, semconv.GenAIProviderNameKey)
}

// TestContentMedia: with content capture on, media in a prompt is recorded
// by reference, never by its bytes.
func TestContentMedia(t *testing.T) {
	f := newFixture(t, false, WithContentCapture(true))
	img := vmspan.NewMediaBytes(vmspan.MediaImage, []byte("PNG-BYTES-NEVER-EXPORTED"), "image/png")
	url := vmspan.NewMediaURL(vmspan.MediaImage, "https://example.com/cat.png", "")
	root := f.tracer.StartSpan(context.Background(), "Describe", vmspan.StartConfig{Kind: vmspan.KindLLM})
	root.AddAttempts(vmspan.LLMAttempt{Provider: "openai", Model: "m", Start: base, Duration: time.Millisecond, Messages: []vmspan.Message{{
		Role: "user", Content: "describe <image>", Parts: []vmspan.Part{{Text: "describe"}, {Media: img}, {Media: url}},
	}}})
	root.End("a cat", nil)
	got := attrs(f.span(t, "chat m"))[semconv.GenAIInputMessagesKey].AsString()
	want := `[{"role":"user","parts":[{"type":"text","content":"describe"},` +
		`{"type":"media","modality":"image","mime_type":"image/png","size":24,"sha256":"` + img.SHA256 + `"},` +
		`{"type":"uri","modality":"image","uri":"https://example.com/cat.png"}]}]`
	if got != want {
		t.Errorf("input messages\n got %s\nwant %s", got, want)
	}
}
