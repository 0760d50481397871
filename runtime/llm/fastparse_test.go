package llm

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/types"
)

// Return types of the fast path's tests, besides fuzzSchemas: the
// pipeline benchmark's Ticket; a class with an alias, an optional enum, a
// list, a float, a bool, a nested optional class and a literal; unions of
// classes; a field with a @check (declined).
var (
	pipeTicketSchema = types.ClassOf(types.NewClass("Ticket",
		&types.Field{Name: "title", Type: types.StringType},
		&types.Field{Name: "priority", Type: types.IntType},
		&types.Field{Name: "category", Type: types.StringType}))
	issueSchema = types.ClassOf(types.NewClass("Issue",
		&types.Field{Name: "summary", Alias: "title", Type: types.StringType},
		&types.Field{Name: "color", Type: types.OptionalOf(colorSchema)},
		&types.Field{Name: "labels", Type: types.ListOf(types.StringType)},
		&types.Field{Name: "score", Type: types.FloatType},
		&types.Field{Name: "urgent", Type: types.BoolType},
		&types.Field{Name: "owner", Type: types.OptionalOf(personSchema)},
		&types.Field{Name: "kind", Type: types.UnionOf(types.LiteralOf("bug"), types.LiteralOf("task"))}))
	checkedSchema = types.ClassOf(types.NewClass("Checked",
		&types.Field{Name: "n", Type: types.IntType, Checks: []*types.Constraint{{Kind: types.Check, Name: "small", Expr: "this < 5"}}}))
	personOrTicket = types.UnionOf(personSchema, ticketSchema)
)

// exactSchemas are the return types FuzzParseExact reads replies as.
var exactSchemas = append([]*types.Type{pipeTicketSchema, issueSchema, types.IntType, types.StringType, types.ListOf(pipeTicketSchema),
	checkedSchema, personOrTicket, types.OptionalOf(issueSchema), types.LiteralOf(int64(3)), types.ListOf(types.FloatType)}, fuzzSchemas...)

// exactReplies are replies that fit their type exactly: the fast path
// must take every one.
var exactReplies = []struct {
	reply string
	typ   *types.Type
}{
	{`{"title": "Checkout is down", "priority": 1, "category": "outage"}`, pipeTicketSchema},
	{"\n {\"category\":\"outage\",\"priority\":-3,\"title\":\"Checkout\"} \t\r\n", pipeTicketSchema},
	{`{"title": "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n", "priority": 0, "category": ""}`, pipeTicketSchema},
	{`{"title": "naïve", "priority": 9223372036854775807, "category": "x"}`, pipeTicketSchema},
	{`{"titl\u0065": "A", "priority": 1, "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "color": "RED", "labels": ["a", "b"], "score": 1.5, "urgent": true, "owner": {"name": "Ann", "age": 3, "email": null}, "kind": "bug"}`, issueSchema},
	{`{"title": "A", "color": null, "labels": [], "score": 2, "urgent": false, "owner": null, "kind": "task"}`, issueSchema},
	{`{"title": "A", "labels": [], "score": -1e3, "urgent": false, "kind": "task"}`, issueSchema},
	{`{"title": "A", "labels": [], "score": 0.5, "urgent": false, "owner": {"name": "Bo"}, "kind": "bug"}`, issueSchema},
	{`null`, types.OptionalOf(issueSchema)},
	{` 42 `, types.IntType},
	{`-0`, types.IntType},
	{`[]`, types.ListOf(pipeTicketSchema)},
	{`[{"title": "A", "priority": 1, "category": "x"}, {"title": "B", "priority": 2, "category": "y"}]`, types.ListOf(pipeTicketSchema)},
	{`{"name": "Ann", "age": 1, "email": null}`, personOrTicket},
	{`{"title": "\ud800", "priority": 1, "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "priority": 2}`, personOrTicket},
	{`3`, types.LiteralOf(int64(3))},
	{`[1, 2.5, -3e-2]`, types.ListOf(types.FloatType)},
	{`{"item_name": "pen", "qty": 2}`, itemSchema},
	{`{"label": "a", "next": {"label": "b", "next": null}}`, nodeSchema},
	{`{"a": 1, "b": 2, "a": 3}`, types.MapOf(types.StringType, types.IntType)},
	{`{"Red": 1, "azure": 2}`, byColorSchema},
	{`[1, "a", {"b": [2]}]`, jsonSchema},
	{`{"title": "T"}`, docSchema},
	{`{"id": 1, "items": [{"item_name": "pen", "qty": 1}], "category": "junk", "tags": {"k": "v"}}`, orderSchema},
	{`"yes"`, types.UnionOf(types.LiteralOf("yes"), types.LiteralOf("no"))},
	{`7`, types.UnionOf(types.IntType, types.StringType)},
	{`true`, types.BoolType},
}

