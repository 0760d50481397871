package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/integration/faults/otlpstub"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// The secrets. Each is a distinct string, so that a hit names its source.
const (
	apiKey       = "sk-live-APIKEY-SECRET-7f3a9c"    // api_key env.SECRET_API_KEY, both clients
	authzSecret  = "AUTHZ-HEADER-SECRET-91c2d8"      // Authorization: Bearer … (literal in the program)
	tokenHeader  = "TOKEN-HEADER-SECRET-44e1b0"      // X-Custom-Token header, from the environment
	argAPIKey    = "ARG-APIKEY-SECRET-0b5e77"        // function argument api_key
	argToken     = "ARG-TOKEN-SECRET-6d2f13"         // function argument token
	argPassword  = "ARG-PASSWORD-SECRET-a8c340"      // function argument password
	hostPassword = "HOSTSPAN-PASSWORD-SECRET-3e9f21" // host span argument password
	tagAPIKey    = "TAG-APIKEY-SECRET-c71d55"        // tag api_key
	tagToken     = "TAG-TOKEN-SECRET-5a0b9e"         // tag token
	tagPassword  = "TAG-PASSWORD-SECRET-f26e07"      // tag password
)

var secrets = []string{apiKey, authzSecret, tokenHeader, argAPIKey, argToken, argPassword, hostPassword, tagAPIKey, tagToken, tagPassword}

// Positive controls: non-secret values that must be found.
const (
	controlArg    = "positive-control-body-5d1e"
	controlTag    = "positive-control-tag-8b3c"
	controlHeader = "positive-control-header-2f7a"
	failMarker    = "PLEASE-FAIL"
	headlineFail  = "FAIL-THE-HEADLINE"
)

// Content that errors quote: a reply that cannot be parsed and a reply
// that fails an @assert (replyMarker), and a prompt a provider's error
// echoes (promptMarker). With content capture off they, and the argument
// values, never leave the process.
const (
	replyMarker  = "REPLY-CONTENT-4c1f"
	promptMarker = "Count the words of"
)

const program = `
client<llm> Fast {
    provider openai
    options {
        model "gpt-4o-mini"
        base_url env.OPENAI_BASE_URL
        api_key env.SECRET_API_KEY
        headers { "X-Request-Source" "` + controlHeader + `" "X-Custom-Token" env.TOKEN_HEADER }
    }
}
client<llm> Claude {
    provider anthropic
    options {
        model "claude-3-5-haiku-latest"
        base_url env.ANTHROPIC_BASE_URL
        api_key env.SECRET_API_KEY
        headers { "Authorization" "Bearer ` + authzSecret + `" }
    }
}
function Classify(body: string, api_key: string, token: string, password: string) -> string {
    client Fast
    prompt #"Classify this ticket: {{ body }}"#
}
function Headline(body: string) -> string {
    client Claude
    prompt #"One line headline for: {{ body }}"#
}
function Run(body: string, api_key: string, token: string, password: string) -> string {
    let c = Classify(body, api_key, token, password);
    let h = Headline(body);
    let n = remember(token, body);
    c + " / " + h + " / " + n
}
function Count(body: string) -> int {
    client Fast
    prompt #"` + promptMarker + `: {{ body }}"#
}
function Echo(body: string) -> string @assert(short, {{ this|length < 5 }}) {
    client Fast
    prompt #"Echo: {{ body }}"#
}
function Refuse(body: string) -> string {
    client Claude
    prompt #"` + promptMarker + ` and refuse: {{ body }}"#
}
function Broken(body: string, how: string) -> string {
    if (how == "parse") {
        Count(body).to_string()
    } else if (how == "assert") {
        Echo(body)
    } else if (how == "http") {
        Refuse(body)
    } else {
        body.to_int().to_string()
    }
}
`

// brokenWays are the ways Broken fails, each with an error that quotes
// content: a reply that is not a number, a reply that breaks an @assert,
// an HTTP 400 that echoes the prompt, and an argument that is not a
// number.
var brokenWays = [4]string{"parse", "assert", "http", "convert"}

