// Command bexload runs a load of bex engine calls until it receives SIGTERM
// (or SIGINT), then shuts down the way a well-behaved service does; the
// reliability tests in package faults run it as a child process.
//
// Tracing is set up by bex.Setup from the environment: BEX_TRACE_FILE names
// the JSONL trace file and OTEL_EXPORTER_OTLP_ENDPOINT (with the other
// OTEL_* variables) the OTLP backend. The TracerProvider is built by
// otelbridge.NewProvider from the same variables and handed to Setup with
// bex.WithTracerProvider, only so that the program can report the
// provider's delivery counts at exit (Setup keeps the provider it builds to
// itself).
//
// With -rate, the workers start calls at that many per second in all (a
// fixed load, for soak tests), else as fast as they can. With -sample, it
// prints "sample {...}" every interval: the process's RSS, Go heap,
// goroutines, calls finished and the exporter's delivery counts, so that a
// soak test can see whether memory stays flat.
//
// On SIGTERM bexload stops starting calls, lets the calls in flight finish
// (for at most -drain), then calls Setup's shutdown func and shuts the
// provider down, together within -shutdown, so that the trace file is balanced
// (every span that started has ended) and everything queued for export is
// sent. It prints "progress N" on stdout after N calls have finished, and at
// exit one line "report {...}" with the counts (see report).
//
// Each call runs Run from the program below against an LLM stub served by
// the process itself: an engine root, a traced host function that sleeps
// -work (so that calls are in flight when the signal comes), an LLM function
// with its attempt and a traced expression function, five OpenTelemetry
// spans.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

