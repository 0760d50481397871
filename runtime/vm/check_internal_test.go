package vm

import (
	"sync"
	"testing"

	"github.com/bexrun/bex/runtime/types"
)

// TestPlanOfCache converts Values to more types than planOf caches, from
// two goroutines: every conversion is checked as before, and the cache
// stays within its bound.
func TestPlanOfCache(t *testing.T) {
	list := NewList([]Value{Int(1), Int(2)})
	again := types.ListOf(types.IntType)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for i := range maxTypePlans + 100 {
				ok, bad := types.ListOf(types.FloatType), types.ListOf(types.StringType)
				if i%2 == 0 { // a type asked for again and again
					ok, bad = again, types.StringType
				}
				for range 2 {
					if _, err := FromGo(list, ok); err != nil {
						t.Errorf("FromGo to %s: %v", ok, err)
					}
					if _, err := FromGo(list, bad); err == nil {
						t.Errorf("FromGo to %s: no error", bad)
					}
				}
			}
		})
	}
	wg.Wait()
	if n := typePlans.Len(); n > maxTypePlans {
		t.Errorf("%d plans cached, want at most %d", n, maxTypePlans)
	}
}
