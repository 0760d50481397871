// timeout.go holds the timeouts of provider requests: their client options,
// their defaults, and the watchdog that enforces them on each attempt.

package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts bound an LLM call's provider requests, phase by phase. A zero
// field is unset: a client's option or the runtime's default applies. A
// negative field turns that bound off (written 0 in a client's http block).
//
// Connect, FirstToken, Idle and Request bound each attempt (each retry and
// each fallback client gets them afresh); Total bounds a whole strategy
// client (all its attempts, retries and waits between them) or, given per
// call, the whole LLM function call.
type Timeouts struct {
	// Connect bounds getting a connection to the provider: the dial and
	// TLS handshake, or the wait for a pooled connection
	// (connect_timeout_ms).
	Connect time.Duration
	// FirstToken bounds the time from the start of the request to the
	// first text of the reply (time_to_first_token_timeout_ms). A streamed
	// reply's first text is its first event with output text; a reply that
	// is not streamed is written once generated, so the bound covers the
	// whole generation until the first byte of its body.
	FirstToken time.Duration
	// Idle bounds a pause in the reply after its first text: the time
	// between two reads that bring data, keep-alive events included
	// (idle_timeout_ms).
	Idle time.Duration
	// Request bounds a whole attempt, from sending the request to the end
	// of its reply, streamed or not (request_timeout_ms).
	Request time.Duration
	// Total bounds all the attempts of a fallback or round-robin client
	// (total_timeout_ms), or of a call when given per call.
	Total time.Duration
}

// The default timeouts, used where neither the client nor the call sets
// one. BAML's defaults are infinite; bex's are finite, so that no call
// waits forever on a provider that accepts a request and never answers.
const (
	// DefaultConnectTimeout is the time to get a connection.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultFirstTokenTimeout is the time to the first text. A reply that
	// is not streamed comes whole once generated, so this is also the
	// longest generation such a call allows: the default total timeout of
	// OpenAI's and Anthropic's own SDKs.
	DefaultFirstTokenTimeout = 10 * time.Minute
	// DefaultIdleTimeout is the longest pause in a reply after its first
	// text. Providers send text, or keep-alive events, far more often.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultRequestTimeout bounds an attempt from request to last byte:
	// room for the longest generations (tens of thousands of output
	// tokens); raise it for longer ones.
	DefaultRequestTimeout = 30 * time.Minute
)

// DefaultTimeouts returns the default timeouts: 10 s to connect, 10
// minutes to the first text, 2 minutes of silence after it, 30 minutes for
// an attempt, no total (the attempts' bounds and the retry policy bound a
// call). WithTimeouts changes them for a Runtime.
func DefaultTimeouts() Timeouts {
	return Timeouts{Connect: DefaultConnectTimeout, FirstToken: DefaultFirstTokenTimeout, Idle: DefaultIdleTimeout, Request: DefaultRequestTimeout}
}

// WithTimeouts sets the Runtime's default timeouts: the fields of t that
// are set replace those of DefaultTimeouts (a negative field turns that
// bound off). Clients' http options and per-call timeouts still apply, the
// stricter bound winning.
func WithTimeouts(t Timeouts) Option {
	return func(r *Runtime) { r.timeouts = t.or(DefaultTimeouts()) }
}

// stricter returns, field by field, the stricter bound of t and u: a set
// bound wins over an unset or disabled one, the smaller of two set ones.
func (t Timeouts) stricter(u Timeouts) Timeouts {
	pick := func(a, b time.Duration) time.Duration {
		switch {
		case b == 0 || (a > 0 && b < 0):
			return a
		case a == 0 || (b > 0 && a < 0):
			return b
		}
		return min(a, b)
	}
	return Timeouts{pick(t.Connect, u.Connect), pick(t.FirstToken, u.FirstToken), pick(t.Idle, u.Idle),
		pick(t.Request, u.Request), pick(t.Total, u.Total)}
}

// or fills the unset fields of t from d.
func (t Timeouts) or(d Timeouts) Timeouts {
	pick := func(a, b time.Duration) time.Duration {
		if a == 0 {
			return b
		}
		return a
	}
	return Timeouts{pick(t.Connect, d.Connect), pick(t.FirstToken, d.FirstToken), pick(t.Idle, d.Idle),
		pick(t.Request, d.Request), pick(t.Total, d.Total)}
}

