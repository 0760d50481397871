package spanjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"\n\r\t\b\f\x00\x1f", `"\n\r\t\b\f\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"é😀\u2028", "\"é😀\u2028\""},
		{"a\xffb", `"a\ufffdb"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"é\"\xffz\n😀", `"é\"\ufffdz\n😀"`},
		// Strings of a word and more: escapes at a word's first and last
		// byte, in the tail after the last whole word, and at the end.
		{`"abcdefg`, `"\"abcdefg"`},
		{`abcdefg"`, `"abcdefg\""`},
		{`abcdefgh"`, `"abcdefgh\""`},
		{`abcdefg"h\`, `"abcdefg\"h\\"`},
		{"0123456789abcdef\n", `"0123456789abcdef\n"`},
		{"a long line of plain text with no escapes in it", `"a long line of plain text with no escapes in it"`},
		// Every byte escaped, the longest output a word can have.
		{"\x01\x02\x03\x04\x05\x06\x07\x0b\x0e", `"\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u000b\u000e"`},
		{strings.Repeat(`"`, 10), `"` + strings.Repeat(`\"`, 10) + `"`},
		{`{"a":"b","c":[1,2]}`, `"{\"a\":\"b\",\"c\":[1,2]}"`},
		// Non-ASCII text: a character across a word's end and the tail,
		// U+2028 (left as it is), and invalid UTF-8 after valid words.
		{"é✓🙂", `"é✓🙂"`},
		{"abcdefg\u2028\u2029", "\"abcdefg\u2028\u2029\""},
		{"abcdefgh\x01é\xff\"ijklmnop", `"abcdefgh\u0001é\ufffd\"ijklmnop"`},
		{"abcdefghijklmnop\xe2\x82", `"abcdefghijklmnop\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := string(spanjson.AppendString(nil, tt.in))
			if got != tt.want {
				t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
			}
			var back string
			if err := json.Unmarshal([]byte(got), &back); err != nil || back != strings.ToValidUTF8(tt.in, "\ufffd") && utf8.ValidString(tt.in) {
				t.Errorf("decodes to %q, %v", back, err)
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {2, "2.0"}, {-3, "-3.0"}, {0.5, "0.5"}, {13.75, "13.75"},
		{1e20, "100000000000000000000.0"}, {1e21, "1e+21"}, {1e-7, "1e-7"}, {1.5e-10, "1.5e-10"},
		{1e300, "1e+300"}, {math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"},
	}
	for _, tt := range tests {
		if got := string(spanjson.AppendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// Non-integral values are formatted exactly as encoding/json does.
	for _, f := range []float64{0.1, 1.0 / 3, 123456.789, -2.5e-5, 6.02214076e23} {
		want, _ := json.Marshal(f)
		if got := spanjson.AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, encoding/json %s", f, got, want)
		}
	}
}

type point struct {
	X      int    `json:"x"`
	Secret string `json:"client_secret"`
}

// TestMapping checks every rule of the package documentation's mapping in
// the trace form, the prompt form and the redacting form.
func TestMapping(t *testing.T) {
	class := vmspan.Object{Class: "T", Fields: []vmspan.Arg{{Name: "z", Value: int64(1)}, {Name: "Name", Value: "n"}, {Name: "a", Value: 2.0}}}
	tests := []struct {
		name                  string
		v                     any
		trace, prompt, redact string // redact "" means: as trace
	}{
		{"Null", nil, "null", "null", ""},
		{"Bool", true, "true", "true", ""},
		{"Int", int64(-42), "-42", "-42", ""},
		{"GoInt", 7, "7", "7", ""},
		{"Float", 2.5, "2.5", "2.5", ""},
		{"FloatIntegral", 3.0, "3.0", "3.0", ""},
		{"FloatTiny", 1e-9, "1e-9", "1e-9", ""},
		{"NaN", math.NaN(), "null", "null", ""},
		{"Inf", math.Inf(-1), "null", "null", ""},
		{"String", "a\"b\\c\n\t\x01é✓<>&", `"a\"b\\c\n\t\u0001é✓<>&"`, `"a\"b\\c\n\t\u0001é✓<>&"`, ""},
		{"List", []any{int64(1), "x", nil, []any{}}, `[1,"x",null,[]]`, `[1, "x", null, []]`, ""},
		{"MapSorted", map[string]any{"z": int64(1), "a": map[string]any{}, "B": "x"}, `{"B":"x","a":{},"z":1}`, `{"B": "x", "a": {}, "z": 1}`, ""},
		{"MapSecret", map[string]any{"apiKey": "k", "max_tokens": int64(5)}, `{"apiKey":"k","max_tokens":5}`, `{"apiKey": "k", "max_tokens": 5}`,
			`{"apiKey":"[REDACTED]","max_tokens":5}`},
		{"Object", class, `{"Name":"n","__class":"T","a":2.0,"z":1}`, `{"z": 1, "Name": "n", "a": 2.0}`, ""},
		{"EmptyObject", vmspan.Object{Class: "Empty"}, `{"__class":"Empty"}`, `{}`, ""},
		{"ObjectSecret", vmspan.Object{Class: "P", Fields: []vmspan.Arg{{Name: "password", Value: "p"}}}, `{"__class":"P","password":"p"}`, `{"password": "p"}`,
			`{"__class":"P","password":"[REDACTED]"}`},
		{"Enum", vmspan.Enum{Name: "Color", Value: "Red"}, `{"__enum":"Color","value":"Red"}`, `"Red"`, ""},
		{"Nested", []any{vmspan.Enum{Name: "E", Value: "V"}, vmspan.Object{Class: "C"}}, `[{"__enum":"E","value":"V"},{"__class":"C"}]`, `["V", {}]`, ""},
		{"Media", map[string]any{"__media": "image", "url": "https://x/y.png"}, `{"__media":"image","url":"https://x/y.png"}`, `{"__media": "image", "url": "https://x/y.png"}`, ""},
		// Go values go through vmspan.Snapshot, which redacts secret names.
		{"GoStruct", point{X: 1, Secret: "s"}, `{"client_secret":"[REDACTED]","x":1}`, `{"client_secret": "[REDACTED]", "x": 1}`, ""},
		{"GoMapIntKeys", map[int]float64{2: 1, 10: 0.5}, `{"10":0.5,"2":1}`, `{"10": 0.5, "2": 1}`, ""},
		{"GoTime", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05Z"`, `"2026-01-02T03:04:05Z"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(spanjson.AppendValue(nil, tt.v)); got != tt.trace {
				t.Errorf("trace form:  %s\nwant         %s", got, tt.trace)
			}
			if got := string(spanjson.Encoder{Prompt: true}.AppendValue(nil, tt.v)); got != tt.prompt {
				t.Errorf("prompt form: %s\nwant         %s", got, tt.prompt)
			}
			want := tt.redact
			if want == "" {
				want = tt.trace
			}
			if got := string(spanjson.Encoder{Redact: true}.AppendValue(nil, tt.v)); got != want {
				t.Errorf("redacted:    %s\nwant         %s", got, want)
			}
			if !json.Valid([]byte(tt.trace)) {
				t.Errorf("%s is not JSON", tt.trace)
			}
		})
	}
	// A value JSON cannot encode becomes its fmt text, still JSON.
	if got := spanjson.AppendValue(nil, make(chan int)); !json.Valid(got) {
		t.Errorf("channel: %s is not JSON", got)
	}
}

