// reader.go holds the streaming reader that turns JSONL lines back into events.

package jsonl

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
)

// MaxLineSize is the longest line Read accepts; longer lines are skipped
// and reported as a LineError.
const MaxLineSize = 64 << 20

// ErrLineTooLong is the Err of a LineError for a line over MaxLineSize.
var ErrLineTooLong = errors.New("line too long")

// A LineError reports a malformed line. Read goes on with the next line.
type LineError struct {
	Line int // 1-based
	Err  error
}

// Error returns "jsonl: line N: " and the cause.
func (e *LineError) Error() string { return fmt.Sprintf("jsonl: line %d: %v", e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// Read streams the events of a JSONL trace in r. A malformed line yields a
// *LineError and reading continues; an I/O error is yielded and ends the
// sequence. Blank lines are skipped and unknown fields ignored, so files of
// the reference format and of later bex versions can be read.
//
// What a line lacks is rebuilt as a live sink would have seen it: end
// events get their span's arguments, and its tags merged with later
// set-tags, from the start line; set-tags events get the span's name, kind
// and remote parent; events without "trace_id" get their tree's trace id.
// The events of one span share these: an end event's Args, Tags and Stack
// are its start event's, so treat events as read-only, as sinks do.
//
// Lines in the form the Writer writes are decoded by a scanner made for
// that format; any other line (other key order or spacing, escapes, nulls,
// unknown keys, malformed JSON) goes through encoding/json, which decides
// what a line means and what is wrong with it, so both give the same
// events and errors. Memory is bounded by the line size, the spans open at
// a point of the file and a table of at most 4,096 short strings (names,
// tag keys and values) shared between events, never by the file's size.
func Read(r io.Reader) iter.Seq2[vmspan.Event, error] { return read(r, MaxLineSize, true) }

// read reads lines of at most maxLine bytes, with the fast decoder unless
// fast is false (for tests that compare the two).
func read(r io.Reader, maxLine int, fast bool) iter.Seq2[vmspan.Event, error] {
	return func(yield func(vmspan.Event, error) bool) {
		lr := lineReader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
		st := newState()
		st.stdOnly = !fast
		for n := 1; ; n++ {
			line, err := lr.next()
			if err != nil && !errors.Is(err, ErrLineTooLong) {
				if err != io.EOF {
					yield(vmspan.Event{}, err)
				}
				return
			}
			if err != nil {
				if !yield(vmspan.Event{}, &LineError{n, err}) {
					return
				}
				continue
			}
			if (len(line) == 0 || line[0] != '{') && len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			e, err := st.decode(line)
			if err != nil {
				if !yield(vmspan.Event{}, &LineError{n, err}) {
					return
				}
				continue
			}
			if !yield(*e, nil) {
				return
			}
		}
	}
}

// ReadFile streams the events of the JSONL file at path; see Read.
func ReadFile(path string) iter.Seq2[vmspan.Event, error] {
	return func(yield func(vmspan.Event, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(vmspan.Event{}, err)
			return
		}
		defer f.Close()
		for e, err := range Read(f) {
			if !yield(e, err) {
				return
			}
		}
	}
}

// lineReader returns lines without their line ending. The slice is valid
// until the next call.
type lineReader struct {
	r    *bufio.Reader
	max  int
	long []byte
}

func (l *lineReader) next() ([]byte, error) {
	l.long = l.long[:0]
	tooLong := false
	for {
		b, err := l.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(l.long)+len(b) > l.max {
				tooLong, l.long = true, l.long[:0]
			} else if !tooLong {
				l.long = append(l.long, b...)
			}
			continue
		}
		if err == io.EOF && len(b) == 0 && len(l.long) == 0 && !tooLong {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if tooLong || len(l.long)+len(b) > l.max {
			return nil, ErrLineTooLong
		}
		if len(l.long) > 0 {
			b = append(l.long, b...)
			l.long = b
		}
		for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
			b = b[:len(b)-1]
		}
		return b, nil
	}
}

// A line is the JSON form of one event, as written by AppendEvent.
type line struct {
	CallID    string      `json:"call_id"`
	CallStack []string    `json:"call_stack"`
	Content   lineContent `json:"content"`
	EventID   string      `json:"function_event_id"`
	EpochMs   json.Number `json:"timestamp_epoch_ms"`
	UnixNano  json.Number `json:"timestamp_unix_nano"`
	TraceID   string      `json:"trace_id"`
	Parent    string      `json:"traceparent"`
	State     string      `json:"tracestate"`
}

type lineContent struct {
	Type string   `json:"type"`
	Data lineData `json:"data"`
}

type lineData struct {
	ArgNames  []string       `json:"arg_names"`
	Args      []any          `json:"args"`
	Name      string         `json:"function_display_name"`
	Tags      map[string]any `json:"tags"`
	SpanKind  string         `json:"span_kind"`
	DurMs     json.Number    `json:"duration_ms"`
	DurNs     json.Number    `json:"duration_ns"`
	StartNano json.Number    `json:"start_unix_nano"`
	Result    any            `json:"result"`
	Error     *lineError     `json:"error"`
	LLMCalls  []lineAttempt  `json:"llm_calls"`
	OTel      *lineOTel      `json:"otel"`
	SetTags   map[string]any `json:"SetTags"`
	Partial   partialValue   `json:"Partial"`
}

// A partialValue is the value of "Partial": present even when it is null
// (a partial value can be null), which a *any cannot tell from absent.
type partialValue struct {
	set bool
	v   any
}

// UnmarshalJSON decodes the value as the line's decoder does (numbers as
// json.Number); encoding/json calls it for null too.
func (p *partialValue) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	p.set, p.v = true, nil
	return dec.Decode(&p.v)
}

