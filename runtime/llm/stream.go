// stream.go holds Stream, the provider-level reading of a streamed reply:
// text deltas as they arrive, then the completion they add up to.

package llm

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bexrun/bex/vmspan"
)

// A Stream is one provider attempt's streamed reply, read as text deltas.
// It is the provider layer of streaming: every provider's wire format (SSE
// for OpenAI Chat Completions, OpenAI Responses, Anthropic Messages and
// Gemini; the AWS event stream for Bedrock) is decoded into the same deltas
// and the same completion (text, usage, finish reason, response model and
// id) that a non-streamed reply gives.
//
// Use: range over Deltas until it ends; then Err says whether the stream
// ended cleanly and Completion what the reply was. Stopping the range early
// closes the reply. Close is idempotent and must be called (a deferred
// Close is enough) to release the connection on every path. A Stream is not
// safe for concurrent use.
//
// A Stream made by (*call).stream is bounded by its attempt's timeouts
// (see Timeouts): its first text ends the time-to-first-token bound and
// starts the idle bound. Semantic streaming (typed partial values) is
// built on top of it.
type Stream struct {
	src    streamSource
	comp   completion // its text is kept in text while the stream is read
	text   strings.Builder
	chunks int // events with text, or the final event
	texts  int // events with text
	err    error
	done   bool
	closed bool
	wd     *watchdog // the attempt's timeouts; nil for none
	// now reads the clock for first, the time of the first text (zero
	// before it); nil: not timed.
	now   func() time.Time
	first time.Time
	log   *eventLog // the events as received, when asked for
	// at is the attempt; keepLive leaves it live when the stream ends
	// well, for the caller to end once it has parsed the output.
	at       *attemptState
	keepLive bool
	// onEnd is called once when the stream ends (cleanly, with an error, or
	// closed early), before Deltas returns; the attempt record uses it.
	onEnd func(*Stream)
}

// A streamSource yields a provider's stream events. next decodes the next
// event into c and returns its text delta ("" for events without text);
// io.EOF means the provider ended the stream properly.
type streamSource interface {
	next(c *completion) (string, error)
	close() error
}

// errStreamTruncated reports a stream that ended without the provider's
// final event: the connection ended early, as when it drops.
var errStreamTruncated = errors.New("the stream ended before the provider's final event")

// A decodeError is a stream event that cannot be decoded: a malformed
// reply, reported as a *ResponseError.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// Deltas yields the text deltas of the reply in order. Events without text
// (usage, keep-alives) are not yielded. A failure ends the sequence with
// one (\"\", err) pair; Err returns it afterwards too.
func (s *Stream) Deltas() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		defer s.end()
		for !s.done {
			if err := s.wd.ended(); err != nil { // events may be buffered: check between them
				s.err, s.done = err, true
				yield("", err)
				return
			}
			delta, err := s.src.next(&s.comp)
			if err == io.EOF {
				s.done = true
				return
			}
			s.chunks++
			if err != nil {
				s.err, s.done = err, true
				yield("", err)
				return
			}
			s.text.WriteString(delta)
			if delta == "" {
				continue
			}
			s.texts++
			if s.texts == 1 {
				s.wd.firstText()
				if s.now != nil {
					s.first = s.now()
				}
			}
			if !yield(delta, nil) {
				return
			}
		}
	}
}

func (s *Stream) end() {
	s.comp.text = s.text.String()
	s.Close()
	if s.onEnd != nil {
		f := s.onEnd
		s.onEnd = nil
		f(s)
	}
}

// Chunks returns how many provider events with text (and the final event)
// have been read.
func (s *Stream) Chunks() int { return s.chunks }

// Err returns the error that ended the stream, or nil.
func (s *Stream) Err() error { return s.err }

// Text returns the text received so far.
func (s *Stream) Text() string { return s.text.String() }

// Completion returns what the reply said: its text so far, and the usage,
// finish reason, response model and id as far as the provider sent them.
func (s *Stream) Completion() completion {
	c := s.comp
	c.text = s.text.String()
	return c
}

// Close releases the reply. A Stream closed before its end ends with no
// error of its own (the consumer stopped).
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed, s.done = true, true
	return s.src.close()
}

// An sseSource reads SSE events and decodes them with a wire's decoder.
type sseSource struct {
	body io.ReadCloser
	sse  *sseReader
	dec  streamDecoder
	seen bool      // the decoder saw its final event
	log  *eventLog // nil unless the events are recorded
}

