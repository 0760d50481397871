// constraint.go applies @assert and @check constraints: to the values
// coercion makes from a reply, and to the arguments of a call.

package llm

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// An AssertError reports a value that failed an @assert constraint, or a
// constraint that could not be evaluated (Err says why; BAML fails those
// values too): a value of an LLM function's output, or of an argument.
//
// In an output, a value that fails an assert is not returned: inside a
// list or map it is left out, as an optional field it is null (both with a
// parse note), and elsewhere the call fails with a *ParseError that wraps
// the AssertError. Like any reply that cannot be parsed, the attempt is
// not retried nor fallen back from, as in BAML, unless
// Request.RetryInvalid asks for it.
type AssertError struct {
	Function string
	// Arg is the parameter whose argument failed; "" for an output.
	Arg string
	// Path names the value within the output or argument ("priority",
	// "items[2].qty"; empty for the whole value).
	Path string
	// Name is the constraint's name ("" when unnamed); Expr its expression.
	Name string
	Expr string
	// Value is the failing value in snapshot form.
	Value any
	// Err is why the expression could not be evaluated (nil when it was
	// false).
	Err error
	// Check is set when the constraint is a @check that could not be
	// evaluated (a check that is false never fails a value).
	Check bool
}

// Error names the function, the value's place, the constraint and the
// value.
func (e *AssertError) Error() string { return e.text(true) }

// ErrorSummary is Error without the value (nor, for a constraint that
// could not be evaluated, the evaluation's error, which may quote it): for
// exporters that must not carry content (see vmspan.ErrorSummary).
func (e *AssertError) ErrorSummary() string { return e.text(false) }

// text says where the value is and what failed, with the value or not.
func (e *AssertError) text(withValue bool) string {
	var b strings.Builder
	if e.Function != "" {
		b.WriteString(e.Function + ": ")
	}
	switch where := joinPath(e.Arg, e.Path); {
	case e.Arg != "":
		b.WriteString("argument " + strconv.Quote(where) + ": ")
	case where != "":
		b.WriteString("output field " + strconv.Quote(where) + ": ")
	default:
		b.WriteString("output: ")
	}
	b.WriteString(e.describe(withValue))
	return b.String()
}

// describe says what failed, without where: "@assert small failed:
// {{ this < 5 }} (value 9)"; without the value when withValue is not set.
func (e *AssertError) describe(withValue bool) string {
	name := "@assert"
	if e.Check {
		name = "@check"
	}
	if e.Name != "" {
		name += " " + e.Name
	}
	if !withValue {
		if e.Err != nil {
			return name + " could not be evaluated: {{ " + e.Expr + " }}"
		}
		return name + " failed: {{ " + e.Expr + " }}"
	}
	value := " (value " + excerpt(string(spanjson.Encoder{}.AppendValue(nil, e.Value)), 60) + ")"
	if e.Err != nil {
		return name + " could not be evaluated: " + e.Err.Error() + value
	}
	return name + " failed: {{ " + e.Expr + " }}" + value
}

// ErrorType returns "AssertError".
func (e *AssertError) ErrorType() string { return "AssertError" }

// Unwrap returns the evaluation error, if any.
func (e *AssertError) Unwrap() error { return e.Err }

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case b[0] == '[':
		return a + b
	}
	return a + "." + b
}

// constrain tests r, coerced to t, against t's constraints in order: a
// failing @assert (or a constraint that cannot be evaluated) fails the
// coercion; the outcomes of the @checks are kept on r. Asserts after a
// failing one are not evaluated, as in BAML.
func (c *coercer) constrain(t *target, r *cval) (*cval, *cerr) {
	if !c.constraints || len(t.checks) == 0 {
		return r, nil
	}
	var results []vmspan.CheckResult
	for _, k := range t.checks {
		ok, err := EvalPredicate(k.Expr, map[string]any{"this": r.v})
		if err != nil || (!ok && k.Kind == types.Assert) {
			ae := &AssertError{Name: k.Name, Expr: k.Expr, Value: r.v, Err: err, Check: k.Kind == types.Check}
			return nil, &cerr{msg: ae.describe(true), brief: ae.describe(false), assert: ae}
		}
		if k.Kind == types.Check {
			results = append(results, vmspan.CheckResult{Name: k.Name, Expr: k.Expr, Passed: ok})
		}
	}
	if len(results) > 0 {
		// A target's value may be coerced once and shared by several
		// readings; the outcomes are the same for each.
		r.checks = results
	}
	return r, nil
}

// collectChecks appends the check outcomes of r and its parts, with their
// paths, in the order of the result. Unlike parse notes, whose list
// indices count the reply's elements, a check's path locates its value in
// the result: list indices count the elements kept.
func collectChecks(r *cval, path []ckid, out []vmspan.CheckResult) []vmspan.CheckResult {
	for _, k := range r.checks {
		k.Path = pathText(path, "")
		out = append(out, k)
	}
	for i, k := range r.kids {
		if len(k.v.checks) == 0 && len(k.v.kids) == 0 {
			continue // nothing to collect: no path to make
		}
		if r.kind == types.List {
			k.index = i
		}
		out = collectChecks(k.v, append(path, k), out)
	}
	return out
}

