package llm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

func TestParseOutput(t *testing.T) {
	if len(parseCases) < 150 {
		t.Fatalf("the table has %d replies; the issue asks for at least 150", len(parseCases))
	}
	seen := map[string]bool{}
	for _, tc := range parseCases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseOutput(tc.reply, tc.typ, ParseOptions{})
			if tc.err != "" {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("got %s, err %v; want a *ParseError containing %q", valueJSON(got.Value), err, tc.err)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %q does not contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			if !sameJSON(snapshotJSON(got.Value), tc.want) {
				t.Errorf("got  %s\nwant %s", valueJSON(got.Value), tc.want)
			}
			if g := noteKeys(got.Notes); !reflect.DeepEqual(g, tc.notes) {
				t.Errorf("notes %q, want %q (%v)", g, tc.notes, got.Notes)
			}
		})
	}
}

// TestParseOutputStrict checks that strict parsing refuses exactly the
// replies whose coercion loses data, and lists the notes in the error.
func TestParseOutputStrict(t *testing.T) {
	for _, tc := range parseCases {
		if tc.err != "" {
			continue
		}
		_, err := ParseOutput(tc.reply, tc.typ, ParseOptions{Strict: true})
		var pe *ParseError
		switch {
		case len(tc.notes) == 0 && err != nil:
			t.Errorf("%s: strict parsing refused a lossless reply: %v", tc.name, err)
		case len(tc.notes) > 0 && !errors.As(err, &pe):
			t.Errorf("%s: strict parsing accepted a lossy reply (err %v)", tc.name, err)
		case len(tc.notes) > 0 && (len(pe.Notes) != len(tc.notes) || !strings.Contains(err.Error(), "strict parsing")):
			t.Errorf("%s: error %v lists %d notes, want %d", tc.name, err, len(pe.Notes), len(tc.notes))
		}
	}
}

func TestParseErrorShowsReplyStart(t *testing.T) {
	reply := `{"title": "A", "priority": "high"}` + strings.Repeat(" padding", 100)
	_, err := ParseOutput(reply, ticketSchema, ParseOptions{})
	want := `reply starts: "{\"title\": \"A\", \"priority\": \"high\"}` + strings.Repeat(" padding", 20)
	if !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), `…"`) {
		t.Errorf("error = %v\nwant it to show the first %d bytes of the reply", err, replyExcerptLen)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Path != "priority" || pe.ErrorType() != "LLMParseError" {
		t.Errorf("error %#v: want a *ParseError at path priority", err)
	}
}

func TestParseDeepNesting(t *testing.T) {
	for _, in := range []string{strings.Repeat("[", 100000), strings.Repeat("{\"a\":", 100000), strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		for _, s := range []*types.Type{types.ListOf(types.IntType), types.ListOf(types.AnyType), ticketSchema, types.StringType, nodeSchema} {
			_, _ = ParseOutput(in, s, ParseOptions{}) // must neither overflow the stack nor hang
		}
	}
}

// snapshotJSON converts a parsed value to what encoding/json makes of
// BAML's JSON: classes as objects, enums as their variant's name, numbers
// as float64.
func snapshotJSON(v any) any {
	switch x := v.(type) {
	case vmspan.Object:
		m := map[string]any{}
		for _, f := range x.Fields {
			m[f.Name] = snapshotJSON(f.Value)
		}
		return m
	case vmspan.Enum:
		return x.Value
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = snapshotJSON(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = snapshotJSON(e)
		}
		return out
	case int64:
		return float64(x)
	}
	return v
}

// sameJSON reports whether v equals the JSON text want.
func sameJSON(v any, want string) bool {
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return false
	}
	return reflect.DeepEqual(v, w)
}

func valueJSON(v any) string {
	b, _ := json.Marshal(snapshotJSON(v))
	return string(b)
}

// noteKeys renders notes as "kind path" (or "kind" for the whole result).
func noteKeys(ns []vmspan.ParseNote) []string {
	var out []string
	for _, n := range ns {
		out = append(out, strings.TrimSpace(string(n.Kind)+" "+n.Path))
	}
	return out
}

