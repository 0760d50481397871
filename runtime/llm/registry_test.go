package llm

import (
	"context"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

func TestClientRegistry(t *testing.T) {
	srv := llmstub.New(llmstub.WithRules(llmstub.Rule{Respond: func(r llmstub.Request) llmstub.Reply {
		return llmstub.Reply{Text: r.API + " " + r.Model}
	}}))
	defer srv.Close()
	u := srv.URL()
	rt := mustRuntime(t, []ClientDecl{
		{Name: "Fast", Provider: "openai", Options: map[string]any{"model": "gpt-4o-mini", "base_url": u, "api_key": "k"}},
		{Name: "Both", Provider: "fallback", Options: map[string]any{"strategy": []any{"Fast"}}},
	}, []RetryPolicyDecl{{Name: "Twice", Fields: map[string]any{"max_retries": int64(2)}}})
	call := func(client string, cr *ClientRegistry) (string, string, error) {
		res, err := rt.Call(context.Background(), Request{Client: client, Prompt: "hi", Registry: cr})
		if err != nil {
			return "", "", err
		}
		return res.Value.(string), res.Attempts[len(res.Attempts)-1].Client, nil
	}
	tests := []struct {
		name, client   string
		cr             *ClientRegistry
		reply, attempt string
		err            string
	}{
		{"no registry", "Fast", nil, "openai gpt-4o-mini", "Fast", ""},
		{"override a declared client", "Fast", NewClientRegistry().AddLLMClient("Fast", "anthropic", map[string]any{"model": "claude", "base_url": u, "api_key": "k"}),
			"anthropic claude", "Fast", ""},
		{"override seen by a declared fallback", "Both", NewClientRegistry().AddLLMClient("Fast", "google-ai", map[string]any{"model": "gemini-x", "base_url": u, "api_key": "k"}),
			"google gemini-x", "Fast", ""},
		{"new client as primary", "Fast", NewClientRegistry().AddLLMClient("Mine", "openai-responses", map[string]any{"model": "gpt-4.1", "base_url": u, "api_key": "k"}, "Twice").SetPrimary("Mine"),
			"responses gpt-4.1", "Mine", ""},
		{"registry strategy over declared clients", "Fast", NewClientRegistry().AddLLMClient("RR", "baml-round-robin", map[string]any{"strategy": []any{"Fast"}}).SetPrimary("RR"),
			"openai gpt-4o-mini", "Fast", ""},
		{"primary only", "Both", NewClientRegistry().SetPrimary("Fast"), "openai gpt-4o-mini", "Fast", ""},
		{"invalid option", "Fast", NewClientRegistry().AddLLMClient("Bad", "openai", map[string]any{"base_url": u}),
			"", "", "client registry: client Bad: options need a model (a string)"},
		{"unknown retry policy", "Fast", NewClientRegistry().AddLLMClient("Bad", "openai", map[string]any{"model": "m"}, "Nope"),
			"", "", `unknown retry_policy "Nope"`},
		{"cycle through a declared client", "Fast", NewClientRegistry().AddLLMClient("Fast", "fallback", map[string]any{"strategy": []any{"Both"}}),
			"", "", "strategy cycle"},
		{"unknown primary", "Fast", NewClientRegistry().SetPrimary("Nope"), "", "", `unknown client "Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, attempt, err := call(tt.client, tt.cr)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || reply != tt.reply || attempt != tt.attempt {
				t.Errorf("got %q via %s (%v), want %q via %s", reply, attempt, err, tt.reply, tt.attempt)
			}
		})
	}
}
