package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
)

// TestStreamedChatSpans streams the pipeline (engine.Stream) through the
// bridge to Jaeger: each LLM attempt is one chat span, marked streamed,
// with the conventions' time to first chunk, its count of chunks and one
// first-chunk event inside it; no span or event per chunk.
func TestStreamedChatSpans(t *testing.T) {
	j := jaegertest.Start(t)
	r := newRig(t, j.OTLPHTTPEndpoint())
	var result any
	partials := 0
	for p, err := range r.eng.Stream(context.Background(), "Triage", map[string]any{"body": "Checkout is down for all users. Nobody can pay."}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Final {
			result = p.Value
		} else {
			partials++
		}
	}
	if result != wantResult || partials < 3 {
		t.Fatalf("result %v after %d partial values; want %q", result, partials, wantResult)
	}
	const spans = 7 // Triage, 2 LLM functions, their 2 attempts, lookup, db.query
	r.shutdown(t, spans)
	events := byTrace(r.rec)
	if len(events) != 1 {
		t.Fatalf("%d traces, want 1", len(events))
	}
	for id := range events {
		tr := j.WaitTrace(t, id.String(), spans)
		if len(tr.Spans) != spans {
			t.Fatalf("%d spans in Jaeger, want %d (no span per chunk)", len(tr.Spans), spans)
		}
		for _, name := range []string{chatOpenAI, chatClaude} {
			checkStreamedChat(t, tr.SpanByName(name))
		}
	}
}

// checkStreamedChat checks a streamed attempt's span as Jaeger shows it.
func checkStreamedChat(t *testing.T, s *jaegertest.Span) {
	t.Helper()
	if s == nil {
		t.Fatal("no chat span")
	}
	tagChecks(t, s, map[string]any{"gen_ai.request.stream": true, "bex.llm.selected": true, "span.kind": "client"})
	ttfc, _ := s.Tag("gen_ai.response.time_to_first_chunk")
	first, ok := ttfc.(float64)
	if !ok || first <= 0 || time.Duration(first*float64(time.Second)) > s.Duration+time.Millisecond {
		t.Errorf("span %s: time to first chunk %#v, duration %v", s.OperationName, ttfc, s.Duration)
	}
	if n, _ := s.Tag("bex.llm.chunks"); n == nil || n.(int64) < 1 {
		t.Errorf("span %s: chunks %#v", s.OperationName, n)
	}
	var marks []time.Time
	for _, l := range s.Logs {
		if name, _ := l.Fields.Get("event"); name == otelbridge.EventFirstChunk {
			marks = append(marks, l.Timestamp)
		}
	}
	if len(s.Logs) != 1 || len(marks) != 1 || marks[0].Before(s.StartTime) || marks[0].After(s.StartTime.Add(s.Duration+time.Microsecond)) {
		t.Errorf("span %s [%v +%v]: logs %+v, want one %s event inside it", s.OperationName, s.StartTime, s.Duration, s.Logs, otelbridge.EventFirstChunk)
	}
}
