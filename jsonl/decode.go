// decode.go holds the fast decoder of trace lines: a scanner made for the
// line format, which leaves every line it does not take to encoding/json.

package jsonl

import (
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/internal/fastjson"
	"github.com/bexrun/bex/vmspan"
)

// Limits of the fast decoder.
const (
	// maxInterned bounds the strings a reader keeps to share between
	// events (names, tag keys and values, short string values), and
	// maxInternLen their length: at most about 0.5 MB per reader.
	maxInterned  = 4096
	maxInternLen = 64
	// maxScratch bounds the scratch space kept from one line to the next.
	maxScratch = 1 << 20
)

// A fastDecoder decodes trace lines without reflection. It is strict: it
// takes a line only when encoding/json, reading it into the line struct,
// would produce the same event, and refuses everything else — malformed
// JSON, a null or mistyped field, a duplicate key or one that matches a
// field only case-insensitively, a span id not in canonical form, an event
// whose ids do not fit together, a number that does not fit its field —
// which the reader then gives to decodeStd, the authority on what a line
// means and on what is wrong with it. Lines written by AppendEvent all take
// the fast path.
//
// Strings seen again and again are interned: an event's names, tag keys
// and values, and short string values share memory with earlier events'.
type fastDecoder struct {
	s     fastjson.Scanner
	ids   []vmspan.SpanID // call_stack
	names []string        // arg_names
	vals  []any           // elements of the arrays being decoded
	pairs []member        // members of the objects being decoded
	strs  map[string]any  // interned strings, boxed

	data fastData
}

type member struct {
	key string
	val any
}

// fastData is a line's "data" object, which comes before "type" in key
// order, so it is decoded whole and then read by the line's kind.
type fastData struct {
	seen      uint32
	argNames  []string // p.names until the line is done
	args      []any    // in p.vals until the line is done
	name      string
	tags      map[string]string
	setTags   map[string]string
	spanKind  string
	durMs     int64
	durNs     int64
	startNano int64
	result    any
	err       *vmspan.ErrorInfo
	attempts  []vmspan.LLMAttempt
	otel      *vmspan.OTelIDs
	// partial is the value of "Partial" when hasPartial (null too).
	partial    any
	hasPartial bool
}

// decode decodes line b into d, reporting whether it could.
func (p *fastDecoder) decode(b []byte, d *decoded) bool {
	p.s.Reset(b)
	p.vals, p.pairs, p.ids = p.vals[:0], p.pairs[:0], p.ids[:0]
	p.data = fastData{}
	ok := p.line(d)
	p.s.Reset(nil)
	if !ok {
		*d = decoded{}
	}
	p.dropScratch()
	return ok
}

// dropScratch lets go of scratch space that a long line made large, so
// that it is not kept for the rest of the file.
func (p *fastDecoder) dropScratch() {
	if cap(p.vals) > maxScratch/16 {
		p.vals = nil
	}
	if cap(p.pairs) > maxScratch/32 {
		p.pairs = nil
	}
	if cap(p.ids) > maxScratch/16 {
		p.ids = nil
	}
	if cap(p.names) > maxScratch/16 {
		p.names = nil
	}
}

// The keys of the objects of a line. Each member function switches on the
// index of its key in the set, named by the constants below it.
var lineKeys = fastjson.NewKeySet("call_id", "call_stack", "content", "function_event_id", "timestamp_epoch_ms", "timestamp_unix_nano", "trace_id", "traceparent", "tracestate")

const (
	kCallID = iota
	kCallStack
	kContent
	kEventID
	kEpochMs
	kUnixNano
	kTraceID
	kTraceparent
	kTracestate
)

var contentKeys = fastjson.NewKeySet("data", "type")

const (
	kData = iota
	kType
)

var dataKeys = fastjson.NewKeySet("Partial", "SetTags", "arg_names", "args", "duration_ms", "duration_ns", "error", "function_display_name", "llm_calls", "otel", "result", "span_kind", "start_unix_nano", "tags")

const (
	kPartial = iota
	kSetTags
	kArgNames
	kArgs
	kDurMs
	kDurNs
	kError
	kName
	kLLMCalls
	kOTel
	kResult
	kSpanKind
	kStartNano
	kTags
)

var errorKeys = fastjson.NewKeySet("code", "content_free", "message", "summary", "type")

const (
	kCode = iota
	kContentFree
	kMessage
	kSummary
	kErrType
)

