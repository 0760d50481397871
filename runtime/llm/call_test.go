package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	openAIKey    = "sk-test-SECRET-openai-0123456789"
	anthropicKey = "sk-ant-test-SECRET-0123456789"
)

// A testEnv is a mutable environment for WithEnv.
type testEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *testEnv) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.vars[k]
	return v, ok
}

func (e *testEnv) set(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
}

// A sleeper records the waits between retries and returns at once.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) durations() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// A fixture is a stub server and a Runtime whose clients talk to it.
type fixture struct {
	srv   *llmstub.Server
	rt    *Runtime
	env   *testEnv
	sleep *sleeper
}

// The SPEC §2 client, and its Anthropic twin.
var (
	fastClient = ClientDecl{Name: "Fast", Provider: "openai", Pos: "main.baml:1:1", Options: map[string]any{
		"model": "gpt-4o-mini", "base_url": Env{"OPENAI_BASE_URL"}, "api_key": Env{"OPENAI_API_KEY"}}}
	claudeClient = ClientDecl{Name: "Claude", Provider: "anthropic", Pos: "main.baml:5:1", Options: map[string]any{
		"model": "claude-3-5-haiku-latest", "base_url": Env{"ANTHROPIC_BASE_URL"}, "api_key": Env{"ANTHROPIC_API_KEY"}}}
)

// withModel returns a copy of base with another name, model and retry policy.
func withModel(base ClientDecl, name, model, policy string) ClientDecl {
	opts := map[string]any{}
	for k, v := range base.Options {
		opts[k] = v
	}
	opts["model"] = model
	base.Name, base.Options, base.RetryPolicy = name, opts, policy
	return base
}

func newFixture(t *testing.T, clients []ClientDecl, policies []RetryPolicyDecl, rules ...llmstub.Rule) *fixture {
	t.Helper()
	srv := llmstub.New(llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(rules...))
	t.Cleanup(srv.Close)
	f := &fixture{srv: srv, sleep: &sleeper{}, env: &testEnv{vars: map[string]string{
		"OPENAI_BASE_URL": srv.URL(), "OPENAI_API_KEY": openAIKey,
		"ANTHROPIC_BASE_URL": srv.URL(), "ANTHROPIC_API_KEY": anthropicKey,
	}}}
	f.rt = mustRuntime(t, append([]ClientDecl{fastClient, claudeClient}, clients...), policies,
		WithEnv(f.env.lookup), WithSleep(f.sleep.sleep), WithPropagator(w3c))
	return f
}

// w3c is the propagator of the tests: W3C trace context and baggage.
var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// liveAttempts is a vmspan.AttemptSink that plays the OpenTelemetry bridge
// without the SDK: the ctx of attempt n carries a span context with the
// attempt's deterministic ids, sampled unless dropped is set, and it keeps
// the records the attempts end with.
type liveAttempts struct {
	mu      sync.Mutex
	dropped bool
	started int
	ended   []vmspan.LLMAttempt
}

func (l *liveAttempts) Emit(*vmspan.Event) {}

func (l *liveAttempts) StartAttempt(ctx context.Context, fn *vmspan.Event, n int, a *vmspan.LLMAttempt) context.Context {
	l.mu.Lock()
	l.started++
	l.mu.Unlock()
	flags := trace.FlagsSampled
	if l.dropped {
		flags = 0
	}
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: fn.TraceID, SpanID: vmspan.AttemptSpanID(fn.Span.ID, n), TraceFlags: flags, TraceState: trace.SpanContextFromContext(ctx).TraceState()}))
}

func (l *liveAttempts) EndAttempt(ctx context.Context, fn *vmspan.Event, a *vmspan.LLMAttempt) {
	l.mu.Lock()
	l.ended = append(l.ended, *a)
	l.mu.Unlock()
}

func ptr(n int64) *int64 { return &n }

func show(n *int64) string {
	if n == nil {
		return "nil"
	}
	return strconv.FormatInt(*n, 10)
}

