package collector_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if n := collector.Retained(); code == 0 && n != 0 {
		fmt.Fprintf(os.Stderr, "collector.Retained() = %d after all tests closed their collectors\n", n)
		code = 1
	}
	os.Exit(code)
}

// newTracer returns a tracer with no sink of its own: events reach only
// the sinks of the calls' subtrees, as with an engine whose only listener is
// a Collector.
func newTracer() *vmspan.Tracer {
	return vmspan.NewTracer(nil, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
}

func newCollector(t *testing.T, opts ...collector.Option) *collector.Collector {
	c := collector.New(t.Name(), opts...)
	t.Cleanup(c.Close)
	return c
}

// call simulates an engine call: a root span carrying the collectors as
// sinks of its subtree, whose body runs inside it.
func call(ctx context.Context, tr *vmspan.Tracer, name string, body func(root *vmspan.Span) (any, error), cs ...vmspan.Sink) (any, error) {
	root := tr.StartSpan(ctx, name, vmspan.StartConfig{
		Kind: vmspan.KindRoot, Args: []vmspan.Arg{{Name: "body", Value: "ticket"}, {Name: "n", Value: int64(3)}}, Sinks: cs,
	})
	var res any
	var err error
	if body != nil {
		res, err = body(root)
	}
	root.End(res, err)
	return res, err
}

// child starts a span below parent as the engine starts a traced frame's:
// its events go where parent's go.
func child(tr *vmspan.Tracer, parent *vmspan.Span, name string, kind vmspan.Kind, args []vmspan.Arg) *vmspan.Span {
	return tr.StartSpan(parent.Context(context.Background()), name, vmspan.StartConfig{Kind: kind, Args: args})
}

func ok(v any) func(*vmspan.Span) (any, error) {
	return func(*vmspan.Span) (any, error) { return v, nil }
}

// llm runs an LLM function span under parent with one attempt per model;
// the last attempt is selected.
func llm(tr *vmspan.Tracer, parent *vmspan.Span, name string, err error, models ...string) {
	s := child(tr, parent, name, vmspan.KindLLM, []vmspan.Arg{{Name: "body", Value: "ticket"}})
	for i, m := range models {
		in, out := int64(100*(i+1)), int64(10*(i+1))
		start := tr.Now()
		a := vmspan.LLMAttempt{
			Client: "Fast", Provider: "openai", Model: m, Start: start, Duration: tr.Now().Sub(start),
			Usage: vmspan.Usage{InputTokens: &in, OutputTokens: &out}, FinishReason: "stop", Selected: i == len(models)-1,
			Request:  &vmspan.HTTPRecord{Method: "POST", URL: "http://127.0.0.1/v1/chat/completions"},
			Response: &vmspan.HTTPRecord{Status: 200, Body: `{"ok":true}`},
		}
		if err != nil && i == len(models)-1 {
			a.Err, a.Selected = vmspan.ErrorInfoOf(err), false
		}
		s.AddAttempts(a)
	}
	s.End("out", err)
}

func TestEmpty(t *testing.T) {
	c := newCollector(t)
	if logs := c.Logs(); len(logs) != 0 {
		t.Errorf("Logs() = %v, want none", logs)
	}
	if l := c.Last(); l != nil {
		t.Errorf("Last() = %+v, want nil", l)
	}
	if u := c.Usage(); u.InputTokens != nil || u.OutputTokens != nil || u.CachedInputTokens != nil {
		t.Errorf("Usage() = %+v, want all nil", u)
	}
	if l := c.ByID("00000000-0000-7000-8000-000000000001"); l != nil {
		t.Errorf("ByID = %+v, want nil", l)
	}
	if n := c.Clear(); n != 0 {
		t.Errorf("Clear() = %d, want 0", n)
	}
	if c.Name() != t.Name() {
		t.Errorf("Name() = %q", c.Name())
	}
}

func TestOneCall(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "main", func(root *vmspan.Span) (any, error) {
		root.SetTags("env", "test")
		return int64(42), nil
	}, c)

	logs := c.Logs()
	if len(logs) != 1 {
		t.Fatalf("%d logs, want 1", len(logs))
	}
	l := logs[0]
	if c.Last() != l {
		t.Errorf("Last() is not Logs()[0]")
	}
	if c.ByID(l.ID) != l {
		t.Errorf("ByID(%q) is not Logs()[0]", l.ID)
	}
	if l.FunctionName != "main" || l.Kind != vmspan.KindRoot || l.Result != int64(42) || l.Error != nil {
		t.Errorf("log = %q %v result %v error %v", l.FunctionName, l.Kind, l.Result, l.Error)
	}
	if len(l.Args) != 2 || l.Args[0].Name != "body" || l.Args[1].Name != "n" {
		t.Errorf("args = %+v, want body, n in order", l.Args)
	}
	// The step clock reads: root start, set-tags, root end.
	if l.Timing.DurationMs != 2 || l.Timing.StartUTCMs != l.Timing.Start.UnixMilli() {
		t.Errorf("timing = %+v, want 2 ms", l.Timing)
	}
	if l.Tags["env"] != "test" || len(l.Tags) != 1 {
		t.Errorf("tags = %v, want env=test", l.Tags)
	}
	if len(l.Calls) != 0 || len(l.Spans) != 1 || len(l.Events) != 3 {
		t.Errorf("%d calls, %d spans, %d events; want 0, 1, 3", len(l.Calls), len(l.Spans), len(l.Events))
	}
	if got := c.Stats(); got != (collector.Stats{Logs: 1, Events: 3}) {
		t.Errorf("Stats() = %+v", got)
	}
}

