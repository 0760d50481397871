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
}

// A spanRec is one span of a call.
type spanRec struct {
	log      SpanLog
	attempts []vmspan.LLMAttempt
	tagIDs   []vmspan.SpanID // set-tags events applied, to skip duplicates
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

// apply updates cl with e and reports whether e was new (not a duplicate
// and about a span cl can place).
func (cl *call) apply(e *vmspan.Event) bool {
	var ok bool
	switch e.Kind {
	case vmspan.EventStart:
		ok = cl.start(e)
	case vmspan.EventEnd:
		ok = cl.end(e)
	case vmspan.EventSetTags:
		ok = cl.setTags(e)
	}
	if ok {
		cl.snap = nil
	}
	return ok
}

func (cl *call) start(e *vmspan.Event) bool {
	if cl.span(e.Span.ID) != nil {
		return false
	}
	cl.add(e)
	if e.Span.ID == cl.root {
		cl.args, cl.tags = e.Args, e.Tags
	}
	return true
}

func (cl *call) add(e *vmspan.Event) *spanRec {
	r := &spanRec{log: SpanLog{
		ID: e.Span.ID, Parent: e.Span.Parent, Name: e.Name, Kind: e.SpanKind,
		Depth: max(len(stackOf(e))-1-cl.level, 0), Timing: timing(e.Time, 0),
	}}
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
func (cl *call) end(e *vmspan.Event) bool {
	r := cl.span(e.Span.ID)
	if r == nil {
		r = cl.add(e)
	} else if r.log.Ended {
		return false
	}
	r.log.Ended, r.log.Error = true, e.Err
	r.log.Timing = timing(e.Start, e.Duration)
	r.attempts = e.Attempts
	for _, a := range e.Attempts {
		cl.usage = cl.usage.Add(a.Usage)
	}
	if e.Span.ID == cl.root {
		cl.args, cl.tags, cl.result, cl.err = e.Args, e.Tags, e.Result, e.Err
		cl.done = true
	}
	return true
}

func (cl *call) setTags(e *vmspan.Event) bool {
	r := cl.span(e.Span.ID)
	if r == nil {
		return false
	}
	for _, id := range r.tagIDs {
		if id == e.ID {
			return false
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
	return true
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
