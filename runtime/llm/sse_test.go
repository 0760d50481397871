package llm

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAllEvents(r io.Reader) ([]sseEvent, error) {
	s := newSSEReader(r)
	var out []sseEvent
	for {
		ev, err := s.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func TestSSEReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []sseEvent
	}{
		{"basic", "data: a\n\ndata: b\n\n", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"named", "event: ping\ndata: {}\nid: 7\n\n", []sseEvent{{Event: "ping", Data: "{}", ID: "7"}}},
		{"multi-line data", "data: a\ndata: b\n\n", []sseEvent{{Data: "a\nb"}}},
		{"comments and keep-alives", ": keep-alive\n\n:\n\ndata: x\n\n\n\n", []sseEvent{{Data: "x"}}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"lone CR", "data: a\r\rdata: b\r\r", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"no space after colon", "data:a\n\n", []sseEvent{{Data: "a"}}},
		{"two spaces keep one", "data:  a\n\n", []sseEvent{{Data: " a"}}},
		{"field without colon", "data\n\n", []sseEvent{{Data: ""}}},
		{"unknown field ignored", "retry: 10\nfoo: bar\ndata: a\n\n", []sseEvent{{Data: "a"}}},
		{"event without data not dispatched", "event: x\n\ndata: a\n\n", []sseEvent{{Data: "a"}}},
		{"BOM", "\xEF\xBB\xBFdata: a\n\n", []sseEvent{{Data: "a"}}},
		{"unterminated last event", "data: a\n\ndata: b", []sseEvent{{Data: "a"}, {Data: "b"}}},
		{"DONE", "data: [DONE]\n\n", []sseEvent{{Data: "[DONE]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in)), iotest.HalfReader(strings.NewReader(tt.in))} {
				got, err := readAllEvents(r)
				if err != nil || !equalEvents(got, tt.want) {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
			}
		})
	}
}

func equalEvents(a, b []sseEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSSEReaderLimits(t *testing.T) {
	big := "data: " + strings.Repeat("x", maxSSEEvent+1) + "\n\n"
	if _, err := readAllEvents(strings.NewReader(big)); !errors.Is(err, errSSETooLarge) {
		t.Errorf("oversized line: %v", err)
	}
	many := strings.Repeat("data: "+strings.Repeat("y", 1<<20)+"\n", 17) + "\n"
	if _, err := readAllEvents(strings.NewReader(many)); !errors.Is(err, errSSETooLarge) {
		t.Errorf("oversized event: %v", err)
	}
	if _, err := readAllEvents(iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: %v", err)
	}
}

// FuzzSSE checks that the reader never panics, never returns more data than
// it read, and reads the same events however the input is split.
func FuzzSSE(f *testing.F) {
	for _, s := range []string{"data: a\n\n", "event: x\r\ndata: {}\r\n\r\n", ": c\rdata\rdata: z\n", "\xEF\xBB\xBFid: 1\n\n", "data: [DONE]\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		whole, err1 := readAllEvents(strings.NewReader(in))
		split, err2 := readAllEvents(iotest.OneByteReader(strings.NewReader(in)))
		if (err1 == nil) != (err2 == nil) || !equalEvents(whole, split) {
			t.Fatalf("whole %q (%v) != split %q (%v)", whole, err1, split, err2)
		}
		n := 0
		for _, ev := range whole {
			n += len(ev.Data)
		}
		if n > len(in) {
			t.Fatalf("%d bytes of data from %d bytes of input", n, len(in))
		}
	})
}

// streamOf decodes an SSE transcript with a wire's decoder.
func streamOf(w wire, transcript string) *Stream {
	return &Stream{src: newSSESource(io.NopCloser(strings.NewReader(transcript)), w.decoder())}
}

func TestStreamFaults(t *testing.T) {
	tests := []struct {
		name       string
		w          wire
		transcript string
		text, err  string
	}{
		{"truncated openai", openAIWire{}, `data: {"choices":[{"delta":{"content":"Hel"}}]}` + "\n\n", "Hel", errStreamTruncated.Error()},
		{"openai without DONE but finished", openAIWire{}, `data: {"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}` + "\n\n", "ok", ""},
		{"openai error event", openAIWire{}, `data: {"error":{"message":"server overloaded"}}` + "\n\n", "", "the provider sent an error event: server overloaded"},
		{"anthropic error event", anthropicWire{}, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n", "", "the provider sent an error event: Overloaded"},
		{"anthropic truncated", anthropicWire{}, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n", "Hi", errStreamTruncated.Error()},
		{"malformed JSON", googleWire{}, "data: {not json\n\n", "", "not a GenerateContentResponse: invalid character 'n' looking for beginning of object key string"},
		{"gemini blocked", googleWire{}, `data: {"promptFeedback":{"blockReason":"SAFETY"}}` + "\n\n", "", "the provider sent an error event: the prompt was blocked: SAFETY"},
		{"responses failed", responsesWire{}, `data: {"type":"response.failed","response":{"error":{"message":"boom"}}}` + "\n\n", "", "the provider sent an error event: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := streamOf(tt.w, tt.transcript)
			var text string
			for d, err := range s.Deltas() {
				if err == nil {
					text += d
				}
			}
			errText := ""
			if s.Err() != nil {
				errText = s.Err().Error()
			}
			if text != tt.text || errText != tt.err {
				t.Errorf("text %q err %q; want %q, %q", text, errText, tt.text, tt.err)
			}
		})
	}
}

func TestStreamStopEarlyCloses(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n")}
	s := &Stream{src: newSSESource(body, openAIDecoder{})}
	for range s.Deltas() {
		break
	}
	if body.closed != 1 || s.Text() != "a" || s.Err() != nil {
		t.Errorf("closed %d times, text %q, err %v", body.closed, s.Text(), s.Err())
	}
	s.Close()
	if body.closed != 1 {
		t.Errorf("Close after the end closed again")
	}
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// FuzzStreamDecoders feeds arbitrary streams to every API's decoder: no
// panic, and the text is the concatenation of the deltas.
func FuzzStreamDecoders(f *testing.F) {
	for _, s := range []string{
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n",
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"g\"}]},\"finishReason\":\"STOP\"}]}\n\n",
		"data: {\"type\":\"response.output_text.delta\",\"delta\":\"r\"}\n\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":1}}}\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, w := range []wire{openAIWire{}, anthropicWire{}, googleWire{}, responsesWire{}} {
			s := streamOf(w, in)
			var text string
			for d, err := range s.Deltas() {
				if err == nil {
					text += d
				}
			}
			if text != s.Text() {
				t.Fatalf("%T: deltas %q, text %q", w, text, s.Text())
			}
		}
	})
}
