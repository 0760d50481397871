package vmspan_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// find returns the first event of kind k of the span named name, or nil.
func find(r *spantest.Recorder, k vmspan.EventKind, name string) *vmspan.Event {
	if e, ok := r.Find(k, name); ok {
		return &e
	}
	return nil
}

func fixedClock() func() time.Time {
	t := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func newTracer(r *spantest.Recorder) *vmspan.Tracer {
	return r.Tracer(vmspan.WithClock(fixedClock()))
}

func TestHostSpansNest(t *testing.T) {
	r := new(spantest.Recorder)
	tr := newTracer(r)
	ctx, parent := tr.Start(context.Background(), "parent", "user", "ann", "n", 3)
	ctx2, child := tr.Start(ctx, "child")
	child.End("done", nil)
	parent.End(nil, nil)
	_ = ctx2

	if got := r.Count(vmspan.EventStart); got != 2 {
		t.Fatalf("starts = %d, want 2", got)
	}
	if got := r.Count(vmspan.EventEnd); got != 2 {
		t.Fatalf("ends = %d, want 2", got)
	}
	ps, cs := find(r, vmspan.EventStart, "parent"), find(r, vmspan.EventStart, "child")
	if cs.Span.Parent != ps.Span.ID || cs.Span.Root != ps.Span.ID || len(cs.Stack) != 2 || cs.Stack[1] != cs.Span.ID {
		t.Errorf("child context %+v stack %v; parent %v", cs.Span, cs.Stack, ps.Span.ID)
	}
	if want := []vmspan.Arg{{"user", "ann"}, {"n", int64(3)}}; fmt.Sprint(ps.Args) != fmt.Sprint(want) {
		t.Errorf("args = %v, want %v (named, in order)", ps.Args, want)
	}
	ce := find(r, vmspan.EventEnd, "child")
	if ce.Result != "done" || ce.Duration != time.Millisecond || !ce.Start.Equal(cs.Time) {
		t.Errorf("child end: result %v duration %v start %v", ce.Result, ce.Duration, ce.Start)
	}
	if ps.SpanKind != vmspan.KindHostSpan || ps.TraceID != vmspan.OTelTraceID(ps.Span.ID) || cs.TraceID != ps.TraceID {
		t.Errorf("kind %v trace ids %v %v", ps.SpanKind, ps.TraceID, cs.TraceID)
	}
	if ps.ID == ce.ID || ps.ID.IsZero() {
		t.Errorf("event ids must be distinct and set")
	}
}

func TestEndOnceAndError(t *testing.T) {
	r := new(spantest.Recorder)
	_, s := newTracer(r).Start(context.Background(), "f")
	s.End(nil, errors.New("boom"))
	s.End("again", nil)
	if r.Count(vmspan.EventEnd) != 1 {
		t.Fatalf("ends = %d, want exactly 1", r.Count(vmspan.EventEnd))
	}
	e := find(r, vmspan.EventEnd, "f")
	if !e.Failed() || e.Err.Message != "boom" || e.Err.Type != "errorString" || e.Result != nil {
		t.Errorf("end = %+v err %+v", e, e.Err)
	}
}

func TestTagsScopedPerSpan(t *testing.T) {
	r := new(spantest.Recorder)
	tr := newTracer(r)
	ctx, root := tr.Start(context.Background(), "root")
	vmspan.SetTags(ctx, "env", "test")
	c1ctx, c1 := tr.Start(ctx, "c1")
	vmspan.SetTags(c1ctx, "only", "c1")
	_, grand := tr.Start(c1ctx, "grand")
	_, c2 := tr.Start(ctx, "c2")
	grand.End(nil, nil)
	c1.End(nil, nil)
	c2.End(nil, nil)
	root.End(nil, nil)

	if tags := find(r, vmspan.EventStart, "c2").Tags; tags["env"] != "test" || tags["only"] != "" {
		t.Errorf("c2 tags = %v: inherits env, never its sibling's tag", tags)
	}
	if tags := find(r, vmspan.EventStart, "grand").Tags; tags["env"] != "test" || tags["only"] != "c1" {
		t.Errorf("grand tags = %v", tags)
	}
	if tags := find(r, vmspan.EventEnd, "root").Tags; len(tags) != 1 {
		t.Errorf("root tags = %v: a child's tag never reaches the parent", tags)
	}
	if st := find(r, vmspan.EventSetTags, "c1"); st == nil || st.Tags["only"] != "c1" || len(st.Tags) != 1 {
		t.Errorf("set-tags event = %+v", st)
	}
}

func TestNoSinkNoWork(t *testing.T) {
	tr := vmspan.NewTracer(nil)
	ctx := context.Background()
	ctx2, s := tr.Start(ctx, "x", "a", 1)
	if s != nil || ctx2 != ctx {
		t.Fatal("a tracer without sink must return ctx unchanged and a nil span")
	}
	s.End(1, nil) // no-op on nil
	s.SetTags("a", "b")
	if n := testing.AllocsPerRun(100, func() { _, sp := tr.Start(ctx, "x"); sp.End(nil, nil) }); n != 0 {
		t.Errorf("allocs with no sink = %v, want 0", n)
	}
}

func TestConcurrentChildren(t *testing.T) {
	r := new(spantest.Recorder)
	tr := newTracer(r)
	ctx, root := tr.Start(context.Background(), "root")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, s := tr.Start(ctx, fmt.Sprintf("child%d", i))
			s.End(i, nil)
		}()
	}
	wg.Wait()
	root.End(nil, nil)
	if r.Count(vmspan.EventStart) != 11 || r.Count(vmspan.EventEnd) != 11 {
		t.Fatalf("starts %d ends %d, want 11 and 11", r.Count(vmspan.EventStart), r.Count(vmspan.EventEnd))
	}
	rootID := find(r, vmspan.EventStart, "root").Span.ID
	for _, e := range r.Events() {
		if e.Name != "root" && e.Span.Parent != rootID {
			t.Errorf("%s parent = %v, want root", e.Name, e.Span.Parent)
		}
	}
}