// The kinds of timeouts, as TimeoutError.Kind names them.
const (
	TimeoutConnect    = "connect"
	TimeoutFirstToken = "time_to_first_token"
	TimeoutIdle       = "idle"
	TimeoutRequest    = "request"
	TimeoutTotal      = "total"
)

// A TimeoutError reports a provider request, or a strategy client's
// attempts, that exceeded a timeout. A timed-out attempt is a failed
// attempt: it is retried by the client's retry policy and moves a fallback
// on to its next client, except that a Total timeout ends the strategy
// client whose budget it was.
type TimeoutError struct {
	Client string
	// Kind is the bound exceeded: TimeoutConnect, TimeoutFirstToken,
	// TimeoutIdle, TimeoutRequest or TimeoutTotal.
	Kind string
	// Limit is the bound; 0 when the HTTP client's own bound fired (see
	// NewHTTPClient), whose error is then Err.
	Limit time.Duration
	Err   error
}

// Error says which bound was exceeded.
func (e *TimeoutError) Error() string {
	s := "client " + e.Client + ": " + e.Kind + " timeout"
	if e.Limit > 0 {
		switch e.Kind {
		case TimeoutConnect:
			s += ": no connection within " + e.Limit.String()
		case TimeoutFirstToken:
			s += ": no reply text within " + e.Limit.String()
		case TimeoutIdle:
			s += ": the reply paused for " + e.Limit.String()
		case TimeoutRequest:
			s += ": the request did not end within " + e.Limit.String()
		case TimeoutTotal:
			s += ": its attempts did not end within " + e.Limit.String()
		}
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the HTTP client's error, when its bound fired.
func (e *TimeoutError) Unwrap() error { return e.Err }

// ErrorType returns "LLMTimeoutError".
func (e *TimeoutError) ErrorType() string { return "LLMTimeoutError" }

// ErrorCode returns "timeout", OpenTelemetry's error.type of a timed-out
// attempt.
func (e *TimeoutError) ErrorCode() string { return "timeout" }

// Timeout reports true, as a net.Error's Timeout does.
func (e *TimeoutError) Timeout() bool { return true }

// httpOptionKeys are the keys of a leaf client's http block, and
// strategyHTTPKeys those of a fallback or round-robin client's, as BAML
// accepts them.
var (
	httpOptionKeys = map[string]bool{"connect_timeout_ms": true, "time_to_first_token_timeout_ms": true,
		"idle_timeout_ms": true, "request_timeout_ms": true, "enable_connection_pooling": true}
	strategyHTTPKeys = map[string]bool{"total_timeout_ms": true}
)

// checkHTTPOptions checks a client's http block: a block of known keys with
// non-negative int values (enable_connection_pooling a bool).
func checkHTTPOptions(v any, strategy bool) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{"http must be a block { connect_timeout_ms 5000 ... }"}
	}
	keys, want := httpOptionKeys, "connect_timeout_ms, time_to_first_token_timeout_ms, idle_timeout_ms, request_timeout_ms, enable_connection_pooling"
	if strategy {
		keys, want = strategyHTTPKeys, "total_timeout_ms"
	}
	var msgs []string
	for k, x := range m {
		if !keys[k] {
			msgs = append(msgs, fmt.Sprintf("http: unknown option %s (want %s)", k, want))
			continue
		}
		if k == "enable_connection_pooling" {
			if _, isBool := x.(bool); !isBool {
				msgs = append(msgs, "http: enable_connection_pooling must be true or false")
			}
			continue
		}
		if n, isInt := asInt(x); !isInt || n < 0 {
			msgs = append(msgs, fmt.Sprintf("http: %s must be a non-negative int (milliseconds; 0 turns the bound off), not %s", k, describeOption(x)))
		}
	}
	return msgs
}

// clientTimeouts returns the timeouts c's options set: its http block, and
// its older top-level request_timeout_ms (which may be env.NAME).
func (r *Runtime) clientTimeouts(c *client) (Timeouts, error) {
	var t Timeouts
	m, _ := c.options["http"].(map[string]any)
	ms := func(k string) time.Duration {
		n, ok := asInt(m[k])
		switch {
		case !ok:
			return 0
		case n == 0:
			return -1 // off
		}
		return time.Duration(n) * time.Millisecond
	}
	t.Connect, t.FirstToken, t.Idle, t.Request, t.Total = ms("connect_timeout_ms"), ms("time_to_first_token_timeout_ms"),
		ms("idle_timeout_ms"), ms("request_timeout_ms"), ms("total_timeout_ms")
	v, ok, err := r.numberOption(c, "request_timeout_ms")
	if ok && v > 0 {
		t = t.stricter(Timeouts{Request: time.Duration(v) * time.Millisecond})
	}
	return t, err
}

