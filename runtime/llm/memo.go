// memo.go caches the results of functions of strings that recur from call
// to call (expressions, patterns).

package llm

import (
	"strings"
	"sync"
	"sync/atomic"
)

// A memo caches the results of f by its argument. Its arguments come from
// declarations or protocols, so there are few; it stops growing at max
// entries (arguments past that are computed at each use). It is safe for
// concurrent use.
type memo[V any] struct {
	f   func(string) V
	max int64
	m   sync.Map // string -> V
	n   atomic.Int64
}

// get returns f(k), computed once while the memo has room.
func (c *memo[V]) get(k string) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	if c.n.Load() >= c.max {
		return c.f(k)
	}
	// A clone: the memo keeps k alive, and so may f's result (a regexp
	// keeps its pattern), while k may be a substring of a large text (a
	// pattern taken from a reply's value).
	k = strings.Clone(k)
	v := c.f(k)
	if _, loaded := c.m.LoadOrStore(k, v); !loaded {
		c.n.Add(1)
	}
	return v
}
