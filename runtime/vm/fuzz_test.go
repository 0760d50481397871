package vm_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// FuzzRun compiles arbitrary programs and runs every function they declare
// with zero arguments of the declared types: the VM must never panic, every
// failure must be an *EvalError, and the frame hook must stay balanced.
func FuzzRun(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.baml")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := syntax.Parse("fuzz.baml", src)
		if err != nil {
			return
		}
		prog, err := vm.Compile([]*syntax.File{file}, vm.CompileOptions{HostFuncs: traceHosts})
		if err != nil {
			var list syntax.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("compile error %T is not a syntax.ErrorList", err)
			}
			return
		}
		for _, fn := range prog.Functions() {
			if fn.Kind != vm.FuncExpr {
				continue
			}
			args := make([]vm.Value, len(fn.Params))
			for i, p := range fn.Params {
				args[i] = zero(p.Type, 0)
			}
			h := &recordingHook{t: t}
			th := &vm.Thread{MaxSteps: 2000, MaxDepth: 200, Hook: h, Externals: &cancelExternals{cancel: func() {}}}
			_, err := prog.Call(th, fn, args)
			var ee *vm.EvalError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%s: error %T is not an *EvalError: %v", fn.Name, err, err)
			}
			h.balanced()
		}
	})
}

// zero returns a simple value of type t.
func zero(t *types.Type, depth int) vm.Value {
	if depth > 20 {
		return vm.Null
	}
	u := t.Underlying()
	switch u.Kind {
	case types.Int:
		return vm.Int(0)
	case types.Float:
		return vm.Float(0)
	case types.String:
		return vm.String("")
	case types.Bool:
		return vm.False
	case types.List:
		return vm.NewList(nil)
	case types.Map:
		return vm.NewMap()
	case types.Union:
		return zero(u.Variants[0], depth+1)
	case types.Literal:
		v, _ := vm.FromGo(u.Literal, u)
		return v
	case types.Enum:
		v, _ := vm.EnumValue(u.Enum, u.Enum.Values[0].Name)
		return v
	case types.Class:
		fields := make([]vm.Value, len(u.Class.Fields))
		for i, f := range u.Class.Fields {
			fields[i] = zero(f.Type, depth+1)
		}
		return vm.NewInstance(u.Class, fields)
	}
	return vm.Null
}
