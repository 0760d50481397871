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
// Memory is bounded by the line size and the spans open at a point of the
// file, never by the file's size.
func Read(r io.Reader) iter.Seq2[vmspan.Event, error] { return read(r, MaxLineSize) }

func read(r io.Reader, maxLine int) iter.Seq2[vmspan.Event, error] {
	return func(yield func(vmspan.Event, error) bool) {
		lr := lineReader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
		st := newState()
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
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			e, err := st.decode(line)
			if err != nil {
				err = &LineError{n, err}
			}
			if !yield(e, err) {
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
		return bytes.TrimRight(b, "\r\n"), nil
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
	Partial   *any           `json:"Partial"`
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

// state is what the reader remembers between lines: the spans that have
// started and not ended, and the trace ids of remote-parented trees in
// files that do not record trace ids.
type state struct {
	open   map[vmspan.SpanID]*openSpan
	traces map[vmspan.SpanID][16]byte // trace ids by tree root
}

type openSpan struct {
	name   string
	kind   vmspan.Kind
	args   []vmspan.Arg
	tags   map[string]string
	start  time.Time
	remote *vmspan.RemoteParent
}

func newState() *state {
	return &state{open: map[vmspan.SpanID]*openSpan{}, traces: map[vmspan.SpanID][16]byte{}}
}

// decode parses one line into an event and updates the state.
func (st *state) decode(b []byte) (vmspan.Event, error) {
	var l line
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&l); err != nil {
		return vmspan.Event{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return vmspan.Event{}, errors.New("data after the JSON object")
	}
	e, err := l.event()
	if err != nil {
		return vmspan.Event{}, err
	}
	if err := st.complete(&e, &l); err != nil {
		return vmspan.Event{}, err
	}
	return e, nil
}

// event converts the fields every line has.
func (l *line) event() (vmspan.Event, error) {
	var e vmspan.Event
	var err error
	switch l.Content.Type {
	case "function_start":
		e.Kind = vmspan.EventStart
	case "function_end":
		e.Kind = vmspan.EventEnd
	case "intermediate":
		e.Kind = vmspan.EventSetTags
	default:
		return e, fmt.Errorf("unknown content type %q", l.Content.Type)
	}
	if e.ID, err = parseID("function_event_id", l.EventID); err != nil {
		return e, err
	}
	if err := l.spanContext(&e); err != nil {
		return e, err
	}
	if e.Time, err = timeOf(l.UnixNano, l.EpochMs); err != nil {
		return e, fmt.Errorf("timestamp: %v", err)
	}
	if l.Parent != "" {
		r, err := vmspan.ParseTraceparent(l.Parent)
		if err != nil {
			return e, err
		}
		if l.State != "" {
			if r.State, err = trace.ParseTraceState(l.State); err != nil {
				return e, fmt.Errorf("tracestate: %v", err)
			}
		}
		e.Remote = &r
	}
	return e, nil
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
	switch {
	case len(stack) == 0 && id.IsZero():
		return errors.New("no call_id and no call_stack")
	case len(stack) == 0:
		stack = []vmspan.SpanID{id}
	case id.IsZero():
		id = stack[len(stack)-1]
	case stack[len(stack)-1] != id:
		return fmt.Errorf("call_id %s is not the last element of call_stack", l.CallID)
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

// complete fills the kind-specific fields and what the line leaves out.
func (st *state) complete(e *vmspan.Event, l *line) error {
	d := &l.Content.Data
	var err error
	if e.TraceID, err = st.traceID(e, l.TraceID); err != nil {
		return err
	}
	switch e.Kind {
	case vmspan.EventStart:
		st.start(e, d)
	case vmspan.EventEnd:
		err = st.end(e, d)
	case vmspan.EventSetTags:
		if d.Partial != nil {
			st.partial(e, d)
			break
		}
		st.setTags(e, d)
	}
	return err
}

func (st *state) start(e *vmspan.Event, d *lineData) {
	e.Name, e.SpanKind = d.Name, vmspan.ParseKind(d.SpanKind)
	e.Args = args(d.ArgNames, d.Args)
	e.Tags = tags(d.Tags)
	st.open[e.Span.ID] = &openSpan{name: e.Name, kind: e.SpanKind, args: e.Args, tags: e.Tags, start: e.Time, remote: e.Remote}
}

func (st *state) end(e *vmspan.Event, d *lineData) error {
	e.Name, e.SpanKind = d.Name, vmspan.ParseKind(d.SpanKind)
	e.Result = value(d.Result)
	if d.Error != nil {
		e.Err, e.Result = d.Error.info(), nil
	}
	var err error
	if e.OTel, err = d.OTel.ids(); err != nil {
		return err
	}
	if e.Duration, err = durationOf(d.DurNs, d.DurMs); err != nil {
		return fmt.Errorf("duration: %v", err)
	}
	if e.Attempts, err = attempts(d.LLMCalls); err != nil {
		return err
	}
	o := st.open[e.Span.ID]
	delete(st.open, e.Span.ID)
	if e.Span.ID == e.Span.Root {
		delete(st.traces, e.Span.ID)
	}
	if o != nil {
		e.Args, e.Tags, e.Start = o.args, o.tags, o.start
	}
	if d.StartNano != "" {
		if e.Start, err = timeOf(d.StartNano, ""); err != nil {
			return fmt.Errorf("start_unix_nano: %v", err)
		}
	} else if o == nil {
		e.Start = e.Time.Add(-e.Duration)
	}
	return nil
}

// partial reads an intermediate line {"Partial": value}: a partial value
// of an open span's result.
func (st *state) partial(e *vmspan.Event, d *lineData) {
	e.Kind, e.Result = vmspan.EventPartial, value(*d.Partial)
	if o := st.open[e.Span.ID]; o != nil {
		e.Name, e.SpanKind = o.name, o.kind
	}
}

func (st *state) setTags(e *vmspan.Event, d *lineData) {
	e.Tags = tags(d.SetTags)
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

// traceID returns the line's trace_id or, for files without one, the
// trace of the tree: its remote parent's, else vmspan.OTelTraceID(root).
func (st *state) traceID(e *vmspan.Event, s string) ([16]byte, error) {
	var t [16]byte
	if s != "" {
		if len(s) != 32 {
			return t, fmt.Errorf("trace_id %q: want 32 hex digits", s)
		}
		if _, err := hex.Decode(t[:], []byte(s)); err != nil {
			return t, fmt.Errorf("trace_id %q: %v", s, err)
		}
		return t, nil
	}
	if t, ok := st.traces[e.Span.Root]; ok {
		return t, nil
	}
	if e.Remote != nil && e.Span.ID == e.Span.Root && e.Kind == vmspan.EventStart {
		st.traces[e.Span.Root] = e.Remote.TraceID
		return e.Remote.TraceID, nil
	}
	return [16]byte(vmspan.OTelTraceID(e.Span.Root)), nil
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
