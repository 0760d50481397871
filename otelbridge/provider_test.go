package otelbridge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// clearOTelEnv unsets the OTEL_* variables the tests read, for the test.
func clearOTelEnv(t *testing.T) {
	for _, k := range []string{
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
	} {
		t.Setenv(k, "")
	}
}

// runSpans ends n bex host spans through a bridge on p.
func runSpans(p *Provider, n int) {
	tracer := vmspan.NewTracer(New(WithTracerProvider(p)), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(newClock()))
	for range n {
		_, s := tracer.Start(context.Background(), "span")
		s.End(nil, nil)
	}
}

// failingExporter fails every export.
type failingExporter struct{ tracetest.NoopExporter }

func (*failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	return errors.New("collector unavailable")
}

func TestDroppedCountsFailedExports(t *testing.T) {
	clearOTelEnv(t)
	p, err := NewProvider(context.Background(), WithExporter(&failingExporter{}), WithBatchSize(7))
	if err != nil {
		t.Fatal(err)
	}
	b := New(WithTracerProvider(p))
	tracer := vmspan.NewTracer(b)
	for range 100 {
		_, s := tracer.Start(context.Background(), "span")
		s.End(nil, nil)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := DeliveryStats{Ended: 100, Failed: 100, Dropped: 100}
	if got := p.Stats(); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if got := b.DroppedSpans(); got != 100 {
		t.Errorf("DroppedSpans %d, want 100", got)
	}
}

// memExporter keeps what it exports, also after Shutdown (unlike
// tracetest.InMemoryExporter, which forgets).
type memExporter struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (e *memExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	e.spans = append(e.spans, spans...)
	e.mu.Unlock()
	return nil
}

func (e *memExporter) Shutdown(context.Context) error { return nil }

func (e *memExporter) GetSpans() []sdktrace.ReadOnlySpan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdktrace.ReadOnlySpan(nil), e.spans...)
}

// blockingExporter holds every export until release is closed.
type blockingExporter struct {
	memExporter
	release chan struct{}
}

func (e *blockingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	<-e.release
	return e.memExporter.ExportSpans(ctx, spans)
}

