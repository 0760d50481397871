package vm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/bexrun/bex/runtime/vm"
)

const limitsProgram = `
function depth(n: int) -> int {
    if n == 0 { return 0; }
    depth(n - 1) + 1
}
function spin() -> int {
    let i = 0;
    while true { i += 1; }
    i
}
function calls(n: int) -> int {
    let i = 0;
    while i < n { i = depth(1) + i; }
    i
}
function work(n: int) -> int {
    let xs = [];
    for (i in range(n)) { xs.push(i * i); }
    let total = 0;
    for (x in xs) { total += x; }
    total
}
`

func TestDeepRecursionUsesNoGoStack(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	th := &vm.Thread{MaxDepth: 1_000_000}
	v, err := prog.Call(th, prog.Function("depth"), []vm.Value{vm.Int(300_000)})
	if err != nil || v.Int() != 300_000 {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestMaxDepth(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	for _, tt := range []struct {
		max, n int
		ok     bool
	}{{10, 9, true}, {10, 10, false}, {0, 9_999, true}, {0, 10_000, false}} {
		th := &vm.Thread{MaxDepth: tt.max}
		_, err := prog.Call(th, prog.Function("depth"), []vm.Value{vm.Int(int64(tt.n))})
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, vm.ErrStackOverflow)) {
			t.Errorf("MaxDepth %d, depth %d: %v", tt.max, tt.n+1, err)
		}
	}
}

func TestStepsCountLoopsAndCalls(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	th := &vm.Thread{}
	if _, err := prog.Call(th, prog.Function("calls"), []vm.Value{vm.Int(10)}); err != nil {
		t.Fatal(err)
	}
	// Steps approximate instructions: each iteration of the loop in calls
	// costs its 6 instructions, and each call of depth its 8.
	const want = 10 * (6 + 8 + 8)
	if th.Steps() != want {
		t.Errorf("Steps = %d, want %d", th.Steps(), want)
	}
	for _, limit := range []int64{1, want - 1, want, want + 1, 5000} {
		th := &vm.Thread{MaxSteps: limit}
		_, err := prog.Call(th, prog.Function("calls"), []vm.Value{vm.Int(10)})
		if ok := limit >= want; (err == nil) != ok || (err != nil && !errors.Is(err, vm.ErrStepLimit)) {
			t.Errorf("MaxSteps %d: %v", limit, err)
		}
		if th.Steps() > limit {
			t.Errorf("MaxSteps %d: took %d steps", limit, th.Steps())
		}
	}
}

func TestCancelFromAnotherGoroutine(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	ctx, cancel := context.WithCancel(context.Background())
	th := &vm.Thread{Ctx: ctx}
	done := make(chan error)
	go func() {
		_, err := prog.Call(th, prog.Function("spin"), nil)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestCanceledBeforeTheCall(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := &recordingHook{t: t}
	_, err := prog.Call(&vm.Thread{Ctx: ctx, Hook: h}, prog.Function("spin"), nil)
	if !errors.Is(err, context.Canceled) || len(h.events) != 0 {
		t.Fatalf("got %v, events %v", err, h.events)
	}
}

func TestThreadReuse(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	th := &vm.Thread{MaxSteps: 100_000}
	for i := range 3 {
		if _, err := prog.Call(th, prog.Function("spin"), nil); !errors.Is(err, vm.ErrStepLimit) {
			t.Fatalf("run %d: %v", i, err)
		}
		v, err := prog.Call(th, prog.Function("work"), []vm.Value{vm.Int(100)})
		if err != nil || v.Int() != 328350 {
			t.Fatalf("run %d: %v, %v", i, v, err)
		}
	}
}

// TestConcurrentCalls runs one Program on many goroutines, one Thread each
// (run it with -race).
func TestConcurrentCalls(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := &vm.Thread{}
			for i := range 20 {
				n := int64(g*20 + i)
				v, err := prog.Call(th, prog.Function("work"), []vm.Value{vm.Int(n)})
				if want := (n - 1) * n * (2*n - 1) / 6; err != nil || v.Int() != want {
					errs <- fmt.Errorf("work(%d) = %v, %v; want %d", n, v, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPushIsBounded: a loop appending to a list stops at MaxListLen with an
// error instead of growing memory until the step budget runs out.
func TestPushIsBounded(t *testing.T) {
	prog := compileSource(t, "push.baml", `
function grow() -> int {
    let xs = [];
    while true { xs.push(1); }
    xs.length()
}`)
	_, err := prog.Call(&vm.Thread{}, prog.Function("grow"), nil)
	if err == nil || !strings.Contains(err.Error(), "push: the list already has") {
		t.Fatalf("err = %v, want the list limit", err)
	}
}

// TestDeepStackMessageIsElided: a stack overflow's message shows a bounded
// number of frames; the error still holds them all.
func TestDeepStackMessageIsElided(t *testing.T) {
	prog := compileSource(t, "limits.baml", limitsProgram)
	_, err := prog.Call(&vm.Thread{MaxDepth: 5000}, prog.Function("depth"), []vm.Value{vm.Int(1_000_000)})
	var ee *vm.EvalError
	if !errors.As(err, &ee) || !errors.Is(err, vm.ErrStackOverflow) {
		t.Fatalf("err = %v", err)
	}
	if len(ee.Stack) < 5000 || strings.Count(err.Error(), "\n  at ") != 20 || !strings.Contains(err.Error(), "more frames ...") {
		t.Errorf("stack %d frames, message:\n%s", len(ee.Stack), err)
	}
}