func TestRemoteParent(t *testing.T) {
	r := new(spantest.Recorder)
	tr := newTracer(r)
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), remote)
	ctx, root := tr.Start(ctx, "root")
	_, child := tr.Start(ctx, "child")
	child.End(nil, nil)
	root.End(nil, nil)
	rs, cs := find(r, vmspan.EventStart, "root"), find(r, vmspan.EventStart, "child")
	if rs.Remote == nil || rs.Remote.SpanID != remote.SpanID() || rs.TraceID != remote.TraceID() {
		t.Errorf("root remote = %+v trace %v", rs.Remote, rs.TraceID)
	}
	if cs.Remote != nil || cs.TraceID != remote.TraceID() {
		t.Errorf("child remote = %+v (want nil: its parent is bex) trace %v", cs.Remote, cs.TraceID)
	}
	h := vmspan.HostContext(ctx)
	if h.Parent != rs.Span.ID || h.Remote != nil {
		t.Errorf("host context %+v", h)
	}
}

func TestTraceparent(t *testing.T) {
	good := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	r, err := vmspan.ParseTraceparent(good)
	if err != nil || r.Traceparent() != good {
		t.Fatalf("round trip: %v %q", err, r.Traceparent())
	}
	for _, bad := range []string{
		"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
		"00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
		"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
		"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	} {
		if _, err := vmspan.ParseTraceparent(bad); err == nil {
			t.Errorf("ParseTraceparent(%q) accepted", bad)
		}
	}
	if _, err := vmspan.ParseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future"); err != nil {
		t.Errorf("future version with extra fields rejected: %v", err)
	}
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := vmspan.ParseTraceparent(s)
		// Any accepted version is re-emitted as version 00 with the same fields.
		if err == nil && r.Traceparent()[2:] != s[2:55] {
			t.Errorf("accepted %q but prints %q", s, r.Traceparent())
		}
	})
}

func TestIsSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"api_key": true, "apiKey": true, "x-api-key": true, "X-Api-Key": true, "token": true,
		"access_token": true, "password": true, "client_secret": true, "Authorization": true,
		"max_tokens": false, "tokens": false, "title": false, "keyword": false, "author": false,
		"OPENAI_API_KEY": true, "secret": true, "prompt_tokens": false,
		// Characters that fold to ASCII letters: the Kelvin sign to k, the
		// long s to s (strings.EqualFold).
		"to\u212aen": true, "pa\u017f\u017fword": true, "api_\u212aey": true, "TOKEN": true, "ToKeN": false,
		"_token_": true, "t": false, "tok": false, "@token": false, "xtoken": false,
	} {
		if got := vmspan.IsSecretKey(k); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestSnapshot(t *testing.T) {
	type user struct {
		Name     string `json:"name"`
		Password string `json:"password"`
		Age      int    `json:"age"`
	}
	list := []any{1, "a"}
	got := vmspan.Snapshot(map[string]any{"u": user{"ann", "hunter2", 40}, "l": list, "token": "t0k"})
	list[0] = 99 // later mutation must not reach the snapshot
	want := "map[l:[1 a] token:[REDACTED] u:map[age:40 name:ann password:[REDACTED]]]"
	if fmt.Sprint(got) != want {
		t.Errorf("Snapshot = %v\nwant       %v", got, want)
	}
	if m := got.(map[string]any)["u"].(map[string]any); fmt.Sprintf("%T", m["age"]) != "int64" {
		t.Errorf("numbers must become int64, got %T", m["age"])
	}
}

func TestHostArgsRedacted(t *testing.T) {
	r := new(spantest.Recorder)
	_, s := newTracer(r).Start(context.Background(), "login", "user", "ann", "password", "hunter2")
	s.SetTags("api_key", "sk-123")
	s.End(nil, nil)
	if fmt.Sprint(r.Events()) == "" || containsString(fmt.Sprintf("%+v", r.Events()), "hunter2") || containsString(fmt.Sprintf("%+v", r.Events()), "sk-123") {
		t.Errorf("secret leaked into events: %+v", r.Events())
	}
}

func containsString(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (func() bool {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
		return false
	})()
}

func TestDeterministicIDs(t *testing.T) {
	ids := vmspan.SequentialIDs()
	a := ids()
	if a.String() != "00000000-0000-7000-8000-000000000001" {
		t.Errorf("first sequential id = %s", a)
	}
	if vmspan.OTelSpanID(a) != vmspan.OTelSpanID(a) || vmspan.OTelSpanID(a) == vmspan.AttemptSpanID(a, 0) ||
		vmspan.AttemptSpanID(a, 0) == vmspan.AttemptSpanID(a, 1) || !vmspan.OTelTraceID(a).IsValid() {
		t.Error("id functions must be pure and distinct by purpose")
	}
	// Golden values: changing the hash breaks trace files replayed later.
	if got := vmspan.OTelTraceID(a).String(); got != goldenTraceID {
		t.Errorf("OTelTraceID = %s, want %s", got, goldenTraceID)
	}
	id := vmspan.NewSpanID()
	if id.IsZero() || id[6]>>4 != 7 {
		t.Errorf("NewSpanID = %s, want a UUID v7", id)
	}
	back, err := vmspan.ParseSpanID(id.String())
	if err != nil || back != id {
		t.Errorf("ParseSpanID round trip: %v", err)
	}
}

const goldenTraceID = "a47779e04744ec8657a6e2126e3015ba" // sha256("bex/trace/v1:" || 0x00000000000070008000000000000001)[:16], checked with Python

func TestFanout(t *testing.T) {
	a, b := new(spantest.Recorder), new(spantest.Recorder)
	if vmspan.Fanout() != nil || vmspan.Fanout(nil, nil) != nil {
		t.Error("empty fanout must be nil")
	}
	if vmspan.Fanout(a, nil) != vmspan.Sink(a) || vmspan.Fanout(nil, a, nil) != vmspan.Sink(a) || vmspan.Fanout(a, a) != vmspan.Sink(a) {
		t.Error("single-sink fanout must be the sink itself")
	}
	if n := testing.AllocsPerRun(100, func() { vmspan.Fanout(nil, a, nil) }); n != 0 {
		t.Errorf("a single-sink fanout allocates %v times", n)
	}
	if two := vmspan.Fanout(a, b); vmspan.Fanout(nil, two) == nil {
		t.Error("a fanout alone must stay a fanout")
	}
	fn := vmspan.SinkFunc(func(*vmspan.Event) {}) // not comparable: must not panic
	f := vmspan.Fanout(vmspan.Fanout(a, b, fn), nil, a, fn)
	f.Emit(&vmspan.Event{Name: "x"})
	if len(a.Events()) != 1 || len(b.Events()) != 1 {
		t.Errorf("fanout must reach every sink once, got %d and %d", len(a.Events()), len(b.Events()))
	}
}

func BenchmarkHostSpan(b *testing.B) {
	tr := vmspan.NewTracer(vmspan.SinkFunc(func(*vmspan.Event) {}))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, s := tr.Start(ctx, "x")
		s.End(nil, nil)
	}
}

