// check.go holds the VM's check plans: the declared types of package types
// compiled into the form the boundary checks run fast on.

package vm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bexrun/bex/internal/memo"
	"github.com/bexrun/bex/runtime/types"
)

// A plan is the VM's private form of a types.Type for membership checks:
// flat types (whose membership depends on a value's kind alone) keep a mask
// of the kinds they accept, and the others their sub-plans. Plans are built
// once, when a program is linked, and shared by all calls.
type plan struct {
	t        *types.Type // for messages
	kind     types.Kind  // the kind of t with aliases resolved
	mask     kindMask    // for flat types: the value kinds accepted, with maskFlat set
	elem     *plan       // list element, map value, optional operand
	variants []*plan
	class    *types.ClassDecl
	enum     *types.EnumDecl
	lit      Value
}

// A kindMask is a set of value kinds plus flags.
type kindMask uint16

const (
	maskFlat  kindMask = 1 << 15 // the mask decides membership alone
	maskFloat kindMask = 1 << 14 // an int is converted to float
)

// allKinds is the set of every value kind.
const allKinds kindMask = 1<<(KindFunc+1) - 1

// anyPlan accepts every value.
var anyPlan = &plan{t: types.AnyType, kind: types.Any, mask: maskFlat | allKinds}

// A planner builds plans, sharing one plan per alias so that recursive
// aliases make finite plans.
type planner struct {
	aliases map[*types.AliasDecl]*plan
	built   map[*types.Type]*plan
}

func newPlanner() *planner {
	return &planner{aliases: map[*types.AliasDecl]*plan{}, built: map[*types.Type]*plan{}}
}

// planOf returns the plan of t (nil means any) for the boundaries that get
// a type with each call (FromGo of a Value, Check): from a cache, as a type
// does not change once declared and the same ones recur from call to call.
func planOf(t *types.Type) *plan {
	if t == nil || t.Kind == types.Any {
		return anyPlan
	}
	return typePlans.Get(t)
}

// typePlans caches planOf's plans by type; types past the first
// maxTypePlans are planned at each use.
var typePlans = memo.New(maxTypePlans, func(t *types.Type) *plan { return newPlanner().planFor(t) })

const maxTypePlans = 4096

// planFor returns the plan of t (nil means any).
func (pl *planner) planFor(t *types.Type) *plan {
	if t == nil || t.Kind == types.Any {
		return anyPlan
	}
	if p, ok := pl.built[t]; ok {
		return p
	}
	if t.Kind == types.Alias {
		if p, ok := pl.aliases[t.Alias]; ok {
			return p
		}
		p := &plan{t: t}
		pl.aliases[t.Alias] = p
		*p = *pl.planFor(t.Alias.Type) // a recursive alias refers back to p itself
		p.t = t
		return p
	}
	p := &plan{t: t, kind: t.Kind, class: t.Class, enum: t.Enum}
	pl.built[t] = p
	switch t.Kind {
	case types.List, types.Optional, types.Map:
		p.elem = pl.planFor(t.Elem)
	case types.Union:
		for _, v := range t.Variants {
			p.variants = append(p.variants, pl.planFor(v))
		}
	case types.Literal:
		p.lit = literalValue(t.Literal)
	}
	p.mask = flatMask(p)
	if t.ConvertsInt() {
		p.mask |= maskFloat
	}
	return p
}

// literalValue converts a literal type's value to a Value.
func literalValue(v any) Value {
	switch x := v.(type) {
	case int64:
		return Int(x)
	case float64:
		return Float(x)
	case string:
		return String(x)
	case bool:
		return Bool(x)
	}
	return Null
}

// flatMask returns the value kinds accepted by a plan whose membership
// depends on the kind alone (with maskFlat set), or 0.
func flatMask(p *plan) kindMask {
	switch p.kind {
	case types.Any:
		return anyPlan.mask
	case types.Int:
		return maskFlat | 1<<KindInt
	case types.Float:
		return maskFlat | 1<<KindInt | 1<<KindFloat
	case types.String:
		return maskFlat | 1<<KindString
	case types.Bool:
		return maskFlat | 1<<KindBool
	case types.Null:
		return maskFlat | 1<<KindNull
	case types.Func:
		return maskFlat | 1<<KindFunc
	case types.Optional:
		if m := p.elem.mask; m&maskFlat != 0 {
			return m&^maskFloat | 1<<KindNull
		}
	case types.Union:
		m := maskFlat
		for _, v := range p.variants {
			if v.mask&maskFlat == 0 {
				return 0
			}
			m |= v.mask &^ maskFloat
		}
		return m
	}
	return 0
}

// ---- checks ----

// A typeError is a boundary type mismatch; path names where in the value it is.
type typeError struct {
	path []string // outermost first
	want *types.Type
	got  Value
}

func (e *typeError) Error() string {
	return pathText(e.path, false) + fmt.Sprintf("want %s, got %s", e.want, describe(e.got, e.want))
}

