// box.go makes the snapshots of scalar arguments and results of traced
// frames without an allocation each.

package vm

import "unsafe"

// A boxer makes interface values (snapshots) of int64, float64 and string
// for the tracing hook. Converting a scalar to an interface allocates a
// copy of it (8 bytes, 16 for a string header) except for small integers;
// at one or two per traced call, that was a sixth of the call's cost. A
// boxer instead copies the scalar into the next free slot of a chunk and
// returns an interface value that points at the slot, exactly as the
// runtime's own conversion points at its fresh copy. A slot is written once,
// before its interface value exists, and never again, so the values are as
// immutable as the runtime's; a chunk stays alive while any value in it
// does. A boxer belongs to one Thread and is not safe for concurrent use.
type boxer struct {
	ints    []int64
	floats  []float64
	strings []string
}

// boxChunk is the number of slots allocated at a time.
const boxChunk = 32

// eface is the layout of an empty interface value (runtime.eface).
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// typeOf returns the type word of v's dynamic type.
func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	int64Type   = typeOf(int64(0))
	float64Type = typeOf(float64(0))
	stringType  = typeOf("")
)

// pack returns the interface value of type typ whose value is at data.
func pack(typ, data unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

func (b *boxer) int(n int64) any {
	if n >= 0 && n < 256 {
		return n // the runtime boxes these without allocating
	}
	if len(b.ints) == 0 {
		b.ints = make([]int64, boxChunk)
	}
	p := &b.ints[0]
	b.ints = b.ints[1:]
	*p = n
	return pack(int64Type, unsafe.Pointer(p))
}

func (b *boxer) float(f float64) any {
	if len(b.floats) == 0 {
		b.floats = make([]float64, boxChunk)
	}
	p := &b.floats[0]
	b.floats = b.floats[1:]
	*p = f
	return pack(float64Type, unsafe.Pointer(p))
}

func (b *boxer) string(s string) any {
	if s == "" {
		return ""
	}
	if len(b.strings) == 0 {
		b.strings = make([]string, boxChunk)
	}
	p := &b.strings[0]
	b.strings = b.strings[1:]
	*p = s
	return pack(stringType, unsafe.Pointer(p))
}