var attemptKeys = fastjson.NewKeySet("checks", "client", "duration_ms", "duration_ns", "dynamic_types", "error", "finish_reason", "max_tokens", "messages", "model",
	"otel", "output", "parse_notes", "provider", "request", "response", "response_id", "response_model", "selected", "server_address",
	"server_port", "start_epoch_ms", "start_unix_nano", "stream", "temperature", "usage")

const (
	aChecks = iota
	aClient
	aDurMs
	aDurNs
	aDynamicTypes
	aError
	aFinish
	aMaxTokens
	aMessages
	aModel
	aOTel
	aOutput
	aParseNotes
	aProvider
	aRequest
	aResponse
	aResponseID
	aResponseModel
	aSelected
	aServerAddress
	aServerPort
	aStartMs
	aStartNs
	aStream
	aTemperature
	aUsage
)

var usageKeys = fastjson.NewKeySet("cache_creation_input_tokens", "cached_input_tokens", "input_tokens", "output_tokens", "reasoning_tokens")

var otelKeys = fastjson.NewKeySet("parent_span_id", "sampled", "span_id", "trace_id")

const (
	oParent = iota
	oSampled
	oSpanID
	oTraceID
)

var streamKeys = fastjson.NewKeySet("chunks", "events", "first_chunk_ms", "first_chunk_ns")

const (
	sChunks = iota
	sEvents
	sFirstMs
	sFirstNs
)

var checkKeys = fastjson.NewKeySet("expression", "name", "path", "status")

const (
	cExpr = iota
	cName
	cPath
	cStatus
)

var httpKeys = fastjson.NewKeySet("body", "headers", "method", "status", "url")

const (
	hBody = iota
	hHeaders
	hMethod
	hStatus
	hURL
)

// messageKeys has "parts", which the Writer never writes: a line that has
// it is left to encoding/json.
var messageKeys = fastjson.NewKeySet("content", "role", "parts")

var noteKeys = fastjson.NewKeySet("detail", "kind", "path")

// line decodes the top-level object and checks what decodeStd's event
// would check.
func (p *fastDecoder) line(d *decoded) bool {
	var (
		callID vmspan.SpanID
		typ    vmspan.EventKind
		ms, ns int64
		parent []byte
		state  string
	)
	seen, ok := p.s.Members(lineKeys, func(k int) bool {
		var ok bool
		switch k {
		case kCallID:
			callID, ok = p.spanID()
		case kCallStack:
			ok = p.stack()
		case kContent:
			typ, ok = p.content()
		case kEventID:
			d.e.ID, ok = p.spanID()
		case kEpochMs:
			ms, ok = p.s.Int()
		case kUnixNano:
			ns, ok = p.s.Int()
		case kTraceID:
			ok = p.traceID((*[16]byte)(&d.e.TraceID))
			d.hasTrace = ok
		case kTraceparent:
			var s []byte
			s, ok = p.s.Str()
			parent = append(parent[:0], s...)
		case kTracestate:
			state, ok = p.string()
		}
		return ok
	})
	if !ok || !p.s.End() || typ == 0 {
		return false
	}
	e := &d.e
	e.Kind = typ
	for _, id := range p.ids {
		if id.IsZero() {
			return false
		}
	}
	if setSpan(e, callID, p.ids, "") != nil {
		return false
	}
	switch {
	case seen&(1<<kUnixNano) != 0:
		e.Time = time.Unix(0, ns).UTC()
	case seen&(1<<kEpochMs) != 0:
		e.Time = time.UnixMilli(ms).UTC()
	}
	if seen&(1<<kTraceparent) != 0 {
		if len(parent) == 0 {
			return false // an empty traceparent: left to encoding/json
		}
		r, err := vmspan.ParseTraceparent(string(parent))
		if err != nil {
			return false
		}
		if state != "" {
			if r.State, err = trace.ParseTraceState(state); err != nil {
				return false
			}
		}
		e.Remote = &r
	}
	p.kindData(d)
	return true
}