func TestAppendArgs(t *testing.T) {
	args := []vmspan.Arg{{Name: "b", Value: int64(1)}, {Name: "a", Value: "x"}, {Name: "token", Value: "t"}, {Name: "c", Value: vmspan.Redacted}}
	if got, want := string(spanjson.Encoder{Redact: true}.AppendArgs(nil, args)), `{"b":1,"a":"x","token":"[REDACTED]","c":"[REDACTED]"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := string(spanjson.Encoder{Prompt: true}.AppendArgs([]byte("x="), args[:2])), `x={"b": 1, "a": "x"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestTruncate(t *testing.T) {
	big := make([]any, 100000)
	for i := range big {
		big[i] = "0123456789"
	}
	tests := []struct {
		name  string
		v     any
		limit int
	}{
		{"HugeList", big, 100},
		{"Runes", strings.Repeat("✓", 50), 31},
		{"LimitBelowMarker", "0123456789abcdefghijklmnopq", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("kept:")
			got := string(spanjson.Encoder{Limit: tt.limit}.AppendValue(prefix, tt.v))
			body, ok := strings.CutPrefix(got, "kept:")
			if !ok || len(body) > max(tt.limit, len(spanjson.TruncatedMarker)) || !strings.HasSuffix(body, spanjson.TruncatedMarker) || !utf8.ValidString(body) {
				t.Errorf("got %q (%d bytes), want kept: and at most %d bytes ending with the marker", got, len(body), tt.limit)
			}
		})
	}
	if got := string(spanjson.Encoder{Limit: 100}.AppendValue(nil, "short")); got != `"short"` {
		t.Errorf("short value changed: %s", got)
	}
	if got := string(spanjson.Truncate([]byte("abc"), 0)); got != "abc" {
		t.Errorf("no limit: %s", got)
	}
}

// FuzzString checks that any string, as a value and as a map key, encodes
// to valid JSON that decodes to the same text.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x1f\x7f", "é✓🙂", "bad\xff\xfeutf8", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, enc := range []spanjson.Encoder{{}, {Redact: true}, {Prompt: true}} {
			got := enc.AppendValue(nil, map[string]any{s: []any{s}})
			var back map[string]any
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("%q encodes to %s: %v", s, got, err)
			}
			want := string([]rune(s)) // each invalid byte becomes U+FFFD
			var wantValue any = []any{want}
			if enc.Redact && vmspan.IsSecretKey(s) {
				wantValue = vmspan.Redacted
			}
			for k, v := range back {
				if k != want || !reflect.DeepEqual(v, wantValue) {
					t.Fatalf("%+v: %q round-trips to %q: %v", enc, s, k, v)
				}
			}
		}
	})
}

