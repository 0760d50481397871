// collector.go holds the Collector: routing events to calls, limits and eviction.

package collector

import (
	"sync"
	"sync/atomic"

	"github.com/bexrun/bex/vmspan"
)

// Default limits of a Collector (see WithMaxLogs and WithMaxEvents).
const (
	DefaultMaxLogs   = 10_000
	DefaultMaxEvents = 1_000_000
)

// tombstoneCount is how many dropped call roots a Collector remembers, so
// that a late event of a cleared or evicted call is ignored instead of
// starting a bogus log.
const tombstoneCount = 1024

var retained atomic.Int64

// Retained returns the number of events currently held by all Collectors of
// the process. Events are released by Clear, Close and eviction.
func Retained() int64 { return retained.Load() }

// An Option configures a Collector.
type Option func(*Collector)

// WithMaxLogs bounds the completed logs a Collector keeps (default
// DefaultMaxLogs). Beyond it the oldest completed logs are evicted and
// counted in Dropped. n <= 0 keeps the default.
func WithMaxLogs(n int) Option {
	return func(c *Collector) {
		if n > 0 {
			c.maxLogs = n
		}
	}
}

// WithMaxEvents bounds the events a Collector retains over all its calls,
// completed and in progress (default DefaultMaxEvents). When an event would
// exceed it, the oldest completed logs are evicted (counted in Dropped); if
// only calls in progress are left, the event is not retained and counted in
// its log's EventsOmitted and in Stats. n <= 0 keeps the default.
func WithMaxEvents(n int) Option {
	return func(c *Collector) {
		if n > 0 {
			c.maxEvents = n
		}
	}
}

var _ vmspan.Sink = (*Collector)(nil)

// A Collector records the calls it is attached to as FunctionLogs. It is a
// vmspan.Sink, safe for concurrent use; see the package documentation.
type Collector struct {
	name      string
	maxLogs   int
	maxEvents int

	mu        sync.Mutex // guards everything below; never held while taking another lock
	closed    bool
	calls     map[vmspan.SpanID]*call // tracked calls by root span id
	order     []*call                 // tracked calls in start order; may hold removed ones
	removed   int                     // removed calls still in order
	completed int
	events    int // events retained by this Collector
	dropped   int
	omitted   int64
	tomb      tombstones
}

// New returns a Collector named name (the name is for the caller's use).
func New(name string, opts ...Option) *Collector {
	c := &Collector{name: name, maxLogs: DefaultMaxLogs, maxEvents: DefaultMaxEvents, calls: map[vmspan.SpanID]*call{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Name returns the name given to New.
func (c *Collector) Name() string { return c.name }

// Emit records e if it belongs to a call the Collector tracks, and starts
// tracking a new call at a start event whose ancestors it does not track.
// Duplicate events (a Collector attached twice to nested calls receives
// each event twice) are recorded once. After Close, Emit does nothing.
func (c *Collector) Emit(e *vmspan.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	cl := c.route(e)
	if cl == nil {
		return
	}
	r, i := cl.apply(e)
	if r == nil {
		return
	}
	c.retain(cl, e, r, i)
	if cl.isRootEnd(e) {
		c.complete(cl)
	}
}

// route finds the tracked call whose subtree holds e's span: the nearest
// tracked root on e's call stack. A start event with no tracked ancestor
// starts a new call, unless an ancestor is a recently dropped call.
func (c *Collector) route(e *vmspan.Event) *call {
	stack := stackOf(e)
	for i := len(stack) - 1; i >= 0; i-- {
		if cl := c.calls[stack[i]]; cl != nil {
			return cl
		}
		if c.tomb.has(stack[i]) {
			return nil
		}
	}
	if e.Kind != vmspan.EventStart {
		return nil
	}
	cl := newCall(e, len(stack)-1)
	c.calls[cl.root] = cl
	c.order = append(c.order, cl)
	return cl
}

// stackOf returns e's call stack, rebuilt from its span context when an
// event comes without one.
func stackOf(e *vmspan.Event) []vmspan.SpanID {
	if len(e.Stack) > 0 {
		return e.Stack
	}
	var s []vmspan.SpanID
	for _, id := range [...]vmspan.SpanID{e.Span.Root, e.Span.Parent, e.Span.ID} {
		if !id.IsZero() && (len(s) == 0 || s[len(s)-1] != id) {
			s = append(s, id)
		}
	}
	return s
}

// RetainsEvents reports false: the Collector keeps a copy of each event it
// retains, whose Stack and Args are its own copies (see vmspan.Retainer),
// so that a retained event does not keep the tracer's span alive and the
// engine may reuse that span's memory.
func (c *Collector) RetainsEvents() bool { return false }

// retain keeps a copy of e, the event of r's span (cl.order[i]), in cl,
// within the event limit.
func (c *Collector) retain(cl *call, e *vmspan.Event, r *spanRec, i int) {
	if c.events >= c.maxEvents {
		c.evictUntil(cl, func() bool { return c.events < c.maxEvents })
	}
	if c.events >= c.maxEvents {
		cl.omitted++
		c.omitted++
		return
	}
	cl.retain(r, i, e)
	c.events++
	retained.Add(1)
}

func (c *Collector) complete(cl *call) {
	c.completed++
	if c.completed > c.maxLogs {
		c.evictUntil(nil, func() bool { return c.completed <= c.maxLogs })
	}
}

// evictUntil evicts the oldest completed calls other than keep until done
// reports true or no completed call is left.
func (c *Collector) evictUntil(keep *call, done func() bool) {
	for _, cl := range c.order {
		if done() {
			break
		}
		if cl.removed || !cl.done || cl == keep {
			continue
		}
		c.remove(cl)
		c.dropped++
	}
	c.compact()
}

// remove forgets a tracked call and releases its events.
func (c *Collector) remove(cl *call) {
	delete(c.calls, cl.root)
	c.tomb.add(cl.root)
	cl.removed = true
	c.removed++
	if cl.done {
		c.completed--
	}
	c.events -= len(cl.events)
	retained.Add(-int64(len(cl.events)))
	cl.events, cl.full = nil, nil
}

// compact drops removed calls from order once they are the majority.
func (c *Collector) compact() {
	if c.removed <= len(c.order)/2 {
		return
	}
	live := c.order[:0]
	for _, cl := range c.order {
		if !cl.removed {
			live = append(live, cl)
		}
	}
	clear(c.order[len(live):])
	c.order = live
	c.removed = 0
}

// Logs returns the logs of the completed calls, oldest (first started)
// first. Calls still in progress are not included; see Stats.
func (c *Collector) Logs() []*FunctionLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*FunctionLog, 0, c.completed)
	for _, cl := range c.order {
		if !cl.removed && cl.done {
			out = append(out, cl.snapshot())
		}
	}
	return out
}

// Last returns the log of the most recently started completed call, or nil.
func (c *Collector) Last() *FunctionLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.order) - 1; i >= 0; i-- {
		if cl := c.order[i]; !cl.removed && cl.done {
			return cl.snapshot()
		}
	}
	return nil
}

