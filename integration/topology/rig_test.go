package topology_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/internal/gotool"
	"github.com/bexrun/bex/integration/internal/spanlog"
	"github.com/bexrun/bex/otelbridge"
)

// Bounds of the rig's waits.
const (
	listenTimeout  = 30 * time.Second // a service printing its address
	stopTimeout    = 60 * time.Second // a service exiting after SIGTERM
	batchDelay     = "100"            // OTEL_BSP_SCHEDULE_DELAY of the services, ms
	metricInterval = "1000"           // OTEL_METRIC_EXPORT_INTERVAL of the services, ms
)

// buildService builds cmd/bexsvc into a temporary directory, with the race
// detector when the test has it: a data race in a service then fails the
// test (the process exits with status 66).
func buildService(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bexsvc")
	var args []string
	if raceEnabled {
		args = append(args, "-race")
	}
	dir, err := gotool.IntegrationModule()
	if err == nil {
		err = gotool.Build(dir, bin, append(args, "./cmd/bexsvc")...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// service is a running replica of cmd/bexsvc.
type service struct {
	name     string // OTEL_SERVICE_NAME
	instance string // service.instance.id
	url      string
	spans    string // its span log, written at exit
	file     string // its JSONL trace file

	cmd     *exec.Cmd
	log     *syncBuffer
	report  chan string   // the "report" line
	exited  chan struct{} // closed when the process has exited
	waitErr error         // Wait's result, once exited is closed
}

// serviceReport is what cmd/bexsvc prints at exit.
type serviceReport struct {
	Delivery otelbridge.DeliveryStats `json:"delivery"`
	Exported int                      `json:"exported"`
	Failed   int                      `json:"export_failed"`
	Error    string                   `json:"error"`
}

// startService runs a replica that exports to the gateway's OTLP/HTTP
// endpoint (host:port; http/protobuf, the default protocol) and waits until
// it serves.
func startService(t *testing.T, bin, dir, role, name, instance, gateway string, peers ...string) *service {
	t.Helper()
	s := &service{
		name: name, instance: instance,
		spans: filepath.Join(dir, instance+".spans"),
		file:  filepath.Join(dir, instance+".jsonl"),
		log:   &syncBuffer{}, report: make(chan string, 1), exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "-role", role, "-spans", s.spans, "-peers", strings.Join(peers, ","))
	s.cmd.Env = append(gotool.Environ("OTEL_", "BEX_"),
		"OTEL_SERVICE_NAME="+name,
		"OTEL_RESOURCE_ATTRIBUTES=service.instance.id="+instance,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+gateway,
		"OTEL_BSP_SCHEDULE_DELAY="+batchDelay,
		"OTEL_METRICS_EXPORTER=otlp",
		"OTEL_METRIC_EXPORT_INTERVAL="+metricInterval,
		"BEX_TRACE_FILE="+s.file,
	)
	s.cmd.Stderr = s.log
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.log.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "listening "); ok {
				listening <- u
			}
			if r, ok := strings.CutPrefix(line, "report "); ok {
				s.report <- r
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", instance, s.log)
		}
	})
	select {
	case s.url = <-listening:
	case <-s.exited:
		t.Fatalf("%s exited before serving: %v\n%s", instance, s.waitErr, s.log)
	case <-time.After(listenTimeout):
		t.Fatalf("%s did not serve within %v\n%s", instance, listenTimeout, s.log)
	}
	return s
}

// stop sends SIGTERM, waits for the process to exit and checks its report:
// every span it ended was exported.
func (s *service) stop(t *testing.T) serviceReport {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("%s did not exit within %v of SIGTERM", s.instance, stopTimeout)
	}
	if s.waitErr != nil {
		t.Errorf("%s: %v", s.instance, s.waitErr)
	}
	var r serviceReport
	select {
	case line := <-s.report:
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Errorf("%s: report %q: %v", s.instance, line, err)
		}
	default:
		t.Errorf("%s printed no report", s.instance)
	}
	if r.Error != "" || r.Failed != 0 || r.Delivery.Dropped != 0 || r.Delivery.Exported != int64(r.Exported) {
		t.Errorf("%s lost spans or failed to shut down: %+v", s.instance, r)
	}
	return r
}

// frontend is the client of the triage service: the test process itself,
// instrumented like a service, exporting its spans to the gateway.
type frontend struct {
	tp     *sdktrace.TracerProvider
	rec    *spanlog.Exporter
	tracer trace.Tracer
	client *http.Client
}

// headDropKey is a root span attribute that makes the frontend's sampler
// drop the trace at its head.
const headDropKey = attribute.Key("test.head_drop")

func newFrontend(t *testing.T, gateway string) *frontend {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(gateway), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	f := &frontend{rec: spanlog.New(exp)}
	f.tp = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(f.rec, sdktrace.WithBatchTimeout(100*time.Millisecond), sdktrace.WithBlocking()),
		sdktrace.WithSampler(sdktrace.ParentBased(headSampler{})),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", "frontend"), attribute.String("service.instance.id", "frontend-1"))))
	t.Cleanup(func() { _ = f.tp.Shutdown(context.Background()) })
	f.tracer = f.tp.Tracer("github.com/bexrun/bex/integration/topology")
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	f.client = &http.Client{
		Timeout:   time.Minute,
		Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(f.tp), otelhttp.WithPropagators(prop)),
	}
	return f
}

// headSampler samples every root span except those marked with headDropKey:
// the decision of an application that samples at the head.
type headSampler struct{}

func (headSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	for _, a := range p.Attributes {
		if a.Key == headDropKey && a.Value.AsBool() {
			return sdktrace.SamplingResult{Decision: sdktrace.Drop}
		}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}

func (headSampler) Description() string { return "headSampler" }

// syncBuffer is a bytes buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
