// spantest.go holds the workloads, the checks and Run.

package spantest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// A Span is what a sink recorded about one span, in a neutral form.
type Span struct {
	ID, Parent, Root vmspan.SpanID
	Stack            []vmspan.SpanID // root first, ID last; nil when not recorded
	Name             string
	Kind             vmspan.Kind // 0 when not recorded
	Starts, Ends     int         // events seen; sinks that record whole spans report 1 and 1
	Err              *vmspan.ErrorInfo
	Tags             map[string]string // the span's tags when it ended (inherited and its own)
	Attempts         int               // LLM attempts recorded for the span
	Start, End       time.Time
}

// Ended reports whether the span's end was recorded.
func (s *Span) Ended() bool { return s.Ends > 0 }

// Failed reports whether the span ended with an error.
func (s *Span) Failed() bool { return s.Err != nil }

// A Harness adapts a sink to the suite.
type Harness struct {
	// New returns a fresh sink for one workload.
	New func(t *testing.T) vmspan.Sink
	// Result returns what sink recorded once the workload's spans ended.
	Result func(t *testing.T, sink vmspan.Sink) ([]Span, error)
	// NoTags says the sink does not record tags; tags are then not checked.
	NoTags bool
	// NoAttempts says the sink does not record LLM attempts.
	NoAttempts bool
}

// Run runs every workload against fresh sinks from h, each as a subtest.
func Run(t *testing.T, h Harness) {
	t.Helper()
	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			sink := h.New(t)
			tr := vmspan.NewTracer(sink, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(StepClock()))
			w.run(tr)
			spans, err := h.Result(t, sink)
			if err != nil {
				t.Fatalf("Result: %v", err)
			}
			for _, err := range check(h, w.want, spans) {
				t.Error(err)
			}
		})
	}
}

