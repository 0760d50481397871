// call.go runs an LLM function call: retries, fallbacks, attempts and their
// live spans and trace headers.

package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/bexrun/bex/vmspan"
)

// Limits on what is read and recorded.
const (
	maxReplyBody    = 32 << 20 // bytes read from a reply
	maxRecordedBody = 1 << 20  // bytes of a body kept in an attempt's HTTPRecord
	errorBodyLen    = 500      // bytes of a body shown in an HTTPError
	// maxRetryAfter is the longest Retry-After the runtime waits for; a
	// server asking for more is not retried (the error is returned at once).
	maxRetryAfter = time.Minute
)

// Call renders req's prompt, sends it through req.Client (retrying and
// falling back as its declaration says) and coerces the reply to
// req.Output. The Result lists every attempt, also on error.
//
// Errors: *ConfigError (unknown client, unset env var), *PromptError,
// *HTTPError, *TransportError, *ResponseError, *ParseError, or ctx's error
// when ctx ends (wrapped; errors.Is works). A reply that cannot be parsed is
// not retried, as in BAML: the request succeeded, and the same prompt would
// most likely give a similar reply at the same cost. Request.RetryInvalid
// makes it a failed attempt, retried and fallen back from.
//
// Every attempt is started with vmspan.StartAttempt before its request is
// sent, and its request is made with the ctx that returns: when a live
// OpenTelemetry bridge follows the LLM function's span in ctx, that ctx
// carries the attempt's CLIENT span, the propagator (WithPropagator; the
// global one by default) injects its trace context into the request's
// headers, and an instrumented HTTP client (WithHTTPClient with an otelhttp
// transport) nests its own span under it. Otherwise the propagator injects
// whatever span ctx carries.
func (r *Runtime) Call(ctx context.Context, req Request) (Result, error) {
	over, err := r.overlay(req.Registry)
	if err != nil {
		return Result{}, err
	}
	if req.Registry != nil && req.Registry.primary != "" {
		req.Client = req.Registry.primary
	}
	c, err := r.lookupIn(over, req.Client)
	if err != nil {
		return Result{}, err
	}
	msgs, err := r.render(&req, c)
	if err != nil {
		return Result{}, err
	}
	cs := &call{r: r, ctx: ctx, msgs: msgs, over: over, limits: req.Timeouts, partial: req.Partial, events: req.StreamEvents, req: req}
	cs.attempts = cs.first[:0]
	cs.collectSecrets(c, 0)
	cs.target, cs.dynamic = targetWith(req.Output, req.Types)
	if cs.partial != nil {
		cs.partials = partialsFor(cs.target)
	}
	if cs.limits.Total > 0 {
		defer cs.bound(c, cs.limits.Total)()
	}
	out, err := cs.run(c)
	if err == nil && !out.isParsed {
		err = cs.parseOutput(&out)
	}
	p := out.parsed // zero unless parsed
	return Result{Value: p.Value, Notes: p.Notes, Checks: p.Checks, Attempts: cs.finish(), Messages: msgs}, err
}

// parseOutput parses out, the output of a successful attempt, into
// out.parsed and ends the attempt, which stayed live until then.
func (cs *call) parseOutput(out *output) error {
	p, err := cs.parse(*out, &cs.req)
	cs.endLive(out.at)
	if err != nil {
		return err
	}
	out.parsed, out.isParsed = p, true
	return nil
}

// parse coerces the output of the attempt that succeeded, and marks that
// attempt selected or failed; the parse notes go on the attempt too.
func (cs *call) parse(out output, req *Request) (Parsed, error) {
	t := cs.target
	if t == nil {
		t, _ = targetWith(req.Output, req.Types)
	}
	p, err := parseTarget(out.text, t, ParseOptions{Strict: req.Strict, Types: req.Types})
	a := &cs.attempts[out.index]
	if err != nil {
		pe := err.(*ParseError)
		pe.Function = req.Function
		if pe.Assert != nil {
			pe.Assert.Function = req.Function
		}
		pe.Reply = redactor{secrets: cs.secrets}.str(pe.Reply)
		a.Err = vmspan.ErrorInfoOf(pe)
		a.ParseNotes = pe.Notes
		return Parsed{}, pe
	}
	a.Selected = true
	a.ParseNotes = p.Notes
	a.Checks = p.Checks
	return p, nil
}

