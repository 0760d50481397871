package jsonl

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// corpus returns trace lines as written: the workload (every kind of line
// and value), engine-like calls, and the files in testdata, among them the
// reference runtime's.
func corpus(t testing.TB) [][]byte {
	var buf bytes.Buffer
	workload(vmspan.SinkFunc(func(e *vmspan.Event) { buf.Write(AppendEvent(nil, e)) }))
	for _, e := range traceEvents(200) {
		buf.Write(AppendEvent(nil, &e))
	}
	// An LLM span whose attempt has parse notes.
	tr := newTracer(vmspan.SinkFunc(func(e *vmspan.Event) { buf.Write(AppendEvent(nil, e)) }))
	l := tr.StartSpan(context.Background(), "Classify", vmspan.StartConfig{Kind: vmspan.KindLLM})
	a := attempt(tr, "gpt-4o", nil)
	a.ParseNotes = []vmspan.ParseNote{{Kind: vmspan.ParseRounded, Path: "priority", Detail: "1.6 rounded to 2"}, {Kind: vmspan.ParseDropped, Detail: "x"}}
	l.AddAttempts(a)
	l.End("ok", nil)
	// A streamed LLM span with partial values, checks, dynamic types and
	// an error with a code.
	l = tr.StartSpan(context.Background(), "Stream", vmspan.StartConfig{Kind: vmspan.KindLLM})
	l.Partial(map[string]any{"customer": "Acme", "items": []any{}})
	l.Partial(nil)
	a = attempt(tr, "gpt-4o", typedErr{"timed out", "TimeoutError", "timeout"})
	a.Stream = &vmspan.StreamInfo{FirstChunk: 1234567, Chunks: 3, Events: []string{"a", "b"}}
	a.Checks = []vmspan.CheckResult{{Path: "items", Name: "nonempty", Expr: "this|length > 0", Passed: true}, {Name: "n", Expr: "false"}}
	a.DynamicTypes = []string{"Category"}
	l.AddAttempts(a)
	l.End(nil, typedErr{"timed out", "TimeoutError", "timeout"})
	for _, f := range []string{"testdata/reference.jsonl", "testdata/trace.golden.jsonl"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}
	return bytes.SplitAfter(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
}

// TestFastPathTakesWrittenLines: every line AppendEvent writes, and every
// line of the reference runtime's file, takes the fast decoder; otherwise
// the differential tests below would compare encoding/json with itself.
func TestFastPathTakesWrittenLines(t *testing.T) {
	var p fastDecoder
	for _, line := range corpus(t) {
		var d decoded
		if !p.decode(bytes.TrimSpace(line), &d) {
			t.Errorf("the fast decoder refuses %s", line)
		}
	}
}

// An outcome is what a reader yields for one line.
type outcome struct {
	e   vmspan.Event
	err string
}

func readOutcomes(data []byte, fast bool) []outcome {
	var out []outcome
	for e, err := range read(bytes.NewReader(data), MaxLineSize, fast) {
		o := outcome{e: normalize(e)}
		if err != nil {
			o.err = err.Error()
		}
		out = append(out, o)
	}
	return out
}

// agree fails t when the fast reader and encoding/json's read data
// differently: other events, other errors, or the same errors on other
// lines.
func agree(t testing.TB, data []byte) {
	t.Helper()
	fast, std := readOutcomes(data, true), readOutcomes(data, false)
	if len(fast) != len(std) {
		t.Fatalf("fast reader yields %d results, encoding/json %d, for\n%q", len(fast), len(std), excerpt(data))
	}
	for i := range fast {
		if fast[i].err != std[i].err {
			t.Fatalf("result %d: fast reader error %q, encoding/json %q, for\n%q", i, fast[i].err, std[i].err, excerpt(data))
		}
		if !reflect.DeepEqual(fast[i].e, std[i].e) {
			t.Fatalf("result %d differs for\n%q\nfast:          %#v\nencoding/json: %#v", i, excerpt(data), fast[i].e, std[i].e)
		}
	}
}

// excerpt cuts long test input for failure messages.
func excerpt(b []byte) []byte {
	if len(b) > 2000 {
		return append(b[:2000:2000], "..."...)
	}
	return b
}

// TestDecodersAgree reads the corpus, and lines changed in ways the fast
// decoder must either decode as encoding/json does or leave to it, with
// both decoders.
func TestDecodersAgree(t *testing.T) {
	lines := corpus(t)
	agree(t, bytes.Join(lines, nil))
	for name, change := range lineChanges {
		t.Run(name, func(t *testing.T) {
			var changed [][]byte
			same := true
			for _, l := range lines {
				c := change(strings.TrimSpace(string(l))) + "\n"
				same = same && c == strings.TrimSpace(string(l))+"\n"
				changed = append(changed, []byte(c))
			}
			if same {
				t.Fatal("the change changes no line of the corpus")
			}
			agree(t, bytes.Join(changed, nil))
		})
	}
}

// lineChanges are edits of a line: unusual but valid forms, and faults.
var lineChanges = map[string]func(string) string{
	"spaces": func(s string) string {
		return strings.NewReplacer(":", " : ", ",", " ,\t", "{", "{ ", "}", "\r}").Replace(s)
	},
	"key case": func(s string) string { return strings.Replace(s, `"call_id"`, `"Call_ID"`, 1) },
	"data key case": func(s string) string {
		return strings.Replace(s, `"function_display_name"`, `"Function_Display_Name"`, 1)
	},
	"settags lower": func(s string) string { return strings.Replace(s, `"SetTags"`, `"settags"`, 1) },
	"kelvin key":    func(s string) string { return strings.Replace(s, `"tags"`, "\"ta\u212ags\"", 1) },
	"duplicate key": func(s string) string {
		return strings.Replace(s, `{"call_id"`, `{"trace_id":"00000000000000000000000000000001","call_id"`, 1)
	},
	"duplicate data": func(s string) string {
		return strings.Replace(s, `"data":{`, `"data":{"function_display_name":"x",`, 1)
	},
	"unknown keys": func(s string) string { return strings.Replace(s, `"data":{`, `"data":{"zz":[1,{"a":null}],`, 1) + " " },
	"unknown top":  func(s string) string { return `{"extra":{"x":[true,false,null,-1.5e3]},` + s[1:] },
	"escaped name": func(s string) string {
		return strings.Replace(s, `"Item"`, `"It\u0065m\n\u00e9\ud83d\ude00\ud800x"`, -1)
	},
	"escaped key":    func(s string) string { return strings.Replace(s, `"call_stack"`, `"call\u005fstack"`, 1) },
	"non-ASCII":      func(s string) string { return strings.Replace(s, `"Item"`, `"Ítem 😀"`, -1) },
	"invalid UTF-8":  func(s string) string { return strings.Replace(s, `"Item"`, "\"It\xffem\xe2\x82\"", -1) },
	"control char":   func(s string) string { return strings.Replace(s, `"Item"`, "\"It\x01em\"", -1) },
	"bad escape":     func(s string) string { return strings.Replace(s, `"Item"`, `"It\qem"`, -1) },
	"null tags":      func(s string) string { return strings.Replace(s, `"tags":{}`, `"tags":null`, -1) },
	"null tag value": func(s string) string { return strings.Replace(s, `"tags":{`, `"tags":{"n":null,"i":7,`, -1) },
	"null args":      func(s string) string { return strings.Replace(s, `"args":[`, `"args":null,"x":[`, -1) },
	"null content":   func(s string) string { return strings.Replace(s, `"data":{`, `"data":null,"x":{`, -1) },
	"null usage":     func(s string) string { return strings.Replace(s, `"usage":{`, `"usage":null,"x":{`, -1) },
	"null string": func(s string) string {
		return strings.Replace(s, `"function_display_name":"`, `"function_display_name":null,"x":"`, -1)
	},
	"string number": func(s string) string {
		return strings.Replace(s, `"timestamp_epoch_ms":`, `"timestamp_epoch_ms":"1",  "x":`, 1)
	},
	"float time": func(s string) string {
		return strings.Replace(s, `"timestamp_unix_nano":`, `"timestamp_unix_nano":1.0,"x":`, 1)
	},
	"exp duration": func(s string) string { return strings.Replace(s, `"duration_ns":`, `"duration_ns":1e3,"x":`, 1) },
	"huge int": func(s string) string {
		return strings.Replace(s, `"duration_ns":`, `"duration_ns":99999999999999999999,"x":`, 1)
	},
	"min int": func(s string) string {
		return strings.Replace(s, `"duration_ns":`, `"duration_ns":-9223372036854775808,"x":`, 1)
	},
	"max int": func(s string) string {
		return strings.Replace(s, `"start_unix_nano":`, `"start_unix_nano":9223372036854775807,"x":`, 1)
	},
	"big numbers": func(s string) string {
		return strings.Replace(s, `"args":[`, `"args":[9223372036854775808,-0,1E400,0.1e-2,`, -1)
	},
	"bad numbers":   func(s string) string { return strings.Replace(s, `"args":[`, `"args":[01,`, -1) },
	"upper ids":     func(s string) string { return upperIDs(s) },
	"braced id":     func(s string) string { return strings.Replace(s, `"call_id":"`, `"call_id":"urn:uuid:`, 1) },
	"empty call_id": func(s string) string { return strings.Replace(s, `"call_id":"`, `"call_id":"","x":"`, 1) },
	"zero id in stack": func(s string) string {
		return strings.Replace(s, `"call_stack":[`, `"call_stack":["00000000-0000-0000-0000-000000000000",`, 1)
	},
	"empty trace_id": func(s string) string { return strings.Replace(s, `"trace_id":"`, `"trace_id":"","x":"`, 1) },
	"no trace_id":    func(s string) string { return strings.Replace(s, `"trace_id":"`, `"x":"`, 1) },
	"upper trace_id": func(s string) string {
		return strings.Replace(s, `"trace_id":"`, `"trace_id":"ABCDEF0123456789ABCDEF0123456789","x":"`, 1)
	},
	"no ns": func(s string) string {
		return strings.NewReplacer(`_unix_nano"`, `_x"`, `"duration_ns"`, `"x_ns"`).Replace(s)
	},
	"empty traceparent": func(s string) string { return strings.Replace(s, `"traceparent":"`, `"traceparent":"","x":"`, 1) },
	"enum and class": func(s string) string {
		return strings.Replace(s, `"args":[`, `"args":[{"value":"V","__enum":"E"},{"__enum":"E","value":1},{"z":1,"__class":"C","a":{"__class":5}},{"__class":"D","k":1,"k":2},`, -1)
	},
	"deep": func(s string) string {
		return strings.Replace(s, `"args":[`, `"args":[`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+`,`, 1)
	},
	"error object": func(s string) string {
		return strings.Replace(s, `"function_display_name"`, `"error":{"type":"T","message":"m","x":1},"function_display_name"`, -1)
	},
	"null partial": func(s string) string { return strings.Replace(s, `"Partial":`, `"Partial":null,"x":`, 1) },
	"duplicate partial": func(s string) string {
		return strings.Replace(s, `"Partial":`, `"Partial":{"a":[1,2.5]},"Partial":`, 1)
	},
	"partial and tags": func(s string) string {
		return strings.Replace(s, `"Partial":`, `"SetTags":{"a":"b"},"Partial":`, 1)
	},
	"null otel":  func(s string) string { return strings.Replace(s, `"otel":{`, `"otel":null,"x":{`, -1) },
	"empty otel": func(s string) string { return strings.Replace(s, `"otel":{`, `"otel":{},"x":{`, -1) },
	"zero otel span": func(s string) string {
		return strings.Replace(s, `"otel":{`, `"otel":{"span_id":"0000000000000000","trace_id":"0000000000000000000000000000000f"},"x":{`, -1)
	},
	"short otel parent": func(s string) string {
		return strings.Replace(s, `"parent_span_id":"`, `"parent_span_id":"0","x":"`, -1)
	},
	"null sampled":      func(s string) string { return strings.Replace(s, `"sampled":`, `"sampled":null,"x":`, -1) },
	"bad tracestate":    func(s string) string { return strings.Replace(s, `"tracestate":"`, `"tracestate":"=,=","x":"`, -1) },
	"empty tracestate":  func(s string) string { return strings.Replace(s, `"tracestate":"`, `"tracestate":"","x":"`, -1) },
	"null stream":       func(s string) string { return strings.Replace(s, `"stream":{`, `"stream":null,"x":{`, -1) },
	"empty events":      func(s string) string { return strings.Replace(s, `"events":[`, `"events":[],"x":[`, -1) },
	"null event":        func(s string) string { return strings.Replace(s, `"events":[`, `"events":[null,`, -1) },
	"float chunks":      func(s string) string { return strings.Replace(s, `"chunks":`, `"chunks":1.5,"x":`, -1) },
	"empty checks":      func(s string) string { return strings.Replace(s, `"checks":[`, `"checks":[],"x":[`, -1) },
	"null checks":       func(s string) string { return strings.Replace(s, `"checks":[`, `"checks":null,"x":[`, -1) },
	"null check status": func(s string) string { return strings.Replace(s, `"status":"`, `"status":null,"x":"`, -1) },
	"no dynamic types": func(s string) string {
		return strings.Replace(s, `"dynamic_types":[`, `"dynamic_types":[],"x":[`, -1)
	},
	"null content_free": func(s string) string {
		return strings.Replace(s, `"content_free":true`, `"content_free":null,"x":true`, -1)
	},
	"content_free false": func(s string) string {
		return strings.Replace(s, `"content_free":true`, `"content_free":false`, -1)
	},
	"summary and content_free": func(s string) string {
		return strings.Replace(s, `"content_free":true,`, `"content_free":true,"summary":"s",`, -1)
	},
	"null error code": func(s string) string { return strings.Replace(s, `{"code":`, `{"code":null,"x":`, -1) },
	"null reasoning": func(s string) string {
		return strings.Replace(s, `"reasoning_tokens":`, `"reasoning_tokens":null,"x":`, -1)
	},
	"trailing data": func(s string) string { return s + ` {}` },
	"not an object": func(s string) string { return "[" + s + "]" },
	"truncated":     func(s string) string { return s[:len(s)/2] },
}

// upperIDs writes the hex digits of every span id in upper case.
func upperIDs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+37 < len(s) && s[i] == '"' && s[i+37] == '"' && s[i+9] == '-' {
			b.WriteString(strings.ToUpper(s[i : i+38]))
			i += 37
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestDecodersAgreeOnDamage damages the corpus's lines at random places,
// deterministically: deleted, doubled and replaced bytes, and every line
// cut short.
func TestDecodersAgreeOnDamage(t *testing.T) {
	lines := corpus(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`{}[]":,\ 0123456789.-eEnultrfa` + "\x00\xff\u00e9")
	var data []byte
	for n := range 20_000 {
		l := bytes.TrimSpace(lines[n%len(lines)])
		i := rng.IntN(len(l))
		var d []byte
		switch n % 4 {
		case 0:
			d = append(append(d, l[:i]...), l[i+1:]...)
		case 1:
			d = append(append(d, l[:i+1]...), l[i:]...)
		case 2:
			d = append(append(append(d, l[:i]...), alphabet[rng.IntN(len(alphabet))]), l[i+1:]...)
		case 3:
			d = append(d, l[:i]...)
		}
		data = append(append(data, d...), '\n')
		if len(data) > 1<<20 {
			agree(t, data)
			data = data[:0]
		}
	}
	agree(t, data)
}

// FuzzReadersAgree: on any input the fast reader yields what the reader
// that uses encoding/json alone yields: the same events, the same errors
// on the same lines.
func FuzzReadersAgree(f *testing.F) {
	for _, l := range corpus(f) {
		f.Add(l)
	}
	for _, change := range lineChanges {
		f.Add([]byte(change(strings.TrimSpace(string(corpus(f)[3])))))
	}
	f.Fuzz(func(t *testing.T, data []byte) { agree(t, data) })
}

func BenchmarkDecodeLine(b *testing.B) {
	evs := traceEvents(100)
	var lines [][]byte
	size := 0
	for i := range evs {
		l := bytes.TrimSpace(AppendEvent(nil, &evs[i]))
		lines = append(lines, l)
		size += len(l)
	}
	for _, fast := range []bool{true, false} {
		b.Run(fmt.Sprintf("fast=%v", fast), func(b *testing.B) {
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			st := newState()
			st.stdOnly = !fast
			i := 0
			for b.Loop() {
				if _, err := st.decode(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestFastKeysCoverLineStructs: every key that the encoding/json decoder
// reads is one that the fast decoder knows (and decodes, or leaves the line
// to encoding/json for); a key it skipped would lose what encoding/json
// keeps. When the line format gains a field, this fails until the fast
// decoder learns it.
func TestFastKeysCoverLineStructs(t *testing.T) {
	for _, tc := range []struct {
		v    any
		keys []string
	}{
		{line{}, lineKeys.Names()}, {lineContent{}, contentKeys.Names()}, {lineData{}, dataKeys.Names()},
		{lineError{}, errorKeys.Names()}, {lineAttempt{}, attemptKeys.Names()}, {lineUsage{}, usageKeys.Names()},
		{vmspan.HTTPRecord{}, httpKeys.Names()}, {vmspan.Message{}, messageKeys.Names()}, {vmspan.ParseNote{}, noteKeys.Names()},
		{lineOTel{}, otelKeys.Names()}, {lineStream{}, streamKeys.Names()}, {lineCheck{}, checkKeys.Names()},
	} {
		rt := reflect.TypeOf(tc.v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name == "" {
				name = rt.Field(i).Name
			}
			if !slices.Contains(tc.keys, name) {
				t.Errorf("%s: the fast decoder does not know key %q", rt, name)
			}
		}
	}
}
