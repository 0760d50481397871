// check.go holds CheckResult: the outcome of a @check constraint.

package vmspan

import "strings"

// A CheckResult is the outcome of one @check (or @@check) constraint on a
// value an LLM function returned: BAML's check with its name, expression
// and status. Path names the checked value in the result ("title",
// "items[2].qty"; empty for the whole result; list indices count the
// result's elements, not the reply's as ParseNote's do). A check records,
// it never fails a call: a failing @assert is an error instead.
//
// Names, expressions and statuses are schema, not content: unlike the
// checked values, they may go on OpenTelemetry spans.
type CheckResult struct {
	Path   string `json:"path,omitempty"`
	Name   string `json:"name"`
	Expr   string `json:"expression"`
	Passed bool   `json:"-"`
}

// Check statuses as BAML and the trace file spell them.
const (
	CheckSucceeded = "succeeded"
	CheckFailed    = "failed"
)

// Status returns CheckSucceeded or CheckFailed.
func (c CheckResult) Status() string {
	if c.Passed {
		return CheckSucceeded
	}
	return CheckFailed
}

// Key returns the check's name qualified by its path ("items[2].qty.positive";
// the bare name for a check on the whole result).
func (c CheckResult) Key() string {
	if c.Path == "" {
		return c.Name
	}
	return c.Path + "." + c.Name
}

// String returns "path.name succeeded|failed: {{ expr }}".
func (c CheckResult) String() string {
	var b strings.Builder
	b.WriteString(c.Key())
	b.WriteString(" " + c.Status())
	b.WriteString(": {{ " + c.Expr + " }}")
	return b.String()
}
