// encode.go holds the allocation-light encoder of events into JSONL lines;
// values are written by package spanjson.

package jsonl

import (
	"slices"
	"strconv"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// AppendEvent appends e to b as one JSONL line, newline included, and
// returns the extended buffer. Keys are sorted at every level. It never
// fails: values outside the snapshot form are snapshotted first, and an
// event of an unknown kind is written as a set-tags line. A partial value
// (vmspan.EventPartial) is an intermediate line {"Partial": value}.
func AppendEvent(b []byte, e *vmspan.Event) []byte {
	b = append(b, `{"call_id":"`...)
	b = appendSpanID(b, e.Span.ID)
	b = append(b, `","call_stack":[`...)
	b = appendStack(b, e)
	b = append(b, `],"content":{"data":`...)
	switch e.Kind {
	case vmspan.EventStart:
		b = appendStartData(b, e)
		b = append(b, `,"type":"function_start"}`...)
	case vmspan.EventEnd:
		b = appendEndData(b, e)
		b = append(b, `,"type":"function_end"}`...)
	case vmspan.EventPartial:
		b = append(b, `{"Partial":`...)
		b = spanjson.AppendValue(b, e.Result)
		b = append(b, `},"type":"intermediate"}`...)
	default:
		b = append(b, `{"SetTags":`...)
		b = spanjson.AppendStringMap(b, e.Tags)
		b = append(b, `},"type":"intermediate"}`...)
	}
	b = append(b, `,"function_event_id":"`...)
	b = appendSpanID(b, e.ID)
	b = appendMsNs(b, `","timestamp_epoch_ms":`, `,"timestamp_unix_nano":`, e.Time.UnixMilli(), e.Time.UnixNano())
	b = append(b, `,"trace_id":"`...)
	b = appendHex(b, e.TraceID[:])
	if e.Remote != nil && (e.Kind == vmspan.EventStart || e.Kind == vmspan.EventEnd) {
		b = append(b, `","traceparent":"`...)
		b = appendTraceparent(b, e.Remote)
		if st := e.Remote.State.String(); st != "" {
			b = append(b, '"')
			b = append(b, `,"tracestate":`...)
			b = spanjson.AppendString(b, st)
			return append(b, "}\n"...)
		}
	}
	return append(b, "\"}\n"...)
}

func appendStack(b []byte, e *vmspan.Event) []byte {
	if len(e.Stack) == 0 {
		b = append(b, '"')
		b = appendSpanID(b, e.Span.ID)
		return append(b, '"')
	}
	for i, id := range e.Stack {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = appendSpanID(b, id)
		b = append(b, '"')
	}
	return b
}

// appendStartData writes {"arg_names", "args", "function_display_name",
// "span_kind", "tags"}.
func appendStartData(b []byte, e *vmspan.Event) []byte {
	b = append(b, '{')
	if len(e.Args) > 0 {
		b = append(b, `"arg_names":[`...)
		for i, a := range e.Args {
			if i > 0 {
				b = append(b, ',')
			}
			b = spanjson.AppendString(b, a.Name)
		}
		b = append(b, "],"...)
	}
	b = append(b, `"args":[`...)
	for i, a := range e.Args {
		if i > 0 {
			b = append(b, ',')
		}
		b = spanjson.AppendValue(b, a.Value)
	}
	b = append(b, `],"function_display_name":`...)
	b = spanjson.AppendString(b, e.Name)
	b = appendSpanKind(b, e.SpanKind)
	b = append(b, `,"tags":`...)
	b = spanjson.AppendStringMap(b, e.Tags)
	return append(b, '}')
}

// appendEndData writes {"duration_ms", "duration_ns", "error",
// "function_display_name", "llm_calls", "otel", "result", "span_kind",
// "start_unix_nano"}.
func appendEndData(b []byte, e *vmspan.Event) []byte {
	b = appendMsNs(b, `{"duration_ms":`, `,"duration_ns":`, e.Duration.Milliseconds(), int64(e.Duration))
	if e.Err != nil {
		b = append(b, `,"error":`...)
		b = appendError(b, e.Err)
	}
	b = append(b, `,"function_display_name":`...)
	b = spanjson.AppendString(b, e.Name)
	if len(e.Attempts) > 0 {
		b = append(b, `,"llm_calls":[`...)
		for i := range e.Attempts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAttempt(b, &e.Attempts[i])
		}
		b = append(b, ']')
	}
	b = appendOTel(b, e.OTel)
	b = append(b, `,"result":`...)
	if e.Err != nil {
		b = append(b, "null"...)
	} else {
		b = spanjson.AppendValue(b, e.Result)
	}
	b = appendSpanKind(b, e.SpanKind)
	if !e.Start.IsZero() {
		b = append(b, `,"start_unix_nano":`...)
		b = strconv.AppendInt(b, e.Start.UnixNano(), 10)
	}
	return append(b, '}')
}

