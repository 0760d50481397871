package engine_test

import (
	"context"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
)

const fibSrc = `
function fib(n: int) -> int {
    if n < 2 { return n; }
    fib(n - 1) + fib(n - 2)
}
`

// BenchmarkFib27 runs fib(27), about 630,000 untraced calls, through
// Engine.Call with nobody listening and with a sink (which sees the root
// span only): untraced calls must cost the same in both (SPEC §7). The
// build tag bexnotrace compiles the VM's hook checks out, for comparison.
func BenchmarkFib27(b *testing.B) {
	b.Run("no-sink", func(b *testing.B) { benchFib(b, nil) })
	b.Run("sink", func(b *testing.B) { benchFib(b, discard) })
}

func benchFib(b *testing.B, sink vmspan.Sink) {
	e, err := engine.New(engine.MustParse(map[string]string{"fib.baml": fibSrc}),
		engine.WithTracer(vmspan.NewTracer(sink)), engine.WithMaxSteps(0))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if v, err := e.Call(context.Background(), "fib", []any{27}); err != nil || v != int64(196418) {
			b.Fatalf("got %v, %v", v, err)
		}
	}
}
