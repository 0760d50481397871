// call.go holds the per-call state a Collector builds from events.

package collector

import (
	"maps"
	"reflect"
	"slices"
	"time"
	"weak"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
)

// A call is a tracked call in progress or completed. Its fields are guarded
// by the Collector's mutex.
//
// Retained events are kept in a compact form: the start and end events of
// a span are its record's (spanRec) two evRefs, which hold only what differs
// between them (event id, time, tags), and events lists them in arrival
// order as 4-byte references; the snapshot rebuilds them as vmspan.Events.
// An event that does not fit the compact form (a set-tags event, or one
// whose span fields differ from its span's other event) is kept whole in
// full.
type call struct {
	root    vmspan.SpanID
	level   int                     // the root's depth in its tree (len(stack)-1)
	spans   map[vmspan.SpanID]int32 // indexes in order, built once a call has many spans
	order   []*spanRec              // spans in start order, the root first
	events  []evIndex
	full    []vmspan.Event
	omitted int

	// treeRoot and traceID are those of the call's first event, and utc
	// tells whether its time is in UTC or time.Local; the compact form
	// holds events that have the same.
	treeRoot vmspan.SpanID
	traceID  trace.TraceID
	utc      bool

	args   []vmspan.Arg
	tags   map[string]string
	result any
	err    *vmspan.ErrorInfo
	usage  Usage

	done    bool
	removed bool
	// snap is the last snapshot, while the caller holds it; stale when
	// events arrived after it was made.
	snap  weak.Pointer[FunctionLog]
	stale bool

	// ids and argv are chunks that spans' copies of their stacks and
	// arguments are cut from, so that copying them rarely allocates.
	ids  []vmspan.SpanID
	argv []vmspan.Arg
}

// An evIndex refers to a retained event: the index of its span in
// call.order with the event's kind (evStart, evEnd) in the low bits, or
// its index in call.full with evFull.
type evIndex uint32

const (
	evStart evIndex = iota
	evEnd
	evFull
	evKindBits = 2
)

// Chunk sizes of call.ids and call.argv.
const (
	idChunk  = 64
	argChunk = 32
)

// derives reports whether e's stack is that of its parent's record with
// e's span id added, so that the span's record need not hold a copy.
func (cl *call) derives(e *vmspan.Event) bool {
	s := e.Stack
	n := len(s)
	if n < 2 || s[n-1] != e.Span.ID {
		return false
	}
	j := n - 2
	for r := cl.span(e.Span.Parent); r != nil; r = cl.span(r.parent) {
		if s[j] != r.id {
			return false
		}
		if !r.derived {
			return slices.Equal(r.stack, s[:j+1])
		}
		if j--; j < 0 {
			return false
		}
	}
	return false
}

// stackOf returns r's stack: its copy, or one built from its parents'.
func (cl *call) stackOf(r *spanRec) []vmspan.SpanID {
	if !r.derived {
		return r.stack
	}
	return append(slices.Clip(cl.stackOf(cl.span(r.parent))), r.id)
}

