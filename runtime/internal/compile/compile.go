// compile.go generates bytecode for expression functions.

package compile

import (
	"math"

	"github.com/bexrun/bex/runtime/syntax"
)

// An fcomp compiles one function body. It tracks the operand stack depth of
// every instruction it emits, so that it knows the frame size and how many
// values a break or continue must discard.
type fcomp struct {
	c        *compiler
	fn       *Func
	file     string
	r        *resolver
	depth    int
	maxDepth int
	loops    []*loop
	temps    int32 // next free temporary slot (above the resolver's slots)
	maxTemps int32
}

// A loop records the jumps of the innermost enclosing loop.
type loop struct {
	depth     int   // operand stack depth at the loop head
	continues []int // jumps to patch to the loop's condition
	breaks    []int // jumps to patch to the loop's end
}

func compileFunc(c *compiler, fn *Func) {
	fc := &fcomp{c: c, fn: fn, file: fn.File}
	r := newResolver(c, fn.File)
	r.push()
	for i, p := range fn.Decl.Params {
		b := r.bind(p.Name, fn.Params[i].Type)
		b.typ = fn.Params[i].Type
	}
	r.block(fn.Decl.Body)
	fc.r = r
	fc.temps, fc.maxTemps = r.max, r.max
	if fn.Traced {
		fc.emit(ENTER, 0, 0, fn.Decl.Body.Lbrace)
	}
	for _, s := range fn.Decl.Body.Stmts {
		fc.stmt(s)
	}
	fc.ret(fn.Decl.Body.Value, fn.Decl.Body.Rbrace)
	fn.NumLocals = int(fc.maxTemps)
	fn.MaxStack = fc.maxDepth
	fn.Locals = r.names
	for i := r.max; i < fc.maxTemps; i++ {
		fn.Locals = append(fn.Locals, "temp")
	}
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

// temp returns a temporary slot; release frees the temporaries above mark.
func (fc *fcomp) temp() int32 {
	t := fc.temps
	fc.temps++
	fc.maxTemps = max(fc.maxTemps, fc.temps)
	return t
}

// convert emits a run-time check that the value on the stack, of static type
// src, is a member of dst, unless the compiler can prove it.
func (fc *fcomp) convert(src, dst *Type, pos syntax.Pos) {
	if !fits(src, dst) {
		fc.emit(CHECKTYPE, fc.c.typeIndex(dst), 0, pos)
	}
}

// fits reports whether every value of static type src is a member of dst
// as it is (an int is converted where a float is expected, so it never fits).
func fits(src, dst *Type) bool {
	return assignable(src, dst) == yes && !(acceptsFloat(dst) && src.Kind != TFloat)
}

// ret compiles the return of e's value (null when e is nil).
func (fc *fcomp) ret(e syntax.Expr, pos syntax.Pos) {
	if b := fc.local(e); b != nil && fits(orAny(b.typ), fc.fn.Result) {
		if fc.fn.Traced {
			fc.emit(EXIT, b.slot, 1, pos)
		}
		fc.emit(RETURNL, b.slot, 0, pos)
		return
	}
	var t *Type = NullType
	if e != nil {
		t = fc.expr(e)
	} else {
		fc.emit(NULL, 0, 0, pos)
	}
	fc.convert(t, fc.fn.Result, pos)
	if fc.fn.Traced {
		fc.emit(EXIT, 0, 0, pos)
	}
	fc.emit(RETURN, 0, 0, pos)
}

// acceptsFloat reports whether an int value of type t would be converted to a float.
func acceptsFloat(t *Type) bool {
	switch t.Kind {
	case TFloat:
		return true
	case TOptional:
		return acceptsFloat(t.Elem)
	case TUnion:
		float := false
		for _, v := range t.Variants {
			switch v.Kind {
			case TInt, TAny:
				return false
			case TFloat:
				float = true
			}
		}
		return float
	}
	return false
}

// ---- statements ----

// block compiles a block. In value mode it leaves the block's value (null
// without a trailing expression) on the stack and returns its static type.
func (fc *fcomp) block(b *syntax.Block, value bool) *Type {
	for _, s := range b.Stmts {
		fc.stmt(s)
	}
	if !value {
		if b.Value != nil {
			fc.discard(b.Value)
		}
		return nil
	}
	if b.Value == nil {
		fc.emit(NULL, 0, 0, b.Rbrace)
		return NullType
	}
	return fc.expr(b.Value)
}

func (fc *fcomp) stmt(s syntax.Stmt) {
	switch s := s.(type) {
	case *syntax.LetStmt:
		fc.let(s)
	case *syntax.AssignStmt:
		fc.assign(s)
	case *syntax.ExprStmt:
		fc.discard(s.X)
	case *syntax.ForStmt:
		fc.forStmt(s)
	case *syntax.WhileStmt:
		fc.whileStmt(s)
	case *syntax.BranchStmt:
		fc.branch(s)
	case *syntax.ReturnStmt:
		fc.ret(s.Value, s.Return)
	default:
		fc.errorf(s.Span(), "unsupported statement")
	}
}

func (fc *fcomp) let(s *syntax.LetStmt) {
	b := fc.r.uses[s.Name]
	t := fc.expr(s.Value)
	switch {
	case b.declared != nil:
		fc.convert(t, b.declared, s.Name.NamePos)
		b.typ = b.declared
	case !b.assigned:
		b.typ = t
	default:
		b.typ = AnyType
	}
	fc.emit(SETLOCAL, b.slot, 0, s.Name.NamePos)
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
		fc.expr(t.X)
		fc.expr(t.Index)
		if compound {
			fc.emit(DUP2, 0, 0, t.Lbrack)
			fc.emit(INDEX, 0, 0, t.Lbrack)
			fc.expr(s.Value)
			fc.binop(op, s.OpPos)
		} else {
			fc.expr(s.Value)
		}
		fc.emit(SETINDEX, 0, 0, t.Lbrack)
	default:
		fc.errorf(s.Target.Span(), "cannot assign to this expression")
	}
}

