package vmspan

import (
	"context"
	"strings"
	"testing"
	"unicode"
)

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
	ft := NewFrameTracker(context.Background(), tr.StartSpan(context.Background(), "root", StartConfig{Kind: KindRoot}))
	for range 1000 {
		ft.EnterFrame(&Frame{Depth: 2, Name: "c", Kind: KindExpr})
		ft.ExitFrame(2, nil, nil)
	}
	ft.End(nil, nil)
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

// TestIsOneOfFolds compares isOneOf's early rejections with
// strings.EqualFold alone, on every word it is asked about with each letter
// replaced by every character that folds to it, in both cases, cut short
// and extended.
func TestIsOneOfFolds(t *testing.T) {
	words := append([]string{"api", "private", "access", "key", "keys"}, secretWords...)
	var cands []string
	for _, w := range words {
		for i, c := range w {
			for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
				cands = append(cands, w[:i]+string(f)+w[i+1:])
			}
		}
		cands = append(cands, w, strings.ToUpper(w), w[:len(w)-1], w+"s", "x"+w, "@"+w[1:], "\u212a"+w[1:], "\u017f"+w[1:])
	}
	for _, c := range cands {
		for _, w := range words {
			if got, want := isOneOf(c, w), strings.EqualFold(c, w); got != want {
				t.Errorf("isOneOf(%q, %q) = %v, EqualFold says %v", c, w, got, want)
			}
		}
	}
}
