package cli

import (
	"io"
	"os"
	"strings"
	"testing"
)

const (
	pipelineTrace   = "testdata/trace/pipeline.jsonl"   // two bex runs (ok, failed), written by TestRunJSONL
	bexTrace        = "testdata/trace/bex.jsonl"        // host spans, a remote parent, LLM attempts, errors
	referenceTrace  = "testdata/trace/reference.jsonl"  // the pure reference format
	malformedTrace  = "testdata/trace/malformed.jsonl"  // reference lines with malformed ones between them
	unbalancedTrace = "testdata/trace/unbalanced.jsonl" // a run cut short: spans that never end
)

func TestTraceView(t *testing.T) {
	pipeline, err := os.ReadFile(pipelineTrace)
	if err != nil {
		t.Fatal(err)
	}
	runGolden(t, []golden{
		{name: "view_pipeline", args: []string{"trace", "view", pipelineTrace}},
		{name: "view_bex", args: []string{"trace", "view", bexTrace}},
		{name: "view_reference", args: []string{"trace", "view", referenceTrace}},
		{name: "view_malformed", args: []string{"trace", "view", malformedTrace}, code: ExitError},
		{name: "view_unbalanced", args: []string{"trace", "view", unbalancedTrace}},
		{name: "view_values", args: []string{"trace", "view", "--values", pipelineTrace}},
		{name: "view_color", args: []string{"trace", "view", "--color=always", pipelineTrace}},
		{name: "view_trace_root", args: []string{"trace", "view", "--trace", "00000000-0000-7000-8000-00000000000d", pipelineTrace}},
		{name: "view_trace_prefix", args: []string{"trace", "view", pipelineTrace, "--trace", "a477"}},
		{name: "view_trace_none", args: []string{"trace", "view", "--trace", "ffff", pipelineTrace}, code: ExitError},
		{name: "view_stdin", args: []string{"trace", "view", "-"}, stdin: string(pipeline)},
		{name: "view_missing_file", args: []string{"trace", "view", "testdata/trace/nope.jsonl"}, code: ExitError},
		{name: "view_corrupt", args: []string{"trace", "view", "testdata/trace/corrupt.jsonl"}},
		{name: "view_empty", args: []string{"trace", "view", "-"}, stdin: "\n"},
	})
}

func TestTraceViewColorAuto(t *testing.T) {
	app := testApp()
	app.Terminal = func(io.Writer) bool { return true }
	if r := run(t, app, "", "trace", "view", pipelineTrace); !strings.Contains(r.stdout, ansiRed) {
		t.Errorf("--color=auto on a terminal: no red in\n%s", r.stdout)
	}
	t.Setenv("NO_COLOR", "1")
	if r := run(t, app, "", "trace", "view", pipelineTrace); strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("NO_COLOR set: colors in\n%s", r.stdout)
	}
	if r := run(t, testApp(), "", "trace", "view", pipelineTrace); strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("--color=auto, not a terminal: colors in\n%s", r.stdout)
	}
}

func TestTraceStats(t *testing.T) {
	runGolden(t, []golden{
		{name: "stats_pipeline", args: []string{"trace", "stats", pipelineTrace}},
		{name: "stats_bex", args: []string{"trace", "stats", bexTrace}},
		{name: "stats_reference", args: []string{"trace", "stats", referenceTrace}},
		{name: "stats_malformed", args: []string{"trace", "stats", malformedTrace}, code: ExitError},
		{name: "stats_unbalanced", args: []string{"trace", "stats", unbalancedTrace}},
		{name: "stats_trace", args: []string{"trace", "stats", "--trace", "00000000-0000-7000-8000-000000000001", pipelineTrace}},
		{name: "stats_corrupt", args: []string{"trace", "stats", "testdata/trace/corrupt.jsonl"}},
		{name: "stats_empty", args: []string{"trace", "stats", "-"}},
	})
}
