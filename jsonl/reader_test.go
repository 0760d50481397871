package jsonl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
)

func TestReadReferenceFormat(t *testing.T) {
	var events []vmspan.Event
	for e, err := range ReadFile("testdata/reference.jsonl") {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if len(events) != 7 {
		t.Fatalf("%d events, want 7", len(events))
	}
	root := mustID(t, "3f2b8c1e-6d4a-4e2f-9b7c-1a2b3c4d5e6f")
	child := mustID(t, "7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f")
	add := mustID(t, "5e4f3a2b-1c0d-4e9f-8a7b-6c5d4e3f2a1b")
	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }

	want := []struct {
		kind   vmspan.EventKind
		span   vmspan.SpanContext
		name   string
		depth  int
		tags   string
		time   time.Time
		start  time.Time
		dur    time.Duration
		result any
	}{
		{vmspan.EventStart, vmspan.SpanContext{ID: root, Root: root}, "parent", 1, "map[]", ms(1770875826273), time.Time{}, 0, nil},
		{vmspan.EventSetTags, vmspan.SpanContext{ID: root, Root: root}, "parent", 1, "map[env:test]", ms(1770875826274), time.Time{}, 0, nil},
		{vmspan.EventStart, vmspan.SpanContext{ID: child, Parent: root, Root: root}, "child", 2, "map[env:test]", ms(1770875826275), time.Time{}, 0, nil},
		{vmspan.EventStart, vmspan.SpanContext{ID: add, Parent: child, Root: root}, "add", 3, "map[env:test]", ms(1770875826276), time.Time{}, 0, nil},
		{vmspan.EventEnd, vmspan.SpanContext{ID: add, Parent: child, Root: root}, "add", 3, "map[env:test]", ms(1770875826296), ms(1770875826276), 20 * time.Millisecond, int64(7)},
		{vmspan.EventEnd, vmspan.SpanContext{ID: child, Parent: root, Root: root}, "child", 2, "map[env:test]", ms(1770875826298), ms(1770875826275), 23 * time.Millisecond, nil},
		{vmspan.EventEnd, vmspan.SpanContext{ID: root, Root: root}, "parent", 1, "map[env:test]", ms(1770875826299), ms(1770875826273), 26 * time.Millisecond, nil},
	}
	for i, w := range want {
		e := events[i]
		if e.Kind != w.kind || e.Span != w.span || e.Name != w.name || len(e.Stack) != w.depth || fmt.Sprint(e.Tags) != w.tags {
			t.Errorf("event %d = %v %+v %q depth %d tags %v; want %v %+v %q %d %s", i, e.Kind, e.Span, e.Name, len(e.Stack), e.Tags, w.kind, w.span, w.name, w.depth, w.tags)
		}
		if !e.Time.Equal(w.time) || !e.Start.Equal(w.start) || e.Duration != w.dur || e.Result != w.result {
			t.Errorf("event %d: time %v start %v duration %v result %#v", i, e.Time, e.Start, e.Duration, e.Result)
		}
		if e.SpanKind != 0 || e.TraceID != vmspan.OTelTraceID(root) || e.Remote != nil || e.Err != nil {
			t.Errorf("event %d: kind %v trace %v remote %v err %v", i, e.SpanKind, e.TraceID, e.Remote, e.Err)
		}
	}
	wantArgs := []vmspan.Arg{
		{Name: "arg0", Value: int64(3)},
		{Name: "arg1", Value: int64(4)},
		{Name: "arg2", Value: vmspan.Object{Class: "Point", Fields: []vmspan.Arg{{Name: "x", Value: int64(1)}, {Name: "y", Value: 2.5}}}},
		{Name: "arg3", Value: vmspan.Enum{Name: "Color", Value: "Red"}},
	}
	for _, i := range []int{3, 4} { // the end repeats the start's arguments
		if got := fmt.Sprintf("%#v", events[i].Args); got != fmt.Sprintf("%#v", wantArgs) {
			t.Errorf("event %d args = %s", i, got)
		}
	}
}