func TestClearReleasesEvents(t *testing.T) {
	before := collector.Retained()
	c := newCollector(t)
	tr := newTracer()
	for range 3 {
		call(context.Background(), tr, "main", ok(nil), c)
	}
	if got := collector.Retained() - before; got != 6 {
		t.Errorf("retained %d events, want 6", got)
	}
	if n := c.Clear(); n != 3 {
		t.Errorf("Clear() = %d, want 3", n)
	}
	if len(c.Logs()) != 0 || c.Last() != nil {
		t.Errorf("logs remain after Clear")
	}
	if got := collector.Retained() - before; got != 0 {
		t.Errorf("retained %d events after Clear, want 0", got)
	}
	call(context.Background(), tr, "again", ok(nil), c)
	if l := c.Logs(); len(l) != 1 || l[0].FunctionName != "again" {
		t.Errorf("after Clear and a call, logs = %v", l)
	}
}

func TestTwoCollectorsOneCall(t *testing.T) {
	c1, c2 := newCollector(t), newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "main", func(root *vmspan.Span) (any, error) {
		llm(tr, root, "Classify", nil, "gpt-4o-mini")
		return "x", nil
	}, c1, c2)
	for _, c := range []*collector.Collector{c1, c2} {
		if l := c.Logs(); len(l) != 1 || len(l[0].Calls) != 1 {
			t.Fatalf("logs = %v, want one with one call", l)
		}
	}
	before := collector.Retained()
	c1.Close()
	if got := before - collector.Retained(); got != 4 {
		t.Errorf("closing one collector released %d events, want 4", got)
	}
	if len(c1.Logs()) != 0 {
		t.Errorf("closed collector still has logs")
	}
	if l := c2.Last(); l == nil || l.FunctionName != "main" || len(l.Events) != 4 {
		t.Errorf("the other collector's log = %+v", l)
	}
}

func TestThousandCallsThenClose(t *testing.T) {
	if n := collector.Retained(); n != 0 {
		t.Fatalf("Retained() = %d before the test, want 0", n)
	}
	c := collector.New("thousand")
	tr := newTracer()
	for range 1000 {
		call(context.Background(), tr, "main", func(root *vmspan.Span) (any, error) {
			llm(tr, root, "Classify", nil, "m")
			return nil, nil
		}, c)
	}
	if n := collector.Retained(); n != 4000 {
		t.Errorf("Retained() = %d, want 4000", n)
	}
	if n := len(c.Logs()); n != 1000 {
		t.Errorf("%d logs, want 1000", n)
	}
	c.Close()
	if n := collector.Retained(); n != 0 {
		t.Errorf("Retained() = %d after Close, want 0", n)
	}
	call(context.Background(), tr, "late", ok(nil), c)
	if n := collector.Retained(); n != 0 || len(c.Logs()) != 0 {
		t.Errorf("a closed collector recorded a call: retained %d", n)
	}
	c.Close() // idempotent
}