// A watchdog enforces one attempt's timeouts. It follows the attempt
// through its request's httptrace hooks (getting a connection), its reply
// body's reads (progress), and the stream's first text, and keeps one timer
// armed for the earliest time a bound could pass; when a bound has passed
// it cancels the request's context with a *TimeoutError as the cause.
//
// The hooks and reads only store times: the timer is armed for the
// earliest deadline any later event could set as well (a connection
// begun now, a first text now), so it never has to be moved earlier. When
// it fires before a bound has passed, it re-arms itself for the next such
// time. An attempt that ends within the shortest bound (10 s by default)
// thus costs one timer and no timer operation per event. (An event whose
// time is read just before the timer fires and stored just after is
// bounded from when the timer fired: a few microseconds late.)
type watchdog struct {
	lim      Timeouts // effective: positive bounds are on
	client   string
	streamed bool            // the first text is a stream event (else the first body byte)
	ctx      context.Context // the request's
	cancel   context.CancelCauseFunc
	start    time.Time

	// Since start, in ns; -1 when not.
	connecting atomic.Int64 // when the transport began getting a connection
	firstAt    atomic.Int64 // when the first text came
	last       atomic.Int64 // the last read that brought data

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	fired   atomic.Pointer[TimeoutError]

	trace  httptrace.ClientTrace // its hooks, allocated with it
	reqCtx watchedCtx            // the request's ctx below the hooks, allocated with it
}

// A watchedCtx is the ctx of a watched request: it gives its watchdog for
// watchKey, so that the default transport can leave to the watchdog the
// bounds it keeps more tightly (see boundedTransport).
type watchedCtx struct {
	context.Context
	w *watchdog
}

type watchKey struct{}

func (c *watchedCtx) Value(key any) any {
	if key == (watchKey{}) {
		return c.w
	}
	return c.Context.Value(key)
}

// watchdogOf returns the watchdog of the request made with ctx, or nil.
func watchdogOf(ctx context.Context) *watchdog {
	w, _ := ctx.Value(watchKey{}).(*watchdog)
	return w
}

// boundsPauses reports whether w bounds every pause in its reply's body to
// at most d: it bounds the time to the first text and the pauses after it,
// both to at most d.
func (w *watchdog) boundsPauses(d time.Duration) bool {
	return w != nil && w.lim.FirstToken > 0 && w.lim.FirstToken <= d && w.lim.Idle > 0 && w.lim.Idle <= d
}

// watch starts the watchdog of an attempt of client with limits lim, and
// returns the ctx its request must be made with. stop must be called when
// the attempt ends.
func watch(parent context.Context, client string, lim Timeouts, streamed bool) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{lim: lim, client: client, streamed: streamed, ctx: ctx, cancel: cancel, start: time.Now()}
	w.connecting.Store(-1)
	w.firstAt.Store(-1)
	// Field by field: the trace is allocated zeroed with w, and storing a
	// whole ClientTrace over it would move all its fields.
	connected := func() { w.connecting.Store(-1) }
	w.trace.GetConn = func(string) { w.connect() }
	w.trace.GotConn = func(httptrace.GotConnInfo) { connected() }
	w.trace.WroteHeaders = connected
	w.trace.GotFirstResponseByte = connected
	w.reqCtx.Context, w.reqCtx.w = ctx, w
	ctx = httptrace.WithClientTrace(&w.reqCtx, &w.trace)
	w.mu.Lock()
	w.timer = time.AfterFunc(w.nextLocked(0), w.fire)
	w.mu.Unlock()
	return ctx, w
}

// stop ends the watchdog and releases the request's context.
func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	w.timer.Stop()
	w.mu.Unlock()
	w.cancel(nil)
}

func (w *watchdog) since() time.Duration { return time.Since(w.start) }

