package compile_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
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

// TestModel checks what the compiler keeps in the type model: attributes
// (constraints, streaming, descriptions written unquoted), aliases, methods
// and host signatures resolved like the program's own types.
func TestModel(t *testing.T) {
	src := `
type Score = int @assert(positive, {{ this > 0 }})
enum Color {
    Red @alias(rouge) @description(a warm colour)
    Blue @skip
    @@dynamic
}
class Point {
    x int @stream.done @description(The horizontal position in pixels)
    y int? @stream.not_null @stream.with_state @check(small, {{ this < 10 }})
    c map<Color, Score>
    @@stream.done
    @@dynamic
    @@description(A point)

    function norm(self, p: int) -> int {
        self.x * p
    }
}
function F(n: int @assert(positive, {{ this > 0 }}), f: (int) -> bool) -> string @check(short, {{ this|length < 5 }}) {
    n.to_string()
}
`
	f, err := syntax.Parse("m.baml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	hs := []*compile.HostSig{{Name: "look", Params: []string{"p: Point", "img: image", "m: map<Color, int>"}, Result: "Score[]"}}
	prog, errs := compile.Compile([]*syntax.File{f}, hs)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	pt := prog.Classes[0]
	x, y := pt.Fields[0], pt.Fields[1]
	if !x.Stream.Done || x.Description != "The horizontal position in pixels" || !y.Stream.NotNull || !y.Stream.WithState {
		t.Errorf("field attributes: %+v %+v", x, y)
	}
	if len(y.Checks) != 1 || y.Checks[0].Kind != types.Check || y.Checks[0].Name != "small" || y.Checks[0].Expr != "this < 10" {
		t.Errorf("field check: %+v", y.Checks)
	}
	if !pt.Stream.Done || !pt.Dynamic || pt.Description != "A point" || pt.Fields[2].Type.String() != "map<Color, Score>" {
		t.Errorf("class: %+v", pt)
	}
	if m := pt.Method("norm"); m == nil || !m.Self || m.Sig.String() != "(int) -> int" {
		t.Errorf("method: %+v", m)
	}
	color := prog.Enums[0]
	if !color.Dynamic || color.Values[0].Alias != "rouge" || color.Values[0].Description != "a warm colour" || !color.Values[1].Skip {
		t.Errorf("enum: %+v %+v", color, color.Values)
	}
	score := prog.Aliases[0]
	if score.Type.String() != "int" || len(score.Type.Checks) != 1 || score.Type.Checks[0].Kind != types.Assert {
		t.Errorf("alias: %s %+v", score.Type, score.Type.Checks)
	}
	var fn, look *compile.Func
	for _, g := range prog.Funcs {
		switch g.Name {
		case "F":
			fn = g
		case "look":
			look = g
		}
	}
	if c := fn.Sig.Params[0].Type.Checks; len(c) != 1 || c[0].Name != "positive" || c[0].Expr != "this > 0" {
		t.Errorf("parameter constraint: %+v", c)
	}
	if c := fn.Sig.Result.Checks; len(c) != 1 || c[0].Kind != types.Check || c[0].Name != "short" {
		t.Errorf("result constraint: %+v", c)
	}
	if got := fn.Sig.String(); got != "(int, (int) -> bool) -> string" {
		t.Errorf("signature: %s", got)
	}
	if got := look.Sig.String(); got != "(Point, image, map<Color, int>) -> Score[]" || look.Sig.Params[0].Type.Class != pt {
		t.Errorf("host signature: %s", got)
	}
}

// TestHostSignatureErrors checks that host signatures are resolved, and
// their mistakes reported, like the program's own types.
func TestHostSignatureErrors(t *testing.T) {
	f, _ := syntax.Parse("m.baml", []byte("class A {\n    a int\n}\n"))
	_, errs := compile.Compile([]*syntax.File{f}, []*compile.HostSig{
		{Name: "bad", Params: []string{"m: map<int, string>", "w: Widget"}, Result: "A["},
	})
	want := []string{
		"host function bad, parameter m:1:5: maps may only have strings, enums or literal strings as keys, not int",
		"host function bad, parameter w:1:1: unknown type Widget",
		"host function bad, result:1:3: expected ']' after '[' in list type, found end of file",
	}
	if len(errs) != len(want) {
		t.Fatalf("errors:\n%v", errs)
	}
	for i, e := range errs {
		if e.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, e, want[i])
		}
	}
}
