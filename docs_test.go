package bex_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

// TestDocExamples compiles and runs every ```baml example of
// docs/language.md and of the README's language tour. An example is a whole
// program: its functions named test_* must run without error (they call
// assert_eq(want, got), a host function given here). An example whose first
// line is "// error: REGEXP" must fail to compile with an error matching
// REGEXP. The test blocks of an example run too (see runDocTests).
func TestDocExamples(t *testing.T) {
	for _, doc := range []string{"docs/language.md", "README.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		examples := bamlBlocks(string(text))
		if len(examples) == 0 {
			t.Fatalf("%s has no ```baml examples", doc)
		}
		for _, ex := range examples {
			t.Run(fmt.Sprintf("%s:%d", doc, ex.line), func(t *testing.T) { runDocExample(t, ex.src) })
		}
	}
}

type docExample struct {
	line int
	src  string
}

// bamlBlocks returns the ```baml fenced blocks of a markdown text.
func bamlBlocks(text string) []docExample {
	var out []docExample
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```baml" {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		out = append(out, docExample{line: start, src: strings.Join(lines[start:i], "\n") + "\n"})
	}
	return out
}

var docErrorRE = regexp.MustCompile(`^// error: (.*)`)

func runDocExample(t *testing.T, src string) {
	f, err := syntax.Parse("example.baml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	prog, err := vm.Compile([]*syntax.File{f}, vm.CompileOptions{HostFuncs: map[string]vm.HostSig{
		"assert_eq": {Params: []string{"want", "got"}},
	}})
	if m := docErrorRE.FindStringSubmatch(src); m != nil {
		if err == nil || !regexp.MustCompile(m[1]).MatchString(err.Error()) {
			t.Fatalf("compile error %v, want one matching %q", err, m[1])
		}
		return
	}
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	for _, fn := range prog.Functions() {
		if !strings.HasPrefix(fn.Name, "test_") {
			continue
		}
		th := &vm.Thread{Externals: docExternals{}, MaxSteps: 1_000_000}
		if _, err := prog.Call(th, fn, nil); err != nil {
			t.Errorf("%s: %v", fn.Name, err)
		}
	}
	if len(prog.Tests()) > 0 {
		runDocTests(t, src)
	}
}

var (
	docReplyRE = regexp.MustCompile(`(?m)^// reply (\w+): (.*)$`)
	docFailsRE = regexp.MustCompile(`(?m)^// (FAILED|ERROR) (\S+::\S+)$`)
)

// runDocTests runs the test blocks of an example, as bex test does. The
// LLM functions answer with the text of the example's "// reply F: text"
// lines, parsed into their return types (checks, asserts and the test's
// dynamic types included). Every test must pass, except those an
// "// FAILED F::T" or "// ERROR F::T" line names, which must end so.
func runDocTests(t *testing.T, src string) {
	replies := map[string]string{}
	for _, m := range docReplyRE.FindAllStringSubmatch(src, -1) {
		replies[m[1]] = m[2]
	}
	want := map[string]string{}
	for _, m := range docFailsRE.FindAllStringSubmatch(src, -1) {
		want[m[2]] = m[1]
	}
	fake := docLLM(func(req llm.Request) (llm.Result, error) {
		reply, ok := replies[req.Function]
		if !ok {
			return llm.Result{}, fmt.Errorf("the example has no // reply %s: line", req.Function)
		}
		p, err := llm.ParseOutput(reply, req.Output, llm.ParseOptions{Types: req.Types})
		return llm.Result{Value: p.Value, Checks: p.Checks, Notes: p.Notes}, err
	})
	eng, err := engine.New(engine.MustParse(map[string]string{"example.baml": src}), engine.WithLLM(fake))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range eng.Tests() {
		r := eng.RunTest(context.Background(), tc)
		status := want[tc.Name()]
		if status == "" {
			status = "PASSED"
		}
		if r.Status.String() != status {
			t.Errorf("test %s: %s (err %v, checks %v), want %s", tc.Name(), r.Status, r.Err, r.Checks, status)
		}
	}
}

// docLLM answers LLM calls with a function.
type docLLM func(llm.Request) (llm.Result, error)

func (f docLLM) Call(_ context.Context, req llm.Request) (llm.Result, error) { return f(req) }

// docExternals implements assert_eq; the examples make no LLM calls.
type docExternals struct{}

func (docExternals) CallHost(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	if !vm.Equal(args[0], args[1]) {
		return vm.Null, fmt.Errorf("assert_eq: want %s, got %s", args[0], args[1])
	}
	return vm.Null, nil
}

func (docExternals) CallLLM(fn *vm.Function, _ []vm.Value) (vm.Value, error) {
	return vm.Null, errors.New("the documentation's examples make no LLM calls")
}
