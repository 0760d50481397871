package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// An LLM call records its attempts' HTTP exchanges whenever something can
// read them: a sink of the engine's tracer, or the attempts' live spans
// under a span of the caller's ctx when the engine itself has no sink.
func TestHTTPRecordsWhenTraced(t *testing.T) {
	const reply = `{"title": "t", "category": "Red"}`
	t.Run("tracer", func(t *testing.T) {
		eng, _, rec := dynamicEngine(t, reply)
		if _, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "b"}); err != nil {
			t.Fatal(err)
		}
		end, ok := rec.Find(vmspan.EventEnd, "Classify")
		if !ok || len(end.Attempts) != 1 || end.Attempts[0].Request == nil || end.Attempts[0].Response == nil {
			t.Fatalf("end event %+v: want an attempt with its HTTP records", end)
		}
	})
	t.Run("caller's span", func(t *testing.T) {
		stub := llmstub.New(llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: reply}}}))
		t.Cleanup(stub.Close)
		env := func(k string) (string, bool) { return stub.URL() + "/v1", k == "STUB_URL" }
		eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": dynamicSrc}), engine.WithLLMOptions(llm.WithEnv(env)))
		if err != nil {
			t.Fatal(err)
		}
		live := new(endedAttempts)
		ctx, span := vmspan.NewTracer(live).Start(context.Background(), "handler")
		_, err = eng.Call(ctx, "Classify", map[string]any{"body": "b"})
		span.End(nil, err)
		if err != nil {
			t.Fatal(err)
		}
		if len(live.ended) != 1 || live.ended[0].Request == nil || live.ended[0].Response == nil {
			t.Fatalf("ended attempts %+v: want one with its HTTP records", live.ended)
		}
	})
}

var _ vmspan.AttemptSink = (*endedAttempts)(nil)

// endedAttempts is an AttemptSink that keeps the attempts' records.
type endedAttempts struct {
	mu    sync.Mutex
	ended []vmspan.LLMAttempt
}

func (s *endedAttempts) Emit(*vmspan.Event) {}

func (s *endedAttempts) StartAttempt(ctx context.Context, _ *vmspan.Event, _ int, _ *vmspan.LLMAttempt) context.Context {
	return ctx
}

func (s *endedAttempts) EndAttempt(_ context.Context, _ *vmspan.Event, a *vmspan.LLMAttempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, *a)
}