// A call is the state of one Runtime.Call.
type call struct {
	r        *Runtime
	over     map[string]*client // the call's registry clients
	ctx      context.Context
	msgs     []vmspan.Message
	attempts []vmspan.LLMAttempt
	secrets  []string        // every secret value used by the call's attempts
	media    []*vmspan.Media // media sent inline, whose bytes records leave out
	target   *target         // the return type, with the call's dynamic types
	dynamic  []string        // what the call's type builder adds to it (LLMAttempt.DynamicTypes)
	limits   Timeouts        // the call's own timeouts (Request.Timeouts)
	// partial receives the partial values of a streamed call
	// (Request.Partial), parsed by partials; nil when not streamed.
	partial   func(any) bool
	partials  partials
	delivered bool // partial values went to partial
	events    bool // record the events of streamed replies (Request.StreamEvents)
	req       Request
	// attempts[:clean] are redacted as redacted says (see endLive), so
	// finish need not redact them again.
	clean    int
	redacted redaction
	// first and firstState hold the first attempt, allocated with the
	// call: most calls make one.
	first      [1]vmspan.LLMAttempt
	firstState attemptState
}

// records reports whether the call records its attempts' HTTP exchanges
// (see Request.NoHTTPRecords).
func (cs *call) records() bool { return !cs.req.NoHTTPRecords }

// mustStop reports whether the call must not try again after err, by a
// retry or a fallback: its ctx ended, its consumer stopped it, or partial
// values of the failed reply were delivered (another reply would not
// continue them).
func (cs *call) mustStop(err error) bool {
	return cs.ctx.Err() != nil || cs.delivered || errors.Is(err, ErrStopped)
}

// An output is a successful attempt's completion text and index, and the
// attempt, still live until its output is parsed; parsed is the parsed
// value once it is (isParsed).
type output struct {
	text     string
	index    int
	at       *attemptState
	parsed   Parsed
	isParsed bool
}

// run runs c, retrying as c's retry policy says.
func (cs *call) run(c *client) (output, error) {
	for try := 0; ; try++ {
		out, err := cs.runOnce(c)
		if err == nil {
			return out, nil
		}
		d, ok := cs.retryDelay(c, try, err)
		if !ok {
			return out, err
		}
		if serr := cs.r.sleep(cs.ctx, d); serr != nil {
			if te := cs.totalTimeout(); te != nil {
				return output{}, te
			}
			head := "client " + c.name + ": waiting to retry after "
			return output{}, &summarizedError{msg: head + err.Error() + ": " + serr.Error(), summary: head + vmspan.ErrorSummary(err) + ": " + serr.Error(), err: serr}
		}
	}
}

// runOnce makes one request for a provider client, or runs a strategy
// within its total_timeout_ms.
func (cs *call) runOnce(c *client) (output, error) {
	if c.info.strategy {
		t, err := cs.r.clientTimeouts(c)
		if err != nil {
			return output{}, err
		}
		if t.Total > 0 {
			defer cs.bound(c, t.Total)()
		}
	}
	switch c.provider {
	case "fallback":
		var last error
		for _, name := range c.children {
			child, err := cs.r.lookupIn(cs.over, name)
			if err == nil {
				var out output
				if out, err = cs.run(child); err == nil {
					return out, nil
				}
			}
			last = err
			if cs.mustStop(err) {
				return output{}, err
			}
		}
		return output{}, wrap(fmt.Sprintf("client %s: all %d strategy clients failed; last: ", c.name, len(c.children)), last)
	case "round-robin":
		i := (c.next.Add(1) - 1) % uint64(len(c.children))
		child, err := cs.r.lookupIn(cs.over, c.children[i])
		if err != nil {
			return output{}, err
		}
		return cs.run(child)
	}
	out, err := cs.attempt(c)
	if err == nil && cs.req.RetryInvalid {
		err = cs.parseOutput(&out) // a reply that does not parse fails its attempt
	}
	return out, err
}

