// assign.go holds the relations between types: assignability, identity and
// the join of two types.

package types

// An Answer is the three-valued answer to "is every value of this type a
// value of that one?".
type Answer uint8

// The answers, ordered: No < Maybe < Yes.
const (
	No    Answer = iota // no value of the source type is a value of the target
	Maybe               // some are: a run-time check decides
	Yes                 // every one is (an int counts as a float)
)

// Assignable reports whether every value of type src is a value of type
// dst (Yes), none is (No), or only some are (Maybe: a value of type any,
// a union with some members that fit, a string where a string literal is
// expected). An int is assignable to float: the VM converts it.
func Assignable(src, dst *Type) Answer { return assignable(src, dst, 0) }

// maxDepth bounds the recursion through recursive aliases.
const maxDepth = 64

func assignable(src, dst *Type, depth int) Answer {
	if depth > maxDepth {
		return Maybe
	}
	src, dst = src.Underlying(), dst.Underlying()
	if dst == nil || dst.Kind == Any {
		return Yes
	}
	if src == nil || src.Kind == Any {
		return Maybe
	}
	if src == dst {
		return Yes
	}
	if isUnionLike(src) || isUnionLike(dst) {
		return assignMembers(src.Members(), dst.Members(), depth)
	}
	return assignSimple(src, dst, depth)
}

func isUnionLike(t *Type) bool { return t.Kind == Union || t.Kind == Optional }

// assignMembers decides assignability member by member: Yes when every
// source member fits some target member, No when none can.
func assignMembers(srcs, dsts []*Type, depth int) Answer {
	all, some := true, false
	for _, s := range srcs {
		best := No
		for _, d := range dsts {
			if s.Kind == Any || d.Kind == Any {
				best = max(best, Maybe)
				if d.Kind == Any {
					best = Yes
				}
				continue
			}
			best = max(best, assignSimple(s, d, depth+1))
			if best == Yes {
				break
			}
		}
		all = all && best == Yes
		some = some || best != No
	}
	switch {
	case all:
		return Yes
	case some:
		return Maybe
	}
	return No
}

// assignSimple decides assignability between two types that are not unions,
// optionals or aliases.
func assignSimple(src, dst *Type, depth int) Answer {
	if src.Kind == Any || dst.Kind == Any {
		return Maybe
	}
	if isUnionLike(src) || isUnionLike(dst) || src.Kind == Alias || dst.Kind == Alias {
		return assignable(src, dst, depth+1)
	}
	switch dst.Kind {
	case Int, String, Bool, Null:
		if src.Kind == dst.Kind || src.Kind == Literal && LiteralKind(src.Literal) == dst.Kind {
			return Yes
		}
	case Float:
		if src.Kind == Float || src.Kind == Int {
			return Yes
		}
		if src.Kind == Literal && (LiteralKind(src.Literal) == Int || LiteralKind(src.Literal) == Float) {
			return Yes
		}
	case Media:
		if src.Kind == Media && src.Media == dst.Media {
			return Yes
		}
	case Literal:
		switch {
		case src.Kind == Literal && literalEqual(src.Literal, dst.Literal):
			return Yes
		case src.Kind == Literal:
			return No
		case src.Kind == LiteralKind(dst.Literal):
			return Maybe
		}
	case List:
		if src.Kind == List {
			return assignable(src.Elem, dst.Elem, depth+1)
		}
	case Map:
		if src.Kind == Map {
			return min(assignable(src.Key, dst.Key, depth+1), assignable(src.Elem, dst.Elem, depth+1))
		}
	case Class:
		if src.Kind == Class && src.Class == dst.Class {
			return Yes
		}
	case Enum:
		if src.Kind == Enum && src.Enum == dst.Enum {
			return Yes
		}
	case Func:
		if src.Kind == Func {
			return assignFunc(src.Func, dst.Func, depth)
		}
	}
	return No
}

// literalEqual compares literal values; an int literal equals a float
// literal of the same value only when both are written as the same kind.
func literalEqual(a, b any) bool { return a == b }

