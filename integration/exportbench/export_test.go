// Package exportbench measures `bex trace export` of a 1M-event trace file
// into a real Jaeger, with several exporter settings. It has only a
// benchmark (run by scripts/export-bench.sh; not part of CI):
//
//	cd integration && go test -run '^$' -bench BenchmarkExport1M -benchtime 1x ./exportbench
package exportbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/internal/gotool"
	"github.com/bexrun/bex/integration/internal/prom"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// The trace file: traces of a root, 48 traced expression calls and one LLM
// function with one provider attempt (50 bex spans, 100 events, and one
// attempt span when exported).
const (
	traces         = 10_000
	eventsPerTrace = 100
	spansPerTrace  = 51
)

const grpc = "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"

// exporterSettings are the settings compared: the OTLP protocol and the
// batch span processor's sizes, through the standard OTEL_* variables that
// `bex trace export` reads. Each names its protocol: the default is
// http/protobuf.
var exporterSettings = []struct {
	name string
	env  []string
}{
	{"grpc", []string{grpc}}, // otherwise the defaults: batches of 2,048, a queue of 65,536
	{"grpc-batch512", []string{grpc, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=512"}},
	{"grpc-batch8192", []string{grpc, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=8192"}},
	{"grpc-gzip", []string{grpc, "OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}},
	{"http", []string{"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"}},
}

// BenchmarkExport1M exports the file once per op to a Jaeger of its own
// (in-memory storage) for each setting, and reports spans per second of
// wall time (from the start of `bex trace export` to its exit, all spans
// delivered), bex's CPU time per span and its peak RSS. An op fails when
// `bex trace export` does not deliver every span, or Jaeger's receiver did
// not accept them all.
func BenchmarkExport1M(b *testing.B) {
	file, bin := traceFile(b), gotool.BexT(b)
	for _, s := range exporterSettings {
		b.Run(s.name, func(b *testing.B) {
			var wall, cpu time.Duration
			var rss int64
			for b.Loop() {
				b.StopTimer()
				j := jaegertest.Start(b)
				b.StartTimer()
				w, c, r := export(b, bin, file, j, s.env)
				wall, cpu, rss = wall+w, cpu+c, max(rss, r)
				b.StopTimer()
				checkAccepted(b, j)
				if err := j.Stop(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			spans := float64(b.N * traces * spansPerTrace)
			b.ReportMetric(spans/wall.Seconds(), "spans/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/spans, "cpu-ns/span")
			b.ReportMetric(float64(rss)/1e6, "peak-rss-MB")
		})
	}
}

// export runs `bex trace export` and returns its wall time, CPU time and
// peak RSS.
func export(b *testing.B, bin, file string, j *jaegertest.Jaeger, env []string) (wall, cpu time.Duration, rss int64) {
	endpoint := "http://" + j.OTLPGRPCEndpoint()
	if strings.Contains(strings.Join(env, " "), "http/protobuf") {
		endpoint = "http://" + j.OTLPHTTPEndpoint()
	}
	cmd := exec.Command(bin, "trace", "export", "--timeout", "5m", file)
	cmd.Env = append(gotool.Environ("OTEL_"), append([]string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint, "OTEL_SERVICE_NAME=exportbench"}, env...)...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall = time.Since(start)
	if err != nil {
		b.Fatalf("bex trace export: %v\n%s", err, out)
	}
	want := fmt.Sprintf("exported %d of %d spans", traces*spansPerTrace, traces*spansPerTrace)
	if !strings.Contains(string(out), want) {
		b.Fatalf("bex trace export: %s, want %q", out, want)
	}
	st := cmd.ProcessState
	return wall, st.UserTime() + st.SystemTime(), st.SysUsage().(*syscall.Rusage).Maxrss * 1024
}

// checkAccepted waits until Jaeger's OTLP receiver has accepted every span
// (otelcol_receiver_accepted_spans, summed over its transports).
func checkAccepted(b *testing.B, j *jaegertest.Jaeger) {
	if err := prom.Wait(j.MetricsURL(), "otelcol_receiver_accepted_spans_total", nil, traces*spansPerTrace, 30*time.Second); err != nil {
		b.Fatal(err)
	}
}

// file is the trace file, written once and removed by TestMain.
var file struct {
	once sync.Once
	path string
	err  error
}

// traceFile writes the 1M-event file once, into a directory of its own.
func traceFile(b *testing.B) string {
	file.once.Do(func() {
		dir, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "exportbench")
		if err != nil {
			file.err = err
			return
		}
		file.path = filepath.Join(dir, "trace.jsonl")
		file.err = writeTrace(file.path)
	})
	if file.err != nil {
		b.Fatal(file.err)
	}
	return file.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if file.path != "" {
		os.RemoveAll(filepath.Dir(file.path))
	}
	os.Exit(code)
}

// writeTrace writes the trace file as the engine would: through a tracer
// whose sink is a jsonl writer.
func writeTrace(path string) error {
	w, err := jsonl.Open(path)
	if err != nil {
		return err
	}
	tr := vmspan.NewTracer(w)
	ctx := context.Background()
	in, out := int64(92), int64(21)
	for t := range traces {
		root := tr.StartSpan(ctx, "Triage", vmspan.StartConfig{Kind: vmspan.KindRoot,
			Args: []vmspan.Arg{{Name: "body", Value: fmt.Sprintf("ticket %d: checkout is down", t)}}})
		rctx := root.Context(ctx)
		for i := range 48 {
			s := tr.StartSpan(rctx, "Score", vmspan.StartConfig{Kind: vmspan.KindExpr,
				Args: []vmspan.Arg{{Name: "name", Value: "item"}, {Name: "i", Value: int64(i)}}})
			s.End(int64(2*i), nil)
		}
		l := tr.StartSpan(rctx, "ClassifyTicket", vmspan.StartConfig{Kind: vmspan.KindLLM, Args: []vmspan.Arg{{Name: "body", Value: "checkout is down"}}})
		start := tr.Now()
		l.AddAttempts(vmspan.LLMAttempt{Client: "Fast", Provider: "openai", Model: "gpt-4o-mini", ResponseModel: "gpt-4o-mini-2024-07-18",
			ResponseID: "chatcmpl-1", ServerAddress: "api.openai.com", ServerPort: 443, Start: start, Duration: 800 * time.Millisecond,
			Usage: vmspan.Usage{InputTokens: &in, OutputTokens: &out}, FinishReason: "stop", Selected: true,
			Messages: []vmspan.Message{{Role: "system", Content: "Extract the ticket."}, {Role: "user", Content: "checkout is down"}},
			Output:   `{"title": "Checkout is down", "priority": 1}`})
		l.End(vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: "Checkout is down"}, {Name: "priority", Value: int64(1)}}}, nil)
		root.End("ok", nil)
	}
	if err := w.Flush(ctx); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	n := 0
	for _, err := range jsonl.ReadFile(path) {
		if err != nil {
			return err
		}
		n++
	}
	if n != traces*eventsPerTrace {
		return fmt.Errorf("the trace file holds %d events, want %d", n, traces*eventsPerTrace)
	}
	return nil
}
