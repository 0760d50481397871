package otelbridge

import (
	"context"
	"testing"
	"time"
)

// TestShutdownWithSpentDeadlineCountsPending is the common shutdown
// sequence `tp.ForceFlush(ctx); tp.Shutdown(ctx)` (bex.Setup's shutdown
// func flushes the application's provider the same way before the
// application shuts it down) while the exporter cannot deliver: the flush
// uses up the deadline, so Shutdown starts with a ctx that is already done.
// The spans still queued will never be exported and must count as dropped.
//
// The SDK's TracerProvider.Shutdown returns ctx.Err() without calling the
// span processors' Shutdown when ctx is already done (and a second Shutdown
// is a no-op), so Provider.Shutdown must shut the pipeline down itself, or
// the spans would stay Pending rather than Dropped (Ended != Exported +
// Dropped) and the batch processor's goroutine would keep running.
func TestShutdownWithSpentDeadlineCountsPending(t *testing.T) {
	clearOTelEnv(t)
	exp := &blockingExporter{release: make(chan struct{})}
	p, err := NewProvider(context.Background(), WithExporter(exp), WithBatchTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_ = p.ForceFlush(ctx) // the exporter holds the batch: the deadline passes
	_ = p.Shutdown(ctx)
	s := p.Stats()
	close(exp.release)
	_ = p.pipe.Shutdown(context.Background()) // stop the processor's goroutine for goleak
	if s.Ended != 4 || s.Exported+s.Dropped != s.Ended {
		t.Errorf("stats after Shutdown %+v: want the 4 unexported spans counted as dropped", s)
	}
}