type lineError struct {
	Code        string `json:"code"`
	ContentFree bool   `json:"content_free"`
	Message     string `json:"message"`
	Summary     string `json:"summary"`
	Type        string `json:"type"`
}

func (e *lineError) info() *vmspan.ErrorInfo {
	if e == nil {
		return nil
	}
	summary := e.Summary // "" in files written before summaries were: not known
	if e.ContentFree {
		summary = e.Message
	}
	return &vmspan.ErrorInfo{Type: e.Type, Message: e.Message, Summary: summary, Code: e.Code}
}

// lineOTel is the OpenTelemetry ids a live bridge exported a span or an
// attempt with.
type lineOTel struct {
	Parent  string `json:"parent_span_id"`
	Sampled bool   `json:"sampled"`
	SpanID  string `json:"span_id"`
	TraceID string `json:"trace_id"`
}

func (o *lineOTel) ids() (*vmspan.OTelIDs, error) {
	if o == nil {
		return nil, nil
	}
	ids := &vmspan.OTelIDs{Sampled: o.Sampled}
	if err := hexID(ids.TraceID[:], o.TraceID); err != nil || !ids.TraceID.IsValid() {
		return nil, fmt.Errorf("otel.trace_id %q: want 32 hex digits, not all zero", o.TraceID)
	}
	if err := hexID(ids.SpanID[:], o.SpanID); err != nil || !ids.SpanID.IsValid() {
		return nil, fmt.Errorf("otel.span_id %q: want 16 hex digits, not all zero", o.SpanID)
	}
	if o.Parent != "" {
		if err := hexID(ids.Parent[:], o.Parent); err != nil {
			return nil, fmt.Errorf("otel.parent_span_id %q: want 16 hex digits", o.Parent)
		}
	}
	return ids, nil
}

