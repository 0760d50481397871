package otelbridge

import (
	"strings"
	"sync"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestConformance runs the sink conformance suite against the bridge, with
// and without the IDGenerator. The result is read back from the exported
// OTel spans alone: parents come from OTel parent ids, not from bex ids.
func TestConformance(t *testing.T) {
	for _, random := range []bool{false, true} {
		t.Run(map[bool]string{false: "IDGenerator", true: "RandomIDs"}[random], func(t *testing.T) {
			var mu sync.Mutex
			recorders := map[vmspan.Sink]*tracetest.SpanRecorder{}
			spantest.Run(t, spantest.Harness{
				New: func(t *testing.T) vmspan.Sink {
					tp, sr := newRecorder(t, random)
					b := New(WithTracerProvider(tp))
					mu.Lock()
					recorders[b] = sr
					mu.Unlock()
					return b
				},
				Result: func(t *testing.T, sink vmspan.Sink) ([]spantest.Span, error) {
					mu.Lock()
					sr := recorders[sink]
					mu.Unlock()
					return fromOTel(t, sr.Ended()), nil
				},
			})
		})
	}
}

// fromOTel rebuilds the suite's neutral spans from exported OTel spans:
// attempt spans (kind CLIENT) count as attempts of their parent.
func fromOTel(t *testing.T, spans []sdktrace.ReadOnlySpan) []spantest.Span {
	byOTel := map[trace.SpanID]*spantest.Span{}
	parentOf := map[trace.SpanID]trace.SpanID{}
	var order []trace.SpanID
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindClient {
			continue
		}
		a := attrs(s)
		id, err := vmspan.ParseSpanID(a[KeySpanID].AsString())
		if err != nil {
			t.Errorf("span %s: bex.span_id: %v", s.Name(), err)
		}
		out := &spantest.Span{
			ID: id, Name: s.Name(), Kind: vmspan.ParseKind(a[KeySpanKind].AsString()),
			Starts: 1, Ends: 1, Start: s.StartTime(), End: s.EndTime(), Tags: map[string]string{},
		}
		if s.Status().Code == codes.Error {
			out.Err = &vmspan.ErrorInfo{Type: a[KeyErrorType].AsString(), Message: s.Status().Description}
		}
		for k, v := range a {
			if tag, ok := strings.CutPrefix(string(k), TagPrefix); ok {
				out.Tags[tag] = v.AsString()
			}
		}
		if len(out.Tags) == 0 {
			out.Tags = nil
		}
		sid := s.SpanContext().SpanID()
		byOTel[sid], parentOf[sid] = out, s.Parent().SpanID()
		order = append(order, sid)
	}
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindClient {
			if p := byOTel[s.Parent().SpanID()]; p != nil {
				p.Attempts++
			}
		}
	}
	result := make([]spantest.Span, 0, len(order))
	for _, sid := range order {
		s := byOTel[sid]
		if p := byOTel[parentOf[sid]]; p != nil {
			s.Parent = p.ID
		}
		root := sid
		for byOTel[parentOf[root]] != nil {
			root = parentOf[root]
		}
		s.Root = byOTel[root].ID
		result = append(result, *s)
	}
	return result
}
