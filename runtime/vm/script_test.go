// script_test.go runs the bex test scripts in testdata/*.baml.

package vm_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// Script tests, in the manner of go.starlark.net's: every testdata/*.baml
// file is a program, and every function in it whose name starts with test_
// is run with no arguments. The host functions of testHosts are available
// (assert, assert_eq, fail, ...). A function whose declaration line ends in
//
//	// ### "regexp"
//
// must fail with a run-time error whose message (the *EvalError's Msg)
// matches the regexp; any other test function must succeed.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.baml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runScript(t, file) })
	}
}

var expectRE = regexp.MustCompile(`//\s*###\s*(".*")\s*$`)

func runScript(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	prog := compileSource(t, filepath.Base(file), string(src))
	lines := strings.Split(string(src), "\n")
	ran := 0
	for _, fn := range prog.Functions() {
		if !strings.HasPrefix(fn.Name, "test_") {
			continue
		}
		ran++
		want := ""
		if m := expectRE.FindStringSubmatch(lines[fn.Pos.Line-1]); m != nil {
			if want, err = strconv.Unquote(m[1]); err != nil {
				t.Fatalf("%s: bad ### marker: %v", fn.Name, err)
			}
		}
		t.Run(fn.Name, func(t *testing.T) {
			th := &vm.Thread{Externals: &testExternals{prog: prog}, MaxSteps: 20_000_000}
			_, err := prog.Call(th, fn, nil)
			checkScriptResult(t, err, want)
		})
	}
	if ran == 0 {
		t.Errorf("%s has no test_ functions", file)
	}
}

func checkScriptResult(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("succeeded, want an error matching %q", want)
	case want != "":
		var ee *vm.EvalError
		if !errors.As(err, &ee) {
			t.Fatalf("error %T is not an *EvalError: %v", err, err)
		}
		if !regexp.MustCompile(want).MatchString(ee.Msg) {
			t.Errorf("error %q does not match %q", ee.Msg, want)
		}
	}
}

// compileSource parses and compiles one file with the test host functions.
func compileSource(t testing.TB, name, src string) *vm.Program {
	t.Helper()
	f, err := syntax.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	prog, err := vm.Compile([]*syntax.File{f}, vm.CompileOptions{HostFuncs: testHosts})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return prog
}

// testHosts are the host functions test scripts may call.
var testHosts = map[string]vm.HostSig{
	"assert":      {Params: []string{"cond: bool"}},
	"assert_eq":   {Params: []string{"got", "want"}},
	"fail":        {Params: []string{"msg: string"}},
	"echo":        {Params: []string{"x"}},
	"boom":        {},
	"panic_now":   {},
	"sum_ints":    {Params: []string{"first: string", "n: int"}, Result: "int", Variadic: true},
	"bad_result":  {Result: "int"},
	"traced_echo": {Params: []string{"x"}, Traced: true},
}

// testExternals implements the test host functions, and answers LLM calls
// with "llm:Name(args)" (or an error for functions whose name says so).
type testExternals struct {
	prog  *vm.Program
	calls []string
}

func (e *testExternals) CallHost(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	e.calls = append(e.calls, fn.Name)
	switch fn.Name {
	case "assert":
		if !args[0].Bool() {
			return vm.Null, errors.New("assertion failed")
		}
	case "assert_eq":
		if !vm.Equal(args[0], args[1]) {
			return vm.Null, fmt.Errorf("assert_eq: got %s, want %s", repr(args[0]), repr(args[1]))
		}
	case "fail":
		return vm.Null, errors.New(args[0].Str())
	case "echo", "traced_echo":
		return args[0], nil
	case "boom":
		return vm.Null, errBoom
	case "panic_now":
		panic("host panic")
	case "sum_ints":
		var n int64
		for _, a := range args[1:] {
			n += a.Int()
		}
		return vm.Int(n), nil
	case "bad_result":
		return vm.String("not an int"), nil
	default:
		return vm.Null, fmt.Errorf("unknown host function %s", fn.Name)
	}
	return vm.Null, nil
}

var errBoom = errors.New("boom")

func (e *testExternals) CallLLM(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	e.calls = append(e.calls, fn.Name)
	if strings.Contains(fn.Name, "Failing") {
		return vm.Null, errLLM
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	s := "llm:" + fn.Name + "(" + strings.Join(parts, ", ") + ")"
	if fn.Result.Kind == types.String || fn.Result.Kind == types.Any {
		return vm.String(s), nil
	}
	return vm.FromGo(map[string]any{"title": s, "priority": 1}, fn.Result)
}

var errLLM = errors.New("llm provider unavailable")

// repr formats a value with strings quoted.
func repr(v vm.Value) string {
	if v.Kind() == vm.KindString {
		return strconv.Quote(v.Str())
	}
	return v.String()
}

// TestCheckScripts runs the compile-error scripts in testdata/check/*.baml,
// in the manner of TestScripts: each program must fail to compile (or
// compile with warnings), and every line that ends in
//
//	// ### "regexp"
//
// must get at least one error or warning whose message ("warning: msg" for
// a warning) matches the regexp, while no other line gets any.
func TestCheckScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*.baml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no check scripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runCheckScript(t, file) })
	}
}

func runCheckScript(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(file)
	want := map[int]*regexp.Regexp{}
	for i, line := range strings.Split(string(src), "\n") {
		if m := expectRE.FindStringSubmatch(line); m != nil {
			re, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("line %d: bad ### marker: %v", i+1, err)
			}
			want[i+1] = regexp.MustCompile(re)
		}
	}
	f, err := syntax.Parse(name, src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var diags syntax.ErrorList
	prog, err := vm.Compile([]*syntax.File{f}, vm.CompileOptions{HostFuncs: testHosts})
	if err != nil && !errors.As(err, &diags) {
		t.Fatalf("compile error %T is not a syntax.ErrorList: %v", err, err)
	}
	if prog != nil {
		diags = prog.Warnings()
	}
	matched := map[int]bool{}
	for _, d := range diags {
		msg := d.Msg
		if d.Warning {
			msg = "warning: " + msg
		}
		line := int(d.Pos.Line)
		switch re := want[line]; {
		case d.File != name:
			t.Errorf("diagnostic in another file: %v", d)
		case re == nil:
			t.Errorf("unexpected: %v", d)
		case !re.MatchString(msg):
			t.Errorf("line %d: %q does not match %q", line, msg, re)
		default:
			matched[line] = true
		}
	}
	for line, re := range want {
		if !matched[line] {
			t.Errorf("line %d: no diagnostic matching %q", line, re)
		}
	}
}