// hexID decodes s, which must be exactly len(dst) bytes of hex.
func hexID(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return errors.New("wrong length")
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

type lineAttempt struct {
	Client        string             `json:"client"`
	Provider      string             `json:"provider"`
	Model         string             `json:"model"`
	ResponseModel string             `json:"response_model"`
	ResponseID    string             `json:"response_id"`
	ServerAddress string             `json:"server_address"`
	ServerPort    int                `json:"server_port"`
	StartMs       json.Number        `json:"start_epoch_ms"`
	StartNano     json.Number        `json:"start_unix_nano"`
	DurMs         json.Number        `json:"duration_ms"`
	DurNs         json.Number        `json:"duration_ns"`
	Usage         lineUsage          `json:"usage"`
	FinishReason  string             `json:"finish_reason"`
	Selected      bool               `json:"selected"`
	Temperature   *float64           `json:"temperature"`
	MaxTokens     *int64             `json:"max_tokens"`
	Request       *vmspan.HTTPRecord `json:"request"`
	Response      *vmspan.HTTPRecord `json:"response"`
	Messages      []vmspan.Message   `json:"messages"`
	Output        string             `json:"output"`
	ParseNotes    []vmspan.ParseNote `json:"parse_notes"`
	Checks        []lineCheck        `json:"checks"`
	DynamicTypes  []string           `json:"dynamic_types"`
	Error         *lineError         `json:"error"`
	OTel          *lineOTel          `json:"otel"`
	Stream        *lineStream        `json:"stream"`
}

type lineStream struct {
	Chunks       int         `json:"chunks"`
	Events       []string    `json:"events"`
	FirstChunkMs json.Number `json:"first_chunk_ms"`
	FirstChunkNs json.Number `json:"first_chunk_ns"`
}

// A lineCheck is a vmspan.CheckResult with its status spelled out.
type lineCheck struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	Expr   string `json:"expression"`
	Status string `json:"status"`
}

func checkResults(ls []lineCheck) []vmspan.CheckResult {
	if len(ls) == 0 {
		return nil
	}
	out := make([]vmspan.CheckResult, len(ls))
	for i, l := range ls {
		out[i] = vmspan.CheckResult{Path: l.Path, Name: l.Name, Expr: l.Expr, Passed: l.Status == vmspan.CheckSucceeded}
	}
	return out
}

type lineUsage struct {
	Input         *int64 `json:"input_tokens"`
	Output        *int64 `json:"output_tokens"`
	Cached        *int64 `json:"cached_input_tokens"`
	CacheCreation *int64 `json:"cache_creation_input_tokens"`
	Reasoning     *int64 `json:"reasoning_tokens"`
}

// A decoded line: its event as far as the line tells it, and what the
// reader needs to complete it from earlier lines. Both decoders, the fast
// one of decode.go and the encoding/json one below, produce it.
type decoded struct {
	e        vmspan.Event // Args, Tags, Start and TraceID as the line has them
	hasTrace bool         // the line has "trace_id" (in e.TraceID)
	hasStart bool         // an end line has "start_unix_nano" (in e.Start)
	// stackScratch says that e.Stack is the fast decoder's, which the
	// next line overwrites.
	stackScratch bool
}

// state is what the reader remembers between lines: the spans that have
// started and not ended, the trace ids of remote-parented trees in files
// that do not record trace ids, and the fast decoder's scratch space.
type state struct {
	open    map[vmspan.SpanID]*openSpan
	traces  map[vmspan.SpanID][16]byte // trace ids by tree root
	fast    fastDecoder
	stdOnly bool
	d       decoded
	free    []*openSpan // ended spans' records, for reuse
}

type openSpan struct {
	name   string
	kind   vmspan.Kind
	stack  []vmspan.SpanID
	args   []vmspan.Arg
	tags   map[string]string
	start  time.Time
	remote *vmspan.RemoteParent
}

func newState() *state {
	return &state{open: map[vmspan.SpanID]*openSpan{}, traces: map[vmspan.SpanID][16]byte{}}
}

// decode parses one line into an event and updates the state. Lines the
// fast decoder does not take (anything unusual, and every malformed line)
// go to encoding/json, which decides what is malformed and says why.
func (st *state) decode(b []byte) (*vmspan.Event, error) {
	d := &st.d
	*d = decoded{}
	if st.stdOnly || !st.fast.decode(b, d) {
		*d = decoded{}
		if err := decodeStd(b, d); err != nil {
			return nil, err
		}
	}
	st.complete(d)
	return &d.e, nil
}

// decodeStd decodes a line with encoding/json, checking its fields in a
// fixed order so that a line with several faults reports the first.
func decodeStd(b []byte, d *decoded) error {
	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&l); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	if err := l.event(&d.e); err != nil {
		return err
	}
	if l.TraceID != "" {
		if err := parseTraceID(l.TraceID, (*[16]byte)(&d.e.TraceID)); err != nil {
			return err
		}
		d.hasTrace = true
	}
	return l.kindData(d)
}

