// box.go makes the snapshots of scalar arguments and results of traced
// frames without an allocation each.

package vm

import "unsafe"

// A boxer makes interface values (snapshots) of int64, float64 and string
// for the tracing hook. Converting a scalar to an interface allocates a
// copy of it (8 bytes, 16 for a string header) except for small integers,
// one or two per traced call (docs/performance.md gives their share). A
// boxer instead copies the scalar into the next free slot of a chunk and
// returns an interface value that points at the slot, exactly as the
// runtime's own conversion points at its fresh copy. A slot is written once,
// before its interface value exists, and never again, so the values are as
// immutable as the runtime's; a chunk stays alive while any value in it
// does. A boxer belongs to one Thread and is not safe for concurrent use.
type boxer struct {
	ints    *[boxChunk]int64
	floats  *[boxChunk]float64
	strings *[boxChunk]string
	// The slots of each chunk are handed out from the end: ni, nf and ns
	// count those left.
	ni, nf, ns int
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
	if b.ni == 0 {
		b.ints, b.ni = new([boxChunk]int64), boxChunk
	}
	b.ni--
	p := &b.ints[b.ni]
	*p = n
	return pack(int64Type, unsafe.Pointer(p))
}

func (b *boxer) float(f float64) any {
	if b.nf == 0 {
		b.floats, b.nf = new([boxChunk]float64), boxChunk
	}
	b.nf--
	p := &b.floats[b.nf]
	*p = f
	return pack(float64Type, unsafe.Pointer(p))
}

func (b *boxer) string(s string) any {
	if s == "" {
		return ""
	}
	if b.ns == 0 {
		b.strings, b.ns = new([boxChunk]string), boxChunk
	}
	b.ns--
	p := &b.strings[b.ns]
	*p = s
	return pack(stringType, unsafe.Pointer(p))
}
