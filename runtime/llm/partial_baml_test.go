package llm

import (
	"encoding/json"
	"github.com/bexrun/bex/runtime/types"
	"reflect"
	"strings"
	"testing"
)

// partialReplies are streamed replies, with the types to read them as,
// for TestPartialsBAMLDifferential.
var partialReplies = []struct {
	typ   *types.Type
	reply string
}{
	{pOrder, `{"id": 1042, "customer": "Acme Corp", "items": [{"name": "Widget", "qty": 3, "price": 12.5, "tags": ["a", "bb"]}, {"name": "Gadget", "qty": 10, "price": 1.25, "tags": []}], "note": "rush", "color": "GREEN", "m": {"k1": 10, "k2": 20}}`},
	{pOrder, "Here it is:\n```json\n{\n  \"customer\": \"Globex\",\n  \"items\": [\n    {\"name\": \"Bolt\", \"qty\": 100, \"price\": 0.05, \"tags\": [\"steel\"]}\n  ],\n  \"color\": \"RED\"\n}\n```\nAnything else?"},
	{pOrder, `{customer: 'Initech', items: [{name: 'Stapler', qty: 1, price: 9.99, tags: ['red',],},], // done
 color: GREEN}`},
	{boxSchema, `{"items": [{"qty": 3, "name": "Widget", "note": "hello world"}, {"name": "x", "qty": 1, "note": "n"}], "label": "abc def", "count": 12, "ps": [{"x": 1, "y": "two"}, {"x": 3, "y": "four"}]}`},
	{types.ListOf(pItem), `[{"name": "a", "qty": 1, "price": 2, "tags": []}, {"name": "b", "qty": 22, "price": 3.5, "tags": ["x", "y"]}]`},
	{types.ListOf(types.IntType), `[1, 22, 333, 4444]`},
	{types.UnionOf(unionA, unionB), `{"kind": "b", "b": 7}`},
	{types.MapOf(types.StringType, types.ListOf(types.StringType)), `{"fruits": ["apple", "banana"], "veg": ["kale"]}`},
}

// TestPartialsBAMLDifferential compares the partial values of replies cut
// at every third byte with BAML's partial parse of the same text (the
// reference runtime's parseLlmResponse with partials allowed). Where bex
// has a partial value, it must be BAML's, but for the differences the
// package docs list: a value that the reply so far ends with is whole for
// bex only once the byte after it shows that it ended (BAML takes "GREEN"
// as a whole enum value and 3, as a whole number before that byte comes,
// and would show another value if the text went on inside them), so bex
// may be one byte behind; and BAML shows a string as soon as its opening
// quote arrives, bex once its first character does (a quote may open
// """).
func TestPartialsBAMLDifferential(t *testing.T) {
	node, dir := bamlOracle(t)
	var cases []parseCase
	var texts, next []string
	for _, r := range partialReplies {
		for i := 1; i <= len(r.reply); i += 3 {
			cases = append(cases, parseCase{typ: r.typ, reply: r.reply[:i]})
			texts = append(texts, r.reply[:i])
			next = append(next, r.reply[:min(i+1, len(r.reply))])
		}
	}
	source, fn := bamlProgram(cases)
	in := oracleInput(source, fn, cases)
	for i := range in.Cases {
		in.Cases[i].Partial = true
	}
	outs := runOracle(t, node, dir, in)
	if len(outs) != len(cases) {
		t.Fatalf("the oracle answered %d of %d", len(outs), len(cases))
	}
	compared, agree := 0, 0
	for i, tc := range cases {
		p := newPartials(tc.typ)
		v, ok := p.feed(tc.reply)
		if !ok || outs[i].Error != nil {
			continue
		}
		compared++
		bex, b := jsonValue(v)
		later, _ := newPartials(tc.typ).feed(next[i])
		behind, _ := jsonValue(later)
		if reflect.DeepEqual(bex, outs[i].OK) || reflect.DeepEqual(behind, outs[i].OK) || endsInQuote(texts[i]) {
			agree++
			continue
		}
		t.Errorf("%s %q:\n bex  %s\n BAML %s", tc.typ, texts[i], b, outs[i])
	}
	t.Logf("bex's partial values agree with BAML's on %d of %d cut replies", agree, compared)
	if compared < len(cases)/2 {
		t.Errorf("only %d of %d cut replies had a partial value", compared, len(cases))
	}
}

// endsInQuote reports whether text ends in a quote, which BAML may show as
// an empty string that bex shows once its first character comes.
func endsInQuote(text string) bool {
	t := strings.TrimRight(text, " ")
	return strings.HasSuffix(t, `"`) || strings.HasSuffix(t, `'`)
}

// jsonValue returns v as it reads back from JSON, and its JSON.
func jsonValue(v any) (any, []byte) {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out, b
}