// StepClock returns a clock for tests that starts at 2026-02-12 06:00 UTC and
// advances one millisecond at every reading. It is safe for concurrent use
// and never returns the same time twice.
func StepClock() func() time.Time {
	base := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	var n atomic.Int64
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// FromEvents folds events into spans: one Span per span id, in order of
// first appearance, counting its start and end events. Tags are the end
// event's tags (or the start's merged with later set-tags when the span
// has not ended).
func FromEvents(events []vmspan.Event) []Span {
	idx := map[vmspan.SpanID]int{}
	var out []Span
	for _, e := range events {
		i, ok := idx[e.Span.ID]
		if !ok {
			i = len(out)
			idx[e.Span.ID] = i
			out = append(out, Span{ID: e.Span.ID, Parent: e.Span.Parent, Root: e.Span.Root, Stack: e.Stack, Name: e.Name, Kind: e.SpanKind})
		}
		fold(&out[i], &e)
	}
	return out
}

func fold(s *Span, e *vmspan.Event) {
	switch e.Kind {
	case vmspan.EventStart:
		s.Starts++
		s.Start, s.Tags = e.Time, e.Tags
	case vmspan.EventEnd:
		s.Ends++
		s.End, s.Err, s.Tags, s.Attempts = e.Time, e.Err, e.Tags, len(e.Attempts)
		if s.Start.IsZero() {
			s.Start = e.Start
		}
	case vmspan.EventSetTags:
		t := make(map[string]string, len(s.Tags)+len(e.Tags))
		for k, v := range s.Tags {
			t[k] = v
		}
		for k, v := range e.Tags {
			t[k] = v
		}
		s.Tags = t
	}
}

// A want describes n expected spans named name whose parent is named parent.
type want struct {
	name, parent string
	n            int
	kind         vmspan.Kind
	err          string // expected error message; "" for success
	tags         map[string]string
	attempts     int
}

type workload struct {
	name string
	run  func(tr *vmspan.Tracer)
	want []want
}

var errBoom = errors.New("boom")

var workloads = []workload{
	{"Single", single, []want{{name: "single", n: 1, kind: vmspan.KindHostSpan}}},
	{"Failed", failed, []want{
		{name: "outer", n: 1, kind: vmspan.KindHostSpan, err: "boom"},
		{name: "failing", parent: "outer", n: 1, kind: vmspan.KindHostSpan, err: "boom"},
		{name: "recovered", parent: "outer", n: 1, kind: vmspan.KindHostSpan, err: "wrapped: boom"},
		{name: "fine", parent: "recovered", n: 1, kind: vmspan.KindHostSpan},
	}},
	{"DoubleEnd", doubleEnd, []want{{name: "twice", n: 1, kind: vmspan.KindHostSpan}}},
	{"Nested", nested, []want{
		{name: "a", n: 1, kind: vmspan.KindHostSpan},
		{name: "b", parent: "a", n: 1, kind: vmspan.KindHostSpan},
		{name: "c", parent: "b", n: 1, kind: vmspan.KindHostSpan},
	}},
	{"Tags", tagged, []want{
		{name: "root", n: 1, kind: vmspan.KindHostSpan, tags: map[string]string{"env": "test"}},
		{name: "first", parent: "root", n: 1, kind: vmspan.KindHostSpan, tags: map[string]string{"env": "test", "only": "first"}},
		{name: "second", parent: "root", n: 1, kind: vmspan.KindHostSpan, tags: map[string]string{"env": "test"}},
	}},
	{"Engine", engineCall, []want{
		{name: "request", n: 1, kind: vmspan.KindHostSpan},
		{name: "Triage", parent: "request", n: 1, kind: vmspan.KindRoot},
		{name: "Classify", parent: "Triage", n: 1, kind: vmspan.KindLLM, attempts: 2},
		{name: "Summarize", parent: "Triage", n: 1, kind: vmspan.KindExpr, err: "parse failed"},
		{name: "Headline", parent: "Summarize", n: 1, kind: vmspan.KindLLM, attempts: 1, err: "parse failed"},
	}},
	{"ConcurrentChildren", concurrentChildren, []want{
		{name: "root", n: 1, kind: vmspan.KindHostSpan},
		{name: "child", parent: "root", n: 10, kind: vmspan.KindHostSpan},
	}},
	{"ConcurrentTrees", concurrentTrees, []want{
		{name: "tree", n: 50, kind: vmspan.KindHostSpan},
		{name: "call", parent: "tree", n: 50, kind: vmspan.KindRoot},
		{name: "llm", parent: "call", n: 50, kind: vmspan.KindLLM, attempts: 1},
	}},
}

func single(tr *vmspan.Tracer) {
	_, s := tr.Start(context.Background(), "single", "n", 1, "name", "ann")
	s.End(42, nil)
}

func failed(tr *vmspan.Tracer) {
	ctx, outer := tr.Start(context.Background(), "outer")
	_, f := tr.Start(ctx, "failing")
	f.End("ignored", errBoom)
	rctx, r := tr.Start(ctx, "recovered")
	_, fine := tr.Start(rctx, "fine")
	fine.End("ok", nil)
	r.End(nil, fmt.Errorf("wrapped: %w", errBoom))
	outer.End(nil, errBoom)
}

func doubleEnd(tr *vmspan.Tracer) {
	_, s := tr.Start(context.Background(), "twice")
	s.End(1, nil)
	s.End(2, errBoom)
}

func nested(tr *vmspan.Tracer) {
	ctx, a := tr.Start(context.Background(), "a", "x", 1)
	ctx, b := tr.Start(ctx, "b", "x", 2)
	_, c := tr.Start(ctx, "c", "x", 3)
	c.End(3, nil)
	b.End(2, nil)
	a.End(1, nil)
}

func tagged(tr *vmspan.Tracer) {
	ctx, root := tr.Start(context.Background(), "root")
	vmspan.SetTags(ctx, "env", "test")
	c1, first := tr.Start(ctx, "first")
	vmspan.SetTags(c1, "only", "first")
	first.End(nil, nil)
	_, second := tr.Start(ctx, "second")
	second.End(nil, nil)
	root.End(nil, nil)
}

// engineCall drives the tracer the way an Engine.Call does: a root span
// under a host span whose traced frames a FrameTracker follows, an LLM
// span with attempts, and a traced expression function whose nested LLM
// span fails.
func engineCall(tr *vmspan.Tracer) {
	ctx, req := tr.Start(context.Background(), "request")
	root := tr.StartSpan(ctx, "Triage", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: []vmspan.Arg{{Name: "body", Value: "hi"}}})
	ft := vmspan.NewFrameTracker(ctx, root)
	ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Classify", Kind: vmspan.KindLLM, Args: []vmspan.Arg{{Name: "body", Value: "hi"}}})
	vmspan.SpanFromContext(ft.Context()).AddAttempts(attempt(tr, "gpt-4o-mini", false, errBoom), attempt(tr, "gpt-4o", true, nil))
	ft.ExitFrame(2, vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "priority", Value: int64(1)}}}, nil)
	ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Summarize", Kind: vmspan.KindExpr})
	ft.EnterFrame(&vmspan.Frame{Depth: 3, Name: "Headline", Kind: vmspan.KindLLM})
	vmspan.SpanFromContext(ft.Context()).AddAttempts(attempt(tr, "gpt-4o-mini", false, nil))
	err := errors.New("parse failed")
	ft.ExitFrame(3, nil, err)
	ft.ExitFrame(2, nil, err)
	ft.End("done", nil)
	req.End(nil, nil)
}

func attempt(tr *vmspan.Tracer, model string, selected bool, err error) vmspan.LLMAttempt {
	in, out := int64(10), int64(3)
	start := tr.Now()
	return vmspan.LLMAttempt{
		Client: "Fast", Provider: "openai", Model: model, Start: start, Duration: tr.Now().Sub(start),
		Usage: vmspan.Usage{InputTokens: &in, OutputTokens: &out}, Selected: selected, Err: vmspan.ErrorInfoOf(err),
	}
}

func concurrentChildren(tr *vmspan.Tracer) {
	ctx, root := tr.Start(context.Background(), "root")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			_, c := tr.Start(ctx, "child", "i", i)
			c.End(i, nil)
		})
	}
	wg.Wait()
	root.End(nil, nil)
}

