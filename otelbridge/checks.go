// checks.go sets the attributes of @check outcomes on LLM function spans.

package otelbridge

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/bexrun/bex/vmspan"
)

// Attribute keys of LLM function spans whose return type has @check
// constraints (vmspan.CheckResult): how many passed and failed, and which
// failed. They never hold the checked values.
const (
	KeyChecksPassed      = attribute.Key("bex.checks.passed")
	KeyChecksFailed      = attribute.Key("bex.checks.failed")
	KeyChecksFailedNames = attribute.Key("bex.checks.failed_names") // "path.name" of each failed check
)

// appendChecks adds the check counts of an LLM function's attempts (the
// selected one carries them), and the failed checks' names.
func appendChecks(attrs []attribute.KeyValue, as []vmspan.LLMAttempt) []attribute.KeyValue {
	passed, failed := 0, []string(nil)
	for i := range as {
		for _, c := range as[i].Checks {
			if c.Passed {
				passed++
			} else {
				failed = append(failed, c.Key())
			}
		}
	}
	if passed+len(failed) == 0 {
		return attrs
	}
	attrs = append(attrs, KeyChecksPassed.Int(passed), KeyChecksFailed.Int(len(failed)))
	if len(failed) > 0 {
		attrs = append(attrs, KeyChecksFailedNames.StringSlice(failed))
	}
	return attrs
}
