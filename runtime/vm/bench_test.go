package vm_test

import (
	"testing"

	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// The benchmark programs; bench/ runs the same programs in gopher-lua and
// starlark-go for comparison.
const benchProgram = `
function fib(n: int) -> int {
    if n < 2 { return n; }
    fib(n - 1) + fib(n - 2)
}
function loop() -> int {
    let sum = 0;
    let i = 0;
    while i < 10000000 {
        sum += i;
        i += 1;
    }
    sum
}
`

func benchCall(b *testing.B, th *vm.Thread, name string, args []vm.Value, want int64) {
	prog := compileSource(b, "bench.baml", benchProgram)
	fn := prog.Function(name)
	b.ReportAllocs()
	for b.Loop() {
		v, err := prog.Call(th, fn, args)
		if err != nil || v.Int() != want {
			b.Fatalf("got %v, %v; want %d", v, err, want)
		}
	}
}

// BenchmarkFib27 runs a recursive fib(27): about 630,000 bex calls.
func BenchmarkFib27(b *testing.B) {
	benchCall(b, &vm.Thread{}, "fib", []vm.Value{vm.Int(27)}, 196418)
}

// BenchmarkFib27WithHook is BenchmarkFib27 with a hook installed: fib is not
// traced, so the hook costs nothing.
func BenchmarkFib27WithHook(b *testing.B) {
	benchCall(b, &vm.Thread{Hook: nopHook{}}, "fib", []vm.Value{vm.Int(27)}, 196418)
}

// BenchmarkLoop10M sums 0..9,999,999 in a while loop.
func BenchmarkLoop10M(b *testing.B) {
	benchCall(b, &vm.Thread{}, "loop", nil, 49999995000000)
}

type nopHook struct{}

func (nopHook) EnterFrame(*vmspan.Frame)  {}
func (nopHook) ExitFrame(int, any, error) {}
