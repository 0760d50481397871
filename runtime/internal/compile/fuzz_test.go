package compile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
)

// FuzzCheck compiles arbitrary programs: the compiler and its type checker
// must never panic, every diagnostic must have a position in the file, and
// a program that compiles must have a position for every instruction and a
// valid stack layout.
func FuzzCheck(f *testing.F) {
	for _, pattern := range []string{"testdata/*.baml", "../../vm/testdata/*.baml", "../../vm/testdata/check/*.baml", "../../syntax/testdata/*.baml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if src, err := os.ReadFile(file); err == nil {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := syntax.Parse("fuzz.baml", src)
		if err != nil {
			return
		}
		prog, diags := compile.Compile([]*syntax.File{file}, hosts)
		for _, d := range diags {
			if d.File == "fuzz.baml" && !d.Pos.IsValid() {
				t.Errorf("diagnostic without a position: %v", d)
			}
		}
		if prog == nil {
			if diags.Err() == nil {
				t.Fatal("no program and no error")
			}
			return
		}
		for _, fn := range prog.Funcs {
			if fn.Kind != compile.FuncExpr {
				continue
			}
			if len(fn.Positions) != len(fn.Code) || fn.NumLocals < len(fn.Sig.Params) || fn.MaxStack < 0 {
				t.Fatalf("%s: %d positions, %d instructions, %d locals, stack %d", fn.Name, len(fn.Positions), len(fn.Code), fn.NumLocals, fn.MaxStack)
			}
			_ = prog.Disassemble(fn)
		}
	})
}
