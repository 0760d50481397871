package llm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// fuzzSchemas are the return types FuzzParseOutput coerces to.
var fuzzSchemas = []*types.Type{
	ticketSchema, categorySchema, orderSchema, types.ListOf(ticketSchema), types.IntType, types.FloatType, types.BoolType, nodeSchema, types.OptionalOf(ticketSchema),
	types.OptionalOf(types.IntType), types.UnionOf(types.IntType, types.StringType), types.MapOf(types.StringType, types.AnyType), types.AnyType, types.LiteralOf("yes"), types.StringType, itemSchema, colorSchema, personSchema,
	wrapperSchema, noteSchema, taggedSchema, statsSchema, types.ListOf(types.IntType), types.ListOf(types.StringType), types.UnionOf(ticketSchema, itemSchema),
	types.UnionOf(ticketSchema, types.StringType), types.MapOf(types.StringType, types.IntType), types.UnionOf(types.LiteralOf("yes"), types.LiteralOf("no")),
	jsonSchema, byColorSchema, docSchema,
}

// FuzzParseOutput checks that no reply makes the output parser panic, that
// failures are *ParseError, that results have the declared shape, and that
// strict parsing accepts exactly the replies that parse without notes.
func FuzzParseOutput(f *testing.F) {
	f.Add("```json\n{\"title\": \"A\", \"priority\": 1}\n```", uint8(0))
	f.Add("spam", uint8(1))
	for _, tc := range parseCases {
		for i, s := range fuzzSchemas {
			if s == tc.typ {
				f.Add(tc.reply, uint8(i))
			}
		}
	}
	f.Fuzz(func(t *testing.T, reply string, which uint8) {
		s := fuzzSchemas[int(which)%len(fuzzSchemas)]
		p, err := ParseOutput(reply, s, ParseOptions{})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			_ = err.Error()
			return
		}
		if !hasShape(p.Value, s) {
			t.Fatalf("ParseOutput(%q, %s) = %#v: not a %s", reply, s, p.Value, s)
		}
		for _, n := range p.Notes {
			if n.Kind == "" || n.Detail == "" {
				t.Fatalf("ParseOutput(%q, %s): empty note %+v", reply, s, n)
			}
		}
		strict, err := ParseOutput(reply, s, ParseOptions{Strict: true})
		if (err != nil) != (len(p.Notes) > 0) || err == nil && !reflect.DeepEqual(strict.Value, p.Value) {
			t.Fatalf("ParseOutput(%q, %s): %d notes, but strict parsing gives %v, %v", reply, s, len(p.Notes), strict.Value, err)
		}
	})
}

// keyOf reports whether k is a variant of an enum among the key type's
// members (the keys of enum-keyed maps are variant names).
func keyOf(k string, key *types.Type) bool {
	for _, m := range key.Members() {
		if m.Kind == types.Enum && m.Enum.Lookup(k) >= 0 {
			return true
		}
	}
	return false
}

// hasShape reports whether v is a snapshot value of type s.
func hasShape(v any, s *types.Type) bool {
	s = s.Underlying()
	switch s.Kind {
	case types.String:
		_, ok := v.(string)
		return ok
	case types.Int:
		_, ok := v.(int64)
		return ok
	case types.Float:
		_, ok := v.(float64)
		return ok
	case types.Bool:
		_, ok := v.(bool)
		return ok
	case types.Null:
		return v == nil
	case types.Optional:
		return v == nil || hasShape(v, s.Elem)
	case types.List:
		xs, ok := v.([]any)
		for _, x := range xs {
			ok = ok && hasShape(x, s.Elem)
		}
		return ok
	case types.Map:
		m, ok := v.(map[string]any)
		for k, x := range m {
			ok = ok && hasShape(x, s.Elem) && (s.Key == nil || hasShape(k, s.Key) || keyOf(k, s.Key))
		}
		return ok
	case types.Class:
		o, ok := v.(vmspan.Object)
		if !ok || o.Class != s.Class.Name || len(o.Fields) != len(s.Class.Fields) {
			return false
		}
		for i, f := range s.Class.Fields {
			if o.Fields[i].Name != f.Name || !hasShape(o.Fields[i].Value, f.Type) && !(o.Fields[i].Value == nil && (f.Skip || f.Type.Nullable())) {
				return false
			}
		}
		return true
	case types.Enum:
		e, ok := v.(vmspan.Enum)
		return ok && e.Name == s.Enum.Name
	case types.Union:
		for _, variant := range s.Variants {
			if hasShape(v, variant) {
				return true
			}
		}
		return false
	case types.Literal:
		return v == s.Literal
	}
	return true
}
