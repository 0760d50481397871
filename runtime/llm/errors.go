// errors.go holds the typed errors of LLM calls.

package llm

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// ErrStopped is the error of a streamed call whose consumer stopped it
// (Request.Partial returned false). It wraps context.Canceled: the call was
// cancelled.
var ErrStopped = fmt.Errorf("the consumer stopped the stream: %w", context.Canceled)

// A ConfigError reports a bad client<llm> or retry_policy declaration, an
// unknown client, or an option that cannot be resolved at call time (such as
// an unset environment variable). Pos is "file:line:col" when known.
type ConfigError struct {
	Pos    string
	Client string // the client concerned, if any
	Msg    string
}

// Error returns the position, client and problem.
func (e *ConfigError) Error() string {
	s := e.Msg
	if e.Client != "" {
		s = "client " + e.Client + ": " + s
	}
	if e.Pos != "" {
		s = e.Pos + ": " + s
	}
	return s
}

// ErrorType returns "LLMConfigError".
func (e *ConfigError) ErrorType() string { return "LLMConfigError" }

// A PromptError reports a prompt template that does not compile or render.
// Line is the line in File (the .baml source) when known, else 0.
type PromptError struct {
	Function string
	File     string
	Line     int
	Msg      string
	Err      error // the template engine's error
	// rendering is set for a failure while rendering, whose message may
	// quote the values of the prompt's variables.
	rendering bool
}

// Error returns the source position, function and problem.
func (e *PromptError) Error() string { return e.where() + e.Msg }

// ErrorSummary returns Error without the message of a failure to render,
// which may quote the prompt's variables (see vmspan.ErrorSummary); a
// template that does not compile keeps its message: it quotes the source.
func (e *PromptError) ErrorSummary() string {
	if e.rendering {
		return e.where() + "the prompt does not render"
	}
	return e.Error()
}

// where returns "file:line: prompt of Function: ".
func (e *PromptError) where() string {
	pos := e.File
	if pos == "" {
		pos = "prompt"
	}
	if e.Line > 0 {
		pos += ":" + strconv.Itoa(e.Line)
	}
	fn := ""
	if e.Function != "" {
		fn = "prompt of " + e.Function + ": "
	}
	return pos + ": " + fn
}

// Unwrap returns the template engine's error.
func (e *PromptError) Unwrap() error { return e.Err }

// ErrorType returns "PromptError".
func (e *PromptError) ErrorType() string { return "PromptError" }

// An HTTPError reports a provider reply with a non-2xx status.
type HTTPError struct {
	Client     string
	Provider   string
	Status     int
	Message    string        // the provider's error message, when its body has one
	Body       string        // the start of the reply body (redacted)
	RetryAfter time.Duration // from a Retry-After header (429 and 503 only), 0 when absent
}

// Error returns the client, status and the provider's message.
func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Body
	}
	s := e.ErrorSummary()
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// ErrorSummary returns the client and status, without the provider's
// message, which may echo the prompt (see vmspan.ErrorSummary).
func (e *HTTPError) ErrorSummary() string {
	return "client " + e.Client + " (" + e.Provider + "): HTTP " + strconv.Itoa(e.Status)
}

// ErrorType returns "LLMHTTPError".
func (e *HTTPError) ErrorType() string { return "LLMHTTPError" }

// ErrorCode returns the HTTP status, such as "429": OpenTelemetry's
// error.type of the attempt.
func (e *HTTPError) ErrorCode() string { return strconv.Itoa(e.Status) }

// Retryable reports whether the request may succeed if repeated: status 429
// or 5xx.
func (e *HTTPError) Retryable() bool { return e.Status == 429 || e.Status >= 500 }

// A TransportError reports a request whose reply failed for a network
// error: no connection, a connection dropped before or during the reply. It
// is retried. (A timeout is a *TimeoutError.)
type TransportError struct {
	Client string
	Err    error
}

// Error returns the client and the network error.
func (e *TransportError) Error() string {
	return "client " + e.Client + ": " + e.Err.Error()
}

// Unwrap returns the network error.
func (e *TransportError) Unwrap() error { return e.Err }

// ErrorType returns "LLMTransportError".
func (e *TransportError) ErrorType() string { return "LLMTransportError" }

