// test.go runs the program's test blocks: a function called with a test's
// arguments and types, and the test's @@check and @@assert evaluated on
// the result.

package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// A TestCase is one test block run against one of the functions it names,
// as BAML's test runner counts them: "Function::Test".
type TestCase struct {
	Test     *vm.Test
	Function *vm.Function
}

// Name returns "Function::Test".
func (tc TestCase) Name() string { return tc.Function.Name + "::" + tc.Test.Name }

// Tests returns the program's test cases: each test block once per
// function it names, in declaration order.
func (e *Engine) Tests() []TestCase {
	var out []TestCase
	for _, t := range e.prog.Tests() {
		for _, fn := range t.Functions {
			out = append(out, TestCase{Test: t, Function: fn})
		}
	}
	return out
}

// A TestStatus is the outcome of a test case.
type TestStatus uint8

// Test statuses.
const (
	// TestPassed: the function returned and every @@check and @@assert of
	// the test held.
	TestPassed TestStatus = iota + 1
	// TestFailed: the function's result broke the test's @@assert or
	// @@check constraints, or the function's output failed to parse or
	// broke an @assert of its type (as BAML reports such tests).
	TestFailed
	// TestError: the test could not run its function: bad arguments, an
	// LLM provider error, a run-time error.
	TestError
)

func (s TestStatus) String() string {
	switch s {
	case TestPassed:
		return "PASSED"
	case TestFailed:
		return "FAILED"
	case TestError:
		return "ERROR"
	}
	return "unknown"
}

// A TestResult is what running a test case gave.
type TestResult struct {
	Case   TestCase
	Status TestStatus
	// Result is the function's result as Call returns it (nil on error).
	Result any
	// Err is the call's error (Status TestError, or TestFailed when the
	// output could not be parsed or broke an @assert of its type).
	Err error
	// Checks lists the outcomes of the test's @@check and @@assert
	// constraints, in order, up to the first @@assert that failed (the
	// later ones are not evaluated, as in BAML). Kind says which it was.
	Checks []TestCheck
	// Latency is how long the function call took (the test's _.latency_ms).
	Latency time.Duration
}

// A TestCheck is the outcome of one @@check or @@assert of a test.
type TestCheck struct {
	Kind   types.ConstraintKind
	Name   string // "" for an unnamed @@assert
	Expr   string
	Passed bool
	Err    error // set when the expression could not be evaluated
}

// String returns "@@check name failed: {{ expr }}" and the like.
func (c TestCheck) String() string { return c.text(true) }

// text is String; without the evaluation error (which may quote the
// result) unless withErr is set.
func (c TestCheck) text(withErr bool) string {
	s := "@@assert"
	if c.Kind == types.Check {
		s = "@@check"
	}
	if c.Name != "" {
		s += " " + c.Name
	}
	switch {
	case c.Err != nil && withErr:
		return s + " could not be evaluated: " + c.Err.Error()
	case c.Err != nil:
		return s + " could not be evaluated: {{ " + c.Expr + " }}"
	case c.Passed:
		return s + " passed: {{ " + c.Expr + " }}"
	}
	return s + " failed: {{ " + c.Expr + " }}"
}

// RunTest runs a test case: it calls the function with the test's
// arguments (media given as {file} are read relative to the test's file)
// and its type_builder's types, then evaluates the test's @@check and
// @@assert constraints in order with this (the result), _.result,
// _.checks (the outcomes of the earlier @@checks, by name) and
// _.latency_ms. opts apply to the call (a client registry, collectors).
//
// The test is traced as a host span named "Function::Test" tagged
// test=Test and test_function=Function, the root of its trace (or under
// the span in ctx), with the engine call's root span below it; the span
// ends with an error when the test does not pass.
func (e *Engine) RunTest(ctx context.Context, tc TestCase, opts ...CallOption) TestResult {
	res := TestResult{Case: tc}
	tracer := e.tracer
	if tracer == nil {
		tracer = vmspan.Default()
	}
	ctx, span := tracer.Start(ctx, tc.Name())
	span.SetTags("test", tc.Test.Name, "test_function", tc.Function.Name)
	defer func() { span.End(res.Result, res.failure()) }()

	args, err := testArgs(tc)
	if err != nil {
		res.Status, res.Err = TestError, err
		return res
	}
	if tc.Test.Types != nil {
		opts = append(opts, withOverlay(tc.Test.Types))
	}
	start := tracer.Now()
	res.Result, res.Err = e.Call(ctx, tc.Function.Name, args, opts...)
	res.Latency = tracer.Now().Sub(start)
	if res.Err != nil {
		res.Status = TestError
		var pe *llm.ParseError
		if errors.As(res.Err, &pe) {
			res.Status = TestFailed
		}
		return res
	}
	res.Status = TestPassed
	res.Checks = evalTestChecks(tc.Test.Checks, res.Result, res.Latency)
	for _, c := range res.Checks {
		if !c.Passed {
			res.Status = TestFailed
		}
	}
	return res
}

