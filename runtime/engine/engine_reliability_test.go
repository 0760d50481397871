package engine_test

// Bad input and runaway programs: every case is a clear error, never a
// panic, a hang or a Go stack overflow, and every span that starts ends.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// relSink counts starts and ends per span, so a test can check balance
// without keeping events.
type relSink struct {
	mu       sync.Mutex
	open     map[vmspan.SpanID]string
	starts   int
	failures map[string]string // span name -> error type of its last failed end
}

func newRelSink() *relSink {
	return &relSink{open: map[vmspan.SpanID]string{}, failures: map[string]string{}}
}

func (s *relSink) Emit(ep *vmspan.Event) {
	e := *ep
	s.mu.Lock()
	defer s.mu.Unlock()
	switch e.Kind {
	case vmspan.EventStart:
		s.starts++
		s.open[e.Span.ID] = e.Name
	case vmspan.EventEnd:
		delete(s.open, e.Span.ID)
		if e.Err != nil {
			s.failures[e.Name] = e.Err.Type
		}
	}
}

// check fails the test if a span is still open, and returns the number of
// spans started.
func (s *relSink) check(t *testing.T) int {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, name := range s.open {
		t.Errorf("span %s (%s) started but never ended", name, id)
	}
	return s.starts
}

func relEngine(t *testing.T, src string, opts ...engine.Option) (*engine.Engine, *relSink) {
	t.Helper()
	sink := newRelSink()
	opts = append([]engine.Option{engine.WithTracer(vmspan.NewTracer(sink))}, opts...)
	e, err := engine.New(engine.MustParse(map[string]string{"main.baml": src}), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, sink
}

const argSrc = `
class Point {
    x int
    y int
}
enum Color { Red Green }
function Take(n: int, s: string, f: float, b: bool, xs: int[], m: map<string, int>, p: Point?, c: Color?, u: (int | string)?) -> int { n }
`

// TestArgumentMismatches calls a function with arguments of the wrong type
// or shape: each is an *engine.ArgError naming the function and the
// argument, and no span starts.
func TestArgumentMismatches(t *testing.T) {
	e, sink := relEngine(t, argSrc)
	good := map[string]any{"n": 1, "s": "s", "f": 1.5, "b": true, "xs": []any{1}, "m": map[string]any{"k": 1}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cyclic := map[string]any{"x": 1}
	cyclic["y"] = cyclic
	for _, tc := range []struct {
		name string
		args any
		want string // a substring of the message
	}{
		{"string for int", with("n", "1"), "argument n: want int, got string"},
		{"fractional float for int", with("n", 1.5), "argument n: want int, got float"},
		{"NaN for int", with("n", math.NaN()), "argument n: want int"},
		{"uint64 beyond int64", with("n", uint64(math.MaxUint64)), "argument n: want int"}, // says "got int": see docs/reliability.md
		{"int for string", with("s", 3), "argument s: want string, got int"},
		{"string for float", with("f", "x"), "argument f: want float, got string"},
		{"string for bool", with("b", "true"), "argument b: want bool, got string"},
		{"string for list", with("xs", "x"), "argument xs: want int[], got string"},
		{"bad list element", with("xs", []any{1, "two"}), "argument xs: element 1: want int, got string"},
		{"bad map value", with("m", map[string]any{"k": "v"}), `argument m: key "k": want int, got string`},
		{"map with int keys", with("m", map[int]int{1: 1}), "argument m: want map<string, int>"},
		{"class missing a field", with("p", map[string]any{"x": 1}), "argument p: field y: missing"},
		{"class field of the wrong type", with("p", map[string]any{"x": 1, "y": "2"}), "argument p: field y: want int, got string"},
		{"cyclic class value", with("p", cyclic), "argument p: field y:"},
		{"unknown enum value", with("c", "Blue"), `argument c: "Blue" is not a value of enum Color`},
		{"union mismatch", with("u", true), "argument u: want int | string, got bool"},
		{"func value", with("n", func() {}), "argument n: want int, got func()"},
		{"channel value", with("n", make(chan int)), "argument n: want int, got chan int"},
		{"missing argument", with("s", nil), "missing argument s"},
		{"unknown argument", with("zz", 1), "unknown argument zz"},
		{"too few positional", []any{1, "s"}, "want 9 arguments, got 2"},
		{"too many positional", make([]any, 10), "want 9 arguments, got 10"},
		{"args of the wrong kind", 42, "args must be nil, a map of named arguments, a slice of positional arguments or a struct, not int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Call(context.Background(), "Take", tc.args)
			var ae *engine.ArgError
			if !errors.As(err, &ae) || ae.Function != "Take" {
				t.Fatalf("Call = %v, %v; want an *engine.ArgError for Take", res, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
	if n := sink.check(t); n != 0 {
		t.Errorf("%d spans started for calls with bad arguments, want none", n)
	}
}

// TestArgumentErrorsStayShort: a value nested without end (a cycle) is
// rejected with an error that names the argument and stays readable.
func TestArgumentErrorsStayShort(t *testing.T) {
	e, _ := relEngine(t, argSrc)
	cyclic := map[string]any{"x": 1}
	cyclic["y"] = cyclic
	_, err := e.Call(context.Background(), "Take", map[string]any{"n": 1, "s": "s", "f": 1.5, "b": true, "xs": []any{}, "m": map[string]any{}, "p": cyclic})
	if err == nil || len(err.Error()) > 1024 {
		t.Errorf("error of %d bytes, want a short one: %.200s…", len(fmt.Sprint(err)), err)
	}
}

// TestUnknownFunctions calls names that are not bex functions: an
// *engine.UnknownFunctionError naming it, and no span.
func TestUnknownFunctions(t *testing.T) {
	e, sink := relEngine(t, `function Run() -> int { helper() }`,
		engine.WithHost(engine.HostFunc{Name: "helper", Result: "int", Fn: func(context.Context, []any) (any, error) { return int64(1), nil }}))
	for _, name := range []string{"Nope", "", "run", "helper", "Run ", "Run()"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			_, err := e.Call(context.Background(), name, nil)
			var uf *engine.UnknownFunctionError
			if !errors.As(err, &uf) || uf.Name != name || !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
				t.Errorf("Call(%q) error = %v, want an *engine.UnknownFunctionError naming it", name, err)
			}
		})
	}
	if n := sink.check(t); n != 0 {
		t.Errorf("%d spans started, want none", n)
	}
	if got, err := e.Call(context.Background(), "Run", nil); err != nil || got != int64(1) {
		t.Errorf("Run = %v, %v after the bad calls", got, err)
	}
}

// TestMalformedProgramDirectory loads directories that hold no valid
// program: each is an error that says what is wrong and where.
func TestMalformedProgramDirectory(t *testing.T) {
	write := func(t *testing.T, dir, name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to load
		check func(t *testing.T, dir string, err error)
	}{
		{"does not exist", func(t *testing.T, dir string) string { return filepath.Join(dir, "missing") },
			func(t *testing.T, dir string, err error) {
				if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
					t.Errorf("err = %v, want fs.ErrNotExist naming the path", err)
				}
			}},
		{"a file, not a directory", func(t *testing.T, dir string) string {
			write(t, dir, "main.baml", "function f() -> int { 1 }")
			return filepath.Join(dir, "main.baml")
		}, wantText("is not a directory")},
		{"empty", func(t *testing.T, dir string) string { return dir }, wantText("no .baml files")},
		{"no .baml files", func(t *testing.T, dir string) string {
			write(t, dir, "notes.txt", "function f() -> int { 1 }")
			write(t, dir, "main.baml.bak", "function f() -> int { 1 }")
			return dir
		}, wantText("no .baml files")},
		{"dangling symlink", func(t *testing.T, dir string) string {
			write(t, dir, "a.baml", "function f() -> int { 1 }")
			if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "b.baml")); err != nil {
				t.Skipf("cannot make a symlink: %v", err)
			}
			return dir
		}, func(t *testing.T, dir string, err error) {
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "b.baml") {
				t.Errorf("err = %v, want fs.ErrNotExist naming b.baml", err)
			}
		}},
		{"a .baml directory", func(t *testing.T, dir string) string {
			if err := os.Mkdir(filepath.Join(dir, "sub.baml"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "sub.baml"), "x.baml", "function f() -> int { 1 }")
			return dir
		}, nil}, // a directory whose name ends in .baml is walked, not read
		{"unreadable file", func(t *testing.T, dir string) string {
			write(t, dir, "a.baml", "function f() -> int { 1 }")
			p := filepath.Join(dir, "b.baml")
			write(t, dir, "b.baml", "function g() -> int { 2 }")
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			if f, err := os.Open(p); err == nil {
				f.Close()
				t.Skip("the file stays readable after chmod 0 (running as root): cannot test an unreadable file")
			}
			return dir
		}, func(t *testing.T, dir string, err error) {
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "b.baml") {
				t.Errorf("err = %v, want fs.ErrPermission naming b.baml", err)
			}
		}},
		{"syntax errors in three files", func(t *testing.T, dir string) string {
			write(t, dir, "a.baml", "function f( -> int { 1 }")
			write(t, dir, "b.baml", "function ok() -> int { 1 }")
			write(t, dir, "c.baml", "class { x int }")
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "sub"), "d.baml", `function g() -> string { "unterminated }`)
			return dir
		}, func(t *testing.T, dir string, err error) {
			var list syntax.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("err = %v, want a syntax.ErrorList", err)
			}
			files := map[string]bool{}
			for _, e := range list {
				files[filepath.Base(e.File)] = true
				if e.Pos.Line == 0 || !strings.Contains(e.Error(), fmt.Sprintf("%s:%d:%d: ", e.File, e.Pos.Line, e.Pos.Col)) {
					t.Errorf("error %q lacks file:line:col", e)
				}
			}
			if !files["a.baml"] || !files["c.baml"] || !files["d.baml"] || files["b.baml"] {
				t.Errorf("errors in files %v, want a.baml, c.baml and d.baml:\n%v", files, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := engine.LoadDir(tc.setup(t, dir))
			if tc.check == nil {
				if err != nil || p == nil {
					t.Errorf("LoadDir: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadDir succeeded with %d files, want an error", len(p.Files()))
			}
			tc.check(t, dir, err)
		})
	}
}

