// span.go holds Span, a bex span in progress, and its start and end.

package vmspan

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// growStack returns stack with room for one more id at its end (set by
// Tracer.startIDs), in the span's inline buffer when it fits, so a span of
// a shallow tree costs one allocation.
func (s *Span) growStack(stack []SpanID) []SpanID {
	var out []SpanID
	if len(stack) < len(s.stackBuf) {
		out = s.stackBuf[:len(stack)+1]
	} else {
		out = make([]SpanID, len(stack)+1)
	}
	for i := range stack { // a few ids: cheaper than memmove's call
		out[i] = stack[i]
	}
	return out
}

// keepArgs copies args into the span (inline when they fit): the caller may
// reuse its slice.
func (s *Span) keepArgs(args []Arg) []Arg {
	if len(args) == 0 {
		return nil
	}
	var out []Arg
	if len(args) <= len(s.argBuf) {
		out = s.argBuf[:len(args)]
	} else {
		out = make([]Arg, len(args))
	}
	for i := range args { // one or two: cheaper than typedslicecopy's call
		// Field by field: the caller has just written args word by word,
		// and 16-byte reads of them would wait for those stores (see
		// Tracer.startIDs).
		out[i].Name, out[i].Value = args[i].Name, args[i].Value
	}
	return out
}

// A Span is a bex span in progress: a host span, or an engine span. All
// methods are safe for concurrent use, and all are no-ops on a nil *Span.
//
// A traced call allocates one Span (none when a FrameTracker reuses the
// memory of an ended one).
type Span struct {
	// The span holds its own event, which it emits as its start event and
	// then, with the fields an end changes set in place, as its end event:
	// making an Event costs more than copying one, and most of an end
	// event repeats the start. What all spans of a StartSpan subtree share
	// lives in their spanTree, what only LLM spans and spans with a
	// Context use lives in spanMore, and events point into the inline
	// buffers rather than copies.

	// ev is the span's start event until the span ends, then its end
	// event. Its Span, Stack, Name, SpanKind, Args, TraceID and Remote
	// fields are the span's own and never change after the start: they
	// are all that methods which may run concurrently with End read. The
	// other fields are written only by the start and by the one End.
	ev        Event
	tree      *spanTree
	start     time.Time // ev.Time of the start event
	startMono int64     // the start's monotonic time (clock.Stamp.Mono)
	// state holds spanEnded, spanHasMore and spanShared. It is read and
	// written atomically, except by a FrameTracker on a span that only its
	// goroutine can reach (see FrameTracker.ExitFrame and reset).
	state uint32
	mu    sync.Mutex
	// tags are the effective tags; the map is replaced (under mu), never
	// mutated, so children read it without locking.
	tags atomic.Pointer[map[string]string]
	more *spanMore // guarded by mu; nil until needed (then state has spanHasMore)

	stackBuf [4]SpanID // holds stack for trees up to 4 deep
	argBuf   [2]Arg    // holds args for spans with up to 2 arguments
}

// spanMore holds the state few spans need.
type spanMore struct {
	startID   SpanID // the start event's id, when ids come from WithIDs
	attempts  []LLMAttempt
	nAttempts int          // attempts started with StartAttempt
	otelID    trace.SpanID // the OTel span current in this span's ctx
}

// A spanTree holds what a span started by StartSpan (its owner) shares with
// the spans of traced frames started below it.
type spanTree struct {
	tracer  *Tracer
	sink    Sink
	scoped  Sink
	traceID trace.TraceID
	owner   *Span
	remote  *RemoteParent // the owner's remote parent, if any
	ids     IDSink        // the sink that chooses OTel ids, if any
	reuse   bool          // no sink retains events: ended spans may be reused (see FrameTracker)
}

// Bits of Span.state.
const (
	spanEnded   = 1 << iota // End has been called
	spanHasMore             // more is set
	spanShared              // a Context holds the span: it is never reused
)

// moreLocked returns s.more, allocating it; s.mu must be held.
func (s *Span) moreLocked() *spanMore {
	if s.more == nil {
		s.more = &spanMore{}
		atomic.OrUint32(&s.state, spanHasMore)
	}
	return s.more
}

// A rootSpan is a span started by StartSpan and its spanTree, allocated
// together.
type rootSpan struct {
	Span
	tree spanTree
}

