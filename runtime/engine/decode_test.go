package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

type decInner struct {
	Name  string   `json:"name"`
	Score float64  `json:"score"`
	Tags  []string `json:"tags"`
}

type decLabel string

type decAll struct {
	S     string               `json:"s"`
	I     int                  `json:"i"`
	I8    int8                 `json:"i8"`
	U8    uint8                `json:"u8"`
	U     uint                 `json:"u"`
	F32   float32              `json:"f32"`
	F64   float64              `json:"f64"`
	B     bool                 `json:"b"`
	P     *int                 `json:"p"`
	In    *decInner            `json:"in"`
	List  []decInner           `json:"list"`
	M     map[string]int       `json:"m"`
	MP    map[string]*decInner `json:"mp"`
	Any   any                  `json:"any"`
	Anys  []any                `json:"anys"`
	Label decLabel             `json:"label"`
	Skip  string               `json:"-"`
	NoTag int
	Dash  int `json:"-,"`
	hide  int
}

// decText decodes itself: the direct path leaves it to encoding/json.
type decText struct{ V string }

func (t *decText) UnmarshalText(b []byte) error { t.V = "text:" + string(b); return nil }

type decWithText struct {
	T decText `json:"t"`
}

type decEmbedded struct {
	decInner
	X int `json:"x"`
}

type decQuoted struct {
	N int `json:"n,string"`
}

type decFold struct {
	Name string `json:"name"`
	N    int
}

type decTwins struct {
	A int `json:"a"`
	B int `json:"A"`
}

type decOdd struct {
	A int `json:"a.b"`
}

// decCheck compares Decode[T] with the JSON round trip it stands for.
func decCheck[T any](t *testing.T, v any) {
	t.Helper()
	if _, ok := v.(T); ok {
		return // Decode returns v itself
	}
	var want T
	var werr error
	if b, err := json.Marshal(v); err != nil {
		werr = err
	} else {
		werr = json.Unmarshal(b, &want)
	}
	got, err := Decode[T](v)
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("Decode[%T](%#v): error %v, want %v", want, v, err, werr)
	}
	if !reflect.DeepEqual(got, want) && !(isNaN(got) && isNaN(want)) {
		t.Fatalf("Decode[%T](%#v) = %#v, want %#v", want, v, got, want)
	}
}

func isNaN(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) }

// decValue returns a random value of the kinds results are made of, with
// the edge cases of each, and keys close to decAll's field names.
func decValue(r *rand.Rand, depth int) any {
	keys := []string{"s", "i", "i8", "u8", "u", "f32", "f64", "b", "p", "in", "list", "m", "mp", "any", "anys",
		"label", "Skip", "NoTag", "notag", "-", "hide", "S", "name", "Name", "NAME", "score", "tags", "t", "x", "n", "a", "A", "a.b", "other", "ſ"}
	ints := []int64{0, 1, -1, 127, 128, 255, 256, -129, 1 << 24, 1<<24 + 1, -(1<<24 + 1), 1 << 31, 1<<53 + 1, math.MaxInt64, math.MinInt64}
	floats := []float64{0, math.Copysign(0, -1), 1.5, 2, -3, 0.1, 1e21, 1e20, 1e-7, 3.4e38, 1e39, 0.25, math.NaN(), math.Inf(1), 1 << 60}
	strs := []string{"", "a", "<&>\"\\", "\xff", "\u2028x", "héllo", "12", "true", "null"}
	n := r.IntN(10)
	if depth > 3 {
		n = r.IntN(5)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return ints[r.IntN(len(ints))]
	case 3:
		return floats[r.IntN(len(floats))]
	case 4:
		return strs[r.IntN(len(strs))]
	case 5, 6:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = decValue(r, depth+1)
		}
		if r.IntN(8) == 0 {
			return []any(nil)
		}
		return l
	default:
		m := map[string]any{}
		for range r.IntN(6) {
			m[keys[r.IntN(len(keys))]] = decValue(r, depth+1)
		}
		if r.IntN(8) == 0 {
			return map[string]any(nil)
		}
		return m
	}
}

