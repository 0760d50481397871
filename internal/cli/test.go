// test.go holds bex test: the program's test blocks run, reported per
// test, summarized, and written as JUnit XML.

package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
)

var testCommand = &command{
	name:    "test",
	args:    "[DIR]",
	summary: "run the program's test blocks",
	help: `Test compiles the program in DIR (default baml_src) and runs its test blocks:
each test once per function it names ("Function::Test"), with its arguments
and the types of its type_builder, then its @@check and @@assert constraints
on the result (this, _.result, _.checks, _.latency_ms). A test passes when
the function returns and every constraint holds; it fails when a constraint
does not hold or the function's output cannot be parsed or breaks an
@assert of its type; it errors when the function cannot run (a provider
error, bad arguments). -run selects tests by a regular expression matched
against "Function::Test".

Each test prints a line when it ends (with what failed, and with -v its
result), then a summary; on a terminal a progress line shows the tests
running. --junit writes JUnit XML for CI. Every test is traced: a root span
named "Function::Test", tagged test and test_function, with the function's
spans below it, to the trace file (--jsonl, or BEX_TRACE_FILE) and over
OTLP (--otlp, or when OTEL_EXPORTER_OTLP_ENDPOINT is set), as bex run does.

--client makes every LLM function use one client instead of the declared
ones: a client of the program or a "provider/model" shorthand, so that CI
can run the tests against a stub server (OPENAI_BASE_URL=http://127.0.0.1:8080/v1
bex test --client openai/gpt-4o-mini).

The exit status is 0 when every test passed, 1 when a test failed or
errored, when the program does not compile, or when no test matches, and 2
for a bad command line.
`,
	min: 0, max: 1,
	new: func() config { return &TestConfig{Parallel: 10, ShutdownTimeout: 5 * time.Second} },
}

// TestConfig is the configuration of bex test.
type TestConfig struct {
	Run             string        // -run: a regular expression selecting tests
	Parallel        int           // -parallel: how many tests run at once
	JSONL           string        // --jsonl: the trace file
	JUnit           string        // --junit: the JUnit XML report
	OTLP            bool          // --otlp: export over OTLP
	Client          string        // --client: the client of every LLM function
	Timeout         time.Duration // --timeout: the bound of each test (0 = none)
	Verbose         bool          // -v: print every test's result
	ShutdownTimeout time.Duration // --shutdown-timeout

	otlpSet bool
}

// Flags registers the flags of bex test.
func (c *TestConfig) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Run, "run", "", "run only the tests whose \"Function::Test\" name matches this `regexp`")
	fs.IntVar(&c.Parallel, "parallel", c.Parallel, "run up to `n` tests at once")
	fs.StringVar(&c.JSONL, "jsonl", "", "append the trace to this JSONL `file` (default $BEX_TRACE_FILE)")
	fs.StringVar(&c.JUnit, "junit", "", "write a JUnit XML report to this `file`")
	fs.Var(&setBool{&c.OTLP, &c.otlpSet}, "otlp", "export the trace over OTLP (default: on when $OTEL_EXPORTER_OTLP_ENDPOINT is set)")
	fs.StringVar(&c.Client, "client", "", "use this `client` (a declared client or \"provider/model\") for every LLM function")
	fs.DurationVar(&c.Timeout, "timeout", 0, "cancel a test after this `duration` (default: no limit)")
	fs.BoolVar(&c.Verbose, "v", false, "print the result of every test, not only of those that fail")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "bound on flushing and shutting the exporters down")
}

func (c *TestConfig) run(ctx context.Context, a *App, s *streams, args []string) int {
	dir := "baml_src"
	if len(args) > 0 {
		dir = args[0]
	}
	if c.Parallel < 1 {
		fmt.Fprintf(s.stderr, "bex test: -parallel %d: want at least 1\n", c.Parallel)
		return ExitUsage
	}
	var sel *regexp.Regexp
	if c.Run != "" {
		var err error
		if sel, err = regexp.Compile(c.Run); err != nil {
			fmt.Fprintf(s.stderr, "bex test: -run: %v\n", err)
			return ExitUsage
		}
	}
	var llmOpts []llm.Option
	if a.Clock != nil {
		llmOpts = append(llmOpts, llm.WithClock(a.Clock))
	}
	eng, ok := loadEngine(s.stderr, "test", dir, engine.WithLLMOptions(llmOpts...))
	if !ok {
		return ExitError
	}
	for _, w := range eng.Warnings() {
		fmt.Fprintln(s.stderr, w)
	}
	var cases []engine.TestCase
	for _, tc := range eng.Tests() {
		if sel == nil || sel.MatchString(tc.Name()) {
			cases = append(cases, tc)
		}
	}
	if len(cases) == 0 {
		if sel != nil {
			fmt.Fprintf(s.stderr, "bex test: no test of %s matches -run %s\n", dir, c.Run)
		} else {
			fmt.Fprintf(s.stderr, "bex test: %s has no test blocks\n", dir)
		}
		return ExitError
	}
	rc := &RunConfig{JSONL: c.JSONL, OTLP: c.OTLP, otlpSet: c.otlpSet, ShutdownTimeout: c.ShutdownTimeout}
	exp, err := rc.startExport(ctx, a)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex test: %v\n", err)
		return ExitError
	}
	start := a.now()
	results := c.runAll(ctx, a, s, eng, cases)
	total := a.now().Sub(start)
	code := c.report(s, results, total)
	if c.JUnit != "" {
		if err := writeJUnit(c.JUnit, results, total); err != nil {
			fmt.Fprintf(s.stderr, "bex test: --junit: %v\n", err)
			code = ExitError
		}
	}
	if err := exp.shutdown(ctx, s.stderr); err != nil {
		fmt.Fprintf(s.stderr, "bex test: %v\n", err)
		return ExitError
	}
	return code
}

