// stream.go holds Stream, the provider-level reading of a streamed reply:
// text deltas as they arrive, then the completion they add up to.

package llm

import (
	"errors"
	"fmt"
	"io"
	"iter"
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
// Semantic streaming (typed partial values), time-to-first-chunk tracing
// and idle timeouts are built on top of it (the engine's Stream); a Stream
// itself adds no timer: the ctx of the request bounds it.
type Stream struct {
	src    streamSource
	comp   completion
	chunks int
	err    error
	done   bool
	closed bool
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
// final event.
var errStreamTruncated = errors.New("the stream ended before the provider's final event")

// Deltas yields the text deltas of the reply in order. Events without text
// (usage, keep-alives) are not yielded. A failure ends the sequence with
// one (\"\", err) pair; Err returns it afterwards too.
func (s *Stream) Deltas() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		defer s.end()
		for !s.done {
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
			s.comp.text += delta
			if delta != "" && !yield(delta, nil) {
				return
			}
		}
	}
}

func (s *Stream) end() {
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
func (s *Stream) Text() string { return s.comp.text }

// Completion returns what the reply said: its text so far, and the usage,
// finish reason, response model and id as far as the provider sent them.
func (s *Stream) Completion() completion { return s.comp }

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
	seen bool // the decoder saw its final event
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
		if s.seen {
			continue // anything after the final event (OpenAI's [DONE] after usage) is ignored
		}
		delta, final, err := s.dec.event(ev, c)
		if err != nil {
			return "", err
		}
		s.seen = final
		if delta != "" || final {
			return delta, nil
		}
	}
}

func (s *sseSource) close() error { return s.body.Close() }
