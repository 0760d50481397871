// pipeline.go counts spans on their way to the exporter, so that drops are visible.

package otelbridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DeliveryStats counts the sampled spans a *Provider was given and what
// became of them. Spans are counted when they end.
type DeliveryStats struct {
	Ended    int64 // sampled spans that ended
	Exported int64 // spans the exporter accepted
	Failed   int64 // spans of batches the exporter failed to send, after its own retries
	Rejected int64 // spans not queued: the queue stayed full, or the provider was shut down
	Pending  int64 // spans queued or being exported
	// Dropped is Failed + Rejected, plus Pending once the provider has
	// been shut down: every span that will never reach the backend.
	Dropped int64
}

// pipeline is the span processor of a *Provider. It puts a counting
// admission check in front of the SDK batch processor and a counting
// wrapper around the exporter.
//
// The batch processor runs in blocking mode, so it never drops a span
// silently; pipeline keeps it from blocking for long. It reserves a place
// for each span (inflight counts spans queued or in the batch being
// exported, so the queue always has room for a reserved span) and, when
// the queue is full, waits up to wait for an export to free places. A span
// that finds no place in time is rejected and counted, and until the next
// export finishes later spans are rejected at once, so an exporter that is
// down costs each caller at most one wait per export attempt.
type pipeline struct {
	bsp   sdktrace.SpanProcessor
	limit int64
	wait  time.Duration // < 0: wait as long as it takes

	inflight   atomic.Int64
	ended      atomic.Int64
	exported   atomic.Int64
	failed     atomic.Int64
	rejected   atomic.Int64
	overloaded atomic.Bool
	closed     atomic.Bool

	mu    sync.Mutex
	freed chan struct{} // closed when an export finishes; nil when nobody waits
}

// OnStart passes the span on.
func (p *pipeline) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) { p.bsp.OnStart(ctx, s) }

// OnEnd queues a sampled span if it gets a place, and counts it either way.
func (p *pipeline) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return // the batch processor ignores these too
	}
	p.ended.Add(1)
	if !p.reserve() {
		p.rejected.Add(1)
		return
	}
	p.bsp.OnEnd(s)
}

// reserve takes a place in the queue, waiting for one if need be.
func (p *pipeline) reserve() bool {
	if p.closed.Load() {
		return false
	}
	if p.inflight.Add(1) <= p.limit {
		return true
	}
	p.inflight.Add(-1)
	if p.wait == 0 || p.overloaded.Load() {
		return false
	}
	var timeout <-chan time.Time
	if p.wait > 0 {
		t := time.NewTimer(p.wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		freed := p.freedChan() // taken before the check, so no wake-up is missed
		if p.closed.Load() {
			return false
		}
		if p.inflight.Add(1) <= p.limit {
			return true
		}
		p.inflight.Add(-1)
		select {
		case <-freed:
		case <-timeout:
			p.overloaded.Store(true)
			return false
		}
	}
}

func (p *pipeline) freedChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.freed == nil {
		p.freed = make(chan struct{})
	}
	return p.freed
}

// release gives back n places and wakes the waiters.
func (p *pipeline) release(n int) {
	p.inflight.Add(int64(-n))
	p.overloaded.Store(false)
	p.mu.Lock()
	if p.freed != nil {
		close(p.freed)
		p.freed = nil
	}
	p.mu.Unlock()
}

// ForceFlush flushes the batch processor.
func (p *pipeline) ForceFlush(ctx context.Context) error { return p.bsp.ForceFlush(ctx) }

// Shutdown flushes and stops the batch processor; spans still pending when
// it returns count as dropped.
func (p *pipeline) Shutdown(ctx context.Context) error {
	err := p.bsp.Shutdown(ctx)
	p.closed.Store(true)
	p.release(0)
	return err
}

func (p *pipeline) stats() DeliveryStats {
	s := DeliveryStats{
		Ended: p.ended.Load(), Exported: p.exported.Load(), Failed: p.failed.Load(),
		Rejected: p.rejected.Load(), Pending: max(p.inflight.Load(), 0),
	}
	s.Dropped = s.Failed + s.Rejected
	if p.closed.Load() {
		s.Dropped += s.Pending
	}
	return s
}

// countingExporter counts what the wrapped exporter accepts and fails, and
// frees the spans' places in the pipeline.
type countingExporter struct {
	sdktrace.SpanExporter
	p *pipeline
}

// ExportSpans exports spans and counts the outcome.
func (e countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.p.failed.Add(int64(len(spans)))
	} else {
		e.p.exported.Add(int64(len(spans)))
	}
	e.p.release(len(spans))
	return err
}

// newPipeline returns the counting pipeline in front of exp.
func newPipeline(exp sdktrace.SpanExporter, c *providerConfig) *pipeline {
	p := &pipeline{limit: int64(c.queueSize), wait: c.queueFullWait}
	// A little slack in the SDK queue: ForceFlush puts markers there that
	// do not go through reserve.
	p.bsp = sdktrace.NewBatchSpanProcessor(countingExporter{exp, p},
		sdktrace.WithBlocking(),
		sdktrace.WithMaxQueueSize(c.queueSize+64),
		sdktrace.WithMaxExportBatchSize(c.batchSize),
		sdktrace.WithBatchTimeout(c.batchTimeout),
		sdktrace.WithExportTimeout(c.exportTimeout))
	return p
}
