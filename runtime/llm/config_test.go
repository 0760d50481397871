package llm

import (
	"errors"
	"strings"
	"testing"
)

func TestNewRuntimeErrors(t *testing.T) {
	ok := ClientDecl{Name: "Ok", Provider: "openai", Options: map[string]any{"model": "m"}}
	tests := []struct {
		name     string
		clients  []ClientDecl
		policies []RetryPolicyDecl
		want     []string
	}{
		{"unknown provider", []ClientDecl{{Name: "X", Provider: "openia", Pos: "a.baml:3:1", Options: map[string]any{"model": "m"}}}, nil,
			[]string{`a.baml:3:1: client X: unknown provider "openia" (want one of anthropic, aws-bedrock, azure-openai, fallback, google-ai, ollama, openai, openai-generic, openai-responses, openrouter, round-robin, vertex-ai)`}},
		{"unknown retry policy", []ClientDecl{{Name: "X", Provider: "openai", RetryPolicy: "Nope", Pos: "a.baml:1:1", Options: map[string]any{"model": "m"}}}, nil,
			[]string{`a.baml:1:1: client X: unknown retry_policy "Nope"`}},
		{"missing model", []ClientDecl{{Name: "X", Provider: "anthropic", Pos: "a.baml:1:1", Options: map[string]any{}}}, nil,
			[]string{"a.baml:1:1: client X: options need a model (a string)"}},
		{"bad option types", []ClientDecl{{Name: "X", Provider: "openai", Options: map[string]any{"model": "m", "temperature": "hot",
			"max_tokens": 1.5, "headers": map[string]any{"A": int64(1)}, "api_key": true, "default_role": "robot"}}}, nil,
			[]string{"api_key must be a string or env.NAME", "temperature must be a number", "max_tokens must be a positive int",
				"headers must be a block", "default_role must be"}},
		{"generic needs base_url", []ClientDecl{{Name: "X", Provider: "openai-generic", Options: map[string]any{"model": "m"}}}, nil,
			[]string{"client X: provider openai-generic needs a base_url"}},
		{"fallback to unknown client", []ClientDecl{ok, {Name: "F", Provider: "fallback", Pos: "a.baml:9:1", Options: map[string]any{"strategy": []any{"Ok", "Ghost"}}}}, nil,
			[]string{`a.baml:9:1: client F: strategy names unknown client "Ghost"`}},
		{"fallback without strategy", []ClientDecl{{Name: "F", Provider: "fallback", Options: map[string]any{}}}, nil,
			[]string{"client F: a fallback client needs options { strategy [ClientA, ClientB] }"}},
		{"cycle", []ClientDecl{
			{Name: "A", Provider: "fallback", Pos: "a.baml:1:1", Options: map[string]any{"strategy": []any{"B"}}},
			{Name: "B", Provider: "round-robin", Pos: "a.baml:5:1", Options: map[string]any{"strategy": []any{"Ok", "A"}}}, ok}, nil,
			[]string{"client A: strategy cycle: A -> B -> A"}},
		{"duplicate client", []ClientDecl{ok, ok}, nil, []string{"client Ok: declared twice"}},
		{"bad retry policy", nil, []RetryPolicyDecl{
			{Name: "P", Pos: "r.baml:1:1", Fields: map[string]any{"max_retries": int64(-1)}},
			{Name: "Q", Pos: "r.baml:5:1", Fields: map[string]any{"strategy": map[string]any{"type": "linear"}}},
			{Name: "R", Pos: "r.baml:9:1", Fields: map[string]any{"strategy": map[string]any{"type": "exponential_backoff", "multiplier": 0.5}}},
			{Name: "S", Pos: "r.baml:13:1", Fields: map[string]any{"retries": int64(1)}},
		}, []string{
			"r.baml:1:1: retry_policy P: max_retries must be a non-negative int, not -1",
			`r.baml:5:1: retry_policy Q: strategy: type must be constant_delay or exponential_backoff, not "linear"`,
			"r.baml:9:1: retry_policy R: strategy: multiplier must be a number >= 1, not 0.5",
			`r.baml:13:1: retry_policy S: unknown field "retries"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRuntime(tt.clients, tt.policies)
			if err == nil {
				t.Fatal("NewRuntime succeeded")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.ErrorType() != "LLMConfigError" {
				t.Errorf("err = %v, want *ConfigError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewRuntimeValid(t *testing.T) {
	clients := []ClientDecl{
		{Name: "Fast", Provider: "openai", RetryPolicy: "Exp", Options: map[string]any{"model": "gpt-4o-mini", "base_url": Env{"OPENAI_BASE_URL"},
			"api_key": Env{"OPENAI_API_KEY"}, "temperature": int64(0), "max_tokens": Env{"MAX"}, "headers": map[string]any{"X-A": Env{"A"}}}},
		{Name: "Local", Provider: "ollama", Options: map[string]any{"model": "llama3"}},
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"Fast", "Local", "anthropic/claude-3-5-haiku-latest"}}},
	}
	policies := []RetryPolicyDecl{{Name: "Exp", Fields: map[string]any{"max_retries": int64(3),
		"strategy": map[string]any{"type": "exponential_backoff", "delay_ms": int64(300), "multiplier": 1.5, "max_delay_ms": int64(10000)}}}}
	rt, err := NewRuntime(clients, policies)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Fast", "Local", "Chain", "openai/gpt-4o"} {
		if err := rt.ValidateClient(name); err != nil {
			t.Errorf("ValidateClient(%q) = %v", name, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	p := &retryPolicy{exponential: true, delay: 100e6, multiplier: 3, maxDelay: 1e9}
	var got []int64
	for try := range 5 {
		got = append(got, p.backoff(try).Milliseconds())
	}
	if want := []int64{100, 300, 900, 1000, 1000}; !equalInts(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
