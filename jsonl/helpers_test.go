package jsonl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func newTracer(sink vmspan.Sink) *vmspan.Tracer {
	return vmspan.NewTracer(sink, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
}

var remoteParent = trace.NewSpanContext(trace.SpanContextConfig{
	TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
	SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
	TraceFlags: trace.FlagsSampled,
	TraceState: mustTraceState("vendor=abc,other=1"),
	Remote:     true,
})

func mustTraceState(s string) trace.TraceState {
	ts, err := trace.ParseTraceState(s)
	if err != nil {
		panic(err)
	}
	return ts
}

// workload emits a deterministic trace covering every kind of line and
// value: a host span under a remote parent with set-tags, an engine call
// with LLM attempts, class, enum, list and map values, a failure two
// traced levels down, and a second tree with awkward strings.
// workloadEvents is the number of events workload emits.
const workloadEvents = 18

func workload(sink vmspan.Sink) {
	ids, clock := vmspan.SequentialIDs(), spantest.StepClock()
	tr := vmspan.NewTracer(sink, vmspan.WithIDs(ids), vmspan.WithClock(clock))
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remoteParent)
	ctx, h := tr.Start(ctx, "HandleRequest", "user", "ann", "api_key", "sk-live-123", "n", 3, "ratio", 0.5, "whole", 2.0)
	vmspan.SetTags(ctx, "env", "test", "region", "eu")
	ticket := vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "priority", Value: int64(1)}, {Name: "title", Value: "Printer"}}}
	root := tr.StartSpan(ctx, "Triage", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: []vmspan.Arg{
		{Name: "body", Value: "printer \"on\" fire\n<b>&</b>"},
		{Name: "color", Value: vmspan.Enum{Name: "Color", Value: "Red"}},
		{Name: "list", Value: []any{int64(1), 2.5, nil, true, map[string]any{"b": int64(2), "a": []any{}}}},
	}})
	frames := vmspan.NewFrameTracker(ctx, root)
	frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "ClassifyTicket", Kind: vmspan.KindLLM, Args: []vmspan.Arg{{Name: "body", Value: "printer"}}})
	vmspan.SpanFromContext(frames.Context()).AddAttempts(attempt(tr, "gpt-4o-mini", errors.New("HTTP 500")), attempt(tr, "gpt-4o", nil))
	frames.ExitFrame(2, ticket, nil)
	root.SetTags("step", "summarize")
	frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Summarize", Kind: vmspan.KindExpr, Args: []vmspan.Arg{{Name: "t", Value: ticket}}})
	frames.EnterFrame(&vmspan.Frame{Depth: 3, Name: "Headline", Kind: vmspan.KindLLM})
	vmspan.SpanFromContext(frames.Context()).AddAttempts(vmspan.LLMAttempt{Client: "Fast", Provider: "openai", Model: "gpt-4o-mini", Start: tr.Now(), Duration: 1500 * time.Microsecond})
	parseErr := errors.New("cannot parse output as string")
	frames.ExitFrame(3, nil, parseErr)
	frames.ExitFrame(2, nil, parseErr)
	frames.End(map[string]any{"headline": "Printer on fire", "score": 13.75}, nil)
	h.End(map[string]any{"status": "ok"}, nil)

	_, s := tr.Start(context.Background(), "naïve \x01 \xff name", "emoji", "😀", "big", 1e21, "tiny", 1e-7)
	s.End(nil, nil)

	// A tree exported by a live OpenTelemetry bridge, whose ids its end
	// lines record.
	bridged := vmspan.NewTracer(vmspan.Fanout(sink, exportedIDs{}), vmspan.WithIDs(ids), vmspan.WithClock(clock))
	bctx, b := bridged.Start(context.Background(), "Bridged")
	_, c := bridged.Start(bctx, "Child")
	c.End(nil, typedErr{"LLMHTTPError", "HTTP 429", "429"})
	b.End(nil, nil)
}

// exportedIDs is an IDSink that says every span was exported with ids
// made from its bex id, under the parent it would have.
type exportedIDs struct{}

func (exportedIDs) Emit(*vmspan.Event) {}

