package jaegertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// WaitTimeout bounds how long WaitTrace polls.
	WaitTimeout = 20 * time.Second
	// WaitInterval is how often WaitTrace polls.
	WaitInterval = 200 * time.Millisecond
)

// ErrTraceNotFound is returned (wrapped) by Trace when Jaeger has no such
// trace, e.g. because it has not been exported or processed yet.
var ErrTraceNotFound = errors.New("trace not found")

// Trace is a trace in the JSON model of Jaeger's /api/traces endpoint.
type Trace struct {
	TraceID string `json:"traceID"`
	Spans   []Span `json:"spans"`
	// Processes maps Span.ProcessID to the process (OTel resource) that
	// emitted the span.
	Processes map[string]Process `json:"processes"`
	Warnings  []string           `json:"warnings"`
}

// Span is a span of a Trace.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"` // the OTel span name
	References    []Reference `json:"references"`
	Flags         uint32      `json:"flags"`
	// StartTime and Duration have microsecond resolution.
	StartTime time.Time     `json:"-"`
	Duration  time.Duration `json:"-"`
	Tags      KeyValues     `json:"tags"` // span attributes, kind, status
	Logs      []Log         `json:"logs"` // span events
	ProcessID string        `json:"processID"`
	Warnings  []string      `json:"warnings"`
}