// An eventLog keeps the events of a stream as received, redacted, up to
// maxRecordedBody bytes (Request.StreamEvents).
type eventLog struct {
	red    redactor
	events []string
	size   int
}

func (l *eventLog) add(e string) {
	if l == nil || l.size >= maxRecordedBody {
		return
	}
	e = l.red.str(e)
	l.size += len(e)
	l.events = append(l.events, e)
}

func (l *eventLog) list() []string {
	if l == nil {
		return nil
	}
	return l.events
}

// A streamDecoder decodes one API's stream events. event adds what ev says
// to c and returns its text delta; final reports whether ev was the last
// event of a complete reply (after which the stream may end).
type streamDecoder interface {
	event(ev sseEvent, c *completion) (delta string, final bool, err error)
}

func newSSESource(body io.ReadCloser, dec streamDecoder) *sseSource {
	return &sseSource{body: body, sse: newSSEReader(body), dec: dec}
}

func (s *sseSource) next(c *completion) (string, error) {
	if s.seen {
		return "", io.EOF // nothing after the final event is read: the server may keep the connection open
	}
	for {
		ev, err := s.sse.next()
		if err == io.EOF {
			// A reply with a finish reason is complete even when the server
			// closes without its API's last event (OpenAI-compatible
			// servers that send no [DONE]).
			if !s.seen && c.finish == "" {
				return "", errStreamTruncated
			}
			return "", io.EOF
		}
		if err != nil {
			return "", fmt.Errorf("reading the stream: %w", err)
		}
		if s.log != nil {
			if ev.Event != "" {
				s.log.add("event: " + ev.Event + "\ndata: " + ev.Data)
			} else {
				s.log.add("data: " + ev.Data)
			}
		}
		delta, final, err := s.dec.event(ev, c)
		if err != nil {
			var se *streamError
			if !errors.As(err, &se) {
				err = &decodeError{err}
			}
			return "", err
		}
		s.seen = final
		if delta != "" || final {
			return delta, nil
		}
	}
}

func (s *sseSource) close() error { return s.body.Close() }