func (fc *fcomp) assignLocal(s *syntax.AssignStmt, id *syntax.Ident, op syntax.Token, compound bool) {
	b := fc.r.uses[id]
	if b == nil {
		fc.errorf(id.NamePos, "undefined: %s", id.Name)
		fc.discard(s.Value)
		return
	}
	dst := b.declared
	if dst == nil {
		dst = AnyType
	}
	numeric := dst.Kind == TAny || dst.Kind == TInt || dst.Kind == TFloat
	if compound && (op == syntax.PLUS || op == syntax.MINUS) && numeric {
		if n, ok := smallInt(s.Value); ok {
			if op == syntax.MINUS {
				n = -n
			}
			fc.emit(INCR, b.slot, n, s.OpPos)
			return
		}
	}
	if src := fc.local(s.Value); compound && op == syntax.PLUS && src != nil &&
		(dst.Kind == TAny || fits(arithType(op, orAny(b.typ), orAny(src.typ)), dst)) {
		fc.emit(ADDTO, b.slot, src.slot, s.OpPos)
		return
	}
	var t *Type
	if compound {
		fc.emit(LOCAL, b.slot, 0, id.NamePos)
		t = fc.arith(op, b.typ, fc.expr(s.Value), s.OpPos)
	} else {
		t = fc.expr(s.Value)
	}
	fc.convert(t, dst, s.OpPos)
	fc.emit(SETLOCAL, b.slot, 0, s.OpPos)
}

func (fc *fcomp) assignField(s *syntax.AssignStmt, d *syntax.DotExpr, op syntax.Token, compound bool) {
	get, set, a, b := fc.fieldAccess(d, fc.expr(d.X))
	if compound {
		fc.emit(DUP, 0, 0, d.Name.NamePos)
		fc.emit(get, a, b, d.Name.NamePos)
		fc.expr(s.Value)
		fc.binop(op, s.OpPos)
	} else {
		fc.expr(s.Value)
	}
	fc.emit(set, a, b, d.Name.NamePos)
}

