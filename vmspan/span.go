// span.go holds the Tracer, the default tracer, and Span (host and engine spans).

package vmspan

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// A Tracer starts spans and sends their events to its Sink. A Tracer is safe
// for concurrent use. A Tracer whose sink is nil does nothing: Start returns
// ctx unchanged and a nil *Span, whose methods are no-ops.
type Tracer struct {
	sink  Sink
	newID func() SpanID
	now   func() time.Time // nil: the default clock (see clock.go)
}

// A TracerOption configures a Tracer.
type TracerOption func(*Tracer)

// WithIDs sets the id source (default: UUID v7 ids made from the event's
// timestamp, like NewSpanID). Tests use SequentialIDs.
func WithIDs(f func() SpanID) TracerOption { return func(t *Tracer) { t.newID = f } }

// WithClock sets the clock (default: time.Now, read more cheaply; see
// Now). Durations are the difference of two clock readings, so the default
// clock gives monotonic durations.
func WithClock(f func() time.Time) TracerOption { return func(t *Tracer) { t.now = f } }

// NewTracer returns a Tracer that sends events to sink (nil: nowhere).
func NewTracer(sink Sink, opts ...TracerOption) *Tracer {
	t := &Tracer{sink: sink}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Sink returns the tracer's sink (nil when none).
func (t *Tracer) Sink() Sink { return t.sink }

// NewID returns a new id from the tracer's id source.
func (t *Tracer) NewID() SpanID { return t.id(t.Now()) }

// id returns a new id for an event that happens at now.
func (t *Tracer) id(now time.Time) SpanID {
	if t.newID != nil {
		return t.newID()
	}
	return newV7(now.UnixNano())
}

// startIDs sets the ids of a span that starts at Unix time wall: its own
// (e.Span.ID, and the last id of e.Stack, for which e.Stack has room) and
// its start event's (e.ID), made in that order.
//
// The default source draws random bits once per span: the span's id gets
// 62 random bits r, its start event's id r+1 and its end event's id r+2
// (see endID), each with the timestamp of its event. Three ids still come
// out unique (two spans' ranges meet only if their draws are within 2 of
// each other in the same 250 ns), and one draw costs a third of three.
//
// The ids are written where they go rather than made and copied there: an
// id written as two 8-byte halves and at once read back as 16 bytes makes
// the processor wait for the halves to reach its cache.
func (t *Tracer) startIDs(e *Event, wall int64, c *SpanCache) {
	last := &e.Stack[len(e.Stack)-1]
	if t.newID != nil {
		e.Span.ID = t.newID()
		*last, e.ID = e.Span.ID, t.newID()
		return
	}
	var r uint64
	if c != nil {
		r = c.rand()
	} else {
		r = rand.Uint64()
	}
	p := v7Prefix(wall)
	e.Span.ID.setV7(p, r)
	last.setV7(p, r)
	e.ID.setV7(p, r+1)
}

// endID sets e.ID, the id of the end event of e's span at Unix time wall
// (see startIDs).
func (t *Tracer) endID(e *Event, wall int64) {
	if t.newID != nil {
		e.ID = t.newID()
		return
	}
	e.ID.setV7(v7Prefix(wall), e.Span.ID.randB()+2)
}

// Now reads the tracer's clock.
func (t *Tracer) Now() time.Time {
	if t.now == nil {
		return now()
	}
	return t.now()
}

// read reads the clock for an event: its time and its stamp.
func (t *Tracer) read() (time.Time, stamp) {
	if t.now == nil {
		st := nowStamp()
		return time.Unix(0, st.wall), st
	}
	tm := t.now()
	return tm, stampOf(tm)
}

var defaultTracer atomic.Pointer[Tracer]

func init() { defaultTracer.Store(NewTracer(nil)) }

// SetDefault makes t the default tracer, used by Start and by engines that
// are not given a tracer of their own. Call it once at start-up, before
// spans are started (bex.Setup does). A nil t restores a tracer with no sink.
func SetDefault(t *Tracer) {
	if t == nil {
		t = NewTracer(nil)
	}
	defaultTracer.Store(t)
}

// Default returns the default tracer. It is never nil.
func Default() *Tracer { return defaultTracer.Load() }

// Start starts a host span with the default tracer. See Tracer.Start.
func Start(ctx context.Context, name string, args ...any) (context.Context, *Span) {
	return Default().Start(ctx, name, args...)
}

// SetTags sets tags on the innermost bex span of ctx: alternating keys and
// values (values are formatted with %v). It does nothing when ctx has no span.
func SetTags(ctx context.Context, kv ...any) {
	SpanFromContext(ctx).SetTags(kv...)
}

// Start starts a host span named name as a child of the innermost bex span in
// ctx (or of the remote OpenTelemetry span in ctx, or as a new root) and
// returns a ctx that carries it. args are the span's named arguments, given
// as alternating name and value (like log/slog), or as Arg values; a value
// with no name is named argN after its position. Values are snapshotted
// immediately, and secret-named ones redacted. The caller must call End.
func (t *Tracer) Start(ctx context.Context, name string, args ...any) (context.Context, *Span) {
	if t.sink == nil && SpanFromContext(ctx) == nil {
		return ctx, nil
	}
	s := t.StartSpan(ctx, name, StartConfig{Kind: KindHostSpan, Args: hostArgs(args)})
	if s == nil {
		return ctx, nil
	}
	return s.Context(ctx), s
}

func hostArgs(args []any) []Arg {
	if len(args) == 0 {
		return nil
	}
	out := make([]Arg, 0, len(args)/2+1)
	for i := 0; i < len(args); i++ {
		switch a := args[i].(type) {
		case Arg:
			out = append(out, Arg{a.Name, Snapshot(a.Value)})
		case string:
			if i+1 < len(args) {
				out = append(out, Arg{a, Snapshot(args[i+1])})
				i++
				continue
			}
			out = append(out, Arg{fmt.Sprintf("arg%d", len(out)), a})
		default:
			out = append(out, Arg{fmt.Sprintf("arg%d", len(out)), Snapshot(a)})
		}
	}
	return RedactArgs(out)
}

// A StartConfig describes a span for Tracer.StartSpan.
type StartConfig struct {
	Kind Kind
	// Args are the span's arguments, already in snapshot form. StartSpan
	// copies the slice.
	Args []Arg
	// Sinks receive this span's events and those of children started with
	// StartChild, in addition to the tracer's sink.
	Sinks []Sink
	// Scoped sinks see this span's whole subtree, including spans of nested
	// engine calls made from ctxs below it (this is how a Collector sees the
	// whole subtree of a call).
	Scoped []Sink
}

// StartSpan starts a span as a child of the innermost bex span in ctx (and of
// the remote OTel span in ctx, if that is newer). It returns nil, doing no
// work, when no sink would receive the span's events. It is the low-level
// form used by the engine; host code uses Start.
func (t *Tracer) StartSpan(ctx context.Context, name string, cfg StartConfig) *Span {
	parent := SpanFromContext(ctx)
	var scopedParent Sink
	if parent != nil {
		scopedParent = parent.tree.scoped
	}
	sink := Fanout(append(append([]Sink{t.sink, scopedParent}, cfg.Sinks...), cfg.Scoped...)...)
	if sink == nil {
		return nil
	}
	r := &rootSpan{tree: spanTree{tracer: t, sink: sink}} // one allocation for both
	s := &r.Span
	s.tree = &r.tree
	r.tree.owner = s
	r.tree.scoped = Fanout(append([]Sink{scopedParent}, cfg.Scoped...)...)
	r.tree.remote = remoteFrom(ctx, parent)
	r.tree.reuse = !Retains(sink)
	now, st := t.read()
	e := &s.ev
	if parent != nil {
		e.Span.Parent, e.Span.Root = parent.ev.Span.ID, parent.ev.Span.Root
		e.Stack = s.growStack(parent.ev.Stack)
		t.startIDs(e, st.wall, nil)
		r.tree.traceID = parent.tree.traceID
		if p := parent.tags.Load(); p != nil { // no atomic store for a span without tags
			s.tags.Store(p)
		}
	} else {
		e.Stack = s.growStack(nil)
		t.startIDs(e, st.wall, nil)
		e.Span.Root = e.Span.ID
		r.tree.traceID = OTelTraceID(e.Span.ID)
	}
	if r.tree.remote != nil {
		r.tree.traceID = r.tree.remote.TraceID
	}
	e.Name, e.SpanKind, e.Args = name, cfg.Kind, s.keepArgs(cfg.Args)
	e.TraceID, e.Remote = r.tree.traceID, r.tree.remote
	s.emitStart(now, st.mono)
	return s
}

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
		// and reading them back in 16-byte moves would wait on those
		// stores (see Tracer.startIDs).
		out[i].Name, out[i].Value = args[i].Name, args[i].Value
	}
	return out
}

