package jaegertest

import "syscall"

// sigTerm asks Jaeger and the build script to stop gracefully.
const sigTerm = syscall.SIGTERM
