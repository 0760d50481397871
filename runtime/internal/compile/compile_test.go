package compile_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// hosts are the host functions the test programs may call.
var hosts = []*compile.HostSig{
	{Name: "log", Params: []string{"msg: string"}},
	{Name: "fetch", Params: []string{"url: string"}, Result: "string", Traced: true},
}

// TestDisassembly compiles each testdata/*.baml file and compares the
// disassembly of its expression functions with testdata/*.golden.
func TestDisassembly(t *testing.T) {
	files, err := filepath.Glob("testdata/*.baml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test programs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			got := disassemble(t, file)
			golden := strings.TrimSuffix(file, ".baml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("disassembly differs from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}

func disassemble(t *testing.T, file string) string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := syntax.Parse(filepath.Base(file), src)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	prog, errs := compile.Compile([]*syntax.File{f}, hosts)
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs[0])
	}
	var b strings.Builder
	for _, fn := range prog.Funcs {
		if fn.Kind == compile.FuncExpr {
			b.WriteString(prog.Disassemble(fn))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestPositions checks that every instruction has a source position.
func TestPositions(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.baml")
	for _, file := range files {
		src, _ := os.ReadFile(file)
		f, err := syntax.Parse(file, src)
		if err != nil {
			t.Fatal(err)
		}
		prog, errs := compile.Compile([]*syntax.File{f}, hosts)
		if prog == nil {
			t.Fatalf("compile: %v", errs)
		}
		for _, fn := range prog.Funcs {
			if len(fn.Positions) != len(fn.Code) {
				t.Errorf("%s: %d positions for %d instructions", fn.Name, len(fn.Positions), len(fn.Code))
			}
			for pc, pos := range fn.Positions {
				if !pos.IsValid() {
					t.Errorf("%s: instruction %d (%s) has no position", fn.Name, pc, fn.Code[pc].Op)
				}
			}
		}
	}
}

// TestTraced checks the single rule deciding which functions are traced.
func TestTraced(t *testing.T) {
	src := `
function Plain() -> int { 1 }
function Marked() -> int {
    @@trace
    1
}
function Model(x: string) -> string {
    client "openai/gpt-4o-mini"
    prompt #"{{ x }}"#
}`
	f, err := syntax.Parse("t.baml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	prog, errs := compile.Compile([]*syntax.File{f}, hosts)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	want := map[string]bool{"Plain": false, "Marked": true, "Model": true, "log": false, "fetch": true}
	for _, fn := range prog.Funcs {
		if fn.Traced != want[fn.Name] {
			t.Errorf("%s: Traced = %v, want %v", fn.Name, fn.Traced, want[fn.Name])
		}
	}
}