// forStmt compiles a for loop with its test at the bottom:
//
//	iterprep; jmp next; top: setlocal x; body; next: iternext top
func (fc *fcomp) forStmt(s *syntax.ForStmt) {
	t := fc.expr(s.Iter)
	slot := fc.r.iters[s]
	fc.emit(ITERPREP, slot, 0, s.Iter.Span())
	v := fc.r.uses[s.Var]
	switch {
	case v.assigned:
		v.typ = AnyType
	case t != nil && t.Kind == TList:
		v.typ = weakOf(t.Elem)
	case t != nil && t.Kind == TMap:
		v.typ = StringType
	default:
		v.typ = AnyType
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
	fc.loopBody(lp, s.Body)
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

// discard compiles e for its effects only.
func (fc *fcomp) discard(e syntax.Expr) {
	switch e := e.(type) {
	case *syntax.IfExpr:
		fc.ifExpr(e, false)
	case *syntax.BlockExpr:
		fc.block(e.Block, false)
	default:
		fc.expr(e)
		fc.emit(POP, 0, 0, e.Span())
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
			return append(fc.cond(e.X), fc.cond(e.Y)...)
		case syntax.OROR:
			trues := fc.condTrue(e.X)
			falses := fc.cond(e.Y)
			fc.patchAll(trues)
			return falses
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.NOT {
			return fc.condTrue(e.X)
		}
	}
	fc.expr(e)
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
			return append(fc.condTrue(e.X), fc.condTrue(e.Y)...)
		case syntax.ANDAND:
			falses := fc.cond(e.X)
			trues := fc.condTrue(e.Y)
			fc.patchAll(falses)
			return trues
		}
	case *syntax.UnaryExpr:
		if e.Op == syntax.NOT {
			return fc.cond(e.X)
		}
	}
	fc.expr(e)
	return []int{fc.emit(JMPT, 0, 0, e.Span())}
}

// cmpJump compiles a comparison as a conditional jump (x is its JCMP code
// and JumpIfTrue flag), fusing the operand loads when they are a local and
// an int literal, or two locals.
func (fc *fcomp) cmpJump(e *syntax.BinaryExpr, x uint8) int {
	if b := fc.local(e.X); b != nil {
		if n, ok := smallInt(e.Y); ok {
			return fc.emitX(JCMPLI, x, 0, b.slot, n, e.OpPos)
		}
		if y := fc.local(e.Y); y != nil {
			return fc.emitX(JCMPLL, x, 0, b.slot, y.slot, e.OpPos)
		}
	}
	fc.expr(e.X)
	fc.expr(e.Y)
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
func (fc *fcomp) expr(e syntax.Expr) *Type {
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
	case *syntax.IfExpr:
		return fc.ifExpr(e, true)
	case *syntax.BlockExpr:
		return fc.block(e.Block, true)
	}
	fc.errorf(e.Span(), "unsupported expression")
	fc.emit(NULL, 0, 0, e.Span())
	return AnyType
}

func (fc *fcomp) literal(e *syntax.Literal) *Type {
	switch v := e.Value.(type) {
	case int64:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			fc.emit(INT, int32(v), 0, e.ValuePos)
		} else {
			fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		}
		return IntType
	case float64:
		fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		return FloatType
	case string:
		fc.emit(CONST, fc.c.constant(v), 0, e.ValuePos)
		return StringType
	case bool:
		if v {
			fc.emit(TRUE, 0, 0, e.ValuePos)
		} else {
			fc.emit(FALSE, 0, 0, e.ValuePos)
		}
		return BoolType
	case nil:
		fc.emit(NULL, 0, 0, e.ValuePos)
		return NullType
	}
	fc.errorf(e.ValuePos, "bad literal %s", e.Raw)
	fc.emit(NULL, 0, 0, e.ValuePos)
	return AnyType
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

func (fc *fcomp) ident(e *syntax.Ident) *Type {
	if b := fc.r.uses[e]; b != nil {
		fc.emit(LOCAL, b.slot, 0, e.NamePos)
		return orAny(b.typ)
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
	return AnyType
}

func (fc *fcomp) list(e *syntax.ListExpr) *Type {
	var elem *Type
	for i, x := range e.Elems {
		t := fc.expr(x)
		if i == 0 {
			elem = t
		} else if elem != nil && !sameType(elem, t) {
			elem = AnyType
		}
	}
	fc.emit(MAKELIST, int32(len(e.Elems)), 0, e.Lbrack)
	return &Type{Kind: TList, Elem: orAny(elem)}
}

// sameType reports whether a and b are the same simple type.
func sameType(a, b *Type) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case TInt, TFloat, TString, TBool, TNull:
		return true
	case TClass:
		return a.Class == b.Class
	case TEnum:
		return a.Enum == b.Enum
	}
	return false
}

