// sse.go reads server-sent events, the framing of every streamed provider
// reply except Bedrock's.

package llm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxSSEEvent bounds the bytes of one event (its data lines together), so a
// server that never ends an event cannot make the reader grow without limit.
const maxSSEEvent = 16 << 20

// An sseEvent is one dispatched server-sent event. Event is "" when the
// server named none ("message" in the standard's terms).
type sseEvent struct {
	Event string
	Data  string
	ID    string
}

// An sseReader reads events from a stream as the WHATWG HTML standard
// describes them, tolerantly: lines end in LF, CRLF or a lone CR; a leading
// byte order mark is dropped; lines starting with ':' are comments
// (keep-alives); "data" lines of one event join with "\n"; unknown fields
// are ignored; a line with no colon is a field with an empty value; events
// with no data (a lone "event:" or blank keep-alive lines) are not
// dispatched. An event left unterminated at the end of the stream is
// dispatched too: servers that close right after the last data line exist.
// Events split across reads are reassembled by the underlying buffer.
type sseReader struct {
	r     *bufio.Reader
	first bool
	// pending holds the second half of a line that a lone CR split.
	pending []byte
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 64<<10), first: true}
}

// errSSETooLarge reports an event over maxSSEEvent bytes.
var errSSETooLarge = fmt.Errorf("server-sent event over %d bytes", maxSSEEvent)

// next returns the next event, or io.EOF when the stream ends cleanly.
func (s *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	var data bytes.Buffer
	hasData := false
	for {
		line, err := s.line()
		if err == io.EOF {
			if hasData {
				ev.Data = data.String()
				return ev, nil
			}
			return sseEvent{}, io.EOF
		}
		if err != nil {
			return sseEvent{}, err
		}
		if len(line) == 0 { // blank line: dispatch
			if hasData {
				ev.Data = data.String()
				return ev, nil
			}
			ev = sseEvent{}
			continue
		}
		if line[0] == ':' {
			continue // comment
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			if data.Len()+len(value) > maxSSEEvent {
				return sseEvent{}, errSSETooLarge
			}
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "event":
			ev.Event = string(value)
		case "id":
			if !bytes.ContainsRune(value, 0) {
				ev.ID = string(value)
			}
		}
	}
}

// line returns the next line without its terminator.
func (s *sseReader) line() ([]byte, error) {
	if s.pending != nil {
		return s.split(s.pending), nil
	}
	var buf []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxSSEEvent {
			return nil, errSSETooLarge
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			buf = append(buf, chunk...)
			continue
		}
		if buf != nil {
			chunk = append(buf, chunk...)
		}
		if err == io.EOF && len(chunk) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if s.first {
			s.first = false
			chunk = bytes.TrimPrefix(chunk, []byte("\xEF\xBB\xBF"))
		}
		chunk = bytes.TrimSuffix(chunk, []byte("\n"))
		chunk = bytes.TrimSuffix(chunk, []byte("\r"))
		return s.split(chunk), nil
	}
}

// split returns the part of b before a lone CR (a line terminator too),
// keeping the rest for the next call.
func (s *sseReader) split(b []byte) []byte {
	i := bytes.IndexByte(b, '\r')
	if i < 0 {
		s.pending = nil
		return b
	}
	s.pending = b[i+1:]
	return b[:i]
}