// A Span is a bex span in progress: a host span, or an engine span. All
// methods are safe for concurrent use, and all are no-ops on a nil *Span.
//
// A traced call allocates one Span (none when its memory is reused, see
// SpanCache). The span holds its own event, which it emits as its start
// event and then, with the fields an end changes set in place, as its end
// event: making an Event costs more than copying one, and most of an end
// event repeats the start. What all spans of a StartSpan subtree share
// lives in their spanTree, what only LLM spans and spans with a Context
// use lives in spanMore, and events point into the inline buffers rather
// than copies.
type Span struct {
	// ev is the span's start event until the span ends, then its end
	// event. Its Span, Stack, Name, SpanKind, Args, TraceID and Remote
	// fields are the span's own and never change after the start: they
	// are all that methods which may run concurrently with End read. The
	// other fields are written only by the start and by the one End.
	ev        Event
	tree      *spanTree
	start     time.Time // ev.Time of the start event
	startMono int64     // the start's monotonic time (stamp.mono)
	// state holds spanEnded, spanHasMore and spanShared. It is read and
	// written atomically, except by EndCached and reset on a span that
	// only their goroutine can reach (see EndCached).
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
	startID  SpanID // the start event's id, when ids come from WithIDs
	attempts []LLMAttempt
	otelID   trace.SpanID // the OTel span current in this span's ctx
}

