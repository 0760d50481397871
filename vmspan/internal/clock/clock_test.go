package clock

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultClock(t *testing.T) {
	for _, tsc := range []bool{false, true} {
		name := "monotonic"
		if tsc {
			name = "tsc"
		}
		t.Run(name, func(t *testing.T) {
			if tsc && !tscUsable() {
				t.Skip("this machine's kernel does not keep time with the timestamp counter (or BEX_CLOCK=monotonic)")
			}
			defer func(old bool) { useTSC = old }(useTSC)
			useTSC = tsc
			testClock(t)
		})
	}
	t.Run("renews a stale anchor", func(t *testing.T) {
		defer func(old bool) { useTSC = old }(useTSC)
		useTSC = false
		stale := time.Now().Add(-time.Hour) // keeps its monotonic reading
		anchor.Store(&monoPoint{stale, StampOf(stale)})
		if got := Now(); got.Sub(stale) < 59*time.Minute {
			t.Errorf("Now() = %v, still near the stale anchor %v", got, stale)
		}
		if a := anchor.Load(); a.t == stale {
			t.Error("the anchor was not renewed")
		}
	})
}

// testClock checks that now agrees with time.Now, never goes back, and
// (with the counter) measures the counter's rate.
func testClock(t *testing.T) {
	// Long enough for the counter's rate to be measured and the anchor
	// renewed several times.
	deadline := time.Now().Add(3 * anchorEvery)
	var last time.Time
	var lastMono int64
	n := 0
	for time.Now().Before(deadline) {
		before := time.Now()
		got := Now()
		after := time.Now()
		// The counter's estimate may be off by its pairing error; allow
		// far more than that, so that only a wrong clock fails.
		const slack = 100 * time.Microsecond
		if got.Before(before.Add(-slack)) || got.After(after.Add(slack)) {
			t.Fatalf("Now() = %v, outside [%v, %v]", got, before, after)
		}
		if !containsMono(got.String()) {
			t.Fatalf("%s has no monotonic reading", got)
		}
		if d := got.Sub(last); n > 0 && d < -time.Microsecond {
			t.Fatalf("clock went back by %v", -d)
		}
		last = got
		// The stamp form: Unix and monotonic nanoseconds.
		before = time.Now()
		st := NowStamp()
		after = time.Now()
		if w := time.Unix(0, st.Wall); w.Before(before.Add(-slack)) || w.After(after.Add(slack)) {
			t.Fatalf("NowStamp().Wall = %v, outside [%v, %v]", w, before, after)
		}
		if m := time.Duration(st.Mono); m < before.Sub(monoBase)-slack || m > after.Sub(monoBase)+slack {
			t.Fatalf("NowStamp().Mono = %v, outside [%v, %v]", m, before.Sub(monoBase), after.Sub(monoBase))
		}
		if n > 0 && st.Mono < lastMono-int64(time.Microsecond) {
			t.Fatalf("stamp went back by %v", time.Duration(lastMono-st.Mono))
		}
		lastMono = st.Mono
		n++
		if n%1000 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if !useTSC {
		return
	}
	a := tscAnchor.Load()
	if a == nil {
		t.Fatal("no anchor after 300 ms: the counter's rate was never measured")
	}
	// Measure the rate independently over 50 ms and compare.
	c0, t0 := rdtsc(), time.Now()
	time.Sleep(50 * time.Millisecond)
	c1, t1 := rdtsc(), time.Now()
	want := float64(t1.Sub(t0)) / float64(c1-c0)
	got := float64(a.mult) / (1 << 32)
	if r := got / want; r < 0.99 || r > 1.01 {
		t.Errorf("measured %.6f ns/tick, independent measurement %.6f", got, want)
	}
}

func TestRate(t *testing.T) {
	tests := []struct{ ns, ticks, want uint64 }{
		{100_000_000, 260_000_000, 100_000_000 << 32 / 260_000_000},
		{1, 1, 1 << 32},
		{1 << 40, 1, 0}, // does not fit
		{0, 5, 0},
	}
	for _, tt := range tests {
		if got := rate(tt.ns, tt.ticks); got != tt.want {
			t.Errorf("rate(%d, %d) = %d, want %d", tt.ns, tt.ticks, got, tt.want)
		}
	}
}

// containsMono reports whether a Time's String shows a monotonic reading.
func containsMono(s string) bool { return strings.Contains(s, " m=") }

func TestCounterUsable(t *testing.T) {
	tsc := func() ([]byte, error) { return []byte("tsc\n"), nil }
	tests := []struct {
		name     string
		have     bool
		bexClock string
		source   func() ([]byte, error)
		want     bool
	}{
		{"counter and tsc clocksource", true, "", tsc, true},
		{"no counter (not amd64)", false, "", tsc, false},
		{"BEX_CLOCK=monotonic", true, "monotonic", tsc, false},
		{"another clocksource", true, "", func() ([]byte, error) { return []byte("kvm-clock\n"), nil }, false},
		{"clocksource unreadable", true, "", func() ([]byte, error) { return nil, errors.New("no sysfs") }, false},
	}
	for _, tt := range tests {
		if got := counterUsable(tt.have, tt.bexClock, tt.source); got != tt.want {
			t.Errorf("%s: counterUsable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCounterFallback checks that a counter reading the anchor cannot
// vouch for (one that went back, or ran past the anchor's span) falls back
// to the monotonic clock instead of giving a wrong time.
func TestCounterFallback(t *testing.T) {
	if !haveTSC {
		t.Skip("no timestamp counter on this architecture: the clock is always the monotonic one (tested above)")
	}
	defer func(old bool) { useTSC = old }(useTSC)
	useTSC = true
	defer tscAnchor.Store(tscAnchor.Load())
	for _, tt := range []struct {
		name string
		tsc  uint64 // the anchor's counter value
	}{
		{"counter behind the anchor", rdtsc() + 1<<50},
		{"anchor too old", rdtsc() - 1<<50},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stale := time.Now().Add(-time.Hour)
			tscAnchor.Store(&tscPoint{t: stale, s: StampOf(stale), tsc: tt.tsc, mult: 1 << 32, limit: 1 << 20})
			before := time.Now()
			got := Now()
			if d := got.Sub(before); d < -time.Millisecond || d > time.Second {
				t.Errorf("Now() = %v, %v from time.Now", got, d)
			}
			if st := NowStamp(); time.Unix(0, st.Wall).Sub(before) < -time.Millisecond {
				t.Errorf("NowStamp() = %v, before time.Now %v", time.Unix(0, st.Wall), before)
			}
		})
	}
}
