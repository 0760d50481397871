package faults_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/faults/otlpstub"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
)

// Phase names, as the latency tables show them.
const (
	phaseBefore   = "before"
	phaseOutage   = "outage"
	phaseRecovery = "recovering"
	phaseAfter    = "after recovery"
)

// smallQueue makes the provider's queue small enough for the load to fill
// it during a fault, so that the tests see spans rejected and callers wait
// (at most WithQueueFullWait, 1s by default) for room.
const smallQueue = 1024

// A variant is one exporter configuration a fault runs under.
type variant struct {
	name string
	opts []otelbridge.ProviderOption
}

// variants are the default queue (64k spans: a fault of a few seconds fills
// nothing, failed batches are the only loss) and a small one (the queue
// fills: spans are rejected and callers wait).
var variants = []variant{
	{"default queue", nil},
	{"small queue", []otelbridge.ProviderOption{otelbridge.WithQueueSize(smallQueue)}},
}

// TestExporterStartsLate starts exporting while nothing listens on the
// OTLP port, then starts Jaeger on it.
func TestExporterStartsLate(t *testing.T) {
	bex := buildBex(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			ports, err := jaegertest.FreePorts()
			if err != nil {
				t.Fatal(err)
			}
			service := "bex-faults-late"
			r := newRig(t, service, hostPort(ports.OTLPGRPC), 2*time.Second, v.opts...)
			l := startLoad(r.eng, phaseOutage)
			time.Sleep(2 * time.Second)

			l.setPhase(phaseRecovery)
			j := jaegertest.Start(t, jaegertest.WithPorts(ports))
			recovered := waitRecovery(t, r, l)
			l.run(phaseAfter, 2*time.Second)
			calls := l.finish(t)
			logLatencies(t, calls)
			verify(t, r, j, bex, calls, r.finish(t), recovered)
		})
	}
}

// TestExporterRestarts stops Jaeger mid-run and starts it again on the same
// ports and badger storage. Stopped with SIGTERM, Jaeger stores what it
// accepted before it exits; killed with SIGKILL, it loses what its batch
// processor held (up to 200ms of accepted spans), which no exporter can
// notice: the test logs how many acknowledged spans Jaeger lost, and the
// trace file still fills every gap.
func TestExporterRestarts(t *testing.T) {
	bex := buildBex(t)
	type restart struct {
		variant
		kill bool
	}
	// The small queue's behaviour is the same as in the other faults.
	restarts := []restart{{variant{"SIGTERM", nil}, false}, {variant{"SIGKILL", nil}, true}}
	for _, v := range restarts {
		t.Run(v.name, func(t *testing.T) {
			store := t.TempDir()
			j := jaegertest.Start(t, jaegertest.WithBadger(store))
			service := "bex-faults-restart"
			r := newRig(t, service, j.OTLPGRPCEndpoint(), 2*time.Second, v.opts...)
			l := startLoad(r.eng, phaseBefore)
			time.Sleep(1500 * time.Millisecond)

			l.setPhase(phaseOutage)
			stopping := time.Now()
			stop := j.Stop
			if v.kill {
				stop = j.Kill
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			t.Logf("Jaeger stopped in %v", time.Since(stopping).Round(10*time.Millisecond))
			time.Sleep(2 * time.Second)

			l.setPhase(phaseRecovery)
			j = jaegertest.Start(t, jaegertest.WithPorts(j.Ports()), jaegertest.WithBadger(store))
			recovered := waitRecovery(t, r, l)
			l.run(phaseAfter, 2*time.Second)
			calls := l.finish(t)
			logLatencies(t, calls)
			verifyWith(t, r, j, bex, calls, r.finish(t), recovered, v.kill)
		})
	}
}

// TestSlowExporter puts an OTLP receiver in front of Jaeger that first
// answers each export only after a second, then not at all (the exporter
// gives up after its 2s timeout), then promptly again.
func TestSlowExporter(t *testing.T) {
	bex := buildBex(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			j := jaegertest.Start(t)
			srv, err := otlpstub.Start(otlpstub.WithForward(j.OTLPGRPCEndpoint()))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			service := "bex-faults-slow"
			r := newRig(t, service, srv.Endpoint(), 2*time.Second, v.opts...)
			l := startLoad(r.eng, phaseBefore)
			time.Sleep(1500 * time.Millisecond)

			srv.SetStall(time.Second)
			l.run("slow (1s per export)", 2500*time.Millisecond)
			srv.SetStall(otlpstub.Hang)
			l.run("hung (exporter gives up)", 2500*time.Millisecond)

			l.setPhase(phaseRecovery)
			srv.SetStall(0)
			recovered := waitRecovery(t, r, l)
			l.run(phaseAfter, 2*time.Second)
			calls := l.finish(t)
			logLatencies(t, calls)
			st := r.finish(t)
			t.Logf("OTLP receiver: %+v", srv.Stats())
			verify(t, r, j, bex, calls, st, recovered)
		})
	}
}

