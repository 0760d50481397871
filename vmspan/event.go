// event.go holds the Event record and the values it carries.

package vmspan

import (
	"time"

	"go.opentelemetry.io/otel/trace"
)

// A Kind says what produced a span.
type Kind uint8

// Span kinds.
const (
	KindRoot     Kind = iota + 1 // the root span of an Engine.Call
	KindLLM                      // an LLM function
	KindExpr                     // an expression function marked @@trace
	KindHostFunc                 // a traced Go host function called from bex code
	KindHostSpan                 // a host span started with Start
)

var kindNames = [...]string{KindRoot: "root", KindLLM: "llm", KindExpr: "expr", KindHostFunc: "host-function", KindHostSpan: "host-span"}

// String returns the kind's name as written in trace files and attributes:
// "root", "llm", "expr", "host-function" or "host-span".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind is the inverse of Kind.String. It returns 0 for an unknown name.
func ParseKind(s string) Kind {
	for k, n := range kindNames {
		if n == s && n != "" {
			return Kind(k)
		}
	}
	return 0
}

// An EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	EventStart   EventKind = iota + 1 // a span started
	EventEnd                          // a span ended
	EventSetTags                      // tags were set on a span
	// EventPartial reports a partial value of an LLM span's result, in
	// Result, while its reply streams (see Span.Partial). Sinks that have
	// no use for it ignore it.
	EventPartial
)

// String returns "start", "end", "set-tags" or "partial".
func (k EventKind) String() string {
	switch k {
	case EventStart:
		return "start"
	case EventEnd:
		return "end"
	case EventSetTags:
		return "set-tags"
	case EventPartial:
		return "partial"
	}
	return "unknown"
}

// A SpanContext places a span in its tree.
type SpanContext struct {
	ID     SpanID
	Parent SpanID // zero for a tree root
	Root   SpanID // the tree's root (ID itself for a root)
}

// An Arg is a named argument. Arguments keep their declaration order.
type Arg struct {
	Name  string
	Value any
}

// Values in events (Arg.Value, Event.Result, Object fields) are deep snapshots
// made of: nil, bool, int64, float64, string, []any, map[string]any, Object and
// Enum. Snapshot converts arbitrary Go values to this form.

// An Object is a snapshot of a class instance. Fields keep declaration order.
type Object struct {
	Class  string
	Fields []Arg
}

// An Enum is a snapshot of an enum value.
type Enum struct {
	Name  string // the enum's name
	Value string // the variant
}

// An ErrorInfo describes the error that ended a span or an LLM attempt.
type ErrorInfo struct {
	Type string // a short type name, such as "EvalError", "LLMHTTPError", "Canceled"
	// Message is the error's message. It may quote content: the start of
	// a reply that cannot be parsed, the value that failed an @assert, a
	// provider's message that echoes the prompt, a string the program
	// could not convert.
	Message string
	// Summary is Message without the values it quotes (see ErrorSummary):
	// what exporters that must not carry content show. ErrorInfoOf always
	// sets it, equal to Message when the error quotes nothing. "" with a
	// non-empty Message means it is not known (a trace file written before
	// summaries were recorded): such exporters then show the type only.
	Summary string
	// Code is a low-cardinality code for OpenTelemetry's error.type, when
	// the error has one: the HTTP status of a failed provider request
	// ("429"), the provider's error code, or "timeout"; "" otherwise.
	Code string
}

// Usage counts tokens with the meaning of the OpenTelemetry GenAI
// conventions, whatever the provider reports: the LLM layer adds up what a
// provider counts apart. A nil field means the provider did not report it.
type Usage struct {
	// InputTokens counts every input token, those read from and written
	// to the provider's cache included.
	InputTokens *int64
	// OutputTokens counts every output token, reasoning tokens included.
	OutputTokens *int64
	// CachedInputTokens counts the input tokens read from the cache.
	CachedInputTokens *int64
	// CacheCreationInputTokens counts the input tokens written to the cache.
	CacheCreationInputTokens *int64
	// ReasoningTokens counts the output tokens spent on reasoning.
	ReasoningTokens *int64
}

// Add returns u + v, field by field; a field is nil only when both are nil.
func (u Usage) Add(v Usage) Usage {
	add := func(a, b *int64) *int64 {
		if a == nil && b == nil {
			return nil
		}
		var n int64
		if a != nil {
			n += *a
		}
		if b != nil {
			n += *b
		}
		return &n
	}
	return Usage{add(u.InputTokens, v.InputTokens), add(u.OutputTokens, v.OutputTokens), add(u.CachedInputTokens, v.CachedInputTokens),
		add(u.CacheCreationInputTokens, v.CacheCreationInputTokens), add(u.ReasoningTokens, v.ReasoningTokens)}
}

// OTelIDs are the OpenTelemetry ids a span or an LLM attempt was exported
// with by a live bridge (see IDSink and StartAttempt), whatever ids its
// provider chose, so that a replay of the recorded events reproduces them.
type OTelIDs struct {
	TraceID trace.TraceID
	SpanID  trace.SpanID
	Parent  trace.SpanID // the OTel parent's span id; zero for a trace's root
	Sampled bool         // the sampler recorded the span
}

// An HTTPRecord is an HTTP request or response of an LLM attempt, with
// secrets already redacted.
type HTTPRecord struct {
	Method  string            `json:"method,omitempty"` // request only
	URL     string            `json:"url,omitempty"`    // request only
	Status  int               `json:"status,omitempty"` // response only
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// A Message is one chat message of an LLM prompt. Content is its text; a
// media value in it appears there as its short description (Media.String),
// and Parts then lists the message's text and media pieces in order.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	Parts   []Part `json:"parts,omitempty"`
}