// BenchmarkTracedFrame is a traced frame's span into a sink that may
// retain events, so that no span memory is reused.
func BenchmarkTracedFrame(b *testing.B) {
	tr := vmspan.NewTracer(vmspan.SinkFunc(func(*vmspan.Event) {}))
	ft := vmspan.NewFrameTracker(context.Background(), tr.StartSpan(context.Background(), "root", vmspan.StartConfig{Kind: vmspan.KindRoot}))
	f := &vmspan.Frame{Depth: 2, Name: "f", Kind: vmspan.KindLLM}
	b.ReportAllocs()
	for b.Loop() {
		ft.EnterFrame(f)
		ft.ExitFrame(2, nil, nil)
	}
}

func TestIsSecretKeyAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { vmspan.IsSecretKey("client_apiKey-X") }); n != 0 {
		t.Errorf("IsSecretKey allocates %v times", n)
	}
}

// TestIsSecretKeyCache asks IsSecretKey about more keys than it caches,
// twice and from two goroutines: cached or not, every answer stays right.
func TestIsSecretKeyCache(t *testing.T) {
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for round := range 2 {
				for i := range 6000 {
					if k := fmt.Sprintf("field%d_token", i); !vmspan.IsSecretKey(k) {
						t.Errorf("round %d: IsSecretKey(%q) = false", round, k)
					}
					if k := fmt.Sprintf("field%d_tokens", i); vmspan.IsSecretKey(k) {
						t.Errorf("round %d: IsSecretKey(%q) = true", round, k)
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestDiscard(t *testing.T) {
	tr := vmspan.NewTracer(vmspan.Discard)
	ctx, s := tr.Start(context.Background(), "work")
	if s == nil || vmspan.SpanFromContext(ctx) != s {
		t.Fatal("a tracer with the Discard sink made no span")
	}
	s.End(1, nil)
	if vmspan.Fanout(vmspan.Discard, vmspan.Discard) != vmspan.Discard {
		t.Error("Fanout kept Discard twice")
	}
}

// TestConcurrentEnd races End, SetTags and AddAttempts on one span: exactly
// one end event, after the start event, and no set-tags event that was
// applied after it.
func TestConcurrentEnd(t *testing.T) {
	for range 200 {
		var mu sync.Mutex
		var events []vmspan.Event
		tr := vmspan.NewTracer(vmspan.SinkFunc(func(e *vmspan.Event) {
			mu.Lock()
			events = append(events, *e)
			mu.Unlock()
		}))
		_, s := tr.Start(context.Background(), "racy")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				switch i % 3 {
				case 0:
					s.End(i, nil)
				case 1:
					s.SetTags("k", i)
				case 2:
					s.AddAttempts(vmspan.LLMAttempt{Client: "c"})
				}
			})
		}
		wg.Wait()
		s.End(nil, errors.New("late"))
		ends := 0
		for i, e := range events {
			switch {
			case i == 0 && e.Kind != vmspan.EventStart:
				t.Fatalf("first event is %s", e.Kind)
			case e.Kind == vmspan.EventEnd:
				ends++
				if e.Err != nil {
					t.Fatalf("the End after the others took effect: %v", e.Err)
				}
			}
		}
		if ends != 1 {
			t.Fatalf("%d end events, want 1", ends)
		}
	}
}

// TestFrameTrackerReuse checks when a FrameTracker reuses an ended span's
// memory: only that of a traced frame's span whose sinks retain nothing
// and of which no Context was made.
func TestFrameTrackerReuse(t *testing.T) {
	rec := new(spantest.Recorder)
	for _, tt := range []struct {
		name  string
		sink  vmspan.Sink
		ctx   bool // make a Context of the first frame
		reuse bool
	}{
		{"discard", vmspan.Discard, false, true},
		{"retaining sink", rec, false, false},
		{"fan-out with a retaining sink", vmspan.Fanout(vmspan.Discard, rec), false, false},
		{"after Context", vmspan.Discard, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A span lends sinks its own event, so the event's address
			// tells which span memory an event came from.
			at := &lentAt{Sink: tt.sink, start: map[string]*vmspan.Event{}}
			root := vmspan.NewTracer(at).StartSpan(context.Background(), "root", vmspan.StartConfig{Kind: vmspan.KindRoot})
			ft := vmspan.NewFrameTracker(context.Background(), root)
			ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: "a", Kind: vmspan.KindExpr, Args: []vmspan.Arg{{Name: "x", Value: int64(1)}}})
			if tt.ctx {
				ft.Context()
			}
			ft.ExitFrame(2, nil, nil)
			ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: "b", Kind: vmspan.KindExpr})
			if reused := at.start["a"] == at.start["b"]; reused != tt.reuse {
				t.Errorf("reused: %v, want %v", reused, tt.reuse)
			}
			b := vmspan.SpanFromContext(ft.Context())
			if b.Name() != "b" || b.SpanContext().Parent != root.SpanContext().ID || len(b.Stack()) != 2 {
				t.Errorf("reused span: %q, %+v, stack %v", b.Name(), b.SpanContext(), b.Stack())
			}
			ft.ExitFrame(2, nil, nil)
			ft.ExitFrame(2, nil, nil) // an exit of a frame no longer open does nothing
			ft.End(nil, nil)
			ft.End(nil, nil) // a second End neither emits nor ends twice
			if at.ends != 3 {
				t.Errorf("%d end events, want 3", at.ends)
			}
		})
	}
}