// stacks returns the stacks of all spans, built from one allocation.
func (cl *call) stacks() [][]vmspan.SpanID {
	out := make([][]vmspan.SpanID, len(cl.order))
	var n int
	for _, r := range cl.order {
		if r.derived {
			n += int(r.depth) + cl.level + 1
		}
	}
	buf := make([]vmspan.SpanID, 0, n)
	for i, r := range cl.order {
		if !r.derived {
			out[i] = r.stack
			continue
		}
		p := out[cl.find(r.parent)]
		start := len(buf)
		buf = append(append(buf, p...), r.id)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

// cut returns a copy of src cut from the end of *chunk, allocating a new
// chunk of at least size elements when src does not fit. The copy's
// capacity is its length, so appending to it never writes into the chunk.
func cut[T any](chunk *[]T, src []T, size int) []T {
	if len(src) == 0 {
		return nil
	}
	if cap(*chunk)-len(*chunk) < len(src) {
		*chunk = make([]T, 0, max(size, len(src)))
	}
	i := len(*chunk)
	*chunk = append(*chunk, src...)
	return (*chunk)[i:len(*chunk):len(*chunk)]
}

// A spanRec is one span of a call: what its SpanLog says, and what its
// start and end events have in common.
type spanRec struct {
	id, parent vmspan.SpanID
	name       string
	kind       vmspan.Kind
	ended      bool
	derived    bool // the span's stack is its parent's and its id (stack is nil)
	depth      int32
	start      int64 // Unix nanoseconds (see packTime), unless more.start is set
	dur        time.Duration
	result     any
	// stack and args are the call's own copies of the span's Stack and
	// Args, which the events the Collector retains use: the tracer lends
	// an event's slices for the duration of Emit only.
	stack []vmspan.SpanID
	args  []vmspan.Arg
	evs   [2]evRef // the start and end events, when retained compactly
	more  *spanMore
}

// An evRef is what a retained start or end event has of its own.
type evRef struct {
	id   vmspan.SpanID
	time int64 // Unix nanoseconds (see packTime)
	tags map[string]string
}

// spanMore holds what only some spans have.
type spanMore struct {
	err      *vmspan.ErrorInfo
	remote   *vmspan.RemoteParent // the call's own copy
	attempts []vmspan.LLMAttempt
	otel     *vmspan.OTelIDs // the end event's
	tagIDs   []vmspan.SpanID // set-tags events applied, to skip duplicates
	start    time.Time       // when packTime cannot hold it
	hasStart bool
}

var noMore spanMore

// get returns r.more, or an empty spanMore to read from.
func (r *spanRec) get() *spanMore {
	if r.more == nil {
		return &noMore
	}
	return r.more
}

// set returns r.more for writing, making it if needed.
func (r *spanRec) set() *spanMore {
	if r.more == nil {
		r.more = &spanMore{}
	}
	return r.more
}

func (r *spanRec) startTime(utc bool) time.Time {
	if m := r.get(); m.hasStart {
		return m.start
	}
	return unpackTime(r.start, utc)
}

func (r *spanRec) setStart(t time.Time, utc bool) {
	if ns, ok := packTime(t, utc); ok {
		r.start = ns
		if r.more != nil {
			r.more.start, r.more.hasStart = time.Time{}, false
		}
		return
	}
	m := r.set()
	m.start, m.hasStart = t, true
}

func (r *spanRec) log(utc bool) SpanLog {
	return SpanLog{ID: r.id, Parent: r.parent, Name: r.name, Kind: r.kind, Depth: int(r.depth),
		Timing: timing(r.startTime(utc), r.dur), Ended: r.ended, Error: r.get().err}
}

// packTime returns t as Unix nanoseconds when unpackTime gives t back
// exactly: a time in UTC (utc) or time.Local without a monotonic reading,
// as the tracer's clock makes them.
func packTime(t time.Time, utc bool) (int64, bool) {
	ns := t.UnixNano()
	return ns, unpackTime(ns, utc) == t
}

func unpackTime(ns int64, utc bool) time.Time {
	if utc {
		return time.Unix(0, ns).UTC()
	}
	return time.Unix(0, ns)
}

// smallCall is the span count up to which a call finds spans by scanning
// order; most calls have a root and a few LLM spans, and a map would be
// their biggest allocation.
const smallCall = 8

func newCall(e *vmspan.Event, level int) *call {
	return &call{root: e.Span.ID, level: level, treeRoot: e.Span.Root, traceID: e.TraceID, utc: e.Time.Location() == time.UTC,
		order: make([]*spanRec, 0, 2), events: make([]evIndex, 0, 4)}
}

// span returns the record of span id, or nil.
func (cl *call) span(id vmspan.SpanID) *spanRec {
	if i := cl.find(id); i >= 0 {
		return cl.order[i]
	}
	return nil
}

// find returns the index in cl.order of the record of span id, or -1.
func (cl *call) find(id vmspan.SpanID) int {
	if cl.spans != nil {
		if i, ok := cl.spans[id]; ok {
			return int(i)
		}
		return -1
	}
	for i, r := range cl.order {
		if r.id == id {
			return i
		}
	}
	return -1
}

func (cl *call) isRootEnd(e *vmspan.Event) bool {
	return e.Kind == vmspan.EventEnd && e.Span.ID == cl.root
}

// apply updates cl with e and returns the record of e's span and its index
// in cl.order when e was new (not a duplicate and about a span cl can
// place), else nil.
func (cl *call) apply(e *vmspan.Event) (*spanRec, int) {
	var i int
	switch e.Kind {
	case vmspan.EventStart:
		i = cl.start(e)
	case vmspan.EventEnd:
		i = cl.end(e)
	case vmspan.EventSetTags:
		i = cl.setTags(e)
	default:
		return nil, -1
	}
	if i < 0 {
		return nil, -1
	}
	cl.stale = true
	return cl.order[i], i
}

// start, end and setTags apply an event of their kind and return the
// index of its span's record, or -1 when the event is not new.
func (cl *call) start(e *vmspan.Event) int {
	if cl.find(e.Span.ID) >= 0 {
		return -1
	}
	r := cl.add(e)
	if e.Span.ID == cl.root {
		cl.args, cl.tags = r.args, e.Tags
	}
	return len(cl.order) - 1
}

// add records a new span, last in cl.order.
func (cl *call) add(e *vmspan.Event) *spanRec {
	r := &spanRec{id: e.Span.ID, parent: e.Span.Parent, name: e.Name, kind: e.SpanKind,
		depth: int32(max(len(stackOf(e))-1-cl.level, 0))}
	r.setStart(e.Time, cl.utc)
	if e.Remote != nil {
		rp := *e.Remote
		r.set().remote = &rp
	}
	if r.derived = cl.derives(e); !r.derived {
		r.stack = cut(&cl.ids, e.Stack, idChunk)
	}
	r.args = cut(&cl.argv, e.Args, argChunk)
	cl.order = append(cl.order, r)
	switch {
	case cl.spans != nil:
		cl.spans[r.id] = int32(len(cl.order) - 1)
	case len(cl.order) > smallCall:
		cl.spans = make(map[vmspan.SpanID]int32, 2*len(cl.order))
		for i, o := range cl.order {
			cl.spans[o.id] = int32(i)
		}
	}
	return r
}

// end records a span's end. An end whose start was not seen still counts:
// end events carry everything the start did.
func (cl *call) end(e *vmspan.Event) int {
	var r *spanRec
	i := cl.find(e.Span.ID)
	switch {
	case i < 0:
		r = cl.add(e)
		i = len(cl.order) - 1
	case cl.order[i].ended:
		return -1
	default:
		r = cl.order[i]
	}
	r.ended, r.result, r.dur = true, e.Result, e.Duration
	r.setStart(e.Start, cl.utc)
	if e.Err != nil || e.Attempts != nil || e.OTel != nil {
		m := r.set()
		m.err, m.attempts, m.otel = e.Err, e.Attempts, e.OTel
	}
	for _, a := range e.Attempts {
		cl.usage = cl.usage.Add(a.Usage)
	}
	if e.Span.ID == cl.root {
		cl.args, cl.tags, cl.result, cl.err = r.args, e.Tags, e.Result, e.Err
		cl.done = true
	}
	return i
}

func (cl *call) setTags(e *vmspan.Event) int {
	i := cl.find(e.Span.ID)
	if i < 0 {
		return -1
	}
	r := cl.order[i]
	m := r.set()
	for _, id := range m.tagIDs {
		if id == e.ID {
			return -1
		}
	}
	m.tagIDs = append(m.tagIDs, e.ID)
	if e.Span.ID == cl.root && !r.ended {
		t := maps.Clone(cl.tags)
		if t == nil {
			t = make(map[string]string, len(e.Tags))
		}
		maps.Copy(t, e.Tags)
		cl.tags = t
	}
	return i
}

// retain keeps e, the event of span r (cl.order[i]) that apply has just
// recorded, in compact form when it fits, else as a copy.
func (cl *call) retain(r *spanRec, i int, e *vmspan.Event) {
	if e.Kind == vmspan.EventStart || e.Kind == vmspan.EventEnd {
		if ns, ok := packTime(e.Time, cl.utc); ok && cl.fits(r, e) {
			k := evStart
			if e.Kind == vmspan.EventEnd {
				k = evEnd
			}
			r.evs[k] = evRef{id: e.ID, time: ns, tags: e.Tags}
			cl.events = append(cl.events, evIndex(i)<<evKindBits|k)
			return
		}
	}
	ev := *e
	ev.Stack, ev.Args = cl.stackOf(r), nil
	if e.Kind != vmspan.EventSetTags {
		ev.Args = r.args
	}
	cl.events = append(cl.events, evIndex(len(cl.full))<<evKindBits|evFull)
	cl.full = append(cl.full, ev)
}

// fits reports whether the span fields of e are those of its span's record
// and call, so that the compact form rebuilds e exactly. The fields of an
// end event (result, error, timing, attempts) are the record's by
// construction; a start event must have none.
func (cl *call) fits(r *spanRec, e *vmspan.Event) bool {
	m := r.get()
	if e.Name != r.name || e.SpanKind != r.kind || e.Span.Parent != r.parent || e.Span.Root != cl.treeRoot ||
		e.TraceID != cl.traceID || !sameRemote(e.Remote, m.remote) {
		return false
	}
	return e.Kind == vmspan.EventEnd ||
		e.Result == nil && e.Err == nil && e.Start.IsZero() && e.Duration == 0 && e.Attempts == nil && e.OTel == nil
}

// sameRemote reports whether a and b are the same remote parent: the same
// pointer, as the tracer gives a span's events, or equal values.
func sameRemote(a, b *vmspan.RemoteParent) bool {
	return a == b || a != nil && b != nil && reflect.DeepEqual(*a, *b)
}

// event rebuilds the retained event x; stacks are the spans' stacks.
func (cl *call) event(x evIndex, stacks [][]vmspan.SpanID) vmspan.Event {
	k, i := x&(1<<evKindBits-1), int(x>>evKindBits)
	if k == evFull {
		return cl.full[i]
	}
	r := cl.order[i]
	ref, m := &r.evs[k], r.get()
	e := vmspan.Event{
		ID: ref.id, Span: vmspan.SpanContext{ID: r.id, Parent: r.parent, Root: cl.treeRoot}, TraceID: cl.traceID,
		Kind: vmspan.EventStart, SpanKind: r.kind, Stack: stacks[i], Time: unpackTime(ref.time, cl.utc),
		Name: r.name, Args: r.args, Tags: ref.tags, Remote: m.remote,
	}
	if k == evEnd {
		e.Kind, e.Result, e.Err, e.Start, e.Duration, e.Attempts = vmspan.EventEnd, r.result, m.err, r.startTime(cl.utc), r.dur, m.attempts
		e.OTel = m.otel
	}
	return e
}

// snapshot returns the call's FunctionLog: the last one made while the
// caller still holds it and no event has arrived since, else a new one.
func (cl *call) snapshot() *FunctionLog {
	if !cl.stale {
		if fl := cl.snap.Value(); fl != nil {
			return fl
		}
	}
	root := cl.order[0]
	fl := &FunctionLog{
		ID: cl.root.String(), RootID: cl.root, FunctionName: root.name, Kind: root.kind,
		Args: cl.args, Result: cl.result, Error: cl.err, Timing: timing(root.startTime(cl.utc), root.dur), Usage: cl.usage, Tags: cl.tags,
		Spans: make([]SpanLog, len(cl.order)), Events: make([]vmspan.Event, len(cl.events)), EventsOmitted: cl.omitted,
	}
	for i, r := range cl.order {
		fl.Spans[i] = r.log(cl.utc)
		for _, a := range r.get().attempts {
			fl.Calls = append(fl.Calls, newLLMCall(r, a))
		}
	}
	if len(cl.events) > 0 {
		stacks := cl.stacks()
		for i, x := range cl.events {
			fl.Events[i] = cl.event(x, stacks)
		}
	}
	cl.snap, cl.stale = weak.Make(fl), false
	return fl
}
