// Package vm compiles bex programs to bytecode and runs them.
//
// Compile turns parsed files (runtime/syntax) into an immutable *Program,
// reporting every compile error with its position as an *ErrorList. A
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
// Declarations are classes (typed fields, with @alias and @description),
// enums (variants, with @alias and @description), client<llm> and
// retry_policy blocks (kept for the engine), and functions. A function with
// a `client`/`prompt` body is an LLM function: the VM never runs its body,
// it calls Externals.CallLLM. Host functions are Go functions declared to
// the compiler through CompileOptions.HostFuncs and called through
// Externals.CallHost. bex functions, host functions, classes and enums share
// one namespace; variables have their own, so a local may be named like a
// function.
//
// Types are int, float, string, bool, null, T[] (list), map<string, T>, T?
// (T or null), unions A | B, literal types ("open", 1, true), class and enum
// names, and any (every value; media types such as image are any too).
//
// An expression function's body is a block. Statements are:
//
//	let x = e;  let x: T = e;      block-scoped; an inner block may shadow
//	x = e;  x op= e;               op is + - * / %; targets are locals,
//	o.f = e;  xs[i] = e;  m[k] = e fields, list elements and map entries
//	e;                             an expression for its effects
//	for (x in e) { ... }           a list's elements, or a map's keys
//	while (cond) { ... }
//	break;  continue;  return;  return e;
//
// A block's trailing expression (no semicolon) is its value, and the body's
// value is the function's result; a block without one has the value null.
// `if cond { ... } else if cond { ... } else { ... }` is an expression whose
// value is that of the branch taken, or null when no branch is.
//
// A for loop over a list reads the list live (elements pushed during the loop
// are visited); over a map it visits a snapshot of the keys in insertion
// order. Conditions of if, while, &&, || and ! must be bools: any other value
// is a run-time error, never "truthy".
//
// Operators, by increasing precedence: ||, &&, == !=, < <= > >=, + -,
// * / %, unary - and !. Arithmetic on two ints is int arithmetic (64-bit,
// wrapping; / truncates toward zero); with a float operand it is float
// arithmetic. Division or modulo by zero is a run-time error for ints and
// floats. + also concatenates two strings. == and != compare deeply (1 ==
// 1.0; lists by elements, maps by entries whatever their order, instances by
// class and fields, enums by variant). < <= > >= order two numbers or two
// strings. && and || short-circuit.
//
// Literals are ints, floats, strings ("..." with escapes, #"raw"#), true,
// false, null, lists [a, b], maps {key: v, "any key": v} and class
// constructors Name { field: v }, whose fields are evaluated in source
// order; an unknown field, or a missing field whose type does not admit
// null, is a compile error, and a missing nullable field is null. Field
// access o.f needs a class instance (reading a field of null is a run-time
// error). xs[i] indexes lists and strings, counting from the end when i is
// negative (out of range is a run-time error); m[k] indexes maps (a missing
// key is a run-time error; use m.get(k)).
//
// # Built-in methods and functions
//
// Strings count characters (Unicode code points), not bytes:
//
//	length() upper() lower() trim() split(sep) contains(s) starts_with(s)
//	ends_with(s) replace(old, new) index_of(s) slice(a[, b]) to_string()
//	to_int() to_float()
//
// Lists: length() push(x) (in place; null) pop() (removes and returns the
// last element) contains(x) join(sep) index_of(x) slice(a[, b]) reverse()
// concat(other); slice, reverse and concat return new lists. Maps: length()
// keys() values() contains(k) get(k[, default]) remove(k) (returns the
// removed value or null). Ints: to_string() to_float() abs(). Floats:
// to_string() to_int() (truncates) abs() round() floor() ceil() (the last
// three return ints). Bools: to_string(). Enum values: to_string() (the
// variant's name). slice bounds may be negative (from the end) and are
// clamped. Global functions: len(x), range(n), range(a, b) (a list of ints),
// min(a, b), max(a, b) and abs(x).
//
// # Errors
//
// Compile errors ("file:line:col: msg") include unknown variables,
// functions, types, classes, fields and enum values, argument count
// mismatches, and unknown fields and methods on values whose type the
// compiler knows: the declared type of a parameter or let, the type of the
// initializer of a let that is never reassigned, the type of a class field
// or function result, and, for fields only, the element type of a typed
// list. When it does not know the type, the same mistakes are run-time
// errors ("string has no method 'foo'").
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
