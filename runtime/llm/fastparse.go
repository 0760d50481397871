// fastparse.go holds the fast path of output parsing: a reply that is
// exactly one JSON value of the return type, read straight into its result
// without the readings and scores of the full parser.

package llm

import (
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// maxFastDepth bounds the nesting the fast path reads; deeper replies go
// to the full parser (whose bounds, maxStrictDepth and maxCoerceDepth, are
// higher).
const maxFastDepth = 64

// parseExact reads reply as one JSON value (surrounding whitespace
// allowed) that fits t exactly, and returns the result the full parser
// gives it: the reply's only reading, coerced without a conversion, hence
// without notes. ok is false whenever anything else might happen: invalid
// JSON, a value that needs a conversion (1.0 for an int, "1" for an int,
// an enum named loosely), an object key that names no field, a repeated
// key, a missing field that is not optional, a type with @assert or @check
// constraints, and types it does not read (any, a top-level string, enum
// or string literal, which read the whole text). The caller then runs the
// full parser, which decides everything the fast path declines.
func parseExact(reply string, t *target) (Parsed, bool) {
	if t.stringLike() {
		return Parsed{}, false
	}
	e := exactReader{p: strictParser{s: reply}, budget: 8*len(reply) + 64}
	e.p.space()
	v, _, ok := e.value(t, 0)
	if !ok {
		return Parsed{}, false
	}
	e.p.space()
	if e.p.i != len(reply) {
		return Parsed{}, false
	}
	return Parsed{Value: v}, true
}

// An exactReader reads a reply with the strict parser's lexer (the same
// strings and numbers as strictJSON) into the values tryCast makes.
//
// A value it does not return is either one tryCast would not fit either
// (a union then tries its next variant from the same place) or one it
// cannot decide (undecided is set: the whole reply goes to the full
// parser): invalid JSON, constraints, the any type, deep nesting, too
// much work (see budget).
type exactReader struct {
	p         strictParser
	undecided bool
	// budget is the number of values left to read. A union reads a value
	// again for each variant that does not fit, which for unions of
	// recursive classes multiplies with the nesting; the budget keeps the
	// fast path linear in the reply (a reply that exhausts it is declined).
	budget int
}

// value reads the value at the reader's position as t. defaulted is set
// when a missing optional field was made null inside it: the full parser
// scores that 1, which matters only to unions (see union).
func (e *exactReader) value(t *target, depth int) (v any, defaulted, ok bool) {
	p := &e.p
	e.budget--
	if len(t.checks) > 0 || depth > maxFastDepth || e.budget < 0 || p.i >= len(p.s) {
		return e.decline()
	}
	c := p.s[p.i]
	switch t.kind {
	case types.String:
		if c == '"' {
			return e.str()
		}
	case types.Int:
		if n, ok := e.number(c); ok && n.kind == numInt {
			return n.i, false, true
		}
	case types.Float:
		if n, ok := e.number(c); ok {
			return n.asFloat(), false, true
		}
	case types.Bool:
		if b, ok := e.boolean(c); ok {
			return b, false, true
		}
	case types.Null:
		if c == 'n' {
			return nil, false, e.word("null")
		}
	case types.Enum:
		if c == '"' {
			return e.enum(t.enum)
		}
	case types.Literal:
		return e.literal(t.literal, c)
	case types.List:
		if c == '[' {
			return e.list(t, depth)
		}
	case types.Map:
		if c == '{' {
			return e.mapValue(t, depth)
		}
	case types.Class:
		if c == '{' {
			return e.class(t.class, depth)
		}
	case types.Union:
		return e.union(t, depth)
	default: // any
		return e.decline()
	}
	// Another kind of value: tryCast does not fit it either, if it is
	// valid JSON (else the reply is declined as a whole).
	return nil, false, false
}

// decline gives the reply up to the full parser.
func (e *exactReader) decline() (any, bool, bool) {
	e.undecided = true
	return nil, false, false
}

// str reads a string.
func (e *exactReader) str() (any, bool, bool) {
	s, ok := e.p.str()
	if !ok {
		return e.decline()
	}
	return s, false, true
}

// number reads a number whose first byte is c; ok is false when c starts
// no number.
func (e *exactReader) number(c byte) (jnumber, bool) {
	if c != '-' && !isDigit(c) {
		return jnumber{}, false
	}
	_, n, ok := e.p.numberLit()
	if !ok {
		e.undecided = true
	}
	return n, ok
}

// boolean reads true or false when c starts them.
func (e *exactReader) boolean(c byte) (b, ok bool) {
	switch c {
	case 't':
		return true, e.word("true")
	case 'f':
		return false, e.word("false")
	}
	return false, false
}

// word consumes w (true, false, null).
func (e *exactReader) word(w string) bool {
	p := &e.p
	if !strings.HasPrefix(p.s[p.i:], w) {
		e.undecided = true
		return false
	}
	p.i += len(w)
	return true
}

// enum reads a string that is a variant's shown name, exactly.
func (e *exactReader) enum(et *enumTarget) (any, bool, bool) {
	s, ok := e.p.str()
	if !ok {
		return e.decline()
	}
	for _, ev := range et.values {
		if ev.shown == s {
			return vmspan.Enum{Name: et.name, Value: ev.name}, false, true
		}
	}
	return nil, false, false
}

// literal reads a value equal to lit, as literalFits compares them.
func (e *exactReader) literal(lit any, c byte) (any, bool, bool) {
	switch l := lit.(type) {
	case string:
		if c == '"' {
			s, _, ok := e.str()
			return lit, false, ok && s == l
		}
	case int64:
		n, ok := e.number(c)
		return lit, false, ok && n.kind == numInt && n.i == l
	case float64:
		n, ok := e.number(c)
		return lit, false, ok && n.asFloat() == l
	case bool:
		b, ok := e.boolean(c)
		return lit, false, ok && b == l
	}
	return nil, false, false
}

// list reads a list whose every element fits t.elem.
func (e *exactReader) list(t *target, depth int) (any, bool, bool) {
	out := make([]any, 0, 4)
	var defaulted bool
	ok := e.p.elements(']', func() bool {
		v, d, ok := e.value(t.elem, depth+1)
		out = append(out, v)
		defaulted = defaulted || d
		return ok
	})
	return out, defaulted, ok
}

// mapValue reads an object whose every key is a key of the map (mapKey)
// and every value fits t.elem; a repeated key keeps its last value, as
// tryCastMap does.
func (e *exactReader) mapValue(t *target, depth int) (any, bool, bool) {
	out := map[string]any{}
	var defaulted bool
	ok := e.p.members(func(key string) bool {
		k, ok := mapKey(t.key, key)
		if !ok {
			return false
		}
		v, d, ok := e.value(t.elem, depth+1)
		out[k] = v
		defaulted = defaulted || d
		return ok
	})
	return out, defaulted, ok
}

// class reads an object whose keys are the shown names of the class's
// fields, each at most once; a missing field must be optional (it is
// null, which the full parser scores 1: defaulted).
func (e *exactReader) class(ct *classTarget, depth int) (any, bool, bool) {
	obj := vmspan.Object{Class: ct.name, Fields: make([]vmspan.Arg, len(ct.all))}
	for i, name := range ct.all {
		obj.Fields[i].Name = name
	}
	if len(ct.fields) > 64 {
		return e.decline()
	}
	var seen uint64 // the fields read
	var defaulted bool
	ok := e.p.members(func(key string) bool {
		f := ct.fieldByKey(key)
		if f < 0 {
			return false
		}
		if seen&(1<<f) != 0 {
			e.undecided = true // tryCastClass takes the first
			return false
		}
		seen |= 1 << f
		v, d, ok := e.value(ct.fields[f].t, depth+1)
		obj.Fields[ct.pos[f]].Value = v
		defaulted = defaulted || d
		return ok
	})
	if !ok {
		return nil, false, false
	}
	for i, f := range ct.fields {
		if seen&(1<<i) == 0 {
			if !f.optional {
				return nil, false, false
			}
			defaulted = true
		}
	}
	return obj, defaulted, true
}

// union reads null for an optional type, else the first variant that fits
// without a defaulted field, as tryCastUnion picks it. When the variants
// that fit all have one, the full parser's choice among them is left to
// it. A variant that does not fit is read again from the same place by
// the next.
func (e *exactReader) union(t *target, depth int) (any, bool, bool) {
	p := &e.p
	if t.optional && p.s[p.i] == 'n' {
		return nil, false, e.word("null")
	}
	start := p.i
	for _, vt := range t.variants {
		if vt.kind == types.Null {
			continue
		}
		v, d, ok := e.value(vt, depth+1)
		if e.undecided {
			return nil, false, false
		}
		if ok && !d {
			return v, false, true
		}
		if ok && len(t.variants) == 1+boolInt(t.optional) {
			return v, d, true // the only variant: pickBest of one is it
		}
		p.i = start
	}
	return nil, false, false
}