// A spanTree holds what a span started by StartSpan (its owner) shares with
// the spans StartChild starts below it.
type spanTree struct {
	tracer  *Tracer
	sink    Sink
	scoped  Sink
	traceID trace.TraceID
	owner   *Span
	remote  *RemoteParent // the owner's remote parent, if any
	reuse   bool          // no sink retains events: ended spans may be reused (see SpanCache)
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

// StartChild starts a child span of s that sends its events where s does. It
// is how the engine starts the span of a traced frame. args must already be
// in snapshot form; StartChild copies the slice, so the caller may reuse it.
func (s *Span) StartChild(name string, kind Kind, args []Arg) *Span {
	if s == nil {
		return nil
	}
	return s.startChild(new(Span), nil, name, kind, args)
}

// startChild starts a child of s in c: a zero Span, or an ended one whose
// memory is reused (see SpanCache), whose every field start sets. The
// random bits of its id come from cache (nil: from math/rand/v2).
func (s *Span) startChild(c *Span, cache *SpanCache, name string, kind Kind, args []Arg) *Span {
	t := s.tree.tracer
	now, st := t.read()
	c.tree = s.tree
	e := &c.ev
	e.Span.Parent, e.Span.Root = s.ev.Span.ID, s.ev.Span.Root
	e.Stack = c.growStack(s.ev.Stack)
	t.startIDs(e, st.wall, cache)
	e.Name, e.SpanKind, e.Args = name, kind, c.keepArgs(args)
	e.TraceID, e.Remote = s.tree.traceID, nil
	if p := s.tags.Load(); p != nil { // no atomic store for a span without tags
		c.tags.Store(p)
	}
	c.emitStart(now, st.mono)
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
	e.Result, e.Err, e.Start, e.Duration, e.Attempts = nil, nil, time.Time{}, 0, nil
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
	s.EndSnapshot(Snapshot(result), err)
}

// EndSnapshot is End for a result already in snapshot form (the engine's).
func (s *Span) EndSnapshot(result any, err error) {
	if s == nil {
		return
	}
	s.end(result, err, false)
}

// end ends the span and reports whether this call did (and not an earlier
// one). When only the calling goroutine can reach s (excl, see EndCached),
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
	d := time.Duration(st.mono - s.startMono)
	if d < 0 { // a clock whose anchor moved by a fraction of a microsecond
		now, d = s.start, 0
	}
	var info *ErrorInfo
	if err != nil {
		result, info = nil, ErrorInfoOf(err)
	}
	e := &s.ev
	t.endID(e, st.wall)
	e.Kind, e.Time, e.Tags = EventEnd, now, s.loadTags()
	e.Result, e.Err, e.Start, e.Duration, e.Attempts = result, info, s.start, d, attempts
	s.tree.sink.Emit(e)
	return true
}

