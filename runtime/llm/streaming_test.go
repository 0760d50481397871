package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// streamAPIs are the clients of stubClients with a stream decoder of their
// own (the others share one of these).
var streamAPIs = []string{"OpenAI", "Claude", "Gemini", "Responses", "Bedrock"}

// streamRuntime returns a runtime over every stub client, each retried once
// (without waiting) and given the http options, when not nil.
func streamRuntime(t *testing.T, srv *llmstub.Server, httpOpts map[string]any, opts ...Option) *Runtime {
	t.Helper()
	cs := stubClients(t, srv)
	for i := range cs {
		cs[i].RetryPolicy = "Once"
		if httpOpts != nil {
			cs[i].Options["http"] = httpOpts
		}
	}
	policies := []RetryPolicyDecl{{Name: "Once", Fields: map[string]any{"max_retries": int64(1)}}}
	return mustRuntime(t, cs, policies, append([]Option{WithSleep((&sleeper{}).sleep)}, opts...)...)
}

// streamCall makes a streamed call of client and returns the partial
// values it was given.
func streamCall(ctx context.Context, rt *Runtime, client string) ([]any, Result, error) {
	var partials []any
	req := Request{Function: "F", Client: client, Prompt: `{{ _.role("user") }} hi`, Partial: func(v any) bool {
		partials = append(partials, v)
		return true
	}}
	res, err := rt.Call(ctx, req)
	return partials, res, err
}

const streamedText = "Hello there, general Kenobi! You are a bold one."

// A streamed call of every provider: the request asks for a stream, the
// partial values grow in order up to the final value, which is the value
// of the same call not streamed, and usage and finish reason come from
// the stream.
func TestStreamCallEveryProvider(t *testing.T) {
	srv := newStubAll(t, llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{
		{Text: streamedText, ChunkSize: 5, Usage: &llmstub.Usage{Input: 7, Output: 11, Cached: 2}}}}))
	rt := streamRuntime(t, srv, nil)
	for _, c := range stubClients(t, srv) {
		t.Run(c.Name, func(t *testing.T) {
			plain, err := rt.Call(context.Background(), Request{Function: "F", Client: c.Name, Prompt: `{{ _.role("user") }} hi`})
			if err != nil {
				t.Fatal(err)
			}
			n := srv.Count()
			partials, res, err := streamCall(context.Background(), rt, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			if reqs := srv.Requests(); len(reqs) != n+1 || !reqs[n].Stream {
				t.Fatalf("the streamed call made %d requests, streamed: %v", srv.Count()-n, reqs[len(reqs)-1].Stream)
			}
			if res.Value != plain.Value || res.Value != streamedText {
				t.Errorf("streamed value %q, not streamed %q", res.Value, plain.Value)
			}
			if len(partials) < 5 || partials[len(partials)-1] != streamedText {
				t.Fatalf("partials %q, want at least 5 ending in the final text", partials)
			}
			for i := 1; i < len(partials); i++ {
				if prev, cur := partials[i-1].(string), partials[i].(string); len(cur) <= len(prev) || !strings.HasPrefix(cur, prev) {
					t.Errorf("partial %d %q does not grow %q", i, cur, prev)
				}
			}
			a := res.Attempts[0]
			// The usage the stream reports is the usage of the same reply not
			// streamed (with the conventions' meaning: see Usage).
			if len(res.Attempts) != 1 || !a.Selected || usageString(a.Usage) != usageString(plain.Attempts[0].Usage) || a.Usage.OutputTokens == nil ||
				*a.Usage.OutputTokens != 11 || a.FinishReason != plain.Attempts[0].FinishReason || a.Output != streamedText {
				t.Errorf("attempt %+v", a)
			}
		})
	}
}

// supports_streaming false makes a streamed call's requests plain ones:
// no partial values, the same final value.
func TestStreamCallSupportsStreamingFalse(t *testing.T) {
	srv := newStubAll(t, llmstub.WithKeep(llmstub.KeepAll))
	cs := stubClients(t, srv)[:1]
	cs[0].Options["supports_streaming"] = false
	rt := mustRuntime(t, cs, nil)
	partials, res, err := streamCall(context.Background(), rt, cs[0].Name)
	if err != nil || len(partials) != 0 || res.Value != "Hello there, general Kenobi!" || srv.Requests()[0].Stream {
		t.Errorf("partials %q, value %v, err %v, streamed request: %v", partials, res.Value, err, srv.Requests()[0].Stream)
	}
}