// retryDelay says whether err may be retried under c's policy after try
// retries, and after how long: the policy's delay, or the server's
// Retry-After when that is longer.
func (cs *call) retryDelay(c *client, try int, err error) (time.Duration, bool) {
	p := c.policy
	if p == nil || try >= p.maxRetries || cs.mustStop(err) || !cs.retryable(err) {
		return 0, false
	}
	d := p.backoff(try)
	var he *HTTPError
	if errors.As(err, &he) && he.RetryAfter > 0 {
		if he.RetryAfter > maxRetryAfter {
			return 0, false
		}
		d = max(d, he.RetryAfter)
	}
	return d, true
}

// backoff returns the delay before retry number try+1.
func (p *retryPolicy) backoff(try int) time.Duration {
	if !p.exponential {
		return p.delay
	}
	d := float64(p.delay)
	for i := 0; i < try && d < float64(p.maxDelay); i++ {
		d *= p.multiplier
	}
	return min(time.Duration(d), p.maxDelay)
}

// retryable reports whether err is worth repeating: status 429 or 5xx, a
// network error, an attempt's timeout, and with Request.RetryInvalid a
// reply that cannot be parsed.
func (cs *call) retryable(err error) bool {
	var pe *ParseError
	if cs.req.RetryInvalid && errors.As(err, &pe) {
		return true
	}
	return retryable(err)
}

// retryable reports whether err is worth repeating whatever the call: status
// 429 or 5xx, a network error or an attempt's timeout.
func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Retryable()
	}
	var toe *TimeoutError
	if errors.As(err, &toe) {
		return toe.Kind != TimeoutTotal
	}
	var te *TransportError
	return errors.As(err, &te)
}

// attempt makes one provider request and records it; a streamed one when
// the call is (see streamAttempt).
func (cs *call) attempt(c *client) (output, error) {
	if cs.partial != nil && streams(c) {
		return cs.streamAttempt(c)
	}
	at, err := cs.begin(c, false)
	if err != nil {
		return output{}, err
	}
	comp, err := cs.exchange(c, at)
	return cs.end(at, comp, err)
}

// An attemptState is one provider attempt in progress.
type attemptState struct {
	idx  int
	ep   *endpoint
	msgs []vmspan.Message // the prompt with media prepared for the provider
	red  redactor
	ctx  context.Context // the attempt's: its request is made with it
	live *vmspan.Attempt // the attempt as sinks follow it (vmspan.StartAttempt)
	wd   *watchdog       // the attempt's timeouts, once its request is made
}

// begin resolves c's endpoint and media and records a new attempt (its
// Stream set when the reply is streamed), which it starts live. An error
// before any request is made (an unset variable, a media URL that cannot be
// fetched) records no attempt.
func (cs *call) begin(c *client, streamed bool) (*attemptState, error) {
	ep, err := cs.r.endpoint(cs.ctx, c)
	if err != nil {
		return nil, err
	}
	msgs, err := cs.r.resolveMedia(cs.ctx, ep, cs.msgs)
	if err != nil {
		return nil, err
	}
	at := &cs.firstState
	if len(cs.attempts) > 0 {
		at = new(attemptState)
	}
	at.idx, at.ep, at.msgs = len(cs.attempts), ep, msgs
	at.red = cs.addSecrets(ep, msgs)
	cs.attempts = append(cs.attempts, vmspan.LLMAttempt{
		Client: c.name, Provider: c.provider, Model: ep.model,
		Temperature: ep.temperature, MaxTokens: ep.maxTokens, Messages: cs.msgs, DynamicTypes: cs.dynamic,
	})
	a := &cs.attempts[at.idx]
	a.ServerAddress, a.ServerPort = ep.serverAddress, ep.serverPort
	if streamed {
		a.Stream = &vmspan.StreamInfo{} // filled in when the stream ends
	}
	a.Start = cs.r.now()
	at.ctx, at.live = vmspan.StartAttempt(cs.ctx, a)
	return at, nil
}

