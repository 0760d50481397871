package otelbridge

import (
	"context"
	"strings"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/attribute"
)

// runCheckedLLM runs root main -> LLM Extract whose selected attempt's
// output has check outcomes; the checked value is "SECRET-VALUE" in the
// result, which the check attributes never carry.
func runCheckedLLM(f *fixture) {
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	llm, endLLM := child(root, "Extract", vmspan.KindLLM, nil)
	as := attemptsFor()
	as[1].Checks = []vmspan.CheckResult{
		{Path: "title", Name: "short", Expr: "this|length < 10", Passed: false},
		{Path: "items[0]", Name: "positive", Expr: "this > 0", Passed: true},
		{Name: "named", Expr: "this.name|length > 0", Passed: true},
	}
	llm.AddAttempts(as...)
	endLLM(vmspan.Object{Class: "T", Fields: []vmspan.Arg{{Name: "title", Value: "SECRET-VALUE"}}}, nil)
	root.End(nil, nil)
}

func TestCheckAttributes(t *testing.T) {
	f := newFixture(t, false)
	runCheckedLLM(f)
	span := f.span(t, "Extract")
	checkAttrs(t, span, map[attribute.Key]string{
		KeyChecksPassed: "2", KeyChecksFailed: "1", KeyChecksFailedNames: `["title.short"]`,
	})
	for _, kv := range span.Attributes() {
		if strings.HasPrefix(string(kv.Key), "bex.checks.") && strings.Contains(kv.Value.Emit(), "SECRET-VALUE") {
			t.Errorf("attribute %s carries the checked value without content capture", kv.Key)
		}
	}
	checkAttrs(t, f.span(t, "main"), nil, KeyChecksPassed, KeyChecksFailed)

	f = newFixture(t, false)
	runLLM(f) // no checks: no attributes
	checkAttrs(t, f.span(t, "Extract"), nil, KeyChecksPassed, KeyChecksFailed, KeyChecksFailedNames)
}

func TestDynamicTypeAttributes(t *testing.T) {
	run := func(f *fixture) {
		root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
		llm, endLLM := child(root, "Extract", vmspan.KindLLM, nil)
		as := attemptsFor()
		for i := range as {
			as[i].DynamicTypes = []string{"Category.GREEN", "Category.YELLOW", "User.email"}
		}
		llm.AddAttempts(as...)
		endLLM(nil, nil)
		root.End(nil, nil)
	}
	f := newFixture(t, false)
	run(f)
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{KeyTypesDynamic: `["Category","User"]`}, KeyTypesDynamicMembers)
	f = newFixture(t, false, WithContentCapture(true))
	run(f)
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{
		KeyTypesDynamic: `["Category","User"]`, KeyTypesDynamicMembers: `["Category.GREEN","Category.YELLOW","User.email"]`,
	})
}
