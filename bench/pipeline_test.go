//go:build unix

// pipeline_test.go measures whole LLM calls: one function (a string in, a
// class of three fields out) against a fake provider on 127.0.0.1, made by
// bex with each kind of tracing, by plain net/http + encoding/json (the
// floor), and by BAML's own runtime (node, when installed).

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
)

// The pipeline: the same program for bex and for BAML.
const pipelineSource = `client<llm> Fake {
    provider openai
    options {
        model "gpt-4o-mini"
        base_url env.BENCH_LLM_URL
        api_key "sk-bench-key"
    }
}

class Ticket {
    title string
    priority int
    category string
}

function ClassifyTicket(body: string) -> Ticket {
    client Fake
    prompt #"
        Read the support ticket and extract its title, its priority (1 is most urgent) and its category.
        {{ ctx.output_format }}
        {{ _.role("user") }} {{ body }}
    "#
}
`

const (
	pipelineTicket = "Checkout is down for all users since the last deploy; customers cannot pay and support is flooded."
	// pipelineReply is the model's completion: the class as bare JSON.
	pipelineReply = `{"title": "Checkout is down", "priority": 1, "category": "outage"}`
	// pipelineFloorPrompt is the user message the floor sends: the ticket
	// after the instructions, as one message.
	pipelineFloorPrompt = "Read the support ticket and extract its title, its priority (1 is most urgent) and its category.\n" +
		"Answer in JSON using this schema:\n{\n  title: string,\n  priority: int,\n  category: string,\n}"
)

// The implementations measured, in the order the report lists them.
var pipelineImpls = []string{"floor", "off", "collector", "jsonl", "otel", "baml"}

// Ticket is the pipeline's result in Go.
type Ticket struct {
	Title    string `json:"title"`
	Priority int    `json:"priority"`
	Category string `json:"category"`
}

func (t Ticket) check() error {
	if t.Title != "Checkout is down" || t.Priority != 1 || t.Category != "outage" {
		return fmt.Errorf("wrong result %+v", t)
	}
	return nil
}

// TestMain runs the fake provider and the pipeline's client processes when
// the benchmark starts this binary in those roles.
func TestMain(m *testing.M) {
	switch os.Getenv("BEX_BENCH_ROLE") {
	case "fake-llm":
		os.Exit(serveFakeLLM())
	case "pipeline":
		os.Exit(runPipelineProcess())
	}
	code := m.Run()
	stopFakeLLM()
	os.Exit(code)
}

// BenchmarkPipelineSeq makes the calls one after another.
func BenchmarkPipelineSeq(b *testing.B) { benchPipeline(b, 1) }

// BenchmarkPipeline64 makes them with 64 in flight.
func BenchmarkPipeline64(b *testing.B) { benchPipeline(b, 64) }