func (f *fixture) port(t *testing.T) int {
	u, _ := url.Parse(f.srv.URL())
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCallSPECExample(t *testing.T) {
	for _, tt := range []struct{ client, provider, model, finish, idPrefix, path string }{
		{"Fast", "openai", "gpt-4o-mini", "stop", "chatcmpl-", "/chat/completions"},
		{"Claude", "anthropic", "claude-3-5-haiku-latest", "end_turn", "msg_", "/v1/messages"},
	} {
		t.Run(tt.provider, func(t *testing.T) {
			f := newFixture(t, nil, nil)
			res, err := f.rt.Call(context.Background(), classifyRequest(tt.client))
			if err != nil {
				t.Fatal(err)
			}
			if want := ticket("Checkout is down for all users", 1); !reflect.DeepEqual(res.Value, want) {
				t.Errorf("ClassifyTicket = %#v, want %#v", res.Value, want)
			}
			if len(res.Attempts) != 1 {
				t.Fatalf("attempts = %d, want 1", len(res.Attempts))
			}
			a := res.Attempts[0]
			if a.Client != tt.client || a.Provider != tt.provider || a.Model != tt.model || a.ResponseModel != tt.model ||
				!strings.HasPrefix(a.ResponseID, tt.idPrefix) || a.FinishReason != tt.finish || !a.Selected || a.Err != nil {
				t.Errorf("attempt = %+v", a)
			}
			if a.ServerAddress != "127.0.0.1" || a.ServerPort != f.port(t) {
				t.Errorf("server = %s:%d, want 127.0.0.1:%d", a.ServerAddress, a.ServerPort, f.port(t))
			}
			if a.Usage.InputTokens == nil || a.Usage.OutputTokens == nil || *a.Usage.OutputTokens == 0 {
				t.Errorf("usage = %+v, want input and output tokens", a.Usage)
			}
			if a.Request.Method != "POST" || a.Request.URL != f.srv.URL()+tt.path || a.Response.Status != 200 ||
				!strings.Contains(a.Response.Body, `"priority`) || !strings.Contains(a.Output, "```json") {
				t.Errorf("request %+v\nresponse %+v\noutput %q", a.Request, a.Response, a.Output)
			}
			if !reflect.DeepEqual(a.Messages, res.Messages) || len(res.Messages) != 2 || res.Messages[1].Content != ticketBody {
				t.Errorf("messages = %+v", res.Messages)
			}

			res, err = f.rt.Call(context.Background(), headlineRequest(tt.client))
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != "Checkout is down for all users" {
				t.Errorf("Headline = %#v", res.Value)
			}
		})
	}
}

// TestCallUsageAndFinishReason checks token counts with the GenAI
// conventions' meaning: the input count includes cached tokens (OpenAI's
// prompt_tokens does; Anthropic's input_tokens leaves out cache reads and
// writes, which are added), the output count reasoning tokens.
func TestCallUsageAndFinishReason(t *testing.T) {
	for _, tt := range []struct {
		client                               string
		usage                                llmstub.Usage
		in, out, cached, creation, reasoning *int64
	}{
		{"Fast", llmstub.Usage{Input: 120, Output: 7, Cached: 100, Reasoning: 3}, ptr(120), ptr(7), ptr(100), nil, ptr(3)},
		{"Claude", llmstub.Usage{Input: 20, Output: 7, Cached: 100, CacheCreation: 30}, ptr(150), ptr(7), ptr(100), ptr(30), nil},
	} {
		t.Run(tt.client, func(t *testing.T) {
			reply := llmstub.Reply{Text: "ok", FinishReason: "length", Model: "served-model", Usage: &tt.usage}
			f := newFixture(t, nil, nil, llmstub.Rule{Replies: []llmstub.Reply{reply}})
			res, err := f.rt.Call(context.Background(), headlineRequest(tt.client))
			if err != nil {
				t.Fatal(err)
			}
			a := res.Attempts[0]
			u := a.Usage
			for _, c := range []struct {
				name      string
				got, want *int64
			}{{"input", u.InputTokens, tt.in}, {"output", u.OutputTokens, tt.out}, {"cached", u.CachedInputTokens, tt.cached},
				{"cache creation", u.CacheCreationInputTokens, tt.creation}, {"reasoning", u.ReasoningTokens, tt.reasoning}} {
				if (c.got == nil) != (c.want == nil) || c.got != nil && *c.got != *c.want {
					t.Errorf("%s tokens = %s, want %s", c.name, show(c.got), show(c.want))
				}
			}
			if a.FinishReason != "length" || a.ResponseModel != "served-model" {
				t.Errorf("finish %q, response model %q", a.FinishReason, a.ResponseModel)
			}
		})
	}
}

func TestCallRetryAfter429(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Twice", Fields: map[string]any{"max_retries": int64(2),
		"strategy": map[string]any{"type": "constant_delay", "delay_ms": int64(100)}}}}
	for _, base := range []ClientDecl{fastClient, claudeClient} {
		t.Run(base.Provider, func(t *testing.T) {
			f := newFixture(t, []ClientDecl{withModel(base, "Retrying", "m-retry", "Twice")}, policies,
				llmstub.Rule{Model: "m-retry", Replies: []llmstub.Reply{
					{Status: 429, Text: "rate limited", Header: map[string]string{"Retry-After": "2"}},
					{Text: "fine now"},
				}})
			res, err := f.rt.Call(context.Background(), headlineRequest("Retrying"))
			if err != nil || res.Value != "fine now" {
				t.Fatalf("Call = %v, %v", res.Value, err)
			}
			if len(res.Attempts) != 2 {
				t.Fatalf("attempts = %d, want 2", len(res.Attempts))
			}
			first, second := res.Attempts[0], res.Attempts[1]
			if first.Selected || first.Err == nil || first.Err.Type != "LLMHTTPError" || first.Response.Status != 429 ||
				!strings.Contains(first.Err.Message, "rate limited") {
				t.Errorf("first attempt = %+v (err %+v)", first, first.Err)
			}
			if !second.Selected || second.Err != nil || second.Output != "fine now" {
				t.Errorf("second attempt = %+v", second)
			}
			if got, want := f.sleep.durations(), []time.Duration{2 * time.Second}; !reflect.DeepEqual(got, want) {
				t.Errorf("slept %v, want %v (Retry-After beats delay_ms)", got, want)
			}
		})
	}
}

func TestCallRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	policies := []RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}
	srv := llmstub.New(llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{
		{Status: 503, Header: map[string]string{"Retry-After": now.Add(3 * time.Second).Format(time.RFC1123)}},
		{Text: "ok"},
	}}))
	defer srv.Close()
	s := &sleeper{}
	rt := mustRuntime(t, []ClientDecl{{Name: "C", Provider: "ollama", RetryPolicy: "Once", Options: map[string]any{"model": "llama3", "base_url": srv.URL()}}},
		policies, WithSleep(s.sleep), WithClock(func() time.Time { return now }))
	if _, err := rt.Call(context.Background(), headlineRequest("C")); err != nil {
		t.Fatal(err)
	}
	if got, want := s.durations(), []time.Duration{3 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
}

func TestCallExponentialBackoff(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Exp", Fields: map[string]any{"max_retries": int64(3),
		"strategy": map[string]any{"type": "exponential_backoff", "delay_ms": int64(100), "multiplier": 2.0, "max_delay_ms": int64(300)}}}}
	f := newFixture(t, []ClientDecl{withModel(fastClient, "E", "m-exp", "Exp")}, policies,
		llmstub.Rule{Model: "m-exp", Replies: []llmstub.Reply{{Status: 500}, {Status: 502}, {Status: 503}, {Text: "ok"}}})
	res, err := f.rt.Call(context.Background(), headlineRequest("E"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attempts) != 4 || !res.Attempts[3].Selected {
		t.Errorf("attempts = %d, want 4 with the last selected", len(res.Attempts))
	}
	if got, want := f.sleep.durations(), []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
}

func TestCallRetryLimits(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Two", Fields: map[string]any{"max_retries": int64(2)}}}
	tests := []struct {
		name     string
		replies  []llmstub.Reply
		attempts int
		status   int
	}{
		{"gives up after max_retries", []llmstub.Reply{{Status: 500, Text: "boom"}}, 3, 500},
		{"no retry on 400", []llmstub.Reply{{Status: 400, Text: "bad request"}, {Text: "never"}}, 1, 400},
		{"no retry on 401", []llmstub.Reply{{Status: 401}, {Text: "never"}}, 1, 401},
		{"Retry-After too long", []llmstub.Reply{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}, {Text: "never"}}, 1, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, []ClientDecl{withModel(fastClient, "R", "m", "Two")}, policies, llmstub.Rule{Model: "m", Replies: tt.replies})
			res, err := f.rt.Call(context.Background(), headlineRequest("R"))
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != tt.status || he.ErrorType() != "LLMHTTPError" {
				t.Fatalf("err = %v, want *HTTPError %d", err, tt.status)
			}
			if len(res.Attempts) != tt.attempts {
				t.Errorf("attempts = %d, want %d", len(res.Attempts), tt.attempts)
			}
			for _, a := range res.Attempts {
				if a.Selected || a.Err == nil {
					t.Errorf("attempt %+v: want failed and not selected", a)
				}
			}
		})
	}
}

func TestCallTransportErrorRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	s := &sleeper{}
	rt := mustRuntime(t, []ClientDecl{{Name: "Dead", Provider: "openai-generic", RetryPolicy: "Once", Options: map[string]any{"model": "m", "base_url": dead}}},
		[]RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}, WithSleep(s.sleep))
	res, err := rt.Call(context.Background(), headlineRequest("Dead"))
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TransportError", err)
	}
	if len(res.Attempts) != 2 || res.Attempts[1].Err.Type != "LLMTransportError" || res.Attempts[1].Response != nil {
		t.Errorf("attempts = %+v", res.Attempts)
	}
}