// assignFunc: a function fits a function type when it takes at least the
// parameters the type promises (contravariance) and returns what it
// promises.
func assignFunc(src, dst *Signature, depth int) Answer {
	if len(src.Params) != len(dst.Params) || src.Variadic != dst.Variadic {
		return No
	}
	ans := assignable(src.Result, dst.Result, depth+1)
	for i := range src.Params {
		ans = min(ans, assignable(dst.Params[i].Type, src.Params[i].Type, depth+1))
	}
	return ans
}

// Identical reports whether a and b are the same type (aliases are the same
// only as themselves).
func Identical(a, b *Type) bool { return identical(a, b, 0) }

func identical(a, b *Type, depth int) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Kind != b.Kind || depth > maxDepth {
		return false
	}
	switch a.Kind {
	case List, Optional:
		return identical(a.Elem, b.Elem, depth+1)
	case Map:
		return identical(a.Key, b.Key, depth+1) && identical(a.Elem, b.Elem, depth+1)
	case Union:
		if len(a.Variants) != len(b.Variants) {
			return false
		}
		for i := range a.Variants {
			if !identical(a.Variants[i], b.Variants[i], depth+1) {
				return false
			}
		}
		return true
	case Class:
		return a.Class == b.Class
	case Enum:
		return a.Enum == b.Enum
	case Alias:
		return a.Alias == b.Alias
	case Literal:
		return literalEqual(a.Literal, b.Literal)
	case Media:
		return a.Media == b.Media
	case Func:
		if len(a.Func.Params) != len(b.Func.Params) || !identical(a.Func.Result, b.Func.Result, depth+1) {
			return false
		}
		for i := range a.Func.Params {
			if !identical(a.Func.Params[i].Type, b.Func.Params[i].Type, depth+1) {
				return false
			}
		}
		return true
	}
	return true
}

// Join returns the smallest type the checker knows that holds the values of
// both a and b: one of them when it holds the other, else their union
// (flattened, without repeated members). Literal types join with their
// primitive kind to that kind (1 and 2 join to int).
func Join(a, b *Type) *Type {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.Kind == Any || b.Kind == Any:
		return AnyType
	case Assignable(b, a) == Yes && !(a.Kind == Float && b.Kind != Float):
		return a
	case Assignable(a, b) == Yes && !(b.Kind == Float && a.Kind != Float):
		return b
	}
	var members []*Type
	for _, t := range append(a.Members(), b.Members()...) {
		members = addMember(members, t)
	}
	if len(members) > 8 {
		return AnyType // a union this wide guides nothing; stay quiet and check at run time
	}
	return UnionOf(members...)
}

// addMember adds t to a union's members unless a member holds it already.
func addMember(members []*Type, t *Type) []*Type {
	for i, m := range members {
		if Identical(m, t) {
			return members
		}
		if t.Kind == Literal && m.Kind == LiteralKind(t.Literal) {
			return members
		}
		if m.Kind == Literal && t.Kind == LiteralKind(m.Literal) {
			members[i] = t
			return members
		}
	}
	return append(members, t)
}

// Widen returns t with literal types replaced by their primitive kinds: the
// type a variable initialized with a literal takes.
func Widen(t *Type) *Type {
	if t == nil {
		return nil
	}
	switch t.Kind {
	case Literal:
		switch LiteralKind(t.Literal) {
		case Int:
			return IntType
		case Float:
			return FloatType
		case String:
			return StringType
		case Bool:
			return BoolType
		}
	case List:
		if e := Widen(t.Elem); e != t.Elem {
			return ListOf(e)
		}
	case Map:
		if e := Widen(t.Elem); e != t.Elem {
			return MapOf(t.Key, e)
		}
	case Union:
		var ms []*Type
		changed := false
		for _, v := range t.Variants {
			w := Widen(v)
			changed = changed || w != v
			ms = addMember(ms, w)
		}
		if changed {
			return UnionOf(ms...)
		}
	}
	return t
}
