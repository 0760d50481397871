package clock

import (
	"testing"
	"time"
)

var sinkTime time.Time

// BenchmarkClock compares the default clock (an anchor plus the time since
// it, from the timestamp counter or the monotonic clock) with time.Now; the
// tracer reads the clock twice per span.
func BenchmarkClock(b *testing.B) {
	b.Run("default", func(b *testing.B) {
		for b.Loop() {
			sinkTime = Now()
		}
	})
	b.Run("stamp", func(b *testing.B) { // what the tracer reads: a stamp and its time.Time
		for b.Loop() {
			st := NowStamp()
			sinkTime = time.Unix(0, st.Wall)
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			sinkTime = time.Now()
		}
	})
}
