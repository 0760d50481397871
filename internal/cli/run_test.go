package cli

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// startStub starts the LLM stub with the demo script (and rules before
// it) and points the OpenAI and Anthropic clients at it.
func startStub(t *testing.T, rules ...llmstub.Rule) *llmstub.Server {
	t.Helper()
	srv := llmstub.New(llmstub.WithRules(rules...))
	t.Cleanup(srv.Close)
	t.Setenv("OPENAI_BASE_URL", srv.URL()+"/v1")
	t.Setenv("OPENAI_API_KEY", "sk-test-openai")
	t.Setenv("ANTHROPIC_BASE_URL", srv.URL())
	t.Setenv("ANTHROPIC_API_KEY", "sk-test-anthropic")
	return srv
}

func TestRun(t *testing.T) {
	cleanEnv(t)
	startStub(t)
	const calc = "testdata/prog/calc"
	runGolden(t, []golden{
		{name: "run_int", args: []string{"run", calc, "Fib", "--arg", "n=20"}},
		{name: "run_flags_anywhere", args: []string{"run", "--arg", "name=Ann", calc, "Greet", "--arg", "excited=true"}},
		{name: "run_string_digits", args: []string{"run", calc, "Greet", "--arg", "name=27", "--arg", "excited=false"}},
		{name: "run_class_float", args: []string{"run", calc, "Scale", "--arg", `p={"x": 1, "y": 2}`, "--arg", "f=1.5"}},
		{name: "run_list_json", args: []string{"run", calc, "Sum", "--arg", "xs=[1, 2, 3]"}},
		{name: "run_args_json", args: []string{"run", calc, "Sum", "--args-json", `{"xs": [4, 5]}`}},
		{name: "run_args_json_stdin", args: []string{"run", calc, "Greet", "--args-json", "-", "--arg", "excited=true"}, stdin: `["Bo", false]`},
		{name: "run_enum_optional", args: []string{"run", calc, "Paint", "--arg", "c=Red"}},
		{name: "run_optional_given", args: []string{"run", calc, "Paint", "--arg", "c=Green", "--arg", "label=<b>&"}},
		{name: "run_traced_collector", args: []string{"run", calc, "Twice", "--arg", "n=1", "--collector"}},
		{name: "run_runtime_error", args: []string{"run", calc, "Twice", "--arg", "n=5", "--collector"}, code: ExitError},
		{name: "run_bad_int", args: []string{"run", calc, "Fib", "--arg", "n=x"}, code: ExitUsage},
		{name: "run_bad_bool", args: []string{"run", calc, "Greet", "--arg", "name=a", "--arg", "excited=yes"}, code: ExitUsage},
		{name: "run_bad_json", args: []string{"run", calc, "Sum", "--arg", "xs=[1,"}, code: ExitUsage},
		{name: "run_arg_no_equals", args: []string{"run", calc, "Fib", "--arg", "n"}, code: ExitUsage},
		{name: "run_missing_arg", args: []string{"run", calc, "Fib"}, code: ExitUsage},
		{name: "run_unknown_param", args: []string{"run", calc, "Fib", "--arg", "n=1", "--arg", "m=2"}, code: ExitUsage},
		{name: "run_wrong_json_type", args: []string{"run", calc, "Fib", "--args-json", `{"n": "x"}`}, code: ExitUsage},
		{name: "run_unknown_function", args: []string{"run", calc, "Nope"}, code: ExitError},
		{name: "run_compile_error", args: []string{"run", "testdata/prog/badtypes", "Caller"}, code: ExitError},
		{name: "run_missing_args", args: []string{"run", calc}, code: ExitUsage},
		{name: "run_bad_duration", args: []string{"run", calc, "Fib", "--timeout", "soon"}, code: ExitUsage},
		{name: "run_triage", args: []string{"run", "testdata/prog/triage", "Triage", "--arg", "body=The checkout page is down for all users.", "--collector"}},
		{name: "run_stream", args: []string{"run", "testdata/prog/triage", "Triage", "--stream", "--arg", "body=The checkout page is down for all users."}},
		{name: "run_stream_class", args: []string{"run", "testdata/prog/triage", "ClassifyTicket", "--stream", "--arg", "body=The checkout page is down."}},
	})
}

