package vm

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"testing"
)

// TestBoxer checks that the boxer's interface values behave exactly like
// the runtime's own conversions: type switches, ==, map keys, fmt and
// reflect, and that they stay intact after collections and after the boxer
// has moved on to later chunks.
func TestBoxer(t *testing.T) {
	var b boxer
	var got, want []any
	for i := range 3 * boxChunk {
		n := int64(i)*1_000_003 - 50_000_000
		f := float64(i) / 7
		s := fmt.Sprintf("s%d", i)
		got = append(got, b.int(n), b.float(f), b.string(s))
		want = append(want, n, f, s)
	}
	got = append(got, b.int(5), b.int(math.MinInt64), b.float(math.Inf(-1)), b.string(""))
	want = append(want, int64(5), int64(math.MinInt64), math.Inf(-1), "")
	for range 3 {
		runtime.GC()
	}
	seen := map[any]int{}
	for i := range got {
		g, w := got[i], want[i]
		if g != w || !reflect.DeepEqual(g, w) || fmt.Sprint(g) != fmt.Sprint(w) || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Fatalf("value %d: got %#v, want %#v", i, g, w)
		}
		switch g.(type) {
		case int64, float64, string:
		default:
			t.Fatalf("value %d: type switch sees %T", i, g)
		}
		seen[g] = i
	}
	for i, w := range want {
		if j, ok := seen[w]; !ok || want[j] != w {
			t.Fatalf("map lookup of %#v (value %d) found %v", w, i, j)
		}
	}
}

func BenchmarkBoxer(b *testing.B) {
	var bx boxer
	var sink any
	b.Run("boxer", func(b *testing.B) {
		for i := int64(1000); b.Loop(); i++ {
			sink = bx.int(i)
		}
	})
	b.Run("runtime", func(b *testing.B) {
		for i := int64(1000); b.Loop(); i++ {
			sink = i
		}
	})
	_ = sink
}