// FuzzAppendString checks the string encoder against a plain one
// (appendStringByRune) and encoding/json's decoder: the output is always a
// valid JSON string, and it decodes to the input when the input is valid
// UTF-8.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"\\", "\x00\x1f\n", "é😀", "a\xffb", "\xe2\x82",
		"application/json", "application/json\"", "Content-Type\x7f\x01", "32 bytes of plain text: abcdefgh", "32 bytes of plain text: abcdef\\", "33 bytes of plain text: abcdefghi"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := spanjson.AppendString(nil, s)
		if want := appendStringByRune(nil, s); !bytes.Equal(out, want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, out, want)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("AppendString(%q) decodes to %q", s, back)
		}
		if !utf8.ValidString(back) {
			t.Fatalf("AppendString(%q) decodes to invalid UTF-8", s)
		}
		if want := appendStringJSON(t, s); !bytes.Equal(out, want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, out, want)
		}
	})
}

// appendStringJSON encodes s as encoding/json does without HTML escaping,
// except that U+2028 and U+2029 are written as they are (encoding/json
// escapes them), as AppendString writes them. Cutting s at them changes
// nothing else: each starts with a leading byte, never inside another
// character.
func appendStringJSON(t *testing.T, s string) []byte {
	out := []byte{'"'}
	for {
		i := strings.IndexAny(s, "\u2028\u2029")
		if i < 0 {
			i = len(s)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s[:i]); err != nil {
			t.Fatal(err)
		}
		q := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		out = append(out, q[1:len(q)-1]...)
		if i == len(s) {
			return append(out, '"')
		}
		out = append(out, s[i:i+3]...)
		s = s[i+3:]
	}
}