// kindData sets the fields of the line's kind from its data, as
// (*line).kindData does.
func (p *fastDecoder) kindData(d *decoded) {
	e, data := &d.e, &p.data
	switch e.Kind {
	case vmspan.EventStart:
		e.Name, e.SpanKind = data.name, vmspan.ParseKind(data.spanKind)
		if len(data.args) > 0 {
			e.Args = make([]vmspan.Arg, len(data.args))
			for i, v := range data.args {
				e.Args[i].Value = v
				if i < len(data.argNames) {
					e.Args[i].Name = data.argNames[i]
				} else {
					e.Args[i].Name = "arg" + strconv.Itoa(i)
				}
			}
		}
		e.Tags = data.tags
	case vmspan.EventSetTags:
		if data.hasPartial {
			e.Kind, e.Result = vmspan.EventPartial, data.partial
			break
		}
		e.Tags = data.setTags
	case vmspan.EventEnd:
		e.Name, e.SpanKind = data.name, vmspan.ParseKind(data.spanKind)
		e.Result, e.Err, e.OTel = data.result, data.err, data.otel
		if e.Err != nil {
			e.Result = nil
		}
		switch {
		case data.seen&(1<<kDurNs) != 0:
			e.Duration = time.Duration(data.durNs)
		case data.seen&(1<<kDurMs) != 0:
			e.Duration = time.Duration(data.durMs) * time.Millisecond
		}
		e.Attempts = data.attempts
		if data.seen&(1<<kStartNano) != 0 {
			e.Start, d.hasStart = time.Unix(0, data.startNano).UTC(), true
		}
	}
	d.stackScratch = true
}

// content decodes {"data": ..., "type": ...}.
func (p *fastDecoder) content() (vmspan.EventKind, bool) {
	var typ vmspan.EventKind
	seen, ok := p.s.Members(contentKeys, func(k int) bool {
		if k == kData {
			return p.dataObject()
		}
		s, ok := p.s.Str()
		typ = eventKind(string(s))
		return ok
	})
	return typ, ok && seen&(1<<kType) != 0
}

// dataObject decodes the "data" object into p.data.
func (p *fastDecoder) dataObject() bool {
	d := &p.data
	seen, ok := p.s.Members(dataKeys, func(k int) bool {
		var ok bool
		switch k {
		case kArgNames:
			p.names = p.names[:0]
			ok = p.s.Array(func() bool {
				s, ok := p.internedStr()
				p.names = append(p.names, s)
				return ok
			})
			d.argNames = p.names
		case kArgs:
			start := len(p.vals)
			ok = p.arrayInto()
			d.args = p.vals[start:]
		case kName:
			d.name, ok = p.internedStr()
		case kTags:
			d.tags, ok = p.stringMap(true)
		case kSetTags:
			d.setTags, ok = p.stringMap(true)
		case kSpanKind:
			d.spanKind, ok = p.internedStr()
		case kDurMs:
			d.durMs, ok = p.s.Int()
		case kDurNs:
			d.durNs, ok = p.s.Int()
		case kStartNano:
			d.startNano, ok = p.s.Int()
		case kResult:
			d.result, ok = p.value()
		case kError:
			d.err, ok = p.errorInfo()
		case kLLMCalls:
			d.attempts, ok = p.attempts()
		case kOTel:
			d.otel, ok = p.otelIDs()
		case kPartial:
			// Present even when null: a partial value can be null.
			d.partial, ok = p.value()
			d.hasPartial = true
		}
		return ok
	})
	d.seen = seen
	return ok
}

// errorInfo decodes {"code", "content_free", "message", "summary", "type"}
// or null, as (*lineError).info converts it.
func (p *fastDecoder) errorInfo() (*vmspan.ErrorInfo, bool) {
	if p.s.Null() {
		return nil, true
	}
	var e vmspan.ErrorInfo
	var contentFree bool
	_, ok := p.s.Members(errorKeys, func(k int) bool {
		var ok bool
		switch k {
		case kCode:
			e.Code, ok = p.internedStr()
		case kContentFree:
			contentFree, ok = p.s.Bool()
		case kMessage:
			e.Message, ok = p.internedStr()
		case kSummary:
			e.Summary, ok = p.internedStr()
		case kErrType:
			e.Type, ok = p.internedStr()
		}
		return ok
	})
	if contentFree {
		e.Summary = e.Message
	}
	return &e, ok
}

// attempts decodes "llm_calls": an array of attempts, or null.
func (p *fastDecoder) attempts() ([]vmspan.LLMAttempt, bool) {
	if p.s.Null() {
		return nil, true
	}
	var out []vmspan.LLMAttempt
	ok := p.s.Array(func() bool {
		out = append(out, vmspan.LLMAttempt{})
		return p.attempt(&out[len(out)-1])
	})
	if len(out) == 0 {
		out = nil
	}
	return out, ok
}

