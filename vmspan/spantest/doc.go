// Package spantest is a conformance suite for vmspan.Sink implementations,
// in the manner of testing/slogtest: every sink (the collector store, the
// JSONL writer, the OpenTelemetry bridge) runs the same workloads and must
// report the same spans.
//
// A sink's test supplies a Harness: New makes a fresh sink for one
// workload, and Result returns, after the workload ran, what the sink
// recorded in the neutral form of Span. FromEvents builds that form from
// events, for sinks that can give their events back.
//
// Recorder is the sink that tests record events with, in the manner of
// OpenTelemetry's tracetest.SpanRecorder, and NewTracer builds a tracer
// over one, with deterministic ids.
//
//	func TestConformance(t *testing.T) {
//		spantest.Run(t, spantest.Harness{
//			New: func(t *testing.T) vmspan.Sink { return new(spantest.Recorder) },
//			Result: func(t *testing.T, s vmspan.Sink) ([]spantest.Span, error) {
//				return s.(*spantest.Recorder).Spans(), nil
//			},
//		})
//	}
//
// The workloads use host spans (vmspan.Tracer.Start) and the engine's
// low-level calls (StartSpan, and a FrameTracker driven as the VM drives
// it): a failed span, set-tags, three nested levels, ten concurrent children of
// one root and fifty concurrent independent trees. The tracer uses
// sequential ids and a clock that advances one millisecond per reading, so
// ordering checks are exact even for sinks that keep only milliseconds.
package spantest