func TestErrorTwoTracedLevelsDown(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	boom := errors.New("provider returned 500")
	_, err := call(context.Background(), tr, "Pipeline", func(root *vmspan.Span) (any, error) {
		expr := child(tr, root, "Summarize", vmspan.KindExpr, nil)
		llm(tr, expr, "Headline", boom, "gpt-4o-mini")
		expr.End(nil, boom)
		return nil, boom
	}, c)
	if err == nil {
		t.Fatal("want an error")
	}
	l := c.Last()
	if l == nil || l.Error == nil || l.Error.Message != boom.Error() || l.Result != nil {
		t.Fatalf("log = %+v, want the error", l)
	}
	if l.Timing.DurationMs <= 0 {
		t.Errorf("duration %d ms, want > 0", l.Timing.DurationMs)
	}
	want := []struct {
		name   string
		depth  int
		failed bool
	}{{"Pipeline", 0, true}, {"Summarize", 1, true}, {"Headline", 2, true}}
	if len(l.Spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(l.Spans), len(want))
	}
	for i, w := range want {
		s := l.Spans[i]
		if s.Name != w.name || s.Depth != w.depth || (s.Error != nil) != w.failed || !s.Ended {
			t.Errorf("span %d = %+v, want %+v", i, s, w)
		}
	}
	if len(l.Calls) != 1 || l.Calls[0].Error == nil || l.Calls[0].FunctionName != "Headline" {
		t.Errorf("calls = %+v, want Headline's failed attempt", l.Calls)
	}
}

func TestUsageNilForExpressionCalls(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "Score", func(root *vmspan.Span) (any, error) {
		child(tr, root, "Helper", vmspan.KindExpr, nil).End(int64(1), nil)
		return int64(31), nil
	}, c)
	l := c.Last()
	if u := l.Usage; u.InputTokens != nil || u.OutputTokens != nil || u.CachedInputTokens != nil {
		t.Errorf("log usage = %+v, want all nil", u)
	}
	if u := c.Usage(); u.InputTokens != nil || u.OutputTokens != nil || u.CachedInputTokens != nil {
		t.Errorf("collector usage = %+v, want all nil", u)
	}
}

func TestLLMPipeline(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	ctx, parent := tr.Start(context.Background(), "handler") // no sink: a no-op host span
	call(ctx, tr, "Triage", func(root *vmspan.Span) (any, error) {
		llm(tr, root, "ClassifyTicket", nil, "gpt-4o-mini")
		llm(tr, root, "Headline", nil, "gpt-4o-mini", "gpt-4o") // a retry on another model
		return "done", nil
	}, c)
	parent.End(nil, nil)

	l := c.Last()
	names := []string{"ClassifyTicket", "Headline", "Headline"}
	models := []string{"gpt-4o-mini", "gpt-4o-mini", "gpt-4o"}
	if len(l.Calls) != len(names) {
		t.Fatalf("%d calls, want %d", len(l.Calls), len(names))
	}
	for i, cl := range l.Calls {
		if cl.FunctionName != names[i] || cl.Model != models[i] || cl.Provider != "openai" || cl.Client != "Fast" {
			t.Errorf("call %d = %s %s %s %s", i, cl.FunctionName, cl.Client, cl.Provider, cl.Model)
		}
		if cl.Timing.Start.Before(l.Timing.Start) || cl.Timing.Duration > l.Timing.Duration {
			t.Errorf("call %d %+v is not within the call %+v", i, cl.Timing, l.Timing)
		}
		if cl.Request == nil || cl.Response == nil || cl.Response.Status != 200 {
			t.Errorf("call %d lacks its HTTP records", i)
		}
	}
	if !l.Calls[0].Selected || l.Calls[1].Selected || !l.Calls[2].Selected {
		t.Errorf("selected = %v %v %v, want true false true", l.Calls[0].Selected, l.Calls[1].Selected, l.Calls[2].Selected)
	}
	// Usage: 100+100+200 input, 10+10+20 output, cached never reported.
	u := l.Usage
	if u.InputTokens == nil || *u.InputTokens != 400 || u.OutputTokens == nil || *u.OutputTokens != 40 || u.CachedInputTokens != nil {
		t.Errorf("usage = %s", fmtUsage(u))
	}
	if got := fmtUsage(c.Usage()); got != fmtUsage(u) {
		t.Errorf("collector usage %s, want %s", got, fmtUsage(u))
	}
}

