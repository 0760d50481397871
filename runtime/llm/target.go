// target.go compiles a return type (a *types.Type of runtime/types) into
// the form coercion works on. It is the only code of the parser that reads
// the type model: a different model needs a different compileTarget and
// nothing else.

package llm

import (
	"runtime"
	"strings"
	"sync"
	"weak"

	"github.com/bexrun/bex/runtime/types"
)

// A target is a return type prepared for coercion. Aliases are resolved,
// optional types are unions with null (null last), nested unions are
// flattened, media and function types read as any, and names are
// precomputed.
type target struct {
	kind     types.Kind // never Optional, Alias, Media or Func
	name     string
	elem     *target   // List; Map (the value type)
	key      *target   // Map: the key type; nil for string keys
	variants []*target // Union: the variants, null last
	optional bool      // Union with a null variant
	class    *classTarget
	enum     *enumTarget
	literal  any // Literal: string, int64, float64 or bool
	// checks are the @assert and @check constraints a value of this
	// target must be tested against once coerced: those of the type
	// position, of the field it is the type of, and of its class.
	checks []*types.Constraint
}

// A classTarget lists the fields the model is shown and fills; fields
// marked @skip are not among them and are null in the result.
type classTarget struct {
	name   string
	fields []fieldTarget
	all    []string // the declared field names, in order (the result's fields)
	pos    []int    // pos[i]: the place of fields[i] in all
	done   bool     // @@stream.done: partial values show it only whole
}

// fieldByKey returns the first field shown as key exactly, or -1.
func (ct *classTarget) fieldByKey(key string) int {
	for j := range ct.fields {
		if ct.fields[j].key == key {
			return j
		}
	}
	return -1
}

type fieldTarget struct {
	name     string // the declared name: the name in the result
	key      string // the name the model is shown: @alias, else the name
	t        *target
	optional bool         // null is a value of t, so the field may be missing
	stream   types.Stream // how partial values show it
}

type enumTarget struct {
	name   string
	values []enumValueTarget // without the values marked @skip
}

type enumValueTarget struct {
	name  string   // the declared name: the result
	shown string   // @alias, else the name
	cands []string // what names the variant in a reply: shown, and with a description also "description" and "shown: description"
}

var nullTarget = &target{kind: types.Null, name: "null"}

// targets caches compiled targets by type (types are immutable once the
// compiler built them); an entry goes when its type is garbage collected.
var targets sync.Map // weak.Pointer[types.Type] -> *target

// targetOf returns the compiled target of s, compiling it on first use.
func targetOf(s *types.Type) *target {
	t, _ := targetWith(s, nil)
	return t
}

// targetWith returns the target of s as the call's overlay o extends its
// @@dynamic classes and enums, and the names of the additions it uses
// ("Class.field", "Enum.VALUE"). A target that uses an overlay is compiled
// for its call and not cached.
func targetWith(s *types.Type, o *types.Overlay) (*target, []string) {
	if s == nil {
		return stringTarget, nil
	}
	if o != nil {
		c := newTargetCompiler(o)
		t := c.compile(s)
		return t, c.dynamic
	}
	k := weak.Make(s)
	if t, ok := targets.Load(k); ok {
		return t.(*target), nil
	}
	t := compileTarget(s)
	if _, loaded := targets.LoadOrStore(k, t); !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[types.Type]) { targets.Delete(k) }, k)
	}
	return t, nil
}

var stringTarget = &target{kind: types.String, name: "string"}

// compileTarget prepares s for coercion. Recursive classes and aliases
// compile to cyclic targets. The target holds no pointer to s (see
// targets).
func compileTarget(s *types.Type) *target {
	return newTargetCompiler(nil).compile(s)
}

func newTargetCompiler(o *types.Overlay) *targetCompiler {
	return &targetCompiler{classes: map[*types.ClassDecl]*classTarget{}, aliases: map[*types.AliasDecl]*target{},
		filling: map[*target][]func(){}, overlay: o, seen: map[any]bool{}}
}

type targetCompiler struct {
	classes map[*types.ClassDecl]*classTarget
	aliases map[*types.AliasDecl]*target
	// filling holds the alias targets being compiled, with what to do
	// once they are complete (copies that add constraints).
	filling map[*target][]func()
	overlay *types.Overlay
	dynamic []string     // the overlay's additions met, "Class.field" or "Enum.VALUE"
	seen    map[any]bool // the dynamic classes and enums already listed in dynamic
}

// compile prepares s for coercion, with the constraints written on it.
func (c *targetCompiler) compile(s *types.Type) *target {
	return c.withChecks(c.compileType(s), s.Checks)
}

// withChecks returns t with the constraints ks added: t itself when there
// are none, else a copy (made once t is complete when t is an alias still
// being compiled).
func (c *targetCompiler) withChecks(t *target, ks []*types.Constraint) *target {
	if len(ks) == 0 {
		return t
	}
	cp := &target{}
	fill := func() {
		*cp = *t
		cp.checks = append(t.checks[:len(t.checks):len(t.checks)], ks...)
	}
	if fix, ok := c.filling[t]; ok {
		c.filling[t] = append(fix, fill)
	} else {
		fill()
	}
	return cp
}

