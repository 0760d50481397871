// runtime.go holds the Runtime, its options, and the engine-facing Request and Result.

package llm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// A Runtime makes LLM function calls for a loaded program: it holds the
// validated clients and retry policies, the compiled prompt templates, and
// the HTTP client. A Runtime is safe for concurrent use.
type Runtime struct {
	clients  map[string]*client
	policies map[string]*retryPolicy
	tpl      *templates
	http     *http.Client
	env      func(string) (string, bool)
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	timeouts Timeouts                      // the defaults, all set
	gcreds   sync.Map                      // credentials key -> *google.Credentials (vertex-ai)
	prop     propagation.TextMapPropagator // nil: the global one, at each request
}

// An Option configures a Runtime.
type Option func(*Runtime)

// WithHTTPClient sets the HTTP client for provider requests (default: one
// made by NewHTTPClient, shared by every Runtime of the process). The
// client's own timeouts then bound each request too, besides ctx and the
// runtime's timeouts (see Timeouts).
func WithHTTPClient(c *http.Client) Option { return func(r *Runtime) { r.http = c } }

// WithEnv sets how env.NAME option values are read, at call time (default
// os.LookupEnv).
func WithEnv(f func(string) (string, bool)) Option { return func(r *Runtime) { r.env = f } }

// WithSleep sets how the runtime waits between retries (default: a timer
// that returns ctx's error early when ctx is done). Tests inject a sleep
// that records the durations and returns at once.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(r *Runtime) { r.sleep = f }
}

// WithClock sets the clock for attempt start times and durations, and for
// Retry-After dates (default time.Now).
func WithClock(f func() time.Time) Option { return func(r *Runtime) { r.now = f } }

// WithPropagator sets the propagator that injects the trace context of
// each attempt into its request's headers (traceparent, tracestate and
// baggage, with the default W3C propagators). The default is the global
// propagator (otel.GetTextMapPropagator) at the time of each request,
// which is a no-op until the application sets one.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(r *Runtime) { r.prop = p }
}

// propagator returns the propagator of the requests made now.
func (r *Runtime) propagator() propagation.TextMapPropagator {
	if r.prop != nil {
		return r.prop
	}
	return otel.GetTextMapPropagator()
}