// end records the outcome of attempt at. A failed attempt ends here; a
// successful one stays live until its output is parsed (see endLive).
func (cs *call) end(at *attemptState, comp completion, err error) (output, error) {
	a := &cs.attempts[at.idx]
	if err != nil {
		a.Err = vmspan.ErrorInfoOf(err)
		cs.endLive(at)
		return output{}, err
	}
	a.ResponseModel, a.ResponseID, a.FinishReason, a.Usage = comp.model, comp.id, comp.finish, comp.usage
	a.Output = comp.text
	return output{text: comp.text, index: at.idx, at: at}, nil
}

// endLive ends the live attempt at with its record, redacted of every
// secret the call may use.
func (cs *call) endLive(at *attemptState) {
	if at == nil || at.live == nil {
		return
	}
	a := &cs.attempts[at.idx]
	done := redaction{secrets: len(cs.secrets), media: len(cs.media), records: len(cs.attempts) > 1}
	redactor{secrets: cs.secrets, media: cs.media}.attempt(a, done.records) // see finish
	if done != cs.redacted {
		cs.redacted, cs.clean = done, 0 // the attempts before at may lack what is new
	}
	if at.idx == cs.clean {
		cs.clean++
	}
	at.live.End(a)
}

// A redaction says what endLive redacted attempts with: the first secrets
// of the call's secrets and media values, and their HTTP records or not.
type redaction struct {
	secrets, media int
	records        bool
}

// exchange sends the request of attempt at and reads the reply.
func (cs *call) exchange(c *client, at *attemptState) (completion, error) {
	if at.ep.api == apiBedrock {
		return cs.converse(c, at)
	}
	w := wires[at.ep.api]
	hreq, cancel, err := cs.httpRequest(c, at, w, false)
	if err != nil {
		return completion{}, err
	}
	defer cancel()
	resp, rbody, err := cs.send(hreq, at)
	if err != nil {
		return completion{}, cs.transportError(c, at, err)
	}
	if err := cs.statusError(c, at.red, resp, rbody); err != nil {
		return completion{}, err
	}
	comp, err := w.parse(rbody)
	if err != nil {
		return completion{}, &ResponseError{Client: c.name, Msg: at.red.str(err.Error()), Body: excerpt(at.red.str(string(rbody)), errorBodyLen), Code: providerCode(rbody), Err: err}
	}
	return comp, nil
}

// httpRequest builds the HTTP request of attempt at and records it. The
// request's ctx carries the attempt's timeouts (see watch); the returned
// cancel ends them and must be called when the attempt ends.
func (cs *call) httpRequest(c *client, at *attemptState, w wire, stream bool) (*http.Request, context.CancelFunc, error) {
	wr, err := w.build(at.ep, at.msgs, stream)
	if err != nil {
		if isMediaError(err) {
			return nil, nil, err
		}
		return nil, nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "cannot build the request: " + err.Error()}
	}
	body := wr.raw
	if wr.plan == nil {
		finishRequest(at.ep, wr)
		body, err = marshalBody(wr.body)
		wr.release()
		if err != nil {
			return nil, nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "cannot encode request: " + err.Error()}
		}
	}
	a := &cs.attempts[at.idx]
	cs.r.propagator().Inject(at.ctx, propagation.HeaderCarrier(wr.header))
	ctx := cs.watch(c, at, stream)
	hreq, err := newHTTPRequest(ctx, wr, body)
	if err != nil {
		at.wd.stop()
		return nil, nil, &ConfigError{Pos: c.pos, Client: c.name, Msg: "bad base_url: " + at.red.str(err.Error())}
	}
	hreq.Header = wr.header
	a.ServerAddress, a.ServerPort = serverOfURL(hreq.URL)
	if cs.records() {
		a.Request = &vmspan.HTTPRecord{Method: http.MethodPost, URL: at.red.url(wr.url), Headers: at.red.headers(wr.header), Body: at.red.ownBody(body)}
	}
	return hreq, at.wd.stop, nil
}

