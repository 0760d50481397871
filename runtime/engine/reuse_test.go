package engine_test

import (
	"context"
	"sync"
	"testing"
	"unsafe"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// A borrower is a sink that retains nothing (vmspan.Retainer): it checks
// each event during Emit and keeps copies of what it needs.
type borrower struct {
	t     *testing.T
	mu    sync.Mutex
	ids   []vmspan.SpanID // start events' span ids, in order
	args  []any           // start events' first argument values, in order
	ended map[vmspan.SpanID]bool
}

func (b *borrower) RetainsEvents() bool { return false }

func (b *borrower) Emit(ep *vmspan.Event) {
	e := *ep
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(e.Stack) == 0 || e.Stack[len(e.Stack)-1] != e.Span.ID {
		b.t.Errorf("%s %s: stack %v does not end with the span %s", e.Kind, e.Name, e.Stack, e.Span.ID)
	}
	if e.Name != "Traced" {
		return
	}
	switch e.Kind {
	case vmspan.EventStart:
		b.ids = append(b.ids, e.Span.ID)
		b.args = append(b.args, e.Args[0].Value)
	case vmspan.EventEnd:
		if b.ended[e.Span.ID] {
			b.t.Errorf("span %s ended twice", e.Span.ID)
		}
		b.ended[e.Span.ID] = true
	}
}

const cacheSrc = `
function Traced(x: int) -> int {
    @@trace
    x
}
function Loop(n: int) -> int {
    let i = 0;
    while (i < n) { Traced(i); i += 1; }
    i
}
function Ones(n: int) -> int {
    let i = 0;
    while (i < n) { Traced(1); i += 1; }
    i
}
function Keeping(n: int) -> int {
    let i = 0;
    while (i < n) { Kept(i); i += 1; }
    i
}
function Kept(x: int) -> int {
    @@trace
    keep(x)
}
`

func cacheEngine(t *testing.T, sink vmspan.Sink, host ...engine.HostFunc) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.MustParse(map[string]string{"c.baml": cacheSrc}),
		engine.WithTracer(vmspan.NewTracer(sink)), engine.WithHost(host...))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var keepNothing = engine.HostFunc{Name: "keep", Params: []string{"x: int"}, Result: "int",
	Fn: func(_ context.Context, args []any) (any, error) { return args[0], nil }}

// TestSpanReuseWithRetainingSink: a sink that retains events (one that
// does not say otherwise) must find every retained event intact after the
// call: no span memory was reused under it.
func TestSpanReuseWithRetainingSink(t *testing.T) {
	rec := new(spantest.Recorder)
	e := cacheEngine(t, rec, keepNothing)
	const n = 300
	if _, err := e.Call(context.Background(), "Loop", []any{n}); err != nil {
		t.Fatal(err)
	}
	i := int64(0)
	ids := map[vmspan.SpanID]bool{}
	for _, ev := range rec.Events() {
		if ev.Name != "Traced" || ev.Kind != vmspan.EventStart {
			continue
		}
		if got := ev.Args[0].Value; got != i {
			t.Fatalf("retained start event %d has argument %v: its memory was reused", i, got)
		}
		if ev.Stack[len(ev.Stack)-1] != ev.Span.ID || ids[ev.Span.ID] {
			t.Fatalf("retained start event %d: stack %v, span %s", i, ev.Stack, ev.Span.ID)
		}
		ids[ev.Span.ID] = true
		i++
	}
	if i != n {
		t.Fatalf("%d Traced spans, want %d", i, n)
	}
}

// TestSpanReuseWithBorrowingSink: with a sink that retains nothing, the
// events are still right when they are emitted, and the spans are reused
// (a loop of traced calls allocates no span per call).
func TestSpanReuseWithBorrowingSink(t *testing.T) {
	b := &borrower{t: t, ended: map[vmspan.SpanID]bool{}}
	e := cacheEngine(t, b, keepNothing)
	const n = 300
	if _, err := e.Call(context.Background(), "Loop", []any{n}); err != nil {
		t.Fatal(err)
	}
	seen := map[vmspan.SpanID]bool{}
	for i, id := range b.ids {
		if b.args[i] != int64(i) || seen[id] || !b.ended[id] {
			t.Fatalf("span %d: argument %v, id %s (seen before: %v, ended: %v)", i, b.args[i], id, seen[id], b.ended[id])
		}
		seen[id] = true
	}
	if len(b.ids) != n {
		t.Fatalf("%d Traced spans, want %d", len(b.ids), n)
	}

	quiet := cacheEngine(t, vmspan.Discard, keepNothing) // retains nothing, records nothing
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := quiet.Call(context.Background(), "Ones", []any{n}); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := allocs(10), allocs(1010)
	if many-few > 100 {
		t.Errorf("1,000 more traced calls cost %.0f more allocations: spans are not reused", many-few)
	}
}

