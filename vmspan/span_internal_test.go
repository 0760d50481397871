package vmspan

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultClock(t *testing.T) {
	t.Run("monotonic", func(t *testing.T) {
		a := now()
		b := now()
		if d := b.Sub(a); d < 0 {
			t.Errorf("clock went back by %v", -d)
		}
		if s := a.String(); !containsMono(s) {
			t.Errorf("%s has no monotonic reading", s)
		}
	})
	t.Run("renews a stale anchor", func(t *testing.T) {
		stale := time.Now().Add(-time.Hour) // keeps its monotonic reading
		anchor.Store(&stale)
		if got := now(); got.Sub(stale) < 59*time.Minute {
			t.Errorf("now() = %v, still near the stale anchor %v", got, stale)
		}
		if a := anchor.Load(); *a == stale {
			t.Error("the anchor was not renewed")
		}
	})
}

// containsMono reports whether a Time's String shows a monotonic reading.
func containsMono(s string) bool { return strings.Contains(s, " m=") }

func TestV7(t *testing.T) {
	tests := []struct {
		name   string
		ns     int64
		prefix string // the first 8 bytes, as in the string form
	}{
		{"epoch", 0, "00000000-0000-7000"},
		{"sub-millisecond fraction in rand_a", 1_770_875_826_273_500_000, "019c506c-b061-7800"},
		{"before 1970", -1, "ffffffff-ffff-7fff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := newV7(tt.ns)
			s := id.String()
			if s[:18] != tt.prefix {
				t.Errorf("newV7(%d) = %s, want prefix %s", tt.ns, s, tt.prefix)
			}
			if id[6]>>4 != 7 || id[8]>>6 != 2 {
				t.Errorf("%s: version %d, variant %b", s, id[6]>>4, id[8]>>6)
			}
		})
	}
}
