// opcode.go defines the instruction set.

package compile

import "fmt"

// An Opcode is one bytecode operation. The instruction set is internal and may
// change at any time; programs are always compiled from source.
type Opcode uint8

// The instructions operate on a frame's operand stack and its local slots.
// "pop x" and "push x" describe the stack effect; A and B are the
// instruction's operands.
const (
	NOP Opcode = iota

	POP  // pop x
	POPN // pop A values
	DUP  // x -> x x
	DUP2 // x y -> x y x y

	NULL  // push null
	TRUE  // push true
	FALSE // push false
	INT   // push int A
	CONST // push Constants[A]

	LOCAL    // push locals[A]
	SETLOCAL // pop x; locals[A] = x

	// Binary operators: x y -> (x op y).
	ADD
	SUB
	MUL
	DIV
	MOD
	LT
	LE
	GT
	GE
	EQL
	NEQ

	NEG // x -> -x
	NOT // x -> !x (x must be bool)

	// Fused forms for the common "local op local/int" shapes.
	ADDLL // push locals[A] + locals[B]
	SUBLI // push locals[A] - B
	ADDLI // push locals[A] + B
	INCR  // locals[A] += B (int fast path; same semantics as ADD)

	ADDTO   // locals[A] += locals[B]
	RETURNL // return locals[A] from the function

	// Compare-and-branch: jump to A when (x cmp y) is X&JumpIfTrue != 0,
	// where cmp is LT+X&CmpMask (LT, LE, GT, GE, EQL or NEQ).
	JCMP   // x y -> ; compare the two values on the stack
	JCMPLI // compare locals[B] with the int C
	JCMPLL // compare locals[B] with locals[C]

	JMP       // jump to A
	JMPF      // pop x (must be bool); jump to A if false
	JMPT      // pop x (must be bool); jump to A if true
	CHECKBOOL // x must be bool
	CHECKTYPE // x must be a Types[A] (an int becomes a float where one is expected)
	CALL      // pop B args; push Funcs[A](args...)
	CALLNC    // like CALL, argument types proven statically: no check
	BUILTIN   // pop B args; push the global builtin A (args...)
	METHOD    // pop B args and the receiver; push receiver.Names[A](args...)
	RETURN    // pop x; return x from the function
	MAKELIST  // pop A values; push a list of them
	MAKEMAP   // pop A key/value pairs; push a map of them
	MAKEINST  // pop the fields of Classes[A]; push an instance
	FIELD     // x -> x.field[A] (x must be an instance of Classes[B])
	SETFIELD  // x v -> ; x.field[A] = v (x must be an instance of Classes[B])
	ATTR      // x -> x.Names[A] (looked up at run time)
	SETATTR   // x v -> ; x.Names[A] = v
	INDEX     // x i -> x[i]
	SETINDEX  // x i v -> ; x[i] = v
	ITERPREP  // pop x; locals[A] = the sequence to iterate (list, or a map's keys); locals[A+1] = 0
	ITERNEXT  // if locals[B] has a next element, push it and jump to A

	// The tracing instructions. The body of a traced expression function
	// starts with ENTER and runs EXIT before each of its returns, so that
	// one CALL and one RETURN serve traced and untraced functions alike and
	// untraced calls do no tracing work at all, not even a test.
	ENTER // report entering this traced frame (with its arguments) to the hook, if any
	EXIT  // report leaving this traced frame with its result: the top of the stack, or locals[A] when B is 1

	INSTANCEOF // x -> whether x is an instance of Classes[A]
	GLOBAL     // push Globals[A], first calling its initializer Funcs[B] in this call
	SETGLOBAL  // x -> x; Globals[A] = x (the end of a global's initializer)
	FUNC       // push the function value Funcs[A]
	MAKEFUNC   // pop B captured values; push the lambda Funcs[A] holding them
	CALLV      // pop B args and the function value below them; push its result
	opcodeMax
)

// Flags in Insn.X.
const (
	CmpMask    uint8 = 7  // the comparison of a JCMP instruction
	JumpIfTrue uint8 = 8  // a JCMP jumps when the comparison holds
	Back       uint8 = 16 // a jump back to a loop's start: taking it is a step
)

