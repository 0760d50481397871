// compile.go generates bytecode for expression functions and checks their
// statements: the static type of every expression is computed as its code
// is emitted.

package compile

import (
	"math"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// never is the static type of code that does not complete: a block that
// returns, breaks or continues. It fits every type.
var never = &types.Type{Kind: types.Any}

// An fcomp compiles one function body. It tracks the operand stack depth of
// every instruction it emits, so that it knows the frame size and how many
// values a break or continue must discard.
type fcomp struct {
	c        *compiler
	fn       *Func
	file     string
	r        *resolver
	fs       *fscope
	depth    int
	maxDepth int
	loops    []*loop
	temps    int32 // next free temporary slot (above the resolver's slots)
	maxTemps int32
	narrows  []map[*binding]*types.Type // narrowed types of variables, innermost block last
	result   *types.Type                // the declared result; nil while inferring a lambda's
	inferred *types.Type                // the join of the values returned, for a lambda without a result type
}

// A loop records the jumps of the innermost enclosing loop.
type loop struct {
	depth     int   // operand stack depth at the loop head
	continues []int // jumps to patch to the loop's condition
	breaks    []int // jumps to patch to the loop's end
}

// compileFunc compiles a declared expression function or method.
func compileFunc(c *compiler, fn *Func) {
	r := newResolver(c, fn.File)
	r.push()
	for i, p := range fn.Decl.Params {
		b := r.bind(p.Name, fn.Sig.Params[i].Type)
		b.typ = fn.Sig.Params[i].Type
	}
	r.block(fn.Decl.Body)
	r.checkCaptures()
	fc := &fcomp{c: c, fn: fn, file: fn.File, r: r, fs: r.fs, result: fn.Sig.Result}
	fc.body(fn.Decl.Body)
}

// compileGlobal compiles the initializer of a top-level let: its value is
// stored in the global and returned. Globals may read the globals declared
// before them.
func (c *compiler) compileGlobal(g *Global) {
	fn := c.prog.Funcs[g.Init]
	g.state = 1
	r := newResolver(c, fn.File)
	r.push()
	r.expr(g.decl.Let.Value)
	r.checkCaptures()
	fc := &fcomp{c: c, fn: fn, file: fn.File, r: r, fs: r.fs}
	fc.begin()
	t := fc.expr(g.decl.Let.Value)
	if g.decl.Let.Type != nil {
		declared := c.resolveType(fn.File, g.decl.Let.Type)
		fc.assignCheck(t, declared, g.decl.Let.Name.NamePos, "variable '"+g.Name+"' annotated as %[2]s but got %[1]s")
		fc.convert(t, declared, g.decl.Let.Name.NamePos)
		t = declared
	} else {
		t = types.Widen(t)
	}
	g.Type = c.weakOf(t) // a call may change a global's value
	fn.Sig.Result = t
	fc.emit(SETGLOBAL, int32(g.Index), 0, g.Pos)
	fc.emit(RETURN, 0, 0, g.Pos)
	fc.end()
	g.state = 2
}

// compileLambda compiles a lambda's body as a function of its own.
func compileLambda(c *compiler, fn *Func) {
	e := fn.lambda
	outer := fn.outer
	fs := outer.r.lambdas[e]
	fc := &fcomp{c: c, fn: fn, file: fn.File, r: outer.r, fs: fs, result: fn.Sig.Result}
	if e.Result == nil {
		fc.result = nil
	}
	for i, p := range e.Params {
		outer.r.uses[p.Name].typ = fn.Sig.Params[i].Type
	}
	for _, cp := range fs.captures {
		fn.Captures = append(fn.Captures, cp.inner.slot)
	}
	fc.begin()
	if e.Body != nil {
		for _, s := range e.Body.Stmts {
			fc.stmt(s)
		}
		fc.ret(e.Body.Value, e.Body.Rbrace)
	} else {
		fc.ret(e.Value, e.Value.Span())
	}
	fc.end()
	if fc.result == nil {
		fn.Sig.Result = fc.inferred
		if fn.Sig.Result == nil || fn.Sig.Result == never {
			fn.Sig.Result = types.NullType
		}
	}
}

// begin prepares the frame layout once the resolver has run.
func (fc *fcomp) begin() {
	fc.temps, fc.maxTemps = fc.fs.max, fc.fs.max
	fc.narrows = []map[*binding]*types.Type{{}}
}

// end records the frame layout of the compiled function.
func (fc *fcomp) end() {
	fn := fc.fn
	fn.NumLocals = int(fc.maxTemps)
	fn.MaxStack = fc.maxDepth
	fn.Locals = append([]string(nil), fc.fs.names...)
	for i := fc.fs.max; i < fc.maxTemps; i++ {
		fn.Locals = append(fn.Locals, "temp")
	}
}

// body compiles a function's body: its statements, then the return of its
// value.
func (fc *fcomp) body(b *syntax.Block) {
	fc.begin()
	if fc.fn.Traced {
		fc.emit(ENTER, 0, 0, b.Lbrace)
	}
	for _, s := range b.Stmts {
		fc.stmt(s)
	}
	fc.ret(b.Value, b.Rbrace)
	fc.end()
}

func (fc *fcomp) errorf(pos syntax.Pos, format string, args ...any) {
	fc.c.errorf(fc.file, pos, format, args...)
}

// emit appends an instruction and returns its index.
func (fc *fcomp) emit(op Opcode, a, b int32, pos syntax.Pos) int {
	return fc.emitX(op, 0, a, b, 0, pos)
}

// emitX appends an instruction with flags and three operands.
func (fc *fcomp) emitX(op Opcode, x uint8, a, b, c int32, pos syntax.Pos) int {
	in := Insn{Op: op, X: x, A: a, B: b, C: c}
	nfields := 0
	if op == MAKEINST {
		nfields = len(fc.c.prog.Classes[a].Fields)
	}
	fc.grow(stackEffect(in, nfields))
	fc.fn.Code = append(fc.fn.Code, in)
	fc.fn.Positions = append(fc.fn.Positions, pos)
	return len(fc.fn.Code) - 1
}

// grow changes the operand stack depth by n.
func (fc *fcomp) grow(n int) {
	fc.depth += n
	fc.maxDepth = max(fc.maxDepth, fc.depth)
}

func (fc *fcomp) pc() int32 { return int32(len(fc.fn.Code)) }

// setTarget makes the jump at i go to target. A jump backwards closes a
// loop: it gets the Back flag, which makes taking it count as a step.
func (fc *fcomp) setTarget(i int, target int32) {
	fc.fn.Code[i].A = target
	if int(target) <= i {
		fc.fn.Code[i].X |= Back
	}
}

// patch makes the jump at i go to the current pc.
func (fc *fcomp) patch(i int) { fc.setTarget(i, fc.pc()) }

func (fc *fcomp) patchAll(jumps []int) {
	for _, j := range jumps {
		fc.patch(j)
	}
}

// temp returns a temporary slot.
func (fc *fcomp) temp() int32 {
	t := fc.temps
	fc.temps++
	fc.maxTemps = max(fc.maxTemps, fc.temps)
	return t
}

// ---- types ----

// convert emits a run-time check that the value on the stack, of static type
// src, is a member of dst, unless the compiler can prove it.
func (fc *fcomp) convert(src, dst *types.Type, pos syntax.Pos) {
	if !fc.fits(src, dst) {
		fc.emit(CHECKTYPE, fc.c.typeIndex(dst), 0, pos)
	}
}

// fits reports whether every value of static type src is a member of dst
// as it is: the static type is a declared one (not weak), the VM need not
// convert an int to a float, and dst holds no container, whose elements a
// program may have changed since they were checked.
func (fc *fcomp) fits(src, dst *types.Type) bool {
	if src == never {
		return true
	}
	if src == nil || dst == nil || fc.c.isWeak(src) || holdsContainer(dst) {
		return dst == nil || dst.Kind == types.Any
	}
	return types.Assignable(src, dst) == types.Yes && !(dst.ConvertsInt() && src.Underlying().Kind != types.Float)
}

// holdsContainer reports whether t is or may be a list or a map.
func holdsContainer(t *types.Type) bool {
	for _, m := range t.Members() {
		if m.Kind == types.List || m.Kind == types.Map {
			return true
		}
	}
	return false
}

// assignCheck reports an error when no value of type src can be a value of
// dst. msg formats the error with %[1]s the source and %[2]s the target.
func (fc *fcomp) assignCheck(src, dst *types.Type, pos syntax.Pos, msg string, args ...any) bool {
	if src == never || src == nil || dst == nil || types.Assignable(src, dst) != types.No {
		return true
	}
	fc.errorf(pos, "type mismatch: "+msg, append([]any{describeType(src), dst.String()}, args...)...)
	return false
}

// describeType names a static type in a message: a literal shows its
// kind too ("string \"a\"").
func describeType(t *types.Type) string {
	if t.Kind == types.Literal {
		return types.LiteralKind(t.Literal).String() + " " + t.String()
	}
	return t.String()
}

// definite returns t's kind when every value of t has that kind (a
// primitive, a list, a map, a class, an enum, a literal's primitive kind),
// else Any.
func definite(t *types.Type) types.Kind {
	t = t.Underlying()
	if t == nil || t == never {
		return types.Any
	}
	switch t.Kind {
	case types.Literal:
		return types.LiteralKind(t.Literal)
	case types.Union, types.Optional, types.Alias:
		return types.Any
	}
	return t.Kind
}

// join returns the type of a value that is either a or b.
func join(a, b *types.Type) *types.Type {
	switch {
	case a == never:
		return b
	case b == never:
		return a
	}
	return types.Join(a, b)
}

// ---- narrowing ----

// typeOf returns the static type of a variable at this point: narrowed by a
// condition that guards it, or its own.
func (fc *fcomp) typeOf(b *binding) *types.Type {
	for i := len(fc.narrows) - 1; i >= 0; i-- {
		if t, ok := fc.narrows[i][b]; ok {
			if t == nil {
				break
			}
			return t
		}
	}
	if b.typ == nil {
		return types.AnyType
	}
	return b.typ
}

// narrow records, for the rest of the current block, the types facts gives.
func (fc *fcomp) narrow(facts map[*binding]*types.Type) {
	top := fc.narrows[len(fc.narrows)-1]
	for b, t := range facts {
		top[b] = t
	}
}

// unnarrow forgets what conditions said about b, once it is assigned.
func (fc *fcomp) unnarrow(b *binding) {
	fc.narrows[len(fc.narrows)-1][b] = nil
}

func (fc *fcomp) pushNarrow(facts map[*binding]*types.Type) {
	m := map[*binding]*types.Type{}
	for b, t := range facts {
		m[b] = t
	}
	fc.narrows = append(fc.narrows, m)
}

func (fc *fcomp) popNarrow() { fc.narrows = fc.narrows[:len(fc.narrows)-1] }

// facts returns what a condition tells about variables when it is true and
// when it is false: `x != null`, `x == null`, `x instanceof C`, and their
// combinations with !, && and ||.
func (fc *fcomp) facts(e syntax.Expr) (whenTrue, whenFalse map[*binding]*types.Type) {
	switch e := e.(type) {
	case *syntax.UnaryExpr:
		if e.Op == syntax.NOT {
			t, f := fc.facts(e.X)
			return f, t
		}
	case *syntax.BinaryExpr:
		switch e.Op {
		case syntax.EQL, syntax.NEQ:
			return fc.nullFacts(e)
		case syntax.ANDAND:
			t1, _ := fc.facts(e.X)
			t2, _ := fc.facts(e.Y)
			return merge(t1, t2), nil
		case syntax.OROR:
			_, f1 := fc.facts(e.X)
			_, f2 := fc.facts(e.Y)
			return nil, merge(f1, f2)
		}
	case *syntax.InstanceofExpr:
		b := fc.local(e.X)
		cl := fc.c.classes[e.Type.Name]
		if b == nil || cl == nil {
			return nil, nil
		}
		t := fc.typeOf(b)
		var rest []*types.Type
		for _, m := range t.Members() {
			if !(m.Kind == types.Class && m.Class == cl) {
				rest = append(rest, m)
			}
		}
		whenFalse = map[*binding]*types.Type{}
		if len(rest) > 0 {
			whenFalse[b] = fc.c.weakOf(types.UnionOf(rest...))
		}
		return map[*binding]*types.Type{b: fc.c.weakOf(types.ClassOf(cl))}, whenFalse
	}
	return nil, nil
}

func (fc *fcomp) nullFacts(e *syntax.BinaryExpr) (whenTrue, whenFalse map[*binding]*types.Type) {
	x, y := e.X, e.Y
	if isNull(x) {
		x, y = y, x
	}
	b := fc.local(x)
	if b == nil || !isNull(y) {
		return nil, nil
	}
	nonNull := map[*binding]*types.Type{b: fc.c.weakOf(fc.typeOf(b).NonNull())}
	if e.Op == syntax.NEQ {
		return nonNull, nil
	}
	return nil, nonNull
}

func isNull(e syntax.Expr) bool {
	lit, ok := e.(*syntax.Literal)
	return ok && lit.Kind == syntax.NullLit
}

func merge(a, b map[*binding]*types.Type) map[*binding]*types.Type {
	if len(a) == 0 {
		return b
	}
	out := map[*binding]*types.Type{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// ---- returns ----

// ret compiles the return of e's value (null when e is nil).
func (fc *fcomp) ret(e syntax.Expr, pos syntax.Pos) {
	if fc.result != nil {
		if b := fc.local(e); b != nil && fc.fits(fc.typeOf(b), fc.result) {
			if fc.fn.Traced {
				fc.emit(EXIT, b.slot, 1, pos)
			}
			fc.emit(RETURNL, b.slot, 0, pos)
			return
		}
	}
	t := types.NullType
	if e != nil {
		t = fc.exprWant(e, fc.result)
		pos = e.Span()
	} else {
		fc.emit(NULL, 0, 0, pos)
	}
	fc.retValue(t, pos)
}

// retValue compiles the return of the value on the stack, of type t.
func (fc *fcomp) retValue(t *types.Type, pos syntax.Pos) {
	if fc.result == nil {
		fc.inferred = join(fc.inferred, t)
	} else {
		fc.assignCheck(t, fc.result, pos, "function %[3]s returns %[2]s but got %[1]s", fc.fn.Name)
		fc.convert(t, fc.result, pos)
	}
	if fc.fn.Traced {
		fc.emit(EXIT, 0, 0, pos)
	}
	fc.emit(RETURN, 0, 0, pos)
}

// ---- statements ----

// block compiles a block. In value mode it leaves the block's value (null
// without a trailing expression) on the stack and returns its static type;
// in statement mode it returns nil. Either way the type is never when the
// block cannot complete.
func (fc *fcomp) block(b *syntax.Block, value bool) *types.Type {
	fc.pushNarrow(nil)
	defer fc.popNarrow()
	diverged := false
	for _, s := range b.Stmts {
		diverged = fc.stmt(s) || diverged
	}
	var t *types.Type
	switch {
	case !value:
		if b.Value != nil && fc.discard(b.Value) == never {
			diverged = true
		}
	case b.Value == nil:
		fc.emit(NULL, 0, 0, b.Rbrace)
		t = types.NullType
	default:
		t = fc.expr(b.Value)
	}
	if diverged || t == never {
		return never
	}
	return t
}

// stmt compiles a statement, reporting whether it cannot complete (a
// return, break or continue, or an if whose branches all do).
func (fc *fcomp) stmt(s syntax.Stmt) bool {
	switch s := s.(type) {
	case *syntax.LetStmt:
		fc.let(s)
	case *syntax.AssignStmt:
		fc.assign(s)
	case *syntax.ExprStmt:
		return fc.discard(s.X) == never
	case *syntax.ForStmt:
		fc.forStmt(s)
	case *syntax.WhileStmt:
		fc.whileStmt(s)
	case *syntax.BranchStmt:
		fc.branch(s)
		return true
	case *syntax.ReturnStmt:
		fc.ret(s.Value, s.Return)
		return true
	default:
		fc.errorf(s.Span(), "unsupported statement")
	}
	return false
}

func (fc *fcomp) let(s *syntax.LetStmt) {
	b := fc.r.uses[s.Name]
	t := fc.exprWant(s.Value, b.declared)
	switch {
	case b.declared != nil:
		fc.assignCheck(t, b.declared, s.Name.NamePos, "variable '%[3]s' annotated as %[2]s but got %[1]s", s.Name.Name)
		fc.convert(t, b.declared, s.Name.NamePos)
		b.typ = b.declared
	case t == never:
		b.typ = types.AnyType
	case !b.assigned:
		b.typ = types.Widen(t)
		if fc.c.isWeak(t) {
			b.typ = fc.c.weakOf(b.typ)
		}
	default:
		b.typ = fc.c.weakOf(inferredVar(t))
	}
	fc.unnarrow(b)
	fc.emit(SETLOCAL, b.slot, 0, s.Name.NamePos)
}

// inferredVar is the type of a reassigned variable without a declared
// type: its initializer's, widened, or any when the initializer (null, an
// empty list or map) says too little.
func inferredVar(t *types.Type) *types.Type {
	t = types.Widen(t)
	switch u := t.Underlying(); {
	case u.Kind == types.Null:
		return types.AnyType
	case u.Kind == types.List && u.Elem.Kind == types.Any:
		return types.ListOf(types.AnyType)
	case u.Kind == types.Map && u.Elem.Kind == types.Any:
		return types.MapOf(types.StringType, types.AnyType)
	}
	return t
}

// binops maps a compound assignment to its operator.
var binops = map[syntax.Token]syntax.Token{
	syntax.PLUS_EQ: syntax.PLUS, syntax.MINUS_EQ: syntax.MINUS, syntax.STAR_EQ: syntax.STAR,
	syntax.SLASH_EQ: syntax.SLASH, syntax.PCT_EQ: syntax.PERCENT,
}

func (fc *fcomp) assign(s *syntax.AssignStmt) {
	op, compound := binops[s.Op]
	if s.Op != syntax.EQ && !compound {
		fc.errorf(s.OpPos, "unsupported assignment operator %s", s.Op)
		return
	}
	switch t := s.Target.(type) {
	case *syntax.Ident:
		fc.assignLocal(s, t, op, compound)
	case *syntax.DotExpr:
		fc.assignField(s, t, op, compound)
	case *syntax.IndexExpr:
		fc.assignIndex(s, t, op, compound)
	default:
		fc.errorf(s.Target.Span(), "cannot assign to this expression")
	}
}

func (fc *fcomp) assignLocal(s *syntax.AssignStmt, id *syntax.Ident, op syntax.Token, compound bool) {
	b := fc.r.uses[id]
	if b == nil {
		if fc.r.globals[id] != nil {
			fc.errorf(id.NamePos, "cannot assign to %s: top-level lets are constants", id.Name)
		} else {
			fc.errorf(id.NamePos, "undefined: %s", id.Name)
		}
		fc.discard(s.Value)
		return
	}
	dst := b.declared
	if dst == nil {
		dst = types.AnyType
	}
	numeric := dst.Kind == types.Any || dst.Kind == types.Int || dst.Kind == types.Float
	if compound && (op == syntax.PLUS || op == syntax.MINUS) && numeric && definite(fc.typeOf(b)) != types.String {
		if n, ok := smallInt(s.Value); ok {
			if op == syntax.MINUS {
				n = -n
			}
			fc.unnarrow(b)
			fc.emit(INCR, b.slot, n, s.OpPos)
			return
		}
	}
	if src := fc.local(s.Value); compound && op == syntax.PLUS && src != nil &&
		(dst.Kind == types.Any || fc.fits(fc.arithType(op, fc.typeOf(b), fc.typeOf(src)), dst)) {
		fc.arithCheck(op, fc.typeOf(b), fc.typeOf(src), s.OpPos)
		fc.unnarrow(b)
		fc.emit(ADDTO, b.slot, src.slot, s.OpPos)
		return
	}
	var t *types.Type
	if compound {
		fc.emit(LOCAL, b.slot, 0, id.NamePos)
		t = fc.arith(op, fc.typeOf(b), fc.expr(s.Value), s.OpPos)
	} else {
		t = fc.exprWant(s.Value, b.declared)
	}
	target := b.declared
	if target == nil {
		target = b.typ
	}
	fc.assignCheck(t, target, s.OpPos, "cannot assign %[1]s to %[3]s (%[2]s)", id.Name)
	fc.convert(t, dst, s.OpPos)
	fc.unnarrow(b)
	fc.emit(SETLOCAL, b.slot, 0, s.OpPos)
}

func (fc *fcomp) assignField(s *syntax.AssignStmt, d *syntax.DotExpr, op syntax.Token, compound bool) {
	get, set, a, b, ft := fc.fieldAccess(d, fc.expr(d.X))
	var t *types.Type
	if compound {
		fc.emit(DUP, 0, 0, d.Name.NamePos)
		fc.emit(get, a, b, d.Name.NamePos)
		t = fc.arith(op, ft, fc.expr(s.Value), s.OpPos)
	} else {
		t = fc.expr(s.Value)
	}
	fc.assignCheck(t, ft, s.OpPos, "cannot assign %[1]s to field %[3]s (%[2]s)", d.Name.Name)
	fc.emit(set, a, b, d.Name.NamePos)
}

func (fc *fcomp) assignIndex(s *syntax.AssignStmt, ix *syntax.IndexExpr, op syntax.Token, compound bool) {
	xt := fc.expr(ix.X)
	elem := fc.indexType(xt, fc.expr(ix.Index), ix)
	var t *types.Type
	if compound {
		fc.emit(DUP2, 0, 0, ix.Lbrack)
		fc.emit(INDEX, 0, 0, ix.Lbrack)
		t = fc.arith(op, elem, fc.expr(s.Value), s.OpPos)
	} else {
		t = fc.expr(s.Value)
	}
	if definite(xt) == types.String {
		fc.errorf(ix.Lbrack, "cannot assign to a character of a string (strings are immutable)")
	}
	fc.assignCheck(t, elem, s.OpPos, "cannot assign %[1]s to an element of type %[2]s")
	fc.emit(SETINDEX, 0, 0, ix.Lbrack)
}

// forStmt compiles a for loop with its test at the bottom:
//
//	iterprep; jmp next; top: setlocal x; body; next: iternext top
func (fc *fcomp) forStmt(s *syntax.ForStmt) {
	t := fc.expr(s.Iter)
	slot := fc.r.iters[s]
	fc.emit(ITERPREP, slot, 0, s.Iter.Span())
	v := fc.r.uses[s.Var]
	u := t.Underlying()
	switch {
	case u.Kind == types.List:
		v.typ = fc.c.weakOf(u.Elem)
	case u.Kind == types.Map:
		v.typ = fc.c.weakOf(mapKeyType(u.Key))
	case definite(u) != types.Any:
		fc.errorf(s.Iter.Span(), "cannot iterate over %s (want a list or a map)", u)
		v.typ = types.AnyType
	default:
		v.typ = types.AnyType
	}
	if v.assigned {
		v.typ = fc.c.weakOf(v.typ)
	}
	lp := &loop{depth: fc.depth}
	skip := fc.emit(JMP, 0, 0, s.For)
	top := fc.pc()
	fc.grow(1) // iternext pushed the element
	fc.emit(SETLOCAL, v.slot, 0, s.Var.NamePos)
	fc.loopBody(lp, s.Body)
	fc.patch(skip)
	fc.patchAll(lp.continues)
	fc.setTarget(fc.emitX(ITERNEXT, 0, 0, slot, 0, s.For), top)
	fc.patchAll(lp.breaks)
}

// whileStmt compiles a while loop with its test at the bottom:
//
//	jmp test; top: body; test: if cond goto top
func (fc *fcomp) whileStmt(s *syntax.WhileStmt) {
	lp := &loop{depth: fc.depth}
	skip := fc.emit(JMP, 0, 0, s.While)
	top := fc.pc()
	whenTrue, _ := fc.facts(s.Cond)
	fc.pushNarrow(whenTrue)
	fc.loopBody(lp, s.Body)
	fc.popNarrow()
	fc.patch(skip)
	fc.patchAll(lp.continues)
	for _, j := range fc.condTrue(s.Cond) {
		fc.setTarget(j, top)
	}
	fc.patchAll(lp.breaks)
}

func (fc *fcomp) loopBody(lp *loop, body *syntax.Block) {
	fc.loops = append(fc.loops, lp)
	fc.block(body, false)
	fc.loops = fc.loops[:len(fc.loops)-1]
}

func (fc *fcomp) branch(s *syntax.BranchStmt) {
	if len(fc.loops) == 0 {
		fc.errorf(s.TokPos, "%s outside a loop", s.Token)
		return
	}
	lp := fc.loops[len(fc.loops)-1]
	depth := fc.depth
	if n := fc.depth - lp.depth; n > 0 {
		fc.emit(POPN, int32(n), 0, s.TokPos)
	}
	if s.Token == syntax.CONTINUE {
		lp.continues = append(lp.continues, fc.emit(JMP, 0, 0, s.TokPos))
	} else {
		lp.breaks = append(lp.breaks, fc.emit(JMP, 0, 0, s.TokPos))
	}
	fc.depth = depth // the code after a jump is unreachable
}

// discard compiles e for its effects only, returning never when e cannot
// complete.
func (fc *fcomp) discard(e syntax.Expr) *types.Type {
	switch e := e.(type) {
	case *syntax.IfExpr:
		return fc.ifExpr(e, false)
	case *syntax.BlockExpr:
		return fc.block(e.Block, false)
	default:
		t := fc.expr(e)
		fc.emit(POP, 0, 0, e.Span())
		return t
	}
}

// ---- conditions ----

// cmpCodes maps comparisons to the JCMP codes (the order of LT..NEQ).
var cmpCodes = map[syntax.Token]uint8{
	syntax.LT: 0, syntax.LE: 1, syntax.GT: 2, syntax.GE: 3, syntax.EQL: 4, syntax.NEQ: 5,
}

// cond compiles a condition and returns the jumps taken when it is false.
func (fc *fcomp) cond(e syntax.Expr) []int {
	switch e := e.(type) {
	case *syntax.BinaryExpr:
		if code, ok := cmpCodes[e.Op]; ok {
			return []int{fc.cmpJump(e, code)}
		}
		switch e.Op {
		case syntax.ANDAND:
			falses := fc.cond(e.X)
			whenTrue, _ := fc.facts(e.X)
			fc.pushNarrow(whenTrue)
			falses = append(falses, fc.cond(e.Y)...)
			fc.popNarrow()
			return falses
		case syntax.OROR:
			trues := fc.condTrue(e.X)
			_, whenFalse := fc.facts(e.X)
			fc.pushNarrow(whenFalse)
			falses := fc.cond(e.Y)
			fc.popNarrow()
			fc.patchAll(trues)
			return falses
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.NOT {
			return fc.condTrue(e.X)
		}
	}
	fc.boolExpr(e)
	return []int{fc.emit(JMPF, 0, 0, e.Span())}
}

// condTrue compiles a condition and returns the jumps taken when it is true.
func (fc *fcomp) condTrue(e syntax.Expr) []int {
	switch e := e.(type) {
	case *syntax.BinaryExpr:
		if code, ok := cmpCodes[e.Op]; ok {
			return []int{fc.cmpJump(e, code|JumpIfTrue)}
		}
		switch e.Op {
		case syntax.OROR:
			trues := fc.condTrue(e.X)
			_, whenFalse := fc.facts(e.X)
			fc.pushNarrow(whenFalse)
			trues = append(trues, fc.condTrue(e.Y)...)
			fc.popNarrow()
			return trues
		case syntax.ANDAND:
			falses := fc.cond(e.X)
			whenTrue, _ := fc.facts(e.X)
			fc.pushNarrow(whenTrue)
			trues := fc.condTrue(e.Y)
			fc.popNarrow()
			fc.patchAll(falses)
			return trues
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.NOT {
			return fc.cond(e.X)
		}
	}
	fc.boolExpr(e)
	return []int{fc.emit(JMPT, 0, 0, e.Span())}
}

// boolExpr compiles a condition's value, reporting a value that cannot be
// a bool (conditions are never "truthy").
func (fc *fcomp) boolExpr(e syntax.Expr) {
	t := fc.expr(e)
	if k := definite(t); k != types.Any && k != types.Bool {
		fc.errorf(e.Span(), "condition must be bool, got %s", describeType(t))
	}
}

// cmpJump compiles a comparison as a conditional jump (x is its JCMP code
// and JumpIfTrue flag), fusing the operand loads when they are a local and
// an int literal, or two locals.
func (fc *fcomp) cmpJump(e *syntax.BinaryExpr, x uint8) int {
	if b := fc.local(e.X); b != nil {
		if n, ok := smallInt(e.Y); ok {
			fc.arithCheck(e.Op, fc.typeOf(b), types.IntType, e.OpPos)
			return fc.emitX(JCMPLI, x, 0, b.slot, n, e.OpPos)
		}
		if y := fc.local(e.Y); y != nil {
			fc.arithCheck(e.Op, fc.typeOf(b), fc.typeOf(y), e.OpPos)
			return fc.emitX(JCMPLL, x, 0, b.slot, y.slot, e.OpPos)
		}
	}
	tx := fc.expr(e.X)
	ty := fc.expr(e.Y)
	fc.arithCheck(e.Op, tx, ty, e.OpPos)
	return fc.emitX(JCMP, x, 0, 0, 0, e.OpPos)
}

// local returns the binding of e when e names a local variable.
func (fc *fcomp) local(e syntax.Expr) *binding {
	if id, ok := e.(*syntax.Ident); ok {
		return fc.r.uses[id]
	}
	return nil
}

// ---- expressions ----

// expr compiles e, leaving its value on the stack, and returns its static type.
func (fc *fcomp) expr(e syntax.Expr) *types.Type {
	switch e := e.(type) {
	case *syntax.Literal:
		return fc.literal(e)
	case *syntax.Ident:
		return fc.ident(e)
	case *syntax.ListExpr:
		return fc.list(e)
	case *syntax.MapExpr:
		return fc.mapExpr(e)
	case *syntax.ClassLit:
		return fc.classLit(e)
	case *syntax.DotExpr:
		return fc.dot(e)
	case *syntax.IndexExpr:
		return fc.index(e)
	case *syntax.CallExpr:
		return fc.call(e)
	case *syntax.UnaryExpr:
		return fc.unary(e)
	case *syntax.BinaryExpr:
		return fc.binary(e)
	case *syntax.InstanceofExpr:
		return fc.instanceof(e)
	case *syntax.IfExpr:
		return fc.ifExpr(e, true)
	case *syntax.BlockExpr:
		return fc.block(e.Block, true)
	case *syntax.LambdaExpr:
		return fc.lambda(e, nil)
	}
	fc.errorf(e.Span(), "unsupported expression")
	fc.emit(NULL, 0, 0, e.Span())
	return types.AnyType
}

// exprWant compiles e where a value of type want is expected: a lambda
// takes the parameter types of an expected function type.
func (fc *fcomp) exprWant(e syntax.Expr, want *types.Type) *types.Type {
	if want == nil {
		return fc.expr(e)
	}
	u := want.Underlying()
	switch e := e.(type) {
	case *syntax.LambdaExpr:
		if u.Kind == types.Func {
			return fc.lambda(e, u.Func)
		}
	case *syntax.MapExpr:
		if u.Kind == types.Map && u.Key.Underlying().Kind != types.String {
			return fc.keyedMap(e, u)
		}
	}
	return fc.expr(e)
}

// keyedMap compiles a map literal where a map keyed by an enum or by string
// literals is expected: each key must be one of the key type's values.
func (fc *fcomp) keyedMap(e *syntax.MapExpr, want *types.Type) *types.Type {
	t := fc.mapExpr(e)
	for _, m := range e.Entries {
		if !keyAllowed(want.Key, m.Key) {
			fc.errorf(m.KeyPos, "%q is not a key of %s", m.Key, want)
		}
	}
	return types.MapOf(want.Key, t.Elem)
}

// keyAllowed reports whether the map key k is a value of the key type t.
func keyAllowed(t *types.Type, k string) bool {
	for _, m := range t.Members() {
		switch {
		case m.Kind == types.String, m.Kind == types.Any:
			return true
		case m.Kind == types.Enum && m.Enum.ValueIndex(k) >= 0:
			return true
		case m.Kind == types.Literal && m.Literal == k:
			return true
		}
	}
	return false
}

func (fc *fcomp) literal(e *syntax.Literal) *types.Type {
	switch v := e.Value.(type) {
	case int64:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			fc.emit(INT, int32(v), 0, e.ValuePos)
		} else {
			fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		}
		return types.LiteralOf(v)
	case float64:
		fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		return types.LiteralOf(v)
	case string:
		fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		return types.LiteralOf(v)
	case bool:
		if v {
			fc.emit(TRUE, 0, 0, e.ValuePos)
		} else {
			fc.emit(FALSE, 0, 0, e.ValuePos)
		}
		return types.LiteralOf(v)
	case nil:
		fc.emit(NULL, 0, 0, e.ValuePos)
		return types.NullType
	}
	fc.errorf(e.ValuePos, "bad literal %s", e.Raw)
	fc.emit(NULL, 0, 0, e.ValuePos)
	return types.AnyType
}

// smallInt reports whether e is an int literal (possibly negated) that fits an operand.
func smallInt(e syntax.Expr) (int32, bool) {
	neg := false
	if u, ok := e.(*syntax.UnaryExpr); ok && u.Op == syntax.MINUS {
		neg, e = true, u.X
	}
	lit, ok := e.(*syntax.Literal)
	if !ok {
		return 0, false
	}
	v, ok := lit.Value.(int64)
	if neg {
		v = -v
	}
	if !ok || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

func (fc *fcomp) ident(e *syntax.Ident) *types.Type {
	if b := fc.r.uses[e]; b != nil {
		fc.emit(LOCAL, b.slot, 0, e.NamePos)
		return fc.typeOf(b)
	}
	if g := fc.r.globals[e]; g != nil {
		return fc.global(g, e)
	}
	if idx, ok := fc.c.funcs[e.Name]; ok {
		fn := fc.c.prog.Funcs[idx]
		fc.emit(FUNC, int32(idx), 0, e.NamePos)
		return types.FuncOf(fn.Sig)
	}
	switch {
	case fc.c.enums[e.Name] != nil:
		fc.errorf(e.NamePos, "enum %s is not a value (write %s.Variant)", e.Name, e.Name)
	case fc.c.classes[e.Name] != nil:
		fc.errorf(e.NamePos, "class %s is not a value (write %s { field: value })", e.Name, e.Name)
	default:
		fc.errorf(e.NamePos, "undefined: %s", e.Name)
	}
	fc.emit(NULL, 0, 0, e.NamePos)
	return types.AnyType
}

// global compiles a read of a top-level let.
func (fc *fcomp) global(g *Global, e *syntax.Ident) *types.Type {
	if fc.fn.Global != nil && g.state != 2 {
		if g == fc.fn.Global {
			fc.errorf(e.NamePos, "%s is used in its own initializer", g.Name)
		} else {
			fc.errorf(e.NamePos, "%s is used before its declaration (a top-level let may read only the lets above it)", g.Name)
		}
	}
	fc.emit(GLOBAL, int32(g.Index), int32(g.Init), e.NamePos)
	return g.Type
}

func (fc *fcomp) list(e *syntax.ListExpr) *types.Type {
	var elem *types.Type
	for _, x := range e.Elems {
		elem = join(elem, types.Widen(fc.expr(x)))
	}
	fc.emit(MAKELIST, int32(len(e.Elems)), 0, e.Lbrack)
	if elem == nil || elem == never {
		return types.ListOf(types.AnyType)
	}
	return types.ListOf(elem)
}

func (fc *fcomp) mapExpr(e *syntax.MapExpr) *types.Type {
	seen := map[string]bool{}
	var elem *types.Type
	for _, m := range e.Entries {
		if seen[m.Key] {
			fc.errorf(m.KeyPos, "duplicate key %q in map literal", m.Key)
		}
		seen[m.Key] = true
		fc.emit(CONST, fc.c.constant(m.Key), 0, m.KeyPos)
		elem = join(elem, types.Widen(fc.expr(m.Value)))
	}
	fc.emit(MAKEMAP, int32(len(e.Entries)), 0, e.Lbrace)
	if elem == nil || elem == never {
		elem = types.AnyType
	}
	return types.MapOf(types.StringType, elem)
}

func (fc *fcomp) classLit(e *syntax.ClassLit) *types.Type {
	cl := fc.c.classes[e.Name.Name]
	if cl == nil {
		fc.errorf(e.Name.NamePos, "unknown class %s", e.Name.Name)
		if e.Spread != nil {
			fc.discard(e.Spread)
		}
		for _, m := range e.Fields {
			fc.discard(m.Value)
		}
		fc.emit(NULL, 0, 0, e.Name.NamePos)
		return types.AnyType
	}
	given := make([]*syntax.MapEntry, len(cl.Fields))
	inOrder, last := e.Spread == nil, -1
	for _, m := range e.Fields {
		i := cl.FieldIndex(m.Key)
		switch {
		case i < 0:
			fc.errorf(m.KeyPos, "class %s has no field %s", cl.Name, m.Key)
			continue
		case given[i] != nil:
			fc.errorf(m.KeyPos, "field %s given twice", m.Key)
			continue
		}
		given[i] = m
		inOrder = inOrder && i > last
		last = i
	}
	if e.Spread == nil {
		for i, f := range cl.Fields {
			if given[i] == nil && !f.Type.Nullable() {
				fc.errorf(e.Name.NamePos, "missing field %s in %s literal", f.Name, cl.Name)
			}
		}
	}
	checked := fc.fieldValues(cl, e, given, inOrder)
	fc.emit(MAKEINST, fc.c.classIndex(cl), checked, e.Name.NamePos)
	return types.ClassOf(cl)
}

// fieldValues pushes the field values of a class literal in declaration
// order, evaluating them in source order (a spread first). It returns 1 when
// every value is statically known to fit its field (MAKEINST may skip the
// checks).
func (fc *fcomp) fieldValues(cl *types.ClassDecl, e *syntax.ClassLit, given []*syntax.MapEntry, inOrder bool) int32 {
	ts := make([]*types.Type, len(cl.Fields))
	slots := make([]int32, len(cl.Fields))
	mark := fc.temps
	defer func() { fc.temps = mark }()
	spread := int32(-1)
	if e.Spread != nil {
		st := fc.expr(e.Spread)
		if u := st.Underlying(); definite(u) != types.Any && !(u.Kind == types.Class && u.Class == cl) {
			fc.errorf(e.SpreadPos, "cannot spread %s into a %s literal", describeType(st), cl.Name)
		}
		spread = fc.temp()
		fc.emit(SETLOCAL, spread, 0, e.SpreadPos)
	}
	if !inOrder {
		for _, m := range e.Fields {
			if i := cl.FieldIndex(m.Key); i >= 0 && given[i] == m {
				ts[i] = fc.exprWant(m.Value, cl.Fields[i].Type)
				slots[i] = fc.temp()
				fc.emit(SETLOCAL, slots[i], 0, m.KeyPos)
			}
		}
	}
	proven := int32(1)
	for i, f := range cl.Fields {
		switch {
		case given[i] == nil && spread >= 0:
			fc.emit(LOCAL, spread, 0, e.SpreadPos)
			fc.emit(FIELD, int32(i), fc.c.classIndex(cl), e.SpreadPos)
			ts[i] = f.Type
		case given[i] == nil:
			fc.emit(NULL, 0, 0, e.Name.NamePos)
			ts[i] = types.NullType
		case inOrder:
			ts[i] = fc.exprWant(given[i].Value, f.Type)
		default:
			fc.emit(LOCAL, slots[i], 0, given[i].KeyPos)
		}
		if given[i] != nil {
			fc.assignCheck(ts[i], f.Type, given[i].KeyPos, "%[3]s.%[4]s expected type %[2]s, but found %[1]s", cl.Name, f.Name)
		}
		if !fc.fits(ts[i], f.Type) {
			proven = 0
		}
	}
	return proven
}

// fieldAccess resolves x.name given x's static type. It returns the get and
// set instructions and their operands (FIELD/SETFIELD with a field and
// class index when the class is known, else ATTR/SETATTR with a name
// index) and the field's static type.
func (fc *fcomp) fieldAccess(d *syntax.DotExpr, t *types.Type) (get, set Opcode, a, b int32, ft *types.Type) {
	nn := t.NonNull().Underlying()
	switch {
	case nn.Kind == types.Class:
		if i := nn.Class.FieldIndex(d.Name.Name); i >= 0 {
			ft = nn.Class.Fields[i].Type
			if fc.c.isWeak(nn) || fc.c.isWeak(t) {
				ft = fc.c.weakOf(ft)
			}
			return FIELD, SETFIELD, int32(i), fc.c.classIndex(nn.Class), ft
		}
		fc.errorf(d.Name.NamePos, "class %s has no field %s", nn.Class.Name, d.Name.Name)
	case nn.Kind == types.Union:
		ft = fc.unionField(d, nn)
	case definite(nn) != types.Any && !fc.c.isWeak(nn):
		fc.errorf(d.Name.NamePos, "%s has no field %s", kindName(nn), d.Name.Name)
	}
	if ft == nil {
		ft = types.AnyType
	}
	return ATTR, SETATTR, fc.c.name(d.Name.Name), 0, ft
}

// unionField types a field read on a union: every member must be a class
// with that field.
func (fc *fcomp) unionField(d *syntax.DotExpr, u *types.Type) *types.Type {
	var ft *types.Type
	for _, m := range u.Members() {
		switch {
		case m.Kind == types.Any:
			return nil
		case m.Kind == types.Null:
		case m.Kind == types.Class && m.Class.FieldIndex(d.Name.Name) >= 0:
			ft = join(ft, m.Class.Field(d.Name.Name).Type)
		default:
			fc.errorf(d.Name.NamePos, "not all members of %s have a field %s", u, d.Name.Name)
			return nil
		}
	}
	return fc.c.weakOf(ft)
}

// kindName names a type's kind in messages about fields and methods.
func kindName(t *types.Type) string {
	switch t.Kind {
	case types.List:
		return "list"
	case types.Map:
		return "map"
	case types.Literal:
		return types.LiteralKind(t.Literal).String()
	case types.Enum:
		return "enum " + t.Enum.Name
	case types.Class:
		return "class " + t.Class.Name
	}
	return t.Kind.String()
}

func (fc *fcomp) dot(e *syntax.DotExpr) *types.Type {
	if id, ok := e.X.(*syntax.Ident); ok && fc.r.uses[id] == nil && fc.r.globals[id] == nil {
		if en := fc.c.enums[id.Name]; en != nil {
			i := en.ValueIndex(e.Name.Name)
			if i < 0 {
				fc.errorf(e.Name.NamePos, "enum %s has no value %s", en.Name, e.Name.Name)
				i = 0
			}
			fc.emit(CONST, fc.c.constant(EnumConst{en, i}), 0, id.NamePos)
			return types.EnumOf(en)
		}
	}
	t := fc.expr(e.X)
	get, _, a, b, ft := fc.fieldAccess(e, t)
	fc.emit(get, a, b, e.Name.NamePos)
	return ft
}

func (fc *fcomp) index(e *syntax.IndexExpr) *types.Type {
	t := fc.expr(e.X)
	it := fc.expr(e.Index)
	fc.emit(INDEX, 0, 0, e.Lbrack)
	return fc.indexType(t, it, e)
}

// indexType checks an index of a value of type t by a value of type it, and
// returns the element's type.
func (fc *fcomp) indexType(t, it *types.Type, e *syntax.IndexExpr) *types.Type {
	u := t.Underlying()
	switch k := definite(u); {
	case k == types.List || k == types.String:
		if k := definite(it); k != types.Any && k != types.Int {
			fc.errorf(e.Lbrack, "%s index must be int, got %s", kindName(u), describeType(it))
		}
		if k == types.String {
			if fc.c.isWeak(u) {
				return types.AnyType
			}
			return types.StringType
		}
		return fc.c.weakOf(u.Elem)
	case u.Kind == types.Map:
		fc.assignCheck(it, u.Key, e.Lbrack, "map key must be %[2]s, got %[1]s")
		return fc.c.weakOf(u.Elem)
	case definite(u) != types.Any && !fc.c.isWeak(u):
		fc.errorf(e.Lbrack, "cannot index %s", kindName(u))
	}
	return types.AnyType
}

func (fc *fcomp) unary(e *syntax.UnaryExpr) *types.Type {
	switch e.Op {
	case syntax.MINUS:
		if lit, ok := e.X.(*syntax.Literal); ok {
			switch v := lit.Value.(type) {
			case int64:
				return fc.literal(&syntax.Literal{ValuePos: e.OpPos, Kind: syntax.IntLit, Value: -v})
			case float64:
				return fc.literal(&syntax.Literal{ValuePos: e.OpPos, Kind: syntax.FloatLit, Value: -v})
			}
		}
		t := fc.expr(e.X)
		fc.emit(NEG, 0, 0, e.OpPos)
		switch k := definite(t); {
		case k == types.Int || k == types.Float:
			if fc.c.isWeak(t) {
				return fc.c.weakOf(types.Widen(t))
			}
			return types.Widen(t)
		case k != types.Any:
			fc.errorf(e.OpPos, "cannot negate %s", describeType(t))
		}
		return types.AnyType
	case syntax.NOT:
		t := fc.expr(e.X)
		if k := definite(t); k != types.Any && k != types.Bool {
			fc.errorf(e.OpPos, "operand of ! must be bool, got %s", describeType(t))
		}
		fc.emit(NOT, 0, 0, e.OpPos)
		return types.BoolType
	}
	fc.errorf(e.OpPos, "unsupported unary operator %s", e.Op)
	return fc.expr(e.X)
}

var binaryOps = map[syntax.Token]Opcode{
	syntax.PLUS: ADD, syntax.MINUS: SUB, syntax.STAR: MUL, syntax.SLASH: DIV, syntax.PERCENT: MOD,
	syntax.EQL: EQL, syntax.NEQ: NEQ, syntax.LT: LT, syntax.LE: LE, syntax.GT: GT, syntax.GE: GE,
}

func (fc *fcomp) binary(e *syntax.BinaryExpr) *types.Type {
	switch e.Op {
	case syntax.ANDAND, syntax.OROR:
		falses := fc.cond(e)
		fc.emit(TRUE, 0, 0, e.OpPos)
		end := fc.emit(JMP, 0, 0, e.OpPos)
		fc.depth--
		fc.patchAll(falses)
		fc.emit(FALSE, 0, 0, e.OpPos)
		fc.patch(end)
		return types.BoolType
	}
	if t, ok := fc.fused(e); ok {
		return t
	}
	x := fc.expr(e.X)
	y := fc.expr(e.Y)
	return fc.arith(e.Op, x, y, e.OpPos)
}

// fused compiles local+local, local+int and local-int with one instruction.
func (fc *fcomp) fused(e *syntax.BinaryExpr) (*types.Type, bool) {
	id, ok := e.X.(*syntax.Ident)
	if !ok || fc.r.uses[id] == nil || (e.Op != syntax.PLUS && e.Op != syntax.MINUS) {
		return nil, false
	}
	x := fc.r.uses[id]
	if n, ok := smallInt(e.Y); ok {
		op := ADDLI
		if e.Op == syntax.MINUS {
			op = SUBLI
		}
		fc.arithCheck(e.Op, fc.typeOf(x), types.IntType, e.OpPos)
		fc.emit(op, x.slot, n, e.OpPos)
		return fc.arithType(e.Op, fc.typeOf(x), types.IntType), true
	}
	if yid, ok := e.Y.(*syntax.Ident); ok && fc.r.uses[yid] != nil && e.Op == syntax.PLUS {
		y := fc.r.uses[yid]
		fc.arithCheck(e.Op, fc.typeOf(x), fc.typeOf(y), e.OpPos)
		fc.emit(ADDLL, x.slot, y.slot, e.OpPos)
		return fc.arithType(e.Op, fc.typeOf(x), fc.typeOf(y)), true
	}
	return nil, false
}

// binop emits the instruction for a binary operator.
func (fc *fcomp) binop(op syntax.Token, pos syntax.Pos) {
	code, ok := binaryOps[op]
	if !ok {
		fc.errorf(pos, "unsupported binary operator %s", op)
		code = ADD
	}
	fc.emit(code, 0, 0, pos)
}

// arith emits a binary operator and returns the static type of its result.
func (fc *fcomp) arith(op syntax.Token, x, y *types.Type, pos syntax.Pos) *types.Type {
	fc.arithCheck(op, x, y, pos)
	fc.binop(op, pos)
	return fc.arithType(op, x, y)
}

// arithCheck reports an operator applied to operands it can never take:
// arithmetic needs numbers (+ also two strings), ordering two numbers or
// two strings. == and != compare any values.
func (fc *fcomp) arithCheck(op syntax.Token, x, y *types.Type, pos syntax.Pos) {
	kx, ky := definite(x), definite(y)
	if kx == types.Any || ky == types.Any || op == syntax.EQL || op == syntax.NEQ {
		return
	}
	num := func(k types.Kind) bool { return k == types.Int || k == types.Float }
	ok := num(kx) && num(ky)
	switch op {
	case syntax.PLUS, syntax.LT, syntax.LE, syntax.GT, syntax.GE:
		ok = ok || kx == types.String && ky == types.String
	}
	if !ok {
		fc.errorf(pos, "invalid binary operation (%s) on %s and %s", op, kindName(x.Underlying()), kindName(y.Underlying()))
	}
}

// arithType is the static type of x op y: int for two ints, float for two
// numbers, string for two strings added, bool for comparisons; weak when an
// operand's type is.
func (fc *fcomp) arithType(op syntax.Token, x, y *types.Type) *types.Type {
	t := arithType(op, x, y)
	if fc.c.isWeak(x) || fc.c.isWeak(y) {
		return fc.c.weakOf(t)
	}
	return t
}

func arithType(op syntax.Token, x, y *types.Type) *types.Type {
	switch op {
	case syntax.EQL, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE:
		return types.BoolType
	}
	kx, ky := definite(x), definite(y)
	switch {
	case kx == types.Any || ky == types.Any:
		return types.AnyType
	case kx == types.Int && ky == types.Int:
		return types.IntType
	case (kx == types.Int || kx == types.Float) && (ky == types.Int || ky == types.Float):
		return types.FloatType
	case kx == types.String && ky == types.String && op == syntax.PLUS:
		return types.StringType
	}
	return types.AnyType
}

// ifExpr compiles an if expression; in value mode it leaves the value of the
// branch taken (null when none is) on the stack. A branch that cannot
// complete (it returns, say) narrows the variables for the code after the
// if, as the other branch's condition does.
func (fc *fcomp) ifExpr(e *syntax.IfExpr, value bool) *types.Type {
	whenTrue, whenFalse := fc.facts(e.Cond)
	falses := fc.cond(e.Cond)
	fc.pushNarrow(whenTrue)
	t := fc.block(e.Then, value)
	fc.popNarrow()
	if e.Else == nil && !value {
		fc.patchAll(falses)
		if t == never {
			fc.narrow(whenFalse)
		}
		return nil
	}
	end := fc.emit(JMP, 0, 0, e.Then.Rbrace)
	if value {
		fc.depth--
	}
	fc.patchAll(falses)
	fc.pushNarrow(whenFalse)
	var u *types.Type = types.NullType
	switch {
	case e.Else == nil:
		fc.emit(NULL, 0, 0, e.If)
	case value:
		u = fc.expr(e.Else)
	default:
		u = fc.discard(e.Else)
	}
	fc.popNarrow()
	fc.patch(end)
	switch {
	case t == never && u == never:
		return never
	case t == never && e.Else != nil:
		fc.narrow(whenFalse)
	case u == never:
		fc.narrow(whenTrue)
	}
	if !value {
		return nil
	}
	if (t != nil && fc.c.isWeak(t)) || (u != nil && fc.c.isWeak(u)) {
		return fc.c.weakOf(join(t, u))
	}
	return join(t, u)
}

// instanceof compiles `x instanceof C`.
func (fc *fcomp) instanceof(e *syntax.InstanceofExpr) *types.Type {
	fc.expr(e.X)
	cl := fc.c.classes[e.Type.Name]
	if cl == nil {
		fc.errorf(e.Type.NamePos, "instanceof needs a class, and %s is not one", e.Type.Name)
		fc.emit(POP, 0, 0, e.OpPos)
		fc.emit(FALSE, 0, 0, e.OpPos)
		return types.BoolType
	}
	fc.emit(INSTANCEOF, fc.c.classIndex(cl), 0, e.OpPos)
	return types.BoolType
}

// lambda compiles a lambda as a function of its own and pushes a function
// value holding copies of the variables it captures. want, when set, is
// the signature the context expects, which types the parameters written
// without a type.
func (fc *fcomp) lambda(e *syntax.LambdaExpr, want *types.Signature) *types.Type {
	fn := &Func{Name: fc.fn.Name + ".lambda", Kind: FuncExpr, File: fc.file, Pos: e.Lparen,
		lambda: e, outer: fc, Sig: &types.Signature{Result: types.AnyType}}
	if want != nil && len(want.Params) != len(e.Params) {
		fc.errorf(e.Lparen, "lambda takes %d parameters, but %s is expected", len(e.Params), want)
		want = nil
	}
	for i, p := range e.Params {
		t := fc.r.uses[p.Name].declared
		switch {
		case t == nil && want != nil:
			t = want.Params[i].Type
		case t == nil:
			t = types.AnyType
		}
		fn.Sig.Params = append(fn.Sig.Params, &types.Param{Name: p.Name.Name, Type: t})
	}
	if e.Result != nil {
		fn.Sig.Result = fc.c.resolveType(fc.file, e.Result)
	}
	fs := fc.r.lambdas[e]
	for _, cp := range fs.captures {
		cp.inner.typ = fc.typeOf(cp.outer)
	}
	idx := fc.c.addHidden(fn)
	compileLambda(fc.c, fn)
	for _, cp := range fs.captures {
		fc.emit(LOCAL, cp.outer.slot, 0, e.Lparen)
	}
	fc.emit(MAKEFUNC, int32(idx), int32(len(fs.captures)), e.Lparen)
	return types.FuncOf(fn.Sig)
}
