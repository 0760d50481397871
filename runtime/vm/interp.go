// interp.go holds the bytecode interpreter: one deliberately big dispatch
// loop whose cases are a few lines each, with the semantics in helpers
// (ops.go, builtins.go) and the call protocol in eval.go.

package vm

import (
	"github.com/bexrun/bex/runtime/internal/compile"
)

// run executes the expression function of the innermost frame, and every
// bex function it calls, until the frame at index entry returns. bex-to-bex
// calls push a frame and switch code without recursing on the Go stack.
func (th *Thread) run(entry int) (Value, error) {
	// The loop's variables are few on purpose. Go has no callee-saved
	// registers, so every variable that lives across the loop and across
	// a call in any case is stored to the stack at every dispatch
	// (docs/performance.md gives what each one cost). The program's
	// tables are read through p where a case needs them, the code through
	// fn, the step budget through th, the frame index from len(th.frames),
	// and the result lives only in the cases that return.
	p := th.prog
	var err error
	fi := len(th.frames) - 1 // the current frame is always the last of th.frames
	fn := th.frames[fi].fn
	stk := th.ensure(th.frames[fi].base, fn.frameSize)
	base := th.frames[fi].base
	sp := base + fn.nlocals
	pc := 0

loop:
	for {
		in := &fn.insns[pc]
		pc++

		switch in.Op {
		case compile.NOP:

		case compile.POP:
			sp--

		case compile.POPN:
			sp -= int(in.A)

		case compile.DUP:
			stk[sp] = stk[sp-1]
			sp++

		case compile.DUP2:
			stk[sp] = stk[sp-2]
			stk[sp+1] = stk[sp-1]
			sp += 2

		case compile.NULL:
			stk[sp] = Null
			sp++

		case compile.TRUE:
			stk[sp] = True
			sp++

		case compile.FALSE:
			stk[sp] = False
			sp++

		case compile.INT:
			stk[sp] = Value{k: KindInt, n: uint64(int64(in.A))}
			sp++

		case compile.CONST:
			stk[sp] = p.consts[in.A]
			sp++

		case compile.LOCAL:
			stk[sp] = stk[base+int(in.A)]
			sp++

		case compile.SETLOCAL:
			sp--
			stk[base+int(in.A)] = stk[sp]

		case compile.ADD:
			x, y := &stk[sp-2], &stk[sp-1]
			sp--
			if x.k == KindInt && y.k == KindInt {
				x.n += y.n
				continue
			}
			if *x, err = binary(in.Op, *x, *y); err != nil {
				break loop
			}

		case compile.SUB:
			x, y := &stk[sp-2], &stk[sp-1]
			sp--
			if x.k == KindInt && y.k == KindInt {
				x.n -= y.n
				continue
			}
			if *x, err = binary(in.Op, *x, *y); err != nil {
				break loop
			}

		case compile.MUL, compile.DIV, compile.MOD, compile.EQL, compile.NEQ:
			x, y := &stk[sp-2], &stk[sp-1]
			sp--
			if *x, err = binary(in.Op, *x, *y); err != nil {
				break loop
			}

		case compile.LT, compile.LE, compile.GT, compile.GE:
			x, y := &stk[sp-2], &stk[sp-1]
			sp--
			if x.k == KindInt && y.k == KindInt {
				*x = Bool(intCompare(in.Op, int64(x.n), int64(y.n)))
				continue
			}
			if *x, err = binary(in.Op, *x, *y); err != nil {
				break loop
			}

		case compile.NEG:
			if stk[sp-1], err = negate(stk[sp-1]); err != nil {
				break loop
			}

		case compile.NOT:
			x := &stk[sp-1]
			if x.k != KindBool {
				err = errorf("operand of ! must be bool, got %s", x.TypeName())
				break loop
			}
			x.n ^= 1

		case compile.ADDLL:
			x, y := stk[base+int(in.A)], stk[base+int(in.B)]
			if x.k == KindInt && y.k == KindInt {
				stk[sp] = Value{k: KindInt, n: x.n + y.n}
			} else if stk[sp], err = binary(compile.ADD, x, y); err != nil {
				break loop
			}
			sp++

		case compile.ADDLI, compile.SUBLI:
			x, n := stk[base+int(in.A)], int64(in.B)
			if in.Op == compile.SUBLI {
				n = -n
			}
			if x.k == KindInt {
				stk[sp] = Value{k: KindInt, n: x.n + uint64(n)}
			} else if stk[sp], err = binary(compile.ADD, x, Int(n)); err != nil {
				break loop
			}
			sp++

		case compile.INCR:
			x := &stk[base+int(in.A)]
			if x.k == KindInt {
				x.n += uint64(int64(in.B))
			} else if *x, err = binary(compile.ADD, *x, Int(int64(in.B))); err != nil {
				break loop
			}

		case compile.ADDTO:
			x, y := &stk[base+int(in.A)], stk[base+int(in.B)]
			if x.k == KindInt && y.k == KindInt {
				x.n += y.n
			} else if *x, err = binary(compile.ADD, *x, y); err != nil {
				break loop
			}

		case compile.JCMP, compile.JCMPLI, compile.JCMPLL:
			var x, y Value
			switch in.Op {
			case compile.JCMP:
				x, y = stk[sp-2], stk[sp-1]
				sp -= 2
			case compile.JCMPLI:
				x, y = stk[base+int(in.B)], Value{k: KindInt, n: uint64(int64(in.C))}
			default:
				x, y = stk[base+int(in.B)], stk[base+int(in.C)]
			}
			op := compile.LT + compile.Opcode(in.X&compile.CmpMask)
			var ok bool
			if x.k == KindInt && y.k == KindInt {
				ok = intCompare(op, int64(x.n), int64(y.n))
			} else if ok, err = compareOp(op, x, y); err != nil {
				break loop
			}
			if ok == (in.X&compile.JumpIfTrue != 0) {
				if in.X&compile.Back != 0 {
					cost := int64(pc - int(in.A)) // the loop's length
					if err = th.charge(cost); err != nil {
						break loop
					}
				}
				pc = int(in.A)
			}

		case compile.JMP:
			if in.X&compile.Back != 0 {
				cost := int64(pc - int(in.A)) // the loop's length
				if err = th.charge(cost); err != nil {
					break loop
				}
			}
			pc = int(in.A)

		case compile.JMPF, compile.JMPT:
			sp--
			x := stk[sp]
			if x.k != KindBool {
				err = notBool(x)
				break loop
			}
			if (x.n != 0) == (in.Op == compile.JMPT) {
				if in.X&compile.Back != 0 {
					cost := int64(pc - int(in.A)) // the loop's length
					if err = th.charge(cost); err != nil {
						break loop
					}
				}
				pc = int(in.A)
			}

		case compile.CHECKBOOL:
			if stk[sp-1].k != KindBool {
				err = notBool(stk[sp-1])
				break loop
			}

		case compile.CHECKTYPE:
			v, terr := coerce(stk[sp-1], p.types[in.A])
			if terr != nil {
				err = checkFailed(fn, terr)
				break loop
			}
			stk[sp-1] = v

		case compile.CALL, compile.CALLNC:
			callee := p.funcs[in.A]
			n := int(in.B)
			nb := sp - n
			th.frames[len(th.frames)-1].pc = pc
			if err = th.charge(callee.cost); err != nil {
				break loop
			}
			if in.Op == compile.CALL && callee.checkArgs {
				if err = checkArgs(callee, stk[nb:sp]); err != nil {
					break loop
				}
			}
			if callee.Kind != FuncExpr {
				var v Value
				if v, err = th.callFrom(callee, nb, n); err != nil {
					break loop
				}
				sp = nb
				stk[sp] = v
				sp++
				continue
			}
			if len(th.frames) >= th.maxDepth {
				err = th.overflow()
				break loop
			}
			th.frames = append(th.frames, frame{fn: callee, base: nb})
			if nb+callee.frameSize > th.high {
				stk = th.ensure(nb, callee.frameSize)
			}
			fn, base, pc = callee, nb, 0
			sp = nb + callee.nlocals

		case compile.RETURN, compile.RETURNL:
			var result Value
			if in.Op == compile.RETURN {
				result = stk[sp-1]
			} else {
				result = stk[base+int(in.A)]
			}
			fi := len(th.frames) - 1
			th.frames = th.frames[:fi]
			if fi == entry {
				return result, nil
			}
			sp = base
			f := &th.frames[fi-1]
			fn, base, pc = f.fn, f.base, f.pc
			stk[sp] = result
			sp++

		case compile.ENTER:
			// The first instruction of a traced function's body.
			if tracing && th.Hook != nil {
				th.enterHook(fn, stk[base:base+len(fn.Params)])
			}

		case compile.EXIT:
			// Before each return of a traced function's body.
			if tracing && th.frames[len(th.frames)-1].traced {
				if in.B == 0 {
					th.exitHook(stk[sp-1])
				} else {
					th.exitHook(stk[base+int(in.A)])
				}
			}

		case compile.BUILTIN:
			n := int(in.B)
			v, berr := callBuiltin(compile.BuiltinID(in.A), stk[sp-n:sp])
			if berr != nil {
				err = berr
				break loop
			}
			sp -= n
			stk[sp] = v
			sp++

		case compile.METHOD:
			n := int(in.B)
			v, merr := callMethod(stk[sp-n-1], p.methods[in.A], p.code.Names[in.A], stk[sp-n:sp])
			if merr != nil {
				err = merr
				break loop
			}
			sp -= n
			stk[sp-1] = v

		case compile.MAKELIST:
			n := int(in.A)
			elems := make([]Value, n)
			copy(elems, stk[sp-n:sp])
			sp -= n
			stk[sp] = NewList(elems)
			sp++

		case compile.MAKEMAP:
			n := int(in.A)
			sp -= 2 * n
			stk[sp] = makeMap(stk[sp : sp+2*n])
			sp++

		case compile.MAKEINST:
			cls := p.classes[in.A]
			n := len(cls.Fields)
			v, merr := makeInstance(cls, p.fieldPlans[in.A], stk[sp-n:sp], in.B == 0)
			if merr != nil {
				err = merr
				break loop
			}
			sp -= n
			stk[sp] = v
			sp++

		case compile.FIELD:
			x := &stk[sp-1]
			if x.k != KindInstance || x.instance().class != p.classes[in.B] {
				err = fieldError(*x, p.classes[in.B].Fields[in.A].Name)
				break loop
			}
			*x = x.instance().fields[in.A]

		case compile.SETFIELD:
			if err = p.setField(stk[sp-2], int(in.B), int(in.A), stk[sp-1]); err != nil {
				break loop
			}
			sp -= 2

		case compile.ATTR:
			if stk[sp-1], err = getAttr(stk[sp-1], p.code.Names[in.A]); err != nil {
				break loop
			}

		case compile.SETATTR:
			if err = p.setAttr(stk[sp-2], p.code.Names[in.A], stk[sp-1]); err != nil {
				break loop
			}
			sp -= 2

		case compile.INDEX:
			x, i := stk[sp-2], stk[sp-1]
			sp--
			if x.k == KindList && i.k == KindInt && i.n < uint64(len(x.list().elems)) {
				stk[sp-1] = x.list().elems[i.n]
				continue
			}
			if stk[sp-1], err = getIndex(x, i); err != nil {
				break loop
			}

		case compile.SETINDEX:
			if err = setIndex(stk[sp-3], stk[sp-2], stk[sp-1]); err != nil {
				break loop
			}
			sp -= 3

		case compile.ITERPREP:
			sp--
			if stk[base+int(in.A)], err = iterable(stk[sp]); err != nil {
				break loop
			}
			stk[base+int(in.A)+1] = Int(0)

		case compile.ITERNEXT:
			elems := stk[base+int(in.B)].list().elems
			i := &stk[base+int(in.B)+1]
			if i.n < uint64(len(elems)) {
				stk[sp] = elems[i.n]
				sp++
				i.n++
				cost := int64(pc - int(in.A)) // the loop's length
				if err = th.charge(cost); err != nil {
					break loop
				}
				pc = int(in.A)
			}

		case compile.INSTANCEOF:
			x := &stk[sp-1]
			*x = Bool(x.k == KindInstance && x.instance().class == p.classes[in.A])

		case compile.GLOBAL:
			// The first read of a global in a call runs its initializer, as
			// a call whose return also stores the value (SETGLOBAL).
			if v, set := th.globalValue(in.A); set {
				stk[sp] = v
				sp++
				continue
			}
			callee := p.funcs[in.B]
			th.frames[len(th.frames)-1].pc = pc
			if err = th.startGlobal(in.A, callee); err != nil {
				break loop
			}
			th.frames = append(th.frames, frame{fn: callee, base: sp})
			if sp+callee.frameSize > th.high {
				stk = th.ensure(sp, callee.frameSize)
			}
			fn, base, pc = callee, sp, 0
			sp = base + callee.nlocals

		case compile.SETGLOBAL:
			th.globals[in.A] = global{v: stk[sp-1], state: globalSet}

		case compile.FUNC:
			stk[sp] = funcValue(p.funcs[in.A])
			sp++

		case compile.MAKEFUNC:
			n := int(in.B)
			sp -= n
			stk[sp] = makeClosure(p.funcs[in.A], stk[sp:sp+n])
			sp++

		case compile.CALLV:
			// A call of a function value: the arguments move down over the
			// value, and the call proceeds as CALL (or an external call).
			n := int(in.B)
			nb := sp - n - 1
			th.frames[len(th.frames)-1].pc = pc
			fv := stk[nb]
			var callee *Function
			if callee, err = th.valueCall(stk[nb:sp]); err != nil {
				break loop
			}
			sp--
			if callee.Kind != FuncExpr {
				var v Value
				if v, err = th.callFrom(callee, nb, n); err != nil {
					break loop
				}
				sp = nb
				stk[sp] = v
				sp++
				continue
			}
			if err = th.enter(callee, nb, n); err != nil {
				break loop
			}
			if nb+callee.frameSize > th.high {
				stk = th.ensure(nb, callee.frameSize)
			}
			setCaptures(stk[nb:], callee, fv)
			fn, base, pc = callee, nb, 0
			sp = nb + callee.nlocals

		default:
			err = errorf("internal error: unknown opcode %s", in.Op)
			break loop
		}
	}
	th.frames[len(th.frames)-1].pc = pc
	return Null, th.unwind(entry, err)
}
