// decode.go holds the fast decoder of trace lines: a scanner made for the
// line format, which leaves every line it does not take to encoding/json.

package jsonl

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
)

// Limits of the fast decoder.
const (
	// maxDepth is encoding/json's limit on nesting: a deeper line is left to
	// encoding/json, which reports it.
	maxDepth = 10000
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
	b     []byte // the line
	i     int    // the next byte of b
	depth int

	buf   []byte          // unescaped string contents
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
	args      []any    // p.vals[argsAt:argsAt+nargs] until the line is done
	nargs     int
	hasArgs   bool
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
}

// decode decodes line b into d, reporting whether it could.
func (p *fastDecoder) decode(b []byte, d *decoded) bool {
	p.b, p.i, p.depth = b, 0, 0
	p.vals, p.pairs, p.ids = p.vals[:0], p.pairs[:0], p.ids[:0]
	p.data = fastData{}
	ok := p.line(d)
	p.b = nil
	if !ok {
		*d = decoded{}
	}
	p.dropScratch()
	return ok
}

// dropScratch lets go of scratch space that a long line made large, so
// that it is not kept for the rest of the file.
func (p *fastDecoder) dropScratch() {
	if cap(p.buf) > maxScratch {
		p.buf = nil
	}
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

// A keySet is the keys of one kind of object of a line, in the order
// AppendEvent writes them (sorted). Most lines have them in that order, so
// the decoder predicts each key by comparing the bytes ahead with the next
// ones of the set, `"key":` whole, instead of scanning it as a string.
type keySet struct {
	names  []string
	quoted []string // `"name":`
}

func newKeySet(names ...string) *keySet {
	ks := &keySet{names: names}
	for _, n := range names {
		ks.quoted = append(ks.quoted, `"`+n+`":`)
	}
	return ks
}

// The keys of the objects of a line. Each member function switches on the
// index of its key in the set, named by the constants below it.
var lineKeys = newKeySet("call_id", "call_stack", "content", "function_event_id", "timestamp_epoch_ms", "timestamp_unix_nano", "trace_id", "traceparent")

const (
	kCallID = iota
	kCallStack
	kContent
	kEventID
	kEpochMs
	kUnixNano
	kTraceID
	kTraceparent
)

var contentKeys = newKeySet("data", "type")

const (
	kData = iota
	kType
)

var dataKeys = newKeySet("SetTags", "arg_names", "args", "duration_ms", "duration_ns", "error", "function_display_name", "llm_calls", "result", "span_kind", "start_unix_nano", "tags")

const (
	kSetTags = iota
	kArgNames
	kArgs
	kDurMs
	kDurNs
	kError
	kName
	kLLMCalls
	kResult
	kSpanKind
	kStartNano
	kTags
)

var errorKeys = newKeySet("message", "type")

const (
	kMessage = iota
	kErrType
)

var attemptKeys = newKeySet("client", "duration_ms", "duration_ns", "error", "finish_reason", "max_tokens", "messages", "model",
	"output", "provider", "request", "response", "response_id", "response_model", "selected", "server_address", "server_port",
	"start_epoch_ms", "start_unix_nano", "temperature", "usage")

const (
	aClient = iota
	aDurMs
	aDurNs
	aError
	aFinish
	aMaxTokens
	aMessages
	aModel
	aOutput
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
	aTemperature
	aUsage
)

var usageKeys = newKeySet("cached_input_tokens", "input_tokens", "output_tokens")

var httpKeys = newKeySet("body", "headers", "method", "status", "url")

const (
	hBody = iota
	hHeaders
	hMethod
	hStatus
	hURL
)

var messageKeys = newKeySet("content", "role")

// line decodes the top-level object and checks what decodeStd's event
// would check.
func (p *fastDecoder) line(d *decoded) bool {
	var (
		callID vmspan.SpanID
		typ    vmspan.EventKind
		ms, ns int64
		parent []byte
	)
	seen, ok := p.members(lineKeys, func(k int) bool {
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
			ms, ok = p.int()
		case kUnixNano:
			ns, ok = p.int()
		case kTraceID:
			ok = p.traceID((*[16]byte)(&d.e.TraceID))
			d.hasTrace = ok
		case kTraceparent:
			var s []byte
			s, ok = p.str()
			parent = append(parent[:0], s...)
		}
		return ok
	})
	if !ok || !p.end() || typ == 0 {
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
		e.Tags = data.setTags
	case vmspan.EventEnd:
		e.Name, e.SpanKind = data.name, vmspan.ParseKind(data.spanKind)
		e.Result, e.Err = data.result, data.err
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
	seen, ok := p.members(contentKeys, func(k int) bool {
		if k == kData {
			return p.dataObject()
		}
		s, ok := p.str()
		typ = eventKind(string(s))
		return ok
	})
	return typ, ok && seen&(1<<kType) != 0
}

// dataObject decodes the "data" object into p.data.
func (p *fastDecoder) dataObject() bool {
	d := &p.data
	seen, ok := p.members(dataKeys, func(k int) bool {
		var ok bool
		switch k {
		case kArgNames:
			p.names = p.names[:0]
			ok = p.array(func() bool {
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
			d.durMs, ok = p.int()
		case kDurNs:
			d.durNs, ok = p.int()
		case kStartNano:
			d.startNano, ok = p.int()
		case kResult:
			d.result, ok = p.value()
		case kError:
			d.err, ok = p.errorInfo()
		case kLLMCalls:
			d.attempts, ok = p.attempts()
		}
		return ok
	})
	d.seen = seen
	return ok
}

// errorInfo decodes {"message", "type"} or null.
func (p *fastDecoder) errorInfo() (*vmspan.ErrorInfo, bool) {
	if p.null() {
		return nil, true
	}
	var e vmspan.ErrorInfo
	_, ok := p.members(errorKeys, func(k int) bool {
		var ok bool
		if k == kMessage {
			e.Message, ok = p.internedStr()
		} else {
			e.Type, ok = p.internedStr()
		}
		return ok
	})
	return &e, ok
}

// attempts decodes "llm_calls": an array of attempts, or null.
func (p *fastDecoder) attempts() ([]vmspan.LLMAttempt, bool) {
	if p.null() {
		return nil, true
	}
	var out []vmspan.LLMAttempt
	ok := p.array(func() bool {
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
	seen, ok := p.members(attemptKeys, func(k int) bool {
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
			n, ok = p.int()
			a.ServerPort = int(n)
		case aStartMs:
			startMs, ok = p.int()
		case aStartNs:
			startNs, ok = p.int()
		case aDurMs:
			durMs, ok = p.int()
		case aDurNs:
			durNs, ok = p.int()
		case aUsage:
			ok = p.usage(&a.Usage)
		case aFinish:
			a.FinishReason, ok = p.internedStr()
		case aSelected:
			a.Selected, ok = p.bool()
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

// usage decodes {"cached_input_tokens", "input_tokens", "output_tokens"}.
func (p *fastDecoder) usage(u *vmspan.Usage) bool {
	counts := [...]**int64{&u.CachedInputTokens, &u.InputTokens, &u.OutputTokens}
	_, ok := p.members(usageKeys, func(k int) bool {
		var ok bool
		*counts[k], ok = p.optInt()
		return ok
	})
	return ok
}

// httpRecord decodes an attempt's "request" or "response", or null.
func (p *fastDecoder) httpRecord() (*vmspan.HTTPRecord, bool) {
	if p.null() {
		return nil, true
	}
	var h vmspan.HTTPRecord
	_, ok := p.members(httpKeys, func(k int) bool {
		var ok bool
		var n int64
		switch k {
		case hMethod:
			h.Method, ok = p.internedStr()
		case hURL:
			h.URL, ok = p.internedStr()
		case hStatus:
			n, ok = p.int()
			h.Status = int(n)
		case hHeaders:
			if ok = p.null(); !ok {
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
	if p.null() {
		return nil, true
	}
	out := []vmspan.Message{}
	ok := p.array(func() bool {
		var m vmspan.Message
		_, ok := p.members(messageKeys, func(k int) bool {
			var ok bool
			if k == 0 {
				m.Content, ok = p.string()
			} else {
				m.Role, ok = p.internedStr()
			}
			return ok
		})
		out = append(out, m)
		return ok
	})
	return out, ok
}

// members decodes an object whose keys are in ks, calling member with the
// index of each key, positioned at its value, which member must consume.
// It returns the set of keys seen (bit i for ks.names[i]). A duplicate key,
// or a key that encoding/json would match to one of ks only
// case-insensitively, makes it fail; other keys are skipped.
func (p *fastDecoder) members(ks *keySet, member func(k int) bool) (seen uint32, ok bool) {
	if !p.open('{') {
		return 0, false
	}
	if !p.consume('}') {
		next := 0
		for {
			k := p.predict(ks, next)
			if k < 0 {
				if k, ok = p.lookup(ks); !ok {
					return 0, false
				}
			}
			switch {
			case k < 0:
				if _, ok := p.value(); !ok {
					return 0, false
				}
			case seen&(1<<k) != 0 || !member(k):
				return 0, false
			default:
				seen |= 1 << k
				next = k + 1
			}
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return 0, false
			}
		}
	}
	p.depth--
	return seen, true
}

// predict consumes `"key":` if it is next in the line and one of ks's keys
// from index from on, and returns the key's index, else -1.
func (p *fastDecoder) predict(ks *keySet, from int) int {
	p.ws()
	rest := p.b[p.i:]
	if len(rest) < 2 {
		return -1
	}
	for k := from; k < len(ks.quoted); k++ {
		q := ks.quoted[k]
		if rest[1] == q[1] && len(rest) >= len(q) && string(rest[:len(q)]) == q {
			p.i += len(q)
			return k
		}
	}
	return -1
}

// lookup consumes a key and its colon and returns the key's index in ks,
// or -1 for a key ks does not hold. It fails on malformed JSON and on a
// key that encoding/json would match to one of ks case-insensitively.
func (p *fastDecoder) lookup(ks *keySet) (int, bool) {
	key, ok := p.str()
	if !ok || !p.consume(':') {
		return 0, false
	}
	for k, n := range ks.names {
		if string(key) == n {
			return k, true
		}
	}
	for _, n := range ks.names {
		if strings.EqualFold(string(key), n) {
			return 0, false
		}
	}
	return -1, true
}

// stack decodes "call_stack" into p.ids.
func (p *fastDecoder) stack() bool {
	return p.array(func() bool {
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
	ok := p.object(func(key []byte) bool {
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
	p.ws()
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, ok := p.str()
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
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

// arrayInto appends the values of an array to p.vals.
func (p *fastDecoder) arrayInto() bool {
	return p.array(func() bool {
		v, ok := p.value()
		p.vals = append(p.vals, v)
		return ok
	})
}

// objectValue decodes an object value; see object() in reader.go.
func (p *fastDecoder) objectValue() (any, bool) {
	start := len(p.pairs)
	ok := p.object(func(key []byte) bool {
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
	raw, isInt, ok := p.numberBytes()
	if !ok {
		return nil, false
	}
	if isInt {
		if n, ok := parseInt(raw); ok {
			return n, true
		}
	}
	f, _ := strconv.ParseFloat(string(raw), 64)
	return f, true
}

// int decodes a number that must be an int64, as strconv.ParseInt takes
// it: a JSON integer in range.
func (p *fastDecoder) int() (int64, bool) {
	p.ws()
	b, i := p.b, p.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var n uint64
	for i < len(b) && b[i]-'0' <= 9 {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	switch digits := i - start; {
	case digits == 0 || digits > 19 || digits > 1 && b[start] == '0':
		return 0, false // not JSON, or out of range (19 digits fit in n)
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, false
	}
	p.i = i
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// optInt decodes an *int64 field: null or an integer.
func (p *fastDecoder) optInt() (*int64, bool) {
	if p.null() {
		return nil, true
	}
	n, ok := p.int()
	return &n, ok
}

// optFloat decodes a *float64 field: null or a number in range.
func (p *fastDecoder) optFloat() (*float64, bool) {
	if p.null() {
		return nil, true
	}
	raw, _, ok := p.numberBytes()
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return &f, err == nil
}

// parseInt parses the digits of a JSON integer, failing on overflow.
func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 19 { // JSON integers have no leading zeros
		return 0, false
	}
	var n uint64 // 19 digits fit
	for _, c := range b {
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// numberBytes scans a JSON number and reports whether it is an integer
// (no fraction, no exponent).
func (p *fastDecoder) numberBytes() (raw []byte, isInt, ok bool) {
	p.ws()
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	p.i = i
	return b[start:i], isInt, true
}

func (p *fastDecoder) bool() (bool, bool) {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == 't' {
		return true, p.literal("true")
	}
	return false, p.literal("false")
}

// null consumes a null if one comes next.
func (p *fastDecoder) null() bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == 'n' {
		return p.literal("null")
	}
	return false
}

func (p *fastDecoder) literal(s string) bool {
	p.ws()
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// spanID decodes a span id in canonical form (36 characters, hex digits of
// either case); other forms that vmspan.ParseSpanID takes are left to
// encoding/json. The empty string is the zero id.
func (p *fastDecoder) spanID() (vmspan.SpanID, bool) {
	var id vmspan.SpanID
	p.ws()
	b, i := p.b, p.i
	if i+1 < len(b) && b[i] == '"' && b[i+1] == '"' {
		p.i += 2
		return id, true
	}
	if i+38 > len(b) || b[i] != '"' || b[i+37] != '"' {
		return id, false
	}
	s := (*[36]byte)(b[i+1 : i+37])
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
	p.i = i + 38
	return id, true
}

// traceID decodes 32 hex digits of either case.
func (p *fastDecoder) traceID(t *[16]byte) bool {
	p.ws()
	b, i := p.b, p.i
	if i+34 > len(b) || b[i] != '"' || b[i+33] != '"' {
		return false
	}
	s := (*[32]byte)(b[i+1 : i+33])
	var bad byte
	for j := range 16 {
		t[j] = hexPair(s[2*j], s[2*j+1], &bad)
	}
	if bad > 0xf {
		return false
	}
	p.i = i + 34
	return true
}

// hexPair decodes the hex digits hi and lo, or-ing their values into bad,
// which exceeds 0xf once a digit was not hex.
func hexPair(hi, lo byte, bad *byte) byte {
	h, l := unhex[hi], unhex[lo]
	*bad |= h | l
	return h<<4 | l
}

var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// string decodes a string value into a new string.
func (p *fastDecoder) string() (string, bool) {
	s, ok := p.str()
	return string(s), ok
}

// internedStr decodes a string value, interned when short.
func (p *fastDecoder) internedStr() (string, bool) {
	s, ok := p.str()
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

// str decodes a string and returns its contents, unescaped. The slice is
// valid until the next string is decoded.
func (p *fastDecoder) str() ([]byte, bool) {
	p.ws()
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	j := start
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		if m := specialBytes(x); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			break
		}
		j += 8
	}
	for j < len(b) && strPlain[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		p.i = j + 1
		return b[start:j], true
	}
	return p.unquote(start)
}

// specialBytes returns the high bit of each byte of x (eight bytes of a
// string) that is '"', '\\', a control character or not ASCII. Borrows
// may set bits above the lowest such byte too, never below it.
func specialBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(ones*'"'), x^(ones*'\\')
	return ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x | x) & highs
}

// strPlain holds the bytes that stand for themselves in a string: ASCII
// other than control characters, '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unquote decodes a string with escapes or non-ASCII bytes starting at
// start, as encoding/json does: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
func (p *fastDecoder) unquote(start int) ([]byte, bool) {
	b, out := p.b, p.buf[:0]
	for j := start; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			p.i, p.buf = j+1, out
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if j+1 >= len(b) {
				return nil, false
			}
			j += 2
			switch b[j-1] {
			case '"', '\\', '/':
				out = append(out, b[j-1])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := getu4(b[j-2:])
				if r < 0 {
					return nil, false
				}
				j += 4
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, getu4(b[j:])); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						j += 6
						continue
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[j:j+size]...)
			}
			j += size
		}
	}
	return nil, false
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := unhex[c]
		if v > 0xf {
			return -1
		}
		r = r<<4 | rune(v)
	}
	return r
}

// object calls member for each key of an object, positioned at the key's
// value; member must consume the value. The key is valid until the next
// string is decoded. After a failure the decoder's position and depth are
// left where the failure was: the line is given up.
func (p *fastDecoder) object(member func(key []byte) bool) bool {
	if !p.open('{') {
		return false
	}
	if !p.consume('}') {
		for {
			key, ok := p.str()
			if !ok || !p.consume(':') || !member(key) {
				return false
			}
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return false
			}
		}
	}
	p.depth--
	return true
}

// array calls elem for each element of an array; elem must consume it.
func (p *fastDecoder) array(elem func() bool) bool {
	if !p.open('[') {
		return false
	}
	if !p.consume(']') {
		for {
			if !elem() {
				return false
			}
			if p.consume(']') {
				break
			}
			if !p.consume(',') {
				return false
			}
		}
	}
	p.depth--
	return true
}

// open consumes c, which starts an object or an array, within maxDepth.
func (p *fastDecoder) open(c byte) bool {
	if !p.consume(c) {
		return false
	}
	p.depth++
	return p.depth <= maxDepth
}

func (p *fastDecoder) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *fastDecoder) end() bool {
	p.ws()
	return p.i == len(p.b)
}

func (p *fastDecoder) ws() {
	for p.i < len(p.b) && p.b[p.i] <= ' ' {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}
