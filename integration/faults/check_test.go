package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/internal/gotool"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// spanKey identifies an OTel span.
type spanKey struct {
	trace trace.TraceID
	span  trace.SpanID
}

// traceFile is what a JSONL trace file says bex made.
type traceFile struct {
	spans map[spanKey]string      // every OTel span the bridge makes from the file -> name
	calls map[trace.TraceID]int64 // the trace of each call -> its n argument
	roots int
}

// readTraceFile reads the file and checks that it is complete: no malformed
// line, every span started and ended exactly once. From the ids it computes
// the OTel spans the bridge makes: one per bex span (vmspan.OTelSpanID), one
// per LLM attempt (vmspan.AttemptSpanID).
func readTraceFile(t *testing.T, path string) *traceFile {
	t.Helper()
	f := &traceFile{spans: map[spanKey]string{}, calls: map[trace.TraceID]int64{}}
	starts, ends := map[vmspan.SpanID]int{}, map[vmspan.SpanID]int{}
	for e, err := range jsonl.ReadFile(path) {
		if err != nil {
			t.Fatalf("trace file %s: %v", path, err)
		}
		switch e.Kind {
		case vmspan.EventStart:
			starts[e.Span.ID]++
			if e.SpanKind == vmspan.KindRoot {
				f.roots++
				f.calls[e.TraceID] = argN(e.Args)
			}
		case vmspan.EventEnd:
			ends[e.Span.ID]++
			f.spans[spanKey{e.TraceID, vmspan.OTelSpanID(e.Span.ID)}] = e.Name
			for i, a := range e.Attempts {
				f.spans[spanKey{e.TraceID, vmspan.AttemptSpanID(e.Span.ID, i)}] = "chat " + a.Model
			}
		}
	}
	var unbalanced []string
	for id, n := range starts {
		if n != 1 || ends[id] != 1 {
			unbalanced = append(unbalanced, fmt.Sprintf("%s: %d starts, %d ends", id, n, ends[id]))
		}
	}
	for id, n := range ends {
		if starts[id] == 0 {
			unbalanced = append(unbalanced, fmt.Sprintf("%s: %d ends, no start", id, n))
		}
	}
	if len(unbalanced) > 0 {
		t.Errorf("trace file %s: %d spans unbalanced, e.g. %s", path, len(unbalanced), unbalanced[0])
	}
	return f
}

// argN returns the value of the argument n.
func argN(args []vmspan.Arg) int64 {
	for _, a := range args {
		if a.Name == "n" {
			switch v := a.Value.(type) {
			case int64:
				return v
			case float64:
				return int64(v)
			}
		}
	}
	return -1
}

// jaegerSpans returns how many times Jaeger shows each span of the
// service's traces.
func jaegerSpans(ctx context.Context, j *jaegertest.Jaeger, service string) (map[spanKey]int, error) {
	traces, err := j.FindTraces(ctx, service, 50_000) // memstore allows fewer than its 100k traces
	if err != nil {
		return nil, err
	}
	got := map[spanKey]int{}
	for _, tr := range traces {
		for _, s := range tr.Spans {
			tid, err1 := trace.TraceIDFromHex(pad(s.TraceID, 32))
			sid, err2 := trace.SpanIDFromHex(pad(s.SpanID, 16))
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("span %+v: bad ids", s)
			}
			got[spanKey{tid, sid}]++
		}
	}
	return got, nil
}

// pad restores the leading zeros Jaeger may leave out of a hex id.
func pad(hex string, n int) string {
	return strings.Repeat("0", max(0, n-len(hex))) + strings.ToLower(hex)
}

// waitJaeger polls Jaeger until it shows want distinct spans of the service
// (or more), or 60s have passed, and returns what it shows last. With
// settle, it also stops once the number has not changed for 10s: a killed
// Jaeger may never show want. (Both bounds are generous: on a loaded
// 2-core CI machine Jaeger's ingestion pauses for seconds.)
func waitJaeger(t *testing.T, j *jaegertest.Jaeger, service string, want int, settle bool) map[spanKey]int {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("waited %v for Jaeger", time.Since(start).Round(time.Millisecond)) }()
	deadline := start.Add(60 * time.Second)
	last, changed := -1, start
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		got, err := jaegerSpans(ctx, j, service)
		cancel()
		if err == nil && len(got) >= want {
			return got
		}
		if err == nil && len(got) != last {
			last, changed = len(got), time.Now()
		}
		if settle && err == nil && time.Since(changed) >= 10*time.Second {
			t.Logf("Jaeger shows %d distinct spans of %s, unchanged for 10s; want %d", len(got), service, want)
			return got
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("reading Jaeger: %v", err)
			}
			t.Logf("Jaeger shows %d distinct spans of %s after 60s, want %d", len(got), service, want)
			return got
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// compare splits the file's spans into those Jaeger shows and those it
// misses, and returns the spans Jaeger shows that the file lacks and the
// spans it shows more than once.
func compare(f *traceFile, got map[spanKey]int) (missing []spanKey, unexpected, dups int) {
	for k := range f.spans {
		if got[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range got {
		if _, ok := f.spans[k]; !ok {
			unexpected++
		}
		if n > 1 {
			dups++
		}
	}
	return missing, unexpected, dups
}

// bexCLI is the bex CLI, built once for the package's tests.
var bexCLI struct {
	once sync.Once
	dir  string // removed by TestMain
	path string
	err  error
}

// buildBex builds the bex CLI from the main module (once) and returns its
// path.
func buildBex(t *testing.T) string {
	t.Helper()
	bexCLI.once.Do(func() {
		if bexCLI.dir, bexCLI.err = os.MkdirTemp("", "bex-faults-"); bexCLI.err == nil {
			bexCLI.path, bexCLI.err = gotool.Bex(bexCLI.dir)
		}
	})
	if bexCLI.err != nil {
		t.Fatal(bexCLI.err)
	}
	return bexCLI.path
}

// goBuild builds pkg of the integration module and returns the binary's
// path.
func goBuild(t *testing.T, pkg, name string) string {
	t.Helper()
	dir, err := gotool.IntegrationModule()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), name)
	if err := gotool.Build(dir, out, pkg); err != nil {
		t.Fatal(err)
	}
	return out
}

// exportWithCLI runs `bex trace export path` against the OTLP/gRPC
// endpoint with the service name and returns its output.
func exportWithCLI(t *testing.T, bex, path, endpoint, service string) string {
	t.Helper()
	cmd := exec.Command(bex, "trace", "export", path)
	cmd.Env = otlpGRPCEnv(endpoint, service)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bex trace export %s: %v\nstdout: %s\nstderr: %s", path, err, stdout.String(), stderr.String())
	}
	t.Logf("bex trace export: %s%s", stdout.String(), stderr.String())
	return stdout.String()
}

// otlpGRPCEnv is the environment of a child process (bex, bexload) that
// exports OTLP over gRPC to endpoint as service: this process's environment
// without its OTEL_ and BEX_ variables, plus those three. The protocol must
// be named: the default is http/protobuf.
func otlpGRPCEnv(endpoint, service string) []string {
	return append(gotool.Environ("OTEL_", "BEX_"),
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		"OTEL_SERVICE_NAME="+service)
}