// An LLMAttempt is one provider request made by an LLM function (a retry or a
// fallback is another attempt). Attempts are recorded in the LLM function
// span's end event; they are not spans of their own in the native trace.
type LLMAttempt struct {
	Client        string // the client<llm> name
	Provider      string // "openai", "anthropic", ...
	Model         string // requested model
	ResponseModel string // model named in the response, if any
	ResponseID    string
	ServerAddress string
	ServerPort    int
	Start         time.Time
	Duration      time.Duration
	Usage         Usage
	FinishReason  string
	Selected      bool // this attempt's output is the function's result
	Temperature   *float64
	MaxTokens     *int64
	Request       *HTTPRecord
	Response      *HTTPRecord
	Messages      []Message // the prompt as sent
	Output        string    // the completion text
	Err           *ErrorInfo
	// ParseNotes lists what coercing Output to the return type lost
	// (elements dropped, values rounded or defaulted, a truncated reply):
	// set on the selected attempt, and on an attempt whose reply was
	// refused because strict parsing was asked for.
	ParseNotes []ParseNote
	// Checks lists the results of the @check constraints on the selected
	// attempt's coerced output, in the order of the result (nil when the
	// return type has none).
	Checks []CheckResult
	// DynamicTypes lists what the call's type builder added to the return
	// type's @@dynamic classes and enums, which the prompt's output format
	// showed and the reply was parsed with: "Class.field", "Enum.VALUE".
	DynamicTypes []string
	// OTel holds the ids of the attempt's OpenTelemetry span when a live
	// bridge exported it (see StartAttempt); nil otherwise.
	OTel *OTelIDs
	// Stream describes the reply of a streamed attempt (Output is the text
	// of its chunks, put together); nil when the reply was not streamed.
	Stream *StreamInfo
}

// A StreamInfo describes the reply of a streamed LLM attempt.
type StreamInfo struct {
	// FirstChunk is the time from the start of the request to the first
	// chunk of output text (the GenAI conventions' time to first chunk); 0
	// when none came.
	FirstChunk time.Duration
	// Chunks counts the chunks of output text received.
	Chunks int
	// Events holds the stream's events as received, redacted, when they
	// were asked for (engine.WithStreamEvents): server-sent events as
	// "event: NAME\ndata: DATA" (the event line only when named), Bedrock's
	// as "TYPE JSON". At most 1 MiB of them is kept; nil otherwise.
	Events []string
}

// A ParseNote reports one lossy step of coercing an LLM reply to the
// function's return type: data that the reply held, or should have held,
// and the result does not. Path names the place in the result
// ("items[2].qty"; list indices count the reply's elements, map entries
// are .key; empty for the whole result).
type ParseNote struct {
	Kind   ParseNoteKind `json:"kind"`
	Path   string        `json:"path,omitempty"`
	Detail string        `json:"detail"`
}

// A ParseNoteKind says what was lost.
type ParseNoteKind string

// Parse note kinds.
const (
	// ParseDropped: a list element or map entry that could not be read was
	// left out.
	ParseDropped ParseNoteKind = "dropped"
	// ParseDefaulted: a missing list or map field became empty, or a value
	// that could not be read became null, [] or {}.
	ParseDefaulted ParseNoteKind = "defaulted"
	// ParseRounded: a number with a fraction became an int.
	ParseRounded ParseNoteKind = "rounded"
	// ParseTruncated: the reply ended inside a value, which was kept cut
	// off, or inside a list element, which was left out.
	ParseTruncated ParseNoteKind = "truncated"
)

// String returns "kind path: detail" (or "kind: detail" for the whole
// result).
func (n ParseNote) String() string {
	if n.Path == "" {
		return string(n.Kind) + ": " + n.Detail
	}
	return string(n.Kind) + " " + n.Path + ": " + n.Detail
}

// An Event reports the start or end of a span, or tags set on it.
//
// Start events carry Args and the span's Tags (inherited and its own); end
// events carry Result or Err, Duration and, for LLM spans, Attempts, and
// repeat Start, Args and Tags so that a sink needs no state of its own;
// set-tags events carry only the tags set.
//
// The ids come first so that they are 8-byte aligned and none straddles
// two cache lines in a span's own event (see docs/performance.md).
type Event struct {
	ID   SpanID // the event's own id, generated once ("function_event_id")
	Span SpanContext
	// TraceID is the OpenTelemetry trace id of the span's tree: the remote
	// parent's trace id when the tree joined a remote trace, else
	// OTelTraceID(Span.Root).
	TraceID  trace.TraceID
	Kind     EventKind
	SpanKind Kind
	Stack    []SpanID  // root first, this span last
	Time     time.Time // wall clock when the event happened
	Name     string    // function or host span name
	Args     []Arg
	Tags     map[string]string
	Result   any
	Err      *ErrorInfo
	Start    time.Time     // end events: the span's start time
	Duration time.Duration // end events: monotonic duration
	Attempts []LLMAttempt

	// Remote is set on the start and end events of a span whose parent is a
	// remote (non-bex) OpenTelemetry span.
	Remote *RemoteParent
	// OTel is set on the end event of a span that a live OpenTelemetry
	// bridge exported: the ids it was exported with (see IDSink).
	OTel *OTelIDs
}

// Failed reports whether e is the end of a span that failed.
func (e *Event) Failed() bool { return e.Err != nil }