func TestParseOutputKeyedMapsAliasesSkip(t *testing.T) {
	got, err := ParseOutput(`{"red": 1, "azure": 2}`, byColorSchema, ParseOptions{})
	if err != nil || !reflect.DeepEqual(got.Value, map[string]any{"Red": int64(1), "Blue": int64(2)}) {
		t.Errorf("map by enum: %#v, %v", got, err)
	}
	got, err = ParseOutput(`{"green": 1, "Red": 3}`, byColorSchema, ParseOptions{})
	if err != nil || !reflect.DeepEqual(got.Value, map[string]any{"Red": int64(3)}) || len(got.Notes) != 1 || !strings.Contains(got.Notes[0].Detail, `not a key of map<Shade, int>: "green"`) {
		t.Errorf("a key that is no variant is dropped with a note: %#v, %v", got, err)
	}
	if _, err := ParseOutput(`{"green": 1}`, byColorSchema, ParseOptions{Strict: true}); err == nil || !strings.Contains(err.Error(), `not a key of map<Shade, int>`) {
		t.Errorf("a key that is no variant, strict: %v", err)
	}
	got, err = ParseOutput(`{"a": [1, "x", {"b": []}]}`, jsonSchema, ParseOptions{})
	want := map[string]any{"a": []any{int64(1), "x", map[string]any{"b": []any{}}}}
	if err != nil || !reflect.DeepEqual(got.Value, want) {
		t.Errorf("recursive alias: %#v, %v", got, err)
	}
	if f := OutputFormat(types.ListOf(jsonSchema)); !strings.Contains(f, "string or int or Json[] or map<string, Json>") {
		t.Errorf("output format of a recursive alias:\n%s", f)
	}
	got, err = ParseOutput(`{"title": "t", "internal": "x"}`, docSchema, ParseOptions{})
	if obj, ok := got.Value.(vmspan.Object); err != nil || !ok || len(obj.Fields) != 2 || obj.Fields[1].Name != "internal" || obj.Fields[1].Value != nil {
		t.Errorf("@skip field: %#v, %v", got, err)
	}
	if f := OutputFormat(docSchema); strings.Contains(f, "internal") {
		t.Errorf("a @skip field is shown:\n%s", f)
	}
}

// TestParseBoundedWork: a reply nested deep in a type whose unions recur
// makes coercion try every variant at every level, 2^depth ways; the
// budget of coerce calls makes such a parse fail in time linear in the
// reply instead of seeming to hang (without it this test never ends),
// while the same shape shallow still parses.
func TestParseBoundedWork(t *testing.T) {
	a, b := &types.ClassDecl{Name: "A"}, &types.ClassDecl{Name: "B"}
	next := types.OptionalOf(types.UnionOf(types.ClassOf(a), types.ClassOf(b)))
	a.Fields = []*types.Field{{Name: "next", Type: next}}
	b.Fields = []*types.Field{{Name: "next", Type: next}, {Name: "y", Type: types.IntType}}
	nested := func(depth int) string {
		// Fenced, and with a key of neither class: no fast path.
		return "```json\n" + strings.Repeat(`{"z": 0, "next": `, depth) + "null" + strings.Repeat(`, "y": 1}`, depth) + "\n```"
	}
	_, err := ParseOutput(nested(40), types.ClassOf(b), ParseOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "too complex") {
		t.Errorf("a reply 40 levels deep: %v, want a ParseError saying it is too complex", err)
	}
	if p, err := ParseOutput(nested(3), types.ClassOf(b), ParseOptions{}); err != nil || p.Value == nil {
		t.Errorf("a reply 3 levels deep: %v, %v; want it parsed", p.Value, err)
	}
}

// TestCoerceBudgetGrows: a value whose coercion takes more calls than
// coerceStepsMin, but few for its size, converts: the budget grows with
// the value once the minimum is spent.
func TestCoerceBudgetGrows(t *testing.T) {
	items := make([]*jvalue, coerceStepsMin+10)
	for i := range items {
		items[i] = jstr("1", true) // a string for an int: each element is a coerce call
	}
	c := coercer{}
	r, err := c.coerce(targetOf(types.ListOf(types.IntType)), &jvalue{kind: jArray, complete: true, items: items})
	if err != nil {
		t.Fatalf("a list of %d numbers in strings: %s", len(items), err.msg)
	}
	if l, ok := r.v.([]any); !ok || len(l) != len(items) || c.steps <= coerceStepsMin {
		t.Errorf("got %T of %d after %d steps, want a list of %d after more than %d", r.v, len(l), c.steps, len(items), coerceStepsMin)
	}
}
