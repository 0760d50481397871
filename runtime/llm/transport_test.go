package llm

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// connCounter is a stub server that counts the connections it accepts.
type connCounter struct {
	srv   *httptest.Server
	conns atomic.Int64
}

func newConnCounter(t *testing.T, h http.Handler) *connCounter {
	t.Helper()
	c := &connCounter{srv: httptest.NewUnstartedServer(h)}
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

// runCalls makes n ClassifyTicket calls through rt, inflight at a time.
func runCalls(t *testing.T, rt *Runtime, n, inflight int) {
	t.Helper()
	var wg sync.WaitGroup
	var failed atomic.Int64
	next := make(chan struct{})
	for range inflight {
		wg.Go(func() {
			for range next {
				if _, err := rt.Call(context.Background(), classifyRequest("Fast")); err != nil {
					if failed.Add(1) == 1 {
						t.Error(err)
					}
				}
			}
		})
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
}

// With 64 calls in flight, the default client keeps its connections: a
// pool that keeps fewer idle connections per host than there are calls in
// flight closes some of them after every burst of replies and dials anew
// (Go's default of 2 opens about one connection for every other request).
// The bound leaves room for dials that race with a connection returning to
// the pool, which a full pool can still see.
func TestDefaultClientReusesConnections(t *testing.T) {
	const calls, inflight = 2000, 64
	run := func(t *testing.T, opts ...Option) int64 {
		c := newConnCounter(t, llmstub.NewHandler(llmstub.Default()))
		env := map[string]string{"OPENAI_BASE_URL": c.srv.URL, "OPENAI_API_KEY": openAIKey}
		rt := mustRuntime(t, []ClientDecl{fastClient}, nil, append(opts, WithEnv(func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		}))...)
		runCalls(t, rt, calls, inflight)
		return c.conns.Load()
	}
	n := run(t)
	t.Logf("default client: %d connections for %d calls, %d in flight", n, calls, inflight)
	if n > 2*inflight {
		t.Errorf("default client opened %d connections for %d calls with %d in flight, want at most %d", n, calls, inflight, 2*inflight)
	}
	// The same load through a client with Go's defaults, to show that the
	// bound above tells the two apart.
	goDefault := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer goDefault.CloseIdleConnections()
	t.Logf("Go's default transport: %d connections", run(t, WithHTTPClient(goDefault)))
}

// boundedClient is NewHTTPClient with short bounds, for tests.
func boundedClient(header, idle time.Duration) *http.Client {
	return &http.Client{Transport: &boundedTransport{base: newTransport(header, header), idle: idle}}
}

func TestTransportBounds(t *testing.T) {
	const bound = 50 * time.Millisecond
	// The handlers read the request body, so that the server notices when
	// the client gives up and ends r.Context(); release ends them anyway
	// when the test ends.
	var release chan struct{}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}},
		{"body stalls", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"choices": [`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release = make(chan struct{})
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })
			hc := boundedClient(bound, bound)
			t.Cleanup(hc.CloseIdleConnections)
			env := map[string]string{"OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": openAIKey}
			rt := mustRuntime(t, []ClientDecl{fastClient}, nil, WithHTTPClient(hc), WithEnv(func(k string) (string, bool) {
				v, ok := env[k]
				return v, ok
			}))
			res, err := rt.Call(context.Background(), headlineRequest("Fast"))
			var te *TimeoutError
			if !errors.As(err, &te) || te.Err == nil {
				t.Fatalf("Call error = %v (%T), want a *TimeoutError of the HTTP client's bound", err, err)
			}
			if len(res.Attempts) != 1 || res.Attempts[0].Err == nil {
				t.Errorf("attempts = %+v, want one that failed", res.Attempts)
			}
		})
	}
}

// Replies within the bounds are read whole, and releasing a request's timer
// and context when its body is closed does not cost the connection: calls
// one after another use one.
func TestTransportBoundsKeepConnections(t *testing.T) {
	c := newConnCounter(t, llmstub.NewHandler(llmstub.Script{Rules: []llmstub.Rule{{Replies: []llmstub.Reply{{Text: "all fine"}}}}}))
	hc := boundedClient(time.Minute, time.Minute)
	t.Cleanup(hc.CloseIdleConnections)
	env := map[string]string{"OPENAI_BASE_URL": c.srv.URL, "OPENAI_API_KEY": openAIKey}
	rt := mustRuntime(t, []ClientDecl{fastClient}, nil, WithHTTPClient(hc), WithEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	for range 5 {
		res, err := rt.Call(context.Background(), headlineRequest("Fast"))
		if err != nil || res.Value != "all fine" {
			t.Fatalf("Call = %v, %v", res.Value, err)
		}
	}
	if n := c.conns.Load(); n != 1 {
		t.Errorf("5 sequential calls used %d connections, want 1", n)
	}
}

// The default transport leaves the pauses of a reply body to the
// attempt's watchdog when it bounds them at least as tightly, and bounds
// them itself otherwise: for a request that is not an attempt's, and for
// an attempt with a bound off or longer than its own.
func TestTransportLeavesBodyToWatchdog(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	hc := boundedClient(time.Minute, time.Minute)
	t.Cleanup(hc.CloseIdleConnections)
	for _, tt := range []struct {
		name    string
		lim     *Timeouts
		bounded bool
	}{
		{"not an attempt", nil, true},
		{"tighter", &Timeouts{FirstToken: time.Second, Idle: time.Second}, false},
		{"equal", &Timeouts{FirstToken: time.Minute, Idle: time.Minute}, false},
		{"first token longer", &Timeouts{FirstToken: 2 * time.Minute, Idle: time.Second}, true},
		{"idle off", &Timeouts{FirstToken: time.Second}, true},
		{"first token off", &Timeouts{Idle: time.Second, Request: time.Second}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.lim != nil {
				var w *watchdog
				ctx, w = watch(ctx, "c", *tt.lim, false)
				defer w.stop()
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if _, ok := resp.Body.(*boundedBody); ok != tt.bounded {
				t.Errorf("body bounded by the transport: %v, want %v", ok, tt.bounded)
			}
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "{}" {
				t.Errorf("body %q, %v", b, err)
			}
		})
	}
}
