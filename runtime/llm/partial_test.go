package llm

import (
	"encoding/json"
	"fmt"
	"github.com/bexrun/bex/runtime/types"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Types of the partial tests, after BAML's streaming guide.
var (
	pColor = types.EnumOf(&types.EnumDecl{Name: "Color", Values: []*types.EnumValue{{Name: "RED"}, {Name: "GREEN"}}})
	pItem  = types.ClassOf(&types.ClassDecl{Name: "Item", Fields: []*types.Field{
		{Name: "name", Type: types.StringType}, {Name: "qty", Type: types.IntType}, {Name: "price", Type: types.FloatType}, {Name: "tags", Type: types.ListOf(types.StringType)},
	}})
	pOrder = types.ClassOf(&types.ClassDecl{Name: "Order", Fields: []*types.Field{
		{Name: "id", Type: types.IntType}, {Name: "customer", Type: types.StringType}, {Name: "items", Type: types.ListOf(pItem)},
		{Name: "note", Type: types.OptionalOf(types.StringType)}, {Name: "color", Type: pColor}, {Name: "m", Type: types.MapOf(types.StringType, types.IntType)},
	}})
	attrItem = types.ClassOf(&types.ClassDecl{Name: "AItem", Fields: []*types.Field{
		{Name: "name", Type: types.StringType, Stream: types.Stream{NotNull: true}}, {Name: "qty", Type: types.IntType},
		{Name: "note", Type: types.StringType, Stream: types.Stream{Done: true}},
	}})
	doneClass = types.ClassOf(&types.ClassDecl{Name: "P", Fields: []*types.Field{{Name: "x", Type: types.IntType}, {Name: "y", Type: types.StringType}},
		Stream: types.Stream{Done: true}})
	boxSchema = types.ClassOf(&types.ClassDecl{Name: "Box", Fields: []*types.Field{
		{Name: "items", Type: types.ListOf(attrItem)},
		{Name: "label", Type: types.StringType, Stream: types.Stream{WithState: true}},
		{Name: "count", Type: types.IntType, Stream: types.Stream{WithState: true}},
		{Name: "ps", Type: types.ListOf(doneClass)},
	}})
	unionA = types.ClassOf(&types.ClassDecl{Name: "A", Fields: []*types.Field{{Name: "kind", Type: types.LiteralOf("a")}, {Name: "a", Type: types.StringType}}})
	unionB = types.ClassOf(&types.ClassDecl{Name: "B", Fields: []*types.Field{{Name: "kind", Type: types.LiteralOf("b")}, {Name: "b", Type: types.IntType}}})
)

// partialAt returns the partial value of reply read as s, as JSON (maps
// with sorted keys), or "-" when there is none.
func partialAt(s *types.Type, reply string) string {
	p := newPartials(s)
	v, ok := p.feed(reply)
	if !ok {
		return "-"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// The partial value of a reply cut at various places: fields are null
// until read (lists and maps empty), strings grow, numbers, booleans and
// enums appear only whole, list elements appear as soon as they open.
func TestPartialValues(t *testing.T) {
	for _, tc := range []struct {
		s           *types.Type
		reply, want string
	}{
		{pOrder, ``, `-`},
		{pOrder, `Sure, here it is`, `-`},
		{pOrder, `{`, `{"color":null,"customer":null,"id":null,"items":[],"m":{},"note":null}`},
		{pOrder, `{"id": 10`, `{"color":null,"customer":null,"id":null,"items":[],"m":{},"note":null}`},
		{pOrder, `{"id": 1042, "customer": "Ac`, `{"color":null,"customer":"Ac","id":1042,"items":[],"m":{},"note":null}`},
		{pOrder, `{"id": 1042, "customer": "A`, `{"color":null,"customer":"A","id":1042,"items":[],"m":{},"note":null}`},
		{pOrder, `{"id": 1042, "customer": "`, `{"color":null,"customer":null,"id":1042,"items":[],"m":{},"note":null}`}, // a quote alone may open """
		{pOrder, `{"customer": "Acme", "items": [{"name": "Wi`,
			`{"color":null,"customer":"Acme","id":null,"items":[{"name":"Wi","price":null,"qty":null,"tags":[]}],"m":{},"note":null}`},
		{pOrder, `{"items": [{"name": "W", "qty": 3, "price": 12.5, "tags": ["a", "b`,
			`{"color":null,"customer":null,"id":null,"items":[{"name":"W","price":12.5,"qty":3,"tags":["a","b"]}],"m":{},"note":null}`},
		{pOrder, `{"items": [{"name": "W", "qty": 3}, {`,
			`{"color":null,"customer":null,"id":null,"items":[{"name":"W","price":null,"qty":3,"tags":[]},{"name":null,"price":null,"qty":null,"tags":[]}],"m":{},"note":null}`},
		{pOrder, `{"color": "GRE`, `{"color":null,"customer":null,"id":null,"items":[],"m":{},"note":null}`},
		{pOrder, `{"color": "GREEN"`, `{"color":null,"customer":null,"id":null,"items":[],"m":{},"note":null}`}, // the quote may be inside the text
		{pOrder, `{"color": "GREEN",`, `{"color":"GREEN","customer":null,"id":null,"items":[],"m":{},"note":null}`},
		{pOrder, `{"m": {"k1": 10, "k2": 2`, `{"color":null,"customer":null,"id":null,"items":[],"m":{"k1":10},"note":null}`},
		{pOrder, "Here you go:\n```json\n{\"id\": 7, \"note\": \"x", `{"color":null,"customer":null,"id":7,"items":[],"m":{},"note":"x"}`},
		{pOrder, "The order is {\"id\": 7, ", `{"color":null,"customer":null,"id":7,"items":[],"m":{},"note":null}`},
		{types.ListOf(pItem), `[{"name": "a"}, {"na`, `[{"name":"a","price":null,"qty":null,"tags":[]},{"name":null,"price":null,"qty":null,"tags":[]}]`},
		{types.ListOf(types.IntType), `[1, 22, 33`, `[1,22]`},
		{types.ListOf(types.StringType), `["x", "y`, `["x","y"]`},
		{types.IntType, `12`, `-`},
		{pColor, `GREEN`, `-`},
		// @stream.not_null: the item waits for its name; @stream.done: the
		// note shows only whole; @@stream.done: the class shows only whole.
		{boxSchema, `{"items": [{"qty": 3, "note": "he`, `{"count":{"state":"Pending","value":null},"items":[],"label":{"state":"Pending","value":null},"ps":[]}`},
		{boxSchema, `{"items": [{"qty": 3, "name": "W`,
			`{"count":{"state":"Pending","value":null},"items":[{"name":"W","note":null,"qty":3}],"label":{"state":"Pending","value":null},"ps":[]}`},
		{boxSchema, `{"items": [{"name": "W", "note": "hello wor`,
			`{"count":{"state":"Pending","value":null},"items":[{"name":"W","note":null,"qty":null}],"label":{"state":"Pending","value":null},"ps":[]}`},
		{boxSchema, `{"items": [{"name": "W", "note": "hello world",`,
			`{"count":{"state":"Pending","value":null},"items":[{"name":"W","note":"hello world","qty":null}],"label":{"state":"Pending","value":null},"ps":[]}`},
		// @stream.with_state: Pending, Incomplete, Complete.
		{boxSchema, `{"label": "abc `, `{"count":{"state":"Pending","value":null},"items":[],"label":{"state":"Incomplete","value":"abc "},"ps":[]}`},
		{boxSchema, `{"label": "abc", "count": 12`, `{"count":{"state":"Incomplete","value":null},"items":[],"label":{"state":"Complete","value":"abc"},"ps":[]}`},
		{boxSchema, `{"label": "abc", "count": 12, `, `{"count":{"state":"Complete","value":12},"items":[],"label":{"state":"Complete","value":"abc"},"ps":[]}`},
		{boxSchema, `{"ps": [{"x": 1, "y": "two"}, {"x": 3, "y": "fo`,
			`{"count":{"state":"Pending","value":null},"items":[],"label":{"state":"Pending","value":null},"ps":[{"x":1,"y":"two"}]}`},
		// A union reads an open object as the class its keys name.
		{types.UnionOf(unionA, unionB), `{`, `{"a":null,"kind":null}`},
		{types.UnionOf(unionA, unionB), `{"kind": "b", "b": 7`, `{"b":null,"kind":"b"}`},
		{types.UnionOf(unionA, unionB), `{"kind": "b", "b": 7}`, `{"b":7,"kind":"b"}`},
		{types.OptionalOf(unionA), `{"kind": "a", "a": "z`, `{"a":"z","kind":"a"}`},
	} {
		if got := partialAt(tc.s, tc.reply); got != tc.want {
			t.Errorf("%s %q:\n got %s\nwant %s", tc.s, tc.reply, got, tc.want)
		}
	}
}

// structuredCases are the parse cases whose type has partial values.
func structuredCases() []parseCase {
	var out []parseCase
	for _, tc := range parseCases {
		if _, ok := newPartials(tc.typ).(*structPartials); ok {
			out = append(out, tc)
		}
	}
	return out
}

// feedChunks feeds reply to p in pieces of the sizes given (repeated),
// building after every piece, and returns the partial values returned.
func feedChunks(p partials, reply string, sizes []int) []any {
	var out []any
	for i, k := 0, 0; i < len(reply); k++ {
		n := min(max(sizes[k%len(sizes)], 1), len(reply)-i)
		if v, ok := p.feed(reply[i : i+n]); ok {
			out = append(out, v)
		}
		i += n
	}
	return out
}

// The partial value does not depend on how the reply was cut into
// chunks: after every piece it is the value of the text so far read at
// once.
func TestPartialsChunkIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range structuredCases() {
		for trial := range 4 {
			sizes := []int{1}
			if trial > 0 {
				sizes = []int{1 + rng.IntN(7), 1 + rng.IntN(3), 1 + rng.IntN(12)}
			}
			inc := newPartials(tc.typ).(*structPartials)
			for i, k := 0, 0; i < len(tc.reply); k++ {
				n := min(sizes[k%len(sizes)], len(tc.reply)-i)
				inc.feed(tc.reply[i : i+n])
				i += n
				got, gok, _ := inc.build()
				whole := newPartials(tc.typ).(*structPartials)
				whole.feed(tc.reply[:i])
				want, wok, _ := whole.build()
				if gok != wok || !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, sizes %v, after %q:\n in pieces %v %#v\n at once   %v %#v", tc.name, sizes, tc.reply[:i], gok, got, wok, want)
				}
			}
		}
	}
}

// Partial values never shrink: strings grow, lists and objects keep what
// they showed, a value read whole never changes.
func TestPartialsGrow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := structuredCases()
	cases = append(cases, parseCase{name: "order", typ: pOrder, reply: `{"id": 1042, "customer": "Acme Corp", "items": [{"name": "Widget", "qty": 3, "price": 12.5, "tags": ["a", "bb"]}, {"name": "Gadget", "qty": 10, "price": 1.25, "tags": []}], "note": "rush", "color": "RED", "m": {"a": 1}}`},
		parseCase{name: "box", typ: boxSchema, reply: `{"items": [{"qty": 3, "name": "Widget", "note": "hello world"}], "label": "abc def", "count": 12, "ps": [{"x": 1, "y": "n"}]}`})
	for _, tc := range cases {
		for trial := range 3 {
			sizes := []int{1 + rng.IntN(5), 1 + rng.IntN(9)}
			partials := feedChunks(newPartials(tc.typ), tc.reply, sizes)
			for i := 1; i < len(partials); i++ {
				if err := grows(partials[i-1], partials[i], ""); err != nil {
					t.Fatalf("%s (trial %d): partial %d does not grow partial %d: %v\n%#v\n%#v", tc.name, trial, i, i-1, err, partials[i-1], partials[i])
				}
				if reflect.DeepEqual(partials[i-1], partials[i]) {
					t.Fatalf("%s: partial %d repeats partial %d: %#v", tc.name, i, i-1, partials[i])
				}
			}
		}
	}
}