// stubRules make the stub fail a ticket with failMarker (at Classify, the
// OpenAI client) or headlineFail (at Headline, the Anthropic client) with a
// 401 whose message echoes the credentials the request carried, as
// providers and gateways do: the API key, and the Authorization header
// (headlineEcho).
func stubRules(headlineEcho string) []llmstub.Rule {
	return []llmstub.Rule{
		{API: "openai", Contains: failMarker, Replies: []llmstub.Reply{{Status: 401,
			Text: "Incorrect API key provided: " + apiKey + "."}}},
		{API: "anthropic", Contains: headlineFail, Replies: []llmstub.Reply{{Status: 401,
			Text: "x-api-key " + apiKey + " accepted, but " + headlineEcho}}},
		{API: "openai", Contains: promptMarker, Replies: []llmstub.Reply{{Text: replyMarker + " has no number"}}},
		{API: "openai", Contains: "Echo:", Replies: []llmstub.Reply{{Text: replyMarker}}},
		{API: "anthropic", Contains: promptMarker, Respond: func(req llmstub.Request) llmstub.Reply {
			return llmstub.Reply{Status: 400, Text: "invalid request: " + req.Prompt()}
		}},
	}
}

// Echoes of the Authorization header in the Anthropic client's 401.
const (
	echoHeader = "Authorization: Bearer " + authzSecret + " is invalid"
	echoToken  = "token " + authzSecret + " expired"
)

func TestSecretsNeverLeave(t *testing.T) {
	j := jaegertest.Start(t)
	for _, content := range []bool{false, true} {
		t.Run(fmt.Sprintf("content capture %v", content), func(t *testing.T) {
			runPipeline(t, j, content, echoHeader)
		})
	}
}

// TestEchoedBearerToken is TestSecretsNeverLeave with a provider error that
// echoes the credential of the Authorization header without its scheme
// ("token X expired" for "Authorization: Bearer X").
//
// Package llm redacts the value of a secret-named header as a whole
// ("Bearer X") and its credential alone (X), so the echo never reaches the
// trace file, the Collector, the OTLP export, Jaeger or the caller's error.
func TestEchoedBearerToken(t *testing.T) {
	j := jaegertest.Start(t)
	runPipeline(t, j, false, echoToken)
}

// outputs are the bytes the process wrote, by where they went.
type outputs map[string][]byte

// An export is where a run's spans go: a trace file, and an in-process
// OTLP receiver through the provider the OTEL_* variables configure
// (NewProvider, as bex.Setup builds it), with OpenTelemetry's error
// reports kept.
type export struct {
	recv    *otlpstub.Server
	tp      *otelbridge.Provider
	path    string
	file    *jsonl.Writer
	tracer  *vmspan.Tracer
	otelLog *otelLog
}