// newHTTPRequest returns the POST request of wr with body. A request made
// under a plan takes a copy of the plan's parsed URL: the URL is parsed
// once per endpoint, not per request.
func newHTTPRequest(ctx context.Context, wr *wireRequest, body []byte) (*http.Request, error) {
	if wr.plan == nil {
		return http.NewRequestWithContext(ctx, http.MethodPost, wr.url, bytes.NewReader(body))
	}
	// net/http sets the rest as for any request: parsing "" costs only
	// the URL it makes, which takes the copy.
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	*hreq.URL = wr.plan.parsed
	hreq.Host = hreq.URL.Host
	return hreq, nil
}

// watch starts the watchdog of attempt at with its effective timeouts:
// the stricter of the client's and the call's, else the runtime's
// defaults. It returns the ctx of the attempt's request, below the
// attempt's own (which carries its live span).
func (cs *call) watch(c *client, at *attemptState, stream bool) context.Context {
	lim := at.ep.timeouts.stricter(cs.limits).or(cs.r.timeouts)
	ctx, wd := watch(at.ctx, c.name, lim, stream)
	at.wd = wd
	return ctx
}

// bound makes c's attempts end within total (a strategy's total_timeout_ms
// or the call's Total) and returns the function that lifts the bound.
func (cs *call) bound(c *client, total time.Duration) func() {
	saved := cs.ctx
	ctx, cancel := context.WithTimeoutCause(saved, total, &TimeoutError{Client: c.name, Kind: TimeoutTotal, Limit: total})
	cs.ctx = ctx
	return func() { cancel(); cs.ctx = saved }
}

// totalTimeout returns the *TimeoutError of a total bound that has passed,
// or nil.
func (cs *call) totalTimeout() *TimeoutError {
	var te *TimeoutError
	if cs.ctx.Err() != nil && errors.As(context.Cause(cs.ctx), &te) {
		return te
	}
	return nil
}

// send makes the request of attempt at and reads the whole reply, timing
// it into the attempt's record (whose Start begin set).
func (cs *call) send(hreq *http.Request, at *attemptState) (*http.Response, []byte, error) {
	a := &cs.attempts[at.idx]
	defer func() { a.Duration = cs.r.now().Sub(a.Start) }()
	resp, err := cs.r.http.Do(hreq)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(io.LimitReader(at.wd.body(resp.Body), maxReplyBody), resp.ContentLength)
	if cs.records() {
		a.Response = &vmspan.HTTPRecord{Status: resp.StatusCode, Headers: at.red.headers(resp.Header), Body: at.red.ownBody(body)}
	}
	return resp, body, err
}

// readBody reads r, a reply's body whose Content-Length is n (-1 when
// unknown), into a buffer sized by n when it is known (one allocation
// instead of io.ReadAll's doubling).
func readBody(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 || n >= maxReplyBody {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, n)
	for len(b) < cap(b) {
		k, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	// Full: the end should come next (unless Content-Length was wrong).
	var one [1]byte
	switch k, err := r.Read(one[:]); {
	case err == io.EOF:
		return b, nil
	case k > 0 || err == nil:
		rest, err := io.ReadAll(r)
		return append(append(b, one[:k]...), rest...), err
	default:
		return b, err
	}
}

// transportError returns the error of attempt at whose request or reply
// failed with err: the *TimeoutError of a timeout, the call's ctx error
// when it ended, else a *TransportError.
func (cs *call) transportError(c *client, at *attemptState, err error) error {
	if te := at.wd.timedOut(); te != nil {
		return te
	}
	if cerr := cs.ctx.Err(); cerr != nil {
		if te := cs.totalTimeout(); te != nil {
			return te
		}
		return fmt.Errorf("client %s: %w", c.name, cerr)
	}
	if te := at.wd.transportTimeout(err); te != nil {
		return te
	}
	return &TransportError{Client: c.name, Err: redactedError{at.red.str(err.Error()), err}}
}

// statusError returns the *HTTPError of a non-2xx reply, or nil.
func (cs *call) statusError(c *client, red redactor, resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	he := &HTTPError{Client: c.name, Provider: c.provider, Status: resp.StatusCode,
		Message: red.str(providerMessage(body)), Body: excerpt(red.str(string(body)), errorBodyLen)}
	if resp.StatusCode == 429 || resp.StatusCode == 503 {
		he.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), cs.r.now())
	}
	return he
}

