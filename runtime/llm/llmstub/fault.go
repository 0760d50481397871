// fault.go holds the ways a scripted reply can go wrong, and the writing of
// streamed replies with their pacing and faults.

package llmstub

import (
	"context"
	"net/http"
)

// A Fault is a way a reply goes wrong, for testing how a client copes.
// Reply.Fault chooses one and Reply.FaultAfter says after how many events
// of a streamed reply it happens (0: before the first).
type Fault int

const (
	// NoFault: the reply is written as scripted.
	NoFault Fault = iota
	// FaultHang accepts the request and never answers, not even with
	// headers, until the client goes away (or the server closes).
	FaultHang
	// FaultStall sends the headers and FaultAfter events (of a plain reply:
	// nothing of its body), then nothing more, holding the connection open
	// until the client goes away. With FaultAfter 0 the reply never sends a
	// byte of its body.
	FaultStall
	// FaultDrop sends FaultAfter events and half of the next one (of a
	// plain reply: half its body), then drops the connection.
	FaultDrop
	// FaultMalformed sends FaultAfter events, then an event whose data is
	// not valid JSON (Bedrock: bytes that are not an event-stream message),
	// and ends the reply. A plain reply's body is cut in half and ended
	// cleanly.
	FaultMalformed
	// FaultNoFinal sends every event up to the one that carries the finish
	// reason, and ends the reply cleanly without it (and without the
	// events after it: usage, [DONE], message_stop). FaultAfter is unused.
	FaultNoFinal
)

var faultNames = [...]string{"none", "hang", "stall", "drop", "malformed", "no-final"}

// String returns the fault's name.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault(?)"
}

// sendEvents writes the events of a streamed reply, paced by
// r.FirstChunkDelay and r.ChunkDelay, with r's fault. It returns when the
// reply is written, the fault ended it, or ctx ends (the client went away).
func sendEvents(ctx context.Context, w http.ResponseWriter, r *Reply, evs []streamEvent, aws bool) {
	enc := encodeSSE
	if aws {
		enc = encodeAWS
	}
	for i, ev := range evs {
		if ev.final && r.Fault == FaultNoFinal {
			return
		}
		d := r.ChunkDelay
		if i == 0 {
			d = r.FirstChunkDelay
		}
		if d > 0 && !wait(ctx, d) {
			return
		}
		if i == r.FaultAfter && r.Fault != NoFault && r.Fault != FaultNoFinal {
			fault(ctx, w, r.Fault, enc(ev), aws)
			return
		}
		if !write(ctx, w, enc(ev)) {
			return
		}
	}
	if r.Fault != NoFault && r.Fault != FaultNoFinal && r.FaultAfter >= len(evs) {
		fault(ctx, w, r.Fault, nil, aws)
	}
}

// writePlain writes the body of a reply that is not streamed, with r's
// fault and r.FirstChunkDelay before the body.
func writePlain(ctx context.Context, w http.ResponseWriter, r *Reply, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status(*r))
	if r.FirstChunkDelay > 0 || r.Fault != NoFault {
		flush(w)
	}
	if r.FirstChunkDelay > 0 && !wait(ctx, r.FirstChunkDelay) {
		return
	}
	switch r.Fault {
	case NoFault, FaultNoFinal:
		_, _ = w.Write(body) // unflushed: a small body gets its Content-Length
	case FaultMalformed:
		write(ctx, w, body[:len(body)/2])
	default:
		fault(ctx, w, r.Fault, body, false)
	}
}

// fault makes a reply go wrong in the middle of writing next, the bytes
// of the next event (or body).
func fault(ctx context.Context, w http.ResponseWriter, f Fault, next []byte, aws bool) {
	switch f {
	case FaultHang, FaultStall:
		<-ctx.Done()
	case FaultDrop:
		write(ctx, w, next[:len(next)/2])
		// The server closes the connection without ending the response:
		// the client reads an unexpected EOF in the middle of the event.
		panic(http.ErrAbortHandler)
	case FaultMalformed:
		bad := []byte("data: {\"choices\": [{\"delta\": {\"content\": \"broken\n\n")
		if aws {
			bad = []byte("\x00\x00\x00\x10not an event-stream message")
		}
		write(ctx, w, bad)
	}
}

// write writes b and flushes it, reporting whether the client is still
// there.
func write(ctx context.Context, w http.ResponseWriter, b []byte) bool {
	if ctx.Err() != nil {
		return false
	}
	if _, err := w.Write(b); err != nil {
		return false
	}
	flush(w)
	return true
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