// nearMisses are replies that need the full parser; the fast path declines
// them (and were it to take one, FuzzParseExact's check would hold it to
// the full parser's result).
var nearMisses = []struct {
	reply string
	typ   *types.Type
}{
	{`{"title": "A", "priority": 1, "category": "x", "extra": 1}`, pipeTicketSchema},
	{`{"title": "A", "priority": 1}`, pipeTicketSchema},
	{`{"title": "A", "priority": 1, "category": "x", "title": "B"}`, pipeTicketSchema},
	{`{"title": "A", "priority": 1.0, "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "priority": "1", "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "priority": null, "category": "x"}`, pipeTicketSchema},
	{`{"Title": "A", "priority": 1, "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "priority": 9223372036854775808, "category": "x"}`, pipeTicketSchema},
	{`{"title": "A", "priority": 1, "category": "x"},`, pipeTicketSchema},
	{"```json\n{\"title\": \"A\", \"priority\": 1, \"category\": \"x\"}\n```", pipeTicketSchema},
	{`{"title": "A", "priority": 1, "category": "x"} thanks`, pipeTicketSchema},
	{`{"name": "Ann"}`, personOrTicket},
	{"{\"title\": \"\xff\", \"priority\": 1, \"category\": \"x\"}", pipeTicketSchema},
	{`{"title": "A", "color": "red", "labels": [], "score": 1, "urgent": true, "kind": "bug"}`, issueSchema},
	{`{"summary": "A", "labels": [], "score": 1, "urgent": true, "kind": "bug"}`, issueSchema},
	{`{"title": "A", "labels": "a", "score": 1, "urgent": true, "kind": "bug"}`, issueSchema},
	{`{"title": "A", "labels": [], "score": 1, "urgent": "true", "kind": "bug"}`, issueSchema},
	{`{"title": "A", "labels": [], "score": 1e999, "urgent": true, "kind": "bug"}`, issueSchema},
	{`{"title": "A", "labels": [], "score": 1, "urgent": true, "kind": "Bug"}`, issueSchema},
	{`{"n": 1}`, checkedSchema},
	{`{"name": "Ann", "title": "A", "priority": 1}`, personOrTicket},
	{`1.5`, types.IntType},
	{`"1"`, types.IntType},
	{`null`, types.IntType},
	{`"RED"`, colorSchema},
	{`{"a": 1}`, types.MapOf(types.StringType, types.AnyType)},
	{`{"Green": 1}`, byColorSchema},
	{`{"title": "T", "internal": 1}`, docSchema},
	{`[{"title": "A", "priority": 1, "category": "x"}, 3]`, types.ListOf(pipeTicketSchema)},
}

