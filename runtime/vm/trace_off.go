//go:build bexnotrace

package vm

// tracing is false in this build (tag bexnotrace): the VM never checks for
// traced frames and never calls Thread.Hook. It exists for benchmarks only.
const tracing = false