func appendSpanKind(b []byte, k vmspan.Kind) []byte {
	if k == 0 {
		return b
	}
	b = append(b, `,"span_kind":"`...)
	b = append(b, k.String()...)
	return append(b, '"')
}

// appendOTel writes ,"otel":{"parent_span_id","sampled","span_id","trace_id"}
// when ids is set; the parent is left out when zero.
func appendOTel(b []byte, ids *vmspan.OTelIDs) []byte {
	if ids == nil {
		return b
	}
	b = append(b, `,"otel":{`...)
	if ids.Parent.IsValid() {
		b = append(b, `"parent_span_id":"`...)
		b = appendHex(b, ids.Parent[:])
		b = append(b, `",`...)
	}
	b = append(b, `"sampled":`...)
	b = strconv.AppendBool(b, ids.Sampled)
	b = append(b, `,"span_id":"`...)
	b = appendHex(b, ids.SpanID[:])
	b = append(b, `","trace_id":"`...)
	b = appendHex(b, ids.TraceID[:])
	return append(b, `"}`...)
}

// appendError writes {"code","content_free","message","summary","type"}:
// the code when there is one, and content_free (true) when the message is
// its own summary, else the summary when it is known.
func appendError(b []byte, e *vmspan.ErrorInfo) []byte {
	b = append(b, '{')
	if e.Code != "" {
		b = append(b, `"code":`...)
		b = spanjson.AppendString(b, e.Code)
		b = append(b, ',')
	}
	if e.Summary == e.Message {
		b = append(b, `"content_free":true,`...)
	}
	b = append(b, `"message":`...)
	b = spanjson.AppendString(b, e.Message)
	if e.Summary != "" && e.Summary != e.Message {
		b = append(b, `,"summary":`...)
		b = spanjson.AppendString(b, e.Summary)
	}
	b = append(b, `,"type":`...)
	b = spanjson.AppendString(b, e.Type)
	return append(b, '}')
}

