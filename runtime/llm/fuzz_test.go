package llm

import (
	"errors"
	"testing"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// fuzzSchemas are the return types FuzzParseOutput coerces to.
var fuzzSchemas = []*types.Type{
	ticketSchema, categorySchema, orderSchema, types.ListOf(ticketSchema), types.IntType, types.FloatType, types.BoolType,
	types.OptionalOf(types.IntType), types.UnionOf(types.IntType, types.StringType), types.MapOf(types.StringType, types.AnyType), types.AnyType, types.LiteralOf("yes"), types.StringType,
}

// FuzzParseOutput checks that no reply makes the output parser panic, that
// failures are *ParseError, and that results have the declared shape.
func FuzzParseOutput(f *testing.F) {
	f.Add("```json\n{\"title\": \"A\", \"priority\": 1}\n```", uint8(0))
	f.Add("spam", uint8(1))
	f.Fuzz(func(t *testing.T, reply string, which uint8) {
		s := fuzzSchemas[int(which)%len(fuzzSchemas)]
		v, err := ParseOutput(reply, s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			_ = err.Error()
			return
		}
		if !hasShape(v, s) {
			t.Fatalf("ParseOutput(%q, %s) = %#v: not a %s", reply, s, v, s)
		}
	})
}

// hasShape reports whether v is a snapshot value of type s.
func hasShape(v any, s *types.Type) bool {
	switch kindOf(s) {
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
		for _, x := range m {
			ok = ok && hasShape(x, s.Elem)
		}
		return ok
	case types.Class:
		o, ok := v.(vmspan.Object)
		if !ok || o.Class != s.Class.Name || len(o.Fields) != len(s.Class.Fields) {
			return false
		}
		for i, f := range s.Class.Fields {
			if o.Fields[i].Name != f.Name || !hasShape(o.Fields[i].Value, f.Type) && !(o.Fields[i].Value == nil && f.Type.Nullable()) {
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
