package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// TestMain runs main when the test binary is started as bex by the tests
// below, so that they drive the real main (exit statuses, os.Args, signals)
// without go run or go build.
func TestMain(m *testing.M) {
	if os.Getenv("BEX_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// bex returns a command that runs this test binary as bex with args.
func bex(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "BEX_TEST_MAIN=1", "BEX_TRACE_FILE=", "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=")
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestMainExitStatus(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string // prefix
		stderr string // substring
	}{
		{[]string{"version"}, 0, "bex ", ""},
		{[]string{"--help"}, 0, "bex runs bex", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"check", "../../internal/cli/testdata/prog/badsyntax"}, 1, "", "badsyntax/a.baml:3:13: expected expression"},
		{[]string{"run", "../../internal/cli/testdata/prog/calc", "Fib", "--arg", "n=10"}, 0, "55\n", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			var out, errOut bytes.Buffer
			cmd := bex(t, tt.args...)
			cmd.Stdout, cmd.Stderr = &out, &errOut
			code := exitCode(t, cmd.Run())
			if code != tt.code || !strings.HasPrefix(out.String(), tt.stdout) || !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("bex %s: exit %d, stdout %q, stderr %q; want %d, %q..., ...%q...",
					strings.Join(tt.args, " "), code, out.String(), errOut.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestMainInterrupt checks that SIGINT cancels a running call and that bex
// still writes the trace file, whose root span ends with the cancellation.
func TestMainInterrupt(t *testing.T) {
	dir := t.TempDir()
	src, trace := filepath.Join(dir, "spin.baml"), filepath.Join(dir, "trace.jsonl")
	if err := os.WriteFile(src, []byte("function Spin() -> int {\n    let i = 0;\n    while (true) { i += 1; }\n    i\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd := bex(t, "run", src, "Spin", "--jsonl", trace)
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The trace file is created after the signal handler is installed.
	for i := 0; ; i++ {
		if _, err := os.Stat(trace); err == nil {
			break
		}
		if i == 500 {
			cmd.Process.Kill()
			t.Fatal("bex did not create the trace file in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != 1 || !strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("exit %d, stderr %q; want 1 and the cancellation", code, errOut.String())
	}
	var events []vmspan.Event
	for e, err := range jsonl.ReadFile(trace) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if len(events) != 2 || events[1].Err == nil || events[1].Err.Type != "Canceled" {
		t.Errorf("trace file: %+v; want the root span's start and an end with a Canceled error", events)
	}
}