func TestCallFallback(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}
	clients := []ClientDecl{
		withModel(fastClient, "Broken", "broken-model", "Once"),
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"Broken", "Claude"}}},
	}
	f := newFixture(t, clients, policies, llmstub.Rule{Model: "broken-model", Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}}})
	tracer := vmspan.NewTracer(&liveAttempts{}, vmspan.WithIDs(vmspan.SequentialIDs()))
	ctx, span := tracer.Start(context.Background(), "handler")
	defer span.End(nil, nil)

	res, err := f.rt.Call(ctx, classifyRequest("Chain"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Attempts {
		got = append(got, fmt.Sprintf("%s/%s selected=%v failed=%v", a.Client, a.Provider, a.Selected, a.Err != nil))
	}
	want := []string{"Broken/openai selected=false failed=true", "Broken/openai selected=false failed=true", "Claude/anthropic selected=true failed=false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attempts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Attempt numbers run across retries and fallbacks.
	for i, r := range f.srv.Requests() {
		if want := expectedTraceparent(span, i); r.Header.Get("traceparent") != want {
			t.Errorf("request %d traceparent = %q, want %q", i, r.Header.Get("traceparent"), want)
		}
	}
}

func TestCallFallbackAllFail(t *testing.T) {
	clients := []ClientDecl{
		withModel(fastClient, "A", "bad-a", ""), withModel(claudeClient, "B", "bad-b", ""),
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"A", "B"}}},
	}
	f := newFixture(t, clients, nil, llmstub.Rule{Model: "bad-a", Replies: []llmstub.Reply{{Status: 503}}},
		llmstub.Rule{Model: "bad-b", Replies: []llmstub.Reply{{Status: 400, Text: "nope"}}})
	res, err := f.rt.Call(context.Background(), headlineRequest("Chain"))
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 400 || !strings.Contains(err.Error(), "all 2 strategy clients failed") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Attempts) != 2 {
		t.Errorf("attempts = %d, want 2", len(res.Attempts))
	}
}

func TestCallRoundRobin(t *testing.T) {
	clients := []ClientDecl{{Name: "RR", Provider: "round-robin", Options: map[string]any{"strategy": []any{"Fast", "Claude"}}}}
	f := newFixture(t, clients, nil)
	var got []string
	for range 4 {
		res, err := f.rt.Call(context.Background(), headlineRequest("RR"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Attempts[0].Client)
	}
	if want := []string{"Fast", "Claude", "Fast", "Claude"}; !reflect.DeepEqual(got, want) {
		t.Errorf("clients = %v, want %v", got, want)
	}
}

func TestCallParseErrorNotRetried(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Two", Fields: map[string]any{"max_retries": int64(2)}}}
	reply := "Sure:\n```json\n{\"title\": \"Checkout down\", \"priority\": \"high\"}\n```"
	f := newFixture(t, []ClientDecl{withModel(fastClient, "F", "m", "Two")}, policies, llmstub.Rule{Replies: []llmstub.Reply{{Text: reply}}})
	res, err := f.rt.Call(context.Background(), classifyRequest("F"))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ParseError", err)
	}
	want := `cannot parse LLM output of ClassifyTicket: field "priority": want int, got "high"; reply starts: "Sure:\n` + "```json"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %s\nwant prefix %s", err, want)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Selected || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != "LLMParseError" {
		t.Errorf("attempts = %+v", res.Attempts)
	}
}

func TestCallMalformedBody(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Two", Fields: map[string]any{"max_retries": int64(2)}}}
	for _, base := range []ClientDecl{fastClient, claudeClient} {
		t.Run(base.Provider, func(t *testing.T) {
			f := newFixture(t, []ClientDecl{withModel(base, "F", "m", "Two")}, policies, llmstub.Rule{Replies: []llmstub.Reply{{Body: `{"choices": [`}}})
			res, err := f.rt.Call(context.Background(), headlineRequest("F"))
			var re *ResponseError
			if !errors.As(err, &re) || len(res.Attempts) != 1 || res.Attempts[0].Err.Type != "LLMResponseError" {
				t.Fatalf("err = %v, attempts %d", err, len(res.Attempts))
			}
		})
	}
}