func (fc *fcomp) mapExpr(e *syntax.MapExpr) *Type {
	seen := map[string]bool{}
	var elem *Type
	for i, m := range e.Entries {
		if seen[m.Key] {
			fc.errorf(m.KeyPos, "duplicate key %q in map literal", m.Key)
		}
		seen[m.Key] = true
		fc.emit(CONST, fc.c.constant(m.Key), 0, m.KeyPos)
		t := fc.expr(m.Value)
		if i == 0 {
			elem = t
		} else if elem != nil && !sameType(elem, t) {
			elem = AnyType
		}
	}
	fc.emit(MAKEMAP, int32(len(e.Entries)), 0, e.Lbrace)
	return &Type{Kind: TMap, Key: StringType, Elem: orAny(elem)}
}

func (fc *fcomp) classLit(e *syntax.ClassLit) *Type {
	cl := fc.c.classes[e.Name.Name]
	if cl == nil {
		fc.errorf(e.Name.NamePos, "unknown class %s", e.Name.Name)
		for _, m := range e.Fields {
			fc.discard(m.Value)
		}
		fc.emit(NULL, 0, 0, e.Name.NamePos)
		return AnyType
	}
	given := make([]*syntax.MapEntry, len(cl.Fields))
	inOrder, last := true, -1
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
	for i, f := range cl.Fields {
		if given[i] == nil && !f.Type.Nullable() {
			fc.errorf(e.Name.NamePos, "missing field %s in %s literal", f.Name, cl.Name)
		}
	}
	checked := fc.fieldValues(cl, e, given, inOrder)
	fc.emit(MAKEINST, fc.c.classIndex(cl), checked, e.Name.NamePos)
	return &Type{Kind: TClass, Class: cl}
}

// fieldValues pushes the field values of a class literal in declaration
// order, evaluating them in source order. It returns 1 when every value is
// statically known to fit its field (MAKEINST may skip the checks).
func (fc *fcomp) fieldValues(cl *Class, e *syntax.ClassLit, given []*syntax.MapEntry, inOrder bool) int32 {
	types := make([]*Type, len(cl.Fields))
	slots := make([]int32, len(cl.Fields))
	if !inOrder {
		mark := fc.temps
		defer func() { fc.temps = mark }()
		for _, m := range e.Fields {
			if i := cl.FieldIndex(m.Key); i >= 0 && given[i] == m {
				types[i] = fc.expr(m.Value)
				slots[i] = fc.temp()
				fc.emit(SETLOCAL, slots[i], 0, m.KeyPos)
			}
		}
	}
	proven := int32(1)
	for i, f := range cl.Fields {
		switch {
		case given[i] == nil:
			fc.emit(NULL, 0, 0, e.Name.NamePos)
			types[i] = NullType
		case inOrder:
			types[i] = fc.expr(given[i].Value)
		default:
			fc.emit(LOCAL, slots[i], 0, given[i].KeyPos)
		}
		if !fits(types[i], f.Type) {
			proven = 0
		}
	}
	return proven
}

// fieldAccess resolves x.name given x's static type. It returns the get and
// set instructions and their operands: FIELD/SETFIELD with a field and class
// index when the class is known, else ATTR/SETATTR with a name index.
func (fc *fcomp) fieldAccess(d *syntax.DotExpr, t *Type) (get, set Opcode, a, b int32) {
	nn := t.NonNull()
	if nn != nil && nn.Kind == TClass {
		if i := nn.Class.FieldIndex(d.Name.Name); i >= 0 {
			return FIELD, SETFIELD, int32(i), fc.c.classIndex(nn.Class)
		}
		fc.errorf(d.Name.NamePos, "class %s has no field %s", nn.Class.Name, d.Name.Name)
	} else if nn != nil && !nn.weak && knownKind(nn.Kind) {
		fc.errorf(d.Name.NamePos, "%s has no field %s", kindName(nn), d.Name.Name)
	}
	return ATTR, SETATTR, fc.c.name(d.Name.Name), 0
}

