// call.go compiles calls: of functions by name, of built-in and class
// methods, of the baml standard library, and of function values.

package compile

import (
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

func (fc *fcomp) call(e *syntax.CallExpr) *types.Type {
	switch fn := e.Fn.(type) {
	case *syntax.Ident:
		if fc.r.uses[fn] == nil && fc.r.globals[fn] == nil {
			return fc.callFunc(e, fn)
		}
	case *syntax.DotExpr:
		if path, ok := qualified(fn); ok && fc.isNamespace(path) {
			return fc.callStd(e, path, fn)
		}
		return fc.callMethod(e, fn)
	}
	return fc.callOn(e, fc.expr(e.Fn))
}

// qualified returns the dotted name of a.b.c, when e is one.
func qualified(e syntax.Expr) (string, bool) {
	switch e := e.(type) {
	case *syntax.Ident:
		return e.Name, true
	case *syntax.DotExpr:
		p, ok := qualified(e.X)
		return p + "." + e.Name.Name, ok
	}
	return "", false
}

// isNamespace reports whether a qualified call names the standard library
// (baml.*, env.*) rather than a method of a variable.
func (fc *fcomp) isNamespace(path string) bool {
	root, _, _ := strings.Cut(path, ".")
	if root != "baml" && root != "env" {
		return false
	}
	for id := range fc.r.uses {
		if id.Name == root {
			return false // a variable named baml or env: its methods
		}
	}
	return fc.c.globals[root] == nil
}

func (fc *fcomp) callFunc(e *syntax.CallExpr, id *syntax.Ident) *types.Type {
	idx, ok := fc.c.funcs[id.Name]
	if !ok {
		if b, ok := builtins[id.Name]; ok {
			return fc.callBuiltin(e, id.Name, id.NamePos, b, e.Args)
		}
		fc.errorf(id.NamePos, "undefined function %s", id.Name)
		return fc.badCall(e)
	}
	callee := fc.c.prog.Funcs[idx]
	return fc.callIndex(e, callee, int32(idx), id.Name, id.NamePos, nil)
}

// callIndex compiles a call of prog.Funcs[idx]. recv, when set, is a
// method's receiver, already on the stack and passed as the first argument.
func (fc *fcomp) callIndex(e *syntax.CallExpr, callee *Func, idx int32, name string, pos syntax.Pos, recv *types.Type) *types.Type {
	params := callee.Sig.Params
	if recv != nil {
		params = params[1:]
	}
	if !fc.arity(e, name, len(params), callee.Sig.Variadic) {
		if recv != nil {
			fc.emit(POP, 0, 0, pos)
		}
		return fc.badCall(e)
	}
	proven := recv == nil || fc.fits(recv, callee.Sig.Params[0].Type)
	for i, a := range e.Args {
		p := params[min(i, len(params)-1)]
		t := fc.exprWant(a, p.Type)
		fc.assignCheck(t, p.Type, a.Span(), "argument %[3]s of %[4]s must be %[2]s, got %[1]s", p.Name, name)
		proven = proven && fc.fits(t, p.Type)
	}
	n := int32(len(e.Args))
	if recv != nil {
		n++
	}
	op := CALL
	if proven {
		op = CALLNC
	}
	fc.emit(op, idx, n, pos)
	return callee.Sig.Result
}

// arity checks a call's argument count, reporting a mismatch.
func (fc *fcomp) arity(e *syntax.CallExpr, name string, n int, variadic bool) bool {
	if len(e.Args) == n || variadic && len(e.Args) >= n-1 {
		return true
	}
	fc.errorf(e.Lparen, "%s takes %s, got %d", name, plural(n, variadic), len(e.Args))
	return false
}

func plural(n int, variadic bool) string {
	switch {
	case variadic:
		return strconv.Itoa(n-1) + " or more arguments"
	case n == 1:
		return "1 argument"
	}
	return strconv.Itoa(n) + " arguments"
}

// badCall compiles the arguments of a call that is already an error.
func (fc *fcomp) badCall(e *syntax.CallExpr) *types.Type {
	for _, a := range e.Args {
		fc.discard(a)
	}
	fc.emit(NULL, 0, 0, e.Lparen)
	return types.AnyType
}

func (fc *fcomp) callBuiltin(e *syntax.CallExpr, name string, pos syntax.Pos, b builtin, args []syntax.Expr) *types.Type {
	if len(args) < b.sig.Min || len(args) > b.sig.Max {
		fc.errorf(e.Lparen, "%s takes %s, got %d", name, arity(b.sig.Min, b.sig.Max), len(args))
		return fc.badCall(e)
	}
	ts := make([]*types.Type, len(args))
	for i, a := range args {
		ts[i] = fc.expr(a)
	}
	fc.emit(BUILTIN, int32(b.id), int32(len(args)), pos)
	return b.sig.result(fc.c, ts)
}

func arity(lo, hi int) string {
	if lo == hi {
		return plural(lo, false)
	}
	return strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + " arguments"
}

// callStd compiles a call of the baml standard library: baml.Array.length(xs)
// calls the method length on its first argument.
func (fc *fcomp) callStd(e *syntax.CallExpr, path string, fn *syntax.DotExpr) *types.Type {
	sf, ok := stdlib[path]
	switch {
	case !ok:
		fc.errorf(fn.Name.NamePos, "unknown function %s in the baml standard library", path)
		return fc.badCall(e)
	case sf.method == MethodUnknown:
		return fc.callBuiltin(e, path, fn.Name.NamePos, sf.fn, e.Args)
	case len(e.Args) == 0:
		fc.errorf(e.Lparen, "%s takes the %s as its first argument", path, sf.recv)
		return fc.badCall(e)
	}
	recv := fc.expr(e.Args[0])
	if k := definite(recv); k != types.Any && k != sf.recv && !fc.c.isWeak(recv) {
		fc.errorf(e.Args[0].Span(), "%s takes a %s, got %s", path, sf.recv, describeType(recv))
	}
	sig := Methods[sf.recv][sf.method]
	rest := e.Args[1:]
	return fc.builtinMethod(e, recv, sf.recv, sf.method, sig, fn.Name.Name, fn.Name.NamePos, rest, path)
}

// callMethod compiles x.name(args): a class method (with the receiver as
// its self), a built-in method of x's type, or a call of a field holding a
// function.
func (fc *fcomp) callMethod(e *syntax.CallExpr, d *syntax.DotExpr) *types.Type {
	if id, ok := d.X.(*syntax.Ident); ok && fc.r.uses[id] == nil && fc.r.globals[id] == nil {
		if kind, ok := mediaKinds[id.Name]; ok {
			return fc.mediaConstructor(e, d, id, kind)
		}
		if fc.c.enums[id.Name] != nil {
			fc.errorf(d.Name.NamePos, "enum %s has no method '%s' (methods apply to its values)", id.Name, d.Name.Name)
			return fc.badCall(e)
		}
		if cl := fc.c.classes[id.Name]; cl != nil {
			return fc.callStatic(e, cl, d)
		}
	}
	recv := fc.expr(d.X)
	u := recv.NonNull().Underlying()
	if u.Kind != types.Class {
		return fc.callBuiltinMethod(e, d, recv)
	}
	cl := u.Class
	if m := cl.Method(d.Name.Name); m != nil {
		if !m.Self {
			fc.errorf(d.Name.NamePos, "%s.%s has no self parameter: call it as %s.%s(...)", cl.Name, m.Name, cl.Name, m.Name)
			fc.emit(POP, 0, 0, d.Name.NamePos)
			return fc.badCall(e)
		}
		idx := fc.c.funcs[m.Func]
		return fc.callIndex(e, fc.c.prog.Funcs[idx], int32(idx), cl.Name+"."+m.Name, d.Name.NamePos, recv)
	}
	if cl.FieldIndex(d.Name.Name) < 0 {
		fc.errorf(d.Name.NamePos, "class %s has no method '%s'", cl.Name, d.Name.Name)
		return fc.methodCode(e, d.Name.Name, d.Name.NamePos, e.Args, types.AnyType)
	}
	get, _, a, b, ft := fc.fieldAccess(d, recv)
	fc.emit(get, a, b, d.Name.NamePos)
	return fc.callOn(e, ft)
}

// mediaConstructor compiles image.from_url(...) and its kin: the media
// kind goes first, as a constant, then the arguments.
func (fc *fcomp) mediaConstructor(e *syntax.CallExpr, d *syntax.DotExpr, id *syntax.Ident, kind types.MediaKind) *types.Type {
	m, ok := mediaConstructors[d.Name.Name]
	if !ok {
		fc.errorf(d.Name.NamePos, "%s has no method '%s' (want from_url or from_base64)", id.Name, d.Name.Name)
		return fc.badCall(e)
	}
	if len(e.Args) < m.min || len(e.Args) > m.max {
		fc.errorf(e.Lparen, "%s.%s takes %s, got %d", id.Name, d.Name.Name, arity(m.min, m.max), len(e.Args))
		return fc.badCall(e)
	}
	fc.emit(CONST, fc.c.constant(id.Name), 0, id.NamePos)
	for i, a := range e.Args {
		fc.assignCheck(fc.expr(a), types.StringType, a.Span(), "argument %[3]d of %[4]s must be %[2]s, got %[1]s", i+1, id.Name+"."+d.Name.Name)
	}
	fc.emit(BUILTIN, int32(m.id), int32(len(e.Args)+1), d.Name.NamePos)
	return types.MediaOf(kind)
}

// callStatic compiles Class.method(args), a method without self.
func (fc *fcomp) callStatic(e *syntax.CallExpr, cl *types.ClassDecl, d *syntax.DotExpr) *types.Type {
	m := cl.Method(d.Name.Name)
	switch {
	case m == nil:
		fc.errorf(d.Name.NamePos, "class %s has no method %s", cl.Name, d.Name.Name)
		return fc.badCall(e)
	case m.Self:
		fc.errorf(d.Name.NamePos, "%s.%s takes self: call it on an instance", cl.Name, m.Name)
		return fc.badCall(e)
	}
	idx := fc.c.funcs[m.Func]
	return fc.callIndex(e, fc.c.prog.Funcs[idx], int32(idx), cl.Name+"."+m.Name, d.Name.NamePos, nil)
}

// callBuiltinMethod compiles a built-in method call on a receiver of static
// type recv (already on the stack).
func (fc *fcomp) callBuiltinMethod(e *syntax.CallExpr, d *syntax.DotExpr, recv *types.Type) *types.Type {
	nn := recv.NonNull().Underlying()
	id := LookupMethod(d.Name.Name)
	kind := definite(nn)
	if kind == types.Any || nn.Kind == types.Union {
		return fc.methodCode(e, d.Name.Name, d.Name.NamePos, e.Args, types.AnyType)
	}
	sig, ok := Methods[kind][id]
	if !ok {
		if !fc.c.isWeak(nn) {
			fc.errorf(d.Name.NamePos, "%s has no method '%s'", kindName(nn), d.Name.Name)
		}
		return fc.methodCode(e, d.Name.Name, d.Name.NamePos, e.Args, types.AnyType)
	}
	return fc.builtinMethod(e, nn, kind, id, sig, d.Name.Name, d.Name.NamePos, e.Args, kindName(nn)+"."+d.Name.Name)
}

// builtinMethod checks and compiles a built-in method call whose receiver,
// of type recv and kind kind, is on the stack.
func (fc *fcomp) builtinMethod(e *syntax.CallExpr, recv *types.Type, kind types.Kind, id MethodID, sig MethodSig,
	name string, pos syntax.Pos, args []syntax.Expr, shown string) *types.Type {
	weak := fc.c.isWeak(recv)
	if len(args) < sig.Min || len(args) > sig.Max {
		if !weak {
			fc.errorf(e.Lparen, "%s takes %s, got %d", shown, arity(sig.Min, sig.Max), len(args))
		}
		return fc.methodCode(e, name, pos, args, types.AnyType)
	}
	u := recv.Underlying()
	if kind == types.Literal || u.Kind == types.Literal {
		u = types.Widen(u)
	}
	var want []*types.Type
	if sig.args != nil && u.Kind == kind {
		want = sig.args(fc.c, u)
	}
	for i, a := range args {
		t := fc.expr(a)
		if i < len(want) && want[i] != nil && !weak {
			fc.assignCheck(t, want[i], a.Span(), "argument %[3]d of %[4]s must be %[2]s, got %[1]s", i+1, shown)
		}
	}
	fc.emit(METHOD, fc.c.name(name), int32(len(args)), pos)
	if u.Kind != kind {
		return types.AnyType
	}
	res := sig.result(fc.c, u)
	if weak {
		return fc.c.weakOf(res)
	}
	return res
}

// methodCode emits a method call resolved at run time.
func (fc *fcomp) methodCode(e *syntax.CallExpr, name string, pos syntax.Pos, args []syntax.Expr, res *types.Type) *types.Type {
	for _, a := range args {
		fc.expr(a)
	}
	fc.emit(METHOD, fc.c.name(name), int32(len(args)), pos)
	return res
}

// callOn compiles a call of a function value, of static type ft, already
// on the stack: a variable, a field or any expression whose value is a
// function.
func (fc *fcomp) callOn(e *syntax.CallExpr, ft *types.Type) *types.Type {
	u := ft.Underlying()
	if u.Kind != types.Func {
		if k := definite(u); k != types.Any {
			fc.errorf(e.Fn.Span(), "cannot call %s (a %s, not a function)", exprName(e.Fn), describeType(ft))
		}
		for _, a := range e.Args {
			fc.expr(a)
		}
		fc.emit(CALLV, 0, int32(len(e.Args)), e.Lparen)
		return types.AnyType
	}
	sig := u.Func
	if fc.arity(e, exprName(e.Fn), len(sig.Params), sig.Variadic) {
		for i, a := range e.Args {
			p := sig.Params[min(i, len(sig.Params)-1)]
			t := fc.exprWant(a, p.Type)
			fc.assignCheck(t, p.Type, a.Span(), "argument %[3]d of %[4]s must be %[2]s, got %[1]s", i+1, exprName(e.Fn))
		}
	} else {
		for _, a := range e.Args {
			fc.expr(a)
		}
	}
	fc.emit(CALLV, 0, int32(len(e.Args)), e.Lparen)
	if fc.c.isWeak(ft) {
		return fc.c.weakOf(sig.Result)
	}
	return sig.Result
}

// exprName names the callee of a call in messages.
func exprName(e syntax.Expr) string {
	if p, ok := qualified(e); ok {
		return p
	}
	return "this expression"
}
