// Package cli_test drives the real bex command against a real Jaeger.
package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/bexrun/bex/integration/internal/gotool"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// TestTraceExportToJaeger exports a trace file with `bex trace export` and
// reads every trace back from Jaeger: the span ids, parents and names are
// exactly those computed from the file's bex ids, and each LLM attempt is a
// `chat <model>` child of its LLM span.
func TestTraceExportToJaeger(t *testing.T) {
	j := jaegertest.Start(t)
	bin := gotool.BexT(t)
	_, here, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(here), "..", "..", "internal", "cli", "testdata", "trace", "pipeline.jsonl")

	cmd := exec.Command(bin, "trace", "export", file)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://"+j.OTLPHTTPEndpoint(), "OTEL_SERVICE_NAME=bex-export-test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bex trace export: %v\n%s", err, out)
	}
	t.Logf("bex trace export: %s", out)

	// What the file says: spans by trace, with their parents and attempts.
	type want struct {
		name, parent string
	}
	traces := map[string]map[string]want{}
	for e, err := range jsonl.ReadFile(file) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != vmspan.EventEnd {
			continue
		}
		tid := e.TraceID.String()
		if traces[tid] == nil {
			traces[tid] = map[string]want{}
		}
		parent := ""
		if !e.Span.Parent.IsZero() {
			parent = vmspan.OTelSpanID(e.Span.Parent).String()
		}
		id := vmspan.OTelSpanID(e.Span.ID).String()
		traces[tid][id] = want{e.Name, parent}
		for i, a := range e.Attempts {
			traces[tid][vmspan.AttemptSpanID(e.Span.ID, i).String()] = want{"chat " + a.Model, id}
		}
	}
	if len(traces) == 0 {
		t.Fatal("the trace file holds no spans")
	}
	total := 0
	for tid, spans := range traces {
		total += len(spans)
		got := j.WaitTrace(t, tid, len(spans))
		if len(got.Spans) != len(spans) {
			t.Errorf("trace %s: Jaeger has %d spans, want %d", tid, len(got.Spans), len(spans))
		}
		for _, s := range got.Spans {
			w, ok := spans[s.SpanID]
			if !ok {
				t.Errorf("trace %s: unexpected span %s %q", tid, s.SpanID, s.OperationName)
				continue
			}
			parent := ""
			if len(s.References) > 0 {
				parent = s.References[0].SpanID
			}
			if s.OperationName != w.name || parent != w.parent {
				t.Errorf("span %s: %q parent %q, want %q parent %q", s.SpanID, s.OperationName, parent, w.name, w.parent)
			}
		}
		if svc := got.Processes[got.Spans[0].ProcessID].ServiceName; svc != "bex-export-test" {
			t.Errorf("service = %q", svc)
		}
	}
	if m := regexp.MustCompile(`exported (\d+) of (\d+) spans`).FindStringSubmatch(string(out)); m == nil || m[1] != m[2] {
		t.Errorf("output %q does not report every span exported", strings.TrimSpace(string(out)))
	}
	t.Logf("%d traces, %d spans checked in Jaeger", len(traces), total)
}
