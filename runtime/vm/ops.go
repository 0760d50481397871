// ops.go holds the semantics of operators, indexing, fields and iteration.

package vm

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/types"
)

var opSymbols = map[compile.Opcode]string{
	compile.ADD: "+", compile.SUB: "-", compile.MUL: "*", compile.DIV: "/", compile.MOD: "%",
	compile.LT: "<", compile.LE: "<=", compile.GT: ">", compile.GE: ">=", compile.EQL: "==", compile.NEQ: "!=",
}

// binary applies a binary operator (ADD..NEQ) to x and y.
func binary(op compile.Opcode, x, y Value) (Value, error) {
	switch op {
	case compile.EQL:
		return Bool(Equal(x, y)), nil
	case compile.NEQ:
		return Bool(!Equal(x, y)), nil
	case compile.LT, compile.LE, compile.GT, compile.GE:
		ok, err := compareOp(op, x, y)
		return Bool(ok), err
	}
	switch {
	case x.k == KindInt && y.k == KindInt:
		return intArith(op, int64(x.n), int64(y.n))
	case isNumber(x) && isNumber(y):
		return floatArith(op, x.Float(), y.Float())
	case x.k == KindString && y.k == KindString && op == compile.ADD:
		if int(x.n)+int(y.n) > MaxStringLen {
			return Null, tooLong("string", int(x.n)+int(y.n))
		}
		return String(x.str() + y.str()), nil
	}
	return Null, fmt.Errorf("cannot apply %s to %s and %s", opSymbols[op], x.TypeName(), y.TypeName())
}

func intArith(op compile.Opcode, a, b int64) (Value, error) {
	switch op {
	case compile.ADD:
		return Int(a + b), nil
	case compile.SUB:
		return Int(a - b), nil
	case compile.MUL:
		return Int(a * b), nil
	case compile.DIV:
		if b == 0 {
			return Null, errorf("division by zero")
		}
		return Int(a / b), nil
	case compile.MOD:
		if b == 0 {
			return Null, errorf("modulo by zero")
		}
		return Int(a % b), nil
	}
	return Null, errorf("internal error: bad operator %s", op)
}

func floatArith(op compile.Opcode, a, b float64) (Value, error) {
	switch op {
	case compile.ADD:
		return Float(a + b), nil
	case compile.SUB:
		return Float(a - b), nil
	case compile.MUL:
		return Float(a * b), nil
	case compile.DIV:
		if b == 0 {
			return Null, errorf("division by zero")
		}
		return Float(a / b), nil
	case compile.MOD:
		if b == 0 {
			return Null, errorf("modulo by zero")
		}
		return Float(math.Mod(a, b)), nil
	}
	return Null, errorf("internal error: bad operator %s", op)
}

// intCompare applies a comparison (LT..NEQ) to two ints.
func intCompare(op compile.Opcode, a, b int64) bool {
	switch op {
	case compile.LT:
		return a < b
	case compile.LE:
		return a <= b
	case compile.GT:
		return a > b
	case compile.GE:
		return a >= b
	case compile.EQL:
		return a == b
	}
	return a != b
}

// compareOp applies a comparison (LT..NEQ) to any two values: numbers and
// strings are ordered; == and != compare deeply.
func compareOp(op compile.Opcode, x, y Value) (bool, error) {
	switch op {
	case compile.EQL:
		return Equal(x, y), nil
	case compile.NEQ:
		return !Equal(x, y), nil
	}
	c, err := order(x, y)
	if err != nil {
		return false, fmt.Errorf("cannot compare %s %s %s", x.TypeName(), opSymbols[op], y.TypeName())
	}
	switch op {
	case compile.LT:
		return c < 0, nil
	case compile.LE:
		return c <= 0, nil
	case compile.GT:
		return c > 0, nil
	}
	return c >= 0, nil
}

