package llm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// constraintSource declares the classes and functions of the constraint
// tests; the functions' return types are what the cases parse to. It is
// BAML source: TestConstraintsBAMLDifferential runs it in BAML too.
const constraintSource = `
class Ticket {
  title string @check(short, {{ this|length < 10 }})
  priority int @assert(small, {{ this < 5 }})
}
class Opt {
  a int
  x int? @assert(small, {{ this < 5 }})
}
class Tags {
  a int
  tags string[] @assert(nonempty, {{ this|length > 0 }})
}
class CheckedTags {
  a int
  tags string[] @check(nonempty, {{ this|length > 0 }})
}
class Counts {
  m map<string, (int @assert(pos, {{ this > 0 }}))>
}
class Pos {
  a int
  @@assert(positive, {{ this.a > 0 }})
}
class Holder {
  k Pos?
  ks Pos[]
}
class Person {
  name string
  age int @check(adult, {{ this >= 18 }}) @check(sane, {{ this < 150 }})
  @@check(named, {{ this.name|length > 0 }})
}
class Receipt {
  items Item[]
  total int
  @@check(sums, {{ this.items|map(attribute="price")|sum == this.total }})
}
class Item {
  price int
}
class Tagged {
  tags (string @assert(lower, {{ this == this|lower }}) @check(short, {{ this|length < 5 }}))[]
}
class Either {
  u (int @assert(pos, {{ this > 0 }}) | string)
}
class Email {
  address string @assert(at, {{ this|regex_match("@") }})
}
function GetTicket(x: string) -> Ticket {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetOpt(x: string) -> Opt {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetTags(x: string) -> Tags {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetCheckedTags(x: string) -> CheckedTags {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetCounts(x: string) -> Counts {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetHolder(x: string) -> Holder {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetPerson(x: string) -> Person {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetReceipt(x: string) -> Receipt {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetEmails(x: string) -> Email[] {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetTagged(x: string) -> Tagged {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function GetEither(x: string) -> Either {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function NextInt(x: string) -> int @assert(ok_int8, {{ this >= -128 and this < 127 }}) @check(big, {{ this > 100 }}) {
  client Oracle
  prompt #"{{ x }} {{ ctx.output_format }}"#
}
function Shout(x: string) -> string @check(loud, {{ this == this|upper }}) {
  client Oracle
  prompt #"{{ x }}"#
}
`

// constraintFuncs compiles constraintSource and returns the functions'
// signatures by name.
func constraintFuncs(t testing.TB) map[string]*types.Signature {
	t.Helper()
	f, err := syntax.Parse("constraints.baml", []byte(constraintSource))
	if err != nil {
		t.Fatal(err)
	}
	prog, errs := compile.Compile([]*syntax.File{f}, nil)
	if len(errs) > 0 && prog == nil {
		t.Fatal(errs)
	}
	out := map[string]*types.Signature{}
	for _, fn := range prog.Funcs {
		out[fn.Name] = fn.Sig
	}
	return out
}

// A constraintCase is a reply, the function whose return type it parses
// to, and the outcome in BAML's shape: the value with each checked value
// as {"value": v, "checks": {name: {name, expression, status}}}, or an
// error. baml is what BAML gives where bex deliberately differs.
type constraintCase struct {
	name, fn, reply string
	want            string // JSON, in BAML's Checked shape
	err             string // a substring of bex's error
	assertPath      string // the failing assert's path, for err cases
	notes           []string
	baml, why       string // what BAML gives instead (JSON), and why bex differs
}