// TestSpanReuseNotAfterContext: a span whose ctx reached host code is
// never reused, even with a sink that retains nothing: the host function
// may keep the ctx (here it does) and read the span later.
func TestSpanReuseNotAfterContext(t *testing.T) {
	b := &borrower{t: t, ended: map[vmspan.SpanID]bool{}}
	var ctxs []context.Context
	keep := engine.HostFunc{Name: "keep", Params: []string{"x: int"}, Result: "int",
		Fn: func(ctx context.Context, args []any) (any, error) {
			ctxs = append(ctxs, ctx)
			return args[0], nil
		}}
	e := cacheEngine(t, b, keep)
	const n = 20
	if _, err := e.Call(context.Background(), "Keeping", []any{n}); err != nil {
		t.Fatal(err)
	}
	if len(ctxs) != n {
		t.Fatalf("%d host calls, want %d", len(ctxs), n)
	}
	seen := map[vmspan.SpanID]bool{}
	for i, ctx := range ctxs {
		s := vmspan.SpanFromContext(ctx)
		id := s.SpanContext().ID
		if s.Name() != "Kept" || seen[id] {
			t.Fatalf("kept ctx %d holds span %q %s: its memory was reused", i, s.Name(), id)
		}
		seen[id] = true
		s.SetTags("late", "yes") // the span has ended: a no-op, and no race
	}
}

// TestSpanReuseWithCollector: a Collector keeps its own copies of what it
// retains, so the engine reuses span memory with a Collector attached, and
// every retained event is still intact after the call.
func TestSpanReuseWithCollector(t *testing.T) {
	addrs := &stackAddrs{seen: map[*vmspan.SpanID]bool{}}
	e := cacheEngine(t, addrs, keepNothing)
	c := collector.New("reuse")
	defer c.Close()
	const n = 300
	if _, err := e.Call(context.Background(), "Loop", []any{n}, engine.WithCollector(c)); err != nil {
		t.Fatal(err)
	}
	log := c.Last()
	if log == nil {
		t.Fatal("no log")
	}
	var starts, ends int64
	ids := map[vmspan.SpanID]bool{}
	for _, ev := range log.Events {
		if len(ev.Stack) == 0 || ev.Stack[len(ev.Stack)-1] != ev.Span.ID || ev.Name == "Traced" && len(ev.Stack) != 2 {
			t.Fatalf("%s %s: stack %v, span %s", ev.Kind, ev.Name, ev.Stack, ev.Span.ID)
		}
		if ev.Name != "Traced" {
			continue
		}
		switch ev.Kind {
		case vmspan.EventStart:
			if got := ev.Args[0].Value; got != starts || ids[ev.Span.ID] {
				t.Fatalf("retained start event %d: argument %v, span %s", starts, got, ev.Span.ID)
			}
			ids[ev.Span.ID] = true
			starts++
		case vmspan.EventEnd:
			if got := ev.Args[0].Value; got != ends || ev.Result != ends {
				t.Fatalf("retained end event %d: argument %v, result %v", ends, got, ev.Result)
			}
			ends++
		}
	}
	if starts != n || ends != n || len(log.Spans) != n+1 {
		t.Fatalf("%d starts, %d ends, %d spans; want %d", starts, ends, len(log.Spans), n)
	}
	if got := log.Args[0].Value; got != int64(n) {
		t.Errorf("log args %v", log.Args)
	}

	if len(addrs.seen) > 4 {
		t.Errorf("%d traced calls used %d span stacks: spans are not reused", n, len(addrs.seen))
	}
}

// stackAddrs is a sink that retains nothing and records where the stacks
// of Traced spans' start events live, to tell whether spans are reused.
type stackAddrs struct {
	mu   sync.Mutex
	seen map[*vmspan.SpanID]bool
}

func (*stackAddrs) RetainsEvents() bool { return false }

func (a *stackAddrs) Emit(e *vmspan.Event) {
	if e.Name == "Traced" && e.Kind == vmspan.EventStart {
		a.mu.Lock()
		a.seen[unsafe.SliceData(e.Stack)] = true
		a.mu.Unlock()
	}
}
