// transport.go holds the default HTTP client: a connection pool sized for
// concurrent calls, and a bound on every network wait of a request.

package llm

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The bounds of the HTTP client made by NewHTTPClient. The package doc's
// "Connections and timeouts" section says why each has its value.
const (
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	headerTimeout       = 10 * time.Minute
	writeTimeout        = 10 * time.Minute
	bodyIdleTimeout     = 10 * time.Minute
	keepAlive           = 30 * time.Second
	idleConnTimeout     = 90 * time.Second
	h2ReadIdleTimeout   = 30 * time.Second
	h2PingTimeout       = 15 * time.Second
	h2WriteByteTimeout  = 30 * time.Second
	maxIdleConnsPerHost = 256
	maxIdleConns        = 1024
)

// defaultHTTPClient is the client of every Runtime made without
// WithHTTPClient: one connection pool per process, as with
// http.DefaultTransport, so that engines of different programs calling the
// same provider share its connections.
var defaultHTTPClient = sync.OnceValue(NewHTTPClient)

// NewHTTPClient returns an HTTP client with its own connection pool, set up
// for many concurrent provider calls; it is what a Runtime uses when
// WithHTTPClient is not given (one shared instance). It keeps up to 256 idle
// connections per host (Go's default of 2 makes a program with more calls in
// flight open a new connection, a new TLS handshake for an HTTPS provider,
// for about every other request), speaks HTTP/2 to providers that offer it
// over TLS, honours the proxy environment variables (HTTPS_PROXY,
// NO_PROXY) as http.DefaultTransport does, and bounds every wait: 10 s to
// connect, 10 s for the TLS handshake, at most 10 minutes (at least 5) for
// a write to make progress, 10 minutes from sending a request to its
// response headers, and 10 minutes without a byte while reading the
// response body (a Runtime's attempt whose own timeouts bound the body's
// pauses more tightly is left to them). A request that exceeds a bound
// fails with an error whose Timeout method reports true.
// ctx and the request_timeout_ms client option can only shorten these
// bounds.
//
// Wrap its Transport to add instrumentation (otelhttp, logging) and pass
// the result with WithHTTPClient.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &boundedTransport{base: newTransport(headerTimeout, writeTimeout), idle: bodyIdleTimeout}}
}

func newTransport(header, write time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &writeBoundConn{Conn: c, bound: write}, nil
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: header,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout:  h2ReadIdleTimeout,
			PingTimeout:      h2PingTimeout,
			WriteByteTimeout: h2WriteByteTimeout,
		},
	}
}

// A writeBoundConn fails a write that makes no progress for a while: HTTP/1
// has no bound on sending a request (ResponseHeaderTimeout starts once it
// is sent). It moves the connection's write deadline to bound from now
// only when less than half of bound is left, not at every write (each move
// is a timer operation): a write is given between bound/2 and bound.
type writeBoundConn struct {
	net.Conn
	bound time.Duration
	until atomic.Int64 // the deadline set, in ns since connStart
}

// connStart is the origin of writeBoundConn's deadlines, in monotonic time.
var connStart = time.Now()

func (c *writeBoundConn) Write(p []byte) (int, error) {
	now := time.Since(connStart)
	if until := time.Duration(c.until.Load()); until-now < c.bound/2 {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.bound)); err != nil {
			return 0, err
		}
		c.until.Store(int64(now + c.bound))
	}
	return c.Conn.Write(p)
}

// A boundedTransport bounds the pauses while a response body is read,
// which http.Transport does not bound at all. A request of a bex call whose
// watchdog bounds these pauses at least as tightly (the time to the first
// text and the idle bound, both on and no longer than idle, as by default)
// is left to it: a second timer per request would add nothing.
type boundedTransport struct {
	base http.RoundTripper
	idle time.Duration
}

// RoundTrip sends req and bounds the reads of its response's body.
func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if watchdogOf(req.Context()).boundsPauses(t.idle) {
		return resp, nil
	}
	b := &boundedBody{rc: resp.Body, idle: t.idle, start: time.Now()}
	// The timer is armed once it is stored: check, when it fires, uses it.
	b.timer = time.AfterFunc(time.Duration(1<<63-1), b.check)
	b.timer.Reset(t.idle)
	resp.Body = b
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the pool.
func (t *boundedTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// A boundedBody is a response body whose reads are bounded: when idle
// passes without a read completing, it is closed, which ends a read in
// progress (the transport closes the connection, or resets the HTTP/2
// stream). Reads only store their time; the timer, when it fires, finds
// the later reads and re-arms itself for the rest of the bound.
type boundedBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	idle    time.Duration
	start   time.Time
	last    atomic.Int64 // since start, in ns: the last read that completed
	expired atomic.Bool
	closed  atomic.Bool
}

// check runs when the timer fires: it closes the body if idle has passed
// since the last read, and otherwise re-arms the timer.
func (b *boundedBody) check() {
	if b.closed.Load() {
		return
	}
	if left := time.Duration(b.last.Load()) + b.idle - time.Since(b.start); left > 0 {
		b.timer.Reset(left)
		return
	}
	b.expired.Store(true)
	_ = b.rc.Close()
}

// Read reads from the body, failing with a timeout once idle has passed
// without a read completing.
func (b *boundedBody) Read(p []byte) (int, error) {
	if b.expired.Load() {
		return 0, b.timeout()
	}
	n, err := b.rc.Read(p)
	b.last.Store(int64(time.Since(b.start)))
	if err != nil && err != io.EOF && b.expired.Load() {
		err = b.timeout()
	}
	return n, err
}

func (b *boundedBody) timeout() error {
	return &timeoutError{"no response data for " + b.idle.String()}
}

// Close stops the timer and closes the body.
func (b *boundedBody) Close() error {
	b.closed.Store(true)
	b.timer.Stop()
	return b.rc.Close()
}

// A timeoutError is a response body that stalled longer than the bound.
// It is a net.Error whose Timeout method reports true.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return "llm http: " + e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