// appendStringByRune is AppendString written plainly, one character at a
// time: the reference its word-at-a-time scanning must match byte for byte.
func appendStringByRune(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r < 0x20:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// TestAppendStringWords compares AppendString with appendStringByRune on
// strings that put each kind of byte at every position of the 8-byte words
// it scans, after valid and invalid non-ASCII text.
func TestAppendStringWords(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\x00", "\x1f", " ", "\x7f", "é", "😀", "\xff", "\xe2\x82", "\u2028"}
	for _, prefix := range []string{"", "é", "\xff", "ab\"cdefgh"} {
		for _, sp := range specials {
			for _, sp2 := range specials {
				for pos := range 17 {
					s := prefix + strings.Repeat("x", pos) + sp + "yz" + sp2 + strings.Repeat("w", 17-pos)
					if got, want := spanjson.AppendString(nil, s), appendStringByRune(nil, s); !bytes.Equal(got, want) {
						t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
					}
				}
			}
		}
	}
}

// TestAppendStringCapacity appends after a prefix, into buffers with every
// spare capacity around the output's length: the output must not depend on
// the room it is written in, and the prefix must stay.
func TestAppendStringCapacity(t *testing.T) {
	for _, s := range []string{
		strings.Repeat(`{"k":"v"}`, 20),
		strings.Repeat("\x01", 40),
		strings.Repeat("plain text ", 20),
		strings.Repeat("é\"", 30) + "\xff",
	} {
		want := appendStringByRune([]byte("prefix"), s)
		for spare := 0; spare <= len(want)+2*wordRoom; spare++ {
			b := append(make([]byte, 0, len("prefix")+spare), "prefix"...)
			if got := spanjson.AppendString(b, s); !bytes.Equal(got, want) {
				t.Fatalf("AppendString(%q) with %d spare bytes = %s, want %s", s, spare, got, want)
			}
		}
	}
}

// wordRoom is at least the spare room AppendString asks for before a
// word; TestAppendStringCapacity tries capacities around it.
const wordRoom = 72

// BenchmarkAppendString encodes a chat completion's JSON body, as an LLM
// span's end event records it: a quote every few bytes.
func BenchmarkAppendString(b *testing.B) {
	body := `{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"{\"title\": \"Checkout is down\", \"priority\": 1, \"category\": \"outage\"}","role":"assistant"}}],"created":1700000000,"id":"chatcmpl-bench","model":"gpt-4o-mini","object":"chat.completion","usage":{"completion_tokens":21,"prompt_tokens":92,"total_tokens":113}}`
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		buf = spanjson.AppendString(buf[:0], body)
	}
}

func BenchmarkAppendValue(b *testing.B) {
	v := vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: "Printer on fire"}, {Name: "priority", Value: int64(1)}, {Name: "score", Value: 0.5}}}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = spanjson.AppendValue(buf[:0], v)
	}
}

// BenchmarkAppendStringMap encodes the headers of a recorded request, as
// an LLM span's end event records them.
func BenchmarkAppendStringMap(b *testing.B) {
	h := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "Authorization": "[REDACTED]"}
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = spanjson.AppendStringMap(buf[:0], h)
	}
}

// TestAppendStringMap: maps of every size up to past the ones sorted on the
// stack encode as encoding/json encodes them (keys sorted, no HTML
// escaping), with keys and values that need escapes and ones that do not.
func TestAppendStringMap(t *testing.T) {
	words := []string{"Accept", "Content-Type", "a\"b", "x-\n", "application/json", "é", "", "Z", "traceparent",
		"a rather longer header value than thirty-two bytes", "Authorization", "k\\", "Date", "b"}
	for n := 0; n <= len(words); n++ {
		m := map[string]string{}
		for i, w := range words[:n] {
			m[w] = words[(i*5+3)%len(words)]
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
		if got := spanjson.AppendStringMap(nil, m); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("%d entries: %s, want %s", n, got, want.String())
		}
	}
	if got := spanjson.AppendStringMap(nil, nil); string(got) != "{}" {
		t.Errorf("nil: %s", got)
	}
}
