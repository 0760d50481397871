// frame.go holds the VM -> engine notification protocol for traced frames
// and the FrameTracker that turns it into spans.

package vmspan

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
)

// A Frame describes a traced frame that the VM is entering.
type Frame struct {
	Depth int    // the frame's call depth in the VM: the called function is 1
	Name  string // function name
	Kind  Kind   // KindLLM, KindExpr or KindHostFunc
	// Args are the arguments, named after their parameters (a variadic
	// parameter's values are numbered: name1, name2, ...), as snapshots
	// taken by the VM (the event value form, see Snapshot); an argument
	// whose name looks secret (IsSecretKey) is Redacted. The snapshots are
	// immutable, but the VM may reuse the slice: the hook copies the slice
	// if it keeps it after returning.
	Args []Arg
}

// A FrameHook is told by the VM when it enters and leaves traced frames. It is
// called at the VM's call/return choke point, never inside the instruction
// loop body, and only for traced frames (whether a frame is traced is decided
// by the function's kind and attributes, in one place in the VM).
//
// ExitFrame is called exactly once for every EnterFrame, innermost first, on
// every path out of the frame: a normal return (err nil, result a snapshot
// of the returned value, in the event value form), and error unwinding, a
// panicking host function, cancellation or the step limit (err non-nil).
// depth names the frame being left, so a hook can verify that its own stack
// agrees.
//
// One FrameHook serves one call on one goroutine; it need not be safe for
// concurrent use.
type FrameHook interface {
	EnterFrame(f *Frame)
	ExitFrame(depth int, result any, err error)
}

// A FrameTracker is the FrameHook of one engine call: it starts a span for
// every traced frame the VM enters, as a child of the nearest traced
// ancestor (the call's root span at depth 1), and ends it when the VM leaves
// the frame. It gives code running in a frame (host functions, LLM
// requests) a ctx that carries the frame's span (Context), and ends the
// root span and any frame left open when the call returns (End).
//
// A FrameTracker reuses the memory of ended spans for later frames of its
// call: a span is a traced call's one allocation, and a reused span is warm
// in the cache where a fresh one is cold. A span is reused only when
// nothing can reference it any more: no sink of its tree retains events
// (see Retainer), and no Context was made of it. The random bits of span
// ids come from a generator of the tracker's own (splitmix64, seeded from
// math/rand/v2), cheaper than math/rand/v2's per-thread ChaCha8: different
// trackers start at independent points of its period of 2^64.
//
// A FrameTracker serves one call on one goroutine, as FrameHook requires;
// only Context's ctx and the spans it carries may reach other goroutines.
type FrameTracker struct {
	ctx      context.Context
	root     *Span
	open     []openFrame // traced frames, outermost first
	free     []*Span     // ended spans to reuse, the last ended last
	rng      uint64      // splitmix64 state; 0: not seeded yet
	result   any         // the snapshot the called function's frame returned
	returned bool        // result is set
}

type openFrame struct {
	depth int
	span  *Span
	ctx   context.Context // made lazily by Context
}

// NewFrameTracker returns the FrameTracker of a call made with ctx whose
// root span is root (see Tracer.StartSpan). root stands for the called
// function itself, the frame at depth 1.
func NewFrameTracker(ctx context.Context, root *Span) *FrameTracker {
	return &FrameTracker{ctx: ctx, root: root}
}

// errUnbalanced ends spans the VM left without an exit notification.
var errUnbalanced = errors.New("bex: frame left without exit notification")

// EnterFrame starts the span of a traced frame under the nearest traced
// ancestor. The frame at depth 1 is the root span's own.
func (ft *FrameTracker) EnterFrame(f *Frame) {
	if f.Depth == 1 {
		ft.open = append(ft.open, openFrame{depth: 1, span: ft.root})
		return
	}
	parent := ft.root
	if n := len(ft.open); n > 0 {
		parent = ft.open[n-1].span
	}
	span := parent.startChild(ft.take(), ft, f.Name, f.Kind, f.Args) // copies f.Args
	ft.open = append(ft.open, openFrame{depth: f.Depth, span: span})
}

// take returns the memory for a new span: an ended one, reset, or a new one.
func (ft *FrameTracker) take() *Span {
	n := len(ft.free)
	if n == 0 {
		return new(Span)
	}
	s := ft.free[n-1]
	ft.free = ft.free[:n-1]
	s.reset()
	return s
}

// reset makes an ended span like a new one, for startChild, which sets the
// rest. Nothing else references the span. The slots of argBuf past the new
// span's arguments keep old values until overwritten: garbage that a
// tracker holds at most until its call ends.
func (s *Span) reset() {
	s.state = 0
	if s.tags.Load() != nil {
		s.tags.Store(nil)
	}
	s.more = nil
}

// ExitFrame ends the span of the frame at depth; result is the VM's
// snapshot of the returned value. Frames deeper than depth that are still
// open (which a correct VM never leaves) end with an error rather than
// desynchronising the span stack. The root span's frame is ended by End.
func (ft *FrameTracker) ExitFrame(depth int, result any, err error) {
	for n := len(ft.open); n > 0 && ft.open[n-1].depth > depth; n = len(ft.open) {
		ft.pop().span.endSnapshot(nil, errUnbalanced)
	}
	n := len(ft.open)
	if n == 0 || ft.open[n-1].depth != depth {
		return
	}
	f := ft.pop()
	if f.depth == 1 {
		ft.result, ft.returned = result, err == nil
		return
	}
	s := f.span
	// Only this goroutine can reach s unless a Context was made of it
	// (end checks): the span of a traced frame is handed to other code
	// only through a Context.
	if !s.end(result, err, true) {
		return
	}
	if s.tree.reuse && atomic.LoadUint32(&s.state)&spanShared == 0 {
		ft.free = append(ft.free, s)
	}
}

func (ft *FrameTracker) pop() openFrame {
	n := len(ft.open)
	f := ft.open[n-1]
	ft.open = ft.open[:n-1]
	return f
}

// Context returns the ctx for code running in the innermost traced frame
// (the root span's when none is open): the call's ctx carrying that
// frame's span, extended by its ContextSinks (see Span.Context).
func (ft *FrameTracker) Context() context.Context {
	n := len(ft.open)
	if n == 0 {
		return ft.root.Context(ft.ctx)
	}
	f := &ft.open[n-1] // at depth 1, the root span's frame
	if f.ctx == nil {
		f.ctx = f.span.Context(ft.ctx)
	}
	return f.ctx
}

// Result returns the snapshot of the called function's result that the VM
// reported, when the called function is itself a traced frame and returned.
func (ft *FrameTracker) Result() (any, bool) { return ft.result, ft.returned }

// End ends the call: frames still open (left by an internal error) with
// err, or an error saying they were left, and then the root span, with err
// or with result, a snapshot of the call's result. Only the first End has
// an effect.
func (ft *FrameTracker) End(result any, err error) {
	openErr := err
	if openErr == nil {
		openErr = errUnbalanced
	}
	for len(ft.open) > 0 {
		if f := ft.pop(); f.depth != 1 {
			f.span.endSnapshot(nil, openErr)
		}
	}
	ft.root.endSnapshot(result, err)
}

// rand returns the next 64 random bits of ft's generator.
func (ft *FrameTracker) rand() uint64 {
	if ft.rng == 0 {
		ft.rng = rand.Uint64() | 1
	}
	ft.rng += 0x9e3779b97f4a7c15
	z := ft.rng
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
