// Package vm compiles bex programs to bytecode and runs them.
//
// Compile turns parsed files (runtime/syntax) into an immutable *Program,
// reporting every compile error with its position as a syntax.ErrorList. A
// Program is safe for concurrent use; each call runs on its own *Thread,
// which holds the call's limits (context, step budget, depth), its tracing
// hook and the Externals that perform host and LLM calls:
//
//	prog, err := vm.Compile(files, vm.CompileOptions{HostFuncs: hosts})
//	th := &vm.Thread{Ctx: ctx, MaxSteps: 1e7, Externals: ext, Hook: hook}
//	result, err := prog.Call(th, prog.Function("Triage"), []vm.Value{vm.String(body)})
//
// Program.Call is the single entry point: it checks the argument count and
// types, runs the function (an expression function on the VM, an LLM or host
// function through Externals), checks the result type, and returns the
// result or an *EvalError carrying the bex call stack.
//
// # Values
//
// A Value is a small struct passed by value. Ints (int64), floats, bools and
// null never allocate; strings are immutable; lists, maps (string keys,
// insertion-ordered) and class instances are mutable and shared by
// reference, like objects in JavaScript or Python. Enum values are written
// Enum.Variant in bex. FromGo, ToGo and Snapshot convert between Values, Go
// values and the span event form of package vmspan.
//
// # The language
//
// The language is described, with an example of every construct, in
// docs/language.md. In short: classes (with methods), enums, type aliases,
// client<llm> and retry_policy blocks (kept for the engine), top-level lets,
// and functions. A function with a `client`/`prompt` body is an LLM
// function: the VM never runs its body, it calls Externals.CallLLM. Host
// functions are Go functions declared to the compiler through
// CompileOptions.HostFuncs (their signatures in bex syntax) and called
// through Externals.CallHost. Expression functions are blocks of statements
// (let, assignment, if, for, while, break, continue, return) whose last
// expression is their value; expressions include lambdas, block
// expressions, instanceof and class literals with a spread. The types are
// those of package runtime/types; the compiler checks them statically and
// the VM at every call boundary.
//
// Values are ints (int64), floats, strings, bools, null, lists, maps
// (string keys, insertion-ordered; a map keyed by an enum holds the
// variants' names), class instances, enum values, media (image, audio, pdf,
// video: a *vmspan.Media, immutable) and functions (a lambda holds copies of
// the variables it captured). A top-level let is computed
// the first time a call reads it, once per call (Thread), so calls never
// share its value.
//
// # Errors
//
// Compile returns every compile error at once as a syntax.ErrorList of
// positioned errors ("file:line:col: msg"): syntax is the parser's, and the
// compiler reports unknown names, type errors (a value that cannot have the
// type required: a result, an argument, a let's declared type, a class
// field, an operand), BAML's naming rules and bad client declarations. What
// BAML only warns about is a warning: in the list of a failed compilation,
// and in Program.Warnings otherwise. Where the static types are only partly
// known (any, a union some of whose members fit), the VM checks at run time
// ("string has no method 'foo'").
//
// Arguments and results are checked against the declared types at every
// call boundary: calls between bex functions, calls into host and LLM
// functions (arguments, and the result they return), and Program.Call. An
// int is accepted where a float is expected and converted to a float when
// the declared type is float, float? or a union with float but not int (the
// elements of containers are checked, not converted). A list is checked
// element by element and a map value by value. Lets with a declared type,
// assignments to them, class constructors and field assignments are checked
// the same way. Checks the compiler proves unnecessary are not made.
//
// Run-time errors are *EvalError values whose Error text is the message
// followed by the bex stack, innermost frame first:
//
//	division by zero
//	  at Score (main.baml:12:5)
//	  at Triage (main.baml:20:13)
//
// Its Cause is ErrStepLimit, ErrStackOverflow, the context's error, a
// *PanicError for a Go panic in a host function, or the error a host or LLM
// function returned, unchanged; errors.Is and errors.As see through it.
//
// # Limits
//
// Thread.MaxSteps bounds the steps of a call. Steps approximate the
// instructions executed, without a counter in every instruction: the VM
// charges each loop iteration the length of the loop in instructions when it
// jumps back to the loop's start, and each call the length of the called
// function. Thread.MaxDepth bounds the depth of nested calls (default
// 10,000); bex-to-bex calls never recurse on the Go stack, so deep recursion
// is an ErrStackOverflow, never a Go stack overflow. The context is checked
// every 2048 steps and before every host or LLM call. Straight-line code
// between two steps is bounded by the size of the function, so a runaway
// program is always stopped promptly. So that a runaway program cannot
// exhaust memory within its budget either, strings built by the VM are
// limited to MaxStringLen bytes and lists built by push, concat and range to
// MaxListLen elements.
//
// # Tracing
//
// Whether calls to a function are traced frames is decided in one place,
// Function.Traced: LLM functions always are, host functions when their
// HostSig says so, and expression functions when their body contains the
// block attribute @@trace:
//
//	function Score(a: int, b: int) -> int {
//	    @@trace
//	    a * 10 + b
//	}
//
// When Thread.Hook is set, the VM reports each traced frame it enters and
// leaves (vmspan.FrameHook) at its call and return choke point: EnterFrame
// before the function runs, with the frame's depth (the function passed to
// Call is depth 1; every call, traced or not, bex, host or LLM, adds one) and
// snapshots of its arguments (Snapshot: the immutable span event form);
// ExitFrame exactly once per EnterFrame, innermost first, on every path
// out — a return (with a snapshot of the result), a run-time
// error unwinding through several frames, a panicking host function,
// cancellation, the step limit and stack overflow (with the *EvalError the
// call returns). Untraced calls do no tracing work, not even a test: the
// body of a traced expression function starts with an ENTER instruction
// and runs EXIT before each of its returns (enter and exit in `bex
// disasm`), so one call and one return instruction serve every function
// and execute exactly what they would in a VM without tracing. With a nil Hook
// the VM does no tracing work at all. Built with the tag bexnotrace, the VM
// leaves the hook checks out altogether (and never calls a Hook): the
// baseline that benchmarks compare the normal build against.
package vm
