//go:build unix

// Package bench compares the bex VM with gopher-lua, starlark-go and native
// Go on the same two programs: a recursive fib(27) and a 10M-iteration loop.
// Run it with run.sh, which prints a table of medians and ratios.
package bench

import (
	"syscall"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	bexsyntax "github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

const (
	fibN      = 27
	fibWant   = 196418
	loopN     = 10_000_000
	loopWant  = 49999995000000
	bexSource = `
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
	luaSource = `
local function fib(n)
    if n < 2 then return n end
    return fib(n - 1) + fib(n - 2)
end
local function loop()
    local sum = 0
    local i = 0
    while i < 10000000 do
        sum = sum + i
        i = i + 1
    end
    return sum
end
return fib, loop
`
	starlarkSource = `
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def loop():
    sum = 0
    i = 0
    while i < 10000000:
        sum += i
        i += 1
    return sum
`
)

// cpuTime returns the CPU time (user and system) the process has used. The
// benchmarks report it per operation as cpu-ns/op next to the wall-clock
// ns/op, because on a shared machine wall-clock time includes the time other
// processes ran; CPU time does not, so the ratios stay meaningful.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs op b.N times and reports its CPU time per operation.
func measure(b *testing.B, op func()) {
	start := cpuTime()
	for b.Loop() {
		op()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func BenchmarkFib27(b *testing.B) {
	b.Run("bex", func(b *testing.B) { benchBex(b, "fib", []vm.Value{vm.Int(fibN)}, fibWant) })
	b.Run("gopherlua", func(b *testing.B) { benchLua(b, 1, lua.LNumber(fibN), fibWant) })
	b.Run("starlark", func(b *testing.B) { benchStarlark(b, "fib", starlark.Tuple{starlark.MakeInt(fibN)}, fibWant) })
	b.Run("native", func(b *testing.B) {
		measure(b, func() {
			if fib(fibN) != fibWant {
				b.Fatal("wrong result")
			}
		})
	})
}

func BenchmarkLoop10M(b *testing.B) {
	b.Run("bex", func(b *testing.B) { benchBex(b, "loop", nil, loopWant) })
	b.Run("gopherlua", func(b *testing.B) { benchLua(b, 2, nil, loopWant) })
	b.Run("starlark", func(b *testing.B) { benchStarlark(b, "loop", nil, loopWant) })
	b.Run("native", func(b *testing.B) {
		measure(b, func() {
			if loop(loopN) != loopWant {
				b.Fatal("wrong result")
			}
		})
	})
}

//go:noinline
func fib(n int64) int64 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

//go:noinline
func loop(n int64) int64 {
	var sum int64
	for i := int64(0); i < n; i++ {
		sum += i
	}
	return sum
}

func benchBex(b *testing.B, name string, args []vm.Value, want int64) {
	f, err := bexsyntax.Parse("bench.baml", []byte(bexSource))
	if err != nil {
		b.Fatal(err)
	}
	prog, err := vm.Compile([]*bexsyntax.File{f}, vm.CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	fn := prog.Function(name)
	th := &vm.Thread{}
	measure(b, func() {
		v, err := prog.Call(th, fn, args)
		if err != nil || v.Int() != want {
			b.Fatalf("got %v, %v", v, err)
		}
	})
}

// benchLua calls the which'th function the Lua chunk returns.
func benchLua(b *testing.B, which int, arg lua.LValue, want int64) {
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(luaSource); err != nil {
		b.Fatal(err)
	}
	fn := L.Get(which - 3) // the chunk returned two values
	var args []lua.LValue
	if arg != nil {
		args = append(args, arg)
	}
	measure(b, func() {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}, args...); err != nil {
			b.Fatal(err)
		}
		got := L.Get(-1)
		L.Pop(1)
		if n, ok := got.(lua.LNumber); !ok || int64(n) != want {
			b.Fatalf("got %v", got)
		}
	})
}

func benchStarlark(b *testing.B, name string, args starlark.Tuple, want int64) {
	thread := &starlark.Thread{Name: "bench"}
	opts := &syntax.FileOptions{While: true, Recursion: true}
	globals, err := starlark.ExecFileOptions(opts, thread, "bench.star", starlarkSource, nil)
	if err != nil {
		b.Fatal(err)
	}
	fn := globals[name]
	measure(b, func() {
		v, err := starlark.Call(thread, fn, args, nil)
		if err != nil {
			b.Fatal(err)
		}
		if n, ok := v.(starlark.Int).Int64(); !ok || n != want {
			b.Fatalf("got %v", v)
		}
	})
}