var constraintCases = []constraintCase{
	{name: "field assert passes, check fails", fn: "GetTicket", reply: `{"title": "a very long title", "priority": 1}`,
		want: `{"title": {"value": "a very long title", "checks": {"short": {"name": "short", "expression": "this|length < 10", "status": "failed"}}}, "priority": 1}`},
	{name: "field check passes", fn: "GetTicket", reply: `{"title": "ok", "priority": 4}`,
		want: `{"title": {"value": "ok", "checks": {"short": {"name": "short", "expression": "this|length < 10", "status": "succeeded"}}}, "priority": 4}`},
	{name: "required field assert fails the call", fn: "GetTicket", reply: `{"title": "ok", "priority": 9}`,
		err: `field "priority": @assert small failed: {{ this < 5 }} (value 9)`, assertPath: "priority"},
	{name: "optional field assert gives null", fn: "GetOpt", reply: `{"a": 1, "x": 9}`, want: `{"a": 1, "x": null}`, notes: []string{"defaulted x"}},
	{name: "optional field assert passes", fn: "GetOpt", reply: `{"a": 1, "x": 3}`, want: `{"a": 1, "x": 3}`},
	{name: "list field assert has no default", fn: "GetTags", reply: `{"a": 1, "tags": []}`,
		err: `@assert nonempty failed`, assertPath: "tags"},
	{name: "missing list field with an assert", fn: "GetTags", reply: `{"a": 1}`, err: `field "tags": missing`},
	{name: "missing list field with a check", fn: "GetCheckedTags", reply: `{"a": 1}`, err: `field "tags": missing`},
	{name: "list field check fails", fn: "GetCheckedTags", reply: `{"a": 1, "tags": []}`,
		want: `{"a": 1, "tags": {"value": [], "checks": {"nonempty": {"name": "nonempty", "expression": "this|length > 0", "status": "failed"}}}}`},
	{name: "map entry failing its assert is dropped", fn: "GetCounts", reply: `{"m": {"a": 1, "b": -1}}`, want: `{"m": {"a": 1}}`, notes: []string{"dropped m.b"}},
	{name: "class assert: optional null, list element dropped", fn: "GetHolder", reply: `{"k": {"a": -1}, "ks": [{"a": 1}, {"a": -2}]}`,
		want: `{"k": null, "ks": [{"a": 1}]}`, notes: []string{"defaulted k", "dropped ks[1]"}},
	{name: "class and field checks", fn: "GetPerson", reply: `{"name": "Ann", "age": 12}`,
		want: `{"value": {"name": "Ann", "age": {"value": 12, "checks": {"adult": {"name": "adult", "expression": "this >= 18", "status": "failed"}, "sane": {"name": "sane", "expression": "this < 150", "status": "succeeded"}}}}, "checks": {"named": {"name": "named", "expression": "this.name|length > 0", "status": "succeeded"}}}`},
	{name: "class check over a list", fn: "GetReceipt", reply: `{"items": [{"price": 3}, {"price": 5}], "total": 9}`,
		want: `{"value": {"items": [{"price": 3}, {"price": 5}], "total": 9}, "checks": {"sums": {"name": "sums", "expression": "this.items|map(attribute=\"price\")|sum == this.total", "status": "failed"}}}`},
	{name: "regex_match assert drops elements", fn: "GetEmails", reply: `[{"address": "a@b.c"}, {"address": "nope"}]`,
		want: `[{"address": "a@b.c"}]`, notes: []string{"dropped [1]"}},
	{name: "list element constraints", fn: "GetTagged", reply: `{"tags": ["ok", "Bad", "longer"]}`,
		want:  `{"tags": [{"value": "ok", "checks": {"short": {"name": "short", "expression": "this|length < 5", "status": "succeeded"}}}, {"value": "longer", "checks": {"short": {"name": "short", "expression": "this|length < 5", "status": "failed"}}}]}`,
		notes: []string{"dropped tags[1]"}},
	{name: "union member assert passes", fn: "GetEither", reply: `{"u": 3}`, want: `{"u": 3}`},
	{name: "union member assert picks another member", fn: "GetEither", reply: `{"u": -3}`, want: `{"u": "-3"}`,
		baml: `{"u": -3}`, why: "BAML 0.226 skips a union member's asserts when the value fits the member exactly; bex applies them, as BAML documents"},
	{name: "result assert fails", fn: "NextInt", reply: `128`, err: `output: @assert ok_int8 failed`, assertPath: ""},
	{name: "result check", fn: "NextInt", reply: `12`,
		want: `{"value": 12, "checks": {"big": {"name": "big", "expression": "this > 100", "status": "failed"}}}`},
	{name: "string result check", fn: "Shout", reply: `HELLO`,
		want: `{"value": "HELLO", "checks": {"loud": {"name": "loud", "expression": "this == this|upper", "status": "succeeded"}}}`,
		baml: `"HELLO"`, why: "BAML returns a string result as it is, without testing its constraints"},
}