// A streamed run's trace file records each attempt's time to first chunk
// and chunks, which bex trace view shows.
func TestRunStreamTrace(t *testing.T) {
	cleanEnv(t)
	startStub(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	app := testApp()
	r := run(t, app, "", "run", "testdata/prog/triage", "Triage", "--stream", "--jsonl", trace, "--arg", "body=The checkout page is down for all users.")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	events := readEvents(t, trace)
	checkBalanced(t, events)
	for _, e := range events {
		for _, a := range e.Attempts {
			if a.Stream == nil || a.Stream.Chunks == 0 || a.Stream.FirstChunk <= 0 {
				t.Errorf("%s: attempt stream %+v", e.Name, a.Stream)
			}
		}
	}
	v := run(t, app, "", "trace", "view", trace)
	checkGolden(t, "view_stream.txt", v.format([]string{"trace", "view", "trace.jsonl"}))
}

// On a terminal, --stream redraws one line with the latest partial value
// and erases it before printing the result.
func TestRunStreamTerminal(t *testing.T) {
	cleanEnv(t)
	startStub(t)
	app := testApp()
	app.Terminal = func(io.Writer) bool { return true }
	r := run(t, app, "", "run", "testdata/prog/triage", "Headline", "--stream", "--arg", "body=The checkout page is down for all users.")
	if r.code != ExitOK || !strings.Contains(r.stdout, "\r\x1b[2KHeadline: \"") || !strings.HasSuffix(r.stdout, "\r\x1b[2K\"The checkout page is down for all users\"\n") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRunTimeout(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "spin.baml")
	if err := os.WriteFile(src, []byte("function Spin() -> int {\n    let i = 0;\n    while (true) { i += 1; }\n    i\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(dir, "trace.jsonl")
	r := run(t, testApp(), "", "run", src, "Spin", "--timeout", "100ms", "--jsonl", trace)
	if r.code != ExitError || r.stdout != "" || !strings.Contains(r.stderr, "deadline exceeded") || !strings.Contains(r.stderr, "at Spin ("+src+":") {
		t.Errorf("exit %d, stdout %q, stderr %q; want status 1 and a deadline error with the bex stack", r.code, r.stdout, r.stderr)
	}
	events := readEvents(t, trace)
	if len(events) != 2 || events[1].Err == nil || events[1].Err.Type != "DeadlineExceeded" {
		t.Errorf("trace: %d events, want the root's start and an end with a DeadlineExceeded error: %+v", len(events), events)
	}
}

// readEvents reads a trace file, failing on malformed lines.
func readEvents(t *testing.T, path string) []vmspan.Event {
	t.Helper()
	var out []vmspan.Event
	for e, err := range jsonl.ReadFile(path) {
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
	return out
}

// checkBalanced checks that every span of events starts once and ends once.
func checkBalanced(t *testing.T, events []vmspan.Event) {
	t.Helper()
	starts, ends := map[vmspan.SpanID]int{}, map[vmspan.SpanID]int{}
	for _, e := range events {
		switch e.Kind {
		case vmspan.EventStart:
			starts[e.Span.ID]++
		case vmspan.EventEnd:
			ends[e.Span.ID]++
		}
	}
	for id, n := range starts {
		if n != 1 || ends[id] != 1 {
			t.Errorf("span %s: %d starts, %d ends", id, n, ends[id])
		}
	}
	if len(ends) != len(starts) {
		t.Errorf("%d spans ended, %d started", len(ends), len(starts))
	}
}

// pipelineStub scripts the stub for the pipeline program: the Fast client
// (gpt-4o-mini) fails to classify tickets, so Resilient falls back to
// Backup; a ticket containing "garbage" gets a reply that is not a Ticket.
func pipelineStub(t *testing.T) *llmstub.Server {
	return startStub(t,
		llmstub.Rule{Contains: "garbage", Replies: []llmstub.Reply{{Text: "I cannot help with that."}}},
		llmstub.Rule{Model: "gpt-4o-mini", Contains: "title and priority", Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}}},
	)
}

// TestRunJSONL runs the pipeline program twice into one trace file (the
// second call fails) and compares the file with testdata/trace/pipeline.jsonl,
// the fixture of the trace view and stats tests. The stub's address is
// replaced by a fixed one.
func TestRunJSONL(t *testing.T) {
	cleanEnv(t)
	srv := pipelineStub(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	app := testApp()
	r1 := run(t, app, "", "run", "testdata/prog/pipeline", "Triage", "--arg", "body=The login page is down for all users.", "--jsonl", trace)
	t.Setenv("BEX_TRACE_FILE", trace) // the variable works as well as the flag
	r2 := run(t, app, "", "run", "testdata/prog/pipeline", "Triage", "--arg", "body=garbage in, garbage out")
	if r1.code != ExitOK || r2.code != ExitError {
		t.Fatalf("exit statuses %d and %d, want 0 and 1\n%s\n%s", r1.code, r2.code, r1.stderr, r2.stderr)
	}
	checkGolden(t, "run_pipeline_1.txt", r1.format([]string{"run", "testdata/prog/pipeline", "Triage", "..."}))
	checkGolden(t, "run_pipeline_2.txt", r2.format([]string{"run", "testdata/prog/pipeline", "Triage", "..."}))
	checkBalanced(t, readEvents(t, trace))
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL(), "http://")
	got := strings.ReplaceAll(string(b), host, "llm.test:8080")
	got = strings.ReplaceAll(got, `"server_port":`+host[strings.LastIndex(host, ":")+1:], `"server_port":8080`)
	got = httpDate.ReplaceAllString(got, `"Date":"Thu, 12 Feb 2026 06:00:00 GMT"`)
	checkGoldenPath(t, filepath.Join("testdata", "trace", "pipeline.jsonl"), got)
}

// httpDate matches the Date header of recorded HTTP responses.
var httpDate = regexp.MustCompile(`"Date":"[^"]*"`)

// TestRunTraceparent checks that TRACEPARENT makes the root span a child of
// the caller's span, in the caller's trace.
func TestRunTraceparent(t *testing.T) {
	cleanEnv(t)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	t.Setenv("TRACEPARENT", tp)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	r := run(t, testApp(), "", "run", "testdata/prog/calc", "Fib", "--arg", "n=3", "--jsonl", trace)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	events := readEvents(t, trace)
	if len(events) != 2 || events[0].Remote == nil || events[0].Remote.Traceparent() != tp || events[0].TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("root span events %+v, want the remote parent %s", events, tp)
	}
	t.Setenv("TRACEPARENT", "garbage")
	r = run(t, testApp(), "", "run", "testdata/prog/calc", "Fib", "--arg", "n=3")
	if r.code != ExitOK || !strings.Contains(r.stderr, "ignoring TRACEPARENT") {
		t.Errorf("bad TRACEPARENT: exit %d, stderr %q; want a warning and status 0", r.code, r.stderr)
	}
}

// checkGoldenPath is checkGolden for a file outside testdata/golden.
func checkGoldenPath(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// Media arguments from the command line: a URL, @FILE, a JSON object.
// The echoed request shows what the provider was sent; the collector view
// shows the arguments by reference.
func TestRunMedia(t *testing.T) {
	cleanEnv(t)
	srv := startStub(t, llmstub.Rule{Respond: func(r llmstub.Request) llmstub.Reply {
		return llmstub.Reply{Text: "saw: " + mediaParts(string(r.Body))}
	}})
	_ = srv
	const prog = "testdata/prog/media"
	runGolden(t, []golden{
		{name: "run_media_url", args: []string{"run", prog, "Describe", "--arg", "img=https://example.com/cat.png"}},
		{name: "run_media_file", args: []string{"run", prog, "Describe", "--arg", "img=@testdata/prog/media/dot.png", "--collector"}},
		{name: "run_media_json", args: []string{"run", prog, "Describe", "--args-json",
			`{"img": {"url": "https://example.com/cat.png"}, "doc": {"base64": "JVBERi0xLjQ=", "media_type": "application/pdf"}}`}},
		{name: "run_media_bad", args: []string{"run", prog, "Describe", "--arg", "img=not a url"}, code: ExitUsage},
	})
}

// mediaParts lists the image_url and file parts of a chat request body.
func mediaParts(body string) string {
	var parts []string
	for _, key := range []string{`"image_url":{"url":"`, `"file_data":"`} {
		for rest := body; ; {
			i := strings.Index(rest, key)
			if i < 0 {
				break
			}
			rest = rest[i+len(key):]
			end := strings.IndexByte(rest, '"')
			parts = append(parts, rest[:end])
		}
	}
	return strings.Join(parts, " ")
}