// CheckArgs tests the arguments of function against the @assert
// constraints of its parameters' types (on the types, their parts, and
// the fields and classes of the values), as BAML does before a call. It
// returns the first failure, an *AssertError naming the argument, or nil.
// The arguments are in snapshot form, in parameter order.
func CheckArgs(function string, params []*types.Param, args []vmspan.Arg) error {
	for i, p := range params {
		if i >= len(args) {
			break
		}
		if ae := firstFailingAssert(p.Type, args[i].Value, "", 0); ae != nil {
			ae.Function, ae.Arg = function, p.Name
			return ae
		}
	}
	return nil
}

// firstFailingAssert walks v by its type t and returns the first @assert
// it fails (inner values before the values that hold them), or nil.
// Values that do not fit t are not this function's concern: the argument
// checks report them.
func firstFailingAssert(t *types.Type, v any, path string, depth int) *AssertError {
	if t == nil || depth > 100 {
		return nil
	}
	if ae := innerFailingAssert(t, v, path, depth); ae != nil {
		return ae
	}
	checks := t.Checks
	if u := t.Underlying(); u.Kind == types.Class {
		checks = append(checks[:len(checks):len(checks)], u.Class.Checks...)
	}
	return failingAssert(checks, v, path)
}

// innerFailingAssert looks for a failing assert inside v: in its
// elements, entries, fields, or the union member it is a value of.
func innerFailingAssert(t *types.Type, v any, path string, depth int) *AssertError {
	u := t.Underlying()
	switch u.Kind {
	case types.Optional:
		if v == nil {
			return nil
		}
		return firstFailingAssert(u.Elem, v, path, depth+1)
	case types.List:
		xs, _ := v.([]any)
		for i, x := range xs {
			if ae := firstFailingAssert(u.Elem, x, joinPath(path, "["+strconv.Itoa(i)+"]"), depth+1); ae != nil {
				return ae
			}
		}
	case types.Map:
		m, _ := v.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if ae := firstFailingAssert(u.Elem, m[k], joinPath(path, k), depth+1); ae != nil {
				return ae
			}
		}
	case types.Class:
		obj, ok := v.(vmspan.Object)
		if !ok {
			return nil
		}
		for _, f := range obj.Fields {
			fd := u.Class.Field(f.Name)
			if fd == nil {
				continue
			}
			p := joinPath(path, f.Name)
			if ae := firstFailingAssert(fd.Type, f.Value, p, depth+1); ae != nil {
				return ae
			}
			if ae := failingAssert(fd.Checks, f.Value, p); ae != nil {
				return ae
			}
		}
	case types.Union:
		// The value is one member's; asserts apply when it is that member's
		// value. A member that fits the value and passes wins.
		var first *AssertError
		for _, m := range u.Variants {
			if !fits(m, v) {
				continue
			}
			ae := firstFailingAssert(m, v, path, depth+1)
			if ae == nil {
				return nil
			}
			if first == nil {
				first = ae
			}
		}
		return first
	}
	return nil
}

// failingAssert evaluates the asserts among ks on v.
func failingAssert(ks []*types.Constraint, v any, path string) *AssertError {
	for _, k := range ks {
		if k.Kind != types.Assert {
			continue
		}
		ok, err := EvalPredicate(k.Expr, map[string]any{"this": v})
		if err != nil || !ok {
			return &AssertError{Path: path, Name: k.Name, Expr: k.Expr, Value: v, Err: err}
		}
	}
	return nil
}

// fits reports roughly whether v, a snapshot, is a value of t: by kind,
// class and enum name. It only chooses among a union's members.
func fits(t *types.Type, v any) bool {
	u := t.Underlying()
	switch u.Kind {
	case types.Optional:
		return v == nil || fits(u.Elem, v)
	case types.Union:
		for _, m := range u.Variants {
			if fits(m, v) {
				return true
			}
		}
		return false
	}
	switch x := v.(type) {
	case nil:
		return u.Nullable()
	case bool:
		return u.Kind == types.Bool || u.Kind == types.Literal && u.Literal == x || u.Kind == types.Any
	case int64:
		return u.Kind == types.Int || u.Kind == types.Float || u.Kind == types.Literal && u.Literal == x || u.Kind == types.Any
	case float64:
		return u.Kind == types.Float || u.Kind == types.Literal && u.Literal == x || u.Kind == types.Any
	case string:
		return u.Kind == types.String || u.Kind == types.Literal && u.Literal == x || u.Kind == types.Any
	case vmspan.Object:
		return u.Kind == types.Class && u.Class.Name == x.Class || u.Kind == types.Any
	case vmspan.Enum:
		return u.Kind == types.Enum && u.Enum.Name == x.Name || u.Kind == types.Any
	case []any:
		return u.Kind == types.List || u.Kind == types.Any
	case map[string]any:
		return u.Kind == types.Map || u.Kind == types.Any
	}
	return u.Kind == types.Optional || u.Kind == types.Any || u.Kind == types.Media
}
