package faults_test

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
)

// loadReport is the report line of ../cmd/bexload.
type loadReport struct {
	Started        int64                    `json:"started"`
	Finished       int64                    `json:"finished"`
	Failed         int64                    `json:"failed"`
	InFlightAtSig  int64                    `json:"in_flight_at_signal"`
	Drained        bool                     `json:"drained"`
	DrainMillis    int64                    `json:"drain_ms"`
	ShutdownMillis int64                    `json:"shutdown_ms"`
	ShutdownError  string                   `json:"shutdown_error"`
	Delivery       otelbridge.DeliveryStats `json:"delivery"`
}

// TestSIGTERM sends SIGTERM to a process in the middle of a load of engine
// calls. The process (../cmd/bexload) stops starting calls, lets those in
// flight finish, and shuts tracing down within a deadline. With the backend
// up, the trace file is balanced and holds every call, and Jaeger has every
// span: the provider exported all it made. With the backend down, the
// process still exits once the shutdown deadline passes, counts every span
// as dropped, and the trace file, exported afterwards with bex trace export,
// delivers them all.
func TestSIGTERM(t *testing.T) {
	bin := goBuild(t, "./cmd/bexload", "bexload")
	t.Run("backend up", func(t *testing.T) {
		j := jaegertest.Start(t)
		const service = "bex-exit"
		path, rep := runUntilSIGTERM(t, bin, j.OTLPGRPCEndpoint(), service, "10s")
		d := rep.Delivery
		if d.Dropped != 0 || d.Exported != d.Ended {
			t.Errorf("delivery %+v: want every span exported", d)
		}
		f := checkLoadFile(t, path, rep, d)
		got := waitJaeger(t, j, service, int(d.Exported), false)
		missing, unexpected, dups := compare(f, got)
		t.Logf("Jaeger shows %d distinct spans (%d more than once), misses %d", len(got), dups, len(missing))
		if len(got) != int(d.Exported) || len(missing) != 0 || unexpected != 0 {
			t.Errorf("Jaeger shows %d spans, misses %d and has %d unknown; the process exported %d", len(got), len(missing), unexpected, d.Exported)
		}
	})
	t.Run("backend down", func(t *testing.T) {
		bex := buildBex(t)
		j := jaegertest.Start(t)
		ports, err := jaegertest.FreePorts() // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		const service = "bex-exit-down"
		path, rep := runUntilSIGTERM(t, bin, hostPort(ports.OTLPGRPC), service, "3s")
		d := rep.Delivery
		if d.Exported != 0 || d.Dropped != d.Ended {
			t.Errorf("delivery %+v: want nothing exported, every span counted dropped", d)
		}
		f := checkLoadFile(t, path, rep, d)
		exportWithCLI(t, bex, path, j.OTLPGRPCEndpoint(), service)
		got := waitJaeger(t, j, service, len(f.spans), false)
		if missing, unexpected, _ := compare(f, got); len(missing) != 0 || unexpected != 0 {
			t.Errorf("after bex trace export, Jaeger misses %d spans and shows %d unknown", len(missing), unexpected)
		}
	})
}

// runUntilSIGTERM runs bexload against the OTLP endpoint until it has
// finished 200 calls, sends it SIGTERM, waits for it to exit and returns its
// trace file and report. shutdown bounds its tracing shutdown.
func runUntilSIGTERM(t *testing.T, bin, endpoint, service, shutdown string) (string, loadReport) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	cmd := exec.Command(bin, "-shutdown", shutdown)
	cmd.Env = append(otlpGRPCEnv(endpoint, service), "BEX_TRACE_FILE="+path)
	cmd.Stderr = &tailWriter{t: t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	defer func() { _ = cmd.Process.Kill() }() // if the test fails early

	var rep *loadReport
	var signalled time.Time
	timeout := time.After(60 * time.Second)
	for line := range lines {
		switch {
		case strings.HasPrefix(line, "progress "):
			signalled = time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "report "):
			rep = new(loadReport)
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "report ")), rep); err != nil {
				t.Fatalf("report %q: %v", line, err)
			}
		}
		select {
		case <-timeout:
			t.Fatal("bexload did not finish within 60s")
		default:
		}
	}
	if err := <-exited; err != nil {
		t.Fatalf("bexload: %v", err)
	}
	if rep == nil {
		t.Fatal("bexload printed no report")
	}
	t.Logf("SIGTERM to exit: %v; %d calls in flight at the signal, drained in %d ms; shutdown took %d ms (error %q); delivery %+v",
		time.Since(signalled).Round(time.Millisecond), rep.InFlightAtSig, rep.DrainMillis, rep.ShutdownMillis, rep.ShutdownError, rep.Delivery)
	return path, *rep
}

// checkLoadFile checks that the process finished every call it started and
// that its trace file is balanced and holds every call and span.
func checkLoadFile(t *testing.T, path string, rep loadReport, d otelbridge.DeliveryStats) *traceFile {
	t.Helper()
	if !rep.Drained || rep.Started != rep.Finished || rep.Failed != 0 {
		t.Errorf("report %+v: want every started call finished, none failed", rep)
	}
	f := readTraceFile(t, path) // fails on unbalanced spans
	if int64(f.roots) != rep.Started || len(f.spans) != int(rep.Started)*spansPerCall {
		t.Errorf("trace file: %d calls, %d OTel spans; the process started %d calls", f.roots, len(f.spans), rep.Started)
	}
	if d.Ended != int64(len(f.spans)) || d.Ended != d.Exported+d.Dropped {
		t.Errorf("delivery %+v: want Ended = %d spans in the file = Exported + Dropped", d, len(f.spans))
	}
	return f
}

// tailWriter logs what a child writes to stderr.
type tailWriter struct{ t *testing.T }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.t.Logf("bexload: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