// converse makes a Bedrock Converse request through the AWS SDK.
func (cs *call) converse(c *client, at *attemptState) (completion, error) {
	in, err := converseInput(at.ep, at.msgs)
	if err != nil {
		if isMediaError(err) {
			return completion{}, err
		}
		return completion{}, &ConfigError{Pos: c.pos, Client: c.name, Msg: "aws-bedrock: " + err.Error()}
	}
	rec := cs.recorder(at)
	bc, err := cs.r.bedrockClient(at.ctx, c, at.ep.aws, rec)
	if err != nil {
		return completion{}, err
	}
	ctx := cs.watch(c, at, false)
	defer at.wd.stop()
	rec.wd = at.wd
	a := &cs.attempts[at.idx]
	out, err := bc.Converse(ctx, in)
	a.Duration = cs.r.now().Sub(a.Start)
	cs.recordSDK(at, rec)
	if err != nil {
		return completion{}, cs.bedrockError(c, at, err)
	}
	comp, err := converseCompletion(at.ep, out)
	if err != nil {
		return completion{}, &ResponseError{Client: c.name, Msg: err.Error(), Err: err}
	}
	return comp, nil
}

// recorder returns the SDK HTTP client of attempt at.
func (cs *call) recorder(at *attemptState) *recordingClient {
	return &recordingClient{http: cs.r.http, before: func(req *http.Request) {
		a := &cs.attempts[at.idx]
		a.ServerAddress, a.ServerPort = serverOfURL(req.URL)
		for k, v := range at.ep.headers { // after signing: SigV4 signs only the headers it names
			req.Header.Set(k, v)
		}
		cs.r.propagator().Inject(at.ctx, propagation.HeaderCarrier(req.Header))
	}}
}

// recordSDK records the request and response an SDK attempt sent, and the
// secrets the SDK put in the request.
func (cs *call) recordSDK(at *attemptState, rec *recordingClient) {
	a, red := &cs.attempts[at.idx], at.red
	if rec.req != nil {
		cs.addSentSecrets(at, rec.req.Header)
		red = at.red
		if cs.records() {
			a.Request = &vmspan.HTTPRecord{Method: rec.req.Method, URL: red.url(rec.req.URL.String()), Headers: red.headers(rec.req.Header), Body: red.body(rec.reqBody)}
		}
	}
	if rec.resp != nil && cs.records() {
		a.Response = &vmspan.HTTPRecord{Status: rec.resp.StatusCode, Headers: red.headers(rec.resp.Header), Body: red.body(rec.respBody.Bytes())}
	}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || secs > 1e6 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	t, err := http.ParseTime(v)
	if err != nil {
		t, err = time.Parse(time.RFC1123, v) // "UTC" where HTTP says "GMT"
	}
	if d := t.Sub(now); err == nil && d > 0 {
		return d
	}
	return 0
}

// serverOf returns the host and port of a URL (the scheme's default port
// when none is given).
func serverOf(raw string) (string, int) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", 0
	}
	return serverOfURL(u)
}

// serverOfURL is serverOf for a parsed URL.
func serverOfURL(u *url.URL) (string, int) {
	port := 0
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	if port == 0 {
		switch u.Scheme {
		case "https":
			port = 443
		case "http":
			port = 80
		}
	}
	return u.Hostname(), port
}

// addSecrets notes the secret values an attempt uses (and the media whose
// bytes it sends) and returns a redactor for them.
func (cs *call) addSecrets(ep *endpoint, msgs []vmspan.Message) redactor {
	secrets := ep.secrets // clipped: appending copies it
	if o := ep.aws; o != nil && o.creds != nil {
		secrets = append(secrets, o.creds.SecretAccessKey, o.creds.SessionToken)
	}
	for _, m := range msgs {
		for _, p := range m.Parts {
			switch {
			case p.Media == nil:
			case p.Media.IsURL():
				secrets = append(secrets, vmspan.URLSecrets(p.Media.URL)...) // signed URLs
			default:
				cs.media = append(cs.media, p.Media)
			}
		}
	}
	cs.noteSecrets(secrets...)
	return redactor{secrets: secrets, media: cs.media}
}

