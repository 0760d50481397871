// tests.go resolves the program's test blocks.

package compile

import (
	"sort"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// A Test is a test block of the program: the functions it runs, their
// arguments (as written: literals, lists and objects), what its
// type_builder adds to the program's types, and its @@check and @@assert
// constraints in order.
type Test struct {
	Name      string
	File      string
	Pos       syntax.Pos
	Functions []*Func // the functions it names that the program has, in order
	Args      []*syntax.MapEntry
	Types     *types.Overlay // nil without a type_builder
	Checks    []*types.Constraint
}

// compileTests resolves the test blocks. As in BAML, a function the
// program lacks and arguments that do not match a function's parameters
// are warnings (bex test reports them when it runs the test); a bad
// type_builder or attribute is an error.
func (c *compiler) compileTests(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			if d, ok := d.(*syntax.TestDecl); ok {
				c.prog.Tests = append(c.prog.Tests, c.compileTest(f.Name, d))
			}
		}
	}
}

func (c *compiler) compileTest(file string, d *syntax.TestDecl) *Test {
	t := &Test{Name: d.Name.Name, File: file, Pos: d.Name.NamePos, Args: d.Args}
	for _, id := range d.Functions {
		i, ok := c.funcs[id.Name]
		if !ok || c.prog.Funcs[i].Hidden || c.prog.Funcs[i].Kind == FuncHost {
			c.warnf(file, id.NamePos, "test %s: function %s not found", t.Name, id.Name)
			continue
		}
		fn := c.prog.Funcs[i]
		t.Functions = append(t.Functions, fn)
		c.checkTestArgs(file, d, fn)
	}
	for _, a := range d.Attrs {
		if a.Name != "assert" && a.Name != "check" {
			c.errorf(file, a.At, "tests may only have @@check and @@assert attributes, not %s", attrName(a))
			continue
		}
		t.Checks = append(t.Checks, c.constraint(file, a))
	}
	if d.Types != nil {
		sub := derived(c.prog.Classes, c.prog.Enums, c.prog.Aliases, c.declared)
		t.Types = sub.buildTypes([]TypeSource{{file, d.Types}})
		c.diags = append(c.diags, sub.diags...)
	}
	return t
}

// checkTestArgs warns about the arguments of test d that fn has no
// parameter for, and about fn's required parameters d gives no argument.
func (c *compiler) checkTestArgs(file string, d *syntax.TestDecl, fn *Func) {
	given := map[string]bool{}
	var unknown []string
	for _, e := range d.Args {
		given[e.Key] = true
		known := false
		for _, p := range fn.Sig.Params {
			known = known || p.Name == e.Key
		}
		if !known {
			unknown = append(unknown, e.Key)
		}
	}
	var missing, names []string
	for _, p := range fn.Sig.Params {
		names = append(names, p.Name)
		if !given[p.Name] && !p.Type.Nullable() {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		c.warnf(file, d.Name.NamePos, "test %s is missing required arguments for function %s: %s", d.Name.Name, fn.Name, strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		c.warnf(file, d.Name.NamePos, "test %s has unknown arguments for function %s: %s (parameters: %s)", d.Name.Name, fn.Name, strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
}
