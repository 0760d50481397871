// stream.go holds Stream: a call whose LLM replies are seen as they grow.

package engine

import (
	"context"
	"iter"
)

// A Partial is one value of a streamed call (see Stream).
type Partial struct {
	// Function is the LLM function whose reply Value is a partial value
	// of, or, for the final value, the function called.
	Function string
	// Value is in the form Call returns: nil, bool, int64, float64,
	// string, []any or map[string]any (class instances as maps of their
	// fields, enum values as strings). A partial value is the LLM
	// function's return type as read so far: every field present (null,
	// or an empty list or map, until read), strings as far as written,
	// numbers, booleans and enum values only once whole, and the fields
	// and classes marked @stream.done, @stream.not_null and
	// @stream.with_state shown as they say. Values are never changed once
	// given, and may share their parts with the values that follow.
	Value any
	// Final reports that Value is the call's result: what Call returns.
	Final bool
}

// Stream runs the function name like Call and yields the partial values of
// its LLM calls' replies as they arrive, then its result:
//
//	for p, err := range eng.Stream(ctx, "ClassifyTicket", args) {
//		if err != nil {
//			return err // the call failed: the last value yielded
//		}
//		render(p.Value) // p.Final: the result, as Call returns it
//	}
//
// For an LLM function, the partial values are those of its return type as
// the reply grows (see Partial), and the result is the value Call would
// return for the same reply (the whole reply parsed again). For an
// expression function, Stream yields the partial values of every LLM call
// the function makes, in order, each with the name of the LLM function
// (its return type, not the expression function's), while the function
// waits on that call; then the expression function's result, Final. LLM
// calls made by host functions, or in nested engine calls, are not
// streamed. A function that makes no LLM call yields only its result.
//
// Every provider request of a streamed call asks for a streamed reply.
// Partial values come after the chunks of the reply that change them;
// within long lists the partial value is rebuilt only once the reply has
// grown by half a byte per element (llm.PartialParser), so that streaming
// costs a small constant times one parse. A failure before any partial
// value of an LLM call was yielded is retried and falls back as in Call;
// after, it ends the call (the consumer has seen that reply's values). The
// sequence ends after the result or after an error (a (Partial{}, err)
// pair).
//
// A consumer that stops (breaks out of the loop) stops the call: the
// provider request is cancelled and its connection closed, and the call
// ends with llm.ErrStopped (a cancellation) on its spans. Cancelling ctx
// does the same with ctx's error. Spans and timeouts are those of Call.
func (e *Engine) Stream(ctx context.Context, name string, args any, opts ...CallOption) iter.Seq2[Partial, error] {
	return func(yield func(Partial, error) bool) {
		s := &streamState{yield: yield}
		res, err := e.call(ctx, name, args, s.partial, opts)
		if s.panicked {
			panic(s.panicValue) // the consumer's, after the call's spans ended
		}
		if s.stopped {
			return
		}
		if err != nil {
			yield(Partial{}, err)
			return
		}
		yield(Partial{Function: name, Value: res, Final: true}, nil)
	}
}

// A streamState passes a streamed call's partial values to its consumer.
type streamState struct {
	yield      func(Partial, error) bool
	stopped    bool // the consumer stopped
	panicked   bool // the consumer panicked, with panicValue
	panicValue any
}

// partial yields a partial value of LLM function fn and reports whether
// the consumer wants more. The consumer runs inside the call; a panic of
// the consumer stops the call, whose spans end, and is raised again once
// the call has returned.
func (s *streamState) partial(fn string, v any) (more bool) {
	if s.stopped {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			s.panicked, s.panicValue = true, r
			s.stopped, more = true, false
		}
	}()
	if !s.yield(Partial{Function: fn, Value: v}, nil) {
		s.stopped = true
		return false
	}
	return true
}
