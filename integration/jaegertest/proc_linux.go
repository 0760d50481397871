package jaegertest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the kernel send sig to the child when the thread
// that started it exits, so that a test binary that dies (e.g. panics on
// go test's timeout, which skips t.Cleanup) does not leave the child running.
// The caller keeps that thread alive with runtime.LockOSThread while the
// child runs.
func setParentDeathSignal(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = sig
}