func TestCallSecretsRedacted(t *testing.T) {
	clients := []ClientDecl{
		{Name: "Leaky", Provider: "openai", Options: map[string]any{"model": "leaky", "base_url": Env{"OPENAI_BASE_URL"}, "api_key": Env{"OPENAI_API_KEY"},
			"headers": map[string]any{"X-Service-Token": "svc-token-SECRET-42", "X-Team": "core"}}},
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"Leaky", "Claude"}}},
	}
	f := newFixture(t, clients, nil, llmstub.Rule{Model: "leaky", Replies: []llmstub.Reply{
		{Status: 401, Text: "Incorrect API key provided: " + openAIKey + "."},
	}}, llmstub.Rule{API: "anthropic", Respond: func(r llmstub.Request) llmstub.Reply {
		return llmstub.Reply{Text: "you said: " + r.Prompt()} // echoes the key pasted into the prompt
	}})
	req := headlineRequest("Chain")
	req.Args = []vmspan.Arg{{Name: "body", Value: "my keys are " + openAIKey + " and " + anthropicKey}}
	res, err := f.rt.Call(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res.Attempts)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{openAIKey, anthropicKey, "svc-token-SECRET-42"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("attempts contain %q:\n%s", secret, b)
		}
	}
	a := res.Attempts[0]
	if a.Request.Headers["Authorization"] != vmspan.Redacted || a.Request.Headers["X-Service-Token"] != vmspan.Redacted || a.Request.Headers["X-Team"] != "core" {
		t.Errorf("request headers = %v", a.Request.Headers)
	}
	if res.Attempts[1].Request.Headers["X-Api-Key"] != vmspan.Redacted {
		t.Errorf("anthropic request headers = %v", res.Attempts[1].Request.Headers)
	}
	// The requests themselves carried the real keys.
	if r := f.srv.Requests(); r[0].Header.Get("Authorization") != "Bearer "+openAIKey || r[1].Header.Get("X-Api-Key") != anthropicKey {
		t.Errorf("the stub did not receive the keys")
	}
}

func TestCallHTTPErrorRedacted(t *testing.T) {
	f := newFixture(t, nil, nil, llmstub.Rule{Replies: []llmstub.Reply{{Status: 401, Text: "bad key " + openAIKey}}})
	_, err := f.rt.Call(context.Background(), headlineRequest("Fast"))
	if err == nil || strings.Contains(err.Error(), openAIKey) || !strings.Contains(err.Error(), "bad key [REDACTED]") {
		t.Errorf("err = %v", err)
	}
}

func expectedTraceparent(span *vmspan.Span, attempt int) string {
	return fmt.Sprintf("00-%s-%s-01", span.TraceID(), vmspan.AttemptSpanID(span.SpanContext().ID, attempt))
}

// TestCallTraceparent checks that each attempt is started live before its
// request, whose traceparent names the attempt's span (with its sampling
// decision), and ended once with its record, which gets the span's ids.
func TestCallTraceparent(t *testing.T) {
	for _, dropped := range []bool{false, true} {
		t.Run(fmt.Sprint("dropped=", dropped), func(t *testing.T) {
			policies := []RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}
			f := newFixture(t, []ClientDecl{withModel(fastClient, "R", "m", "Once")}, policies,
				llmstub.Rule{Model: "m", Replies: []llmstub.Reply{{Status: 429}, {Text: "ok"}}})
			live := &liveAttempts{dropped: dropped}
			tracer := vmspan.NewTracer(live, vmspan.WithIDs(vmspan.SequentialIDs()))
			ctx, span := tracer.Start(context.Background(), "ClassifyTicket")
			defer span.End(nil, nil)
			res, err := f.rt.Call(ctx, headlineRequest("R"))
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.srv.Requests()
			if len(reqs) != 2 || live.started != 2 || len(live.ended) != 2 {
				t.Fatalf("%d requests, %d attempts started, %d ended; want 2 each", len(reqs), live.started, len(live.ended))
			}
			for i, r := range reqs {
				got := r.Header.Get("traceparent")
				want := expectedTraceparent(span, i)
				if dropped {
					want = strings.TrimSuffix(want, "-01") + "-00"
				}
				if got != want {
					t.Errorf("attempt %d: traceparent %q, want %q", i, got, want)
				}
				ids := res.Attempts[i].OTel
				if ids == nil || ids.SpanID != vmspan.AttemptSpanID(span.SpanContext().ID, i) || ids.Sampled == dropped {
					t.Errorf("attempt %d: recorded ids %+v", i, ids)
				}
			}
			if e := live.ended[0]; e.Err == nil || e.Err.Code != "429" || e.Selected {
				t.Errorf("first attempt ended with %+v, want the 429", e.Err)
			}
			if e := live.ended[1]; e.Err != nil || !e.Selected || e.Usage.OutputTokens == nil {
				t.Errorf("second attempt ended as %+v, want the selected one with its usage", e)
			}
		})
	}
}