// order returns -1, 0 or 1 as x is less than, equal to or greater than y,
// for two numbers or two strings.
func order(x, y Value) (int, error) {
	switch {
	case x.k == KindInt && y.k == KindInt:
		a, b := int64(x.n), int64(y.n)
		return cmp3(a < b, a > b), nil
	case isNumber(x) && isNumber(y):
		a, b := x.Float(), y.Float()
		return cmp3(a < b, a > b), nil
	case x.k == KindString && y.k == KindString:
		a, b := x.str(), y.str()
		return cmp3(a < b, a > b), nil
	}
	return 0, errorf("unordered")
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

func negate(x Value) (Value, error) {
	switch x.k {
	case KindInt:
		return Int(-int64(x.n)), nil
	case KindFloat:
		return Float(-x.float()), nil
	}
	return Null, errorf("cannot negate %s", x.TypeName())
}

// Size limits that keep a runaway program from exhausting memory within its
// step budget (a string doubled in a loop grows exponentially).
const (
	MaxStringLen = 64 << 20 // bytes in a string built by the VM
	MaxListLen   = 4 << 20  // elements in a list built by push, concat or range
)

func tooLong(what string, n int) error {
	return errorf("%s of %d would exceed the limit", lengthOf(what), n)
}

func lengthOf(what string) string {
	if what == "string" {
		return "string length"
	}
	return what + " length"
}

func notBool(x Value) error {
	return errorf("condition must be bool, got %s", x.TypeName())
}

// checkFailed reports a failed CHECKTYPE in fn (a let, an assignment or a
// return value).
func checkFailed(fn *Function, err *typeError) error {
	return prefixed(fn.Name, err)
}

// ---- containers ----

func makeMap(kvs []Value) Value {
	m := newMap(len(kvs) / 2)
	for i := 0; i < len(kvs); i += 2 {
		m.Set(kvs[i].str(), kvs[i+1])
	}
	return Value{k: KindMap, p: unsafe.Pointer(m)}
}

// makeInstance builds an instance of cls from field values in declaration
// order, checking them against the field types (plans) unless the compiler
// proved them.
func makeInstance(cls *types.ClassDecl, plans []*plan, vals []Value, check bool) (Value, error) {
	fields := make([]Value, len(vals))
	copy(fields, vals)
	if check {
		for i, f := range cls.Fields {
			v, err := coerce(fields[i], plans[i])
			if err != nil {
				return Null, prefixed(cls.Name+"."+f.Name, err)
			}
			fields[i] = v
		}
	}
	return NewInstance(cls, fields), nil
}

func fieldError(x Value, name string) error {
	if x.k == KindNull {
		return errorf("cannot read field %s of null", name)
	}
	return errorf("%s has no field %s", x.TypeName(), name)
}

// setField sets field i of x, an instance of class number ci.
func (p *Program) setField(x Value, ci, i int, v Value) error {
	cls := p.classes[ci]
	f := cls.Fields[i]
	if x.k != KindInstance || x.instance().class != cls {
		if x.k == KindNull {
			return errorf("cannot set field %s of null", f.Name)
		}
		return errorf("%s has no field %s", x.TypeName(), f.Name)
	}
	v, err := coerce(v, p.fieldPlans[ci][i])
	if err != nil {
		return prefixed(cls.Name+"."+f.Name, err)
	}
	x.instance().fields[i] = v
	return nil
}

func getAttr(x Value, name string) (Value, error) {
	if x.k == KindInstance {
		in := x.instance()
		if i := in.class.FieldIndex(name); i >= 0 {
			return in.fields[i], nil
		}
	}
	return Null, fieldError(x, name)
}

func (p *Program) setAttr(x Value, name string, v Value) error {
	if x.k == KindInstance {
		cls := x.instance().class
		if i := cls.FieldIndex(name); i >= 0 {
			if ci, ok := p.classIndex[cls]; ok {
				return p.setField(x, ci, i, v)
			}
		}
	}
	if x.k == KindNull {
		return errorf("cannot set field %s of null", name)
	}
	return errorf("%s has no field %s", x.TypeName(), name)
}

// mapKey returns the string key a value stands for in a map: a string, or
// an enum value's variant name (maps keyed by an enum hold the names).
func mapKey(k Value) (string, bool) {
	switch k.k {
	case KindString:
		return k.str(), true
	case KindEnum:
		_, name := k.Enum()
		return name, true
	}
	return "", false
}

// listIndex resolves an index into a sequence of length n; negative indexes
// count from the end.
func listIndex(i Value, n int, what string) (int, error) {
	if i.k != KindInt {
		return 0, errorf("%s index must be int, got %s", what, i.TypeName())
	}
	j := int64(i.n)
	if j < 0 {
		j += int64(n)
	}
	if j < 0 || j >= int64(n) {
		return 0, errorf("index %d out of range (%s of length %d)", int64(i.n), what, n)
	}
	return int(j), nil
}

func getIndex(x, i Value) (Value, error) {
	switch x.k {
	case KindList:
		elems := x.list().elems
		j, err := listIndex(i, len(elems), "list")
		if err != nil {
			return Null, err
		}
		return elems[j], nil
	case KindMap:
		k, ok := mapKey(i)
		if !ok {
			return Null, errorf("map key must be string, got %s", i.TypeName())
		}
		v, ok := x.mapv().Get(k)
		if !ok {
			return Null, quoting("key "+strconv.Quote(k)+" not found in map", "key not found in map")
		}
		return v, nil
	case KindString:
		s := []rune(x.str())
		j, err := listIndex(i, len(s), "string")
		if err != nil {
			return Null, err
		}
		return String(string(s[j])), nil
	case KindNull:
		return Null, errorf("cannot index null")
	}
	return Null, errorf("cannot index %s", x.TypeName())
}

func setIndex(x, i, v Value) error {
	switch x.k {
	case KindList:
		elems := x.list().elems
		j, err := listIndex(i, len(elems), "list")
		if err != nil {
			return err
		}
		elems[j] = v
		return nil
	case KindMap:
		k, ok := mapKey(i)
		if !ok {
			return errorf("map key must be string, got %s", i.TypeName())
		}
		x.mapv().Set(k, v)
		return nil
	}
	return errorf("cannot assign to an element of %s", x.TypeName())
}

// iterable returns the list a for loop walks: a list itself (read live, so
// elements pushed during the loop are visited), or a snapshot of a map's keys.
func iterable(x Value) (Value, error) {
	switch x.k {
	case KindList:
		return x, nil
	case KindMap:
		keys := x.mapv().keys
		elems := make([]Value, len(keys))
		for i, k := range keys {
			elems[i] = String(k)
		}
		return NewList(elems), nil
	}
	return Null, errorf("cannot iterate over %s", x.TypeName())
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
