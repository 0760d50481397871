package fastjson

import (
	"encoding/json"
	"strings"
	"testing"
)

var docs = []string{
	`{"a": [1, -2.5e3, 0, true, false, null, "x\u00e9\ud83d\ude00\n", {}, []], "b": {"c": "\"\\/\b\f\r\t"}}`,
	` [ ] `, `"\ud800"`, `"\ud800\u0041"`, "\"a\xffb\"", `01`, `1.`, `-`, `1e`, `tru`, `nul`, `{"a" 1}`, `{"a":1,}`,
	`[1,]`, "\"\x01\"", `"\x"`, `"\u12"`, `{"a":1}}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), `"` + strings.Repeat("abcdefgh", 5) + `"`,
}

// TestSkip: Skip accepts exactly what encoding/json accepts.
func TestSkip(t *testing.T) {
	for _, d := range docs {
		checkSkip(t, []byte(d))
	}
}

func checkSkip(t *testing.T, b []byte) {
	t.Helper()
	var s Scanner
	s.Reset(b)
	if got, want := s.Skip() && s.End(), json.Valid(b); got != want {
		t.Errorf("Skip(%.80q) = %v, json.Valid %v", b, got, want)
	}
}

// TestStr: Str decodes a string as encoding/json does.
func TestStr(t *testing.T) {
	for _, d := range docs {
		checkStr(t, []byte(d))
	}
}

func checkStr(t *testing.T, b []byte) {
	t.Helper()
	var s Scanner
	s.Reset(b)
	got, ok := s.Str()
	ok = ok && s.End()
	var want string
	err := json.Unmarshal(b, &want)
	if ok != (err == nil) || ok && string(got) != want {
		t.Errorf("Str(%.80q) = %q, %v; encoding/json %q, %v", b, got, ok, want, err)
	}
}

func FuzzSkip(f *testing.F) {
	for _, d := range docs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSkip(t, b)
		if len(b) > 0 && b[0] == '"' {
			checkStr(t, b)
		}
	})
}
