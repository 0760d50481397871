// disasm.go prints compiled functions as text.

package compile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/types"
)

// Disassemble returns a stable text listing of fn's bytecode, one instruction
// per line, with operands decoded (local names, constants, callees, types).
func (p *Program) Disassemble(fn *Func) string {
	var b strings.Builder
	fmt.Fprintf(&b, "function %s(%s) -> %s\n", fn.Name, paramList(fn.Sig.Params), fn.Sig.Result)
	if fn.Kind != FuncExpr {
		fmt.Fprintf(&b, "\t(%s function)\n", map[FuncKind]string{FuncLLM: "llm", FuncHost: "host"}[fn.Kind])
		return b.String()
	}
	fmt.Fprintf(&b, "\tlocals: %s\n", strings.Join(fn.Locals, " "))
	fmt.Fprintf(&b, "\tstack: %d\n", fn.MaxStack)
	for pc, in := range fn.Code {
		fmt.Fprintf(&b, "\t%d\t%s", pc, in.Op)
		if operands := p.operands(fn, in); operands != "" {
			b.WriteString(" " + operands)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func paramList(ps []*types.Param) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + ": " + p.Type.String()
	}
	return strings.Join(parts, ", ")
}

// operands formats an instruction's operands.
func (p *Program) operands(fn *Func, in Insn) string {
	a, b := int(in.A), int(in.B)
	switch in.Op {
	case POPN, INT, MAKELIST, MAKEMAP:
		return strconv.Itoa(a)
	case JMP, JMPF, JMPT:
		return jumpTarget(in)
	case JCMP:
		return cmpNames[in.X&CmpMask] + " " + sense(in) + " " + jumpTarget(in)
	case JCMPLI:
		return local(fn, b) + " " + cmpNames[in.X&CmpMask] + " " + strconv.Itoa(int(in.C)) + " " + sense(in) + " " + jumpTarget(in)
	case JCMPLL:
		return local(fn, b) + " " + cmpNames[in.X&CmpMask] + " " + local(fn, int(in.C)) + " " + sense(in) + " " + jumpTarget(in)
	case RETURNL:
		return local(fn, a)
	case EXIT:
		if b == 1 {
			return local(fn, a)
		}
		return ""
	case ADDTO:
		return local(fn, a) + " " + local(fn, b)
	case CONST:
		return constString(p.Constants[a])
	case LOCAL, SETLOCAL, ITERPREP:
		return local(fn, a)
	case ADDLL:
		return local(fn, a) + " " + local(fn, b)
	case ADDLI, SUBLI, INCR:
		return local(fn, a) + " " + strconv.Itoa(b)
	case ITERNEXT:
		return local(fn, b) + " " + jumpTarget(in)
	case CHECKTYPE:
		return p.Types[a].String()
	case CALL, CALLNC:
		return fmt.Sprintf("%s %d", p.Funcs[a].Name, b)
	case INSTANCEOF:
		return p.Classes[a].Name
	case GLOBAL, SETGLOBAL:
		return p.Globals[a].Name
	case FUNC:
		return p.Funcs[a].Name
	case MAKEFUNC:
		return fmt.Sprintf("%s %d", p.Funcs[a].Name, b)
	case CALLV:
		return strconv.Itoa(b)
	case BUILTIN:
		return fmt.Sprintf("%s %d", BuiltinNames[a], b)
	case METHOD:
		return fmt.Sprintf("%s %d", p.Names[a], b)
	case MAKEINST:
		s := p.Classes[a].Name
		if b == 1 {
			s += " unchecked"
		}
		return s
	case FIELD, SETFIELD:
		cl := p.Classes[b]
		return cl.Name + "." + cl.Fields[a].Name
	case ATTR, SETATTR:
		return p.Names[a]
	}
	return ""
}

// jumpTarget formats a jump's target, marking the loop-closing jumps.
func jumpTarget(in Insn) string {
	s := strconv.Itoa(int(in.A))
	if in.X&Back != 0 {
		s += " loop"
	}
	return s
}

var cmpNames = [...]string{"<", "<=", ">", ">=", "==", "!="}

// sense says when a JCMP jumps: "then" when its comparison holds, "else"
// when it does not.
func sense(in Insn) string {
	if in.X&JumpIfTrue != 0 {
		return "then"
	}
	return "else"
}

func local(fn *Func, slot int) string {
	if slot < len(fn.Locals) {
		return strconv.Itoa(slot) + "(" + fn.Locals[slot] + ")"
	}
	return strconv.Itoa(slot)
}

func constString(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case EnumConst:
		return v.Enum.Name + "." + v.Enum.Values[v.Index].Name
	}
	return fmt.Sprint(v)
}
