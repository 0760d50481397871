// errors.go holds the VM's run-time error types.

package vm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/vmspan"
)

// Sentinel causes of run-time errors; test them with errors.Is.
var (
	ErrStepLimit     = errors.New("step limit exceeded")
	ErrStackOverflow = errors.New("stack overflow")
)

// An EvalError is a run-time error with the bex call stack at the point of
// failure. Cause is the underlying error when there is one: ErrStepLimit,
// ErrStackOverflow, the context's error, a *PanicError, or the error a host
// or LLM function returned, unchanged.
type EvalError struct {
	Msg   string
	Cause error
	// Stack lists the frames active at the failure, innermost first. The
	// innermost bex frame's position is the failing operation; outer frames
	// give their call sites. Host and LLM functions appear as frames too.
	Stack []StackFrame
	// summary is Msg without the values it quotes, when it quotes some
	// and there is no Cause to ask (see ErrorSummary).
	summary string
}

// A StackFrame is one frame of an EvalError's stack.
type StackFrame struct {
	Func string
	File string     // empty for host functions
	Pos  syntax.Pos // zero for host functions
}

// String formats the frame as "Name (file:line:col)".
func (f StackFrame) String() string {
	if f.File == "" {
		return f.Func + " (host function)"
	}
	return fmt.Sprintf("%s (%s:%d:%d)", f.Func, f.File, f.Pos.Line, f.Pos.Col)
}

// Error returns the message followed by the stack, one "  at Frame" line per
// frame, innermost first.
//
// A deep stack (a runaway recursion) shows its innermost and outermost
// maxShownFrames/2 frames and how many it leaves out: the message ends up in
// the end event of every span the error unwinds, so it must stay small.
func (e *EvalError) Error() string { return e.withStack(e.Msg) }

// ErrorSummary returns Error without the values the message quotes (a
// string the program could not convert, a map key it did not find, a
// reply an LLM function could not parse): the message's own summary, or
// its cause's, followed by the stack. See vmspan.ErrorSummary.
func (e *EvalError) ErrorSummary() string { return e.withStack(e.msgSummary()) }

// msgSummary is Msg without the values it quotes.
func (e *EvalError) msgSummary() string {
	switch {
	case e.summary != "":
		return e.summary
	case e.Cause == nil:
		return e.Msg
	}
	if ee, ok := e.Cause.(*EvalError); ok { // a nested call's error, whose Msg alone is Msg (withCause)
		return ee.msgSummary()
	}
	return vmspan.ErrorSummary(e.Cause)
}

// withStack returns msg followed by the stack.
func (e *EvalError) withStack(msg string) string {
	var b strings.Builder
	b.WriteString(msg)
	for i, f := range e.Stack {
		if n := len(e.Stack); n > maxShownFrames && i == maxShownFrames/2 {
			fmt.Fprintf(&b, "\n  ... %d more frames ...", n-maxShownFrames)
		}
		if n := len(e.Stack); n > maxShownFrames && i >= maxShownFrames/2 && i < n-maxShownFrames/2 {
			continue
		}
		b.WriteString("\n  at " + f.String())
	}
	return b.String()
}

// maxShownFrames is how many frames of its stack an EvalError's message
// shows at most; Stack itself keeps them all.
const maxShownFrames = 20

// Unwrap returns the cause.
func (e *EvalError) Unwrap() error { return e.Cause }

// ErrorType returns a short type name for span events: the cause's own
// ErrorType() when it has one, else "Canceled", "DeadlineExceeded",
// "StepLimit", "StackOverflow", "HostPanic" or "EvalError".
func (e *EvalError) ErrorType() string {
	var typed interface{ ErrorType() string }
	if e.Cause != nil && errors.As(e.Cause, &typed) {
		return typed.ErrorType()
	}
	switch {
	case errors.Is(e.Cause, context.Canceled):
		return "Canceled"
	case errors.Is(e.Cause, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.Is(e.Cause, ErrStepLimit):
		return "StepLimit"
	case errors.Is(e.Cause, ErrStackOverflow):
		return "StackOverflow"
	}
	return "EvalError"
}

// A PanicError is a Go panic recovered from a host function (or, as an
// internal error, from the VM itself).
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ErrorType returns "HostPanic".
func (e *PanicError) ErrorType() string { return "HostPanic" }

// A causeError is a failure with a typed cause: the VM's limits, cancellation
// and errors from host and LLM functions. Other run-time errors are plain.
type causeError struct {
	msg   string
	cause error
}

func (e *causeError) Error() string { return e.msg }

func withCause(cause error) *causeError {
	var ee *EvalError
	if errors.As(cause, &ee) && ee == cause {
		return &causeError{msg: ee.Msg, cause: cause}
	}
	return &causeError{msg: cause.Error(), cause: cause}
}

// evalError wraps err (from the loop or a helper) with a stack.
func evalError(err error, stack []StackFrame) *EvalError {
	var ce *causeError
	if errors.As(err, &ce) {
		return &EvalError{Msg: ce.msg, Cause: ce.cause, Stack: stack}
	}
	ee := &EvalError{Msg: err.Error(), Stack: stack}
	if s := vmspan.ErrorSummary(err); s != ee.Msg {
		ee.summary = s
	}
	return ee
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// A valueError is a run-time error whose message quotes a value of the
// program (a string it could not convert, a map key it did not find), and
// its summary, which says the same without the value.
type valueError struct{ msg, summary string }

func (e *valueError) Error() string        { return e.msg }
func (e *valueError) ErrorSummary() string { return e.summary }

// quoting returns the run-time error msg, which quotes a value; summary
// says the same without it.
func quoting(msg, summary string) error { return &valueError{msg, summary} }

// prefixed returns err with prefix and ": " before its message, and
// before its summary (see vmspan.ErrorSummary).
func prefixed(prefix string, err error) error {
	msg, summary := prefix+": "+err.Error(), prefix+": "+vmspan.ErrorSummary(err)
	if msg == summary {
		return errors.New(msg)
	}
	return &valueError{msg, summary}
}
