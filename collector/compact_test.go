package collector_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// retainedCopy is what a Collector's log must hold for e, the n-th event
// of its span: e itself, with the stack and arguments of the span's first
// event (none for set-tags events).
type retainedCopy struct {
	first map[vmspan.SpanID]*vmspan.Event
	want  []vmspan.Event
}

func (r *retainedCopy) Emit(e *vmspan.Event) {
	f := r.first[e.Span.ID]
	if f == nil {
		c := *e
		c.Stack, c.Args = slices.Clone(e.Stack), slices.Clone(e.Args)
		f = &c
		r.first[e.Span.ID] = f
	}
	w := *e
	w.Stack, w.Args = f.Stack, f.Args
	if e.Kind == vmspan.EventSetTags {
		w.Args = nil
	}
	r.want = append(r.want, w)
}

// TestEventsExact: the Collector keeps events in a compact form and
// rebuilds them for FunctionLog.Events; they must come back exactly as
// received, whether they fit that form or not: events of the tracer
// (remote parent, tags, set-tags, errors, attempts) and events that differ
// from their span's other event in every field the compact form shares.
func TestEventsExact(t *testing.T) {
	c := newCollector(t)
	ref := &retainedCopy{first: map[vmspan.SpanID]*vmspan.Event{}}
	both := vmspan.Fanout(c, ref)

	tr := vmspan.NewTracer(both, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, host := tr.Start(ctx, "Handle", "user", "ann")
	vmspan.SetTags(ctx, "env", "test")
	root := tr.StartSpan(ctx, "Triage", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: []vmspan.Arg{{Name: "body", Value: "b"}}})
	llm(tr, root, "Classify", nil, "gpt-4o-mini", "gpt-4o")
	root.SetTags("step", "two")
	x := child(tr, root, "Score", vmspan.KindExpr, []vmspan.Arg{{Name: "t", Value: vmspan.Object{Class: "T", Fields: []vmspan.Arg{{Name: "a", Value: int64(1)}}}}})
	child(tr, x, "Deep", vmspan.KindExpr, nil).End([]any{int64(1)}, errors.New("boom"))
	x.End(nil, errors.New("boom"))
	root.End(map[string]any{"k": "v"}, nil)

	// Hand-made events under the host span, each unusual in one way.
	hostSC := host.SpanContext()
	stack := func(ids ...vmspan.SpanID) []vmspan.SpanID { return append([]vmspan.SpanID{hostSC.ID}, ids...) }
	id := func(n byte) vmspan.SpanID { return vmspan.SpanID{0xee, n} }
	sc := func(n byte) vmspan.SpanContext {
		return vmspan.SpanContext{ID: id(n), Parent: hostSC.ID, Root: hostSC.Root}
	}
	at := time.Unix(1770000000, 5)
	base := func(k vmspan.EventKind, n, ev byte) vmspan.Event {
		return vmspan.Event{ID: id(100 + ev), Kind: k, Span: sc(n), Stack: stack(id(n)), TraceID: remote.TraceID(), Time: at, Name: "h", SpanKind: vmspan.KindHostFunc}
	}
	odd := []vmspan.Event{}
	add := func(e vmspan.Event, change func(*vmspan.Event)) {
		if change != nil {
			change(&e)
		}
		odd = append(odd, e)
	}
	add(base(vmspan.EventStart, 1, 1), func(e *vmspan.Event) { e.Time = at.UTC() })
	add(base(vmspan.EventEnd, 1, 2), func(e *vmspan.Event) { e.Time = time.Now(); e.Start = at.UTC() })
	add(base(vmspan.EventStart, 2, 3), func(e *vmspan.Event) { e.Result = int64(9) })
	add(base(vmspan.EventEnd, 2, 4), func(e *vmspan.Event) { e.Name = "renamed"; e.SpanKind = vmspan.KindExpr })
	add(base(vmspan.EventEnd, 3, 5), func(e *vmspan.Event) { e.Duration = time.Second }) // an end without a start
	add(base(vmspan.EventStart, 4, 6), func(e *vmspan.Event) { e.Stack = nil })
	add(base(vmspan.EventEnd, 4, 7), func(e *vmspan.Event) { e.TraceID = trace.TraceID{9} })
	add(base(vmspan.EventStart, 5, 8), func(e *vmspan.Event) { e.Remote = &vmspan.RemoteParent{TraceID: trace.TraceID{7}} })
	add(base(vmspan.EventEnd, 5, 9), func(e *vmspan.Event) { e.Remote = &vmspan.RemoteParent{TraceID: trace.TraceID{8}} })
	add(base(vmspan.EventStart, 6, 10), func(e *vmspan.Event) { e.Span.Root = id(77) })
	add(base(vmspan.EventStart, 7, 11), func(e *vmspan.Event) { e.Span.Parent = id(6); e.Stack = stack(id(6), id(7)) })
	add(base(vmspan.EventEnd, 7, 12), func(e *vmspan.Event) { e.Tags = map[string]string{"late": "tag"} })
	ts, _ := trace.ParseTraceState("a=1,b=2")
	otel := &vmspan.OTelIDs{TraceID: trace.TraceID{3}, SpanID: trace.SpanID{4}, Sampled: true}
	add(base(vmspan.EventStart, 8, 13), func(e *vmspan.Event) { e.Remote = &vmspan.RemoteParent{TraceID: trace.TraceID{7}, State: ts} })
	add(base(vmspan.EventEnd, 8, 14), func(e *vmspan.Event) {
		e.Remote = &vmspan.RemoteParent{TraceID: trace.TraceID{7}, State: ts} // equal, not the same pointer
		e.OTel = otel
	})
	add(base(vmspan.EventStart, 9, 15), func(e *vmspan.Event) { e.OTel = otel })
	add(base(vmspan.EventEnd, 9, 16), func(e *vmspan.Event) { e.Remote = &vmspan.RemoteParent{TraceID: trace.TraceID{7}, State: ts} })
	for _, e := range odd {
		both.Emit(&e)
	}
	host.End(nil, nil)

	log := c.Last()
	if log == nil {
		t.Fatal("no log")
	}
	if len(log.Events) != len(ref.want) {
		t.Fatalf("%d events, want %d", len(log.Events), len(ref.want))
	}
	for i, got := range log.Events {
		if want := ref.want[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("event %d (%v %s):\n got %+v\nwant %+v", i, want.Kind, want.Name, got, want)
		}
	}
}