// knownKind reports whether values of a kind can never have fields.
func knownKind(k TypeKind) bool {
	switch k {
	case TInt, TFloat, TString, TBool, TNull, TList, TMap, TEnum, TLiteral:
		return true
	}
	return false
}

func kindName(t *Type) string {
	switch t.Kind {
	case TList:
		return "list"
	case TMap:
		return "map"
	case TLiteral:
		return literalKind(t.Literal).String()
	case TEnum:
		return "enum " + t.Enum.Name
	}
	return t.Kind.String()
}

// String returns the kind's name in bex syntax.
func (k TypeKind) String() string {
	return (&Type{Kind: k}).String()
}

func (fc *fcomp) dot(e *syntax.DotExpr) *Type {
	if id, ok := e.X.(*syntax.Ident); ok && fc.r.uses[id] == nil {
		if en := fc.c.enums[id.Name]; en != nil {
			i := en.ValueIndex(e.Name.Name)
			if i < 0 {
				fc.errorf(e.Name.NamePos, "enum %s has no value %s", en.Name, e.Name.Name)
				i = 0
			}
			fc.emit(CONST, fc.c.constant(EnumConst{en, i}), 0, id.NamePos)
			return &Type{Kind: TEnum, Enum: en}
		}
	}
	t := fc.expr(e.X)
	get, _, a, b := fc.fieldAccess(e, t)
	fc.emit(get, a, b, e.Name.NamePos)
	if get == FIELD {
		return fc.c.prog.Classes[b].Fields[a].Type
	}
	return AnyType
}

func (fc *fcomp) index(e *syntax.IndexExpr) *Type {
	t := fc.expr(e.X)
	fc.expr(e.Index)
	fc.emit(INDEX, 0, 0, e.Lbrack)
	switch {
	case t == nil:
		return AnyType
	case t.Kind == TList || t.Kind == TMap:
		return weakOf(t.Elem)
	case t.Kind == TString && !t.weak:
		return StringType
	}
	return AnyType
}

func (fc *fcomp) call(e *syntax.CallExpr) *Type {
	switch fn := e.Fn.(type) {
	case *syntax.Ident:
		return fc.callFunc(e, fn)
	case *syntax.DotExpr:
		return fc.callMethod(e, fn)
	}
	fc.errorf(e.Fn.Span(), "cannot call this expression")
	for _, a := range e.Args {
		fc.discard(a)
	}
	fc.emit(NULL, 0, 0, e.Lparen)
	return AnyType
}

func (fc *fcomp) callFunc(e *syntax.CallExpr, id *syntax.Ident) *Type {
	idx, ok := fc.c.funcs[id.Name]
	if !ok {
		if b, ok := builtins[id.Name]; ok {
			return fc.callBuiltin(e, id, b.id, b.sig)
		}
		fc.errorf(id.NamePos, "undefined function %s", id.Name)
		return fc.badCall(e)
	}
	callee := fc.c.prog.Funcs[idx]
	n := len(callee.Params)
	variadic := callee.Variadic && n > 0
	if len(e.Args) != n && !(variadic && len(e.Args) >= n-1) {
		fc.errorf(e.Lparen, "%s takes %s, got %d", callee.Name, plural(n, variadic), len(e.Args))
		return fc.badCall(e)
	}
	proven := true
	for i, a := range e.Args {
		t := fc.expr(a)
		p := callee.Params[min(i, n-1)].Type
		if !fits(t, p) {
			proven = false
		}
	}
	op := CALL
	if proven {
		op = CALLNC
	}
	fc.emit(op, int32(idx), int32(len(e.Args)), id.NamePos)
	return callee.Result
}

func plural(n int, variadic bool) string {
	switch {
	case variadic:
		return itoa(n-1) + " or more arguments"
	case n == 1:
		return "1 argument"
	}
	return itoa(n) + " arguments"
}