// appendAttempt writes an LLM attempt; optional fields are left out when
// empty, and the usage counts are null when not reported.
func appendAttempt(b []byte, a *vmspan.LLMAttempt) []byte {
	b = appendChecks(append(b, '{'), a.Checks)
	b = append(b, `"client":`...)
	b = spanjson.AppendString(b, a.Client)
	b = appendMsNs(b, `,"duration_ms":`, `,"duration_ns":`, a.Duration.Milliseconds(), int64(a.Duration))
	b = appendStrings(b, `,"dynamic_types":`, a.DynamicTypes)
	if a.Err != nil {
		b = append(b, `,"error":`...)
		b = appendError(b, a.Err)
	}
	b = appendOptString(b, `,"finish_reason":`, a.FinishReason)
	if a.MaxTokens != nil {
		b = append(b, `,"max_tokens":`...)
		b = strconv.AppendInt(b, *a.MaxTokens, 10)
	}
	if len(a.Messages) > 0 {
		b = append(b, `,"messages":[`...)
		for i, m := range a.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"content":`...)
			b = spanjson.AppendString(b, m.Content)
			b = append(b, `,"role":`...)
			b = spanjson.AppendString(b, m.Role)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"model":`...)
	b = spanjson.AppendString(b, a.Model)
	b = appendOTel(b, a.OTel)
	b = appendOptString(b, `,"output":`, a.Output)
	b = appendParseNotes(b, a.ParseNotes)
	b = append(b, `,"provider":`...)
	b = spanjson.AppendString(b, a.Provider)
	b = appendHTTP(b, `,"request":`, a.Request)
	b = appendHTTP(b, `,"response":`, a.Response)
	b = appendOptString(b, `,"response_id":`, a.ResponseID)
	b = appendOptString(b, `,"response_model":`, a.ResponseModel)
	b = append(b, `,"selected":`...)
	b = strconv.AppendBool(b, a.Selected)
	b = appendOptString(b, `,"server_address":`, a.ServerAddress)
	if a.ServerPort != 0 {
		b = append(b, `,"server_port":`...)
		b = strconv.AppendInt(b, int64(a.ServerPort), 10)
	}
	if !a.Start.IsZero() {
		b = appendMsNs(b, `,"start_epoch_ms":`, `,"start_unix_nano":`, a.Start.UnixMilli(), a.Start.UnixNano())
	}
	b = appendStream(b, a.Stream)
	if a.Temperature != nil {
		b = append(b, `,"temperature":`...)
		b = spanjson.AppendFloat(b, *a.Temperature)
	}
	b = append(b, `,"usage":{"cache_creation_input_tokens":`...)
	b = appendOptInt(b, a.Usage.CacheCreationInputTokens)
	b = append(b, `,"cached_input_tokens":`...)
	b = appendOptInt(b, a.Usage.CachedInputTokens)
	b = append(b, `,"input_tokens":`...)
	b = appendOptInt(b, a.Usage.InputTokens)
	b = append(b, `,"output_tokens":`...)
	b = appendOptInt(b, a.Usage.OutputTokens)
	b = append(b, `,"reasoning_tokens":`...)
	b = appendOptInt(b, a.Usage.ReasoningTokens)
	return append(b, "}}"...)
}

// appendChecks writes "checks":[{"expression","name","path","status"}]
// and a comma, or nothing when there are none.
func appendChecks(b []byte, cs []vmspan.CheckResult) []byte {
	if len(cs) == 0 {
		return b
	}
	b = append(b, `"checks":[`...)
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"expression":`...)
		b = spanjson.AppendString(b, c.Expr)
		b = append(b, `,"name":`...)
		b = spanjson.AppendString(b, c.Name)
		b = appendOptString(b, `,"path":`, c.Path)
		b = append(b, `,"status":`...)
		b = spanjson.AppendString(b, c.Status())
		b = append(b, '}')
	}
	return append(b, "],"...)
}

// appendStream writes a streamed attempt's "stream":{"chunks", "events",
// "first_chunk_ms", "first_chunk_ns"}, left out for a plain attempt (and
// events when none were recorded).
func appendStream(b []byte, s *vmspan.StreamInfo) []byte {
	if s == nil {
		return b
	}
	b = append(b, `,"stream":{"chunks":`...)
	b = strconv.AppendInt(b, int64(s.Chunks), 10)
	b = appendStrings(b, `,"events":`, s.Events)
	b = appendMsNs(b, `,"first_chunk_ms":`, `,"first_chunk_ns":`, s.FirstChunk.Milliseconds(), int64(s.FirstChunk))
	return append(b, '}')
}

// appendParseNotes writes "parse_notes":[{"detail","kind","path"}], left
// out when there are none.
func appendParseNotes(b []byte, ns []vmspan.ParseNote) []byte {
	if len(ns) == 0 {
		return b
	}
	b = append(b, `,"parse_notes":[`...)
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"detail":`...)
		b = spanjson.AppendString(b, n.Detail)
		b = append(b, `,"kind":`...)
		b = spanjson.AppendString(b, string(n.Kind))
		b = appendOptString(b, `,"path":`, n.Path)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, key...)
	return spanjson.AppendString(b, s)
}