func newExport(t *testing.T, service string, content bool, opts ...otlpstub.Option) *export {
	t.Helper()
	recv, err := otlpstub.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(recv.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+recv.Endpoint())
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") // the stub speaks gRPC
	t.Setenv("OTEL_SERVICE_NAME", service)
	x := &export{recv: recv, otelLog: captureOTelErrors(t), path: filepath.Join(t.TempDir(), "trace.jsonl")}
	if x.tp, err = otelbridge.NewProvider(context.Background(), otelbridge.WithBatchTimeout(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if x.file, err = jsonl.Open(x.path); err != nil {
		t.Fatal(err)
	}
	x.tracer = vmspan.NewTracer(vmspan.Fanout(x.file, otelbridge.New(otelbridge.WithTracerProvider(x.tp), otelbridge.WithContentCapture(content))))
	return x
}

// close writes the trace file and exports every span.
func (x *export) close(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := errors.Join(x.file.Flush(ctx), x.file.Close(), x.tp.Shutdown(ctx)); err != nil {
		t.Fatal(err)
	}
}

// otlp returns the OTLP requests the receiver got, as received and
// decoded (protojson).
func (x *export) otlp(t *testing.T) (raw, decoded []byte) {
	t.Helper()
	var r, d bytes.Buffer
	for _, req := range x.recv.Requests() {
		r.Write(req.Raw)
		b, err := protojson.Marshal(req.Decoded)
		if err != nil {
			t.Fatal(err)
		}
		d.Write(b)
	}
	if r.Len() == 0 {
		t.Fatal("the OTLP receiver got no request")
	}
	return r.Bytes(), d.Bytes()
}

func runPipeline(t *testing.T, j *jaegertest.Jaeger, content bool, headlineEcho string) {
	ctx := context.Background()
	service := fmt.Sprintf("bex-secrets-%v", content)
	x := newExport(t, service, content, otlpstub.WithForward(j.OTLPGRPCEndpoint()))
	tracer := x.tracer
	stub := llmstub.New(llmstub.WithAPIKey(apiKey), llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(stubRules(headlineEcho)...))
	defer stub.Close()
	eng := newEngine(t, tracer, stub.URL())
	col := collector.New("secrets")
	defer col.Close()

	var callErrs []string
	for _, body := range []string{controlArg + " checkout is down", controlArg + " " + failMarker, controlArg + " " + headlineFail} {
		hctx, host := tracer.Start(ctx, "HandleTicket", "password", hostPassword, "user", controlArg)
		vmspan.SetTags(hctx, "api_key", tagAPIKey, "token", tagToken, "password", tagPassword, "team", controlTag)
		res, err := eng.Call(hctx, "Run", map[string]any{"body": body, "api_key": argAPIKey, "token": argToken, "password": argPassword}, engine.WithCollector(col))
		host.End(res, err)
		if err != nil {
			callErrs = append(callErrs, fmt.Sprintf("%v\n%+v\n%#v", err, err, err))
		}
		if strings.Contains(body, "FAIL") != (err != nil) {
			t.Fatalf("call with %q: %v, %v", body, res, err)
		}
	}
	if len(callErrs) != 2 {
		t.Fatalf("%d calls failed, want the two with a marker", len(callErrs))
	}
	for _, how := range brokenWays {
		_, err := eng.Call(ctx, "Broken", []any{controlArg + " not a number", how}, engine.WithCollector(col))
		if err == nil {
			t.Fatalf("Broken(%s) succeeded", how)
		}
		callErrs = append(callErrs, err.Error())
	}

	x.close(t)
	if st := x.tp.Stats(); st.Dropped != 0 || st.Exported == 0 {
		t.Fatalf("delivery %+v", st)
	}
	out := collect(t, j, x, col, service)
	out["call errors"] = []byte(strings.Join(callErrs, "\n"))
	out["OpenTelemetry errors"] = x.otelLog.bytes()

	for name, b := range out {
		for _, s := range secrets {
			if n := bytes.Count(b, []byte(s)); n > 0 {
				t.Errorf("%s: the secret %s appears %d times, e.g. …%s…", name, s, n, around(b, s))
			}
		}
	}
	// Positive controls: the outputs hold what they should, so a secret
	// there would have been found.
	for name, b := range out {
		if name == "call errors" || name == "OpenTelemetry errors" {
			continue
		}
		wants := []string{controlArg, controlTag, replyMarker, promptMarker}
		if name != "collector Go syntax" { // which prints errors as pointers
			wants = append(wants, "reply starts:", "(value ") // whole error messages
		}
		if otel := strings.HasPrefix(name, "OTLP") || strings.HasPrefix(name, "Jaeger"); otel && !content {
			// Arguments, replies and prompts are content, also when an
			// error quotes them: with content capture off they never leave
			// the process; tags and errors' summaries do.
			wants = []string{controlTag, "want int, got a string", "@assert short failed", "HTTP 400", "cannot convert a string to int"}
			for _, c := range []string{controlArg, replyMarker, promptMarker, "reply starts:", "(value "} {
				if bytes.Contains(b, []byte(c)) {
					t.Errorf("%s: %q left the process with content capture off: …%s…", name, c, around(b, c))
				}
			}
		}
		for _, want := range wants {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%s: the control value %s is missing: the search would miss a secret there", name, want)
			}
		}
	}
	for _, name := range []string{"trace file", "collector JSON"} {
		if !bytes.Contains(out[name], []byte(controlHeader)) {
			t.Errorf("%s: the control header value %s is missing", name, controlHeader)
		}
	}
	if !strings.Contains(string(out["call errors"]), "Incorrect API key provided") {
		t.Errorf("the failed call's error lost the provider's message: %s", out["call errors"])
	}
	checkStubSawSecrets(t, stub)
	sizes := make([]string, 0, len(out))
	for name, b := range out {
		sizes = append(sizes, fmt.Sprintf("%s %d bytes", name, len(b)))
	}
	slices.Sort(sizes)
	t.Logf("searched %d secrets in: %s", len(secrets), strings.Join(sizes, ", "))
}

// checkStubSawSecrets checks that the LLM requests carried the API key and
// both headers: the secrets were really used.
func checkStubSawSecrets(t *testing.T, stub *llmstub.Server) {
	t.Helper()
	var seen []string
	for _, r := range stub.Requests() {
		h := fmt.Sprint(r.Header)
		for _, s := range []string{apiKey, authzSecret, tokenHeader, controlHeader} {
			if strings.Contains(h, s) && !slices.Contains(seen, s) {
				seen = append(seen, s)
			}
		}
	}
	if len(seen) != 4 {
		t.Errorf("the LLM stub saw only %v of the API key and the three header values: the test does not exercise them", seen)
	}
}

// collect gathers the bytes the process wrote: the trace file, the
// Collector's logs, the OTLP requests, Jaeger's stored traces.
func collect(t *testing.T, j *jaegertest.Jaeger, x *export, col *collector.Collector, service string) outputs {
	t.Helper()
	out := outputs{}
	var err error
	if out["trace file"], err = os.ReadFile(x.path); err != nil {
		t.Fatal(err)
	}
	logs := col.Logs()
	if len(logs) != wantTraces {
		t.Fatalf("collector has %d logs, want %d", len(logs), wantTraces)
	}
	if out["collector JSON"], err = json.Marshal(logs); err != nil {
		t.Fatal(err)
	}
	out["collector Go syntax"] = []byte(fmt.Sprintf("%#v", deref(logs)))
	out["OTLP protobuf"], out["OTLP decoded"] = x.otlp(t)
	out["Jaeger /api/traces"], out["Jaeger /api/v3/traces"] = jaegerRaw(t, j, service)
	return out
}

// deref makes %#v print the logs rather than pointers.
func deref(logs []*collector.FunctionLog) []collector.FunctionLog {
	out := make([]collector.FunctionLog, len(logs))
	for i, l := range logs {
		out[i] = *l
	}
	return out
}

// jaegerRaw returns the raw JSON Jaeger serves for every trace of the
// service, from the v1 and the v3 (OTLP JSON) API.
func jaegerRaw(t *testing.T, j *jaegertest.Jaeger, service string) ([]byte, []byte) {
	t.Helper()
	var traces []jaegertest.Trace
	deadline := time.Now().Add(jaegertest.WaitTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var err error
		traces, err = j.FindTraces(ctx, service, 100)
		cancel()
		if err == nil && len(traces) == wantTraces && spanCount(traces) >= wantSpans {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger: %d traces of %s with %d spans (%v), want %d with %d", len(traces), service, spanCount(traces), err, wantTraces, wantSpans)
		}
		time.Sleep(jaegertest.WaitInterval)
	}
	var v1, v3 bytes.Buffer
	for _, tr := range traces {
		v1.Write(get(t, j.QueryURL()+"/api/traces/"+tr.TraceID))
		v3.Write(get(t, j.QueryURL()+"/api/v3/traces/"+tr.TraceID))
	}
	return v1.Bytes(), v3.Bytes()
}

// wantTraces and wantSpans count the traces and spans: HandleTicket, Run,
// Classify and its attempt, Headline and its attempt, remember; then
// HandleTicket, Run, Classify, attempt; then HandleTicket, Run, Classify,
// attempt, Headline, attempt; then Broken, the LLM function and its
// attempt three times; then Broken.
const (
	wantTraces = 3 + len(brokenWays)
	wantSpans  = 7 + 4 + 6 + 3*3 + 1
)

func spanCount(traces []jaegertest.Trace) int {
	n := 0
	for _, tr := range traces {
		n += len(tr.Spans)
	}
	return n
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return b
}

// around returns the text around the first occurrence of s in b.
func around(b []byte, s string) string {
	i := bytes.Index(b, []byte(s))
	lo, hi := max(0, i-60), min(len(b), i+len(s)+60)
	return strings.ToValidUTF8(string(b[lo:hi]), "?")
}

// newEngine builds the engine with the host function remember, a traced
// host function that takes a token argument and sets secret tags.
func newEngine(t *testing.T, tracer *vmspan.Tracer, stubURL string) *engine.Engine {
	t.Helper()
	env := map[string]string{
		"OPENAI_BASE_URL":    stubURL + "/v1",
		"ANTHROPIC_BASE_URL": stubURL,
		"SECRET_API_KEY":     apiKey,
		"TOKEN_HEADER":       tokenHeader,
	}
	eng, err := engine.New(engine.MustParse(map[string]string{"secrets.baml": program}),
		engine.WithTracer(tracer),
		engine.WithHost(engine.HostFunc{
			Name: "remember", Params: []string{"token: string", "note: string"}, Result: "string", Traced: true,
			Fn: func(ctx context.Context, args []any) (any, error) {
				vmspan.SetTags(ctx, "password", tagPassword, "session_token", tagToken, "team", controlTag)
				return "remembered", nil
			},
		}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// otelLog keeps everything OpenTelemetry reports to its error handler.
type otelLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func captureOTelErrors(t *testing.T) *otelLog {
	l := &otelLog{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		l.mu.Lock()
		fmt.Fprintln(&l.buf, err)
		l.mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return l
}

func (l *otelLog) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}
