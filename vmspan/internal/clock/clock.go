// Package clock is the default clock of vmspan's tracer: what time.Now
// returns, read more cheaply.
//
// The tracer reads the clock twice per span, and a clock read can cost as
// much as the rest of a traced call (docs/performance.md). time.Now reads two clocks (wall
// and monotonic) through the vDSO; this clock reads the time once per
// anchorEvery (the anchor) and, in between, adds the time elapsed since the
// anchor, measured one of two ways:
//
//   - with the CPU's timestamp counter (one RDTSC instruction, cheaper than
//     a monotonic clock read), on linux/amd64 when the kernel itself keeps
//     time with it: its clocksource is "tsc", which the kernel chooses only
//     for an invariant counter synchronised across CPUs. The counter's rate
//     is measured against the monotonic clock between two anchors at least
//     minCalibration apart, and again at every anchor, so that it follows
//     NTP's adjustments of the clock;
//   - otherwise (another architecture or clocksource, the first
//     minCalibration of the process, a counter reading that went back, or
//     the environment variable BEX_CLOCK=monotonic set before the process
//     starts) with the monotonic clock: time.Since the anchor.
//
// Either way wall times follow the system clock with a delay of at most
// anchorEvery after it is set. Callers read the clock as a Stamp (Unix and
// monotonic nanoseconds): span durations are differences of monotonic
// times, and event times are made with time.Unix, so they carry no
// monotonic reading of their own. Now returns times with monotonic
// readings, so Time.Sub of two gives a duration. With the counter, a
// duration that spans a renewal of the anchor can be off by the anchor's
// pairing error, well under a microsecond; callers clamp durations at zero.
package clock

import (
	"math/bits"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// anchorEvery is how often the default clock reads the wall clock again.
const anchorEvery = 100 * time.Millisecond

// anchor is the monotonic clock's last reading of time.Now.
var anchor atomic.Pointer[monoPoint]

// A monoPoint is a reading of time.Now, also as a Stamp.
type monoPoint struct {
	t time.Time
	s Stamp
}

// A Stamp is a reading of the clock as integers: Unix time (Wall) and
// monotonic time since the process started (Mono), in nanoseconds. The
// tracer works with stamps: a span's duration is a subtraction, and an
// event's time.Time is made with time.Unix, cheaper than Time.Add.
type Stamp struct{ Wall, Mono int64 }

// monoBase is the origin of stamps' monotonic times.
var monoBase = time.Now()

// StampOf returns t as a Stamp. The monotonic part comes from t's
// monotonic reading when it has one (and from its wall time otherwise).
func StampOf(t time.Time) Stamp { return Stamp{t.UnixNano(), int64(t.Sub(monoBase))} }

// NowStamp reads the clock as a Stamp.
func NowStamp() Stamp {
	if useTSC {
		if a := tscAnchor.Load(); a != nil {
			if d := rdtsc() - a.tsc; d < a.limit {
				n := int64(d * a.mult >> 32)
				return Stamp{a.s.Wall + n, a.s.Mono + n}
			}
		}
		return StampOf(renewTSC())
	}
	if a := anchor.Load(); a != nil {
		if d := time.Since(a.t); d >= 0 && d < anchorEvery {
			return Stamp{a.s.Wall + int64(d), a.s.Mono + int64(d)}
		}
	}
	return renewMono().s
}

// useTSC is set at start-up when the timestamp counter may be used.
var useTSC = tscUsable()

// Now returns what time.Now returns, for a fraction of its cost.
func Now() time.Time {
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

// monoNow is the clock measured with the monotonic clock.
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
	p := &monoPoint{t, StampOf(t)}
	anchor.Store(p)
	return p
}

// A tscPoint is a reading of time.Now and the counter taken together.
type tscPoint struct {
	t     time.Time
	s     Stamp  // t as a Stamp
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
		limit: uint64(anchorEvery) << 32 / mult, s: StampOf(t)})
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

// tscUsable reports whether the timestamp counter can serve as the clock
// in this process.
func tscUsable() bool {
	return counterUsable(haveTSC, os.Getenv("BEX_CLOCK"), func() ([]byte, error) {
		return os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	})
}

// counterUsable reports whether a timestamp counter can serve as the clock:
// there is one (have), BEX_CLOCK does not say "monotonic", and the kernel's
// clocksource (read by source) is "tsc".
func counterUsable(have bool, bexClock string, source func() ([]byte, error)) bool {
	if !have || bexClock == "monotonic" {
		return false
	}
	b, err := source()
	return err == nil && strings.TrimSpace(string(b)) == "tsc"
}