// appendStrings writes key and the array ss, or nothing when ss is empty.
func appendStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(append(b, key...), '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = spanjson.AppendString(b, s)
	}
	return append(b, ']')
}

func appendOptInt(b []byte, p *int64) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *p, 10)
}

// appendHTTP writes {"body", "headers", "method", "status", "url"}, leaving
// out empty fields as HTTPRecord's json tags do.
func appendHTTP(b []byte, key string, h *vmspan.HTTPRecord) []byte {
	if h == nil {
		return b
	}
	b = append(b, key...)
	b = append(b, '{')
	n := len(b) // a field after n follows another: it gets a comma
	if h.Body != "" {
		b = append(b, `"body":`...)
		b = spanjson.AppendString(b, h.Body)
	}
	if len(h.Headers) > 0 {
		b = appendKey(b, n, `"headers":`)
		b = spanjson.AppendStringMap(b, h.Headers)
	}
	if h.Method != "" {
		b = appendKey(b, n, `"method":`)
		b = spanjson.AppendString(b, h.Method)
	}
	if h.Status != 0 {
		b = appendKey(b, n, `"status":`)
		b = strconv.AppendInt(b, int64(h.Status), 10)
	}
	if h.URL != "" {
		b = appendKey(b, n, `"url":`)
		b = spanjson.AppendString(b, h.URL)
	}
	return append(b, '}')
}

// appendKey appends an object's key, after a comma unless b has nothing
// after the object's start n.
func appendKey(b []byte, n int, key string) []byte {
	if len(b) > n {
		b = append(b, ',')
	}
	return append(b, key...)
}

// appendMsNs writes a nanosecond count after msKey in whole milliseconds
// and after nsKey in full. The millisecond digits are those of the
// nanoseconds without the last six, which saves formatting a second number.
func appendMsNs(b []byte, msKey, nsKey string, ms, ns int64) []byte {
	var tmp [24]byte
	digits := strconv.AppendInt(tmp[:0], ns, 10)
	b = append(b, msKey...)
	if ns >= 1e6 { // then floor and truncation agree with the digits
		b = append(b, digits[:len(digits)-6]...)
	} else {
		b = strconv.AppendInt(b, ms, 10)
	}
	b = append(b, nsKey...)
	return append(b, digits...)
}

const hexDigits = "0123456789abcdef"

// appendSpanID writes the canonical UUID form; the zero id is "".
func appendSpanID(b []byte, id vmspan.SpanID) []byte {
	if id.IsZero() {
		return b
	}
	n := len(b)
	b = slices.Grow(b, 36)[:n+36]
	d := b[n : n+36]
	d[8], d[13], d[18], d[23] = '-', '-', '-', '-'
	putHex(d[0:8], id[0:4])
	putHex(d[9:13], id[4:6])
	putHex(d[14:18], id[6:8])
	putHex(d[19:23], id[8:10])
	putHex(d[24:36], id[10:16])
	return b
}

// putHex writes src as lowercase hex into d, which has room for it.
func putHex(d, src []byte) {
	_ = d[2*len(src)-1]
	for i, c := range src {
		p := hexPairs[c]
		d[2*i], d[2*i+1] = p[0], p[1]
	}
}

var hexPairs = func() (t [256][2]byte) {
	for c := range 256 {
		t[c] = [2]byte{hexDigits[c>>4], hexDigits[c&0xf]}
	}
	return t
}()

func appendHex(b, src []byte) []byte {
	n := len(b)
	b = slices.Grow(b, 2*len(src))[:n+2*len(src)]
	putHex(b[n:], src)
	return b
}

func appendTraceparent(b []byte, r *vmspan.RemoteParent) []byte {
	b = append(b, "00-"...)
	b = appendHex(b, r.TraceID[:])
	b = append(b, '-')
	b = appendHex(b, r.SpanID[:])
	b = append(b, '-')
	return append(b, hexDigits[r.Flags>>4], hexDigits[r.Flags&0xf])
}