// stream makes one streamed attempt with leaf client c: it sends the
// request asking for a streamed reply and returns the Stream as soon as the
// reply's status and headers are in. A non-2xx reply, a transport failure
// or a configuration problem is returned as for attempt (an *HTTPError with
// the provider's message, a *TransportError, ...) and ends the attempt.
// The attempt's record (usage, finish reason, output, error, duration) is
// completed when the Stream ends. Retries and fallbacks are the caller's
// to decide (the engine's streaming runs them as Call does).
//
// This is the provider layer the engine's Stream builds on: everything
// after the first byte (partial parsing, chunk timing, idle timeouts) is
// the consumer's.
func (cs *call) stream(c *client) (*Stream, error) {
	at, err := cs.begin(c, true)
	if err != nil {
		return nil, err
	}
	if at.ep.api == apiBedrock {
		return cs.converseStream(c, at)
	}
	w := wires[at.ep.api]
	hreq, cancel, err := cs.httpRequest(c, at, w, true)
	if err != nil {
		_, err = cs.end(at, completion{}, err)
		return nil, err
	}
	a := &cs.attempts[at.idx]
	resp, err := cs.r.http.Do(hreq)
	if err != nil {
		a.Duration = cs.r.now().Sub(a.Start)
		err = cs.transportError(c, at, err)
		cancel()
		_, err = cs.end(at, completion{}, err)
		return nil, err
	}
	if cs.records() {
		a.Response = &vmspan.HTTPRecord{Status: resp.StatusCode, Headers: at.red.headers(resp.Header)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
		resp.Body.Close()
		cancel()
		a.Duration = cs.r.now().Sub(a.Start)
		if a.Response != nil {
			a.Response.Body = at.red.body(body)
		}
		_, err = cs.end(at, completion{}, cs.statusError(c, at.red, resp, body))
		return nil, err
	}
	src := newSSESource(at.wd.body(resp.Body), w.decoder())
	s := &Stream{src: src, wd: at.wd, now: cs.r.now, at: at}
	if cs.events {
		s.log = &eventLog{red: at.red}
		src.log = s.log
	}
	s.onEnd = cs.streamEnd(c, at)
	return s, nil
}

// streamEnd returns the function that completes a streamed attempt's
// record when its Stream ends.
func (cs *call) streamEnd(c *client, at *attemptState) func(*Stream) {
	return func(s *Stream) {
		a := &cs.attempts[at.idx]
		a.Duration = cs.r.now().Sub(a.Start)
		err := s.err
		var se *streamError
		var de *decodeError
		switch {
		case err == nil, errors.Is(err, ErrStopped):
		case at.wd.timedOut() != nil || cs.ctx.Err() != nil:
			err = cs.transportError(c, at, err)
		case errors.As(err, &se):
			err = &ResponseError{Client: c.name, Msg: at.red.str(se.Error()), Code: se.code, Err: se}
		case errors.As(err, &de):
			err = &ResponseError{Client: c.name, Msg: at.red.str(de.Error()), Err: de}
		default: // a network error, or a stream that ended early
			err = cs.transportError(c, at, err)
		}
		at.wd.stop()
		s.err = err
		a.Stream = &vmspan.StreamInfo{Chunks: s.texts, Events: s.log.list()} // a new record: the start's may be kept by a sink
		if !s.first.IsZero() {
			a.Stream.FirstChunk = s.first.Sub(a.Start)
		}
		if _, err := cs.end(at, s.comp, err); err == nil && !s.keepLive {
			cs.endLive(at) // nothing parses this stream's output (see streamAttempt)
		}
	}
}

// converseStream makes a Bedrock ConverseStream request through the SDK,
// which decodes the AWS event stream.
func (cs *call) converseStream(c *client, at *attemptState) (*Stream, error) {
	in, err := converseInput(at.ep, at.msgs)
	if err != nil {
		_, err = cs.end(at, completion{}, &ConfigError{Pos: c.pos, Client: c.name, Msg: "aws-bedrock: " + err.Error()})
		return nil, err
	}
	rec := cs.recorder(at)
	bc, err := cs.r.bedrockClient(at.ctx, c, at.ep.aws, rec)
	if err != nil {
		_, err = cs.end(at, completion{}, err)
		return nil, err
	}
	ctx := cs.watch(c, at, true)
	rec.wd = at.wd
	a := &cs.attempts[at.idx]
	out, err := bc.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: in.ModelId, Messages: in.Messages, System: in.System,
		InferenceConfig: in.InferenceConfig, AdditionalModelRequestFields: in.AdditionalModelRequestFields,
	})
	cs.recordSDK(at, rec)
	if err != nil {
		a.Duration = cs.r.now().Sub(a.Start)
		err = cs.bedrockError(c, at, err)
		at.wd.stop()
		_, err = cs.end(at, completion{}, err)
		return nil, err
	}
	src := &bedrockSource{es: out.GetStream()}
	s := &Stream{src: src, wd: at.wd, now: cs.r.now, at: at}
	if cs.events {
		s.log = &eventLog{red: at.red}
		src.log = s.log
	}
	s.comp.id, _ = awsmw.GetRequestIDMetadata(out.ResultMetadata)
	s.onEnd = cs.streamEnd(c, at)
	return s, nil
}

// streamAttempt makes one streamed attempt with leaf client c, passing the
// partial values of its reply to the call's partial as the reply grows. A
// failure before any partial value was delivered is retried and falls back
// as for an attempt that is not streamed; once values were delivered, it
// ends the call (see mustStop).
func (cs *call) streamAttempt(c *client) (output, error) {
	s, err := cs.stream(c)
	if err != nil {
		return output{}, err
	}
	defer s.Close()
	s.keepLive = true // Call ends it once the output is parsed
	cs.partials.reset()
	for delta, err := range s.Deltas() {
		if err != nil {
			break
		}
		v, ok := cs.partials.feed(delta)
		if !ok {
			continue
		}
		cs.delivered = true
		if !cs.partial(v) {
			s.err = ErrStopped // the attempt ends with it
			break
		}
	}
	if err := s.Err(); err != nil {
		return output{}, err
	}
	return output{text: s.Text(), index: s.at.idx, at: s.at}, nil
}

// streams reports whether c's replies may be streamed: BAML's
// supports_streaming false says they may not (the call then gets the
// whole reply at once).
func streams(c *client) bool {
	v, ok := c.options["supports_streaming"].(bool)
	return !ok || v
}
