package faults_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
)

// soakSample is a "sample" line of ../cmd/bexload.
type soakSample struct {
	Seconds    float64                  `json:"t_s"`
	RSSMB      float64                  `json:"rss_mb"`
	HeapMB     float64                  `json:"heap_mb"`
	Goroutines int                      `json:"goroutines"`
	Finished   int64                    `json:"finished"`
	Failed     int64                    `json:"failed"`
	Missed     int64                    `json:"missed"`
	Delivery   otelbridge.DeliveryStats `json:"delivery"`
}

// TestSoak runs ../cmd/bexload at a fixed call rate with tracing on (a JSONL
// trace file and OTLP export to Jaeger) for BEX_SOAK (a duration such as
// 10m; the test is skipped without it, and is not part of CI), restarting
// Jaeger every minute, and samples the process's RSS, Go heap and
// goroutines every 10 seconds. After the first two minutes (warm-up: pools
// and buffers reach their size) they must stay flat (see checkFlat). Every call must succeed and the trace file hold
// every call, balanced. BEX_SOAK_RATE sets the rate (default 200 calls/s).
// scripts/soak.sh runs it; docs/reliability.md has the figures.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("BEX_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("a soak of several minutes: set BEX_SOAK=10m (scripts/soak.sh) to run it")
	}
	rate := 200.0
	if s := os.Getenv("BEX_SOAK_RATE"); s != "" {
		if rate, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatal(err)
		}
	}
	const restartEvery, warmup = time.Minute, 2 * time.Minute
	bin := goBuild(t, "./cmd/bexload", "bexload")
	j := jaegertest.Start(t)
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	cmd := exec.Command(bin, "-workers", "32", "-work", "5ms", "-rate", strconv.FormatFloat(rate, 'f', -1, 64),
		"-sample", "10s", "-progress", "-1", "-shutdown", "30s")
	cmd.Env = append(otlpGRPCEnv(j.OTLPGRPCEndpoint(), "bex-soak"), "BEX_TRACE_FILE="+path)
	cmd.Stderr = &tailWriter{t: t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // if the test fails early
	samples, reports := make(chan soakSample, 1000), make(chan loadReport, 1)
	go readSoak(t, stdout, samples, reports)

	start := time.Now()
	restarts := 0
	for next := start.Add(restartEvery); time.Until(start.Add(d)) > 0; next = next.Add(restartEvery) {
		time.Sleep(min(time.Until(next), time.Until(start.Add(d))))
		if time.Until(start.Add(d)) <= 0 {
			break
		}
		stopped := time.Now()
		if err := j.Stop(); err != nil {
			t.Fatal(err)
		}
		j = jaegertest.Start(t, jaegertest.WithPorts(j.Ports()))
		restarts++
		t.Logf("%v: Jaeger restarted (%v down)", time.Since(start).Round(time.Second), time.Since(stopped).Round(10*time.Millisecond))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rep, ok := <-reports
	if !ok {
		t.Fatal("bexload printed no report")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("bexload: %v", err)
	}
	var all []soakSample
	for s := range samples {
		all = append(all, s)
	}
	logSoak(t, all, rep, rate, restarts)
	checkFlat(t, all, warmup)
	checkLoadFile(t, path, rep, rep.Delivery)
}

// readSoak passes bexload's sample lines and report on, and closes both
// channels when its output ends.
func readSoak(t *testing.T, stdout io.Reader, samples chan<- soakSample, reports chan<- loadReport) {
	defer close(samples)
	defer close(reports)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "sample "):
			var s soakSample
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "sample ")), &s); err != nil {
				t.Errorf("sample %q: %v", line, err)
				continue
			}
			samples <- s
		case strings.HasPrefix(line, "report "):
			var r loadReport
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "report ")), &r); err != nil {
				t.Errorf("report %q: %v", line, err)
			}
			reports <- r
		}
	}
}

func logSoak(t *testing.T, all []soakSample, rep loadReport, rate float64, restarts int) {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %.0f calls/s asked, %d Jaeger restarts\n", rate, restarts)
	fmt.Fprintln(&b, "   t s  RSS MB  heap MB  goroutines  calls done  failed  missed  spans exported  dropped  queued")
	for _, s := range all {
		d := s.Delivery
		fmt.Fprintf(&b, "%6.0f  %6.1f  %7.1f  %10d  %10d  %6d  %6d  %14d  %7d  %6d\n", s.Seconds, s.RSSMB, s.HeapMB, s.Goroutines,
			s.Finished, s.Failed, s.Missed, d.Exported, d.Dropped, d.Ended-d.Exported-d.Dropped)
	}
	fmt.Fprintf(&b, "report: %+v", rep)
	t.Log(b.String())
}

// checkFlat fails when RSS, Go heap or goroutines grew: when their level
// over the last minute (the median of its samples) is above the largest
// value of the warm-up by more than 20% (and 10 MB, or 20 goroutines). A
// leak raises the level for good; a passing bump (goroutines of a gRPC
// reconnection after a restart, a burst of garbage before a collection)
// does not, and the log shows it.
func checkFlat(t *testing.T, all []soakSample, warmup time.Duration) {
	var before soakSample
	var last []soakSample
	end := all[len(all)-1].Seconds
	for _, s := range all {
		if s.Seconds <= warmup.Seconds() {
			before.RSSMB, before.HeapMB, before.Goroutines = max(before.RSSMB, s.RSSMB), max(before.HeapMB, s.HeapMB), max(before.Goroutines, s.Goroutines)
		} else if s.Seconds > end-60 {
			last = append(last, s)
		}
	}
	if len(last) == 0 || end-60 < warmup.Seconds() {
		t.Fatalf("no minute of samples after the %v warm-up: run longer", warmup)
	}
	median := func(f func(soakSample) float64) float64 {
		v := make([]float64, len(last))
		for i, s := range last {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	grew := func(what string, b, a, slack float64) {
		t.Logf("%s: at most %.1f during the warm-up, %.1f over the last minute", what, b, a)
		if a > b*1.2 && a > b+slack {
			t.Errorf("%s grew: at most %.1f during the warm-up, %.1f over the last minute", what, b, a)
		}
	}
	grew("RSS (MB)", before.RSSMB, median(func(s soakSample) float64 { return s.RSSMB }), 10)
	grew("Go heap (MB)", before.HeapMB, median(func(s soakSample) float64 { return s.HeapMB }), 10)
	grew("goroutines", float64(before.Goroutines), median(func(s soakSample) float64 { return float64(s.Goroutines) }), 20)
}
