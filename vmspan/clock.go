// clock.go holds the default clock: time.Now, read more cheaply.

package vmspan

import (
	"math/bits"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// The tracer reads the clock twice per span, and on many machines a clock
// read costs more than everything else a traced call does. time.Now reads
// two clocks (wall and monotonic) through the vDSO; the default clock reads
// the time once per anchorEvery and, in between, adds the time elapsed
// since that anchor, measured one of two ways:
//
//   - with the CPU's timestamp counter (one RDTSC instruction, about a
//     third of a monotonic clock read), on linux/amd64 when the kernel
//     itself keeps time with it (its clocksource is "tsc", which the kernel
//     chooses only for an invariant counter synchronised across CPUs). The
//     counter's rate is measured against the monotonic clock between two
//     anchors at least minCalibration apart, and again at every anchor, so
//     it follows NTP's adjustments of the clock.
//   - else with the monotonic clock (time.Since the anchor).
//
// Either way wall times follow the system clock with a delay of at most
// anchorEvery after it is set. The tracer reads the clock as a stamp (Unix
// and monotonic nanoseconds): span durations are differences of monotonic
// times, and event times are made with time.Unix (so they carry no
// monotonic reading of their own). Tracer.Now returns times with
// monotonic readings, so Time.Sub of two gives a duration. With the counter, a duration that spans a
// renewal of the anchor can be off by the anchor's error, well under a
// microsecond; the tracer clamps durations at zero. Setting the environment
// variable BEX_CLOCK=monotonic before the process starts turns the counter
// off.

// anchorEvery is how often the default clock reads the wall clock again.
const anchorEvery = 100 * time.Millisecond

// anchor is the monotonic clock's last reading of time.Now.
var anchor atomic.Pointer[monoPoint]

// A monoPoint is a reading of time.Now, also as a stamp.
type monoPoint struct {
	t time.Time
	s stamp
}

// A stamp is a reading of the default clock as integers: Unix time and
// monotonic time (since monoBase), in nanoseconds. The tracer works with
// stamps: a span's duration is a subtraction, and an event's time.Time is
// made with time.Unix, which costs a third of Time.Add.
type stamp struct{ wall, mono int64 }

// monoBase is the origin of stamps' monotonic times.
var monoBase = time.Now()

// stampOf returns t as a stamp. The monotonic part comes from t's monotonic
// reading when it has one (and from its wall time otherwise).
func stampOf(t time.Time) stamp { return stamp{t.UnixNano(), int64(t.Sub(monoBase))} }

// nowStamp is now as a stamp.
func nowStamp() stamp {
	if useTSC {
		if a := tscAnchor.Load(); a != nil {
			if d := rdtsc() - a.tsc; d < a.limit {
				n := int64(d * a.mult >> 32)
				return stamp{a.s.wall + n, a.s.mono + n}
			}
		}
		return stampOf(renewTSC())
	}
	if a := anchor.Load(); a != nil {
		if d := time.Since(a.t); d >= 0 && d < anchorEvery {
			return stamp{a.s.wall + int64(d), a.s.mono + int64(d)}
		}
	}
	return renewMono().s
}

// useTSC is set at start-up when the timestamp counter may be used.
var useTSC = tscUsable()

// now is the default clock: what time.Now returns, for a fraction of its cost.
func now() time.Time {
	if useTSC {
		if a := tscAnchor.Load(); a != nil {
			if d := rdtsc() - a.tsc; d < a.limit { // a counter that went back gives a huge d
				return a.t.Add(time.Duration(d * a.mult >> 32))
			}
		}
		return renewTSC()
	}
	return monoNow()
}

// monoNow is the default clock measured with the monotonic clock.
func monoNow() time.Time {
	if a := anchor.Load(); a != nil {
		if d := time.Since(a.t); d >= 0 && d < anchorEvery {
			return a.t.Add(d)
		}
	}
	return renewMono().t
}

// renewMono makes time.Now the monotonic clock's anchor.
func renewMono() *monoPoint {
	t := time.Now()
	p := &monoPoint{t, stampOf(t)}
	anchor.Store(p)
	return p
}

// A tscPoint is a reading of time.Now and the counter taken together.
type tscPoint struct {
	t     time.Time
	s     stamp  // t as a stamp
	tsc   uint64 // the counter at t, within ±pair/2
	pair  uint64 // ticks between the counter reads that bracket time.Now
	mult  uint64 // nanoseconds per tick, 32.32 fixed point (0: not measured)
	limit uint64 // ticks after tsc for which the point serves as anchor
}

// tscAnchor is the current anchor; tscFirst the point the counter's rate
// is first measured from, until there is an anchor.
var tscAnchor, tscFirst atomic.Pointer[tscPoint]

// tscRetry is the monotonic time (since monoBase) before which renewTSC
// takes no new point.
var tscRetry atomic.Int64

// retryAfter is how long the clock waits after a failed pairing.
const retryAfter = time.Millisecond

const (
	// minCalibration is the shortest interval over which the counter's
	// rate is measured.
	minCalibration = 10 * time.Millisecond
	// maxPairPPM bounds the error of a rate measurement: the two points'
	// pairing uncertainty, in millionths of the interval between them.
	maxPairPPM = 20
	// maxPairNs bounds an anchor's pairing uncertainty: a point whose
	// reads were further apart (the goroutine was preempted between them)
	// does not become the anchor.
	maxPairNs = 2000
)

// renewTSC is the clock's slow path, when there is no current anchor: it
// takes a point, pairing the monotonic clock's time with the counter, and
// makes it the anchor once the counter's rate is known. It returns the
// monotonic clock's time. While the rate is still being measured (the
// first minCalibration of the process), and for retryAfter after a pairing
// too loose to use, it takes no point and only reads the monotonic clock.
func renewTSC() time.Time {
	t := monoNow()
	if t.Sub(monoBase) < time.Duration(tscRetry.Load()) {
		return t // measuring, or waiting after a failed pairing
	}
	c0 := rdtsc()
	t = monoNow()
	c1 := rdtsc()
	if c1 < c0 {
		tscRetry.Store(int64(t.Sub(monoBase) + retryAfter))
		return t
	}
	tsc, pair := c0+(c1-c0)/2, c1-c0
	prev := tscAnchor.Load()
	first := tscFirst.Load()
	if prev == nil {
		if first == nil {
			tscFirst.CompareAndSwap(nil, &tscPoint{t: t, tsc: tsc, pair: pair})
			tscRetry.Store(int64(t.Sub(monoBase) + minCalibration))
			return t
		}
		prev = first
	}
	mult := prev.mult
	if ticks := tsc - prev.tsc; tsc > prev.tsc && t.Sub(prev.t) >= minCalibration {
		if (prev.pair+pair)*(1e6/maxPairPPM) < ticks {
			if m := rate(uint64(t.Sub(prev.t)), ticks); m != 0 {
				mult = m
			}
		} else if mult == 0 && pair < first.pair {
			tscFirst.Store(&tscPoint{t: t, tsc: tsc, pair: pair}) // a better-paired point to measure from
		}
	}
	if mult == 0 || pair > maxPairNs<<32/mult {
		// Still measuring, or a pairing too loose to anchor on (the
		// goroutine was preempted between the reads, or everything runs
		// slowly, as under the race detector): read the monotonic clock
		// for a while before trying again.
		tscRetry.Store(int64(t.Sub(monoBase) + retryAfter))
		return t
	}
	tscAnchor.Store(&tscPoint{t: t, tsc: tsc, pair: pair, mult: mult,
		limit: uint64(anchorEvery) << 32 / mult, s: stampOf(t)})
	return t
}

// rate returns ns/ticks in 32.32 fixed point, or 0 when it does not fit.
func rate(ns, ticks uint64) uint64 {
	hi, lo := bits.Mul64(ns, 1<<32)
	if hi >= ticks {
		return 0
	}
	q, _ := bits.Div64(hi, lo, ticks)
	return q
}

// tscUsable reports whether the timestamp counter can serve as the clock.
func tscUsable() bool {
	if !haveTSC || os.Getenv("BEX_CLOCK") == "monotonic" {
		return false
	}
	b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	return err == nil && strings.TrimSpace(string(b)) == "tsc"
}
