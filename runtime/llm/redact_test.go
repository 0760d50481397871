package llm

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestIndexSecret compares indexSecret with strings.Index on texts made of
// few letters, so that secrets and their parts occur often, and on texts
// full of the byte indexSecret searches for.
func TestIndexSecret(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	for range 20000 {
		alpha := []string{"ab", "abc", "sk-X", "aA\x00"}[rng.IntN(4)]
		sec := word(alpha, 1+rng.IntN(6))
		s := word(alpha, rng.IntN(80))
		if got, want := indexSecret(s, sec), strings.Index(s, sec); got != want {
			t.Fatalf("indexSecret(%q, %q) = %d, strings.Index %d", s, sec, got, want)
		}
	}
	for _, tc := range []struct{ s, sec string }{
		{strings.Repeat("Q", 5000) + "sk-Q", "sk-Q"},
		{strings.Repeat("sk-ab", 1000), "sk-ac"},
		{"", "key"}, {"key", "key"}, {"xkey", "key"}, {"ke", "key"},
	} {
		if got, want := indexSecret(tc.s, tc.sec), strings.Index(tc.s, tc.sec); got != want {
			t.Errorf("indexSecret(%.20q, %q) = %d, strings.Index %d", tc.s, tc.sec, got, want)
		}
	}
}

func FuzzIndexSecret(f *testing.F) {
	f.Add("the key is sk-bench-key.", "sk-bench-key")
	f.Fuzz(func(t *testing.T, s, sec string) {
		if sec == "" {
			return
		}
		if got, want := indexSecret(s, sec), strings.Index(s, sec); got != want {
			t.Fatalf("indexSecret(%q, %q) = %d, strings.Index %d", s, sec, got, want)
		}
	})
}
