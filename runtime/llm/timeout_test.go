package llm

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

func TestTimeoutsOptionsChecked(t *testing.T) {
	leaf := func(http any) ClientDecl {
		return ClientDecl{Name: "A", Provider: "openai", Pos: "main.baml:1:1", Options: map[string]any{"model": "m", "http": http}}
	}
	strategy := func(http any) ClientDecl {
		return ClientDecl{Name: "F", Provider: "fallback", Pos: "main.baml:9:1", Options: map[string]any{"strategy": []any{"A"}, "http": http}}
	}
	ok := leaf(map[string]any{"connect_timeout_ms": int64(5000), "time_to_first_token_timeout_ms": int64(0),
		"idle_timeout_ms": int64(100), "request_timeout_ms": int64(60000), "enable_connection_pooling": true})
	for _, tc := range []struct {
		name    string
		clients []ClientDecl
		want    string // "" for valid
	}{
		{"valid", []ClientDecl{ok, strategy(map[string]any{"total_timeout_ms": int64(1)})}, ""},
		{"total on a leaf", []ClientDecl{leaf(map[string]any{"total_timeout_ms": int64(1)})}, "unknown option total_timeout_ms"},
		{"connect on a strategy", []ClientDecl{ok, strategy(map[string]any{"connect_timeout_ms": int64(1)})}, "unknown option connect_timeout_ms (want total_timeout_ms)"},
		{"negative", []ClientDecl{leaf(map[string]any{"idle_timeout_ms": int64(-5)})}, "idle_timeout_ms must be a non-negative int"},
		{"string", []ClientDecl{leaf(map[string]any{"request_timeout_ms": "5s"})}, "request_timeout_ms must be a non-negative int"},
		{"env", []ClientDecl{leaf(map[string]any{"connect_timeout_ms": Env{"T"}})}, "connect_timeout_ms must be a non-negative int"},
		{"not a block", []ClientDecl{leaf(int64(5))}, "http must be a block"},
		{"pooling", []ClientDecl{leaf(map[string]any{"enable_connection_pooling": int64(1)})}, "enable_connection_pooling must be true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRuntime(tc.clients, nil)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTimeoutsCompose(t *testing.T) {
	const off = -1
	s := time.Second
	for _, tc := range []struct{ a, b, stricter, withDefaults Timeouts }{
		{Timeouts{}, Timeouts{}, Timeouts{}, DefaultTimeouts()},
		{Timeouts{Connect: 3 * s}, Timeouts{Connect: 5 * s, Idle: 2 * s}, Timeouts{Connect: 3 * s, Idle: 2 * s},
			Timeouts{Connect: 3 * s, FirstToken: DefaultFirstTokenTimeout, Idle: 2 * s, Request: DefaultRequestTimeout}},
		{Timeouts{FirstToken: off}, Timeouts{}, Timeouts{FirstToken: off},
			Timeouts{Connect: DefaultConnectTimeout, FirstToken: off, Idle: DefaultIdleTimeout, Request: DefaultRequestTimeout}},
		{Timeouts{FirstToken: off, Total: 9 * s}, Timeouts{FirstToken: 7 * s, Total: off}, Timeouts{FirstToken: 7 * s, Total: 9 * s},
			Timeouts{Connect: DefaultConnectTimeout, FirstToken: 7 * s, Idle: DefaultIdleTimeout, Request: DefaultRequestTimeout, Total: 9 * s}},
	} {
		if got := tc.a.stricter(tc.b); got != tc.stricter || tc.b.stricter(tc.a) != got {
			t.Errorf("%+v stricter %+v = %+v, want %+v", tc.a, tc.b, got, tc.stricter)
		}
		if got := tc.a.stricter(tc.b).or(DefaultTimeouts()); got != tc.withDefaults {
			t.Errorf("with defaults %+v, want %+v", got, tc.withDefaults)
		}
	}
}

// timeoutRuntime returns a runtime of the stub clients of apis, each retried
// once, with http options; the stub answers every request with reply.
func timeoutRuntime(t *testing.T, reply llmstub.Reply, httpOpts map[string]any, opts ...Option) (*Runtime, *llmstub.Server) {
	t.Helper()
	srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{reply}}))
	return streamRuntime(t, srv, httpOpts, opts...), srv
}