func itoa(n int) string {
	if n < 10 && n >= 0 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// badCall compiles the arguments of a call that is already an error.
func (fc *fcomp) badCall(e *syntax.CallExpr) *Type {
	for _, a := range e.Args {
		fc.discard(a)
	}
	fc.emit(NULL, 0, 0, e.Lparen)
	return AnyType
}

func (fc *fcomp) callBuiltin(e *syntax.CallExpr, id *syntax.Ident, b BuiltinID, sig builtinSig) *Type {
	if len(e.Args) < sig.Min || len(e.Args) > sig.Max {
		fc.errorf(e.Lparen, "%s takes %s, got %d", id.Name, arity(sig.Min, sig.Max), len(e.Args))
		return fc.badCall(e)
	}
	types := make([]*Type, len(e.Args))
	for i, a := range e.Args {
		types[i] = fc.expr(a)
	}
	fc.emit(BUILTIN, int32(b), int32(len(e.Args)), id.NamePos)
	return sig.result(types)
}

// mediaConstructor compiles image.from_url(...) and its kin: the media
// kind goes first, as a constant, then the arguments.
func (fc *fcomp) mediaConstructor(e *syntax.CallExpr, d *syntax.DotExpr, kind *syntax.Ident) *Type {
	m, ok := mediaConstructors[d.Name.Name]
	if !ok {
		fc.errorf(d.Name.NamePos, "%s has no method '%s' (want from_url or from_base64)", kind.Name, d.Name.Name)
		return fc.badCall(e)
	}
	if len(e.Args) < m.min || len(e.Args) > m.max {
		fc.errorf(e.Lparen, "%s.%s takes %s, got %d", kind.Name, d.Name.Name, arity(m.min, m.max), len(e.Args))
		return fc.badCall(e)
	}
	fc.emit(CONST, fc.c.constant(kind.Name), 0, kind.NamePos)
	for _, a := range e.Args {
		if t := fc.expr(a); !fits(t, StringType) && t.Kind != TAny {
			fc.errorf(a.Span(), "%s.%s takes strings, got %s", kind.Name, d.Name.Name, t)
		}
	}
	fc.emit(BUILTIN, int32(m.id), int32(len(e.Args)+1), d.Name.NamePos)
	return AnyType // media types are any to the compiler's type model
}

func arity(lo, hi int) string {
	if lo == hi {
		return plural(lo, false)
	}
	return itoa(lo) + " to " + itoa(hi) + " arguments"
}

func (fc *fcomp) callMethod(e *syntax.CallExpr, d *syntax.DotExpr) *Type {
	if id, ok := d.X.(*syntax.Ident); ok && fc.r.uses[id] == nil && isMediaKind(id.Name) {
		return fc.mediaConstructor(e, d, id)
	}
	if id, ok := d.X.(*syntax.Ident); ok && fc.r.uses[id] == nil && fc.c.enums[id.Name] != nil {
		fc.errorf(d.Name.NamePos, "enum %s has no method '%s' (methods apply to its values)", id.Name, d.Name.Name)
		return fc.badCall(e)
	}
	recv := fc.expr(d.X).NonNull()
	id := LookupMethod(d.Name.Name)
	result := AnyType
	if recv != nil && recv.Kind != TAny && !isUnion(recv) {
		kind := recv.Kind
		if kind == TLiteral {
			kind = literalKind(recv.Literal)
		}
		sig, ok := Methods[kind][id]
		switch {
		case ok && (len(e.Args) < sig.Min || len(e.Args) > sig.Max) && !recv.weak:
			fc.errorf(e.Lparen, "%s.%s takes %s, got %d", kindName(recv), d.Name.Name, arity(sig.Min, sig.Max), len(e.Args))
		case ok && !recv.weak:
			result = sig.result(recv)
		case ok:
			result = weakOf(sig.result(recv))
		case !recv.weak:
			fc.errorf(d.Name.NamePos, "%s has no method '%s'", methodOwner(recv), d.Name.Name)
		}
	}
	for _, a := range e.Args {
		fc.expr(a)
	}
	fc.emit(METHOD, fc.c.name(d.Name.Name), int32(len(e.Args)), d.Name.NamePos)
	return result
}

func isUnion(t *Type) bool { return t.Kind == TUnion }

func methodOwner(t *Type) string {
	if t.Kind == TClass {
		return "class " + t.Class.Name
	}
	return kindName(t)
}

func (fc *fcomp) unary(e *syntax.UnaryExpr) *Type {
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
		if isNumeric(t) && !t.weak {
			return t
		}
		return AnyType
	case syntax.NOT:
		fc.expr(e.X)
		fc.emit(NOT, 0, 0, e.OpPos)
		return BoolType
	}
	fc.errorf(e.OpPos, "unsupported unary operator %s", e.Op)
	return fc.expr(e.X)
}