func (exportedIDs) RetainsEvents() bool { return false }

func (exportedIDs) OTelIDs(id vmspan.SpanID) (vmspan.OTelIDs, bool) {
	return vmspan.OTelIDs{TraceID: trace.TraceID{0xab, 15: 0xcd}, SpanID: vmspan.OTelSpanID(id), Sampled: true}, true
}

// typedErr is an error with a bex type and an OpenTelemetry code.
type typedErr struct{ typ, msg, code string }

func (e typedErr) Error() string     { return e.msg }
func (e typedErr) ErrorType() string { return e.typ }
func (e typedErr) ErrorCode() string { return e.code }

func attempt(tr *vmspan.Tracer, model string, err error) vmspan.LLMAttempt {
	in, out, cached, created, reasoning, maxTok := int64(120), int64(9), int64(100), int64(8), int64(4), int64(256)
	temp := 0.2
	start := tr.Now()
	a := vmspan.LLMAttempt{
		Client: "Fast", Provider: "openai", Model: model, ResponseModel: model + "-2024-07-18", ResponseID: "chatcmpl-1",
		ServerAddress: "127.0.0.1", ServerPort: 8080, Start: start, Duration: tr.Now().Sub(start),
		Usage:        vmspan.Usage{InputTokens: &in, OutputTokens: &out, CachedInputTokens: &cached, CacheCreationInputTokens: &created, ReasoningTokens: &reasoning},
		FinishReason: "stop", Selected: err == nil, Temperature: &temp, MaxTokens: &maxTok,
		Request: &vmspan.HTTPRecord{Method: "POST", URL: "http://127.0.0.1:8080/v1/chat/completions",
			Headers: map[string]string{"Authorization": vmspan.Redacted, "Content-Type": "application/json"}, Body: `{"model":"` + model + `"}`},
		Response: &vmspan.HTTPRecord{Status: 200, Body: `{"id":"chatcmpl-1"}`},
		Messages: []vmspan.Message{{Role: "system", Content: "Extract."}, {Role: "user", Content: "printer"}},
		Output:   `{"title":"Printer","priority":1}`,
	}
	if err != nil {
		a.Err, a.Response, a.Output, a.FinishReason = vmspan.ErrorInfoOf(err), &vmspan.HTTPRecord{Status: 500}, "", ""
		a.Usage = vmspan.Usage{}
		a.Err.Code = "500"
	} else {
		a.OTel = &vmspan.OTelIDs{TraceID: trace.TraceID{0x4b, 15: 0x36}, SpanID: trace.SpanID{0x01, 7: 0x02}, Parent: trace.SpanID{0x03, 7: 0x04}, Sampled: true}
	}
	return a
}

// readAll reads every event of b, failing the test on any error.
func readAll(t *testing.T, b []byte) []vmspan.Event {
	t.Helper()
	var out []vmspan.Event
	for e, err := range Read(bytes.NewReader(b)) {
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		out = append(out, e)
	}
	return out
}

// equalEvents compares events field by field, comparing times with Equal.
func equalEvents(t *testing.T, want, got []vmspan.Event) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := normalize(want[i]), normalize(got[i])
		wv, gv := reflect.ValueOf(w), reflect.ValueOf(g)
		for f := 0; f < wv.NumField(); f++ {
			if !reflect.DeepEqual(wv.Field(f).Interface(), gv.Field(f).Interface()) {
				t.Errorf("event %d (%v %s): %s = %#v, want %#v", i, w.Kind, w.Name, wv.Type().Field(f).Name,
					gv.Field(f).Interface(), wv.Field(f).Interface())
			}
		}
	}
}

// normalize puts times in UTC without monotonic readings.
func normalize(e vmspan.Event) vmspan.Event {
	e.Time, e.Start = e.Time.UTC(), e.Start.UTC()
	if len(e.Attempts) > 0 {
		as := make([]vmspan.LLMAttempt, len(e.Attempts))
		copy(as, e.Attempts)
		for i := range as {
			as[i].Start = as[i].Start.UTC()
		}
		e.Attempts = as
	}
	return e
}

func readGolden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return want
}