func fmtUsage(u collector.Usage) string {
	f := func(p *int64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("in=%s out=%s cached=%s", f(u.InputTokens), f(u.OutputTokens), f(u.CachedInputTokens))
}

// TestNestedCallsAndDuplicates attaches one Collector to a call and to an
// engine call nested in a host function inside it, so that it receives the
// inner events twice.
func TestNestedCallsAndDuplicates(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "Outer", func(root *vmspan.Span) (any, error) {
		host := child(tr, root, "fetch", vmspan.KindHostFunc, nil)
		hctx := host.Context(context.Background())
		call(hctx, tr, "Inner", func(inner *vmspan.Span) (any, error) {
			inner.SetTags("k", "v")
			llm(tr, inner, "Deep", nil, "m")
			return nil, nil
		}, c)
		host.End(nil, nil)
		return nil, nil
	}, c)
	logs := c.Logs()
	if len(logs) != 1 {
		t.Fatalf("%d logs, want 1 (the inner call is in the outer's subtree)", len(logs))
	}
	l := logs[0]
	var names []string
	for _, s := range l.Spans {
		names = append(names, fmt.Sprintf("%s@%d", s.Name, s.Depth))
	}
	if got := fmt.Sprint(names); got != "[Outer@0 fetch@1 Inner@2 Deep@3]" {
		t.Errorf("spans = %s", got)
	}
	// 4 starts, 4 ends, 1 set-tags: each recorded once.
	if len(l.Events) != 9 || len(l.Calls) != 1 {
		t.Errorf("%d events and %d calls, want 9 and 1", len(l.Events), len(l.Calls))
	}
}

func TestParallelCallsUnderOneHostSpan(t *testing.T) {
	c := newCollector(t)
	tr := vmspan.NewTracer(vmspan.SinkFunc(func(*vmspan.Event) {}), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
	ctx, parent := tr.Start(context.Background(), "parent")
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			call(ctx, tr, fmt.Sprintf("call%d", i), func(root *vmspan.Span) (any, error) {
				llm(tr, root, "LLM", nil, "m")
				return int64(i), nil
			}, c)
		})
	}
	wg.Wait()
	parent.End(nil, nil)
	logs := c.Logs()
	if len(logs) != 2 {
		t.Fatalf("%d logs, want 2", len(logs))
	}
	for _, l := range logs {
		if len(l.Spans) != 2 || len(l.Calls) != 1 || l.Spans[0].Parent != parent.SpanContext().ID {
			t.Errorf("log %s: %d spans, %d calls, parent %s", l.FunctionName, len(l.Spans), len(l.Calls), l.Spans[0].Parent)
		}
	}
}

