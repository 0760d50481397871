// Package memo caches the results of a function by its argument, for
// arguments that recur from call to call and are few (expressions and
// patterns of declarations, declared types).
package memo

import (
	"sync"
	"sync/atomic"
)

// A Memo caches the results of a function by its argument. It stops
// growing at a maximum number of entries (arguments past that are
// computed at each use), so arguments that do not recur cost only the
// room they took before it filled. It is safe for concurrent use.
type Memo[K comparable, V any] struct {
	f   func(K) V
	max int64
	m   sync.Map // K -> V
	n   atomic.Int64
}

// New returns a Memo of f that holds at most max results.
func New[K comparable, V any](max int64, f func(K) V) *Memo[K, V] {
	return &Memo[K, V]{f: f, max: max}
}

// Get returns f(k), computed once while the Memo has room.
func (c *Memo[K, V]) Get(k K) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v := c.f(k)
	// Take a place before storing, so that Gets racing past a check of
	// the count cannot together store more than max.
	if c.n.Add(1) <= c.max {
		if _, loaded := c.m.LoadOrStore(k, v); !loaded {
			return v
		}
	}
	c.n.Add(-1)
	return v
}

// Len returns the number of results the Memo holds (once no Get runs).
func (c *Memo[K, V]) Len() int64 { return c.n.Load() }