// event converts the fields every line has.
func (l *line) event(e *vmspan.Event) error {
	var err error
	if e.Kind = eventKind(l.Content.Type); e.Kind == 0 {
		return fmt.Errorf("unknown content type %q", l.Content.Type)
	}
	if e.ID, err = parseID("function_event_id", l.EventID); err != nil {
		return err
	}
	if err := l.spanContext(e); err != nil {
		return err
	}
	if e.Time, err = timeOf(l.UnixNano, l.EpochMs); err != nil {
		return fmt.Errorf("timestamp: %v", err)
	}
	if l.Parent != "" {
		r, err := vmspan.ParseTraceparent(l.Parent)
		if err != nil {
			return err
		}
		if l.State != "" {
			if r.State, err = trace.ParseTraceState(l.State); err != nil {
				return fmt.Errorf("tracestate: %v", err)
			}
		}
		e.Remote = &r
	}
	return nil
}

func eventKind(typ string) vmspan.EventKind {
	switch typ {
	case "function_start":
		return vmspan.EventStart
	case "function_end":
		return vmspan.EventEnd
	case "intermediate":
		return vmspan.EventSetTags
	}
	return 0
}

// spanContext sets the span context and stack: the parent is the
// second-to-last element of call_stack, the root the first.
func (l *line) spanContext(e *vmspan.Event) error {
	stack := make([]vmspan.SpanID, len(l.CallStack))
	for i, s := range l.CallStack {
		id, err := parseID("call_stack", s)
		if err != nil || id.IsZero() {
			return fmt.Errorf("call_stack[%d]: bad span id %q", i, s)
		}
		stack[i] = id
	}
	id, err := parseID("call_id", l.CallID)
	if err != nil {
		return err
	}
	return setSpan(e, id, stack, l.CallID)
}

// setSpan sets e's span context from its call_id and call stack (whose
// elements are not zero), or says why they do not fit together.
func setSpan(e *vmspan.Event, id vmspan.SpanID, stack []vmspan.SpanID, callID string) error {
	switch {
	case len(stack) == 0 && id.IsZero():
		return errors.New("no call_id and no call_stack")
	case len(stack) == 0:
		stack = []vmspan.SpanID{id}
	case id.IsZero():
		id = stack[len(stack)-1]
	case stack[len(stack)-1] != id:
		return fmt.Errorf("call_id %s is not the last element of call_stack", callID)
	}
	e.Stack = stack
	e.Span = vmspan.SpanContext{ID: id, Root: stack[0]}
	if len(stack) > 1 {
		e.Span.Parent = stack[len(stack)-2]
	}
	return nil
}

func parseID(field, s string) (vmspan.SpanID, error) {
	id, err := vmspan.ParseSpanID(s)
	if err != nil {
		return id, fmt.Errorf("%s: bad id %q", field, s)
	}
	return id, nil
}

func parseTraceID(s string, t *[16]byte) error {
	if len(s) != 32 {
		return fmt.Errorf("trace_id %q: want 32 hex digits", s)
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return fmt.Errorf("trace_id %q: %v", s, err)
	}
	return nil
}

// kindData converts the data of the line's kind.
func (l *line) kindData(d *decoded) error {
	e, data := &d.e, &l.Content.Data
	switch e.Kind {
	case vmspan.EventStart:
		e.Name, e.SpanKind = data.Name, vmspan.ParseKind(data.SpanKind)
		e.Args = args(data.ArgNames, data.Args)
		e.Tags = tags(data.Tags)
	case vmspan.EventSetTags:
		if data.Partial.set {
			e.Kind, e.Result = vmspan.EventPartial, value(data.Partial.v)
			break
		}
		e.Tags = tags(data.SetTags)
	case vmspan.EventEnd:
		e.Name, e.SpanKind = data.Name, vmspan.ParseKind(data.SpanKind)
		e.Result = value(data.Result)
		if data.Error != nil {
			e.Err, e.Result = data.Error.info(), nil
		}
		var err error
		if e.OTel, err = data.OTel.ids(); err != nil {
			return err
		}
		if e.Duration, err = durationOf(data.DurNs, data.DurMs); err != nil {
			return fmt.Errorf("duration: %v", err)
		}
		if e.Attempts, err = attempts(data.LLMCalls); err != nil {
			return err
		}
		if data.StartNano != "" {
			if e.Start, err = timeOf(data.StartNano, ""); err != nil {
				return fmt.Errorf("start_unix_nano: %v", err)
			}
			d.hasStart = true
		}
	}
	return nil
}