// A reply that does not come times a call out, streamed or not, for every
// provider; each attempt is a failed attempt, retried.
func TestTimeoutsEveryProvider(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply llmstub.Reply
		http  map[string]any
		kind  string
	}{
		{"no headers", llmstub.Reply{Fault: llmstub.FaultHang}, map[string]any{"time_to_first_token_timeout_ms": int64(300)}, TimeoutFirstToken},
		{"headers, no body", llmstub.Reply{Fault: llmstub.FaultStall}, map[string]any{"time_to_first_token_timeout_ms": int64(300)}, TimeoutFirstToken},
		{"request", llmstub.Reply{Fault: llmstub.FaultHang}, map[string]any{"request_timeout_ms": int64(300)}, TimeoutRequest},
		{"first token off", llmstub.Reply{Fault: llmstub.FaultHang},
			map[string]any{"time_to_first_token_timeout_ms": int64(0), "request_timeout_ms": int64(400)}, TimeoutRequest},
	} {
		for _, api := range streamAPIs {
			for _, streamed := range []bool{false, true} {
				name := api + "/" + tc.name
				if streamed {
					name += "/streamed"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					rt, srv := timeoutRuntime(t, tc.reply, tc.http)
					req := Request{Client: api, Prompt: "hi"}
					if streamed {
						req.Partial = func(any) bool { return true }
					}
					res, err := rt.Call(context.Background(), req)
					var te *TimeoutError
					if !errors.As(err, &te) || te.Kind != tc.kind || te.Client != api || te.ErrorCode() != "timeout" {
						t.Fatalf("err = %v, want a %s timeout of client %s", err, tc.kind, api)
					}
					// Each attempt's clock starts before it connects (and, for
					// Bedrock, signs): on a loaded machine the retry may time out
					// before the stub has read its request, so the stub may have
					// seen one request fewer than the attempts made.
					if n := srv.Count(); len(res.Attempts) != 2 || n < 1 || n > 2 {
						t.Fatalf("%d attempts, %d requests, want 2 attempts (a timeout is retried) and their requests", len(res.Attempts), n)
					}
					for _, a := range res.Attempts {
						if a.Err == nil || a.Err.Type != "LLMTimeoutError" || !strings.Contains(a.Err.Message, tc.kind+" timeout") {
							t.Errorf("attempt error %+v", a.Err)
						}
					}
				})
			}
		}
	}
}

// A stream whose chunks keep coming is not idle, however long it lasts;
// its request timeout still bounds it.
func TestTimeoutsSlowStream(t *testing.T) {
	slow := llmstub.Reply{Text: strings.Repeat("x", 40), ChunkSize: 2, ChunkDelay: 40 * time.Millisecond}
	rt, _ := timeoutRuntime(t, slow, map[string]any{"idle_timeout_ms": int64(400)})
	if _, res, err := streamCall(context.Background(), rt, "OpenAI"); err != nil || len(res.Attempts) != 1 {
		t.Fatalf("a stream with chunks every 40ms and an idle bound of 400ms: %v", err)
	}
	rt, _ = timeoutRuntime(t, slow, map[string]any{"idle_timeout_ms": int64(400), "request_timeout_ms": int64(300)})
	_, _, err := streamCall(context.Background(), rt, "OpenAI")
	if te := (*TimeoutError)(nil); !errors.As(err, &te) || te.Kind != TimeoutRequest {
		t.Fatalf("err = %v, want a request timeout", err)
	}
}

// The call's own timeouts, the runtime's defaults and the client's
// options compose: the stricter bound wins, an unset one takes the default.
func TestTimeoutsPerCallAndDefaults(t *testing.T) {
	hang := llmstub.Reply{Fault: llmstub.FaultHang}
	check := func(t *testing.T, err error, kind string, limit time.Duration) {
		t.Helper()
		var te *TimeoutError
		if !errors.As(err, &te) || te.Kind != kind || te.Limit != limit {
			t.Fatalf("err = %v, want a %s timeout of %v", err, kind, limit)
		}
	}
	t.Run("per call", func(t *testing.T) {
		rt, _ := timeoutRuntime(t, hang, map[string]any{"time_to_first_token_timeout_ms": int64(60000)})
		_, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi", Timeouts: Timeouts{FirstToken: 250 * time.Millisecond}})
		check(t, err, TimeoutFirstToken, 250*time.Millisecond)
	})
	t.Run("client stricter than the call", func(t *testing.T) {
		rt, _ := timeoutRuntime(t, hang, map[string]any{"time_to_first_token_timeout_ms": int64(250)})
		_, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi", Timeouts: Timeouts{FirstToken: time.Minute}})
		check(t, err, TimeoutFirstToken, 250*time.Millisecond)
	})
	t.Run("runtime default", func(t *testing.T) {
		rt, _ := timeoutRuntime(t, hang, nil, WithTimeouts(Timeouts{Request: 250 * time.Millisecond}))
		_, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi"})
		check(t, err, TimeoutRequest, 250*time.Millisecond)
	})
	t.Run("call total", func(t *testing.T) {
		rt, _ := timeoutRuntime(t, hang, nil)
		res, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi", Timeouts: Timeouts{Total: 250 * time.Millisecond}})
		check(t, err, TimeoutTotal, 250*time.Millisecond)
		if len(res.Attempts) != 1 || res.Attempts[0].Err.Type != "LLMTimeoutError" {
			t.Errorf("attempts %s, want one ended by the total timeout (not retried)", attemptErrors(res.Attempts))
		}
	})
	t.Run("older request_timeout_ms", func(t *testing.T) {
		srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{hang}}))
		cs := stubClients(t, srv)[:1]
		cs[0].Options["request_timeout_ms"] = Env{"T"}
		rt := mustRuntime(t, cs, nil, WithEnv(func(string) (string, bool) { return "250", true }))
		_, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi"})
		check(t, err, TimeoutRequest, 250*time.Millisecond)
	})
}

