//go:build unix && !bexnotrace

package bench

// tracingCompiledOut reports whether this build (tag bexnotrace) compiled
// the tracing hook checks out of the VM's call path.
const tracingCompiledOut = false