// NewRuntime validates the client and retry policy declarations and returns
// a Runtime. Every problem found is reported (errors.Join of *ConfigError,
// each with its declaration's Pos): an unknown provider or retry policy, a
// missing model, a badly typed option, a fallback or round-robin strategy
// naming an unknown client, a strategy cycle. Environment variables are not
// read here: env.NAME values are resolved at each call.
func NewRuntime(clients []ClientDecl, policies []RetryPolicyDecl, opts ...Option) (*Runtime, error) {
	cs, ps, err := compileDecls(clients, policies)
	if err != nil {
		return nil, err
	}
	r := &Runtime{clients: cs, policies: ps, tpl: newTemplates(nonce()), http: defaultHTTPClient(), env: os.LookupEnv, sleep: sleepCtx, now: time.Now, timeouts: DefaultTimeouts()}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// nonce returns random hex that makes role markers unforgeable by argument
// text (a user-supplied string cannot open a system message).
func nonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// A Request is one call of an LLM function.
type Request struct {
	Function   string // the LLM function's name, for errors
	Client     string // a client<llm> name, or a "provider/model" shorthand
	Prompt     string // the template text as written between #" and "#
	PromptFile string // the source file, for errors
	PromptLine int    // the source line of the template's first line, for errors
	Args       []vmspan.Arg
	Output     *types.Type // the return type; nil means string
	// Registry adds or overrides clients for this call, and its primary
	// client, when set, replaces Client. Nil: the program's clients.
	Registry *ClientRegistry
	// Strict refuses a reply whose coercion loses data (see ParseOptions):
	// the call fails with a *ParseError listing the parse notes.
	Strict bool
	// Types holds what the call adds to the program's @@dynamic classes
	// and enums (nil: nothing). The output format shows the additions and
	// the reply is parsed with them.
	Types *types.Overlay
	// Partial, when set, streams the call: every provider attempt asks for
	// a streamed reply, and Partial is called with each new partial value
	// of the return type as the reply grows (see Streaming in the package
	// doc). It returns false to stop the call, which then fails with
	// ErrStopped. Call's Result is the same as without Partial.
	Partial func(v any) bool
	// StreamEvents records the events of each streamed reply, as received
	// and redacted, in its attempt's Stream.Events (at most 1 MiB).
	StreamEvents bool
	// Timeouts bound this call's requests further: each set field applies
	// where it is stricter than the client's own (see Timeouts); Total
	// bounds the whole call, all attempts included.
	Timeouts Timeouts
	// RetryInvalid makes a reply that cannot be parsed into Output, or
	// whose value fails an @assert, a failed attempt like a 5xx: it is
	// retried under the client's retry policy, and a fallback or
	// round-robin client moves on to its next client. By default such a
	// reply fails the call at once, as in BAML. A streamed call whose
	// partial values were delivered is not retried either way.
	RetryInvalid bool
	// NoHTTPRecords leaves out the HTTP records of the attempts (their
	// Request and Response in Result.Attempts stay nil), for a caller that
	// reads neither: the engine sets it for a call that no sink traces.
	// Recording an attempt's exchange copies its headers and redacts every
	// recorded text.
	NoHTTPRecords bool
}

// A Result is the outcome of a call. Attempts and Messages are filled in
// whenever they exist, also when Call returns an error.
type Result struct {
	// Value is the coerced output in snapshot form: nil, bool, int64,
	// float64, string, []any, map[string]any, vmspan.Object (a class, fields
	// in declaration order, by field name) or vmspan.Enum (Value is the
	// variant's declared name).
	Value any
	// Attempts lists every provider request in order (retries and
	// fallbacks); Selected is set on the one whose output became Value.
	Attempts []vmspan.LLMAttempt
	// Messages is the rendered prompt.
	Messages []vmspan.Message
	// Notes lists what coercing the reply to the return type lost
	// (elements dropped, values rounded or defaulted, a truncated reply);
	// nil when nothing was. The selected attempt carries them too.
	Notes []vmspan.ParseNote
	// Checks lists the outcomes of the @check constraints on Value, in the
	// order of the result (nil when the return type has none). The
	// selected attempt carries them too.
	Checks []vmspan.CheckResult
}

// ValidateClient reports whether a function may name client: a declared
// client or a valid "provider/model" shorthand. The engine calls it at load
// time so that a misspelt client is an error before any call.
func (r *Runtime) ValidateClient(name string) error {
	_, err := r.lookup(name)
	return err
}

func (r *Runtime) lookup(name string) (*client, error) { return r.lookupIn(nil, name) }

// lookupIn finds a client in over (a call's registry clients), then in the
// program's clients, then as a shorthand.
func (r *Runtime) lookupIn(over map[string]*client, name string) (*client, error) {
	if c, ok := over[name]; ok {
		return c, nil
	}
	if c, ok := r.clients[name]; ok {
		return c, nil
	}
	return shorthandClient(name)
}

// Render renders req's prompt into chat messages without calling a
// provider (the engine's dry runs and tests use it). Errors are
// *PromptError or, for an unknown client, *ConfigError.
func (r *Runtime) Render(req Request) ([]vmspan.Message, error) {
	over, err := r.overlay(req.Registry)
	if err != nil {
		return nil, err
	}
	if req.Registry != nil && req.Registry.primary != "" {
		req.Client = req.Registry.primary
	}
	c, err := r.lookupIn(over, req.Client)
	if err != nil {
		return nil, err
	}
	return r.render(&req, c)
}

func (r *Runtime) render(req *Request, c *client) ([]vmspan.Message, error) {
	role, _ := c.options["default_role"].(string)
	return r.tpl.render(req, c.name, c.provider, role)
}