const program = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Score(n: int) -> int {
    @@trace
    n * 2 + 1
}
function Run(body: string, n: int) -> string {
    let owner = lookup(body);
    let h = Headline(body);
    h + " (" + owner + ", " + Score(n).to_string() + ")"
}
`

// report is what bexload prints at exit, as JSON.
type report struct {
	Started       int64 `json:"started"`  // calls started
	Finished      int64 `json:"finished"` // calls that returned
	Failed        int64 `json:"failed"`   // calls that returned an error
	InFlightAtSig int64 `json:"in_flight_at_signal"`
	Drained       bool  `json:"drained"` // every call in flight finished within -drain
	DrainMillis   int64 `json:"drain_ms"`
	// ShutdownMillis is how long Setup's shutdown func and the provider's
	// Shutdown took together.
	ShutdownMillis int64                    `json:"shutdown_ms"`
	ShutdownError  string                   `json:"shutdown_error,omitempty"`
	Delivery       otelbridge.DeliveryStats `json:"delivery"`
}

func main() { os.Exit(run()) }

func run() int {
	workers := flag.Int("workers", 8, "concurrent callers")
	work := flag.Duration("work", 20*time.Millisecond, "time the host function lookup takes")
	progress := flag.Int64("progress", 200, "print \"progress N\" after this many calls")
	drain := flag.Duration("drain", 10*time.Second, "bound on waiting for calls in flight after SIGTERM")
	shutdownMax := flag.Duration("shutdown", 10*time.Second, "bound on flushing the trace file and exporting the queue")
	rate := flag.Float64("rate", 0, "calls started per second in all (0: as fast as the workers go)")
	sampleEvery := flag.Duration("sample", 0, "print a \"sample\" line of memory and counts this often (0: never)")
	flag.Parse()

	ctx := context.Background()
	stub := llmstub.New(llmstub.WithKeep(0)) // count only: memory stays flat under hours of load
	defer stub.Close()
	tp, err := otelbridge.NewProvider(ctx)
	if err != nil {
		return fail(err)
	}
	shutdown, err := bex.Setup(ctx, bex.WithTracerProvider(tp))
	if err != nil {
		return fail(err)
	}
	eng, err := newEngine(stub.URL(), *work)
	if err != nil {
		return fail(err)
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	l := &loadState{eng: eng, stop: make(chan struct{}), progress: *progress}
	if *rate > 0 {
		l.tokens = make(chan struct{})
		go l.pace(*rate)
	}
	if *sampleEvery > 0 {
		go l.sample(*sampleEvery, tp)
	}
	var wg sync.WaitGroup
	for range *workers {
		wg.Go(l.work)
	}
	<-signals
	var r report
	r.InFlightAtSig = l.inFlight.Load()
	close(l.stop) // no new calls from here on
	start := time.Now()
	r.Drained = waitTimeout(&wg, *drain)
	r.DrainMillis = time.Since(start).Milliseconds()
	r.Started, r.Finished, r.Failed = l.started.Load(), l.finished.Load(), l.failed.Load()

	start = time.Now()
	if err := shutdownTracing(ctx, shutdown, tp, *shutdownMax); err != nil {
		r.ShutdownError = err.Error()
	}
	r.ShutdownMillis = time.Since(start).Milliseconds()
	r.Delivery = tp.Stats()
	b, _ := json.Marshal(r)
	fmt.Printf("report %s\n", b)
	return 0
}

// shutdownTracing runs Setup's shutdown func (which flushes the trace file
// and the provider) and shuts the provider down, both within max: the
// provider's Shutdown may start with a ctx the flush has used up, and must
// still count what it could not export as dropped.
func shutdownTracing(ctx context.Context, shutdown func(context.Context) error, tp *otelbridge.Provider, max time.Duration) error {
	sctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	return errors.Join(shutdown(sctx), tp.Shutdown(sctx))
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "bexload:", err)
	return 1
}

func newEngine(stubURL string, work time.Duration) (*engine.Engine, error) {
	env := map[string]string{"BASE": stubURL + "/v1", "KEY": "sk-bexload"}
	return engine.New(engine.MustParse(map[string]string{"load.baml": program}),
		engine.WithHost(engine.HostFunc{
			Name: "lookup", Params: []string{"q: string"}, Result: "string", Traced: true,
			Fn: func(ctx context.Context, args []any) (any, error) {
				select {
				case <-time.After(work):
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return "team-" + fmt.Sprint(len(args[0].(string))), nil
			},
		}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
}

// loadState counts the calls of the workers.
type loadState struct {
	eng      *engine.Engine
	stop     chan struct{}
	progress int64
	tokens   chan struct{} // with -rate: one per call to start

	started, finished, failed, inFlight, missed atomic.Int64
}

// work makes calls one after another until stop is closed. The calls get a
// ctx that the signal does not cancel: a call in flight finishes.
func (l *loadState) work() {
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		if l.tokens != nil {
			select {
			case <-l.stop:
				return
			case <-l.tokens:
			}
		}
		n := l.started.Add(1)
		l.inFlight.Add(1)
		_, err := l.eng.Call(context.Background(), "Run", map[string]any{"body": fmt.Sprintf("Checkout is down for shop %d.", n), "n": n})
		l.inFlight.Add(-1)
		if err != nil {
			l.failed.Add(1)
			fmt.Fprintf(os.Stderr, "bexload: call %d: %v\n", n, err)
		}
		if l.finished.Add(1) == l.progress {
			fmt.Printf("progress %d\n", l.progress)
		}
	}
}

// pace hands out rate tokens per second to the workers until stop; tokens
// that no worker takes in time (all are busy) are not kept for later.
func (l *loadState) pace(rate float64) {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			select {
			case l.tokens <- struct{}{}:
			default:
				l.missed.Add(1)
			}
		}
	}
}

// A sample is one "sample" line.
type sample struct {
	Seconds    float64                  `json:"t_s"`
	RSSMB      float64                  `json:"rss_mb"`
	HeapMB     float64                  `json:"heap_mb"` // live and not yet swept Go objects
	Goroutines int                      `json:"goroutines"`
	Finished   int64                    `json:"finished"`
	Failed     int64                    `json:"failed"`
	Missed     int64                    `json:"missed"` // -rate ticks when every worker was busy
	Delivery   otelbridge.DeliveryStats `json:"delivery"`
}

// sample prints a sample line every d until stop.
func (l *loadState) sample(d time.Duration, tp *otelbridge.Provider) {
	start := time.Now()
	t := time.NewTicker(d)
	defer t.Stop()
	ms := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		metrics.Read(ms)
		s := sample{
			Seconds: time.Since(start).Seconds(), RSSMB: float64(rss()) / 1e6, HeapMB: float64(ms[0].Value.Uint64()) / 1e6,
			Goroutines: runtime.NumGoroutine(), Finished: l.finished.Load(), Failed: l.failed.Load(), Missed: l.missed.Load(),
			Delivery: tp.Stats(),
		}
		b, _ := json.Marshal(s)
		fmt.Printf("sample %s\n", b)
	}
}

// rss returns the process's resident set size, from /proc/self/statm (0
// where there is none).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// waitTimeout waits for wg, at most d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