func TestConstraints(t *testing.T) {
	sigs := constraintFuncs(t)
	for _, tc := range constraintCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseOutput(tc.reply, sigs[tc.fn].Result, ParseOptions{})
			if tc.err != "" {
				var ae *AssertError
				switch {
				case err == nil:
					t.Fatalf("got %s, want an error containing %q", valueJSON(p.Value), tc.err)
				case !strings.Contains(err.Error(), tc.err):
					t.Errorf("error %q does not contain %q", err, tc.err)
				case tc.assertPath != "" && !errors.As(err, &ae):
					t.Errorf("error %v does not wrap an *AssertError", err)
				case ae != nil && ae.Path != tc.assertPath:
					t.Errorf("assert path %q, want %q", ae.Path, tc.assertPath)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := checkedValue(snapshotJSON(p.Value), p.Checks)
			if !sameJSON(got, tc.want) {
				b, _ := json.Marshal(got)
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
			if g := noteKeys(p.Notes); !reflect.DeepEqual(g, tc.notes) {
				t.Errorf("notes %q, want %q (%v)", g, tc.notes, p.Notes)
			}
		})
	}
}

// TestAssertErrorFields checks what an assert failure reports: the
// constraint, the path and the value, as a *ParseError wrapping the
// *AssertError, with the AssertError's error type for spans.
func TestAssertErrorFields(t *testing.T) {
	sigs := constraintFuncs(t)
	_, err := ParseOutput(`{"title": "x", "priority": 7}`, sigs["GetTicket"].Result, ParseOptions{})
	var ae *AssertError
	if !errors.As(err, &ae) {
		t.Fatalf("%v: not an *AssertError", err)
	}
	if ae.Name != "small" || ae.Expr != "this < 5" || ae.Path != "priority" || ae.Value != int64(7) || ae.Err != nil {
		t.Errorf("AssertError %+v", *ae)
	}
	if got := vmspan.ErrorInfoOf(err).Type; got != "AssertError" {
		t.Errorf("error type %q, want AssertError", got)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reply == "" {
		t.Errorf("%v: not a *ParseError with the reply", err)
	}
}

// TestConstraintEvalErrors checks that a constraint that cannot be
// evaluated, or is not a boolean, fails the value as in BAML (even a
// @check), and that a syntax error is reported.
func TestConstraintEvalErrors(t *testing.T) {
	for _, tc := range []struct{ expr, err string }{
		{"this|length", "not a boolean"},
		{"this.nope > 1", "nope"},
		{"this >", "{{ this > }}"},
		{"this|regex_match('(')", "regex_match"},
		{"x }} {{ y", "not a single expression"},
	} {
		_, err := EvalPredicate(tc.expr, map[string]any{"this": "abc"})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("EvalPredicate(%q): %v, want an error containing %q", tc.expr, err, tc.err)
		}
	}
	ok, err := EvalPredicate(`this.items|map(attribute="p")|sum == 8 and this.e == "A"`, map[string]any{"this": vmspan.Object{Class: "R", Fields: []vmspan.Arg{
		{Name: "items", Value: []any{vmspan.Object{Class: "I", Fields: []vmspan.Arg{{Name: "p", Value: int64(3)}}}, map[string]any{"p": int64(5)}}},
		{Name: "e", Value: vmspan.Enum{Name: "E", Value: "A"}},
	}}})
	if err != nil || !ok {
		t.Errorf("classes as maps, enums as names: %v, %v", ok, err)
	}
}