// ErrorSummary is Error without the map keys of the path and the value
// (see vmspan.ErrorSummary).
func (e *typeError) ErrorSummary() string {
	return pathText(e.path, true) + fmt.Sprintf("want %s, got %s", e.want, e.got.TypeName())
}

// pathText returns the elements of path, outermost first, each followed
// by ": "; brief leaves out map keys ("key \"x\"" becomes "key"), which are
// the program's data.
func pathText(path []string, brief bool) string {
	var b strings.Builder
	for _, p := range path {
		if brief && strings.HasPrefix(p, "key ") {
			p = "key"
		}
		b.WriteString(p + ": ")
	}
	return b.String()
}

// describe names a value's type, showing the value itself where the wanted
// type is made of literals (so "got \"c\"" rather than "got string").
func describe(v Value, want *types.Type) string {
	if hasLiteral(want) && v.k >= KindBool && v.k <= KindString {
		var b strings.Builder
		v.write(&b)
		return v.k.String() + " " + b.String()
	}
	return v.TypeName()
}

// hasLiteral reports whether a literal type is a member of t.
func hasLiteral(t *types.Type) bool {
	for _, m := range t.Members() {
		if m.Kind == types.Literal {
			return true
		}
	}
	return false
}

func (e *typeError) within(p string) *typeError {
	e.path = append([]string{p}, e.path...)
	return e
}

// Check reports whether v is a value of type t. The error names the path to
// the mismatch, such as "field priority: want int, got string". An int is a
// value of float.
func Check(v Value, t *types.Type) error {
	if err := check(v, planOf(t)); err != nil {
		return err
	}
	return nil
}

// takesKind reports whether a plan whose mask decides membership alone
// (maskFlat) takes values of kind k.
func (p *plan) takesKind(k Kind) bool { return p.mask&(1<<k) != 0 }

// check is Check with a plan and a concrete error type (nil means no error).
func check(v Value, p *plan) *typeError { return checkDepth(v, p, 0) }

func checkDepth(v Value, p *plan, depth int) *typeError {
	if p.mask&maskFlat != 0 {
		if p.takesKind(v.k) {
			return nil
		}
		return &typeError{want: p.t, got: v}
	}
	if depth > maxNesting {
		return &typeError{want: p.t, got: v}
	}
	switch p.kind {
	case types.Optional:
		if v.k == KindNull {
			return nil
		}
		if err := checkDepth(v, p.elem, depth+1); err != nil {
			err.want = p.t
			return err
		}
		return nil
	case types.Union:
		return checkUnion(v, p, depth)
	case types.List:
		return checkList(v, p, depth)
	case types.Map:
		return checkMap(v, p, depth)
	}
	if !member(v, p) {
		return &typeError{want: p.t, got: v}
	}
	return nil
}

// member decides membership for the plans that hold no other plans.
func member(v Value, p *plan) bool {
	switch p.kind {
	case types.Class:
		return v.k == KindInstance && v.instance().class == p.class
	case types.Enum:
		return v.k == KindEnum && v.enum() == p.enum
	case types.Literal:
		return v.k == p.lit.k && Equal(v, p.lit)
	case types.Media:
		return v.k == KindMedia && v.Media().Kind == p.t.Underlying().Media.String()
	}
	return false
}

func checkUnion(v Value, p *plan, depth int) *typeError {
	var first *typeError
	for _, u := range p.variants {
		err := checkDepth(v, u, depth+1)
		if err == nil {
			return nil
		}
		if first == nil && len(err.path) > 0 {
			first = err // a deep mismatch in a matching container says more
		}
	}
	if first != nil && isContainer(v) {
		return first
	}
	return &typeError{want: p.t, got: v}
}

func isContainer(v Value) bool { return v.k == KindList || v.k == KindMap }

func checkList(v Value, p *plan, depth int) *typeError {
	if v.k != KindList {
		return &typeError{want: p.t, got: v}
	}
	for i, e := range v.list().elems {
		if err := checkDepth(e, p.elem, depth+1); err != nil {
			return err.within("element " + strconv.Itoa(i))
		}
	}
	return nil
}

func checkMap(v Value, p *plan, depth int) *typeError {
	if v.k != KindMap {
		return &typeError{want: p.t, got: v}
	}
	m := v.mapv()
	for i, e := range m.vals {
		if err := checkDepth(e, p.elem, depth+1); err != nil {
			return err.within("key " + strconv.Quote(m.keys[i]))
		}
	}
	return nil
}

// coerce checks v against p at a call boundary and converts an int to a
// float where p expects a float at its top level (float, float?, or a
// union with float but not int). Elements of containers are checked, not
// converted.
func coerce(v Value, p *plan) (Value, *typeError) {
	if v.k == KindInt && p.mask&maskFloat != 0 {
		return Float(float64(int64(v.n))), nil
	}
	if err := check(v, p); err != nil {
		return v, err
	}
	return v, nil
}
