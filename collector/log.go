// log.go holds FunctionLog and the records it is made of.

package collector

import (
	"time"

	"github.com/bexrun/bex/vmspan"
)

// Usage counts tokens; a nil field means no provider reported it. It is the
// same type as vmspan.Usage, so sums use Usage.Add.
type Usage = vmspan.Usage

// A Timing is when something started and how long it ran. The millisecond
// fields match the reference API (start_time_utc_ms, duration_ms); Start and
// Duration keep full precision.
type Timing struct {
	StartUTCMs int64 // start, Unix milliseconds (UTC)
	DurationMs int64 // whole milliseconds; 0 while running
	Start      time.Time
	Duration   time.Duration
}

func timing(start time.Time, d time.Duration) Timing {
	return Timing{StartUTCMs: start.UnixMilli(), DurationMs: d.Milliseconds(), Start: start, Duration: d}
}

// A FunctionLog is the record of one call: the root span a Collector saw
// and everything in its subtree. A FunctionLog returned by a Collector is
// an immutable snapshot; it is safe to read from any goroutine and is never
// modified afterwards (if events arrive for the call later, the Collector
// makes a new snapshot).
type FunctionLog struct {
	ID           string // the root span's id (canonical UUID)
	RootID       vmspan.SpanID
	FunctionName string      // the root span's name: the called function
	Kind         vmspan.Kind // the root span's kind, normally vmspan.KindRoot
	Args         []vmspan.Arg
	Result       any               // the result in snapshot form; nil on error
	Error        *vmspan.ErrorInfo // nil unless the call failed
	Timing       Timing
	Usage        Usage             // summed over Calls; nil fields when nothing reported
	Tags         map[string]string // the root span's tags when it ended
	// Calls are the LLM provider attempts of every LLM function span in the
	// subtree, ordered by the start of their span, then by attempt.
	Calls []LLMCall
	// Spans are the spans of the subtree in the order they started, the root
	// first; a tree can be printed from their ID and Parent.
	Spans []SpanLog
	// Events are the retained events of the subtree in arrival order.
	Events []vmspan.Event
	// EventsOmitted counts the events of the call that were not retained
	// because the Collector's event limit was reached; Calls, Spans and the
	// other fields still include them.
	EventsOmitted int
}

// An LLMCall is one provider attempt (a request, a retry or a fallback) of
// an LLM function.
type LLMCall struct {
	FunctionName string        // the LLM function
	SpanID       vmspan.SpanID // the LLM function's span
	Client       string
	Provider     string
	Model        string
	Timing       Timing
	Usage        Usage
	FinishReason string
	Selected     bool // this attempt's output became the function's result
	Request      *vmspan.HTTPRecord
	Response     *vmspan.HTTPRecord
	Error        *vmspan.ErrorInfo
	// Output is the completion text; of a streamed reply, its chunks put
	// together.
	Output string
	// Stream holds a streamed attempt's time to first chunk, its count of
	// chunks and, when they were asked for (engine.WithStreamEvents), its
	// events as received; nil when the reply was not streamed.
	Stream *vmspan.StreamInfo
	// Attempt holds every detail the engine recorded (messages, output,
	// response model, server address, temperature, ...).
	Attempt vmspan.LLMAttempt
}

// A SpanLog is one span of a call's subtree.
type SpanLog struct {
	ID     vmspan.SpanID
	Parent vmspan.SpanID // zero for a tree root
	Name   string
	Kind   vmspan.Kind
	Depth  int // 0 for the call's root, 1 for its children, ...
	Timing Timing
	Ended  bool
	Error  *vmspan.ErrorInfo
}

func newLLMCall(s *spanRec, a vmspan.LLMAttempt) LLMCall {
	return LLMCall{
		FunctionName: s.name, SpanID: s.id, Client: a.Client, Provider: a.Provider, Model: a.Model,
		Timing: timing(a.Start, a.Duration), Usage: a.Usage, FinishReason: a.FinishReason, Selected: a.Selected,
		Request: a.Request, Response: a.Response, Error: a.Err, Output: a.Output, Stream: a.Stream, Attempt: a,
	}
}
