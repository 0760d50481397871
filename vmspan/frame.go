// frame.go holds the VM -> engine notification protocol for traced frames.

package vmspan

// A Frame describes a traced frame that the VM is entering.
type Frame struct {
	Depth int    // the frame's call depth in the VM: the called function is 1
	Name  string // function name
	Kind  Kind   // KindLLM, KindExpr or KindHostFunc
	// Args are the arguments, named after their parameters (a variadic
	// parameter's values are numbered: name1, name2, ...), as snapshots
	// taken by the VM (the event value form, see Snapshot); an argument
	// whose name looks secret (IsSecretKey) is Redacted. The snapshots are
	// immutable, but the VM may reuse the slice: the hook copies the slice
	// if it keeps it after returning.
	Args []Arg
}

// A FrameHook is told by the VM when it enters and leaves traced frames. It is
// called at the VM's call/return choke point, never inside the instruction
// loop body, and only for traced frames (whether a frame is traced is decided
// by the function's kind and attributes, in one place in the VM).
//
// ExitFrame is called exactly once for every EnterFrame, innermost first, on
// every path out of the frame: a normal return (err nil, result a snapshot
// of the returned value, in the event value form), and error unwinding, a panicking host function, cancellation or
// the step limit (err non-nil). depth names the frame being left, so a hook
// can verify that its own stack agrees.
//
// One FrameHook serves one call on one goroutine; it need not be safe for
// concurrent use.
type FrameHook interface {
	EnterFrame(f *Frame)
	ExitFrame(depth int, result any, err error)
}
