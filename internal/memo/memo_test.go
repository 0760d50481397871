package memo

import (
	"sync"
	"testing"
)

// TestMemo calls a Memo with more arguments than it holds, from two
// goroutines: every result is f's, f runs at each Get of an argument it does not hold,
// and the Memo stays within its bound.
func TestMemo(t *testing.T) {
	var mu sync.Mutex
	calls := map[int]int{}
	m := New(10, func(k int) int {
		mu.Lock()
		calls[k]++
		mu.Unlock()
		return 2 * k
	})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 3 {
				for k := range 20 {
					if v := m.Get(k); v != 2*k {
						t.Errorf("Get(%d) = %d, want %d", k, v, 2*k)
					}
				}
			}
		})
	}
	wg.Wait()
	held := 0
	for k := range 20 {
		if _, ok := m.m.Load(k); ok {
			held++
		} else if calls[k] != 6 {
			t.Errorf("f(%d) ran %d times, want 6 (not held: each Get computes it)", k, calls[k])
		}
	}
	if n := m.Len(); n != int64(held) || held < 1 || held > 10 {
		t.Errorf("Len() = %d, %d results held; want the same, from 1 to 10", n, held)
	}
}