func mustID(t *testing.T, s string) vmspan.SpanID {
	t.Helper()
	id, err := vmspan.ParseSpanID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRemoteTraceWithoutTraceID: in a file without trace ids, a tree
// under a remote parent takes the remote trace id.
func TestRemoteTraceWithoutTraceID(t *testing.T) {
	in := `{"call_id":"00000000-0000-7000-8000-000000000001","call_stack":["00000000-0000-7000-8000-000000000001"],"content":{"data":{"args":[],"function_display_name":"a","tags":{}},"type":"function_start"},"function_event_id":"00000000-0000-7000-8000-000000000002","timestamp_epoch_ms":1,"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
{"call_id":"00000000-0000-7000-8000-000000000003","call_stack":["00000000-0000-7000-8000-000000000001","00000000-0000-7000-8000-000000000003"],"content":{"data":{"args":[],"function_display_name":"b","tags":{}},"type":"function_start"},"function_event_id":"00000000-0000-7000-8000-000000000004","timestamp_epoch_ms":2}
`
	events := readAll(t, []byte(in))
	for _, e := range events {
		if e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
			t.Errorf("%s: trace %s, want the remote parent's", e.Name, e.TraceID)
		}
	}
	if events[0].Remote == nil || events[1].Remote != nil {
		t.Errorf("remote parents %v %v, want only the root's", events[0].Remote, events[1].Remote)
	}
}

func TestMalformedLines(t *testing.T) {
	good, err := os.ReadFile("testdata/reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(good)), "\n")
	start, end := lines[0], lines[6]
	bad := []string{
		start,      // 1
		`not json`, // 2
		strings.Replace(start, `"call_id":"3f2b8c1e`, `"call_id":"zz2b8c1e`, 1), // 3: bad id
		strings.Replace(start, `function_start`, `function_middle`, 1),          // 4
		"   ",         // 5: blank, skipped
		start + ` {}`, // 6: trailing data
		start[:len(start)-1] + `,"traceparent":"00-zz"}`, // 7
		strings.Replace(start, `"call_id":"3f2b8c1e-6d4a-4e2f-9b7c-1a2b3c4d5e6f"`, `"call_id":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f"`, 1), // 8
		`[1,2]`, // 9
		start[:len(start)-1] + `,"trace_id":"xyz"}`,                                                                 // 10
		strings.Replace(start, `1770875826273`, `1.5`, 1),                                                           // 11
		`{"content":{"type":"function_start","data":{}}}`,                                                           // 12: no ids
		`{"call_id":"3f2b8c1e-6d4a-4e2f-9b7c-1a2b3c4d5e6f","content":{"data":{"args":{}},"type":"function_start"}}`, // 13: args not an array
		end, // 14
	}
	var gotLines []int
	var names []string
	for e, err := range Read(strings.NewReader(strings.Join(bad, "\n"))) {
		var le *LineError
		switch {
		case errors.As(err, &le):
			gotLines = append(gotLines, le.Line)
			if !strings.HasPrefix(le.Error(), fmt.Sprintf("jsonl: line %d: ", le.Line)) || le.Unwrap() == nil {
				t.Errorf("LineError text %q", le.Error())
			}
		case err != nil:
			t.Fatalf("not a LineError: %v", err)
		default:
			names = append(names, e.Kind.String()+" "+e.Name)
		}
	}
	if got := fmt.Sprint(gotLines); got != "[2 3 4 6 7 8 9 10 11 12 13]" {
		t.Errorf("errors on lines %s", got)
	}
	if got := fmt.Sprint(names); got != "[start parent end parent]" {
		t.Errorf("events %s, want the good lines' events", got)
	}
}

func TestLongLines(t *testing.T) {
	big := strings.Repeat("x", 300<<10) // longer than the 64 KiB read buffer
	var buf bytes.Buffer
	w := NewWriter(&buf)
	tr := newTracer(w)
	_, s := tr.Start(t.Context(), "big", "payload", big)
	s.End(nil, nil)
	_, s = tr.Start(t.Context(), "small")
	s.End(nil, nil)
	w.Close()

	t.Run("Accepted", func(t *testing.T) {
		events := readAll(t, buf.Bytes())
		if len(events) != 4 || events[0].Args[0].Value != big {
			t.Errorf("%d events; the long argument did not survive", len(events))
		}
	})
	t.Run("TooLong", func(t *testing.T) {
		var lines []int
		var names []string
		for e, err := range read(bytes.NewReader(buf.Bytes()), 200<<10, true) {
			var le *LineError
			if errors.As(err, &le) && errors.Is(err, ErrLineTooLong) {
				lines = append(lines, le.Line)
			} else if err != nil {
				t.Fatal(err)
			} else {
				names = append(names, e.Name)
			}
		}
		if fmt.Sprint(lines) != "[1]" || fmt.Sprint(names) != "[big small small]" {
			t.Errorf("errors on %v, events %v", lines, names)
		}
	})
}

func TestReadStopsWhenAsked(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	workload(w)
	w.Close()
	n := 0
	for range Read(&buf) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("read %d events", n)
	}
	n = 0
	for range Read(strings.NewReader("x\ny\n")) {
		n++
		break
	}
	if n != 1 {
		t.Errorf("read %d errors after break", n)
	}
}

