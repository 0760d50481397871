//go:build !bexnotrace

package vm

// tracing is false only in builds with the tag bexnotrace, which compile the
// hook checks out of the VM's call path: the baseline against which the
// benchmarks measure what tracing costs when nobody listens.
const tracing = true