// TestDecodeAsRoundTrip requires Decode to give what json.Unmarshal of
// json.Marshal gives, errors included, for random values and many target
// types: those the direct path takes and those it leaves to encoding/json.
func TestDecodeAsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		v := decValue(r, 0)
		decCheck[decAll](t, v)
		decCheck[*decAll](t, v)
		decCheck[decInner](t, v)
		decCheck[[]decInner](t, v)
		decCheck[map[string]decInner](t, v)
		decCheck[map[decLabel]any](t, v)
		decCheck[decWithText](t, v)
		decCheck[decEmbedded](t, v)
		decCheck[decQuoted](t, v)
		decCheck[decFold](t, v)
		decCheck[decTwins](t, v)
		decCheck[decOdd](t, v)
		decCheck[int](t, v)
		decCheck[uint16](t, v)
		decCheck[float32](t, v)
		decCheck[float64](t, v)
		decCheck[string](t, v)
		decCheck[[]byte](t, v)
		decCheck[[2]int](t, v)
		decCheck[[]int](t, v)
		decCheck[*string](t, v)
		decCheck[fmt.Stringer](t, v)
		decCheck[[]any](t, v)
	}
}

// TestDecodeDirect checks that plain results take the direct path (the
// round trip would give the same, so only this test can tell), and that
// what it leaves to encoding/json does not.
func TestDecodeDirect(t *testing.T) {
	direct := func(dst any, v any) bool {
		return setDirect(reflect.ValueOf(dst).Elem(), v)
	}
	ticket := map[string]any{"name": "x", "score": 1.5, "tags": []any{"a", "b"}, "unknown": int64(1)}
	all := map[string]any{"s": "x", "i": int64(-3), "u8": int64(255), "f32": 0.5, "f64": int64(3), "b": true,
		"p": int64(1), "in": ticket, "list": []any{ticket}, "m": map[string]any{"a": int64(1)},
		"mp": map[string]any{"k": ticket, "nil": nil}, "any": map[string]any{"n": int64(2)}, "anys": []any{int64(1), "x"},
		"label": "l", "NoTag": int64(4)}
	for _, c := range []struct {
		dst  any
		v    any
		want bool
	}{
		{new(decInner), ticket, true},
		{new(decAll), all, true},
		{new(*decAll), all, true},
		{new(decAll), map[string]any{"S": "x"}, false},           // case-insensitive match
		{new(decAll), map[string]any{"i8": int64(128)}, false},   // overflow
		{new(decAll), map[string]any{"i": 1.0}, false},           // a float for an int
		{new(decAll), map[string]any{"f32": 0.1}, false},         // rounds again in a float32
		{new(decAll), map[string]any{"s": "\xff"}, false},        // invalid UTF-8
		{new(decAll), map[string]any{"s": int64(1)}, false},      // mistyped
		{new(decWithText), map[string]any{"t": "x"}, false},      // decodes itself
		{new(decEmbedded), map[string]any{"x": int64(1)}, false}, // embedded field
		{new(decQuoted), map[string]any{"n": "1"}, false},        // ,string
		{new([]byte), "aGk=", false},                             // base64
		{new(decInner), map[string]any{"name": "x", "other": 1.5}, true},
	} {
		if got := direct(c.dst, c.v); got != c.want {
			t.Errorf("setDirect(%T, %v) = %v, want %v", c.dst, c.v, got, c.want)
		}
	}
}

// TestDecodeCycle: a cyclic value fails as json.Marshal fails on it,
// instead of recursing without end.
func TestDecodeCycle(t *testing.T) {
	m := map[string]any{}
	m["in"] = m
	_, err := Decode[decAll](m)
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("Decode of a cycle: %v, want json.Marshal's cycle error", err)
	}
}