func TestTracerSinkMakesOneLogPerTree(t *testing.T) {
	c := newCollector(t)
	tr := vmspan.NewTracer(c, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
	ctx, h := tr.Start(context.Background(), "handler", "user", "ann")
	call(ctx, tr, "main", ok(nil))
	h.End("ok", nil)
	logs := c.Logs()
	if len(logs) != 1 || logs[0].FunctionName != "handler" || len(logs[0].Spans) != 2 {
		t.Fatalf("logs = %+v, want one log for the handler tree", logs)
	}
	if logs[0].Args[0] != (vmspan.Arg{Name: "user", Value: "ann"}) || logs[0].Result != "ok" {
		t.Errorf("args %v result %v", logs[0].Args, logs[0].Result)
	}
}

func TestMaxLogs(t *testing.T) {
	c := newCollector(t, collector.WithMaxLogs(3))
	tr := newTracer()
	for i := range 5 {
		call(context.Background(), tr, fmt.Sprint("call", i), ok(nil), c)
	}
	var names []string
	for _, l := range c.Logs() {
		names = append(names, l.FunctionName)
	}
	if got := fmt.Sprint(names); got != "[call2 call3 call4]" {
		t.Errorf("logs = %s, want the newest three", got)
	}
	if c.Dropped() != 2 {
		t.Errorf("Dropped() = %d, want 2", c.Dropped())
	}
	if s := c.Stats(); s.Events != 6 {
		t.Errorf("Stats() = %+v, want 6 events", s)
	}
}

func TestMaxEvents(t *testing.T) {
	c := newCollector(t, collector.WithMaxEvents(5))
	tr := newTracer()
	call(context.Background(), tr, "first", ok(nil), c) // 2 events
	call(context.Background(), tr, "second", func(root *vmspan.Span) (any, error) {
		llm(tr, root, "L1", nil, "m") // events 3..6 force out "first"
		llm(tr, root, "L2", nil, "m") // nothing completed is left to evict
		return nil, nil
	}, c)
	logs := c.Logs()
	if len(logs) != 1 || logs[0].FunctionName != "second" {
		t.Fatalf("logs = %+v, want only second", logs)
	}
	l := logs[0]
	if len(l.Events) != 5 || l.EventsOmitted != 1 || len(l.Calls) != 2 || len(l.Spans) != 3 {
		t.Errorf("%d events, %d omitted, %d calls, %d spans; want 5, 1, 2, 3", len(l.Events), l.EventsOmitted, len(l.Calls), len(l.Spans))
	}
	if s := c.Stats(); s.DroppedLogs != 1 || s.OmittedEvents != 1 || s.Events != 5 {
		t.Errorf("Stats() = %+v", s)
	}
}

func TestLateEvents(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	var straggler *vmspan.Span
	call(context.Background(), tr, "main", func(root *vmspan.Span) (any, error) {
		straggler = child(tr, root, "background", vmspan.KindHostFunc, nil)
		return nil, nil
	}, c)
	first := c.Last()
	straggler.End("late", nil)
	second := c.Last()
	if first == second || first.Spans[1].Ended || !second.Spans[1].Ended {
		t.Errorf("a late end must give a new snapshot and leave the old one unchanged")
	}
	if len(first.Events) != 3 || len(second.Events) != 4 {
		t.Errorf("events %d then %d, want 3 then 4", len(first.Events), len(second.Events))
	}

	// After Clear, late events of the dropped call start no bogus log.
	var late *vmspan.Span
	call(context.Background(), tr, "again", func(root *vmspan.Span) (any, error) {
		late = root
		return nil, nil
	}, c)
	c.Clear()
	child(tr, late, "orphan", vmspan.KindHostFunc, nil).End(nil, nil)
	if n := len(c.Logs()); n != 0 || c.Stats().Pending != 0 {
		t.Errorf("%d logs and %+v after late events of a cleared call", n, c.Stats())
	}
}

func TestByIDUnknown(t *testing.T) {
	c := newCollector(t)
	call(context.Background(), newTracer(), "main", ok(nil), c)
	for _, id := range []string{"", "nonsense", "00000000-0000-7000-8000-0000000000ff"} {
		if c.ByID(id) != nil {
			t.Errorf("ByID(%q) found a log", id)
		}
	}
}

func TestInProgressCallsAreNotLogs(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	root := tr.StartSpan(context.Background(), "slow", vmspan.StartConfig{Kind: vmspan.KindRoot, Sinks: []vmspan.Sink{c}})
	if len(c.Logs()) != 0 || c.Last() != nil || c.ByID(root.SpanContext().ID.String()) != nil {
		t.Errorf("a call in progress is visible")
	}
	if s := c.Stats(); s.Pending != 1 || s.Events != 1 {
		t.Errorf("Stats() = %+v, want 1 pending, 1 event", s)
	}
	if n := c.Clear(); n != 0 {
		t.Errorf("Clear() = %d, want 0", n)
	}
	root.SetTags("phase", "two")
	root.End(nil, nil)
	if l := c.Last(); l == nil || l.Tags["phase"] != "two" {
		t.Errorf("the call was lost by Clear: %+v", l)
	}
}

func TestConcurrentEmit(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	const goroutines, calls = 20, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				call(context.Background(), tr, fmt.Sprintf("g%d-%d", g, i), func(root *vmspan.Span) (any, error) {
					root.SetTags("g", g)
					llm(tr, root, "A", nil, "m")
					llm(tr, root, "B", nil, "m", "m2")
					return nil, nil
				}, c)
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				for _, l := range c.Logs() {
					_ = len(l.Calls) + len(l.Events)
				}
				c.Usage()
				c.Last()
				c.Stats()
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()

	logs := c.Logs()
	if len(logs) != goroutines*calls {
		t.Fatalf("%d logs, want %d", len(logs), goroutines*calls)
	}
	for _, l := range logs {
		if len(l.Calls) != 3 || len(l.Spans) != 3 || len(l.Events) != 7 {
			t.Fatalf("log %s: %d calls, %d spans, %d events", l.FunctionName, len(l.Calls), len(l.Spans), len(l.Events))
		}
	}
	if u := c.Usage(); *u.InputTokens != goroutines*calls*400 {
		t.Errorf("input tokens %d, want %d", *u.InputTokens, goroutines*calls*400)
	}
}

func TestConformance(t *testing.T) {
	spantest.Run(t, spantest.Harness{
		New: func(t *testing.T) vmspan.Sink { return newCollector(t) },
		Result: func(t *testing.T, s vmspan.Sink) ([]spantest.Span, error) {
			var events []vmspan.Event
			for _, l := range s.(*collector.Collector).Logs() {
				events = append(events, l.Events...)
			}
			return spantest.FromEvents(events), nil
		},
	})
}

// TestSpanTiming checks that SpanLog timings come from the end events.
func TestSpanTiming(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "main", func(root *vmspan.Span) (any, error) {
		child(tr, root, "child", vmspan.KindExpr, nil).End(nil, nil)
		return nil, nil
	}, c)
	l := c.Last()
	// Clock readings: root start 1, child start 2, child end 3, root end 4.
	if d := l.Spans[1].Timing.Duration; d != time.Millisecond {
		t.Errorf("child duration %v, want 1ms", d)
	}
	if d := l.Timing.Duration; d != 3*time.Millisecond {
		t.Errorf("root duration %v, want 3ms", d)
	}
}

