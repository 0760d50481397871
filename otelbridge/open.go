// open.go holds the table of open spans, keyed by bex span id.

package otelbridge

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/trace"
)

// An openSpan is an OTel span started for a bex span whose end has not been
// seen yet, with the tags it was started with (so that End sets only the
// tags that changed).
type openSpan struct {
	span   trace.Span
	ctx    context.Context // holds span: the parent ctx for its children and attempts
	parent trace.SpanID    // the OTel parent's span id
	tags   map[string]string
	// childErr is the error the span's last failing child (a bex span or
	// an LLM attempt) ended with: the span's own error arose there when it
	// holds the child's message.
	childErr atomic.Pointer[vmspan.ErrorInfo]
}

const shardCount = 64 // a power of two

// openSpans maps bex span ids to open OTel spans. It is sharded so that many
// goroutines starting and ending spans rarely meet on one lock.
type openSpans struct {
	shards [shardCount]shard
}

type shard struct {
	mu sync.Mutex
	m  map[vmspan.SpanID]*openSpan
	_  [48]byte // keep neighbouring shards' locks off one cache line
}

// shardOf picks a shard from the id's last bytes: random in a UUID v7, and
// the counter in vmspan.SequentialIDs.
func (o *openSpans) shardOf(id vmspan.SpanID) *shard {
	return &o.shards[(id[15]^id[12])&(shardCount-1)]
}

func (o *openSpans) get(id vmspan.SpanID) (*openSpan, bool) {
	s := o.shardOf(id)
	s.mu.Lock()
	v, ok := s.m[id]
	s.mu.Unlock()
	return v, ok
}

// add stores v under id unless id is already open; it reports whether it did.
func (o *openSpans) add(id vmspan.SpanID, v *openSpan) bool {
	s := o.shardOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.m[id]; dup {
		return false
	}
	if s.m == nil {
		s.m = make(map[vmspan.SpanID]*openSpan)
	}
	s.m[id] = v
	return true
}

// take removes and returns the span open under id.
func (o *openSpans) take(id vmspan.SpanID) (*openSpan, bool) {
	s := o.shardOf(id)
	s.mu.Lock()
	v, ok := s.m[id]
	if ok {
		delete(s.m, id)
	}
	s.mu.Unlock()
	return v, ok
}