// startChild starts a child of s in c: a zero Span, or an ended one whose
// memory is reused (see FrameTracker), whose every field start sets. It is
// how a FrameTracker starts the span of a traced frame. args must already
// be in snapshot form; startChild copies the slice. The random bits of the
// child's id come from ft (nil: from math/rand/v2).
func (s *Span) startChild(c *Span, ft *FrameTracker, name string, kind Kind, args []Arg) *Span {
	t := s.tree.tracer
	now, st := t.read()
	c.tree = s.tree
	e := &c.ev
	e.Span.Parent, e.Span.Root = s.ev.Span.ID, s.ev.Span.Root
	e.Stack = c.growStack(s.ev.Stack)
	t.startIDs(e, st.Wall, ft)
	e.Name, e.SpanKind, e.Args = name, kind, c.keepArgs(args)
	e.TraceID, e.Remote = s.tree.traceID, nil
	if p := s.tags.Load(); p != nil { // no atomic store for a span without tags
		c.tags.Store(p)
	}
	c.emitStart(now, st.Mono)
	return c
}

// emitStart completes the span's event as its start event, at now (whose
// monotonic time is mono), and emits it. The span's own fields (Span,
// Stack, Name, SpanKind, Args, TraceID, Remote) and the event's id are set.
func (s *Span) emitStart(now time.Time, mono int64) {
	s.start, s.startMono = now, mono
	e := &s.ev
	if s.tree.tracer.newID != nil { // ids from WithIDs: keep the start event's
		s.more = &spanMore{startID: e.ID}
		atomic.OrUint32(&s.state, spanHasMore)
	}
	e.Kind, e.Time, e.Tags = EventStart, now, s.loadTags()
	e.Result, e.Err, e.Start, e.Duration, e.Attempts, e.OTel = nil, nil, time.Time{}, 0, nil, nil
	s.tree.sink.Emit(e)
}

// startID returns the id of the span's start event: the span's id plus
// one in rand_b (see Tracer.idPair), or the id WithIDs gave it.
func (s *Span) startID() SpanID {
	if s.tree.tracer.newID != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.more.startID
	}
	id := s.ev.Span.ID
	return v7Seq(binary.BigEndian.Uint64(id[0:8]), id.randB()+1)
}

// startEvent returns the span's start event, made again from the span's
// own fields (which End does not change).
func (s *Span) startEvent() Event {
	e := &s.ev
	return Event{
		Kind: EventStart, ID: s.startID(), Span: e.Span, Stack: e.Stack, Time: s.start,
		Name: e.Name, SpanKind: e.SpanKind, Args: e.Args, Tags: s.loadTags(), TraceID: e.TraceID, Remote: e.Remote,
	}
}

func (s *Span) loadTags() map[string]string {
	if p := s.tags.Load(); p != nil {
		return *p
	}
	return nil
}

// SpanContext returns the span's place in its tree.
func (s *Span) SpanContext() SpanContext {
	if s == nil {
		return SpanContext{}
	}
	return s.ev.Span
}

// Stack returns the span's call stack, root first; the caller must not modify it.
func (s *Span) Stack() []SpanID {
	if s == nil {
		return nil
	}
	return s.ev.Stack
}

// TraceID returns the OpenTelemetry trace id of the span's tree.
func (s *Span) TraceID() trace.TraceID {
	if s == nil {
		return trace.TraceID{}
	}
	return s.tree.traceID
}

// Name returns the span's name.
func (s *Span) Name() string {
	if s == nil {
		return ""
	}
	return s.ev.Name
}

// Tags returns the span's current tags (inherited and its own). The map must
// not be modified.
func (s *Span) Tags() map[string]string {
	if s == nil {
		return nil
	}
	return s.loadTags()
}

// Context returns ctx carrying s as the innermost bex span, extended by the
// span's ContextSinks (the OpenTelemetry bridge puts the span's OTel span
// context there). Code running inside the span should use this ctx.
func (s *Span) Context(ctx context.Context) context.Context {
	if s == nil {
		return ctx
	}
	atomic.OrUint32(&s.state, spanShared)
	ctx = context.WithValue(ctx, spanKey{}, s)
	if cs, ok := s.tree.sink.(ContextSink); ok {
		start := s.startEvent()
		ctx = cs.ContextFor(ctx, &start)
	}
	osc := trace.SpanContextFromContext(ctx)
	s.mu.Lock()
	if osc.SpanID().IsValid() || s.more != nil {
		s.moreLocked().otelID = osc.SpanID()
	}
	s.mu.Unlock()
	return ctx
}

func (s *Span) otelSpanID() trace.SpanID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.more == nil {
		return trace.SpanID{}
	}
	return s.more.otelID
}