// ownSecrets returns the secret values of ep's options: its API key,
// access token and the values of its secret headers.
func (ep *endpoint) ownSecrets() []string {
	var secrets []string
	for _, s := range []string{ep.apiKey, ep.bearer} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	for k, v := range ep.headers {
		if vmspan.IsSecretKey(k) {
			secrets = append(secrets, headerSecrets(v)...)
		}
	}
	return slices.Clip(secrets)
}

// noteSecrets adds secrets to those of the call, once each.
func (cs *call) noteSecrets(secrets ...string) {
	for _, s := range secrets {
		if s != "" && !slices.Contains(cs.secrets, s) {
			cs.secrets = append(cs.secrets, s)
		}
	}
}

// collectSecrets notes the API keys and secret headers of every client c
// may call (itself, or the clients of its strategy) before the first
// attempt, so that each attempt's record is redacted of all of them when
// it ends live (a key may sit in the prompt every attempt sends). A client
// whose options cannot be resolved has none to note; credentials that
// clouds issue per call (Vertex AI, Bedrock) are noted when obtained.
func (cs *call) collectSecrets(c *client, depth int) {
	if depth > len(cs.r.clients)+len(cs.over) { // a strategy cycle
		return
	}
	if len(c.children) == 0 {
		if key, err := cs.r.apiKey(c); err == nil {
			cs.noteSecrets(key)
		}
		if h, err := cs.r.headers(c); err == nil {
			for k, v := range h {
				if vmspan.IsSecretKey(k) {
					cs.noteSecrets(headerSecrets(v)...)
				}
			}
		}
		return
	}
	for _, name := range c.children {
		if child, err := cs.r.lookupIn(cs.over, name); err == nil {
			cs.collectSecrets(child, depth+1)
		}
	}
}

// headerSecrets returns the secret values in the value of a secret header:
// the whole value; for "Bearer X", "Basic X", "token X" the credential X,
// which a provider's error may echo alone; and for a SigV4 Authorization
// header its Signature.
func headerSecrets(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	out := []string{v}
	if _, cred, ok := strings.Cut(v, " "); ok && strings.TrimSpace(cred) != "" {
		out = append(out, strings.TrimSpace(cred))
	}
	if _, sig, ok := strings.Cut(v, "Signature="); ok {
		sig, _, _ = strings.Cut(sig, ",")
		out = append(out, strings.TrimSpace(sig))
	}
	return out
}

// addSentSecrets notes the secrets of the headers an SDK added to a request
// (SigV4's Authorization, X-Amz-Security-Token), so that an error echoing
// them is redacted too.
func (cs *call) addSentSecrets(at *attemptState, h http.Header) {
	for k, vs := range h {
		if vmspan.IsSecretKey(k) {
			for _, v := range vs {
				s := headerSecrets(v)
				at.red.secrets = append(at.red.secrets, s...)
				cs.noteSecrets(s...)
			}
		}
	}
}

// finish redacts every secret of the call from all attempts (a key of one
// client may appear in another's prompt) and returns them.
func (cs *call) finish() []vmspan.LLMAttempt {
	if cs.clean == len(cs.attempts) && cs.redacted == (redaction{len(cs.secrets), len(cs.media), len(cs.attempts) > 1}) {
		return cs.attempts // endLive redacted them all with what finish would
	}
	red := redactor{secrets: cs.secrets, media: cs.media}
	// An attempt's HTTP records were redacted with every secret and media
	// value of its own when they were made; only another attempt's can be
	// new to them.
	records := len(cs.attempts) > 1
	for i := range cs.attempts {
		red.attempt(&cs.attempts[i], records)
	}
	return cs.attempts
}
