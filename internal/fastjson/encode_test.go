package fastjson

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

var plainValues = []any{
	nil, "", "Be <brief> & \"exact\"\n\t\u2028\u2029\x01\x7f\xff é 😀\b\f\r", true, false, 0, int64(-7), 1 << 62,
	0.0, math.Copysign(0, -1), 1e-7, 1e21, 123456789.0, 1.5e-6, -2.5e300, 1e20, 3.0, 0.1,
	[]any{}, []any(nil), map[string]any{}, map[string]any(nil),
	map[string]any{"b": []any{int64(1), "x", map[string]any{"z": nil, "a": 2.5}}, "a": true, "<k>": "v"},
}

// TestAppend: plain values encode to json.Marshal's bytes; others are
// refused.
func TestAppend(t *testing.T) {
	for _, v := range plainValues {
		checkAppend(t, v)
	}
	for _, v := range []any{math.NaN(), math.Inf(1), float32(1), struct{}{}, []string{"a"}, map[string]int{"a": 1}} {
		if _, ok := Append(nil, v, nil); ok {
			t.Errorf("Append(%#v) reports true, want false", v)
		}
	}
}

func checkAppend(t *testing.T, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := Append(nil, v, nil)
	if !ok || !bytes.Equal(got, want) {
		t.Errorf("Append(%#v) = %s, %v; json.Marshal %s", v, got, ok, want)
	}
}

// FuzzAppend: strings and floats encode as json.Marshal encodes them.
func FuzzAppend(f *testing.F) {
	f.Add("Be <brief> & \"exact\"\n\u2028\xff", 0.2, int64(3))
	f.Fuzz(func(t *testing.T, s string, x float64, n int64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		checkAppend(t, map[string]any{s: s, "f": x, "n": n, "l": []any{s, x, n}})
	})
}
