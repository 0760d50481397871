package bex_test

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

// TestDocExamples compiles and runs every ```baml example of
// docs/language.md and of the README's language tour. An example is a whole
// program: its functions named test_* must run without error (they call
// assert_eq(want, got), a host function given here). An example whose first
// line is "// error: REGEXP" must fail to compile with an error matching
// REGEXP.
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
}

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
