package otelbridge

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
)

func encode(v any, limit int) string {
	e := newEncoder(limit)
	e.value(v)
	return e.done()
}

func TestValueJSON(t *testing.T) {
	type point struct {
		X      int    `json:"x"`
		Secret string `json:"client_secret"`
	}
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"Null", nil, "null"},
		{"Bool", true, "true"},
		{"Int", int64(-42), "-42"},
		{"GoInt", 7, "7"},
		{"Float", 2.5, "2.5"},
		{"FloatIntegral", 3.0, "3"},
		{"FloatTiny", 1e-9, "1e-09"},
		{"FloatHuge", 1e300, "1e+300"},
		{"NaN", math.NaN(), `"NaN"`},
		{"Inf", math.Inf(-1), `"-Inf"`},
		{"String", "a\"b\\c\n\t\x01é✓<>&", `"a\"b\\c\n\t\u0001é✓<>&"`},
		{"InvalidUTF8", "a\xffb", `"a\ufffdb"`},
		{"List", []any{int64(1), "x", nil, []any{}}, `[1,"x",null,[]]`},
		{"MapSorted", map[string]any{"z": int64(1), "a": map[string]any{}, "m": "x"}, `{"a":{},"m":"x","z":1}`},
		{"MapSecret", map[string]any{"apiKey": "k", "x-api-key": "k", "max_tokens": int64(5)}, `{"apiKey":"[REDACTED]","max_tokens":5,"x-api-key":"[REDACTED]"}`},
		{"Object", vmspan.Object{Class: "P", Fields: []vmspan.Arg{{Name: "b", Value: int64(1)}, {Name: "a", Value: "x"}, {Name: "password", Value: "p"}}},
			`{"__class":"P","a":"x","b":1,"password":"[REDACTED]"}`},
		{"Enum", vmspan.Enum{Name: "Color", Value: "Red"}, `{"__enum":"Color","value":"Red"}`},
		{"NestedInList", []any{vmspan.Enum{Name: "E", Value: "V"}, vmspan.Object{Class: "C"}}, `[{"__enum":"E","value":"V"},{"__class":"C"}]`},
		{"GoStruct", point{X: 1, Secret: "s"}, `{"client_secret":"[REDACTED]","x":1}`},
		{"GoTime", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05Z"`},
		{"Unencodable", make(chan int), ""}, // fmt text, checked below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(tt.v, 0)
			if tt.want == "" {
				if !json.Valid([]byte(got)) {
					t.Errorf("got %s, not JSON", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestArgsJSON(t *testing.T) {
	e := newEncoder(0)
	e.args([]vmspan.Arg{{Name: "b", Value: int64(1)}, {Name: "a", Value: "x"}, {Name: "token", Value: "t"}, {Name: "c", Value: vmspan.Redacted}})
	if got, want := e.done(), `{"b":1,"a":"x","token":"[REDACTED]","c":"[REDACTED]"}`; got != want {
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
			got := encode(tt.v, tt.limit)
			if len(got) > max(tt.limit, len(TruncatedMarker)) || !strings.HasSuffix(got, TruncatedMarker) || !utf8.ValidString(got) {
				t.Errorf("got %q (%d bytes), want at most %d bytes ending with the marker", got, len(got), tt.limit)
			}
		})
	}
	if got := encode("short", 100); got != `"short"` {
		t.Errorf("short value changed: %s", got)
	}
	if got := truncateString("abc", 0); got != "abc" {
		t.Errorf("no limit: %s", got)
	}
}

// FuzzValueJSON checks that any string, as a value and as a map key,
// encodes to valid JSON that decodes to the same text.
func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x1f\x7f", "é✓🙂", "bad\xff\xfeutf8", "\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := encode(map[string]any{s: []any{s}}, 0)
		var back map[string]any
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("%q encodes to %s: %v", s, got, err)
		}
		want := string([]rune(s)) // each invalid byte becomes U+FFFD
		var wantValue any = []any{want}
		if vmspan.IsSecretKey(s) {
			wantValue = vmspan.Redacted
		}
		for k, v := range back {
			if k != want || !reflect.DeepEqual(v, wantValue) {
				t.Fatalf("%q round-trips to %q: %v", s, k, v)
			}
		}
	})
}
