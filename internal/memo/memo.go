// Package memo caches the results of a function by its argument, for
// arguments that recur from call to call and are few (expressions and
// patterns of declarations, declared types, secret key names).
package memo

import (
	"strings"
	"sync"
	"sync/atomic"
)

// A Memo caches the results of a function by its argument. It stops
// growing at a maximum number of entries (arguments past that are
// computed at each use), so arguments that do not recur cost only the
// room they took before it filled. It is safe for concurrent use.
type Memo[K comparable, V any] struct {
	f     func(K) V
	clone func(K) K // the key kept for an argument, or nil: the argument
	max   int64
	m     sync.Map // K -> V
	n     atomic.Int64
}

// New returns a Memo of f that holds at most max results.
func New[K comparable, V any](max int64, f func(K) V) *Memo[K, V] {
	return &Memo[K, V]{f: f, max: max}
}

// NewStrings is New for string arguments, which the Memo keeps as copies:
// an argument may be a substring of a large text (a pattern or a key taken
// from a reply), which the Memo would otherwise keep alive, and so may f's
// result (a regexp keeps its pattern), so f is given the copy.
func NewStrings[V any](max int64, f func(string) V) *Memo[string, V] {
	return &Memo[string, V]{f: f, clone: strings.Clone, max: max}
}

// Get returns f(k), computed once while the Memo has room.
func (c *Memo[K, V]) Get(k K) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	// Take a place before storing, so that Gets racing past a check of
	// the count cannot together store more than max.
	if c.n.Add(1) > c.max {
		c.n.Add(-1)
		return c.f(k)
	}
	if c.clone != nil {
		k = c.clone(k)
	}
	v := c.f(k)
	if _, loaded := c.m.LoadOrStore(k, v); loaded {
		c.n.Add(-1)
	}
	return v
}

// Len returns the number of results the Memo holds (once no Get runs).
func (c *Memo[K, V]) Len() int64 { return c.n.Load() }
