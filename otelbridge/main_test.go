package otelbridge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Export failures that tests cause on purpose go to otel.Handle.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	goleak.VerifyTestMain(m)
}

// base is the fake clock's first reading.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newClock returns a fake clock that advances by one millisecond per reading.
func newClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return base.Add(time.Duration(n-1) * time.Millisecond)
	}
}

// find returns the recorded event of kind k for the span named name.
func find(t *testing.T, rec *spantest.Recorder, k vmspan.EventKind, name string) vmspan.Event {
	t.Helper()
	e, ok := rec.Find(k, name)
	if !ok {
		t.Fatalf("no %v event for %q", k, name)
	}
	return e
}

// child starts the span of a traced frame below root as the engine does
// (through a FrameTracker), and returns it and the func that ends it.
func child(root *vmspan.Span, name string, kind vmspan.Kind, args []vmspan.Arg) (*vmspan.Span, func(result any, err error)) {
	ft := vmspan.NewFrameTracker(context.Background(), root)
	ft.EnterFrame(&vmspan.Frame{Depth: 2, Name: name, Kind: kind, Args: args})
	return vmspan.SpanFromContext(ft.Context()), func(result any, err error) { ft.ExitFrame(2, result, err) }
}

// newRecorder returns a provider recording into a SpanRecorder, with the
// IDGenerator unless random is set.
func newRecorder(t *testing.T, random bool) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	opts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(sr)}
	if !random {
		opts = append(opts, sdktrace.WithIDGenerator(IDGenerator()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, sr
}

// fixture is a bridge on a recording provider, fed by a tracer with a fake
// clock and sequential ids, whose events are also recorded.
type fixture struct {
	tp     *sdktrace.TracerProvider
	sr     *tracetest.SpanRecorder
	bridge *Bridge
	rec    *spantest.Recorder
	tracer *vmspan.Tracer
}

func newFixture(t *testing.T, random bool, opts ...Option) *fixture {
	f := &fixture{rec: new(spantest.Recorder)}
	f.tp, f.sr = newRecorder(t, random)
	f.bridge = New(append([]Option{WithTracerProvider(f.tp)}, opts...)...)
	f.tracer = vmspan.NewTracer(vmspan.Fanout(f.bridge, f.rec), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(newClock()))
	return f
}

// span returns the one ended span named name.
func (f *fixture) span(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	return spanNamed(t, f.sr.Ended(), name)
}

func spanNamed(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == name {
			if found != nil {
				t.Fatalf("two spans named %q", name)
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no span named %q among %d", name, len(spans))
	}
	return found
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value)
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// checkAttrs checks that s has the attributes want (as Emit strings), and
// none of the keys in absent.
func checkAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[attribute.Key]string, absent ...attribute.Key) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		if g, ok := got[k]; !ok || g.Emit() != v {
			t.Errorf("%s: %s = %q (present %v), want %q", s.Name(), k, g.Emit(), ok, v)
		}
	}
	for _, k := range absent {
		if _, ok := got[k]; ok {
			t.Errorf("%s: unexpected %s = %q", s.Name(), k, got[k].Emit())
		}
	}
}

// checkParent checks that child's parent is parent.
func checkParent(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanContext().SpanID() || child.Parent().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("parent of %s is %v/%v, want %s %v/%v", child.Name(), child.Parent().TraceID(), child.Parent().SpanID(),
			parent.Name(), parent.SpanContext().TraceID(), parent.SpanContext().SpanID())
	}
}

// checkTimes checks that s starts and ends exactly when the bex span did.
func checkTimes(t *testing.T, s sdktrace.ReadOnlySpan, start, end vmspan.Event) {
	t.Helper()
	if !s.StartTime().Equal(start.Time) || !s.EndTime().Equal(end.Start.Add(end.Duration)) {
		t.Errorf("%s: times %v..%v, want %v..%v", s.Name(), s.StartTime(), s.EndTime(), start.Time, end.Start.Add(end.Duration))
	}
}

// ids returns the OTel ids the bridge must give the bex span of e.
func ids(e vmspan.Event) (trace.TraceID, trace.SpanID) {
	return e.TraceID, vmspan.OTelSpanID(e.Span.ID)
}

// typedErr is an error with a bex error type.
type typedErr struct{ typ, msg string }

func (e typedErr) Error() string     { return e.msg }
func (e typedErr) ErrorType() string { return e.typ }