func wantText(s string) func(*testing.T, string, error) {
	return func(t *testing.T, _ string, err error) {
		t.Helper()
		if !strings.Contains(err.Error(), s) {
			t.Errorf("err = %v, want it to say %q", err, s)
		}
	}
}

// TestCompileErrorsInSeveralFiles: compile errors of every file come back
// together from New, each with its position.
func TestCompileErrorsInSeveralFiles(t *testing.T) {
	p := engine.MustParse(map[string]string{
		"a.baml": "function f() -> Missing { 1 }",
		"b.baml": "function g() -> int { nope(1) }",
		"c.baml": "function h() -> int { 1 }",
	})
	_, err := engine.New(p)
	if err == nil {
		t.Fatal("New succeeded")
	}
	for _, want := range []string{"a.baml:1:", "Missing", "b.baml:1:", "nope"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

const runawaySrc = `
function Down(n: int) -> int { Down(n + 1) }
function Ping(n: int) -> int { Pong(n + 1) }
function Pong(n: int) -> int { Ping(n + 1) }
function TracedDown(n: int) -> int {
    @@trace
    TracedDown(n + 1)
}
function Spin() -> int {
    @@trace
    let i = 0;
    while (true) { i += 1; }
    i
}
function Grow() -> int {
    let xs = [1];
    for (x in xs) { xs.push(x); }
    xs.length()
}
function Run(which: string) -> int {
    if (which == "down") { return Down(0); }
    if (which == "traced") { return TracedDown(0); }
    if (which == "spin") { return Spin(); }
    Grow()
}
`

// TestRunawayPrograms runs programs that never stop: recursion ends in a
// depth-limit error (the VM keeps bex frames off the Go stack), loops in a
// step-limit error or the ctx's deadline, and every span ends.
func TestRunawayPrograms(t *testing.T) {
	short := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 100*time.Millisecond)
	}
	for _, tc := range []struct {
		name  string
		fn    string
		args  []any
		opts  []engine.Option
		call  []engine.CallOption
		ctx   func() (context.Context, context.CancelFunc)
		cause error
		says  string // the error's first line says this
	}{
		{"recursion, default depth", "Down", []any{0}, nil, nil, nil, vm.ErrStackOverflow, "stack overflow: more than 10000 frames"},
		{"mutual recursion, default depth", "Ping", []any{0}, nil, nil, nil, vm.ErrStackOverflow, "stack overflow"},
		{"traced recursion under a root", "Run", []any{"traced"}, []engine.Option{engine.WithMaxDepth(300)}, nil, nil, vm.ErrStackOverflow, "more than 300 frames"},
		{"infinite loop, step limit", "Run", []any{"spin"}, []engine.Option{engine.WithMaxSteps(2_000_000)}, nil, nil, vm.ErrStepLimit, "step limit exceeded (2000000 steps)"},
		{"infinite loop, per-call step limit", "Spin", nil, nil, []engine.CallOption{engine.WithCallMaxSteps(1_000_000)}, nil, vm.ErrStepLimit, "step limit exceeded"},
		{"infinite loop, no step limit, deadline", "Run", []any{"spin"}, []engine.Option{engine.WithMaxSteps(0)}, nil, short, context.DeadlineExceeded, "deadline exceeded"},
		{"loop growing a list, step limit", "Run", []any{"grow"}, []engine.Option{engine.WithMaxSteps(1_000_000)}, nil, nil, vm.ErrStepLimit, "step limit exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, sink := relEngine(t, runawaySrc, tc.opts...)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			res, err := e.Call(ctx, tc.fn, tc.args, tc.call...)
			var ee *vm.EvalError
			if !errors.Is(err, tc.cause) || !errors.As(err, &ee) {
				t.Fatalf("Call = %v, %v; want a *vm.EvalError wrapping %v", res, err, tc.cause)
			}
			if first, _, _ := strings.Cut(err.Error(), "\n"); !strings.Contains(first, tc.says) {
				t.Errorf("first line of the error %q, want it to say %q", first, tc.says)
			}
			if n := sink.check(t); n == 0 {
				t.Error("no span started")
			}
			if typ := sink.failures[tc.fn]; typ == "" {
				t.Errorf("the root span %s did not end with an error", tc.fn)
			}
		})
	}
}