// ended returns the error of the request's ctx once the attempt timed out
// or the call's ctx ended, else nil. A nil watchdog never ends.
func (w *watchdog) ended() error {
	if w == nil {
		return nil
	}
	return w.ctx.Err()
}

// connect notes that the transport began getting a connection, unless it
// already was or the first text came.
func (w *watchdog) connect() {
	if w.firstAt.Load() < 0 && w.connecting.Load() < 0 {
		w.connecting.CompareAndSwap(-1, int64(w.since()))
	}
}

// progress notes a read that brought data. For a reply that is not
// streamed, the first one is its first text.
func (w *watchdog) progress() {
	now := int64(w.since())
	w.last.Store(now)
	if !w.streamed && w.firstAt.Load() < 0 {
		w.noteFirst(now)
	}
}

// firstText notes the reply's first text: the time-to-first-token bound
// ends and the idle bound begins.
func (w *watchdog) firstText() {
	if w == nil || w.firstAt.Load() >= 0 {
		return
	}
	now := int64(w.since())
	w.last.Store(now)
	w.noteFirst(now)
}

func (w *watchdog) noteFirst(now int64) {
	if w.firstAt.CompareAndSwap(-1, now) {
		w.connecting.Store(-1)
	}
}

// boundLocked returns the earliest deadline (since start) still running,
// its kind and limit; ok is false when none is.
func (w *watchdog) boundLocked() (deadline time.Duration, kind string, limit time.Duration, ok bool) {
	try := func(d time.Duration, k string, lim time.Duration) {
		if lim > 0 && (!ok || d < deadline) {
			deadline, kind, limit, ok = d, k, lim, true
		}
	}
	first := time.Duration(w.firstAt.Load())
	if c := time.Duration(w.connecting.Load()); c >= 0 && first < 0 {
		try(c+w.lim.Connect, TimeoutConnect, w.lim.Connect)
	}
	if first < 0 {
		try(w.lim.FirstToken, TimeoutFirstToken, w.lim.FirstToken)
	} else {
		try(time.Duration(w.last.Load())+w.lim.Idle, TimeoutIdle, w.lim.Idle)
	}
	try(w.lim.Request, TimeoutRequest, w.lim.Request)
	return
}

// nextLocked returns how long from now (since start) the timer should
// wait: until the earliest deadline running, or one that an event from now
// on could start (a connection begun, or the first text come, now).
func (w *watchdog) nextLocked(now time.Duration) time.Duration {
	d, _, _, ok := w.boundLocked()
	if w.firstAt.Load() < 0 {
		for _, lim := range []time.Duration{w.lim.Connect, w.lim.Idle} {
			if lim > 0 && (!ok || now+lim < d) {
				d, ok = now+lim, true
			}
		}
	}
	if !ok {
		return time.Duration(1<<63 - 1)
	}
	return max(d-now, 0)
}

// fire runs when the timer expires: it times the attempt out if a bound
// has passed, and otherwise re-arms.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	now := w.since()
	d, kind, limit, ok := w.boundLocked()
	if !ok || now < d {
		w.timer.Reset(w.nextLocked(now))
		return
	}
	e := &TimeoutError{Client: w.client, Kind: kind, Limit: limit}
	w.fired.Store(e)
	w.stopped = true
	w.cancel(e)
}

// timedOut returns the *TimeoutError of the bound that fired, or nil.
func (w *watchdog) timedOut() *TimeoutError {
	if w == nil {
		return nil
	}
	return w.fired.Load()
}

// transportTimeout returns a *TimeoutError for err when it is a timeout of
// the HTTP client itself (its own bounds, see NewHTTPClient), named by the
// phase the attempt was in; else nil.
func (w *watchdog) transportTimeout(err error) *TimeoutError {
	var ne net.Error
	if w == nil || !errors.As(err, &ne) || !ne.Timeout() {
		return nil
	}
	kind := TimeoutFirstToken
	switch {
	case w.firstAt.Load() >= 0:
		kind = TimeoutIdle
	case w.connecting.Load() >= 0:
		kind = TimeoutConnect
	}
	return &TimeoutError{Client: w.client, Kind: kind, Err: err}
}

// body wraps a reply body so that its reads report progress.
func (w *watchdog) body(rc io.ReadCloser) io.ReadCloser { return &watchedBody{rc, w} }

type watchedBody struct {
	io.ReadCloser
	w *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.progress()
	}
	return n, err
}