// grows reports how b fails to extend a (nil when it does): null may
// become anything, a string may grow, a list may gain elements and its
// elements grow, an object's fields grow (a union's object may change
// class: a field it loses was null), a with_state value's state moves on.
func grows(a, b any, path string) error {
	switch x := a.(type) {
	case nil:
		return nil
	case string:
		if y, ok := b.(string); !ok || !strings.HasPrefix(y, x) {
			return fmt.Errorf("%s: %q became %#v", path, x, b)
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(y) < len(x) {
			return fmt.Errorf("%s: a list of %d became %#v", path, len(x), b)
		}
		for i := range x {
			if err := grows(x[i], y[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object became %#v", path, b)
		}
		if st, ok := x["state"].(string); ok && len(x) == 2 {
			order := map[string]int{statePending: 0, stateIncomplete: 1, stateComplete: 2}
			if yst, _ := y["state"].(string); order[yst] < order[st] {
				return fmt.Errorf("%s: state %s became %s", path, st, yst)
			}
			return grows(x["value"], y["value"], path+".value")
		}
		for k, v := range x {
			if err := grows(v, y[k], path+"."+k); err != nil {
				return err
			}
		}
	default:
		if !reflect.DeepEqual(a, b) {
			return fmt.Errorf("%s: %#v became %#v", path, a, b)
		}
	}
	return nil
}

// A long list is rebuilt after a chunk only once the reply grew by half a
// byte per element the last partial copied; the partial values still end
// with the whole list.
func TestPartialsLongListAmortized(t *testing.T) {
	ticket := types.ClassOf(&types.ClassDecl{Name: "Ticket", Fields: []*types.Field{{Name: "title", Type: types.StringType}, {Name: "priority", Type: types.IntType}}})
	p := newPartials(types.ListOf(ticket))
	partials := feedChunks(p, streamReply, []int{10})
	chunks := (len(streamReply) + 9) / 10
	last, _, _ := p.(*structPartials).build()
	n := len(last.([]any))
	if len(partials) >= chunks || len(partials) < n/4 || len(partials[len(partials)-1].([]any)) < n-10 {
		t.Errorf("%d partials for %d chunks and %d elements", len(partials), chunks, n)
	}
}

// FuzzPartials feeds arbitrary replies in arbitrary pieces to the partial
// reader of several types: it must not panic, its value after every piece
// must be the value of the text so far read at once, and its partial
// values must grow.
func FuzzPartials(f *testing.F) {
	for _, tc := range structuredCases() {
		f.Add(tc.reply, uint8(3), uint8(0))
	}
	f.Add(`{"items": [{"qty": 3, "name": "Widget", "note": "hello world"}], "label": "abc def", "count": 12, "ps": [{"x": 1}]}`, uint8(1), uint8(4))
	f.Add("```json\n{\"customer\": 'Acme', items: [{name: \"a\"}]}\n```", uint8(2), uint8(1))
	types := []*types.Type{pOrder, boxSchema, types.ListOf(pItem), types.ListOf(types.IntType), types.UnionOf(unionA, unionB), types.MapOf(types.StringType, types.ListOf(types.StringType)), types.OptionalOf(pOrder)}
	f.Fuzz(func(t *testing.T, reply string, size, which uint8) {
		if len(reply) > 1024 { // the check reads every prefix again: quadratic
			return
		}
		typ := types[int(which)%len(types)]
		n := int(size%16) + 1
		inc := newPartials(typ).(*structPartials)
		var last any
		for i := 0; i < len(reply); i += n {
			v, ok := inc.feed(reply[i:min(i+n, len(reply))])
			if ok {
				if last != nil {
					if err := grows(last, v, ""); err != nil {
						t.Fatalf("%q after %d bytes: %v", reply, i, err)
					}
				}
				last = v
			}
			got, gok, _ := inc.build()
			whole := newPartials(typ).(*structPartials)
			whole.feed(reply[:min(i+n, len(reply))])
			want, wok, _ := whole.build()
			if gok != wok || !reflect.DeepEqual(got, want) {
				t.Fatalf("%q after %d bytes: in pieces %#v, at once %#v", reply, min(i+n, len(reply)), got, want)
			}
		}
	})
}