// A ResponseError reports a 2xx reply whose body is not a valid completion
// (undecodable JSON, no choices, an error object). It is not retried.
type ResponseError struct {
	Client string
	Msg    string
	Body   string // the start of the body (redacted)
	Code   string // the provider's error code, when the body has one
	Err    error  // the error behind Msg, if any
}

// ErrorCode returns the provider's error code, or "".
func (e *ResponseError) ErrorCode() string { return e.Code }

// Error returns the client and what is wrong with the body.
func (e *ResponseError) Error() string {
	return "client " + e.Client + ": bad completion body: " + e.Msg
}

// ErrorSummary returns Error with Err's summary for Msg, which may hold a
// message of the provider's (see vmspan.ErrorSummary); without Err, Msg is
// left out.
func (e *ResponseError) ErrorSummary() string {
	s := "client " + e.Client + ": bad completion body"
	if e.Err != nil {
		s += ": " + vmspan.ErrorSummary(e.Err)
	}
	return s
}

// Unwrap returns the error behind Msg, if any.
func (e *ResponseError) Unwrap() error { return e.Err }

// ErrorType returns "LLMResponseError".
func (e *ResponseError) ErrorType() string { return "LLMResponseError" }

// A ParseError reports a reply that cannot be coerced to the return type.
// Path names the offending value ("priority", "items[2].title"; empty for
// the whole output).
type ParseError struct {
	Function string
	Path     string
	Msg      string // what was wanted and what was found
	Reply    string // the whole reply text
	// Notes lists the lossy coercions that strict parsing refused (nil
	// when the reply could not be coerced at all).
	Notes []vmspan.ParseNote
	// Assert is set when the reply was refused because a value failed an
	// @assert: Unwrap returns it, so errors.As finds it.
	Assert *AssertError
	// summary is Msg without the reply's values ("": unknown).
	summary string
}

// replyExcerptLen is how much of the reply a ParseError message shows.
const replyExcerptLen = 200

// Error returns the field path, the mismatch and the start of the reply.
func (e *ParseError) Error() string {
	return e.where() + e.Msg + "; reply starts: " + strconv.Quote(excerpt(e.Reply, replyExcerptLen))
}

// ErrorSummary returns Error without the reply and the values of it that
// Msg quotes (see vmspan.ErrorSummary): the field path, what was wanted
// and the kind of what was found ("want int, got a string"), or the
// @assert that failed.
func (e *ParseError) ErrorSummary() string {
	msg := e.summary
	switch {
	case e.Assert != nil:
		msg = e.Assert.describe(false)
	case msg == "":
		msg = "the reply does not fit the return type"
	}
	return e.where() + msg
}

// where returns "cannot parse LLM output of Function: field "path": ".
func (e *ParseError) where() string {
	s := "cannot parse LLM output"
	if e.Function != "" {
		s += " of " + e.Function
	}
	if e.Path != "" {
		s += ": field " + strconv.Quote(e.Path)
	}
	return s + ": "
}

// A summarizedError is an error whose message quotes content (a
// provider's words, a file path given as an argument), with its summary,
// which does not (see vmspan.ErrorSummary), and the error it wraps, if
// any.
type summarizedError struct {
	msg, summary string
	err          error
}

func (e *summarizedError) Error() string        { return e.msg }
func (e *summarizedError) ErrorSummary() string { return e.summary }
func (e *summarizedError) Unwrap() error        { return e.err }

// wrap returns err after text, which quotes nothing.
func wrap(text string, err error) error {
	return &summarizedError{msg: text + err.Error(), summary: text + vmspan.ErrorSummary(err), err: err}
}

// ErrorType returns "LLMParseError", or "AssertError" when an @assert
// refused the reply.
func (e *ParseError) ErrorType() string {
	if e.Assert != nil {
		return e.Assert.ErrorType()
	}
	return "LLMParseError"
}

// Unwrap returns the *AssertError that refused the reply, if any.
func (e *ParseError) Unwrap() error {
	if e.Assert == nil {
		return nil
	}
	return e.Assert
}

// excerpt returns the first n bytes of s (cut at a rune boundary), with "…"
// when s is longer.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