func TestDroppedCountsFullQueue(t *testing.T) {
	tests := []struct {
		name string
		wait time.Duration
	}{
		{"DropAtOnce", 0},
		{"DropAfterWait", time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			exp := &blockingExporter{release: make(chan struct{})}
			p, err := NewProvider(context.Background(), WithExporter(exp),
				WithQueueSize(10), WithBatchSize(5), WithQueueFullWait(tt.wait), WithBatchTimeout(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			// Nothing is exported while the exporter holds its first batch,
			// so exactly the queue size is admitted.
			runSpans(p, 17)
			got := p.Stats()
			if got.Ended != 17 || got.Rejected != 7 || got.Pending != 10 || got.Dropped != 7 {
				t.Errorf("before release: %+v, want 17 ended, 7 rejected, 10 pending", got)
			}
			close(exp.release)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			want := DeliveryStats{Ended: 17, Exported: 10, Rejected: 7, Dropped: 7}
			if got := p.Stats(); got != want || len(exp.GetSpans()) != 10 {
				t.Errorf("after shutdown: %+v, want %+v; %d spans exported", got, want, len(exp.GetSpans()))
			}
		})
	}
}

func TestWaitingSpanGetsPlace(t *testing.T) {
	clearOTelEnv(t)
	exp := &blockingExporter{release: make(chan struct{})}
	p, err := NewProvider(context.Background(), WithExporter(exp),
		WithQueueSize(5), WithBatchSize(5), WithQueueFullWait(-1), WithBatchTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 5) // fills the queue; the exporter holds the batch
	var wg sync.WaitGroup
	wg.Go(func() { runSpans(p, 3) }) // waits for room, as long as it takes
	close(exp.release)
	wg.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := DeliveryStats{Ended: 8, Exported: 8}
	if got := p.Stats(); got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestSpansAfterShutdownAreDropped(t *testing.T) {
	clearOTelEnv(t)
	exp := &memExporter{}
	p, err := NewProvider(context.Background(), WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	tracer := p.Tracer("app")
	_, s := tracer.Start(context.Background(), "late")
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.End() // the SDK ignores spans ended after shutdown
	if got := p.Stats(); got.Ended != 0 || got.Dropped != 0 {
		t.Errorf("stats %+v", got)
	}
}

// resourceOf returns the resource attributes of the spans p exports.
func resourceOf(t *testing.T, opts ...ProviderOption) map[attribute.Key]string {
	t.Helper()
	exp := &memExporter{}
	p, err := NewProvider(context.Background(), append(opts, WithExporter(exp))...)
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 1)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	m := map[attribute.Key]string{}
	for _, kv := range spans[0].Resource().Attributes() {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// exe is the name of the running executable, as the SDK's default service
// name has it.
func exe() string { return filepath.Base(os.Args[0]) }

func TestProviderResource(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		opts []ProviderOption
		want map[attribute.Key]string
	}{
		// The specification's default: unknown_service:<executable>.
		{"Default", nil, nil, map[attribute.Key]string{"service.name": "unknown_service:" + exe(), "telemetry.sdk.name": "opentelemetry"}},
		{"CodeDefault", nil, []ProviderOption{WithServiceName("billing"), WithResourceAttributes(attribute.String("team", "a"))},
			map[attribute.Key]string{"service.name": "billing", "team": "a"}},
		{"ServiceNameEnvWins", map[string]string{"OTEL_SERVICE_NAME": "from-env"}, []ProviderOption{WithServiceName("billing")},
			map[attribute.Key]string{"service.name": "from-env"}},
		{"ResourceAttributesEnv", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=attrs,deployment.environment=test,team=b"},
			[]ProviderOption{WithResourceAttributes(attribute.String("team", "a"))},
			map[attribute.Key]string{"service.name": "attrs", "deployment.environment": "test", "team": "b"}},
		{"ServiceNameBeatsResourceAttributes", map[string]string{"OTEL_SERVICE_NAME": "svc", "OTEL_RESOURCE_ATTRIBUTES": "service.name=attrs"}, nil,
			map[attribute.Key]string{"service.name": "svc"}},
		{"MalformedResourceAttributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "novalue,team=c"}, nil,
			map[attribute.Key]string{"service.name": "unknown_service:" + exe()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got := resourceOf(t, tt.opts...)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (resource %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestProviderSampler(t *testing.T) {
	tests := []struct {
		sampler, arg string
		want         int
	}{
		{"always_on", "", 4},
		{"always_off", "", 0},
		{"traceidratio", "0", 0},
		{"parentbased_always_off", "", 0},
		{"parentbased_traceidratio", "1", 4},
	}
	for _, tt := range tests {
		t.Run(tt.sampler+tt.arg, func(t *testing.T) {
			clearOTelEnv(t)
			t.Setenv("OTEL_TRACES_SAMPLER", tt.sampler)
			t.Setenv("OTEL_TRACES_SAMPLER_ARG", tt.arg)
			exp := &memExporter{}
			p, err := NewProvider(context.Background(), WithExporter(exp))
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{rec: new(spantest.Recorder)}
			f.bridge = New(WithTracerProvider(p))
			f.tracer = vmspan.NewTracer(f.bridge, vmspan.WithClock(newClock()))
			runLLM(f)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(exp.GetSpans()); n != tt.want {
				t.Errorf("%d spans exported, want %d", n, tt.want)
			}
			if s := p.Stats(); s.Ended != int64(tt.want) || s.Dropped != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestProviderConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		opts []ProviderOption
	}{
		{"QueueSizeEnv", map[string]string{"OTEL_BSP_MAX_QUEUE_SIZE": "lots"}, nil},
		{"QueueSizeOption", nil, []ProviderOption{WithQueueSize(0)}},
		{"Protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, nil},
		{"Exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if p, err := NewProvider(context.Background(), tt.opts...); err == nil {
				_ = p.Shutdown(context.Background())
				t.Error("no error")
			}
		})
	}
}

func TestProviderExporterNone(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	p, err := NewProvider(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 3)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s != (DeliveryStats{}) {
		t.Errorf("stats %+v", s)
	}
}

func TestProviderBatchEnv(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "3")
	exp := &blockingExporter{release: make(chan struct{})}
	p, err := NewProvider(context.Background(), WithExporter(exp), WithQueueFullWait(0), WithBatchTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 5)
	close(exp.release)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Exported != 3 || s.Rejected != 2 {
		t.Errorf("stats %+v, want a queue of 3 from OTEL_BSP_MAX_QUEUE_SIZE", s)
	}
}

func TestShutdownDeadlineCountsPending(t *testing.T) {
	clearOTelEnv(t)
	exp := &blockingExporter{release: make(chan struct{})}
	p, err := NewProvider(context.Background(), WithExporter(exp), WithShutdownTimeout(time.Millisecond), WithBatchTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	runSpans(p, 4)
	if err := p.Shutdown(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("shutdown error %v, want the deadline", err)
	}
	if s := p.Stats(); s.Pending != 4 || s.Dropped != 4 {
		t.Errorf("stats %+v, want 4 pending spans counted as dropped", s)
	}
	close(exp.release) // let the processor's goroutine finish
	waitFor(t, func() bool { return p.Stats().Pending == 0 })
}

// waitFor polls cond until it holds (the goroutine being waited for does
// not signal).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition never held")
}

// TestConcurrentDelivery runs trees from many goroutines through a bridge
// on a Provider: every span arrives, parents are right, nothing is open.
func TestConcurrentDelivery(t *testing.T) {
	clearOTelEnv(t)
	exp := &memExporter{}
	p, err := NewProvider(context.Background(), WithExporter(exp), WithQueueSize(64), WithBatchSize(16), WithQueueFullWait(-1))
	if err != nil {
		t.Fatal(err)
	}
	b := New(WithTracerProvider(p))
	tracer := vmspan.NewTracer(b)
	var wg sync.WaitGroup
	const workers, trees = 8, 50
	for range workers {
		wg.Go(func() {
			for range trees {
				ctx, h := tracer.Start(context.Background(), "Handle")
				root := tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
				var inner sync.WaitGroup
				for range 3 {
					inner.Go(func() {
						llm, endLlm := child(root, "Extract", vmspan.KindLLM, nil)
						llm.AddAttempts(vmspan.LLMAttempt{Model: "m", Start: time.Now()})
						endLlm("x", nil)
					})
				}
				inner.Wait()
				root.End(nil, nil)
				h.End(nil, nil)
			}
		})
	}
	wg.Wait()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	const want = workers * trees * (2 + 3*2)
	if s := b.Stats(); s.Open != 0 || s.Delivery != (DeliveryStats{Ended: want, Exported: want}) {
		t.Errorf("stats %+v, want %d exported", s, want)
	}
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range exp.GetSpans() {
		byID[s.SpanContext().SpanID()] = s
	}
	for _, s := range exp.GetSpans() {
		wantParent := map[string]string{"Handle": "", "main": "Handle", "Extract": "main", "chat m": "Extract"}[s.Name()]
		p := byID[s.Parent().SpanID()]
		if (p == nil && wantParent != "") || (p != nil && p.Name() != wantParent) {
			t.Fatalf("span %s has parent %v, want %q", s.Name(), p, wantParent)
		}
	}
}
