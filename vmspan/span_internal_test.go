package vmspan

import (
	"context"
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
		anchor.Store(&monoPoint{stale, stampOf(stale)})
		if got := now(); got.Sub(stale) < 59*time.Minute {
			t.Errorf("now() = %v, still near the stale anchor %v", got, stale)
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
		got := now()
		after := time.Now()
		// The counter's estimate may be off by its pairing error; allow
		// far more than that, so that only a wrong clock fails.
		const slack = 100 * time.Microsecond
		if got.Before(before.Add(-slack)) || got.After(after.Add(slack)) {
			t.Fatalf("now() = %v, outside [%v, %v]", got, before, after)
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
		st := nowStamp()
		after = time.Now()
		if w := time.Unix(0, st.wall); w.Before(before.Add(-slack)) || w.After(after.Add(slack)) {
			t.Fatalf("nowStamp().wall = %v, outside [%v, %v]", w, before, after)
		}
		if m := time.Duration(st.mono); m < before.Sub(monoBase)-slack || m > after.Sub(monoBase)+slack {
			t.Fatalf("nowStamp().mono = %v, outside [%v, %v]", m, before.Sub(monoBase), after.Sub(monoBase))
		}
		if n > 0 && st.mono < lastMono-int64(time.Microsecond) {
			t.Fatalf("stamp went back by %v", time.Duration(lastMono-st.mono))
		}
		lastMono = st.mono
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

// TestEventIDs checks the ids of one span's events: all distinct UUID v7s,
// the start event's and the span's made at the start time, the end
// event's at the end time, including when rand_b wraps around.
func TestEventIDs(t *testing.T) {
	var events []Event
	tr := NewTracer(SinkFunc(func(e *Event) { events = append(events, *e) }))
	root := tr.StartSpan(context.Background(), "root", StartConfig{Kind: KindRoot})
	for range 1000 {
		root.StartChild("c", KindExpr, nil).EndSnapshot(nil, nil)
	}
	root.EndSnapshot(nil, nil)
	seen := map[SpanID]bool{}
	for _, e := range events {
		for _, id := range []SpanID{e.ID, e.Span.ID} {
			if id[6]>>4 != 7 || id[8]>>6 != 2 {
				t.Fatalf("%s: version %d, variant %b", id, id[6]>>4, id[8]>>6)
			}
		}
		if seen[e.ID] {
			t.Fatalf("event id %s repeated", e.ID)
		}
		seen[e.ID] = true
		if e.Kind == EventStart {
			if seen[e.Span.ID] {
				t.Fatalf("span id %s repeated", e.Span.ID)
			}
			seen[e.Span.ID] = true
		}
		if got, want := e.ID.String()[:13], newV7(e.Time.UnixNano()).String()[:13]; got != want {
			t.Errorf("%s event id %s does not carry its time's millisecond %s", e.Kind, e.ID, want)
		}
	}
	if len(seen) != 3*1001 {
		t.Errorf("%d distinct ids, want %d", len(seen), 3*1001)
	}
	// rand_b wraps within its 62 bits, keeping version and variant.
	last := v7Seq(0, randBMask)
	if next := v7Seq(0, last.randB()+2); next.randB() != 1 || next[8]>>6 != 2 {
		t.Errorf("after %s: %s", last, next)
	}
}