// Reference links a span to another span; a span's parent is its CHILD_OF
// reference.
type Reference struct {
	RefType string `json:"refType"` // "CHILD_OF" or "FOLLOWS_FROM"
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Log is a span log (an OTel span event).
type Log struct {
	Timestamp time.Time `json:"-"`
	Fields    KeyValues `json:"fields"`
}

// Process is the emitter of spans: an OTel resource.
type Process struct {
	ServiceName string    `json:"serviceName"`
	Tags        KeyValues `json:"tags"` // the other resource attributes
}

// KeyValue is a tag or log field. Value is a string, bool, int64, float64
// or []byte according to Type ("string", "bool", "int64", "float64",
// "binary"). OTel array attributes arrive as a JSON string.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// KeyValues is a list of tags or log fields.
type KeyValues []KeyValue

// Get returns the value of the first entry with the key.
func (kvs KeyValues) Get(key string) (any, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Map returns the entries as a map; for repeated keys the last one wins.
func (kvs KeyValues) Map() map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// Tag returns the value of the span tag with the key.
func (s *Span) Tag(key string) (any, bool) { return s.Tags.Get(key) }

// ParentSpanID returns the span id of the span's CHILD_OF reference, or ""
// for a root span.
func (s *Span) ParentSpanID() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// SpanByName returns the first span with the operation (OTel span) name,
// or nil.
func (tr *Trace) SpanByName(name string) *Span {
	for i := range tr.Spans {
		if tr.Spans[i].OperationName == name {
			return &tr.Spans[i]
		}
	}
	return nil
}

// SpanByID returns the span with the id (hex), or nil.
func (tr *Trace) SpanByID(spanID string) *Span {
	for i := range tr.Spans {
		if sameID(tr.Spans[i].SpanID, spanID) {
			return &tr.Spans[i]
		}
	}
	return nil
}

// Process returns the process that emitted the span.
func (tr *Trace) Process(s *Span) Process { return tr.Processes[s.ProcessID] }

// ServiceName returns the service name of the process that emitted the span.
func (tr *Trace) ServiceName(s *Span) string { return tr.Process(s).ServiceName }

// sameID compares hex ids ignoring case and leading zeros.
func sameID(a, b string) bool {
	trim := func(s string) string { return strings.TrimLeft(strings.ToLower(s), "0") }
	return trim(a) == trim(b)
}

func (s *Span) UnmarshalJSON(b []byte) error {
	type plain Span // without this method
	var v struct {
		plain
		StartTime int64 `json:"startTime"` // µs since the epoch
		Duration  int64 `json:"duration"`  // µs
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Span(v.plain)
	s.StartTime = time.UnixMicro(v.StartTime)
	s.Duration = time.Duration(v.Duration) * time.Microsecond
	return nil
}

func (l *Log) UnmarshalJSON(b []byte) error {
	type plain Log
	var v struct {
		plain
		Timestamp int64 `json:"timestamp"` // µs since the epoch
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = Log(v.plain)
	l.Timestamp = time.UnixMicro(v.Timestamp)
	return nil
}

func (kv *KeyValue) UnmarshalJSON(b []byte) error {
	var v struct {
		Key   string          `json:"key"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*kv = KeyValue{Key: v.Key, Type: v.Type}
	if len(v.Value) == 0 {
		return nil
	}
	var err error
	switch v.Type {
	case "string":
		kv.Value, err = decodeAs[string](v.Value)
	case "bool":
		kv.Value, err = decodeAs[bool](v.Value)
	case "int64":
		kv.Value, err = decodeAs[int64](v.Value)
	case "float64":
		kv.Value, err = decodeAs[float64](v.Value)
	case "binary":
		var s string
		if err = json.Unmarshal(v.Value, &s); err == nil {
			kv.Value, err = base64.StdEncoding.DecodeString(s)
		}
	default:
		err = json.Unmarshal(v.Value, &kv.Value)
	}
	if err != nil {
		return fmt.Errorf("tag %q of type %q: %w", v.Key, v.Type, err)
	}
	return nil
}

func decodeAs[T any](raw json.RawMessage) (any, error) {
	var x T
	err := json.Unmarshal(raw, &x)
	return x, err
}

// apiResponse is the envelope of Jaeger's /api/* JSON responses.
type apiResponse[T any] struct {
	Data   T `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// getAPI GETs QueryURL()+path and decodes the envelope's data into data.
func getAPI[T any](ctx context.Context, j *Jaeger, path string, data *T) error {
	u := j.QueryURL() + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	var r apiResponse[T]
	jsonErr := json.Unmarshal(body, &r)
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(tail(body, 1<<10))
		if jsonErr == nil && len(r.Errors) > 0 {
			msg = r.Errors[0].Msg
		}
		err := fmt.Errorf("GET %s: %s: %s", u, resp.Status, msg)
		if resp.StatusCode == http.StatusNotFound {
			err = fmt.Errorf("%w (%v)", ErrTraceNotFound, err)
		}
		return err
	}
	if jsonErr != nil {
		return fmt.Errorf("GET %s: decoding the response: %w", u, jsonErr)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("GET %s: %s", u, r.Errors[0].Msg)
	}
	*data = r.Data
	return nil
}

// Trace fetches the trace with the id (32 hex digits, as
// trace.TraceID.String() gives) from GET /api/traces/{traceID}. It returns an
// error wrapping ErrTraceNotFound if Jaeger does not have it (yet).
func (j *Jaeger) Trace(ctx context.Context, traceIDHex string) (*Trace, error) {
	var traces []Trace
	if err := getAPI(ctx, j, "/api/traces/"+url.PathEscape(traceIDHex), &traces); err != nil {
		return nil, err
	}
	for i := range traces {
		if sameID(traces[i].TraceID, traceIDHex) {
			return &traces[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s (response had %d traces)", ErrTraceNotFound, traceIDHex, len(traces))
}

// WaitTrace polls Trace every WaitInterval until the trace has at least
// wantSpans spans and returns it. It fails the test after WaitTimeout, or as
// soon as Jaeger has exited.
func (j *Jaeger) WaitTrace(t testing.TB, traceIDHex string, wantSpans int) *Trace {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		tr, err := j.Trace(ctx, traceIDHex)
		cancel()
		if err == nil && len(tr.Spans) >= wantSpans {
			return tr
		}
		state := fmt.Sprint(err)
		if err == nil {
			state = fmt.Sprintf("has %d spans", len(tr.Spans))
		}
		if j.Exited() {
			t.Fatalf("jaegertest: waiting for trace %s with %d spans: Jaeger has exited (%v); last: %s", traceIDHex, wantSpans, j.waitErr, state)
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaegertest: trace %s did not reach %d spans within %v; last: %s", traceIDHex, wantSpans, WaitTimeout, state)
		}
		time.Sleep(WaitInterval)
	}
}

// Services lists the service names Jaeger has received spans from
// (GET /api/services).
func (j *Jaeger) Services(ctx context.Context) ([]string, error) {
	var services []string
	if err := getAPI(ctx, j, "/api/services", &services); err != nil {
		return nil, err
	}
	return services, nil
}

// FindTraces searches for the traces with spans of the service
// (GET /api/traces?service=…&limit=…, looking back two days, Jaeger's
// default) and returns at most limit of them, each with all its spans.
func (j *Jaeger) FindTraces(ctx context.Context, service string, limit int) ([]Trace, error) {
	q := url.Values{"service": {service}, "limit": {strconv.Itoa(limit)}}
	var traces []Trace
	if err := getAPI(ctx, j, "/api/traces?"+q.Encode(), &traces); err != nil {
		return nil, err
	}
	return traces, nil
}