// total_timeout_ms bounds a fallback (or round-robin) client's attempts:
// it ends the strategy, whose attempt records the timeout.
func TestTimeoutsStrategyTotal(t *testing.T) {
	for _, provider := range []string{"fallback", "round-robin"} {
		t.Run(provider, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Fault: llmstub.FaultHang}}}))
			cs := append(stubClients(t, srv), ClientDecl{Name: "S", Provider: provider,
				Options: map[string]any{"strategy": []any{"OpenAI", "Claude"}, "http": map[string]any{"total_timeout_ms": int64(300)}}})
			rt := mustRuntime(t, cs, nil)
			res, err := rt.Call(context.Background(), Request{Client: "S", Prompt: "hi"})
			var te *TimeoutError
			if !errors.As(err, &te) || te.Kind != TimeoutTotal || te.Client != "S" || te.Limit != 300*time.Millisecond {
				t.Fatalf("err = %v, want S's total timeout", err)
			}
			if len(res.Attempts) != 1 || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != "LLMTimeoutError" {
				t.Errorf("attempts %s, want one, timed out", attemptErrors(res.Attempts))
			}
		})
	}
}

// A provider that cannot be reached within connect_timeout_ms is a
// connect timeout, retried.
func TestTimeoutsConnect(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	blackhole := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		select { // a dial that gets no answer (the transport dials on after the request is cancelled)
		case <-release:
		case <-ctx.Done():
		}
		return nil, errors.New("no route")
	}}
	defer blackhole.CloseIdleConnections()
	srv := newStubAll(t)
	rt := streamRuntime(t, srv, map[string]any{"connect_timeout_ms": int64(200)}, WithHTTPClient(&http.Client{Transport: blackhole}))
	res, err := rt.Call(context.Background(), Request{Client: "OpenAI", Prompt: "hi"})
	var te *TimeoutError
	if !errors.As(err, &te) || te.Kind != TimeoutConnect || te.Limit != 200*time.Millisecond {
		t.Fatalf("err = %v, want a connect timeout", err)
	}
	if len(res.Attempts) != 2 {
		t.Errorf("%d attempts, want 2", len(res.Attempts))
	}
}

// The watchdog's timer fires at the earliest time a bound could pass; when
// none has, it re-arms: an attempt outlasting its connect bound after it
// connected is not timed out, and a connection begun late is still bounded
// from when it began.
func TestWatchdogRearms(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		ctx, w := watch(context.Background(), "c", Timeouts{Connect: 30 * time.Millisecond, FirstToken: 300 * time.Millisecond}, false)
		defer w.stop()
		trace := w.trace
		trace.GetConn("host:1")
		trace.GotConn(httptrace.GotConnInfo{})
		time.Sleep(100 * time.Millisecond) // the timer fires for the connect bound, and re-arms
		if err := ctx.Err(); err != nil {
			t.Fatalf("timed out after connecting: %v", context.Cause(ctx))
		}
		w.progress() // the first text: no bound is left
		time.Sleep(300 * time.Millisecond)
		if err := ctx.Err(); err != nil {
			t.Fatalf("timed out after the first text: %v", context.Cause(ctx))
		}
	})
	t.Run("late connect", func(t *testing.T) {
		ctx, w := watch(context.Background(), "c", Timeouts{Connect: 50 * time.Millisecond, FirstToken: 5 * time.Second}, false)
		defer w.stop()
		time.Sleep(80 * time.Millisecond)
		w.trace.GetConn("host:1") // begins after the connect bound's first firing
		<-ctx.Done()
		var te *TimeoutError
		if !errors.As(context.Cause(ctx), &te) || te.Kind != TimeoutConnect || w.timedOut() != te {
			t.Fatalf("cause %v, want a connect timeout", context.Cause(ctx))
		}
	})
	t.Run("idle", func(t *testing.T) {
		ctx, w := watch(context.Background(), "c", Timeouts{Idle: 80 * time.Millisecond, FirstToken: 5 * time.Second}, true)
		defer w.stop()
		for range 5 {
			time.Sleep(30 * time.Millisecond)
			w.firstText()
			w.progress() // chunks keep coming
		}
		if err := ctx.Err(); err != nil {
			t.Fatalf("timed out while chunks came: %v", context.Cause(ctx))
		}
		<-ctx.Done()
		var te *TimeoutError
		if !errors.As(context.Cause(ctx), &te) || te.Kind != TimeoutIdle {
			t.Fatalf("cause %v, want an idle timeout", context.Cause(ctx))
		}
	})
}