// TestRunawayRecursionErrorIsBounded: the error of a runaway recursion
// names the limit and the innermost frames, not all 10,000 of them. Every
// open span ends with that message, so a traced runaway recursion writes
// the message 10,000 times into each trace sink.
func TestRunawayRecursionErrorIsBounded(t *testing.T) {
	e, _ := relEngine(t, runawaySrc)
	_, err := e.Call(context.Background(), "Down", []any{0})
	if !errors.Is(err, vm.ErrStackOverflow) || len(err.Error()) > 16<<10 {
		t.Errorf("error of %d bytes: %.200s…", len(fmt.Sprint(err)), err)
	}
}

// TestHostPanicsWhileServing makes calls whose host function panics (with
// a string, an error, nil) or fails while other goroutines make calls that
// succeed: the failing calls return errors, their spans end, and every
// other call succeeds.
func TestHostPanicsWhileServing(t *testing.T) {
	e, sink := relEngine(t, `
function Work(mode: string) -> string {
    @@trace
    act(mode) + "!"
}
function Run(mode: string) -> string { Work(mode) }
`, engine.WithHost(engine.HostFunc{Name: "act", Params: []string{"mode: string"}, Result: "string", Traced: true,
		Fn: func(ctx context.Context, args []any) (any, error) {
			switch args[0].(string) {
			case "panic-string":
				panic("kaboom")
			case "panic-error":
				panic(errors.New("broken invariant"))
			case "panic-nil":
				panic(nil)
			case "error":
				return nil, errors.New("plain failure")
			case "bad-result":
				return 42, nil // declared string
			}
			return "ok", nil
		}}))
	modes := []string{"panic-string", "panic-error", "panic-nil", "error", "bad-result"}
	const rounds = 40
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(modes))
	for i := range rounds {
		for _, mode := range modes {
			wg.Go(func() {
				_, err := e.Call(context.Background(), "Run", []any{mode})
				if err == nil {
					errs <- fmt.Errorf("mode %s: no error", mode)
					return
				}
				var pe *vm.PanicError
				if strings.HasPrefix(mode, "panic") != errors.As(err, &pe) {
					errs <- fmt.Errorf("mode %s: error %v (a *vm.PanicError: %v)", mode, err, errors.As(err, &pe))
				}
			})
		}
		wg.Go(func() {
			if res, err := e.Call(context.Background(), "Run", []any{fmt.Sprint("fine ", i)}); err != nil || res != "ok!" {
				errs <- fmt.Errorf("healthy call %d: %v, %v", i, res, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := sink.check(t); n != rounds*(len(modes)+1)*3 {
		t.Errorf("%d spans started, want %d", n, rounds*(len(modes)+1)*3)
	}
	if typ := sink.failures["act"]; typ == "" {
		t.Error("the host function's span never ended with an error")
	}
}

// TestRecursionThroughHostFunction: bex code calls a host function that
// calls the engine again, without end. Each nested Call starts a new VM
// thread at depth 0, so the depth limit never trips and Go's stack grows
// until the runtime aborts the whole process ("goroutine stack exceeds
// 1000000000-byte limit", which no recover can catch). Calls nested
// through ctx should count towards one depth limit.
func TestRecursionThroughHostFunction(t *testing.T) {
	var e *engine.Engine
	e, _ = relEngine(t, `function Back(n: int) -> int { back(n + 1) }`,
		engine.WithHost(engine.HostFunc{Name: "back", Params: []string{"n: int"}, Result: "int",
			Fn: func(ctx context.Context, args []any) (any, error) { return e.Call(ctx, "Back", args) }}))
	_, err := e.Call(context.Background(), "Back", []any{0})
	if !errors.Is(err, vm.ErrStackOverflow) {
		t.Errorf("err = %.300v, want a stack overflow error", err)
	}
}
