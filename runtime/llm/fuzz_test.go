package llm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// fuzzSchemas are the return types FuzzParseOutput coerces to.
var fuzzSchemas = []*Schema{
	ticketSchema, categorySchema, orderSchema, ListOf(ticketSchema), Int, Float, Bool, nodeSchema, OptionalOf(ticketSchema),
	OptionalOf(Int), UnionOf(Int, String), MapOf(Any), Any, LiteralOf("yes"), String, itemSchema, colorSchema, personSchema,
	wrapperSchema, noteSchema, taggedSchema, statsSchema, ListOf(Int), ListOf(String), UnionOf(ticketSchema, itemSchema),
	UnionOf(ticketSchema, String), MapOf(Int), UnionOf(LiteralOf("yes"), LiteralOf("no")),
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

// hasShape reports whether v is a snapshot value of type s.
func hasShape(v any, s *Schema) bool {
	switch s.kind() {
	case KindString:
		_, ok := v.(string)
		return ok
	case KindInt:
		_, ok := v.(int64)
		return ok
	case KindFloat:
		_, ok := v.(float64)
		return ok
	case KindBool:
		_, ok := v.(bool)
		return ok
	case KindNull:
		return v == nil
	case KindOptional:
		return v == nil || hasShape(v, s.Elem)
	case KindList:
		xs, ok := v.([]any)
		for _, x := range xs {
			ok = ok && hasShape(x, s.Elem)
		}
		return ok
	case KindMap:
		m, ok := v.(map[string]any)
		for _, x := range m {
			ok = ok && hasShape(x, s.Elem)
		}
		return ok
	case KindClass:
		o, ok := v.(vmspan.Object)
		if !ok || o.Class != s.Class.Name || len(o.Fields) != len(s.Class.Fields) {
			return false
		}
		for i, f := range s.Class.Fields {
			if o.Fields[i].Name != f.Name || !hasShape(o.Fields[i].Value, f.Type) && !(o.Fields[i].Value == nil && f.Type.nullable()) {
				return false
			}
		}
		return true
	case KindEnum:
		e, ok := v.(vmspan.Enum)
		return ok && e.Name == s.Enum.Name
	case KindUnion:
		for _, variant := range s.Variants {
			if hasShape(v, variant) {
				return true
			}
		}
		return false
	case KindLiteral:
		return v == s.Literal
	}
	return true
}