// attempt decodes one element of "llm_calls".
func (p *fastDecoder) attempt(a *vmspan.LLMAttempt) bool {
	var startMs, startNs, durMs, durNs int64
	seen, ok := p.s.Members(attemptKeys, func(k int) bool {
		var ok bool
		var n int64
		switch k {
		case aClient:
			a.Client, ok = p.internedStr()
		case aProvider:
			a.Provider, ok = p.internedStr()
		case aModel:
			a.Model, ok = p.internedStr()
		case aResponseModel:
			a.ResponseModel, ok = p.internedStr()
		case aResponseID:
			a.ResponseID, ok = p.internedStr()
		case aServerAddress:
			a.ServerAddress, ok = p.internedStr()
		case aServerPort:
			n, ok = p.s.Int()
			a.ServerPort = int(n)
		case aStartMs:
			startMs, ok = p.s.Int()
		case aStartNs:
			startNs, ok = p.s.Int()
		case aDurMs:
			durMs, ok = p.s.Int()
		case aDurNs:
			durNs, ok = p.s.Int()
		case aUsage:
			ok = p.usage(&a.Usage)
		case aFinish:
			a.FinishReason, ok = p.internedStr()
		case aSelected:
			a.Selected, ok = p.s.Bool()
		case aTemperature:
			a.Temperature, ok = p.optFloat()
		case aMaxTokens:
			a.MaxTokens, ok = p.optInt()
		case aRequest:
			a.Request, ok = p.httpRecord()
		case aResponse:
			a.Response, ok = p.httpRecord()
		case aMessages:
			a.Messages, ok = p.messages()
		case aOutput:
			a.Output, ok = p.string()
		case aError:
			a.Err, ok = p.errorInfo()
		case aParseNotes:
			a.ParseNotes, ok = p.parseNotes()
		case aChecks:
			a.Checks, ok = p.checks()
		case aDynamicTypes:
			a.DynamicTypes, ok = p.strings()
		case aOTel:
			a.OTel, ok = p.otelIDs()
		case aStream:
			a.Stream, ok = p.stream()
		}
		return ok
	})
	switch {
	case seen&(1<<aStartNs) != 0:
		a.Start = time.Unix(0, startNs).UTC()
	case seen&(1<<aStartMs) != 0:
		a.Start = time.UnixMilli(startMs).UTC()
	}
	switch {
	case seen&(1<<aDurNs) != 0:
		a.Duration = time.Duration(durNs)
	case seen&(1<<aDurMs) != 0:
		a.Duration = time.Duration(durMs) * time.Millisecond
	}
	return ok
}

// usage decodes {"cache_creation_input_tokens", "cached_input_tokens",
// "input_tokens", "output_tokens", "reasoning_tokens"}.
func (p *fastDecoder) usage(u *vmspan.Usage) bool {
	counts := [...]**int64{&u.CacheCreationInputTokens, &u.CachedInputTokens, &u.InputTokens, &u.OutputTokens, &u.ReasoningTokens}
	_, ok := p.s.Members(usageKeys, func(k int) bool {
		var ok bool
		*counts[k], ok = p.optInt()
		return ok
	})
	return ok
}

// otelIDs decodes "otel" ({"parent_span_id", "sampled", "span_id",
// "trace_id"}) or null; ids that (*lineOTel).ids refuses are left to
// encoding/json.
func (p *fastDecoder) otelIDs() (*vmspan.OTelIDs, bool) {
	if p.s.Null() {
		return nil, true
	}
	ids := new(vmspan.OTelIDs)
	seen, ok := p.s.Members(otelKeys, func(k int) bool {
		switch k {
		case oParent:
			return p.hexID(ids.Parent[:])
		case oSampled:
			var ok bool
			ids.Sampled, ok = p.s.Bool()
			return ok
		case oSpanID:
			return p.hexID(ids.SpanID[:])
		case oTraceID:
			return p.hexID(ids.TraceID[:])
		}
		return false
	})
	if !ok || seen&(1<<oTraceID|1<<oSpanID) != 1<<oTraceID|1<<oSpanID || !ids.TraceID.IsValid() || !ids.SpanID.IsValid() {
		return nil, false
	}
	return ids, true
}