func TestCallTraceparentFromOTelSpan(t *testing.T) {
	f := newFixture(t, nil, nil)
	ts, err := trace.ParseTraceState("vendor=abc")
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled, TraceState: ts,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	member, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(member)
	ctx = baggage.ContextWithBaggage(ctx, bag)
	if _, err := f.rt.Call(ctx, headlineRequest("Fast")); err != nil {
		t.Fatal(err)
	}
	h := f.srv.Requests()[0].Header
	if got, want := h.Get("traceparent"), "00-0102030405060708090a0b0c0d0e0f10-0102030405060708-01"; got != want {
		t.Errorf("traceparent = %q, want %q", got, want)
	}
	if got := h.Get("tracestate"); got != "vendor=abc" {
		t.Errorf("tracestate = %q", got)
	}
	if got := h.Get("baggage"); got != "tenant=acme" {
		t.Errorf("baggage = %q", got)
	}
}

func TestCallNoTraceparentWithoutSpan(t *testing.T) {
	f := newFixture(t, nil, nil)
	if _, err := f.rt.Call(context.Background(), headlineRequest("Fast")); err != nil {
		t.Fatal(err)
	}
	if h := f.srv.Requests()[0].Header; h.Get("traceparent") != "" {
		t.Errorf("traceparent = %q, want none", h.Get("traceparent"))
	}
}

func TestCallCancelDuringSlowReply(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Two", Fields: map[string]any{"max_retries": int64(2)}}}
	received := make(chan struct{}, 1)
	f := newFixture(t, []ClientDecl{withModel(claudeClient, "Slow", "slow", "Two")}, policies, llmstub.Rule{Model: "slow", Respond: func(llmstub.Request) llmstub.Reply {
		received <- struct{}{}
		return llmstub.Reply{Text: "too late", Delay: time.Hour}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-received
		cancel()
	}()
	res, err := f.rt.Call(ctx, headlineRequest("Slow")) // returns only once the cancellation stops the request
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != "Canceled" {
		t.Errorf("attempts = %+v, want one canceled attempt (not retried)", res.Attempts)
	}
}

func TestCallRequestTimeout(t *testing.T) {
	policies := []RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}
	c := withModel(fastClient, "T", "slow", "Once")
	c.Options["request_timeout_ms"] = int64(20)
	f := newFixture(t, []ClientDecl{c}, policies, llmstub.Rule{Model: "slow", Replies: []llmstub.Reply{{Text: "late", Delay: time.Hour}}})
	res, err := f.rt.Call(context.Background(), headlineRequest("T"))
	var te *TimeoutError
	if !errors.As(err, &te) || te.Kind != TimeoutRequest || te.Limit != 20*time.Millisecond {
		t.Fatalf("err = %v, want a request *TimeoutError of 20ms", err)
	}
	if len(res.Attempts) != 2 {
		t.Errorf("attempts = %d, want 2 (a timeout is retried)", len(res.Attempts))
	}
}

func TestCallEnvReadAtCallTime(t *testing.T) {
	f := newFixture(t, nil, nil)
	other := llmstub.New()
	defer other.Close()
	if _, err := f.rt.Call(context.Background(), headlineRequest("Fast")); err != nil {
		t.Fatal(err)
	}
	f.env.set("OPENAI_BASE_URL", other.URL())
	f.env.set("OPENAI_API_KEY", "sk-rotated-key")
	if _, err := f.rt.Call(context.Background(), headlineRequest("Fast")); err != nil {
		t.Fatal(err)
	}
	if n := len(other.Requests()); n != 1 || other.Requests()[0].Header.Get("Authorization") != "Bearer sk-rotated-key" {
		t.Errorf("the second call did not use the new environment")
	}
}

func TestCallMissingEnv(t *testing.T) {
	tests := []struct {
		name   string
		client ClientDecl
		want   string
	}{
		{"api_key option", fastClient, "main.baml:1:1: client Fast: api_key: environment variable OPENAI_API_KEY is not set"},
		{"default api_key", ClientDecl{Name: "D", Provider: "openai", Options: map[string]any{"model": "m"}}, "client D: api_key: environment variable OPENAI_API_KEY is not set"},
		{"header", ClientDecl{Name: "H", Provider: "ollama", Options: map[string]any{"model": "m", "headers": map[string]any{"X-Token": Env{"MY_TOKEN"}}}}, "client H: headers.X-Token: environment variable MY_TOKEN is not set"},
		{"generic base_url", ClientDecl{Name: "G", Provider: "openai-generic", Options: map[string]any{"model": "m", "base_url": Env{"VLLM_URL"}}}, "client G: base_url: environment variable VLLM_URL is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := mustRuntime(t, []ClientDecl{tt.client}, nil, WithEnv(func(string) (string, bool) { return "", false }))
			res, err := rt.Call(context.Background(), headlineRequest(tt.client.Name))
			var ce *ConfigError
			if !errors.As(err, &ce) || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if len(res.Attempts) != 0 {
				t.Errorf("attempts = %d, want none (no request was made)", len(res.Attempts))
			}
		})
	}
}