// complete fills in what the line leaves out from the lines before it.
func (st *state) complete(d *decoded) {
	e := &d.e
	if !d.hasTrace {
		e.TraceID = st.traceID(e)
	}
	if d.stackScratch && e.Kind != vmspan.EventEnd {
		e.Stack = slices.Clone(e.Stack)
	}
	switch e.Kind {
	case vmspan.EventStart:
		o := st.newOpenSpan()
		*o = openSpan{name: e.Name, kind: e.SpanKind, stack: e.Stack, args: e.Args, tags: e.Tags, start: e.Time, remote: e.Remote}
		if old := st.open[e.Span.ID]; old != nil {
			st.free = append(st.free, old)
		}
		st.open[e.Span.ID] = o
	case vmspan.EventEnd:
		st.end(d)
	case vmspan.EventSetTags:
		st.setTags(e)
	case vmspan.EventPartial:
		st.partial(e)
	}
}

func (st *state) newOpenSpan() *openSpan {
	if n := len(st.free); n > 0 {
		o := st.free[n-1]
		st.free = st.free[:n-1]
		return o
	}
	return new(openSpan)
}

func (st *state) end(d *decoded) {
	e := &d.e
	o := st.open[e.Span.ID]
	delete(st.open, e.Span.ID)
	if e.Span.ID == e.Span.Root {
		delete(st.traces, e.Span.ID)
	}
	if o != nil {
		e.Args, e.Tags = o.args, o.tags
		if !d.hasStart {
			e.Start = o.start
		}
		if slices.Equal(o.stack, e.Stack) {
			e.Stack = o.stack // the start event's stack, read-only as all events are
		} else if d.stackScratch {
			e.Stack = slices.Clone(e.Stack)
		}
		*o = openSpan{}
		st.free = append(st.free, o)
		return
	}
	if d.stackScratch {
		e.Stack = slices.Clone(e.Stack)
	}
	if !d.hasStart {
		e.Start = e.Time.Add(-e.Duration)
	}
}

// partial completes an intermediate line {"Partial": value}, a partial
// value of an open span's result, with the span's name and kind.
func (st *state) partial(e *vmspan.Event) {
	if o := st.open[e.Span.ID]; o != nil {
		e.Name, e.SpanKind = o.name, o.kind
	}
}

func (st *state) setTags(e *vmspan.Event) {
	o := st.open[e.Span.ID]
	if o == nil {
		return
	}
	e.Name, e.SpanKind, e.Remote = o.name, o.kind, o.remote
	merged := maps.Clone(o.tags)
	if merged == nil {
		merged = make(map[string]string, len(e.Tags))
	}
	maps.Copy(merged, e.Tags)
	o.tags = merged
}

// traceID returns the trace of the tree of a line without "trace_id": its
// remote parent's, else vmspan.OTelTraceID(root).
func (st *state) traceID(e *vmspan.Event) [16]byte {
	if t, ok := st.traces[e.Span.Root]; ok {
		return t
	}
	if e.Remote != nil && e.Span.ID == e.Span.Root && e.Kind == vmspan.EventStart {
		st.traces[e.Span.Root] = e.Remote.TraceID
		return e.Remote.TraceID
	}
	return [16]byte(vmspan.OTelTraceID(e.Span.Root))
}

func timeOf(nano, ms json.Number) (time.Time, error) {
	if nano != "" {
		n, err := strconv.ParseInt(string(nano), 10, 64)
		return time.Unix(0, n).UTC(), err
	}
	if ms != "" {
		n, err := strconv.ParseInt(string(ms), 10, 64)
		return time.UnixMilli(n).UTC(), err
	}
	return time.Time{}, nil
}

