package llm

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// TestMarshalBody: request bodies encode to json.Marshal's bytes.
func TestMarshalBody(t *testing.T) {
	bodies := []map[string]any{
		{},
		{"model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": int64(256), "stream": true,
			"messages": []any{chatMessage{"system", "Be <brief> & \"exact\"\n\t\u2028\u2029\x01\x7f\xff é 😀"}, chatMessage{"user", []any{map[string]any{"type": "text", "text": "hi"}}}},
			"stream_options": map[string]any{"include_usage": true}, "stop": []any{"\n\n", nil}, "seed": 7, "none": nil,
			"floats": []any{0.0, -0.0, 1e-7, 1e21, 123456789.0, 1.5e-6, -2.5e300, 1e20, 3.0}},
		{"nested": map[string]any{"b": []any{}, "a": map[string]any{}, "c": []any(nil), "d": map[string]any(nil)}},
	}
	for _, body := range bodies {
		checkMarshalBody(t, body)
	}
	if got, err := marshalBody(map[string]any{"x": math.NaN()}); err == nil {
		t.Errorf("NaN encodes to %s, want json.Marshal's error", got)
	}
	if got, err := marshalBody(map[string]any{"x": struct{ A int }{1}}); err != nil || string(got) != `{"x":{"A":1}}` {
		t.Errorf("a struct encodes to %s, %v", got, err)
	}
}

func checkMarshalBody(t *testing.T, body map[string]any) {
	t.Helper()
	want, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := marshalBody(body)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("marshalBody =\n%s, %v\njson.Marshal =\n%s", got, err, want)
	}
}

// FuzzMarshalBody: strings and floats encode as json.Marshal encodes them.
func FuzzMarshalBody(f *testing.F) {
	f.Add("Be <brief> & \"exact\"\n\u2028\xff", 0.2)
	f.Add("", 1e21)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		checkMarshalBody(t, map[string]any{s: s, "f": x, "m": []any{chatMessage{s, s}}})
	})
}
