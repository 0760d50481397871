package vm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

// TestCompileErrors checks the compile errors of small programs: every error
// is reported, with its position, in file order.
func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown variable", `function f() -> int { x + 1 }`,
			[]string{"t.baml:1:23: undefined: x"}},
		{"unknown function", `function f() -> any { g(1); }`,
			[]string{"t.baml:1:23: undefined function g"}},
		{"argument count", "function g(a: int, b: int) -> int { a }\nfunction f() -> any { g(1); }",
			[]string{"t.baml:2:24: g takes 2 arguments, got 1"}},
		{"argument count host", `function f() -> any { assert(true, false); }`,
			[]string{"t.baml:1:29: assert takes 1 argument, got 2"}},
		{"variadic host needs its fixed params", `function f() -> any { sum_ints(); }`,
			[]string{"t.baml:1:31: sum_ints takes 1 or more arguments, got 0"}},
		{"builtin argument count", `function f() -> any { len(); range(1, 2, 3); }`,
			[]string{"t.baml:1:26: len takes 1 argument, got 0", "t.baml:1:35: range takes 1 to 2 arguments, got 3"}},
		{"unknown type", `function f(x: Widget) -> Gadget { x }`,
			[]string{"t.baml:1:15: unknown type Widget", "t.baml:1:26: unknown type Gadget"}},
		{"unknown class literal", `function f() -> any { let x = Widget { a: 1 }; }`,
			[]string{"t.baml:1:31: unknown class Widget"}},
		{"unknown field in literal", "class P { name string }\nfunction f() -> any { let p = P { name: \"a\", age: 3 }; }",
			[]string{"t.baml:2:46: class P has no field age"}},
		{"missing field", "class P { name string  age int  nick string? }\nfunction f() -> any { let p = P { name: \"a\" }; }",
			[]string{"t.baml:2:31: missing field age in P literal"}},
		{"duplicate field", "class P { name string }\nfunction f() -> any { let p = P { name: \"a\", name: \"b\" }; }",
			[]string{"t.baml:2:46: field name given twice"}},
		{"unknown field access", "class P { name string }\nfunction f(p: P) -> string { p.nmae }",
			[]string{"t.baml:2:32: class P has no field nmae"}},
		{"unknown field through inference", "class P { name string }\nfunction f() -> any { let p = P { name: \"a\" }; p.age = 3; }",
			[]string{"t.baml:2:50: class P has no field age"}},
		{"unknown field through list element", "class P { name string }\nfunction f(ps: P[]) -> any { for (p in ps) { p.nam; } }",
			[]string{"t.baml:2:48: class P has no field nam"}},
		{"field of primitive", `function f(s: string) -> any { s.size; }`,
			[]string{"t.baml:1:34: string has no field size"}},
		{"unknown method", `function f(s: string) -> any { s.size(); }`,
			[]string{"t.baml:1:34: string has no method 'size'"}},
		{"method arity", `function f(xs: int[]) -> any { xs.push(); "a".split(",", 2); }`,
			[]string{"t.baml:1:39: list.push takes 1 argument, got 0", "t.baml:1:52: string.split takes 1 argument, got 2"}},
		{"method on class", "class P { name string }\nfunction f(p: P) -> any { p.name(); p.go(); }",
			[]string{"t.baml:2:27: cannot call p.name (a string, not a function)", "t.baml:2:39: class P has no method 'go'"}},
		{"unknown enum value", "enum E { A B }\nfunction f() -> any { let e = E.C; }",
			[]string{"t.baml:2:33: enum E has no value C"}},
		{"enum as value", "enum E { A B }\nfunction f() -> any { let e = E; }",
			[]string{"t.baml:2:31: enum E is not a value (write E.Variant)"}},
		{"redeclared function", "function f() -> any { }\nfunction f() -> any { }",
			[]string{"t.baml:2:10: f redeclared (previous declaration at t.baml:1:10)"}},
		{"redeclared host", `function echo(x: int) -> any { }`,
			[]string{"t.baml:1:10: echo redeclares a host function"}},
		{"class and enum clash", "class A { x int }\nenum A { B }",
			[]string{"t.baml:2:6: A redeclared (previous declaration at t.baml:1:7)"}},
		{"assign to unknown", `function f() -> any { y = 1; }`,
			[]string{"t.baml:1:23: undefined: y"}},
		{"break outside loop", `function f() -> any { break; }`,
			[]string{"t.baml:1:23: break outside a loop"}},
		{"duplicate map key", `function f() -> any { let m = {a: 1, a: 2}; }`,
			[]string{`t.baml:1:38: duplicate key "a" in map literal`}},
		{"unknown function attribute", "function f() -> any {\n  @@traced\n  1\n}",
			[]string{"t.baml:2:3: unknown function attribute @@traced"}},
		{"map with int keys", `function f(m: map<int, string>) -> any { }`,
			[]string{"t.baml:1:19: maps may only have strings, enums or literal strings as keys, not int"}},
		{"repeated parameter", `function f(a: int, a: int) -> any { }`,
			[]string{"t.baml:1:20: parameter a redeclared"}},
		{"several errors in order", "function f() -> int {\n  let a = b;\n  c(1);\n  a.x\n}",
			[]string{"t.baml:2:11: undefined: b", "t.baml:3:3: undefined function c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := syntax.Parse("t.baml", []byte(tt.src))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, err = vm.Compile([]*syntax.File{f}, vm.CompileOptions{HostFuncs: testHosts})
			var list syntax.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want a syntax.ErrorList", err)
			}
			if got := strings.Split(list.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