// benchPipeline runs each implementation in a process of its own (this
// binary again, or node for BAML), so that its CPU time and peak RSS are
// its own: the fake provider runs in a third process. An op is one such
// process making BEX_BENCH_CALLS calls (default 2,000) after 200 calls of
// warm-up; it reports the CPU time (user + system) and wall time per call
// of the measured calls, calls per second, and the process's peak RSS.
func benchPipeline(b *testing.B, inflight int) {
	url := startFakeLLM(b)
	calls := 2000
	if s := os.Getenv("BEX_BENCH_CALLS"); s != "" {
		var err error
		if calls, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	for _, impl := range pipelineImpls {
		if only := os.Getenv("BEX_BENCH_ONLY"); only != "" && only != impl {
			continue
		}
		b.Run(impl, func(b *testing.B) {
			cmd, why := pipelineCommand(b, impl)
			if cmd == nil {
				b.Skip(why)
			}
			var sum pipelineResult
			for b.Loop() {
				r := runPipeline(b, cmd, impl, url, inflight, calls)
				sum.Calls += r.Calls
				sum.CPUNs += r.CPUNs
				sum.WallNs += r.WallNs
				sum.MaxRSS = max(sum.MaxRSS, r.MaxRSS)
				sum.Allocs += r.Allocs
				sum.Bytes += r.Bytes
				sum.Goroutines += r.Goroutines
			}
			n := float64(sum.Calls)
			b.ReportMetric(float64(sum.CPUNs)/n, "cpu-ns/call")
			b.ReportMetric(float64(sum.WallNs)/n, "ns/call")
			b.ReportMetric(n/(float64(sum.WallNs)/1e9), "calls/s")
			b.ReportMetric(float64(sum.MaxRSS)/1e6, "peak-rss-MB")
			if sum.Allocs > 0 {
				b.ReportMetric(float64(sum.Allocs)/n, "allocs/call")
				b.ReportMetric(float64(sum.Bytes)/n, "B/call")
				b.ReportMetric(float64(sum.Goroutines)/n, "goroutines/call")
			}
		})
	}
}

// A pipelineResult is what a client process reports.
type pipelineResult struct {
	Calls  int   `json:"calls"`
	CPUNs  int64 `json:"cpu_ns"`
	WallNs int64 `json:"wall_ns"`
	MaxRSS int64 `json:"max_rss_bytes"`
	Allocs int64 `json:"allocs"` // Go heap allocations (Go clients only)
	Bytes  int64 `json:"bytes"`
	// Goroutines counts the goroutines started (Go clients only): each
	// costs a wake-up, and with it a context switch.
	Goroutines int64 `json:"goroutines"`
	Error      string
}

// pipelineCommand returns the command that runs impl, or nil and why not.
func pipelineCommand(b *testing.B, impl string) ([]string, string) {
	if impl != "baml" {
		return []string{os.Args[0]}, ""
	}
	dir := os.Getenv("BEX_BAML_DIR")
	if dir == "" {
		return nil, "BAML not measured: BEX_BAML_DIR is unset (run.sh sets it from scripts/baml.sh when node and npm are installed)"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, "BAML not measured: node is not installed"
	}
	script, err := filepath.Abs(filepath.Join("baml", "pipeline.js"))
	if err != nil {
		b.Fatal(err)
	}
	return []string{node, script}, ""
}

func runPipeline(b *testing.B, cmd []string, impl, url string, inflight, calls int) pipelineResult {
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Env = append(cleanEnv(), "BEX_BENCH_ROLE=pipeline", "BEX_BENCH_IMPL="+impl, "BENCH_LLM_URL="+url+"/v1",
		"BEX_BENCH_INFLIGHT="+strconv.Itoa(inflight), "BEX_BENCH_CALLS="+strconv.Itoa(calls), "BEX_BENCH_WARMUP=200",
		"BEX_BENCH_SOURCE="+pipelineSource, "BEX_BENCH_TICKET="+pipelineTicket, "BEX_BENCH_TMP="+b.TempDir(), "BAML_LOG=off")
	if impl == "otel" {
		c.Env = append(c.Env, "OTEL_EXPORTER_OTLP_ENDPOINT="+url, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		b.Fatalf("%s: %v\n%s", impl, err, stderr.Bytes())
	}
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "pipeline-result "); ok {
			var r pipelineResult
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				b.Fatalf("%s: %v in %q", impl, err, line)
			}
			if r.Error != "" || r.Calls != calls {
				b.Fatalf("%s: %d calls: %s", impl, r.Calls, r.Error)
			}
			return r
		}
	}
	b.Fatalf("%s: no result in %q\n%s", impl, out, stderr.Bytes())
	return pipelineResult{}
}

// runPipelineProcess is a client process: it makes the calls the
// environment asks for and prints "pipeline-result" and its JSON.
func runPipelineProcess() int {
	r, err := pipelineProcess()
	if err != nil {
		r.Error = err.Error()
	}
	j, _ := json.Marshal(r)
	fmt.Printf("pipeline-result %s\n", j)
	return 0
}

