// replay.go sends a recorded stream of events (a trace file) through the bridge.

package otelbridge

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// ReplayStats counts what Export did.
type ReplayStats struct {
	Events     int // events read
	Malformed  int // errors the event stream yielded (bad lines), skipped
	Spans      int // OTel spans created for bex spans
	Attempts   int // OTel spans created for LLM attempts
	Unbalanced int // spans whose end was missing, ended by Export with an error status
	Late       int // spans whose start was missing, created from their end event
}

// maxReplayErrors bounds the errors Export returns; the rest are counted.
const maxReplayErrors = 20

// Export sends recorded events (for example a trace file read with the jsonl
// package) through the same mapping as the live Bridge, so that with a
// provider that uses IDGenerator it reproduces exactly the trace ids, span
// ids and parents that the live bridge sent. Spans whose end never arrives
// are ended at the latest time seen in the stream, with an error status
// "span not ended in trace file". Errors from the stream are counted and
// skipped, and returned (the first few, joined) with the stats; Export stops
// early when ctx is done. When the provider can be flushed, Export flushes
// it before it returns; it does not shut it down.
func Export(ctx context.Context, events iter.Seq2[vmspan.Event, error], opts ...Option) (ReplayStats, error) {
	b := New(opts...)
	var st ReplayStats
	var errs []error
	var last time.Time
	for e, err := range events {
		if err != nil {
			st.Malformed++
			if len(errs) < maxReplayErrors {
				errs = append(errs, err)
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		st.Events++
		if e.Time.After(last) {
			last = e.Time
		}
		b.Emit(&e)
	}
	if st.Malformed > maxReplayErrors {
		errs = append(errs, fmt.Errorf("otelbridge: %d more malformed events", st.Malformed-maxReplayErrors))
	}
	st.Unbalanced = b.endOpen(last, unbalancedMessage)
	s := b.Stats()
	st.Spans, st.Attempts, st.Late = int(s.Spans), int(s.Attempts), int(s.Late)
	if ctx.Err() == nil {
		if err := b.Flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}
