// target.go compiles a return type (Schema) into the form coercion works
// on. It is the only code of the parser that reads Schema: a different type
// model needs a different compileTarget and nothing else.

package llm

import (
	"runtime"
	"strings"
	"sync"
	"weak"
)

// A target is a return type prepared for coercion. Optional types are
// unions with null (null last), nested unions are flattened, and names are
// precomputed.
type target struct {
	kind     Kind // never KindOptional
	name     string
	elem     *target   // KindList; KindMap (the value type)
	variants []*target // KindUnion: the variants, null last
	optional bool      // KindUnion with a null variant
	class    *classTarget
	enum     *enumTarget
	literal  any // KindLiteral: string, int64, float64 or bool
}

type classTarget struct {
	name   string
	fields []fieldTarget
}

type fieldTarget struct {
	name     string // the declared name: the name in the result
	key      string // the name the model is shown: @alias, else the name
	t        *target
	optional bool // null is a value of t, so the field may be missing
}

type enumTarget struct {
	name   string
	values []enumValueTarget
}

type enumValueTarget struct {
	name  string   // the declared name: the result
	shown string   // @alias, else the name
	cands []string // what names the variant in a reply: shown, and with a description also "description" and "shown: description"
}

var nullTarget = &target{kind: KindNull, name: "null"}

// targets caches compiled targets by schema (schemas are immutable once
// built); an entry goes when its schema is garbage collected.
var targets sync.Map // weak.Pointer[Schema] -> *target

// targetOf returns the compiled target of s, compiling it on first use.
func targetOf(s *Schema) *target {
	if s == nil {
		return stringTarget
	}
	k := weak.Make(s)
	if t, ok := targets.Load(k); ok {
		return t.(*target)
	}
	t := compileTarget(s)
	if _, loaded := targets.LoadOrStore(k, t); !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Schema]) { targets.Delete(k) }, k)
	}
	return t
}

var stringTarget = &target{kind: KindString, name: "string"}

// compileTarget prepares s for coercion. Recursive classes compile to
// cyclic targets. The target holds no pointer to s (see targets).
func compileTarget(s *Schema) *target {
	c := targetCompiler{classes: map[*ClassSchema]*classTarget{}}
	return c.compile(s)
}

type targetCompiler struct {
	classes map[*ClassSchema]*classTarget
}

func (c *targetCompiler) compile(s *Schema) *target {
	t := &target{kind: s.kind(), name: s.String()}
	switch t.kind {
	case KindList, KindMap:
		t.elem = c.compile(s.Elem)
	case KindOptional:
		return c.union(t.name, []*Schema{s.Elem, Null})
	case KindUnion:
		return c.union(t.name, s.Variants)
	case KindLiteral:
		if s.Literal == nil {
			return &target{kind: KindNull, name: t.name}
		}
		t.literal = s.Literal
	case KindClass:
		t.class = c.class(s.Class)
	case KindEnum:
		t.enum = compileEnum(s.Enum)
	}
	return t
}

// union flattens nested unions and optionals, moves null last and keeps it
// once. A union of one type is that type.
func (c *targetCompiler) union(name string, variants []*Schema) *target {
	t := &target{kind: KindUnion, name: name}
	var add func(v *target)
	add = func(v *target) {
		switch v.kind {
		case KindUnion:
			for _, x := range v.variants {
				add(x)
			}
			t.optional = t.optional || v.optional
		case KindNull:
			t.optional = true
		default:
			t.variants = append(t.variants, v)
		}
	}
	for _, v := range variants {
		add(c.compile(v))
	}
	if t.optional {
		t.variants = append(t.variants, nullTarget)
	}
	if len(t.variants) == 1 {
		return t.variants[0]
	}
	return t
}

func (c *targetCompiler) class(cs *ClassSchema) *classTarget {
	if ct, ok := c.classes[cs]; ok {
		return ct
	}
	ct := &classTarget{name: cs.Name, fields: make([]fieldTarget, len(cs.Fields))}
	c.classes[cs] = ct
	for i := range cs.Fields {
		f := &cs.Fields[i]
		ft := c.compile(f.Type)
		ct.fields[i] = fieldTarget{name: f.Name, key: f.shownName(), t: ft, optional: ft.nullable()}
	}
	return ct
}

func compileEnum(es *EnumSchema) *enumTarget {
	et := &enumTarget{name: es.Name, values: make([]enumValueTarget, len(es.Values))}
	for i := range es.Values {
		v := &es.Values[i]
		ev := enumValueTarget{name: v.Name, shown: v.shownName(), cands: []string{v.shownName()}}
		if d := strings.TrimSpace(v.Description); d != "" {
			ev.cands = append(ev.cands, d, ev.shown+": "+d)
		}
		et.values[i] = ev
	}
	return et
}

// nullable reports whether null is a value of t.
func (t *target) nullable() bool {
	return t.kind == KindNull || t.kind == KindAny || t.kind == KindUnion && t.optional
}

// stringLike reports whether t reads a whole text rather than a JSON value
// in it: a string, an enum or a string literal.
func (t *target) stringLike() bool {
	switch t.kind {
	case KindString, KindEnum:
		return true
	case KindLiteral:
		_, ok := t.literal.(string)
		return ok
	}
	return false
}

func (t *target) composite() bool {
	return t.kind == KindClass || t.kind == KindList || t.kind == KindMap
}