// TestCheckArgs checks the asserts on parameters, their parts and classes.
func TestCheckArgs(t *testing.T) {
	f, err := syntax.Parse("p.baml", []byte(`
class Pos {
  a int @assert(positive, {{ this > 0 }})
  @@assert(small, {{ this.a < 10 }})
}
function F(x: int @assert(pos, {{ this > 0 }}), ps: Pos[], u: (int @assert(neg, {{ this < 0 }}) | string)) -> string {
  client "openai/m"
  prompt #"{{ x }}"#
}
`))
	if err != nil {
		t.Fatal(err)
	}
	prog, errs := compile.Compile([]*syntax.File{f}, nil)
	if prog == nil {
		t.Fatal(errs)
	}
	params := prog.Funcs[0].Sig.Params
	pos := func(a int64) vmspan.Object {
		return vmspan.Object{Class: "Pos", Fields: []vmspan.Arg{{Name: "a", Value: a}}}
	}
	args := func(x int64, ps []any, u any) []vmspan.Arg {
		return []vmspan.Arg{{Name: "x", Value: x}, {Name: "ps", Value: ps}, {Name: "u", Value: u}}
	}
	for _, tc := range []struct {
		args []vmspan.Arg
		want string // "" for no error
	}{
		{args(1, []any{pos(1)}, "s"), ""},
		{args(1, []any{pos(1)}, int64(-1)), ""},
		{args(0, []any{pos(1)}, "s"), `F: argument "x": @assert pos failed`},
		{args(1, []any{pos(1), pos(-3)}, "s"), `F: argument "ps[1].a": @assert positive failed`},
		{args(1, []any{pos(12)}, "s"), `F: argument "ps[0]": @assert small failed`},
		{args(1, nil, int64(5)), `F: argument "u": @assert neg failed`},
	} {
		err := CheckArgs("F", params, tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// checkedValue renders a result (in snapshotJSON's form) in BAML's shape:
// each value that has check outcomes wrapped as {"value", "checks"}.
func checkedValue(v any, checks []vmspan.CheckResult) any {
	byPath := map[string][]vmspan.CheckResult{}
	for _, c := range checks {
		byPath[c.Path] = append(byPath[c.Path], c)
	}
	return wrapChecked(v, "", byPath)
}

func wrapChecked(v any, path string, byPath map[string][]vmspan.CheckResult) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = wrapChecked(e, joinPath(path, k), byPath)
		}
	case []any:
		for i, e := range x {
			x[i] = wrapChecked(e, joinPath(path, "["+strconv.Itoa(i)+"]"), byPath)
		}
	}
	cs := byPath[path]
	if len(cs) == 0 {
		return v
	}
	m := map[string]any{}
	for _, c := range cs {
		m[c.Name] = map[string]any{"name": c.Name, "expression": c.Expr, "status": c.Status()}
	}
	return map[string]any{"value": v, "checks": m}
}

// TestConstraintsBAMLDifferential runs the constraint cases in the
// reference BAML runtime and checks that it gives the same values, check
// outcomes and errors.
func TestConstraintsBAMLDifferential(t *testing.T) {
	node, dir := bamlOracle(t)
	in := oracleRequest{Source: constraintSource}
	for _, tc := range constraintCases {
		in.Cases = append(in.Cases, oracleCase{Function: tc.fn, Reply: tc.reply})
	}
	outs := runOracle(t, node, dir, in)
	if len(outs) != len(constraintCases) {
		t.Fatalf("the oracle answered %d of %d cases", len(outs), len(constraintCases))
	}
	for i, tc := range constraintCases {
		baml, want := outs[i], tc.want
		if tc.baml != "" {
			want = tc.baml
		}
		switch {
		case tc.err != "" && baml.Error == nil:
			t.Errorf("%s: BAML gives %s, bex an error", tc.name, baml)
		case tc.err == "" && (baml.Error != nil || !sameJSON(baml.OK, want)):
			t.Errorf("%s: BAML gives %s, the table says %s", tc.name, baml, want)
		}
	}
}

// FuzzEvalPredicate checks that no expression or value makes the Jinja
// evaluation of constraints panic, and that it gives a boolean or an
// error (the compiled-expression cache stops growing at its
// max, whatever the fuzzer feeds it).
func FuzzEvalPredicate(f *testing.F) {
	for _, tc := range []struct{ expr, this string }{
		{"this|length > 3", "abcd"}, {"this > 0 and this < 10", "5"}, {`this|regex_match("^a")`, "ab"},
		{"this.items|map(attribute='p')|sum == 8", `x`}, {"_.checks.a and not _.checks.b", ""}, {"1000 <= this <= 2100", "1"},
		{"this is none", ""}, {"this|lower|upper", "A"}, {"{% if x %}", ""}, {"this[0:2] == 'ab'", "abc"},
	} {
		f.Add(tc.expr, tc.this)
	}
	f.Fuzz(func(t *testing.T, expr, this string) {
		x := parsePredicate(expr)
		if x.err != nil {
			return
		}
		_, err := EvalPredicate(expr, map[string]any{"this": this, "_": map[string]any{"checks": map[string]any{"a": true}}})
		_ = err // a boolean or an error; a panic fails the fuzz target
	})
}

// BenchmarkParseChecked parses a reply into a class with a @check and an
// @assert on its fields, and the same reply into the class without them,
// so that the cost of evaluating two constraints shows side by side.
func BenchmarkParseChecked(b *testing.B) {
	sigs := constraintFuncs(b)
	reply := `{"title": "Login broken", "priority": 2}`
	for name, t := range map[string]*types.Type{"checked": sigs["GetTicket"].Result, "plain": ticketSchema} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseOutput(reply, t, ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
