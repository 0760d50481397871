package clock

// haveTSC reports whether rdtsc reads a timestamp counter.
const haveTSC = true

// rdtsc returns the CPU's timestamp counter (tsc_amd64.s).
//
//go:noescape
func rdtsc() uint64