// lentAt records the address of each span's start event and counts ends.
type lentAt struct {
	vmspan.Sink
	start map[string]*vmspan.Event
	ends  int
}

func (l *lentAt) Emit(e *vmspan.Event) {
	if e.Kind == vmspan.EventStart {
		l.start[e.Name] = e
	} else if e.Kind == vmspan.EventEnd {
		l.ends++
	}
	l.Sink.Emit(e)
}

func (l *lentAt) RetainsEvents() bool { return vmspan.Retains(l.Sink) }

// copier is a sink that keeps nothing of the events it is lent but a
// copy of their scalar fields, as an encoding sink does.
type copier struct{ seen []seenEvent }

type seenEvent struct {
	kind   vmspan.EventKind
	id     vmspan.SpanID
	name   string
	args   string
	result any
	start  time.Time
	err    bool
}

func (c *copier) Emit(e *vmspan.Event) {
	c.seen = append(c.seen, seenEvent{e.Kind, e.ID, e.Name, fmt.Sprint(e.Args), e.Result, e.Start, e.Err != nil})
}

func (*copier) RetainsEvents() bool { return false }

// TestLentEvents checks what a sink sees of the event a span lends it
// twice (its start event, then, changed in place, its end event), when
// the span's memory is reused from call to call, and that a copy kept by a
// retaining sink is unchanged by the span's end.
func TestLentEvents(t *testing.T) {
	var c copier
	rec := new(spantest.Recorder)
	ft := vmspan.NewFrameTracker(context.Background(), vmspan.NewTracer(vmspan.Fanout(&c)).StartSpan(context.Background(), "root", vmspan.StartConfig{Kind: vmspan.KindRoot}))
	for i := range 3 {
		ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: fmt.Sprint("f", i), Kind: vmspan.KindExpr, Args: []vmspan.Arg{{Name: "x", Value: int64(i)}}})
		var err error
		if i == 1 {
			err = errors.New("boom")
		}
		ft.ExitFrame(2, int64(10*i), err)
	}
	seen := c.seen[1:] // after the root's start
	if len(seen) != 6 {
		t.Fatalf("%d events, want 6", len(seen))
	}
	ids := map[vmspan.SpanID]bool{}
	for i := range 3 {
		start, end := seen[2*i], seen[2*i+1]
		name, args := fmt.Sprint("f", i), fmt.Sprintf("[{x %d}]", i)
		if start.kind != vmspan.EventStart || start.name != name || start.args != args || start.result != nil || !start.start.IsZero() || start.err {
			t.Errorf("start event %d: %+v", i, start)
		}
		var want any = int64(10 * i)
		if i == 1 {
			want = nil
		}
		if end.kind != vmspan.EventEnd || end.name != name || end.args != args || end.result != want || end.start.IsZero() || end.err != (i == 1) {
			t.Errorf("end event %d: %+v", i, end)
		}
		ids[start.id], ids[end.id] = true, true
	}
	if len(ids) != 6 {
		t.Errorf("event ids not unique: %v", ids)
	}

	tr := vmspan.NewTracer(rec)
	_, s := tr.Start(context.Background(), "kept", "a", 1)
	s.End(2, nil)
	if start := find(rec, vmspan.EventStart, "kept"); start == nil || start.Result != nil || !start.Start.IsZero() || start.Duration != 0 {
		t.Errorf("kept start event changed by the end: %+v", start)
	}
	if end := find(rec, vmspan.EventEnd, "kept"); end == nil || end.Result != int64(2) {
		t.Errorf("end event: %+v", end)
	}
}

// summarized is an error whose message quotes a value, with a summary
// that does not.
type summarized struct{}

func (summarized) Error() string        { return `cannot convert "VALUE" to int` }
func (summarized) ErrorSummary() string { return "cannot convert a string to int" }

// TestErrorSummary: the summary is the ErrorSummary of the first error in
// the chain that has one (text wrapped around it is left out), else the
// message.
func TestErrorSummary(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{summarized{}, "cannot convert a string to int"},
		{fmt.Errorf("call with VALUE: %w", summarized{}), "cannot convert a string to int"},
		{errors.New("step limit exceeded"), "step limit exceeded"},
		{context.DeadlineExceeded, "context deadline exceeded"},
	} {
		if got := vmspan.ErrorSummary(tt.err); got != tt.want {
			t.Errorf("ErrorSummary(%v) = %q, want %q", tt.err, got, tt.want)
		}
		if info := vmspan.ErrorInfoOf(tt.err); info.Summary != tt.want || info.Message != tt.err.Error() {
			t.Errorf("ErrorInfoOf(%v) = %+v", tt.err, info)
		}
	}
}
