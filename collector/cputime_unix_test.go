//go:build unix

package collector_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used.
// Benchmarks report it per operation because wall time is unreliable on a
// shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