func pipelineProcess() (pipelineResult, error) {
	env := func(k string) int { n, _ := strconv.Atoi(os.Getenv(k)); return n }
	inflight, calls, warmup := env("BEX_BENCH_INFLIGHT"), env("BEX_BENCH_CALLS"), env("BEX_BENCH_WARMUP")
	call, finish, err := pipelineClient(clientConfig{impl: os.Getenv("BEX_BENCH_IMPL"), inflight: inflight,
		url: os.Getenv("BENCH_LLM_URL"), source: os.Getenv("BEX_BENCH_SOURCE"), ticket: os.Getenv("BEX_BENCH_TICKET"), dir: os.Getenv("BEX_BENCH_TMP")})
	if err != nil {
		return pipelineResult{}, err
	}
	if err := callMany(call, warmup, inflight); err != nil {
		return pipelineResult{}, err
	}
	if path := os.Getenv("BEX_BENCH_CPUPROFILE"); path != "" {
		// A profile of the measured calls, for looking into one
		// implementation: BEX_BENCH_CPUPROFILE=/tmp/p BEX_BENCH_ONLY=jsonl.
		f, err := os.Create(path)
		if err != nil {
			return pipelineResult{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return pipelineResult{}, err
		}
		defer pprof.StopCPUProfile()
	}
	if path := os.Getenv("BEX_BENCH_TRACE"); path != "" {
		// An execution trace of the measured calls (go tool trace): where
		// goroutines block and wake.
		f, err := os.Create(path)
		if err != nil {
			return pipelineResult{}, err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return pipelineResult{}, err
		}
		defer trace.Stop()
	}
	if path := os.Getenv("BEX_BENCH_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := goroutinesCreated()
	cpu0, t0 := cpuTime(), time.Now()
	err = callMany(call, calls, inflight)
	if finish != nil {
		err = errors.Join(err, finish())
	}
	r := pipelineResult{Calls: calls, CPUNs: int64(cpuTime() - cpu0), WallNs: int64(time.Since(t0)), MaxRSS: maxRSS()}
	runtime.ReadMemStats(&m1)
	r.Allocs, r.Bytes = int64(m1.Mallocs-m0.Mallocs), int64(m1.TotalAlloc-m0.TotalAlloc)
	r.Goroutines = int64(goroutinesCreated() - g0)
	return r, err
}

// goroutinesCreated returns how many goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// callMany makes n calls, inflight at a time.
func callMany(call func(context.Context) error, n, inflight int) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, inflight)
	for w := range inflight {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := call(context.Background()); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pipelineClient returns the call of implementation impl, and what must
// run after the measured calls (flushing traces).
func pipelineClient(cfg clientConfig) (call func(context.Context) error, finish func() error, err error) {
	if cfg.impl == "floor" {
		hc := cfg.http
		if hc == nil {
			hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(cfg.inflight, 2), ForceAttemptHTTP2: true}}
		}
		return floorClient(hc, cfg.url, cfg.ticket), nil, nil
	}
	// The provider's URL, as the client's base_url env.BENCH_LLM_URL.
	llmOpts := []llm.Option{llm.WithEnv(func(k string) (string, bool) {
		if k == "BENCH_LLM_URL" {
			return cfg.url, true
		}
		return os.LookupEnv(k)
	})}
	if cfg.http != nil {
		llmOpts = append(llmOpts, llm.WithHTTPClient(cfg.http))
	}
	engOpts := []engine.Option{engine.WithLLMOptions(llmOpts...)}
	eng, err := engine.New(engine.MustParse(map[string]string{"pipeline.baml": cfg.source}), engOpts...)
	if err != nil {
		return nil, nil, err
	}
	ticket := map[string]any{"body": cfg.ticket}
	var opts func() ([]engine.CallOption, func())
	switch impl := cfg.impl; impl {
	case "off":
	case "collector":
		// Each call gets a Collector whose log is read, as a handler that
		// reports a call's usage does.
		opts = func() ([]engine.CallOption, func()) {
			c := collector.New("call")
			return []engine.CallOption{engine.WithCollector(c)}, func() {
				if l := c.Last(); l != nil && l.Usage.InputTokens == nil {
					panic("no usage")
				}
				c.Close()
			}
		}
	case "jsonl":
		shutdown, err := bex.Setup(context.Background(), bex.WithTraceFile(filepath.Join(cfg.dir, "trace.jsonl")))
		if err != nil {
			return nil, nil, err
		}
		finish = func() error { return shutdown(context.Background()) }
	case "otel":
		// OTLP over HTTP to the fake provider's /v1/traces, through the
		// SDK's batch span processor (OTEL_* from the environment).
		shutdown, err := bex.Setup(context.Background(), bex.WithOTLP(true))
		if err != nil {
			return nil, nil, err
		}
		finish = func() error { return shutdown(context.Background()) }
	default:
		return nil, nil, fmt.Errorf("unknown implementation %q", cfg.impl)
	}
	call = func(ctx context.Context) error {
		var o []engine.CallOption
		if opts != nil {
			var done func()
			o, done = opts()
			defer done()
		}
		v, err := eng.Call(ctx, "ClassifyTicket", ticket, o...)
		if err != nil {
			return err
		}
		t, err := engine.Decode[Ticket](v)
		if err != nil {
			return err
		}
		return t.check()
	}
	return call, finish, nil
}

// A clientConfig says which implementation to run and against what.
type clientConfig struct {
	impl     string
	inflight int
	url      string // the provider's base URL
	source   string // the program
	ticket   string
	dir      string       // for trace files
	http     *http.Client // nil: the implementation's own
}

