package llm

import (
	"reflect"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// planCases are templates with and without a plan.
var planCases = []struct {
	prompt string
	plan   bool
}{
	{classifyPrompt, true},
	{headlinePrompt, true},
	{"Hello {{ body }}!", true},
	{"{{body}}{{  body  }}\t{{ ctx.output_format }}", true},
	{"{{ _.role('system') }} a {{ _.role(\"user\") }} {{ body }} {{ _.role('assistant') }} b", true},
	{"{{ ctx.client.name }}/{{ ctx.client.provider }}: {{ color }}", true},
	{"no expressions at all\n\n  indented\n", true},
	{"{ { body } } {body} }} {{ body }}", true},
	{"{{ missing }}", true},           // no argument: gonja's error
	{"{{ n }} and {{ body }}", true},  // not a string: gonja prints it
	{"{{ xs }} and {{ body }}", true}, // a list: gonja prints it
	{"{{ True }} {{ none }}", false},
	{"{{ body | upper }}", false},
	{"{{ body.title }}", false},
	{"{{- body }}", false},
	{"{{ body -}}", false},
	{"{% if body %}{{ body }}{% endif %}", false},
	{"{# note #}{{ body }}", false},
	{"{{ _.role('robot') }}", false},
	{"{{ _.role(r) }}", false},
	{"a\r\nb {{ body }}", false},
	{"{{ body }", false},
	{"{{ ctx }}", false},
	{"{{ _ }}", false},
	{"{{ {'a': 1} }}", false},
	{"{{\nbody }}", false}, // gonja's lexer skips only spaces and tabs
	{"{{ body\v}}", false}, // found by FuzzRenderPlan in CI
	{"{{\u00a0body }}", false},
}

var planArgs = []vmspan.Arg{
	{Name: "body", Value: "Printer \"on\" fire {{ not a tag }} <b>&</b>\n\tsecond line"},
	{Name: "color", Value: vmspan.Enum{Name: "Color", Value: "Red"}},
	{Name: "n", Value: int64(3)},
	{Name: "xs", Value: []any{"a", int64(1)}},
}

// TestRenderPlan: templates that have a plan render exactly as gonja renders
// them, and the others have none.
func TestRenderPlan(t *testing.T) {
	for _, tc := range planCases {
		t.Run(tc.prompt, func(t *testing.T) {
			if got := planOf(dedent(tc.prompt), func(r string) string { return r }) != nil; got != tc.plan {
				t.Errorf("has a plan: %v, want %v", got, tc.plan)
			}
			checkPlanAgrees(t, tc.prompt, planArgs)
		})
	}
}

// checkPlanAgrees renders prompt with plans and with gonja alone, and
// fails when the results differ.
func checkPlanAgrees(t *testing.T, prompt string, args []vmspan.Arg) {
	t.Helper()
	withPlan, gonjaOnly := newTemplates("n0nce"), newTemplates("n0nce")
	gonjaOnly.noPlan = true
	req := Request{Function: "F", Prompt: prompt, PromptFile: "main.baml", PromptLine: 3, Args: args, Output: ticketSchema}
	got, gotErr := withPlan.render(&req, "Fast", "openai", "")
	want, wantErr := gonjaOnly.render(&req, "Fast", "openai", "")
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("error %v, gonja's %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages\n%q\ngonja's\n%q", got, want)
	}
}

// FuzzRenderPlan: whatever the template and the argument, rendering with
// plans gives what gonja alone gives.
func FuzzRenderPlan(f *testing.F) {
	for _, tc := range planCases {
		f.Add(tc.prompt, "Printer on fire")
	}
	f.Fuzz(func(t *testing.T, prompt, body string) {
		checkPlanAgrees(t, prompt, []vmspan.Arg{{Name: "body", Value: body}, {Name: "color", Value: vmspan.Enum{Name: "C", Value: body}}})
	})
}
