package cli

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// testStub answers the evals program's prompts (see evalsStub), headlines
// and categories too.
func testStub(t *testing.T) *llmstub.Server {
	return startStub(t,
		llmstub.Rule{Contains: "outage", Replies: []llmstub.Reply{{Status: 500, Text: "the model is down"}}},
		llmstub.Rule{Contains: "One line headline", Replies: []llmstub.Reply{{Text: "Login page down for everyone"}}},
		llmstub.Rule{Contains: "Which category", Replies: []llmstub.Reply{{Text: "Food"}}},
		llmstub.Rule{Contains: "login", Replies: []llmstub.Reply{{Text: `{"title": "Login down", "priority": 1}`}}},
		llmstub.Rule{Contains: "printer", Replies: []llmstub.Reply{{Text: `{"title": "The printer on floor three is jammed", "priority": 3}`}}},
		llmstub.Rule{Contains: "coffee", Replies: []llmstub.Reply{{Text: `{"title": "Coffee", "priority": 9}`}}},
	)
}

// TestTestCommand runs bex test on a project with passing, failing and
// erroring tests against the stub: the per-test lines, the summary and the
// exit status (golden), the JUnit XML (parsed), and the trace (one root
// span per test, tagged with its name).
func TestTestCommand(t *testing.T) {
	cleanEnv(t)
	testStub(t)
	runGolden(t, []golden{
		{name: "test_evals", args: []string{"test", "testdata/prog/evals", "-parallel", "1"}, code: ExitError},
		{name: "test_evals_passing", args: []string{"test", "testdata/prog/evals", "-run", "Login|Headlines|Cafeteria$", "-v", "-parallel", "1"}, code: ExitOK},
		{name: "test_evals_none", args: []string{"test", "testdata/prog/evals", "-run", "Nope"}, code: ExitError},
		{name: "test_no_tests", args: []string{"test", "testdata/prog/calc"}, code: ExitError},
		{name: "test_bad_run", args: []string{"test", "testdata/prog/evals", "-run", "("}, code: ExitUsage},
		{name: "test_bad_parallel", args: []string{"test", "testdata/prog/evals", "-parallel", "0"}, code: ExitUsage},
		{name: "test_compile_error", args: []string{"test", "testdata/prog/badtypes"}, code: ExitError},
	})

	// In parallel, with the reports: the same outcomes.
	dir := t.TempDir()
	junit, trace := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "trace.jsonl")
	r := run(t, testApp(), "", "test", "testdata/prog/evals", "-parallel", "4", "--junit", junit, "--jsonl", trace)
	if r.code != ExitError || !strings.Contains(r.stdout, "7 tests: 3 passed, 2 failed, 2 errors (") {
		t.Errorf("parallel: exit %d, stdout %q; want status 1 and the summary", r.code, r.stdout)
	}

	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the JUnit report does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 7 || doc.Failures != 2 || doc.Errors != 2 || len(doc.Suites) != 3 {
		t.Errorf("JUnit totals: %d tests, %d failures, %d errors, %d suites; want 7, 2, 2, 3\n%s", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites), data)
	}
	got := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				got[c.Classname+"::"+c.Name] = "failure " + c.Failure.Type + ": " + c.Failure.Message
			case c.Error != nil:
				got[c.Classname+"::"+c.Name] = "error " + c.Error.Type
			default:
				got[c.Classname+"::"+c.Name] = "pass"
			}
		}
	}
	want := map[string]string{
		"ClassifyTicket::Login":   "pass",
		"ClassifyTicket::Printer": "failure TestFailure: @@check low_priority failed: {{ this.priority >= 4 }}",
		"ClassifyTicket::Coffee":  `failure AssertError: cannot parse LLM output of ClassifyTicket: field "priority": @assert in_range failed: {{ this >= 1 and this <= 5 }} (value 9); reply starts: "{\"title\": \"Coffee\", \"priority\": 9}"`,
		"ClassifyTicket::Outage":  "error LLMHTTPError",
		"Headline::Outage":        "error LLMHTTPError",
		"Headline::Headlines":     "pass",
		"Categorize::Cafeteria":   "pass",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("JUnit %s: %q, want %q", k, got[k], w)
		}
	}

	roots := map[string]vmspan.Event{}
	events := readEvents(t, trace)
	checkBalanced(t, events)
	for _, e := range events {
		if e.Kind == vmspan.EventEnd && e.Span.Parent.IsZero() {
			roots[e.Name] = e
		}
	}
	if len(roots) != 7 {
		t.Errorf("%d root spans, want one per test (7): %v", len(roots), roots)
	}
	for name, e := range roots {
		fn, test, _ := strings.Cut(name, "::")
		if e.Tags["test"] != test || e.Tags["test_function"] != fn {
			t.Errorf("root %s tags %v, want test=%s test_function=%s", name, e.Tags, test, fn)
		}
		if (e.Err == nil) != (got[name] == "pass") {
			t.Errorf("root %s: error %v, but the test %s", name, e.Err, got[name])
		}
	}
}

