// call.go holds the per-call state a Collector builds from events.

package collector

import (
	"maps"

	"github.com/bexrun/bex/vmspan"
)

// A call is a tracked call in progress or completed. Its fields are guarded
// by the Collector's mutex.
type call struct {
	root    vmspan.SpanID
	level   int                        // the root's depth in its tree (len(stack)-1)
	spans   map[vmspan.SpanID]*spanRec // built once a call has many spans
	order   []*spanRec                 // spans in start order, the root first
	events  []vmspan.Event
	omitted int

	args   []vmspan.Arg
	tags   map[string]string
	result any
	err    *vmspan.ErrorInfo
	usage  Usage

	done    bool
	removed bool
	snap    *FunctionLog // nil until built, and again when events arrive later

	// ids and argv are chunks that spans' copies of their stacks and
	// arguments are cut from, so that copying them rarely allocates.
	ids  []vmspan.SpanID
	argv []vmspan.Arg
}

// Chunk sizes of call.ids and call.argv.
const (
	idChunk  = 64
	argChunk = 32
)

// own returns cl's copies of the Stack and Args of e, the first event of
// its span that cl records.
func (cl *call) own(e *vmspan.Event) ([]vmspan.SpanID, []vmspan.Arg) {
	return cut(&cl.ids, e.Stack, idChunk), cut(&cl.argv, e.Args, argChunk)
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

// A spanRec is one span of a call.
type spanRec struct {
	log      SpanLog
	attempts []vmspan.LLMAttempt
	tagIDs   []vmspan.SpanID // set-tags events applied, to skip duplicates
	// stack and args are the call's own copies of the span's Stack and
	// Args, which the events the Collector retains use: the tracer lends
	// an event's slices for the duration of Emit only.
	stack []vmspan.SpanID
	args  []vmspan.Arg
}

// smallCall is the span count up to which a call finds spans by scanning
// order; most calls have a root and a few LLM spans, and a map would be
// their biggest allocation.
const smallCall = 8

func newCall(root vmspan.SpanID, level int) *call {
	return &call{root: root, level: level, order: make([]*spanRec, 0, 2), events: make([]vmspan.Event, 0, 4)}
}

// span returns the record of span id, or nil.
func (cl *call) span(id vmspan.SpanID) *spanRec {
	if cl.spans != nil {
		return cl.spans[id]
	}
	for _, r := range cl.order {
		if r.log.ID == id {
			return r
		}
	}
	return nil
}

func (cl *call) isRootEnd(e *vmspan.Event) bool {
	return e.Kind == vmspan.EventEnd && e.Span.ID == cl.root
}

// apply updates cl with e and returns the record of e's span when e was
// new (not a duplicate and about a span cl can place), else nil.
func (cl *call) apply(e *vmspan.Event) *spanRec {
	var r *spanRec
	switch e.Kind {
	case vmspan.EventStart:
		r = cl.start(e)
	case vmspan.EventEnd:
		r = cl.end(e)
	case vmspan.EventSetTags:
		r = cl.setTags(e)
	}
	if r != nil {
		cl.snap = nil
	}
	return r
}

func (cl *call) start(e *vmspan.Event) *spanRec {
	if cl.span(e.Span.ID) != nil {
		return nil
	}
	r := cl.add(e)
	if e.Span.ID == cl.root {
		cl.args, cl.tags = r.args, e.Tags
	}
	return r
}

func (cl *call) add(e *vmspan.Event) *spanRec {
	r := &spanRec{log: SpanLog{
		ID: e.Span.ID, Parent: e.Span.Parent, Name: e.Name, Kind: e.SpanKind,
		Depth: max(len(stackOf(e))-1-cl.level, 0), Timing: timing(e.Time, 0),
	}}
	r.stack, r.args = cl.own(e)
	cl.order = append(cl.order, r)
	switch {
	case cl.spans != nil:
		cl.spans[r.log.ID] = r
	case len(cl.order) > smallCall:
		cl.spans = make(map[vmspan.SpanID]*spanRec, 2*len(cl.order))
		for _, o := range cl.order {
			cl.spans[o.log.ID] = o
		}
	}
	return r
}

// end records a span's end. An end whose start was not seen still counts:
// end events carry everything the start did.
func (cl *call) end(e *vmspan.Event) *spanRec {
	r := cl.span(e.Span.ID)
	if r == nil {
		r = cl.add(e)
	} else if r.log.Ended {
		return nil
	}
	r.log.Ended, r.log.Error = true, e.Err
	r.log.Timing = timing(e.Start, e.Duration)
	r.attempts = e.Attempts
	for _, a := range e.Attempts {
		cl.usage = cl.usage.Add(a.Usage)
	}
	if e.Span.ID == cl.root {
		cl.args, cl.tags, cl.result, cl.err = r.args, e.Tags, e.Result, e.Err
		cl.done = true
	}
	return r
}

func (cl *call) setTags(e *vmspan.Event) *spanRec {
	r := cl.span(e.Span.ID)
	if r == nil {
		return nil
	}
	for _, id := range r.tagIDs {
		if id == e.ID {
			return nil
		}
	}
	r.tagIDs = append(r.tagIDs, e.ID)
	if e.Span.ID == cl.root && !r.log.Ended {
		t := maps.Clone(cl.tags)
		if t == nil {
			t = make(map[string]string, len(e.Tags))
		}
		maps.Copy(t, e.Tags)
		cl.tags = t
	}
	return r
}

// snapshot returns the call's FunctionLog, building it when stale.
func (cl *call) snapshot() *FunctionLog {
	if cl.snap != nil {
		return cl.snap
	}
	root := cl.order[0].log
	fl := &FunctionLog{
		ID: cl.root.String(), RootID: cl.root, FunctionName: root.Name, Kind: root.Kind,
		Args: cl.args, Result: cl.result, Error: cl.err, Timing: root.Timing, Usage: cl.usage, Tags: cl.tags,
		Spans:  make([]SpanLog, len(cl.order)),
		Events: cl.events[:len(cl.events):len(cl.events)], EventsOmitted: cl.omitted,
	}
	for i, r := range cl.order {
		fl.Spans[i] = r.log
		for _, a := range r.attempts {
			fl.Calls = append(fl.Calls, newLLMCall(r, a))
		}
	}
	cl.snap = fl
	return fl
}
