// checks.go sets the attributes of @check outcomes and of dynamic types on
// LLM function spans.

package otelbridge

import (
	"strings"

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

// Attribute keys of LLM function spans whose call added to the return
// type's @@dynamic classes and enums (vmspan.LLMAttempt.DynamicTypes): the
// names of the classes and enums it extended, which the program declares;
// with content capture also what it added ("Class.field", "Enum.VALUE"),
// since values loaded at run time (categories from a database) may be data.
const (
	KeyTypesDynamic        = attribute.Key("bex.types.dynamic")
	KeyTypesDynamicMembers = attribute.Key("bex.types.dynamic.members")
)

// appendDynamicTypes adds the dynamic type attributes of an LLM function's
// attempts (all carry the same additions).
func appendDynamicTypes(attrs []attribute.KeyValue, as []vmspan.LLMAttempt, content bool) []attribute.KeyValue {
	if len(as) == 0 || len(as[0].DynamicTypes) == 0 {
		return attrs
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range as[0].DynamicTypes {
		name, _, _ := strings.Cut(m, ".")
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	attrs = append(attrs, KeyTypesDynamic.StringSlice(names))
	if content {
		attrs = append(attrs, KeyTypesDynamicMembers.StringSlice(as[0].DynamicTypes))
	}
	return attrs
}

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