var opcodeNames = [...]string{
	NOP:        "nop",
	POP:        "pop",
	POPN:       "popn",
	DUP:        "dup",
	DUP2:       "dup2",
	NULL:       "null",
	TRUE:       "true",
	FALSE:      "false",
	INT:        "int",
	CONST:      "const",
	LOCAL:      "local",
	SETLOCAL:   "setlocal",
	ADD:        "add",
	SUB:        "sub",
	MUL:        "mul",
	DIV:        "div",
	MOD:        "mod",
	EQL:        "eql",
	NEQ:        "neq",
	LT:         "lt",
	LE:         "le",
	GT:         "gt",
	GE:         "ge",
	NEG:        "neg",
	NOT:        "not",
	ADDLL:      "addll",
	SUBLI:      "subli",
	ADDLI:      "addli",
	INCR:       "incr",
	ADDTO:      "addto",
	RETURNL:    "returnl",
	JCMP:       "jcmp",
	JCMPLI:     "jcmpli",
	JCMPLL:     "jcmpll",
	JMP:        "jmp",
	JMPF:       "jmpf",
	JMPT:       "jmpt",
	CHECKBOOL:  "checkbool",
	CHECKTYPE:  "checktype",
	CALL:       "call",
	CALLNC:     "callnc",
	BUILTIN:    "builtin",
	METHOD:     "method",
	RETURN:     "return",
	MAKELIST:   "makelist",
	MAKEMAP:    "makemap",
	MAKEINST:   "makeinst",
	FIELD:      "field",
	SETFIELD:   "setfield",
	ATTR:       "attr",
	SETATTR:    "setattr",
	INDEX:      "index",
	SETINDEX:   "setindex",
	ITERPREP:   "iterprep",
	ITERNEXT:   "iternext",
	ENTER:      "enter",
	EXIT:       "exit",
	INSTANCEOF: "instanceof",
	GLOBAL:     "global",
	SETGLOBAL:  "setglobal",
	FUNC:       "func",
	MAKEFUNC:   "makefunc",
	CALLV:      "callv",
}

func (op Opcode) String() string {
	if op < opcodeMax && opcodeNames[op] != "" {
		return opcodeNames[op]
	}
	return fmt.Sprintf("opcode(%d)", op)
}

// An Insn is one instruction: an opcode, flags, and up to three operands.
type Insn struct {
	Op      Opcode
	X       uint8
	A, B, C int32
}

// stackEffect returns the change in operand stack depth caused by in.
// nfields is the field count of the class a MAKEINST builds.
func stackEffect(in Insn, nfields int) int {
	switch in.Op {
	case NOP, CHECKBOOL, CHECKTYPE, NEG, NOT, JMP, FIELD, ATTR, INCR, ADDTO, RETURNL, ENTER, EXIT, JCMPLI, JCMPLL, ITERNEXT,
		INSTANCEOF, SETGLOBAL:
		return 0
	case GLOBAL, FUNC:
		return +1
	case MAKEFUNC:
		return 1 - int(in.B)
	case CALLV:
		return -int(in.B)
	case POP, SETLOCAL, JMPF, JMPT, RETURN:
		return -1
	case POPN:
		return -int(in.A)
	case DUP, NULL, TRUE, FALSE, INT, CONST, LOCAL, ADDLL, SUBLI, ADDLI:
		return +1
	case DUP2:
		return +2
	case ADD, SUB, MUL, DIV, MOD, EQL, NEQ, LT, LE, GT, GE, INDEX:
		return -1
	case JCMP, SETFIELD, SETATTR:
		return -2
	case CALL, CALLNC, BUILTIN:
		return 1 - int(in.B)
	case METHOD:
		return -int(in.B)
	case MAKELIST:
		return 1 - int(in.A)
	case MAKEMAP:
		return 1 - 2*int(in.A)
	case MAKEINST:
		return 1 - nfields
	case SETINDEX:
		return -3
	case ITERPREP:
		return -1
	}
	panic(fmt.Sprintf("stackEffect: unknown opcode %s", in.Op))
}
