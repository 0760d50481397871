// constraints.go validates the program's @assert and @check expressions
// and tests the asserts on the arguments of calls.

package engine

import (
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// checkConstraints compiles every constraint expression of the program
// (on fields, classes, aliases, parameters and results) and reports those
// that are not valid Jinja expressions, with their positions, as BAML's
// checker does.
func checkConstraints(p *vm.Program) syntax.ErrorList {
	var errs syntax.ErrorList
	seen := map[*types.Constraint]bool{}
	check := func(file string, ks []*types.Constraint) {
		for _, k := range ks {
			if seen[k] || k.Expr == "" { // an empty expression is a compile error already
				continue
			}
			seen[k] = true
			if err := llm.CheckPredicate(k.Expr); err != nil {
				errs = append(errs, &syntax.Error{File: file, Pos: k.Pos, Msg: "invalid constraint expression: " + err.Error()})
			}
		}
	}
	var walk func(file string, t *types.Type, depth int)
	walk = func(file string, t *types.Type, depth int) {
		if t == nil || depth > 64 {
			return
		}
		check(file, t.Checks)
		switch t.Kind {
		case types.List, types.Optional:
			walk(file, t.Elem, depth+1)
		case types.Map:
			walk(file, t.Key, depth+1)
			walk(file, t.Elem, depth+1)
		case types.Union:
			for _, v := range t.Variants {
				walk(file, v, depth+1)
			}
		}
	}
	for _, c := range p.Classes() {
		check(c.File, c.Checks)
		for _, f := range c.Fields {
			check(c.File, f.Checks)
			walk(c.File, f.Type, 0)
		}
	}
	for _, a := range p.Aliases() {
		walk(a.File, a.Type, 0)
	}
	for _, fn := range p.Functions() {
		for _, prm := range fn.Params {
			walk(fn.File, prm.Type, 0)
		}
		walk(fn.File, fn.Result, 0)
	}
	return errs
}

// checkArgs tests args, the arguments of fn, against the @assert
// constraints of its parameters' types, returning the first failure.
func (e *Engine) checkArgs(fn *vm.Function, args []vm.Value) *llm.AssertError {
	params, ok := e.asserts[fn]
	if !ok {
		return nil
	}
	snaps := make([]vmspan.Arg, len(args))
	for i, p := range params {
		if i < len(args) {
			snaps[i] = vmspan.Arg{Name: p.Name, Value: vm.Snapshot(args[i])}
		}
	}
	if err := llm.CheckArgs(fn.Name, params, snaps); err != nil {
		return err.(*llm.AssertError)
	}
	return nil
}

// assertParams returns fn's parameters in llm.CheckArgs's form.
func assertParams(fn *vm.Function) []*types.Param {
	params := make([]*types.Param, len(fn.Params))
	for i, p := range fn.Params {
		params[i] = &types.Param{Name: p.Name, Type: p.Type}
	}
	return params
}

// hasAsserts reports whether some parameter of fn has an @assert on its
// type, the types it holds, or the classes and fields of its values.
func hasAsserts(fn *vm.Function) bool {
	for _, p := range fn.Params {
		if typeHasAssert(p.Type, map[*types.ClassDecl]bool{}, 0) {
			return true
		}
	}
	return false
}

func typeHasAssert(t *types.Type, seen map[*types.ClassDecl]bool, depth int) bool {
	if t == nil || depth > 64 {
		return false
	}
	if anyAssert(t.Checks) {
		return true
	}
	switch t.Kind {
	case types.List, types.Optional, types.Map:
		return typeHasAssert(t.Elem, seen, depth+1)
	case types.Union:
		for _, v := range t.Variants {
			if typeHasAssert(v, seen, depth+1) {
				return true
			}
		}
	case types.Alias:
		return typeHasAssert(t.Alias.Type, seen, depth+1)
	case types.Class:
		if seen[t.Class] {
			return false
		}
		seen[t.Class] = true
		if anyAssert(t.Class.Checks) {
			return true
		}
		for _, f := range t.Class.Fields {
			if anyAssert(f.Checks) || typeHasAssert(f.Type, seen, depth+1) {
				return true
			}
		}
	}
	return false
}

func anyAssert(ks []*types.Constraint) bool {
	for _, k := range ks {
		if k.Kind == types.Assert {
			return true
		}
	}
	return false
}