// failure returns the error a test's span ends with: nil when it passed.
func (r *TestResult) failure() error {
	switch {
	case r.Status == TestPassed:
		return nil
	case r.Err != nil:
		return r.Err
	}
	f := &TestFailure{Test: r.Case.Name()}
	for _, c := range r.Checks {
		if !c.Passed {
			f.Failed = append(f.Failed, c.String())
			f.summary = append(f.summary, c.text(false))
		}
	}
	return f
}

// A TestFailure is the error of a test whose constraints failed.
type TestFailure struct {
	Test   string
	Failed []string // the failed @@checks and @@asserts (TestCheck.String)
	// summary is Failed without evaluation errors, which may quote the
	// result.
	summary []string
}

func (e *TestFailure) Error() string {
	return "test " + e.Test + ": " + strings.Join(e.Failed, "; ")
}

// ErrorSummary returns Error without the errors of constraints that could
// not be evaluated, which may quote the result (see vmspan.ErrorSummary);
// it says only how many failed when they are not known.
func (e *TestFailure) ErrorSummary() string {
	if len(e.summary) != len(e.Failed) {
		return "test " + e.Test + ": " + strconv.Itoa(len(e.Failed)) + " constraints failed"
	}
	return "test " + e.Test + ": " + strings.Join(e.summary, "; ")
}

// ErrorType returns "TestFailure".
func (e *TestFailure) ErrorType() string { return "TestFailure" }

// evalTestChecks evaluates a test's constraints on its function's result.
func evalTestChecks(ks []*types.Constraint, result any, latency time.Duration) []TestCheck {
	checks := map[string]any{}
	out := make([]TestCheck, 0, len(ks))
	for _, k := range ks {
		vars := map[string]any{
			"this": result,
			"_":    map[string]any{"result": result, "checks": checks, "latency_ms": latency.Milliseconds()},
		}
		ok, err := llm.EvalPredicate(k.Expr, vars)
		c := TestCheck{Kind: k.Kind, Name: k.Name, Expr: k.Expr, Passed: ok && err == nil, Err: err}
		out = append(out, c)
		if k.Kind == types.Check {
			checks[k.Name] = c.Passed
		} else if !c.Passed {
			break // the first failing assert ends the test's constraints
		}
	}
	return out
}

// withOverlay makes a call use an overlay built already (a test's
// type_builder).
func withOverlay(o *types.Overlay) CallOption {
	return func(c *callConfig) { c.built = o }
}

// testArgs converts a test's arguments to named Go arguments for the
// function: literals to their values, lists to slices, objects to maps;
// an object for a media parameter is a {url}, {base64, media_type} or
// {file} map whose file is relative to the test's file.
func testArgs(tc TestCase) (map[string]any, error) {
	args := make(map[string]any, len(tc.Test.Args))
	params := map[string]*types.Type{}
	for _, p := range tc.Function.Params {
		params[p.Name] = p.Type
	}
	for _, a := range tc.Test.Args {
		t, ok := params[a.Key]
		if !ok {
			return nil, &ArgError{Function: tc.Function.Name, Msg: fmt.Sprintf("test %s: unknown argument %s", tc.Test.Name, a.Key)}
		}
		v := testValue(a.Value)
		if m, ok := v.(map[string]any); ok && mediaKindOf(t) != "" {
			if f, ok := m["file"].(string); ok && !filepath.IsAbs(f) {
				m["file"] = filepath.Join(filepath.Dir(tc.Test.File), f)
			}
		}
		args[a.Key] = v
	}
	return args, nil
}

// testValue converts a test argument value to a Go value.
func testValue(x syntax.Expr) any {
	switch x := x.(type) {
	case *syntax.Literal:
		return x.Value
	case *syntax.ListExpr:
		out := make([]any, len(x.Elems))
		for i, e := range x.Elems {
			out[i] = testValue(e)
		}
		return out
	case *syntax.MapExpr:
		out := make(map[string]any, len(x.Entries))
		for _, e := range x.Entries {
			out[e.Key] = testValue(e.Value)
		}
		return out
	}
	return nil
}