// BenchmarkCall measures a call with one LLM span recorded by a Collector
// (4 events); logs are cleared as they pile up.
func BenchmarkCall(b *testing.B) {
	c := collector.New("bench")
	defer c.Close()
	tr := vmspan.NewTracer(nil)
	in := int64(10)
	attempt := vmspan.LLMAttempt{Client: "Fast", Provider: "openai", Model: "m", Usage: vmspan.Usage{InputTokens: &in}, Selected: true}
	ctx, frame := context.Background(), &vmspan.Frame{Depth: 2, Name: "LLM", Kind: vmspan.KindLLM}
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for i := 0; b.Loop(); i++ {
		ft := vmspan.NewFrameTracker(ctx, tr.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot, Sinks: []vmspan.Sink{c}}))
		ft.EnterFrame(frame)
		vmspan.SpanFromContext(ft.Context()).AddAttempts(attempt)
		ft.ExitFrame(2, "x", nil)
		ft.End("y", nil)
		if i%1000 == 999 {
			c.Clear()
		}
	}
}

// BenchmarkEmit measures Collector.Emit alone on the four events of a call.
func BenchmarkEmit(b *testing.B) {
	tr, rec := spantest.NewTracer()
	root := tr.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	child(tr, root, "LLM", vmspan.KindLLM, nil).End("x", nil)
	root.End("y", nil)
	events := rec.Events()
	c := collector.New("bench")
	defer c.Close()
	ids := vmspan.SequentialIDs()
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for i := 0; b.Loop(); i++ {
		// Give every call fresh ids so that each is a new log.
		rootID, childID := ids(), ids()
		for _, e := range events {
			e.Stack = []vmspan.SpanID{rootID, childID}[:len(e.Stack)]
			e.Span.ID, e.Span.Root = e.Stack[len(e.Stack)-1], rootID
			c.Emit(&e)
		}
		if i%1000 == 999 {
			c.Clear()
		}
	}
}

