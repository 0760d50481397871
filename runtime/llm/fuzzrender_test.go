package llm

import (
	"errors"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// FuzzRender checks that no template text makes rendering panic: a bad
// template is a *PromptError, never a crash of the engine.
func FuzzRender(f *testing.F) {
	f.Add(classifyPrompt)
	f.Add("{% for x in xs %}{{ loop.index }}{{ x.a }}{% endfor %}{{ _.role('user') }}")
	rt := offlineRuntime(f)
	f.Fuzz(func(t *testing.T, prompt string) {
		args := []vmspan.Arg{{Name: "body", Value: "b"}, {Name: "xs", Value: []any{vmspan.Object{Class: "C", Fields: []vmspan.Arg{{Name: "a", Value: int64(1)}}}}}}
		_, err := rt.Render(Request{Function: "F", Client: "Fast", Prompt: prompt, Args: args, Output: ticketSchema})
		var pe *PromptError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("err = %v (%T), want *PromptError", err, err)
		}
	})
}
