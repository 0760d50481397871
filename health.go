// health.go holds bex's health instruments: what the bridge and the trace file did.

package bex

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/metric"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
)

// Names of bex's health instruments (see ObserveHealth).
const (
	MetricBridgeSpansStarted = "bex.bridge.spans.started" // counter
	MetricBridgeSpansEnded   = "bex.bridge.spans.ended"   // counter
	MetricBridgeSpansDropped = "bex.bridge.spans.dropped" // counter
	MetricBridgeQueueLength  = "bex.bridge.queue.length"  // gauge
	MetricJSONLEventsWritten = "bex.jsonl.events.written" // counter
	MetricJSONLEventsDropped = "bex.jsonl.events.dropped" // counter
	MetricJSONLQueueLength   = "bex.jsonl.queue.length"   // gauge
)

// ObserveHealth registers bex's health instruments with mp's meter
// (scope otelbridge.MeterName), observing the OpenTelemetry bridge b and
// the trace file writer w, either of which may be nil. The values are read
// from b.Stats and w.Stats whenever the metrics are collected:
//
//	bex.bridge.spans.started  {span}   OTel spans the bridge started (bex spans and LLM attempts)
//	bex.bridge.spans.ended    {span}   OTel spans it ended
//	bex.bridge.spans.dropped  {span}   spans its provider lost (a *otelbridge.Provider; 0 for other providers, which do not tell)
//	bex.bridge.queue.length   {span}   spans queued for export or being exported (likewise)
//	bex.jsonl.events.written  {event}  events written to the trace file
//	bex.jsonl.events.dropped  {event}  events the trace file lost
//	bex.jsonl.queue.length    {event}  events encoded but not yet written
//
// started minus ended is the number of spans open; a dropped count above
// zero means telemetry was lost and deserves an alert. Setup registers
// them for the bridge and the trace file it makes, and unregisters them at
// shutdown; wiring sinks by hand, call ObserveHealth and Unregister the
// result when b and w are done.
func ObserveHealth(mp metric.MeterProvider, b *otelbridge.Bridge, w *jsonl.Writer) (metric.Registration, error) {
	m := mp.Meter(otelbridge.MeterName, metric.WithInstrumentationVersion(otelbridge.Version()))
	// Each collection reads the stats once; the instruments take their
	// values from that snapshot.
	type snapshot struct {
		b otelbridge.Stats
		w jsonl.Stats
	}
	var (
		insts []metric.Observable
		errs  []error
		obs   []func(metric.Observer, *snapshot)
	)
	counter := func(name, desc, unit string, read func(*snapshot) int64) {
		c, err := m.Int64ObservableCounter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		insts = append(insts, c)
		obs = append(obs, func(o metric.Observer, s *snapshot) { o.ObserveInt64(c, read(s)) })
	}
	gauge := func(name, desc, unit string, read func(*snapshot) int64) {
		g, err := m.Int64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		insts = append(insts, g)
		obs = append(obs, func(o metric.Observer, s *snapshot) { o.ObserveInt64(g, read(s)) })
	}
	if b != nil {
		counter(MetricBridgeSpansStarted, "OpenTelemetry spans the bex bridge started.", "{span}", func(s *snapshot) int64 { return s.b.Spans + s.b.Attempts })
		counter(MetricBridgeSpansEnded, "OpenTelemetry spans the bex bridge ended.", "{span}", func(s *snapshot) int64 { return s.b.Ended })
		counter(MetricBridgeSpansDropped, "Spans the bex bridge's provider lost.", "{span}", func(s *snapshot) int64 { return s.b.Delivery.Dropped })
		gauge(MetricBridgeQueueLength, "Spans queued for export or being exported.", "{span}", func(s *snapshot) int64 { return s.b.Delivery.Pending })
	}
	if w != nil {
		counter(MetricJSONLEventsWritten, "Events written to the bex trace file.", "{event}", func(s *snapshot) int64 { return s.w.Events })
		counter(MetricJSONLEventsDropped, "Events the bex trace file lost.", "{event}", func(s *snapshot) int64 { return s.w.Dropped })
		gauge(MetricJSONLQueueLength, "Events encoded but not yet written to the trace file.", "{event}", func(s *snapshot) int64 { return s.w.Buffered })
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(insts) == 0 {
		return noRegistration{}, nil
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var s snapshot
		if b != nil {
			s.b = b.Stats()
		}
		if w != nil {
			s.w = w.Stats()
		}
		for _, f := range obs {
			f(o, &s)
		}
		return nil
	}, insts...)
}

// noRegistration is the registration of no instruments.
type noRegistration struct{ metric.Registration }

// Unregister does nothing.
func (noRegistration) Unregister() error { return nil }