// A fault case: the reply of the first request, what the attempt ends
// with, and whether the call retries (the second reply is whole).
type faultCase struct {
	name  string
	reply llmstub.Reply
	// errType is the first attempt's error type; retried says whether a
	// second attempt made the call succeed.
	errType string
	retried bool
	msg     string // in the first attempt's error message
}

// Every way a streamed reply can fail ends its attempt with the right
// error; failures before any partial value was delivered are retried,
// failures after are not (the consumer has seen the first reply's values).
func TestStreamCallFaults(t *testing.T) {
	cases := []faultCase{
		{"drop before text", llmstub.Reply{Fault: llmstub.FaultDrop}, "LLMTransportError", true, ""},
		{"drop mid-event after text", llmstub.Reply{Fault: llmstub.FaultDrop, FaultAfter: 6}, "LLMTransportError", false, ""},
		{"malformed", llmstub.Reply{Fault: llmstub.FaultMalformed, FaultAfter: 4}, "LLMResponseError", false, ""},
		{"no final event", llmstub.Reply{Fault: llmstub.FaultNoFinal}, "LLMTransportError", false, "before the provider's final event"},
		{"no headers", llmstub.Reply{Fault: llmstub.FaultHang}, "LLMTimeoutError", true, "time_to_first_token timeout"},
		{"never a byte", llmstub.Reply{Fault: llmstub.FaultStall}, "LLMTimeoutError", true, "time_to_first_token timeout"},
		{"stall after text", llmstub.Reply{Fault: llmstub.FaultStall, FaultAfter: 6}, "LLMTimeoutError", false, "idle timeout"},
	}
	for _, api := range streamAPIs {
		for _, tc := range cases {
			t.Run(api+"/"+tc.name, func(t *testing.T) {
				t.Parallel() // the timeouts wait a second, with room for a loaded machine
				tc.reply.Text, tc.reply.ChunkSize = streamedText, 5
				srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{tc.reply, {Text: streamedText}}}))
				rt := streamRuntime(t, srv, map[string]any{"time_to_first_token_timeout_ms": int64(1000), "idle_timeout_ms": int64(1000)})
				partials, res, err := streamCall(context.Background(), rt, api)
				if len(res.Attempts) == 0 || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != tc.errType ||
					!strings.Contains(res.Attempts[0].Err.Message, tc.msg) {
					t.Fatalf("err %v; attempts %s; want the first to fail with %s %q", err, attemptErrors(res.Attempts), tc.errType, tc.msg)
				}
				if tc.retried {
					if err != nil || len(res.Attempts) != 2 || res.Value != streamedText || !res.Attempts[1].Selected {
						t.Fatalf("err %v, value %q, attempts %s: want a retry that succeeds", err, res.Value, attemptErrors(res.Attempts))
					}
				} else if err == nil || len(res.Attempts) != 1 || len(partials) == 0 {
					t.Fatalf("err %v, %d attempts, %d partials: want the call to fail after partials, not retried", err, len(res.Attempts), len(partials))
				}
			})
		}
	}
}

// A consumer that stops early stops the call: the reply is closed, the
// attempt and the call end with ErrStopped (a cancellation), nothing is
// retried or fallen back to.
func TestStreamCallConsumerStops(t *testing.T) {
	for _, api := range streamAPIs {
		t.Run(api, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: strings.Repeat("word ", 200), ChunkSize: 5}}}))
			closes := &bodyCloses{base: http.DefaultTransport}
			rt := streamRuntime(t, srv, nil, WithHTTPClient(&http.Client{Transport: closes}))
			n := 0
			res, err := rt.Call(context.Background(), Request{Client: api, Prompt: "hi", Partial: func(any) bool {
				n++
				return n < 3
			}})
			if !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) || n != 3 {
				t.Fatalf("err %v after %d partials, want ErrStopped after 3", err, n)
			}
			if len(res.Attempts) != 1 || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != "Canceled" || res.Attempts[0].Selected {
				t.Errorf("attempts %+v, want one, canceled", res.Attempts)
			}
			if closes.bodies.Load() != closes.closed.Load() || closes.closed.Load() == 0 {
				t.Errorf("%d reply bodies, %d closed", closes.bodies.Load(), closes.closed.Load())
			}
		})
	}
}