// floorClient is the same request and decode in plain Go: net/http (by
// default with a pool of as many idle connections as calls in flight) and
// encoding/json.
func floorClient(hc *http.Client, base, ticket string) func(context.Context) error {
	url := base + "/chat/completions"
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	type request struct {
		Model    string    `json:"model"`
		Messages []message `json:"messages"`
	}
	type completion struct {
		Choices []struct {
			Message      message `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
	return func(ctx context.Context) error {
		body, err := json.Marshal(request{Model: "gpt-4o-mini", Messages: []message{
			{Role: "system", Content: pipelineFloorPrompt}, {Role: "user", Content: ticket}}})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer sk-bench-key")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var c completion
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		if resp.StatusCode != 200 || len(c.Choices) != 1 {
			return fmt.Errorf("status %d, %d choices", resp.StatusCode, len(c.Choices))
		}
		var t Ticket
		if err := json.Unmarshal([]byte(c.Choices[0].Message.Content), &t); err != nil {
			return err
		}
		return t.check()
	}
}

// cleanEnv is this process's environment without the variables that turn
// tracing on (bex.Setup reads them), so that only the implementation that
// measures tracing has it.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTEL_") && !strings.HasPrefix(kv, "BEX_TRACE_FILE=") {
			env = append(env, kv)
		}
	}
	return env
}

func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// The fake provider: this binary in the role "fake-llm", started once for
// all pipeline benchmarks.
var fakeLLM struct {
	once sync.Once
	cmd  *exec.Cmd
	in   io.WriteCloser
	url  string
	err  error
}

func startFakeLLM(b *testing.B) string {
	fakeLLM.once.Do(func() {
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), "BEX_BENCH_ROLE=fake-llm")
		c.Stderr = os.Stderr
		in, err := c.StdinPipe()
		if err != nil {
			fakeLLM.err = err
			return
		}
		out, err := c.StdoutPipe()
		if err != nil {
			fakeLLM.err = err
			return
		}
		if fakeLLM.err = c.Start(); fakeLLM.err != nil {
			return
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
		if err != nil || !ok {
			fakeLLM.err = fmt.Errorf("fake provider: %q, %v", line, err)
			_ = c.Process.Kill()
			_ = c.Wait()
			return
		}
		fakeLLM.cmd, fakeLLM.in, fakeLLM.url = c, in, url
	})
	if fakeLLM.err != nil {
		b.Fatal(fakeLLM.err)
	}
	return fakeLLM.url
}

// stopFakeLLM ends the fake provider: it exits when its stdin closes.
func stopFakeLLM() {
	if fakeLLM.cmd != nil {
		fakeLLM.in.Close()
		_ = fakeLLM.cmd.Wait()
	}
}

// serveFakeLLM answers POST /v1/chat/completions with one completion
// holding pipelineReply, and POST /v1/traces (OTLP) with an empty success,
// until stdin closes.
func serveFakeLLM() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	reply := fakeReply()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	})
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	fmt.Printf("listening http://%s\n", ln.Addr())
	_ = srv.Serve(ln)
	return 1
}

// BenchmarkPipelineInstr makes the pipeline's call in this process through a
// transport that answers at once with the fake provider's reply: the work
// of the client alone, without a network. run.sh counts its instructions
// under valgrind (garbage collector off), which do not move with the load
// of the machine, as the CPU times of BenchmarkPipelineSeq do.
func BenchmarkPipelineInstr(b *testing.B) {
	for _, impl := range []string{"floor", "off", "jsonl"} {
		b.Run(impl, func(b *testing.B) {
			call, finish, err := pipelineClient(clientConfig{impl: impl, inflight: 1, url: "http://fake.invalid/v1",
				source: pipelineSource, ticket: pipelineTicket, dir: b.TempDir(), http: &http.Client{Transport: replyTransport{fakeReply()}}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := call(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			if finish != nil {
				if err := finish(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A replyTransport answers every request with the same reply.
type replyTransport struct{ reply []byte }

func (t replyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
		ContentLength: int64(len(t.reply)), Body: io.NopCloser(bytes.NewReader(t.reply))}, nil
}

// fakeReply is the fake provider's chat completion.
func fakeReply() []byte {
	reply, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": pipelineReply}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": 92, "completion_tokens": 21, "total_tokens": 113},
	})
	return reply
}
