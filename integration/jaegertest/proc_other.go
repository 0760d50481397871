//go:build !linux

package jaegertest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal is a no-op where there is no parent-death signal; the
// child is still stopped by the test's cleanup.
func setParentDeathSignal(*exec.Cmd, syscall.Signal) {}