// A ctx cancelled in the middle of a stream ends the call with the
// cancellation, not retried.
func TestStreamCallContextCancelled(t *testing.T) {
	for _, api := range streamAPIs {
		t.Run(api, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: strings.Repeat("word ", 200), ChunkSize: 5}}}))
			rt := streamRuntime(t, srv, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			res, err := rt.Call(ctx, Request{Client: api, Prompt: "hi", Partial: func(any) bool {
				if n++; n == 2 {
					cancel()
				}
				return true
			}})
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrStopped) {
				t.Fatalf("err %v, want the ctx's cancellation", err)
			}
			if len(res.Attempts) != 1 || res.Attempts[0].Err == nil || res.Attempts[0].Err.Type != "Canceled" {
				t.Errorf("attempts %+v, want one, canceled", res.Attempts)
			}
		})
	}
}

// A fallback moves on from a stream that fails before its first partial,
// and not after.
func TestStreamCallFallback(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first llmstub.Reply
		moves bool
	}{
		{"fails before text", llmstub.Reply{Status: 503}, true},
		{"drops after text", llmstub.Reply{Text: streamedText, ChunkSize: 5, Fault: llmstub.FaultDrop, FaultAfter: 6}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(
				llmstub.Rule{API: "openai", Replies: []llmstub.Reply{tc.first}},
				llmstub.Rule{API: "anthropic", Replies: []llmstub.Reply{{Text: "from Claude"}}}))
			cs := append(stubClients(t, srv), ClientDecl{Name: "Both", Provider: "fallback", Options: map[string]any{"strategy": []any{"OpenAI", "Claude"}}})
			rt := mustRuntime(t, cs, nil)
			partials, res, err := streamCall(context.Background(), rt, "Both")
			switch {
			case tc.moves && (err != nil || res.Value != "from Claude" || len(res.Attempts) != 2 || partials[len(partials)-1] != "from Claude"):
				t.Errorf("err %v, value %v, attempts %d: want Claude's reply", err, res.Value, len(res.Attempts))
			case !tc.moves && (err == nil || len(res.Attempts) != 1):
				t.Errorf("err %v, attempts %d: want the drop's error, no fallback", err, len(res.Attempts))
			}
		})
	}
}

// A bodyCloses counts the reply bodies its transport returns and those
// closed.
type bodyCloses struct {
	base           http.RoundTripper
	bodies, closed atomic.Int64
}

func (c *bodyCloses) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err == nil {
		c.bodies.Add(1)
		resp.Body = &countedReply{resp.Body, c}
	}
	return resp, err
}

type countedReply struct {
	io.ReadCloser
	c *bodyCloses
}

func (b *countedReply) Close() error {
	b.c.closed.Add(1)
	return b.ReadCloser.Close()
}

func attemptErrors(as []vmspan.LLMAttempt) string {
	var b strings.Builder
	for i, a := range as {
		fmt.Fprintf(&b, "\n  #%d %s: ", i, a.Client)
		if a.Err != nil {
			fmt.Fprintf(&b, "%s: %s", a.Err.Type, a.Err.Message)
		}
	}
	return b.String()
}

// A streamed attempt records its time to first chunk (on the runtime's
// clock), its chunks of text, and its events when asked; a plain attempt
// records no stream.
func TestStreamCallRecordsStream(t *testing.T) {
	for _, api := range streamAPIs {
		t.Run(api, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: streamedText, ChunkSize: 8}}}))
			var mu sync.Mutex
			now := time.Unix(1700000000, 0)
			clock := func() time.Time { // each reading a millisecond later
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(time.Millisecond)
				return now
			}
			rt := streamRuntime(t, srv, nil, WithClock(clock))
			res, err := rt.Call(context.Background(), Request{Client: api, Prompt: "hi", StreamEvents: true, Partial: func(any) bool { return true }})
			if err != nil {
				t.Fatal(err)
			}
			st := res.Attempts[0].Stream
			chunks := (len(streamedText) + 7) / 8
			if st == nil || st.Chunks != chunks || st.FirstChunk <= 0 || st.FirstChunk >= res.Attempts[0].Duration || len(st.Events) < chunks ||
				!strings.Contains(strings.Join(st.Events, "\n"), "Hello th") {
				t.Fatalf("stream record %+v (want %d chunks, a time to first chunk within the attempt's %v)", st, chunks, res.Attempts[0].Duration)
			}
			res, err = rt.Call(context.Background(), Request{Client: api, Prompt: "hi", Partial: func(any) bool { return true }})
			if err != nil || res.Attempts[0].Stream == nil || res.Attempts[0].Stream.Events != nil {
				t.Errorf("events recorded without being asked for: %+v", res.Attempts[0].Stream)
			}
			res, err = rt.Call(context.Background(), Request{Client: api, Prompt: "hi"})
			if err != nil || res.Attempts[0].Stream != nil {
				t.Errorf("a plain attempt records a stream: %+v", res.Attempts[0].Stream)
			}
		})
	}
}