// ByID returns the log of the completed call whose root span id is id (a
// canonical UUID string), or nil.
func (c *Collector) ByID(id string) *FunctionLog {
	sid, err := vmspan.ParseSpanID(id)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.calls[sid]; cl != nil && cl.done {
		return cl.snapshot()
	}
	return nil
}

// Usage returns the token usage summed over every LLM call of the completed
// logs. A field is nil when no provider reported it.
func (c *Collector) Usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var u Usage
	for _, cl := range c.order {
		if !cl.removed && cl.done {
			u = u.Add(cl.usage)
		}
	}
	return u
}

// Clear drops the completed logs, releases their events and returns how
// many it dropped. Calls in progress are kept and logged when they end.
func (c *Collector) Clear() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, cl := range c.order {
		if !cl.removed && cl.done {
			c.remove(cl)
			n++
		}
	}
	c.compact()
	return n
}

// Close releases everything the Collector holds, calls in progress
// included; later events are ignored. Logs already returned stay valid.
// Close is idempotent.
func (c *Collector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	retained.Add(-int64(c.events))
	c.events, c.completed, c.removed = 0, 0, 0
	c.calls, c.order, c.tomb = nil, nil, tombstones{}
}

// Stats describes what a Collector holds and what its limits cost.
type Stats struct {
	Logs          int   // completed logs held
	Pending       int   // calls in progress
	Events        int   // events retained
	DroppedLogs   int   // completed logs evicted by the limits
	OmittedEvents int64 // events not retained because of the event limit
}

// Stats returns the Collector's current counts.
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Logs: c.completed, Pending: len(c.calls) - c.completed, Events: c.events,
		DroppedLogs: c.dropped, OmittedEvents: c.omitted,
	}
}

// Dropped returns how many completed logs the limits evicted.
func (c *Collector) Dropped() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// tombstones remembers the last tombstoneCount dropped call roots.
type tombstones struct {
	set  map[vmspan.SpanID]struct{}
	ring []vmspan.SpanID
	next int
}

func (t *tombstones) has(id vmspan.SpanID) bool {
	_, ok := t.set[id]
	return ok
}

func (t *tombstones) add(id vmspan.SpanID) {
	if t.set == nil {
		t.set = make(map[vmspan.SpanID]struct{}, tombstoneCount)
		t.ring = make([]vmspan.SpanID, tombstoneCount)
	}
	delete(t.set, t.ring[t.next])
	t.ring[t.next] = id
	t.set[id] = struct{}{}
	t.next = (t.next + 1) % tombstoneCount
}