// runAll runs the cases, c.Parallel at a time, printing each result as it
// ends, and returns the results in the order of cases. Once ctx is done
// the cases not started yet are not run (they error with ctx's error).
func (c *TestConfig) runAll(ctx context.Context, a *App, s *streams, eng *engine.Engine, cases []engine.TestCase) []engine.TestResult {
	var opts []engine.CallOption
	if c.Client != "" {
		opts = append(opts, engine.WithClient(c.Client))
	}
	p := newProgress(s.stdout, a.isTerminal(s.stdout) && os.Getenv("NO_COLOR") == "", len(cases), c.Verbose)
	results := make([]engine.TestResult, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(c.Parallel, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p.start(cases[i])
				results[i] = c.runOne(ctx, eng, cases[i], opts)
				p.done(results[i])
			}
		}()
	}
	for i, tc := range cases {
		if ctx.Err() != nil {
			results[i] = engine.TestResult{Case: tc, Status: engine.TestError, Err: ctx.Err()}
			p.done(results[i])
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	p.finish()
	return results
}

func (c *TestConfig) runOne(ctx context.Context, eng *engine.Engine, tc engine.TestCase, opts []engine.CallOption) engine.TestResult {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	return eng.RunTest(ctx, tc, opts...)
}

// report prints the summary and returns the exit status.
func (c *TestConfig) report(s *streams, results []engine.TestResult, total time.Duration) int {
	n := map[engine.TestStatus]int{}
	names := map[engine.TestStatus][]string{}
	for _, r := range results {
		n[r.Status]++
		names[r.Status] = append(names[r.Status], r.Case.Name())
	}
	if len(names[engine.TestFailed]) > 0 {
		fmt.Fprintf(s.stdout, "failed: %s\n", strings.Join(names[engine.TestFailed], ", "))
	}
	if len(names[engine.TestError]) > 0 {
		fmt.Fprintf(s.stdout, "errors: %s\n", strings.Join(names[engine.TestError], ", "))
	}
	fmt.Fprintf(s.stdout, "%d tests: %d passed, %d failed, %d errors (%s)\n",
		len(results), n[engine.TestPassed], n[engine.TestFailed], n[engine.TestError], fmtDuration(total))
	if n[engine.TestPassed] != len(results) {
		return ExitError
	}
	return ExitOK
}

// A progress prints the test lines; on a terminal it keeps a status line
// below them, rewritten as tests start and end, and colors the statuses.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	verbose  bool
	total    int
	finished int
	running  map[string]bool
	counts   map[engine.TestStatus]int
}

func newProgress(w io.Writer, tty bool, total int, verbose bool) *progress {
	return &progress{w: w, tty: tty, total: total, verbose: verbose, running: map[string]bool{}, counts: map[engine.TestStatus]int{}}
}

func (p *progress) start(tc engine.TestCase) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[tc.Name()] = true
	p.clear()
	p.status()
}

func (p *progress) done(r engine.TestResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, r.Case.Name())
	p.finished++
	p.counts[r.Status]++
	p.clear()
	fmt.Fprint(p.w, p.line(r))
	p.status()
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// clear erases the status line (on a terminal).
func (p *progress) clear() {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// status draws the status line (on a terminal): counts and a running test.
func (p *progress) status() {
	if !p.tty || p.finished == p.total {
		return
	}
	var name string
	for n := range p.running {
		if name == "" || n < name {
			name = n
		}
	}
	fmt.Fprintf(p.w, "%d/%d done (%d passed, %d failed, %d errors), %d running: %s…",
		p.finished, p.total, p.counts[engine.TestPassed], p.counts[engine.TestFailed], p.counts[engine.TestError], len(p.running), name)
}

// line renders a result: status, duration, name, then what went wrong
// (and the result, when it failed or with -v), indented.
func (p *progress) line(r engine.TestResult) string {
	var b strings.Builder
	status := fmt.Sprintf("%-6s", r.Status)
	if p.tty {
		color := map[engine.TestStatus]string{engine.TestPassed: "32", engine.TestFailed: "31", engine.TestError: "31;1"}[r.Status]
		status = "\x1b[" + color + "m" + status + "\x1b[0m"
	}
	fmt.Fprintf(&b, "%s %s %s\n", status, r.Case.Name(), fmtDuration(r.Latency))
	indent := "       "
	if r.Status != engine.TestPassed {
		fmt.Fprintf(&b, "%s%s:%d\n", indent, r.Case.Test.File, r.Case.Test.Pos.Line)
	}
	for _, msg := range problems(r) {
		for _, l := range strings.Split(msg, "\n") {
			b.WriteString(indent + l + "\n")
		}
	}
	if r.Err == nil && (p.verbose || r.Status != engine.TestPassed) {
		if out, err := json.Marshal(r.Result); err == nil {
			b.WriteString(indent + "result: " + string(out) + "\n")
		}
	}
	return b.String()
}

// problems lists what went wrong in a test: its error, or its failed
// constraints.
func problems(r engine.TestResult) []string {
	if r.Err != nil {
		return []string{r.Err.Error()}
	}
	var out []string
	for _, c := range r.Checks {
		if !c.Passed {
			out = append(out, c.String())
		}
	}
	return out
}
