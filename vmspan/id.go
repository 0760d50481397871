// id.go holds span ids and the deterministic OpenTelemetry ids derived from them.

package vmspan

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
)

// A SpanID identifies a span or an event: a UUID, version 7 (time-ordered) by
// default. Its string form is the canonical lowercase UUID.
type SpanID uuid.UUID

// String returns the canonical lowercase UUID form, or "" for the zero id.
func (id SpanID) String() string {
	if id.IsZero() {
		return ""
	}
	return uuid.UUID(id).String()
}

// IsZero reports whether id is the zero id (no span).
func (id SpanID) IsZero() bool { return id == SpanID{} }

// MarshalText implements encoding.TextMarshaler.
func (id SpanID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *SpanID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = SpanID{}
		return nil
	}
	u, err := uuid.ParseBytes(b)
	if err != nil {
		return err
	}
	*id = SpanID(u)
	return nil
}

// ParseSpanID parses a UUID string.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	err := id.UnmarshalText([]byte(s))
	return id, err
}

// NewSpanID returns a new UUID v7 for the current time.
func NewSpanID() SpanID { return newV7(time.Now().UnixNano()) }

// newV7 builds a UUID v7 (RFC 9562) for the Unix time ns: the 48-bit
// millisecond timestamp, then in rand_a the next 12 bits of the time (the
// fraction of the millisecond, RFC 9562 §6.2 method 3, so ids of one
// process sort by time to about 250 ns), then in rand_b 62 random bits.
// The random bits come from one draw of math/rand/v2, a per-thread ChaCha8
// generator: much cheaper than crypto/rand, and span ids must be unique,
// not secret (62 random bits per 250 ns make a collision vanishingly
// unlikely). The tracer passes the time it has already read for the event,
// so making an id costs no clock read.
func newV7(ns int64) SpanID { return v7With(v7Prefix(ns)) }

// v7Prefix returns the first eight bytes of a UUID v7 for the Unix time ns,
// as a big-endian number: the timestamp, the version and rand_a. Ids made
// for one instant share it.
func v7Prefix(ns int64) uint64 {
	ms, sub := ns/1e6, ns%1e6
	if sub < 0 { // before 1970: floor, so that the fraction stays in range
		ms, sub = ms-1, sub+1e6
	}
	return uint64(ms)<<16 | 0x7000 | uint64(sub)*4096/1e6
}

// v7With returns the UUID v7 made of prefix (see v7Prefix), the variant and
// 62 random bits.
func v7With(prefix uint64) SpanID { return v7Seq(prefix, rand.Uint64()) }

// v7Seq returns the UUID v7 made of prefix (see v7Prefix), the variant and
// the low 62 bits of r.
func v7Seq(prefix, r uint64) SpanID {
	var id SpanID
	binary.BigEndian.PutUint64(id[0:8], prefix)
	binary.BigEndian.PutUint64(id[8:16], r&randBMask|0x8000000000000000)
	return id
}

// setV7 makes id the UUID v7 made of prefix (see v7Prefix), the variant and
// the low 62 bits of r, in place.
func (id *SpanID) setV7(prefix, r uint64) {
	binary.BigEndian.PutUint64(id[0:8], prefix)
	binary.BigEndian.PutUint64(id[8:16], r&randBMask|0x8000000000000000)
}

// randBMask selects the 62 random bits (rand_b) of a UUID v7's second half.
const randBMask = 1<<62 - 1

// randB returns the 62 random bits of a UUID v7.
func (id SpanID) randB() uint64 { return binary.BigEndian.Uint64(id[8:16]) & randBMask }

// SequentialIDs returns an id source for tests: it yields
// 00000000-0000-7000-8000-000000000001, ...0002, and so on. It is safe for
// concurrent use.
func SequentialIDs() func() SpanID {
	var n atomic.Uint64
	return func() SpanID {
		var id SpanID
		id[6] = 0x70
		id[8] = 0x80
		binary.BigEndian.PutUint64(id[8:], n.Add(1))
		id[8] |= 0x80
		return id
	}
}

// Domain prefixes keep the hashes of one id for different purposes apart.
const (
	traceDomain   = "bex/trace/v1:"
	spanDomain    = "bex/span/v1:"
	attemptDomain = "bex/attempt/v1:"
)

// OTelTraceID returns the OpenTelemetry trace id of a bex tree that starts in
// bex (no remote parent): the first 16 bytes of SHA-256("bex/trace/v1:" || root),
// where root is the 16 bytes of the tree's root span id.
func OTelTraceID(root SpanID) trace.TraceID {
	var in [len(traceDomain) + 16]byte
	copy(in[:], traceDomain)
	copy(in[len(traceDomain):], root[:])
	sum := sha256.Sum256(in[:])
	var t trace.TraceID
	copy(t[:], sum[:16])
	return t
}

// OTelSpanID returns the OpenTelemetry span id of a bex span: the first 8
// bytes of SHA-256("bex/span/v1:" || id).
func OTelSpanID(id SpanID) trace.SpanID {
	var in [len(spanDomain) + 16]byte
	copy(in[:], spanDomain)
	copy(in[len(spanDomain):], id[:])
	sum := sha256.Sum256(in[:])
	var s trace.SpanID
	copy(s[:], sum[:8])
	return s
}

// AttemptSpanID returns the OpenTelemetry span id of an LLM function span's
// n-th provider attempt (0-based): the first 8 bytes of
// SHA-256("bex/attempt/v1:" || id || big-endian uint32 n).
func AttemptSpanID(id SpanID, n int) trace.SpanID {
	var in [len(attemptDomain) + 16 + 4]byte
	copy(in[:], attemptDomain)
	copy(in[len(attemptDomain):], id[:])
	binary.BigEndian.PutUint32(in[len(attemptDomain)+16:], uint32(n))
	sum := sha256.Sum256(in[:])
	var s trace.SpanID
	copy(s[:], sum[:8])
	return s
}
