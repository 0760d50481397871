package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bexrun/bex/vmspan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// base is the fake clock's first reading.
var base = time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)

// fakeClock returns a clock that advances by one millisecond per reading.
func fakeClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return base.Add(time.Duration(n-1) * time.Millisecond)
	}
}

// testApp returns an App with a fake clock, sequential ids and no terminal.
func testApp() *App {
	return &App{Clock: fakeClock(), IDs: vmspan.SequentialIDs(), Terminal: func(io.Writer) bool { return false }}
}

// cleanEnv unsets the variables that change what bex run and trace export do.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"BEX_TRACE_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
		"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
		"OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
		"TRACEPARENT", "NO_COLOR",
		"OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// A result is what one Run did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs bex in-process with args and stdin.
func run(t *testing.T, app *App, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// format renders a result as the text of a golden file.
func (r result) format(args []string) string {
	return fmt.Sprintf("$ bex %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
}

// checkGolden compares got with testdata/golden/name, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// A golden test runs one command line and compares its exit status,
// stdout and stderr with a golden file.
type golden struct {
	name  string // golden file name, without .txt
	args  []string
	stdin string
	code  int
}

func runGolden(t *testing.T, tests []golden) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, testApp(), tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name+".txt", r.format(tt.args))
		})
	}
}

func TestUsage(t *testing.T) {
	runGolden(t, []golden{
		{name: "usage_none", args: nil, code: ExitUsage},
		{name: "usage_help", args: []string{"--help"}, code: ExitOK},
		{name: "usage_h", args: []string{"-h"}, code: ExitOK},
		{name: "usage_help_run", args: []string{"help", "run"}, code: ExitOK},
		{name: "usage_help_trace_view", args: []string{"help", "trace", "view"}, code: ExitOK},
		{name: "usage_help_unknown", args: []string{"help", "nope"}, code: ExitUsage},
		{name: "usage_unknown_command", args: []string{"frobnicate"}, code: ExitUsage},
		{name: "usage_trace_alone", args: []string{"trace"}, code: ExitUsage},
		{name: "usage_trace_unknown", args: []string{"trace", "frob", "x.jsonl"}, code: ExitUsage},
		{name: "usage_bad_flag", args: []string{"check", "--nope", "testdata/prog/calc"}, code: ExitUsage},
		{name: "usage_bad_color", args: []string{"trace", "view", "--color=pink", "x.jsonl"}, code: ExitUsage},
		{name: "usage_extra_args", args: []string{"trace", "stats", "a.jsonl", "b.jsonl"}, code: ExitUsage},
	})
	for _, c := range commands() {
		args := append(strings.Fields(c.name), "--help")
		t.Run(strings.ReplaceAll(c.name, " ", "_")+"_help", func(t *testing.T) {
			r := run(t, testApp(), "", args...)
			if r.code != ExitOK || !strings.HasPrefix(r.stdout, "usage: bex "+c.name) || r.stderr != "" {
				t.Errorf("bex %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := run(t, testApp(), "", "version")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "bex ") || !strings.Contains(r.stdout, "go1.") || r.stderr != "" {
		t.Errorf("bex version: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3"
	if r := run(t, testApp(), "", "version"); !strings.HasPrefix(r.stdout, "bex v1.2.3 go1.") {
		t.Errorf("with Version set: %q", r.stdout)
	}
}

func TestCheck(t *testing.T) {
	runGolden(t, []golden{
		{name: "check_ok", args: []string{"check", "testdata/prog/calc"}, code: ExitOK},
		{name: "check_quiet", args: []string{"check", "-q", "testdata/prog/calc"}, code: ExitOK},
		{name: "check_files", args: []string{"check", "testdata/prog/calc/calc.baml", "testdata/prog/triage"}, code: ExitOK},
		{name: "check_syntax_errors", args: []string{"check", "testdata/prog/badsyntax"}, code: ExitError},
		{name: "check_compile_errors", args: []string{"check", "testdata/prog/badtypes"}, code: ExitError},
		{name: "check_warnings", args: []string{"check", "testdata/prog/warnings"}, code: ExitOK},
		{name: "check_missing", args: []string{"check", "testdata/prog/nope"}, code: ExitError},
		{name: "check_no_args", args: []string{"check"}, code: ExitUsage},
	})
}

func TestDisasm(t *testing.T) {
	runGolden(t, []golden{
		{name: "disasm_fib", args: []string{"disasm", "testdata/prog/calc", "Fib"}, code: ExitOK},
		{name: "disasm_unknown", args: []string{"disasm", "testdata/prog/calc", "Nope"}, code: ExitError},
		{name: "disasm_compile_error", args: []string{"disasm", "testdata/prog/badtypes", "Caller"}, code: ExitError},
		{name: "disasm_no_args", args: []string{"disasm"}, code: ExitUsage},
	})
	r := run(t, testApp(), "", "disasm", "testdata/prog/calc")
	for _, fn := range []string{"Fib", "Greet", "Twice"} {
		if !strings.Contains(r.stdout, fn) {
			t.Errorf("disasm of every function lacks %s:\n%s", fn, r.stdout)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos string
		wantArg string
	}{
		{[]string{"dir", "fn"}, "dir fn", ""},
		{[]string{"--arg", "a=1", "dir", "fn"}, "dir fn", "a=1"},
		{[]string{"dir", "--arg=a=1", "fn", "--arg", "b=2"}, "dir fn", "a=1,b=2"},
		{[]string{"dir", "--", "--arg", "fn"}, "dir --arg fn", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			fs, cfg := newFlagSet(runCommand)
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(pos, " "); got != tt.wantPos {
				t.Errorf("positional %q, want %q", got, tt.wantPos)
			}
			if got := cfg.(*RunConfig).Args.String(); got != tt.wantArg {
				t.Errorf("--arg %q, want %q", got, tt.wantArg)
			}
		})
	}
}