var binaryOps = map[syntax.Token]Opcode{
	syntax.PLUS: ADD, syntax.MINUS: SUB, syntax.STAR: MUL, syntax.SLASH: DIV, syntax.PERCENT: MOD,
	syntax.EQL: EQL, syntax.NEQ: NEQ, syntax.LT: LT, syntax.LE: LE, syntax.GT: GT, syntax.GE: GE,
}

func (fc *fcomp) binary(e *syntax.BinaryExpr) *Type {
	switch e.Op {
	case syntax.ANDAND, syntax.OROR:
		falses := fc.cond(e)
		fc.emit(TRUE, 0, 0, e.OpPos)
		end := fc.emit(JMP, 0, 0, e.OpPos)
		fc.depth--
		fc.patchAll(falses)
		fc.emit(FALSE, 0, 0, e.OpPos)
		fc.patch(end)
		return BoolType
	}
	if t, ok := fc.fused(e); ok {
		return t
	}
	x := fc.expr(e.X)
	y := fc.expr(e.Y)
	return fc.arith(e.Op, x, y, e.OpPos)
}

// fused compiles local+local, local+int and local-int with one instruction.
func (fc *fcomp) fused(e *syntax.BinaryExpr) (*Type, bool) {
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
		fc.emit(op, x.slot, n, e.OpPos)
		return arithType(e.Op, orAny(x.typ), IntType), true
	}
	if yid, ok := e.Y.(*syntax.Ident); ok && fc.r.uses[yid] != nil && e.Op == syntax.PLUS {
		y := fc.r.uses[yid]
		fc.emit(ADDLL, x.slot, y.slot, e.OpPos)
		return arithType(e.Op, orAny(x.typ), orAny(y.typ)), true
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
func (fc *fcomp) arith(op syntax.Token, x, y *Type, pos syntax.Pos) *Type {
	fc.binop(op, pos)
	return arithType(op, x, y)
}

func arithType(op syntax.Token, x, y *Type) *Type {
	switch op {
	case syntax.EQL, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE:
		return BoolType
	}
	if x == nil || y == nil || x.weak || y.weak {
		return AnyType
	}
	switch {
	case x.Kind == TInt && y.Kind == TInt:
		return IntType
	case isNumeric(x) && isNumeric(y):
		return FloatType
	case x.Kind == TString && y.Kind == TString && op == syntax.PLUS:
		return StringType
	}
	return AnyType
}

// ifExpr compiles an if expression; in value mode it leaves the value of the
// branch taken (null when none is) on the stack.
func (fc *fcomp) ifExpr(e *syntax.IfExpr, value bool) *Type {
	falses := fc.cond(e.Cond)
	t := fc.block(e.Then, value)
	if e.Else == nil && !value {
		fc.patchAll(falses)
		return nil
	}
	end := fc.emit(JMP, 0, 0, e.Then.Rbrace)
	if value {
		fc.depth--
	}
	fc.patchAll(falses)
	var u *Type = NullType
	switch {
	case e.Else == nil:
		fc.emit(NULL, 0, 0, e.If)
	case value:
		u = fc.expr(e.Else)
	default:
		fc.discard(e.Else)
	}
	fc.patch(end)
	if !value {
		return nil
	}
	if t != nil && u != nil && sameType(t, u) && !t.weak && !u.weak {
		return t
	}
	return AnyType
}