// checkExact runs the fast path on reply and, when it takes the reply,
// compares its result with the full parser's. It reports whether the fast
// path took it.
func checkExact(t *testing.T, reply string, s *types.Type) bool {
	t.Helper()
	tg := targetOf(s)
	got, ok := parseExact(reply, tg)
	if !ok {
		return false
	}
	want, err := parseFull(reply, tg, ParseOptions{})
	if err != nil {
		t.Fatalf("parseExact(%q, %s) = %#v, but the full parser fails: %v", reply, s, got.Value, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseExact(%q, %s) = %#v, the full parser gives %#v", reply, s, got, want)
	}
	if _, err := parseFull(reply, tg, ParseOptions{Strict: true}); err != nil {
		t.Fatalf("parseExact(%q, %s) took a reply strict parsing refuses: %v", reply, s, err)
	}
	return true
}

func TestParseExactAccepts(t *testing.T) {
	for _, tc := range exactReplies {
		if !checkExact(t, tc.reply, tc.typ) {
			t.Errorf("parseExact(%q, %s) declined an exact reply", tc.reply, tc.typ)
		}
	}
}

func TestParseExactDeclines(t *testing.T) {
	for _, tc := range nearMisses {
		if checkExact(t, tc.reply, tc.typ) {
			t.Errorf("parseExact(%q, %s) took a reply the full parser must read", tc.reply, tc.typ)
		}
	}
}

// TestParseExactCases runs the parser's table through the differential
// check, and counts the replies the fast path takes.
func TestParseExactCases(t *testing.T) {
	n := 0
	for _, tc := range parseCases {
		if tc.typ != nil && checkExact(t, tc.reply, tc.typ) {
			n++
		}
	}
	t.Logf("the fast path took %d of %d cases", n, len(parseCases))
	if n == 0 {
		t.Error("the fast path took none of the parser's cases")
	}
}

// TestParseOutputTakesFastPath checks that ParseOutput returns the fast
// path's result for an exact reply, also with strict parsing.
func TestParseOutputTakesFastPath(t *testing.T) {
	reply := exactReplies[0].reply
	want, ok := parseExact(reply, targetOf(pipeTicketSchema))
	if !ok {
		t.Fatal("parseExact declined the pipeline's reply")
	}
	for _, strict := range []bool{false, true} {
		got, err := ParseOutput(reply, pipeTicketSchema, ParseOptions{Strict: strict})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseOutput(strict %v) = %#v, %v; want %#v", strict, got, err, want)
		}
	}
}

// TestParseExactBounded: a union of recursive classes makes the fast path
// read a value again for each variant that does not fit, which multiplies
// with the nesting; its budget declines such a reply in time linear in its
// length (without it, this reply takes about 2^40 reads).
func TestParseExactBounded(t *testing.T) {
	a, b := &types.ClassDecl{Name: "A"}, &types.ClassDecl{Name: "B"}
	next := types.OptionalOf(types.UnionOf(types.ClassOf(a), types.ClassOf(b)))
	a.Fields = []*types.Field{{Name: "next", Type: next}}
	b.Fields = []*types.Field{{Name: "next", Type: next}, {Name: "y", Type: types.IntType}}
	const depth = 40
	reply := strings.Repeat(`{"next": `, depth) + "null" + strings.Repeat(`, "y": 1}`, depth)
	if _, ok := parseExact(reply, targetOf(types.ClassOf(b))); ok {
		t.Error("parseExact took a reply beyond its budget")
	}
	if !checkExact(t, strings.Repeat(`{"next": `, 3)+"null"+strings.Repeat(`, "y": 1}`, 3), types.ClassOf(b)) {
		t.Error("parseExact declined a shallow reply within its budget")
	}
}

// FuzzParseExact checks that whenever the fast path takes a reply, its
// result (value, notes, checks) is the full parser's.
func FuzzParseExact(f *testing.F) {
	schemas := slices.Clone(exactSchemas) // and the other types of the tables
	index := func(s *types.Type) uint8 {
		i := slices.Index(schemas, s)
		if i < 0 {
			i = len(schemas)
			schemas = append(schemas, s)
		}
		return uint8(i)
	}
	for _, tc := range exactReplies {
		f.Add(tc.reply, index(tc.typ))
	}
	for _, tc := range nearMisses {
		f.Add(tc.reply, index(tc.typ))
	}
	f.Fuzz(func(t *testing.T, reply string, which uint8) {
		checkExact(t, reply, schemas[int(which)%len(schemas)])
	})
}