// A SpanCache lets an engine call reuse the memory of its traced frames'
// spans. A span is a traced call's one allocation, and a fresh allocation
// costs more than the rest of the span's work, because its memory is cold;
// a span reused from the cache is warm. A span goes back to the cache when
// it ends, if nothing can reference it any more: it was started by
// StartChildCached, no sink of its tree retains events (see Retainer), and
// no Context was made of it (host code never saw it). A SpanCache belongs
// to one goroutine; the zero value is ready to use.
//
// A SpanCache also draws the random bits of its spans' ids (see
// Tracer.startIDs) from a generator of its own, splitmix64 seeded from
// math/rand/v2, which costs a fraction of a draw from math/rand/v2's
// per-thread ChaCha8: the bits of different caches start at independent
// random points of splitmix64's period of 2^64.
type SpanCache struct {
	free []*Span // ended spans, the last ended last
	rng  uint64  // splitmix64 state; 0: not seeded yet
}

// rand returns the next 64 random bits of c's generator.
func (c *SpanCache) rand() uint64 {
	if c.rng == 0 {
		c.rng = rand.Uint64() | 1
	}
	c.rng += 0x9e3779b97f4a7c15
	z := c.rng
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// StartChildCached is StartChild with the child's memory taken from c when
// c holds an ended span. A nil c holds none.
func (s *Span) StartChildCached(c *SpanCache, name string, kind Kind, args []Arg) *Span {
	if s == nil {
		return nil
	}
	if c == nil {
		return s.startChild(new(Span), nil, name, kind, args)
	}
	if n := len(c.free); n > 0 {
		child := c.free[n-1]
		c.free = c.free[:n-1]
		child.reset()
		return s.startChild(child, c, name, kind, args)
	}
	return s.startChild(new(Span), c, name, kind, args)
}

// reset makes an ended span from the cache like a new one, for startChild,
// which sets the rest. Nothing else references the span. The slots of
// argBuf past the new span's arguments keep old values until overwritten:
// garbage that a cache holds at most until its engine call ends.
func (s *Span) reset() {
	s.state = 0
	if s.tags.Load() != nil {
		s.tags.Store(nil)
	}
	s.more = nil
}

// EndCached is EndSnapshot for a span started by StartChildCached: after
// the end event, it puts the span in c for reuse if nothing can reference
// it any more (see SpanCache). The caller must not use s afterwards. A nil
// c keeps nothing.
//
// The goroutine that calls EndCached must be the only one that can reach
// s, unless a Context was made of s, as it is for the engine: its traced
// frames' spans are handed to other code only through a Context.
func (s *Span) EndCached(c *SpanCache, result any, err error) {
	if s == nil || !s.end(result, err, s.tree.owner != s) {
		return
	}
	if c != nil && s.tree.reuse && s.tree.owner != s && atomic.LoadUint32(&s.state)&spanShared == 0 {
		c.free = append(c.free, s)
	}
}