// hexID decodes a string of exactly 2*len(dst) hex digits into dst.
func (p *fastDecoder) hexID(dst []byte) bool {
	s, ok := p.s.Str()
	if !ok || len(s) != 2*len(dst) {
		return false
	}
	var bad byte
	for j := range dst {
		dst[j] = hexPair(s[2*j], s[2*j+1], &bad)
	}
	return bad <= 0xf
}

// stream decodes an attempt's "stream" or null.
func (p *fastDecoder) stream() (*vmspan.StreamInfo, bool) {
	if p.s.Null() {
		return nil, true
	}
	var si vmspan.StreamInfo
	var ms, ns int64
	seen, ok := p.s.Members(streamKeys, func(k int) bool {
		var ok bool
		var n int64
		switch k {
		case sChunks:
			n, ok = p.s.Int()
			si.Chunks = int(n)
		case sEvents:
			si.Events, ok = p.strings()
		case sFirstMs:
			ms, ok = p.s.Int()
		case sFirstNs:
			ns, ok = p.s.Int()
		}
		return ok
	})
	switch {
	case seen&(1<<sFirstNs) != 0:
		si.FirstChunk = time.Duration(ns)
	case seen&(1<<sFirstMs) != 0:
		si.FirstChunk = time.Duration(ms) * time.Millisecond
	}
	return &si, ok
}

// checks decodes an attempt's "checks", or null.
func (p *fastDecoder) checks() ([]vmspan.CheckResult, bool) {
	if p.s.Null() {
		return nil, true
	}
	var out []vmspan.CheckResult
	ok := p.s.Array(func() bool {
		var c vmspan.CheckResult
		_, ok := p.s.Members(checkKeys, func(k int) bool {
			var ok bool
			var s string
			switch k {
			case cExpr:
				c.Expr, ok = p.internedStr()
			case cName:
				c.Name, ok = p.internedStr()
			case cPath:
				c.Path, ok = p.internedStr()
			case cStatus:
				s, ok = p.internedStr()
				c.Passed = s == vmspan.CheckSucceeded
			}
			return ok
		})
		out = append(out, c)
		return ok
	})
	return out, ok
}

// strings decodes an array of strings (not null elements), or null.
func (p *fastDecoder) strings() ([]string, bool) {
	if p.s.Null() {
		return nil, true
	}
	out := []string{}
	ok := p.s.Array(func() bool {
		s, ok := p.internedStr()
		out = append(out, s)
		return ok
	})
	return out, ok
}

// httpRecord decodes an attempt's "request" or "response", or null.
func (p *fastDecoder) httpRecord() (*vmspan.HTTPRecord, bool) {
	if p.s.Null() {
		return nil, true
	}
	var h vmspan.HTTPRecord
	_, ok := p.s.Members(httpKeys, func(k int) bool {
		var ok bool
		var n int64
		switch k {
		case hMethod:
			h.Method, ok = p.internedStr()
		case hURL:
			h.URL, ok = p.internedStr()
		case hStatus:
			n, ok = p.s.Int()
			h.Status = int(n)
		case hHeaders:
			if ok = p.s.Null(); !ok {
				h.Headers, ok = p.stringMap(false)
			}
		case hBody:
			h.Body, ok = p.string()
		}
		return ok
	})
	return &h, ok
}

// messages decodes an attempt's prompt messages, or null.
func (p *fastDecoder) messages() ([]vmspan.Message, bool) {
	if p.s.Null() {
		return nil, true
	}
	out := []vmspan.Message{}
	ok := p.s.Array(func() bool {
		var m vmspan.Message
		_, ok := p.s.Members(messageKeys, func(k int) bool {
			var ok bool
			switch k {
			case 0:
				m.Content, ok = p.string()
			case 1:
				m.Role, ok = p.internedStr()
			}
			return ok
		})
		out = append(out, m)
		return ok
	})
	return out, ok
}

// parseNotes decodes an attempt's parse notes, or null.
func (p *fastDecoder) parseNotes() ([]vmspan.ParseNote, bool) {
	if p.s.Null() {
		return nil, true
	}
	out := []vmspan.ParseNote{}
	ok := p.s.Array(func() bool {
		var n vmspan.ParseNote
		_, ok := p.s.Members(noteKeys, func(k int) bool {
			var ok bool
			var s string
			switch k {
			case 0:
				n.Detail, ok = p.string()
			case 1:
				s, ok = p.internedStr()
				n.Kind = vmspan.ParseNoteKind(s)
			case 2:
				n.Path, ok = p.string()
			}
			return ok
		})
		out = append(out, n)
		return ok
	})
	return out, ok
}