func concurrentTrees(tr *vmspan.Tracer) {
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			ctx, tree := tr.Start(context.Background(), "tree", "i", i)
			ft := vmspan.NewFrameTracker(ctx, tr.StartSpan(ctx, "call", vmspan.StartConfig{Kind: vmspan.KindRoot}))
			ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: "llm", Kind: vmspan.KindLLM})
			vmspan.SpanFromContext(ft.Context()).AddAttempts(attempt(tr, "m", true, nil))
			ft.ExitFrame(2, "x", nil)
			ft.End(int64(i), nil)
			tree.End(nil, nil)
		})
	}
	wg.Wait()
}

// check verifies the generic properties of spans and then the workload's
// expectations.
func check(h Harness, wants []want, spans []Span) []error {
	var r report
	byID := make(map[vmspan.SpanID]*Span, len(spans))
	for i := range spans {
		s := &spans[i]
		if byID[s.ID] != nil {
			r.errorf("span %s (%s) recorded twice", s.ID, s.Name)
		}
		byID[s.ID] = s
	}
	for i := range spans {
		checkSpan(&r, &spans[i], byID)
	}
	checkWants(&r, h, wants, spans, byID)
	return r
}

// checkSpan checks balance, links and ordering of one span.
func checkSpan(r *report, s *Span, byID map[vmspan.SpanID]*Span) {
	if s.Starts != 1 || s.Ends != 1 {
		r.errorf("span %s: %d starts and %d ends, want 1 and 1", s.Name, s.Starts, s.Ends)
	}
	if s.End.Before(s.Start) {
		r.errorf("span %s ends (%v) before it starts (%v)", s.Name, s.End, s.Start)
	}
	if s.Stack != nil {
		n := len(s.Stack)
		if n == 0 || s.Stack[n-1] != s.ID || s.Stack[0] != s.Root {
			r.errorf("span %s: stack %v does not run from root %s to itself %s", s.Name, s.Stack, s.Root, s.ID)
		} else if n > 1 && s.Stack[n-2] != s.Parent || n == 1 && !s.Parent.IsZero() {
			r.errorf("span %s: parent %s is not the second-to-last of stack %v", s.Name, s.Parent, s.Stack)
		}
	}
	if s.Parent.IsZero() {
		if s.Root != s.ID {
			r.errorf("root span %s: root is %s, want itself", s.Name, s.Root)
		}
		return
	}
	p := byID[s.Parent]
	if p == nil {
		r.errorf("span %s: parent %s was not recorded", s.Name, s.Parent)
		return
	}
	if p.Root != s.Root {
		r.errorf("span %s: root %s differs from its parent's %s", s.Name, s.Root, p.Root)
	}
	if !s.Start.After(p.Start) || s.End.After(p.End) {
		r.errorf("span %s [%v, %v] is not inside its parent %s [%v, %v]", s.Name, s.Start, s.End, p.Name, p.Start, p.End)
	}
}

// checkWants matches spans against the workload's expectations by name
// and parent name.
func checkWants(r *report, h Harness, wants []want, spans []Span, byID map[vmspan.SpanID]*Span) {
	count := map[[2]string]int{}
	for i := range spans {
		s := &spans[i]
		parent := ""
		if p := byID[s.Parent]; p != nil {
			parent = p.Name
		}
		key := [2]string{s.Name, parent}
		count[key]++
		i := slices.IndexFunc(wants, func(w want) bool { return w.name == s.Name && w.parent == parent })
		if i < 0 {
			r.errorf("unexpected span %q with parent %q", s.Name, parent)
			continue
		}
		checkWant(r, h, &wants[i], s)
	}
	for _, w := range wants {
		if got := count[[2]string{w.name, w.parent}]; got != w.n {
			r.errorf("%d spans %q with parent %q, want %d", got, w.name, w.parent, w.n)
		}
	}
}

func checkWant(r *report, h Harness, w *want, s *Span) {
	if s.Kind != 0 && s.Kind != w.kind {
		r.errorf("span %s: kind %v, want %v", s.Name, s.Kind, w.kind)
	}
	switch {
	case w.err == "" && s.Err != nil:
		r.errorf("span %s failed with %+v, want success", s.Name, *s.Err)
	case w.err != "" && s.Err == nil:
		r.errorf("span %s succeeded, want failure %q", s.Name, w.err)
	case w.err != "" && s.Err.Message != w.err:
		r.errorf("span %s: error %q, want %q", s.Name, s.Err.Message, w.err)
	}
	if !h.NoTags && !equalTags(s.Tags, w.tags) {
		r.errorf("span %s: tags %v, want %v", s.Name, s.Tags, w.tags)
	}
	if !h.NoAttempts && s.Attempts != w.attempts {
		r.errorf("span %s: %d attempts, want %d", s.Name, s.Attempts, w.attempts)
	}
}

func equalTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A report collects the problems check finds, so that the suite itself can
// be tested against broken sinks.
type report []error

func (r *report) errorf(format string, args ...any) { *r = append(*r, fmt.Errorf(format, args...)) }