type failingReader struct{ data io.Reader }

var errIO = errors.New("device gone")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errIO
	}
	return n, err
}

func TestReadIOError(t *testing.T) {
	good, _ := os.ReadFile("testdata/reference.jsonl")
	var events int
	var errs []error
	for _, err := range Read(failingReader{bytes.NewReader(good[:len(good)/2])}) {
		if err != nil {
			errs = append(errs, err)
		} else {
			events++
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], errIO) || events == 0 {
		t.Errorf("%d events, errors %v; want some events, then the I/O error", events, errs)
	}
	for _, err := range ReadFile(filepath.Join(t.TempDir(), "missing.jsonl")) {
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ReadFile(missing) = %v", err)
		}
	}
}

// spanLines generates n spans (a start and an end line each) lazily.
type spanLines struct {
	n, i int
	buf  bytes.Buffer
	tr   *vmspan.Tracer
}

func (g *spanLines) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i < g.n {
		_, s := g.tr.Start(context.Background(), "span", "i", g.i, "payload", strings.Repeat("p", 200))
		s.End(g.i, nil)
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// TestStreamingMemory reads about 45 MB of generated trace and checks that
// the heap stays small: Read holds a line at a time, never the file.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 45 MB; skipped in -short mode")
	}
	g := &spanLines{n: 40_000}
	g.tr = newTracer(vmspan.SinkFunc(func(e *vmspan.Event) { g.buf.Write(AppendEvent(nil, e)) }))
	var peak uint64
	var ms runtime.MemStats
	n := 0
	for _, err := range Read(g) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n%10_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != 80_000 {
		t.Fatalf("read %d events, want 80000", n)
	}
	if peak > 16<<20 {
		t.Errorf("heap reached %d MiB while streaming", peak>>20)
	}
}

// TestErrorSummaryRoundTrip: an error's summary is written beside its
// message ("summary" when it differs, "content_free" when the message is
// its own summary) and read back; a file without either (written before
// summaries were) gives an unknown, empty summary.
func TestErrorSummaryRoundTrip(t *testing.T) {
	id := vmspan.SpanID{0x01, 0x02}
	for _, tt := range []struct {
		name string
		err  vmspan.ErrorInfo
		key  string
	}{
		{"summary", vmspan.ErrorInfo{Type: "LLMParseError", Message: `want int, got "VALUE"`, Summary: "want int, got a string"}, `"summary":"want int, got a string"`},
		{"content free", vmspan.ErrorInfo{Type: "LLMTimeoutError", Message: "timeout", Summary: "timeout", Code: "timeout"}, `"content_free":true`},
		{"unknown", vmspan.ErrorInfo{Type: "LLMParseError", Message: `want int, got "VALUE"`}, `"error":{"message":`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := vmspan.Event{Kind: vmspan.EventEnd, Span: vmspan.SpanContext{ID: id, Root: id}, Stack: []vmspan.SpanID{id}, Name: "F", Err: &tt.err}
			line := AppendEvent(nil, &e)
			if !bytes.Contains(line, []byte(tt.key)) {
				t.Errorf("line has no %s: %s", tt.key, line)
			}
			for got, err := range Read(bytes.NewReader(line)) {
				if err != nil {
					t.Fatal(err)
				}
				if *got.Err != tt.err {
					t.Errorf("read %+v, want %+v", *got.Err, tt.err)
				}
			}
		})
	}
}