// stack decodes "call_stack" into p.ids.
func (p *fastDecoder) stack() bool {
	return p.s.Array(func() bool {
		id, ok := p.spanID()
		p.ids = append(p.ids, id)
		return ok
	})
}

// stringMap decodes an object of strings, as tags() converts it: an empty
// object is nil when emptyNil is set, and a value that is not a string is
// refused (tags() would turn it into JSON text).
func (p *fastDecoder) stringMap(emptyNil bool) (map[string]string, bool) {
	var m map[string]string
	ok := p.s.Object(func(key []byte) bool {
		k := p.intern(key)
		v, ok := p.internedStr()
		if m == nil {
			m = make(map[string]string, 4)
		}
		m[k] = v
		return ok
	})
	if ok && m == nil && !emptyNil {
		m = map[string]string{}
	}
	return m, ok
}

// value decodes any JSON value into snapshot form, as value() converts
// encoding/json's: integers int64, other numbers float64, "__class"
// objects vmspan.Object, {"__enum", "value"} vmspan.Enum.
func (p *fastDecoder) value() (any, bool) {
	switch c := p.s.Peek(); {
	case c == '"':
		s, ok := p.s.Str()
		if !ok {
			return nil, false
		}
		return p.box(s), true
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '[':
		start := len(p.vals)
		if !p.arrayInto() {
			return nil, false
		}
		out := make([]any, len(p.vals)-start)
		copy(out, p.vals[start:])
		clear(p.vals[start:])
		p.vals = p.vals[:start]
		return out, true
	case c == '{':
		return p.objectValue()
	case c == 't':
		return true, p.s.Literal("true")
	case c == 'f':
		return false, p.s.Literal("false")
	case c == 'n':
		return nil, p.s.Literal("null")
	}
	return nil, false
}

// arrayInto appends the values of an array to p.vals.
func (p *fastDecoder) arrayInto() bool {
	return p.s.Array(func() bool {
		v, ok := p.value()
		p.vals = append(p.vals, v)
		return ok
	})
}

// objectValue decodes an object value; see object() in reader.go.
func (p *fastDecoder) objectValue() (any, bool) {
	start := len(p.pairs)
	ok := p.s.Object(func(key []byte) bool {
		k := p.intern(key)
		v, ok := p.value()
		p.pairs = append(p.pairs, member{k, v})
		return ok
	})
	kvs := p.pairs[start:]
	defer func() {
		clear(kvs)
		p.pairs = p.pairs[:start]
	}()
	if !ok || hasDuplicate(kvs) {
		return nil, false
	}
	get := func(k string) (any, bool) {
		for _, kv := range kvs {
			if kv.key == k {
				return kv.val, true
			}
		}
		return nil, false
	}
	if v, _ := get("__enum"); len(kvs) == 2 {
		if name, ok := v.(string); ok {
			if val, ok := get("value"); ok {
				if val, ok := val.(string); ok {
					return vmspan.Enum{Name: name, Value: val}, true
				}
			}
		}
	}
	if v, _ := get("__class"); v != nil {
		if class, ok := v.(string); ok {
			o := vmspan.Object{Class: class, Fields: make([]vmspan.Arg, 0, len(kvs)-1)}
			for _, kv := range kvs {
				if kv.key != "__class" {
					o.Fields = append(o.Fields, vmspan.Arg{Name: kv.key, Value: kv.val})
				}
			}
			sortFields(o.Fields)
			return o, true
		}
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.key] = kv.val
	}
	return m, true
}

// sortFields sorts fields by name (an insertion sort: classes have few
// fields, usually in order already).
func sortFields(fs []vmspan.Arg) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Name < fs[j-1].Name; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// hasDuplicate reports whether two members share a key (encoding/json
// keeps the last; the fast decoder leaves such objects to it).
func hasDuplicate(kvs []member) bool {
	if len(kvs) > 32 {
		seen := make(map[string]bool, len(kvs))
		for _, kv := range kvs {
			if seen[kv.key] {
				return true
			}
			seen[kv.key] = true
		}
		return false
	}
	for i := range kvs {
		for j := i + 1; j < len(kvs); j++ {
			if kvs[i].key == kvs[j].key {
				return true
			}
		}
	}
	return false
}