func TestCallShorthandClient(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, name := range []string{"openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest"} {
		res, err := f.rt.Call(context.Background(), classifyRequest(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		provider, model, _ := strings.Cut(name, "/")
		if a := res.Attempts[0]; a.Client != name || a.Provider != provider || a.Model != model {
			t.Errorf("attempt = %+v", a)
		}
	}
	for _, name := range []string{"nope/x", "openai/", "Missing", "fallback/x"} {
		if err := f.rt.ValidateClient(name); err == nil {
			t.Errorf("ValidateClient(%q) = nil, want an error", name)
		}
	}
}

func TestCallRequestBody(t *testing.T) {
	clients := []ClientDecl{
		{Name: "O", Provider: "openai", Options: map[string]any{"model": "gpt", "base_url": Env{"OPENAI_BASE_URL"}, "api_key": Env{"OPENAI_API_KEY"},
			"temperature": 0.2, "max_tokens": int64(100), "top_p": 0.9, "seed": Env{"SEED"}, "headers": map[string]any{"X-Team": "core"},
			"default_role": "user", "allowed_roles": []any{"user"}}},
		{Name: "A", Provider: "anthropic", Options: map[string]any{"model": "claude", "base_url": Env{"ANTHROPIC_BASE_URL"}, "api_key": Env{"ANTHROPIC_API_KEY"},
			"headers": map[string]any{"anthropic-version": "2024-01-01"}}},
	}
	f := newFixture(t, clients, nil)
	f.env.set("SEED", "7")
	for _, c := range []string{"O", "A"} {
		if _, err := f.rt.Call(context.Background(), headlineRequest(c)); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.srv.Requests()
	var o, a map[string]any
	if err := json.Unmarshal(reqs[0].Body, &o); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(reqs[1].Body, &a); err != nil {
		t.Fatal(err)
	}
	wantO := map[string]any{"model": "gpt", "temperature": 0.2, "max_tokens": 100.0, "top_p": 0.9, "seed": "7",
		"messages": []any{map[string]any{"role": "user", "content": "One line headline for: " + ticketBody}}}
	if !reflect.DeepEqual(o, wantO) {
		t.Errorf("openai body = %v\nwant %v", o, wantO)
	}
	if reqs[0].Header.Get("X-Team") != "core" || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("openai headers = %v", reqs[0].Header)
	}
	// A prompt without roles is one system message; Anthropic needs a user message.
	wantA := map[string]any{"model": "claude", "max_tokens": 4096.0,
		"messages": []any{map[string]any{"role": "user", "content": "One line headline for: " + ticketBody}}}
	if !reflect.DeepEqual(a, wantA) {
		t.Errorf("anthropic body = %v\nwant %v", a, wantA)
	}
	if reqs[1].Header.Get("Anthropic-Version") != "2024-01-01" {
		t.Errorf("anthropic-version = %q, want the client's header to win", reqs[1].Header.Get("Anthropic-Version"))
	}
}

func TestCallAnthropicSystemPrompt(t *testing.T) {
	f := newFixture(t, nil, nil)
	res, err := f.rt.Call(context.Background(), classifyRequest("Claude"))
	if err != nil {
		t.Fatal(err)
	}
	if mt := res.Attempts[0].MaxTokens; mt == nil || *mt != 4096 {
		t.Errorf("MaxTokens = %v, want the default 4096 recorded", mt)
	}
	var body struct {
		System   string           `json:"system"`
		Messages []vmspan.Message `json:"messages"`
	}
	if err := json.Unmarshal(f.srv.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.System, "Read the ticket") || len(body.Messages) != 1 || body.Messages[0].Role != "user" {
		t.Errorf("body = %+v", body)
	}
}

func TestCallConcurrent(t *testing.T) {
	clients := []ClientDecl{{Name: "RR", Provider: "round-robin", Options: map[string]any{"strategy": []any{"Fast", "Claude"}}}}
	f := newFixture(t, clients, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				res, err := f.rt.Call(context.Background(), classifyRequest("RR"))
				if err != nil || !res.Attempts[0].Selected {
					t.Errorf("Call: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := f.srv.Count(); n != 40 {
		t.Errorf("requests = %d, want 40", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(time.RFC1123), 90 * time.Second},
		{now.Add(-time.Hour).Format(time.RFC1123), 0},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestLiveAttemptRedactsLaterSecrets: an attempt that fails before the
// fallback reaches another client is ended live with a record redacted of
// that client's key too (a key may sit in the prompt that every attempt
// sends).
func TestLiveAttemptRedactsLaterSecrets(t *testing.T) {
	clients := []ClientDecl{
		withModel(fastClient, "Broken", "broken-model", ""),
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"Broken", "Claude"}}},
	}
	f := newFixture(t, clients, nil, llmstub.Rule{Model: "broken-model", Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}}})
	live := &liveAttempts{}
	ctx, span := vmspan.NewTracer(live).Start(context.Background(), "Headline")
	defer span.End(nil, nil)
	req := headlineRequest("Chain")
	req.Args = []vmspan.Arg{{Name: "body", Value: "the key is " + anthropicKey}}
	if _, err := f.rt.Call(ctx, req); err != nil {
		t.Fatal(err)
	}
	if len(live.ended) != 2 {
		t.Fatalf("%d attempts ended, want 2", len(live.ended))
	}
	for i, a := range live.ended {
		if s := fmt.Sprintf("%+v", a.Messages); strings.Contains(s, anthropicKey) || !strings.Contains(s, vmspan.Redacted) {
			t.Errorf("attempt %d ended with messages %s", i, s)
		}
	}
}

// Request.NoHTTPRecords leaves the attempts' HTTP records out, and only
// them, for every provider (Bedrock's SDK too), streamed or not, and for a
// reply that fails; without it every attempt has both.
func TestCallNoHTTPRecords(t *testing.T) {
	var n atomic.Int64 // every call's first request fails, its retry succeeds
	srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Respond: func(llmstub.Request) llmstub.Reply {
		if n.Add(1)%2 == 1 {
			return llmstub.Reply{Status: 503}
		}
		return llmstub.Reply{Text: "fine", ChunkSize: 2}
	}}))
	rt := streamRuntime(t, srv, nil)
	for _, c := range stubClients(t, srv) {
		for _, streamed := range []bool{false, true} {
			for _, off := range []bool{false, true} {
				req := Request{Function: "F", Client: c.Name, Prompt: `{{ _.role("user") }} hi`, NoHTTPRecords: off}
				if streamed {
					req.Partial = func(any) bool { return true }
				}
				res, err := rt.Call(context.Background(), req)
				if err != nil || res.Value != "fine" || len(res.Attempts) != 2 {
					t.Fatalf("%s streamed=%v: %v, %v, %d attempts", c.Name, streamed, res.Value, err, len(res.Attempts))
				}
				for i, a := range res.Attempts {
					if off != (a.Request == nil) || off != (a.Response == nil) {
						t.Errorf("%s streamed=%v NoHTTPRecords=%v: attempt %d records %+v, %+v", c.Name, streamed, off, i, a.Request, a.Response)
					}
					if a.Model == "" || a.Duration <= 0 || (i == 0) != (a.Err != nil) {
						t.Errorf("%s streamed=%v: attempt %d lost more than its records: %+v", c.Name, streamed, i, a)
					}
				}
			}
		}
	}
}

// A client's endpoint is resolved once while its environment variables
// keep their values; a changed variable (here the API key, then a provider
// default read only when the option is absent) is read by the next call.
func TestEndpointFollowsEnv(t *testing.T) {
	f := newFixture(t, []ClientDecl{{Name: "Default", Provider: "openai", Options: map[string]any{
		"model": "gpt-4o-mini", "base_url": Env{"OPENAI_BASE_URL"}}}}, nil)
	auth := func(client string) string {
		t.Helper()
		if _, err := f.rt.Call(context.Background(), headlineRequest(client)); err != nil {
			t.Fatal(err)
		}
		reqs := f.srv.Requests()
		return reqs[len(reqs)-1].Header.Get("Authorization")
	}
	for _, client := range []string{"Fast", "Default"} {
		for _, key := range []string{"sk-first-key", "sk-first-key", "sk-second-key", "sk-first-key"} {
			f.env.set("OPENAI_API_KEY", key)
			if got := auth(client); got != "Bearer "+key {
				t.Errorf("%s with OPENAI_API_KEY=%s: Authorization %q", client, key, got)
			}
		}
	}
}