func durationOf(ns, ms json.Number) (time.Duration, error) {
	if ns != "" {
		n, err := strconv.ParseInt(string(ns), 10, 64)
		return time.Duration(n), err
	}
	if ms != "" {
		n, err := strconv.ParseInt(string(ms), 10, 64)
		return time.Duration(n) * time.Millisecond, err
	}
	return 0, nil
}

// args pairs values with names; missing names are arg0, arg1, ...
func args(names []string, vals []any) []vmspan.Arg {
	if len(vals) == 0 {
		return nil
	}
	out := make([]vmspan.Arg, len(vals))
	for i, v := range vals {
		out[i].Value = value(v)
		if i < len(names) {
			out[i].Name = names[i]
		} else {
			out[i].Name = "arg" + strconv.Itoa(i)
		}
	}
	return out
}

// tags converts a tag object; values that are not strings keep their JSON
// text. An empty object is nil, as a span without tags has.
func tags(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

// value converts decoded JSON to snapshot form: integers become int64 and
// other numbers float64, objects with "__class" vmspan.Object (fields in
// key order), and {"__enum", "value"} vmspan.Enum.
func value(v any) any {
	switch x := v.(type) {
	case json.Number:
		return number(x)
	case []any:
		for i := range x {
			x[i] = value(x[i])
		}
		return x
	case map[string]any:
		return object(x)
	}
	return v
}

func number(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func object(m map[string]any) any {
	if name, ok := m["__enum"].(string); ok && len(m) == 2 {
		if v, ok := m["value"].(string); ok {
			return vmspan.Enum{Name: name, Value: v}
		}
	}
	class, isObj := m["__class"].(string)
	if !isObj {
		for k, v := range m {
			m[k] = value(v)
		}
		return m
	}
	keys := slices.Sorted(maps.Keys(m))
	o := vmspan.Object{Class: class, Fields: make([]vmspan.Arg, 0, len(m)-1)}
	for _, k := range keys {
		if k != "__class" {
			o.Fields = append(o.Fields, vmspan.Arg{Name: k, Value: value(m[k])})
		}
	}
	return o
}

func attempts(ls []lineAttempt) ([]vmspan.LLMAttempt, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	out := make([]vmspan.LLMAttempt, len(ls))
	for i := range ls {
		l := &ls[i]
		start, err := timeOf(l.StartNano, l.StartMs)
		if err != nil {
			return nil, fmt.Errorf("llm_calls[%d]: start: %v", i, err)
		}
		dur, err := durationOf(l.DurNs, l.DurMs)
		if err != nil {
			return nil, fmt.Errorf("llm_calls[%d]: duration: %v", i, err)
		}
		out[i] = vmspan.LLMAttempt{
			Client: l.Client, Provider: l.Provider, Model: l.Model, ResponseModel: l.ResponseModel,
			ResponseID: l.ResponseID, ServerAddress: l.ServerAddress, ServerPort: l.ServerPort,
			Start: start, Duration: dur, FinishReason: l.FinishReason, Selected: l.Selected,
			Usage: vmspan.Usage{InputTokens: l.Usage.Input, OutputTokens: l.Usage.Output, CachedInputTokens: l.Usage.Cached,
				CacheCreationInputTokens: l.Usage.CacheCreation, ReasoningTokens: l.Usage.Reasoning},
			Temperature: l.Temperature, MaxTokens: l.MaxTokens, Request: l.Request, Response: l.Response,
			Messages: l.Messages, Output: l.Output, ParseNotes: l.ParseNotes, Err: l.Error.info(),
			Checks: checkResults(l.Checks), DynamicTypes: l.DynamicTypes,
		}
		if out[i].OTel, err = l.OTel.ids(); err != nil {
			return nil, fmt.Errorf("llm_calls[%d]: %v", i, err)
		}
		if s := l.Stream; s != nil {
			first, err := durationOf(s.FirstChunkNs, s.FirstChunkMs)
			if err != nil {
				return nil, fmt.Errorf("llm_calls[%d]: stream: first chunk: %v", i, err)
			}
			out[i].Stream = &vmspan.StreamInfo{FirstChunk: first, Chunks: s.Chunks, Events: s.Events}
		}
	}
	return out, nil
}