// number decodes a number value: int64 when it has no fraction or exponent
// and fits, else float64 (±Inf when out of range, as number() does).
func (p *fastDecoder) number() (any, bool) {
	raw, isInt, ok := p.s.Number()
	if !ok {
		return nil, false
	}
	if isInt {
		if n, ok := fastjson.ParseInt(raw); ok {
			return n, true
		}
	}
	f, _ := strconv.ParseFloat(string(raw), 64)
	return f, true
}

// optInt decodes an *int64 field: null or an integer.
func (p *fastDecoder) optInt() (*int64, bool) {
	if p.s.Null() {
		return nil, true
	}
	n, ok := p.s.Int()
	return &n, ok
}

// optFloat decodes a *float64 field: null or a number in range.
func (p *fastDecoder) optFloat() (*float64, bool) {
	if p.s.Null() {
		return nil, true
	}
	raw, _, ok := p.s.Number()
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return &f, err == nil
}

// spanID decodes a span id in canonical form (36 characters, hex digits of
// either case); other forms that vmspan.ParseSpanID takes are left to
// encoding/json. The empty string is the zero id.
func (p *fastDecoder) spanID() (vmspan.SpanID, bool) {
	var id vmspan.SpanID
	p.s.WS()
	b := p.s.Rest()
	if len(b) >= 2 && b[0] == '"' && b[1] == '"' {
		p.s.Advance(2)
		return id, true
	}
	if len(b) < 38 || b[0] != '"' || b[37] != '"' {
		return id, false
	}
	s := (*[36]byte)(b[1:37])
	if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	var bad byte
	id[0], id[1], id[2], id[3] = hexPair(s[0], s[1], &bad), hexPair(s[2], s[3], &bad), hexPair(s[4], s[5], &bad), hexPair(s[6], s[7], &bad)
	id[4], id[5], id[6], id[7] = hexPair(s[9], s[10], &bad), hexPair(s[11], s[12], &bad), hexPair(s[14], s[15], &bad), hexPair(s[16], s[17], &bad)
	id[8], id[9], id[10], id[11] = hexPair(s[19], s[20], &bad), hexPair(s[21], s[22], &bad), hexPair(s[24], s[25], &bad), hexPair(s[26], s[27], &bad)
	id[12], id[13], id[14], id[15] = hexPair(s[28], s[29], &bad), hexPair(s[30], s[31], &bad), hexPair(s[32], s[33], &bad), hexPair(s[34], s[35], &bad)
	if bad > 0xf {
		return id, false
	}
	p.s.Advance(38)
	return id, true
}

// traceID decodes 32 hex digits of either case.
func (p *fastDecoder) traceID(t *[16]byte) bool {
	p.s.WS()
	b := p.s.Rest()
	if len(b) < 34 || b[0] != '"' || b[33] != '"' {
		return false
	}
	s := (*[32]byte)(b[1:33])
	var bad byte
	for j := range 16 {
		t[j] = hexPair(s[2*j], s[2*j+1], &bad)
	}
	if bad > 0xf {
		return false
	}
	p.s.Advance(34)
	return true
}

// hexPair decodes the hex digits hi and lo, or-ing their values into bad,
// which exceeds 0xf once a digit was not hex.
func hexPair(hi, lo byte, bad *byte) byte {
	h, l := fastjson.Unhex[hi], fastjson.Unhex[lo]
	*bad |= h | l
	return h<<4 | l
}

// string decodes a string value into a new string.
func (p *fastDecoder) string() (string, bool) {
	s, ok := p.s.Str()
	return string(s), ok
}

// internedStr decodes a string value, interned when short.
func (p *fastDecoder) internedStr() (string, bool) {
	s, ok := p.s.Str()
	if !ok {
		return "", false
	}
	return p.intern(s), true
}

// intern returns b as a string, shared with earlier lines when short.
func (p *fastDecoder) intern(b []byte) string {
	return p.box(b).(string)
}

// box returns b as a string in an interface, shared with earlier lines
// when short.
func (p *fastDecoder) box(b []byte) any {
	if len(b) > maxInternLen {
		return string(b)
	}
	if v, ok := p.strs[string(b)]; ok {
		return v
	}
	var v any = string(b)
	if len(p.strs) < maxInterned {
		if p.strs == nil {
			p.strs = make(map[string]any)
		}
		p.strs[v.(string)] = v
	}
	return v
}
