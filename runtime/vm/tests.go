// tests.go exposes the program's test blocks and resolves type builders.

package vm

import (
	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// A Test is a test block of the program: the functions it runs, their
// arguments as written (*syntax.Literal, *syntax.ListExpr and
// *syntax.MapExpr values), what its type_builder adds to the program's
// types (nil without one), and its @@check and @@assert constraints in
// order.
type Test struct {
	Name      string
	File      string
	Pos       syntax.Pos
	Functions []*Function
	Args      []*syntax.MapEntry
	Types     *types.Overlay
	Checks    []*types.Constraint
}

// Tests returns the program's test blocks in declaration order.
func (p *Program) Tests() []*Test {
	index := map[*compile.Func]*Function{}
	for _, f := range p.funcs {
		index[f.code] = f
	}
	out := make([]*Test, len(p.code.Tests))
	for i, t := range p.code.Tests {
		vt := &Test{Name: t.Name, File: t.File, Pos: t.Pos, Args: t.Args, Types: t.Types, Checks: t.Checks}
		for _, fn := range t.Functions {
			vt.Functions = append(vt.Functions, index[fn])
		}
		out[i] = vt
	}
	return out
}

// A TypeSource is a type builder and the file its positions are in.
type TypeSource = compile.TypeSource

// BuildTypes resolves type builders against the program's declarations
// (see compile.BuildTypes): the result adds their classes, enums, fields
// and values for the calls that use it. The error is a syntax.ErrorList
// with positions in the sources' files.
func (p *Program) BuildTypes(srcs ...TypeSource) (*types.Overlay, error) {
	o, errs := compile.BuildTypes(p.code, srcs...)
	if errs != nil {
		return nil, errs
	}
	return o, nil
}