// reportCPU reports CPU nanoseconds per operation, which stay meaningful
// on a shared machine where wall time does not.
func reportCPU(b *testing.B, start time.Duration) {
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// TestManySpans covers calls with more spans than the small-call scan.
func TestManySpans(t *testing.T) {
	c := newCollector(t)
	tr := newTracer()
	call(context.Background(), tr, "fanout", func(root *vmspan.Span) (any, error) {
		for i := range 20 {
			llm(tr, root, fmt.Sprint("L", i), nil, "m")
		}
		return nil, nil
	}, c, c) // attached twice: every event arrives twice
	l := c.Last()
	if len(l.Spans) != 21 || len(l.Calls) != 20 || len(l.Events) != 42 {
		t.Fatalf("%d spans, %d calls, %d events; want 21, 20, 42", len(l.Spans), len(l.Calls), len(l.Events))
	}
	for i, cl := range l.Calls {
		if cl.FunctionName != fmt.Sprint("L", i) || !l.Spans[i+1].Ended {
			t.Errorf("call %d is %s", i, cl.FunctionName)
		}
	}
}

// TestKeepsOwnCopies: the tracer lends an event's Stack and Args for the
// duration of Emit only (and reuses them once the span ends, when no sink
// retains events); a Collector says it retains nothing and keeps copies.
func TestKeepsOwnCopies(t *testing.T) {
	c := newCollector(t)
	if vmspan.Retains(c) {
		t.Fatal("a Collector should not retain the events it is lent")
	}
	ids := vmspan.SequentialIDs()
	root, child := ids(), ids()
	// lend emits e with Stack and Args in buffers of their own, and then
	// overwrites the buffers, as a span reused after its end does.
	lend := func(e vmspan.Event, stack ...vmspan.SpanID) {
		e.Stack = append([]vmspan.SpanID(nil), stack...)
		e.Args = []vmspan.Arg{{Name: "x", Value: int64(1)}}
		c.Emit(&e)
		for i := range e.Stack {
			e.Stack[i] = vmspan.SpanID{}
		}
		e.Args[0] = vmspan.Arg{Name: "reused", Value: int64(-1)}
	}
	at := time.Unix(1770000000, 0)
	rootSC := vmspan.SpanContext{ID: root, Root: root}
	childSC := vmspan.SpanContext{ID: child, Parent: root, Root: root}
	lend(vmspan.Event{ID: ids(), Kind: vmspan.EventStart, Span: rootSC, Time: at, Name: "main", SpanKind: vmspan.KindRoot}, root)
	lend(vmspan.Event{ID: ids(), Kind: vmspan.EventStart, Span: childSC, Time: at, Name: "f", SpanKind: vmspan.KindExpr}, root, child)
	lend(vmspan.Event{ID: ids(), Kind: vmspan.EventEnd, Span: childSC, Time: at, Name: "f", SpanKind: vmspan.KindExpr, Start: at, Result: int64(2)}, root, child)
	lend(vmspan.Event{ID: ids(), Kind: vmspan.EventEnd, Span: rootSC, Time: at, Name: "main", SpanKind: vmspan.KindRoot, Start: at, Result: int64(3)}, root)

	log := c.Last()
	if log == nil || len(log.Events) != 4 {
		t.Fatalf("log %+v", log)
	}
	if len(log.Args) != 1 || log.Args[0].Name != "x" || log.Args[0].Value != int64(1) {
		t.Errorf("log args %v", log.Args)
	}
	for i, e := range log.Events {
		want := []vmspan.SpanID{root, child}[:len(e.Stack)]
		if len(e.Stack) == 0 || e.Stack[len(e.Stack)-1] != e.Span.ID || fmt.Sprint(e.Stack) != fmt.Sprint(want) {
			t.Errorf("event %d: stack %v, want %v", i, e.Stack, want)
		}
		if len(e.Args) != 1 || e.Args[0].Name != "x" || e.Args[0].Value != int64(1) {
			t.Errorf("event %d: args %v", i, e.Args)
		}
	}
}
