package llm

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// fixInPieces feeds s to the repairing reader in pieces of the given sizes
// (cycled) and returns what finish returns.
func fixInPieces(s string, sizes []int) ([]*jvalue, error) {
	var f fixer
	for i, k := 0, 0; i < len(s); k++ {
		n := min(max(sizes[k%len(sizes)], 1), len(s)-i)
		f.feed(s[i : i+n])
		i += n
	}
	return f.finish()
}

// TestFixerInPieces checks that the repairing reader fed a reply in pieces
// (one byte at a time, random sizes) reads exactly what it reads from the
// whole reply: it waits where a byte's meaning depends on text to come,
// rather than guessing.
func TestFixerInPieces(t *testing.T) {
	var replies []string
	for _, tc := range parseCases {
		replies = append(replies, tc.reply)
	}
	for _, h := range heldOutReplies {
		replies = append(replies, h.reply)
	}
	replies = append(replies, `{"a": "x\u00e9\ud83d\ude00", b: 'c', "d": """e""", f: `+"```g```"+`, /* h */ "i": [1, 2,`)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range replies {
		want, wantErr := fixJSON(r)
		for _, sizes := range [][]int{{1}, {2, 3}, {rng.IntN(7) + 1, rng.IntN(13) + 1, rng.IntN(40) + 1}} {
			got, err := fixInPieces(r, sizes)
			if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
				t.Errorf("%q in pieces of %v: got %s (%v), want %s (%v)", r, sizes, readings(got), err, readings(want), wantErr)
			}
		}
	}
}

// FuzzFixerInPieces checks on any text that reading it in pieces gives
// what reading it whole gives.
func FuzzFixerInPieces(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.reply, uint8(3), uint8(7))
	}
	f.Fuzz(func(t *testing.T, s string, a, b uint8) {
		want, wantErr := fixJSON(s)
		got, err := fixInPieces(s, []int{int(a%16) + 1, int(b%16) + 1})
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q in pieces of %d and %d: got %s (%v), want %s (%v)", s, a%16+1, b%16+1, readings(got), err, readings(want), wantErr)
		}
	})
}

func readings(vs []*jvalue) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.display())
	}
	return "[" + strings.Join(out, " | ") + "]"
}