// SetTags sets tags on s: alternating keys and values (values formatted with
// %v; secret-looking keys get Redacted). Children started afterwards inherit
// them; siblings and the parent never see them.
func (s *Span) SetTags(kv ...any) {
	if s == nil || len(kv) == 0 {
		return
	}
	set := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		v := ""
		if i+1 < len(kv) {
			v = fmt.Sprint(kv[i+1])
		}
		if IsSecretKey(k) {
			v = Redacted
		}
		set[k] = v
	}
	s.mu.Lock()
	if atomic.LoadUint32(&s.state)&spanEnded != 0 {
		s.mu.Unlock()
		return
	}
	old := s.loadTags()
	tags := make(map[string]string, len(old)+len(set))
	for k, v := range old {
		tags[k] = v
	}
	for k, v := range set {
		tags[k] = v
	}
	s.tags.Store(&tags)
	s.mu.Unlock()
	t := s.tree.tracer
	now := t.Now()
	e := &s.ev
	s.tree.sink.Emit(&Event{Kind: EventSetTags, ID: t.id(now), Span: e.Span, Stack: e.Stack, Time: now,
		Name: e.Name, SpanKind: e.SpanKind, Tags: set, TraceID: e.TraceID, Remote: e.Remote})
}

// Partial reports v, a partial value of the span's result (a snapshot
// value; an LLM function's reply as far as it has streamed), to the span's
// sinks as an EventPartial. It does nothing once the span has ended.
func (s *Span) Partial(v any) {
	if s == nil || atomic.LoadUint32(&s.state)&spanEnded != 0 {
		return
	}
	t := s.tree.tracer
	now := t.Now()
	e := &s.ev
	s.tree.sink.Emit(&Event{Kind: EventPartial, ID: t.id(now), Span: e.Span, Stack: e.Stack, Time: now,
		Name: e.Name, SpanKind: e.SpanKind, Result: v, TraceID: e.TraceID})
}

// AddAttempts records LLM provider attempts, reported in the end event.
func (s *Span) AddAttempts(a ...LLMAttempt) {
	if s == nil {
		return
	}
	s.mu.Lock()
	m := s.moreLocked()
	m.attempts = append(m.attempts, a...)
	s.mu.Unlock()
}

// End ends the span with a Go result (snapshotted) or an error. Only the
// first End of a span has an effect.
func (s *Span) End(result any, err error) {
	if s == nil {
		return
	}
	if err != nil {
		result = nil
	}
	s.endSnapshot(Snapshot(result), err)
}

// endSnapshot is End for a result already in snapshot form (the engine's).
func (s *Span) endSnapshot(result any, err error) {
	if s == nil {
		return
	}
	s.end(result, err, false)
}

// end ends the span and reports whether this call did (and not an earlier
// one). When only the calling goroutine can reach s (excl, see
// FrameTracker.ExitFrame),
// a plain store marks the span ended; else one atomic operation does (the
// lock is taken only to read the attempts of an LLM span).
func (s *Span) end(result any, err error, excl bool) bool {
	state := atomic.LoadUint32(&s.state)
	if excl && state&spanShared == 0 {
		if state&spanEnded != 0 {
			return false
		}
		s.state = state | spanEnded
	} else {
		for {
			if state&spanEnded != 0 {
				return false
			}
			if atomic.CompareAndSwapUint32(&s.state, state, state|spanEnded) {
				break
			}
			state = atomic.LoadUint32(&s.state)
		}
	}
	var attempts []LLMAttempt
	if state&spanHasMore != 0 {
		s.mu.Lock()
		attempts = s.more.attempts
		s.mu.Unlock()
	}
	t := s.tree.tracer
	now, st := t.read()
	d := time.Duration(st.Mono - s.startMono)
	if d < 0 { // a clock whose anchor moved by a fraction of a microsecond
		now, d = s.start, 0
	}
	var info *ErrorInfo
	if err != nil {
		result, info = nil, ErrorInfoOf(err)
	}
	e := &s.ev
	t.endID(e, st.Wall)
	if ids := s.tree.ids; ids != nil { // a live OpenTelemetry bridge
		e.OTel = nil
		if o, ok := ids.OTelIDs(e.Span.ID); ok {
			e.OTel = &o
		}
	}
	e.Kind, e.Time, e.Tags = EventEnd, now, s.loadTags()
	e.Result, e.Err, e.Start, e.Duration, e.Attempts = result, info, s.start, d, attempts
	s.tree.sink.Emit(e)
	return true
}
