//go:build !amd64

package clock

// haveTSC reports whether rdtsc reads a timestamp counter.
const haveTSC = false

// rdtsc is never called where there is no counter.
func rdtsc() uint64 { return 0 }
