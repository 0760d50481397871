package llm

import (
	"context"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

func BenchmarkParseOutput(b *testing.B) {
	reply := "Here is the ticket:\n```json\n{\n  \"title\": \"Checkout is down for all users\",\n  \"priority\": 1\n}\n```"
	for b.Loop() {
		if _, err := ParseOutput(reply, ticketSchema, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	rt := offlineRuntime(b)
	req := classifyRequest("Fast")
	for b.Loop() {
		if _, err := rt.Render(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall is a whole call against the stub server over loopback HTTP.
func BenchmarkCall(b *testing.B) {
	srv := llmstub.New()
	defer srv.Close()
	rt := mustRuntime(b, []ClientDecl{{Name: "Fast", Provider: "openai-generic", Options: map[string]any{"model": "gpt-4o-mini", "base_url": srv.URL()}}}, nil)
	req := classifyRequest("Fast")
	for b.Loop() {
		if _, err := rt.Call(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