// TestTestProgress checks the terminal display: colored statuses and a
// progress line that is erased before each test line and at the end.
func TestTestProgress(t *testing.T) {
	cleanEnv(t)
	testStub(t)
	app := testApp()
	app.Terminal = func(io.Writer) bool { return true }
	r := run(t, app, "", "test", "testdata/prog/evals", "-run", "Login|Printer", "-parallel", "1")
	for _, want := range []string{
		"\r\x1b[K0/2 done (0 passed, 0 failed, 0 errors), 1 running: ClassifyTicket::Login…\r\x1b[K\x1b[32mPASSED",
		"\r\x1b[K\x1b[32mPASSED\x1b[0m ClassifyTicket::Login",
		"\r\x1b[K\x1b[31mFAILED\x1b[0m ClassifyTicket::Printer",
		"\r\x1b[Kfailed: ClassifyTicket::Printer\n2 tests: 1 passed, 1 failed, 0 errors",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "2 running") {
		t.Errorf("with -parallel 1, two tests shown running:\n%q", r.stdout)
	}
}

// TestTestBAMLDifferential runs the evals project's tests with the
// reference BAML CLI (baml-cli test, from BEX_BAML_DIR) and with bex test,
// against the same stub, and checks that every test ends with the same
// status.
func TestTestBAMLDifferential(t *testing.T) {
	dir := os.Getenv("BEX_BAML_DIR")
	if dir == "" {
		t.Skip("BEX_BAML_DIR is not set: run `bash scripts/baml.sh` (needs node and npm) and export its output")
	}
	cli := filepath.Join(dir, "node_modules", ".bin", "baml-cli")
	if _, err := os.Stat(cli); err != nil {
		t.Skipf("no baml-cli under BEX_BAML_DIR: %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: baml-cli cannot run")
	}
	cleanEnv(t)
	stub := testStub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, "test", "--from", "testdata/prog/evals/baml_src", "--parallel", "1")
	cmd.Env = append(os.Environ(), "OPENAI_BASE_URL="+stub.URL()+"/v1", "OPENAI_API_KEY=k", "BAML_LOG=off")
	out, _ := cmd.CombinedOutput() // exits non-zero: some tests fail
	baml := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)\s(PASSED|FAILED|ERROR)\s+(\S+::\S+)\s*$`).FindAllStringSubmatch(string(out), -1) {
		baml[m[2]] = m[1]
	}
	if len(baml) != 7 {
		t.Fatalf("baml-cli reported %d tests, want 7:\n%s", len(baml), out)
	}
	r := run(t, testApp(), "", "test", "testdata/prog/evals", "-parallel", "1")
	bex := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(PASSED|FAILED|ERROR)\s+(\S+::\S+)`).FindAllStringSubmatch(r.stdout, -1) {
		bex[m[2]] = m[1]
	}
	if !reflect.DeepEqual(bex, baml) {
		t.Errorf("statuses differ:\nbex  %v\nBAML %v", bex, baml)
	}
}

// TestTestClientOverride checks that --client points every LLM function
// at another client: here a "provider/model" shorthand whose requests the
// stub sees with that model.
func TestTestClientOverride(t *testing.T) {
	cleanEnv(t)
	stub := testStub(t)
	r := run(t, testApp(), "", "test", "testdata/prog/evals", "-run", "Login$", "--client", "openai/stub-model")
	if r.code != ExitOK {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	reqs := stub.Requests()
	if len(reqs) != 1 || reqs[0].Model != "stub-model" {
		t.Errorf("requests %+v, want one for stub-model", reqs)
	}
}