// waitRecovery waits until the provider has exported spans again (up to
// 60s; gRPC's reconnect backoff decides how soon) and returns the number of
// the last call started before: later calls were made after recovery.
func waitRecovery(t *testing.T, r *rig, l *load) int64 {
	t.Helper()
	start := time.Now()
	base := r.tp.Stats().Exported
	for r.tp.Stats().Exported == base {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("no span exported within 60s of the backend's return: %+v", r.tp.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	n := l.next.Load()
	t.Logf("exporter recovered %v after the backend came back (calls so far: %d)", time.Since(start).Round(10*time.Millisecond), n)
	return n
}

// verify checks the outcome of a fault run, as the package documentation
// lists it. The exporter's record of each span's export decides what Jaeger
// must show: every span of a successful export, none of the spans the
// provider rejected (they never left the process). A span whose export
// failed is usually missing, but may be there: when the exporter gives up on
// an export (its timeout) or loses the connection after the backend took the
// batch, it cannot know that the batch arrived. Such spans are counted as
// dropped and reported, never hidden.
func verify(t *testing.T, r *rig, j *jaegertest.Jaeger, bex string, calls []call, st otelbridge.DeliveryStats, recovered int64) {
	t.Helper()
	verifyWith(t, r, j, bex, calls, st, recovered, false)
}

// verifyWith is verify for a backend that may have lost spans it
// acknowledged (it was killed): those are logged, not errors.
func verifyWith(t *testing.T, r *rig, j *jaegertest.Jaeger, bex string, calls []call, st otelbridge.DeliveryStats, recovered int64, backendMayLose bool) {
	t.Helper()
	f := readTraceFile(t, r.path)
	want := len(calls) * spansPerCall
	if f.roots != len(calls) || len(f.spans) != want {
		t.Errorf("trace file: %d calls and %d OTel spans, want %d and %d", f.roots, len(f.spans), len(calls), want)
	}
	if st.Ended != int64(len(f.spans)) || st.Ended != st.Exported+st.Dropped || st.Pending != 0 {
		t.Errorf("delivery %+v: want Ended = %d spans in the file = Exported + Dropped, none pending", st, len(f.spans))
	}
	out := r.exp.outcomes()
	var exported, failed, rejected []spanKey
	for k := range f.spans {
		switch err, sent := out[k]; {
		case !sent:
			rejected = append(rejected, k)
		case err == nil:
			exported = append(exported, k)
		default:
			failed = append(failed, k)
		}
	}
	if len(out) != len(exported)+len(failed) {
		t.Errorf("the exporter saw %d spans, %d of them in the trace file", len(out), len(exported)+len(failed))
	}
	if int64(len(exported)) != st.Exported || int64(len(failed)) != st.Failed || int64(len(rejected)) != st.Rejected {
		t.Errorf("delivery %+v: the exporter exported %d spans and failed %d; %d never reached it", st, len(exported), len(failed), len(rejected))
	}

	got := waitJaeger(t, j, r.service, len(exported), backendMayLose)
	missing, unexpected, dups := compare(f, got)
	lost, leaked, ambiguous := countIn(exported, got, false), countIn(rejected, got, true), countIn(failed, got, true)
	t.Logf("live export: %d spans made, %d exported, %d dropped (%d failed, %d rejected); Jaeger shows %d distinct (%d more than once), misses %d; %d spans of failed exports arrived nonetheless",
		st.Ended, st.Exported, st.Dropped, st.Failed, st.Rejected, len(got), dups, len(missing), ambiguous)
	if backendMayLose {
		t.Logf("Jaeger lost %d spans it had acknowledged", lost)
	} else if lost != 0 {
		t.Errorf("Jaeger misses %d exported spans", lost)
	}
	if leaked != 0 || unexpected != 0 {
		t.Errorf("Jaeger shows %d rejected spans and %d that are not in the trace file", leaked, unexpected)
	}
	if int64(len(missing)) != st.Dropped-int64(ambiguous)+int64(lost) {
		t.Errorf("Jaeger misses %d spans; the provider counted %d dropped, %d of which arrived, and Jaeger lost %d exported ones", len(missing), st.Dropped, ambiguous, lost)
	}
	late := 0
	for _, k := range missing {
		if backendMayLose {
			break // a batch acknowledged just before the kill may be from any call
		}
		if f.calls[k.trace] > recovered {
			late++
		}
	}
	if late > 0 {
		t.Errorf("%d spans of calls started after recovery (call > %d) are missing from Jaeger", late, recovered)
	}

	// Fill the gap from the trace file.
	exportWithCLI(t, bex, r.path, j.OTLPGRPCEndpoint(), r.service)
	got = waitJaeger(t, j, r.service, len(f.spans), false)
	missing, unexpected, dups = compare(f, got)
	t.Logf("after bex trace export: Jaeger shows %d distinct spans of %d (%d more than once), misses %d", len(got), len(f.spans), dups, len(missing))
	if len(missing) != 0 || unexpected != 0 {
		t.Errorf("after bex trace export, Jaeger misses %d spans and shows %d unknown ones", len(missing), unexpected)
	}
}

// countIn counts the spans of keys that Jaeger shows (present) or misses.
func countIn(keys []spanKey, got map[spanKey]int, present bool) int {
	n := 0
	for _, k := range keys {
		if (got[k] > 0) == present {
			n++
		}
	}
	return n
}

func hostPort(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