func (c *targetCompiler) compileType(s *types.Type) *target {
	if s.Kind == types.Alias {
		return c.alias(s)
	}
	t := &target{kind: s.Kind, name: s.String()}
	switch t.kind {
	case types.List:
		t.elem = c.compile(s.Elem)
	case types.Map:
		t.elem = c.compile(s.Elem)
		if k := s.Key; k != nil {
			if u := k.Underlying(); u.Kind != types.String && u.Kind != types.Any {
				t.key = c.compile(k)
			}
		}
	case types.Optional:
		return c.union(t.name, []*types.Type{s.Elem, types.NullType})
	case types.Union:
		return c.union(t.name, s.Variants)
	case types.Literal:
		if s.Literal == nil {
			return &target{kind: types.Null, name: t.name}
		}
		t.literal = s.Literal
	case types.Class:
		t.class = c.class(s.Class)
		t.checks = s.Class.Checks
	case types.Enum:
		t.enum = c.enum(s.Enum)
	case types.Media, types.Func:
		t.kind = types.Any
	}
	return t
}

// alias compiles an alias to the target of its type, named by the alias.
// A recursive alias recurs through a list, a map or a class (the compiler
// refuses other cycles), so the target that stands for it while its type
// compiles is only reached through an element or a field, and is filled
// in before coercion reads it.
func (c *targetCompiler) alias(s *types.Type) *target {
	if t, ok := c.aliases[s.Alias]; ok {
		return t
	}
	t := &target{}
	c.aliases[s.Alias] = t
	if s.Alias.Type == nil {
		*t = target{kind: types.Any, name: s.String()}
		return t
	}
	c.filling[t] = nil
	*t = *c.compile(s.Alias.Type)
	t.name = s.String()
	fix := c.filling[t]
	delete(c.filling, t)
	for _, f := range fix {
		f()
	}
	return t
}

// union flattens nested unions and optionals, moves null last and keeps it
// once. A union of one type is that type.
func (c *targetCompiler) union(name string, variants []*types.Type) *target {
	t := &target{kind: types.Union, name: name}
	var add func(v *target)
	add = func(v *target) {
		switch {
		case v.kind == types.Union && len(v.checks) == 0:
			for _, x := range v.variants {
				add(x)
			}
			t.optional = t.optional || v.optional
		case v.kind == types.Null:
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

func (c *targetCompiler) class(cs *types.ClassDecl) *classTarget {
	if ct, ok := c.classes[cs]; ok {
		return ct
	}
	fields := c.overlay.Fields(cs)
	noteDynamic(c, cs, cs.Name, cs.Fields, fields, func(f *types.Field) string { return f.Name })
	ct := &classTarget{name: cs.Name, all: make([]string, len(fields)), done: cs.Stream.Done}
	c.classes[cs] = ct
	for i, f := range fields {
		ct.all[i] = f.Name
		if f.Skip { // @skip: never shown to the model, never read from the reply
			continue
		}
		ft := c.withChecks(c.compile(f.Type), f.Checks)
		ct.fields = append(ct.fields, fieldTarget{name: f.Name, key: f.ShownName(), t: ft, optional: ft.nullable(), stream: f.Stream})
		ct.pos = append(ct.pos, i)
	}
	return ct
}

func (c *targetCompiler) enum(es *types.EnumDecl) *enumTarget {
	values := c.overlay.Values(es)
	noteDynamic(c, es, es.Name, es.Values, values, func(v *types.EnumValue) string { return v.Name })
	et := &enumTarget{name: es.Name}
	for _, v := range values {
		if v.Skip {
			continue
		}
		ev := enumValueTarget{name: v.Name, shown: v.ShownName(), cands: []string{v.ShownName()}}
		if d := strings.TrimSpace(v.Description); d != "" {
			ev.cands = append(ev.cands, d, ev.shown+": "+d)
		}
		et.values = append(et.values, ev)
	}
	return et
}

// nullable reports whether null is a value of t.
func (t *target) nullable() bool {
	return t.kind == types.Null || t.kind == types.Any || t.kind == types.Union && t.optional
}

// stringLike reports whether t reads a whole text rather than a JSON value
// in it: a string, an enum or a string literal.
func (t *target) stringLike() bool {
	switch t.kind {
	case types.String, types.Enum:
		return true
	case types.Literal:
		_, ok := t.literal.(string)
		return ok
	}
	return false
}

func (t *target) composite() bool {
	return t.kind == types.Class || t.kind == types.List || t.kind == types.Map
}

// noteDynamic lists, once per declaration, the members the overlay adds to
// it (all past the declared ones).
func noteDynamic[T any](c *targetCompiler, decl any, name string, declared, all []T, member func(T) string) {
	if len(all) == len(declared) || c.seen[decl] {
		return
	}
	c.seen[decl] = true
	for _, m := range all[len(declared):] {
		c.dynamic = append(c.dynamic, name+"."+member(m))
	}
}
