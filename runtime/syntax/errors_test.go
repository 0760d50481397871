package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// parseErrors parses src and returns its errors, one "line:col: msg" per line.
func parseErrors(src string) string {
	_, err := Parse("", []byte(src))
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown decl", "clas Foo {}",
			"1:1: unknown declaration 'clas' (want class, enum, type, client<llm>, retry_policy, function, let, test, generator)"},
		{"stray token at top level", "}", "1:1: expected declaration, found '}'"},
		{"alias without =", "type Id string", "1:9: expected '=' after type Id, found 'string'"},
		{"lambda without arrow", "function f() -> int { let g = (x) x; }", "1:34: expected ';' after let statement"},
		{"lambda params without arrow", "function f() -> int { let g = (x: int) { x }; }", "1:40: expected '->' or '=>' after the parameters of a lambda, found '{'"},
		{"instanceof without class", "function f() -> int { if (x instanceof 1) { 1 } }", "1:40: expected class name after instanceof, found '1'"},
		{"two spreads", "function f() -> A { A { ..x, ..y } }", "1:30: A literal has two spreads"},
		{"function type without arrow", "function f(g: (int, string)) -> int { 1 }", "1:28: expected '->' after the parameter types of a function type, found ')'"},
		{"unknown client kind token", "client<> Fast { }", "1:8: expected client kind such as llm, found '>'"},
		{"missing result type", "function f() -> { 1 }", "1:17: expected type, found '{'"},
		{"field without type", "class A {\n  x {\n}", "2:5: expected type, found '{'"},
		{"missing class name", "class {}", "1:7: expected class name, found '{'"},
		{"missing class brace", "class A\n  x int\n}", "2:3: expected '{' after class A, found 'x'"},
		{"unclosed class", "class A {\n  x int\nclass B {}",
			"3:1: expected '}' to close class A opened at 1:9, found 'class'"},
		{"unclosed block at eof", "function f() {\n  let x = 1;\n",
			"3:1: expected '}' to close block opened at 1:14, found end of file"},
		{"map type comma", "class A { x map<string int> }", "1:24: expected ',' between map key and value types, found 'int'"},
		{"list type bracket", "class A { x int[ }", "1:18: expected ']' after '[' in list type, found '}'"},
		{"attr args", "enum E { A @alias( }", "1:20: expected expression, found '}'"},
		{"option without value", "client<llm> C { provider }", "1:26: expected value for 'provider', found '}'"},
		{"bad option value", "client<llm> C { provider ( }", "1:26: expected value for 'provider', found '('"},
		{"unclosed option list", "client<llm> C { options { strategy [A, B", "1:41: expected ']' to close the list for 'strategy', found end of file"},
		{"missing param colon", "function f(a int) {}", "1:14: expected ':' after parameter a, found 'int'"},
		{"missing param comma", "function f(a: int b: int) {}", "1:19: expected ',' or ')' in parameter list, found 'b'"},
		{"missing param name", "function f( { }", "1:13: expected parameter name, found '{'"},
		{"missing body", "function f() -> int", "1:20: expected '{' to open the body of function f, found end of file"},
		{"let without semicolon", "function f() -> int {\n  let x = 1\n  x\n}", "2:12: expected ';' after let statement"},
		{"expr without semicolon", "function f() {\n  g()\n  h();\n}", "2:6: expected ';' after expression"},
		{"assign without semicolon", "function f() {\n  x = 1\n  x\n}", "2:8: expected ';' after assignment"},
		{"return without semicolon", "function f() -> int { return 1 }", "1:31: expected ';' after return statement"},
		{"break without semicolon", "function f() { while true { break } }", "1:34: expected ';' after break statement"},
		{"continue without semicolon", "function f() { while true { continue } }", "1:37: expected ';' after continue statement"},
		{"missing operand", "function f() { x + ; }", "1:20: expected expression, found ';'"},
		{"missing let name", "function f() { let = 1; }", "1:20: expected variable name after let, found '='"},
		{"missing let eq", "function f() { let x 1; }", "1:22: expected '=' after let x, found '1'"},
		{"missing let type", "function f() { let x: = 1; }", "1:23: expected type, found '='"},
		{"assign to literal", "function f() { 1 = 2; }", "1:16: cannot assign to a literal (want a variable, field or index)"},
		{"assign to call", "function f() { g() += 2; }", "1:16: cannot assign to a call (want a variable, field or index)"},
		{"if without brace", "function f() { if a return 1; }", "1:21: expected '{' after if condition, found 'return'"},
		{"else without brace", "function f() { if a { } else return; }", "1:30: expected '{' or 'if' after else, found 'return'"},
		{"while without brace", "function f() { while a b; }", "1:24: expected '{' after while condition, found 'b'"},
		{"for without in", "function f() { for x xs { } }", "1:22: expected 'in' after loop variable x, found 'xs'"},
		{"for without var", "function f() { for in xs { } }", "1:20: expected loop variable after for, found 'in'"},
		{"for paren", "function f() { for (x in xs { } }", "1:33: expected ')' to close for (... in ...), found '}'"},
		{"list comma", "function f() { let x = [1, 2; }", "1:29: expected ',' or ']' in list literal, found ';'"},
		{"call comma", "function f() { g(1 2); }", "1:20: expected ',' or ')' in argument list, found '2'"},
		{"unclosed paren", "function f() { (1 + 2; }", "1:22: expected ')' to close '(', found ';'"},
		{"unclosed index", "function f() { x[1; }", "1:19: expected ']' to close index, found ';'"},
		{"map colon", "function f() { let m = {a 1}; }", "1:26: expected ';' after expression"},
		{"map key", "function f() { let m = {1: 2}; }", "1:25: expected map key (a string or a name), found '1'"},
		{"map comma", "function f() { let m = {a: 1 b: 2}; }", "1:30: expected ',' or '}' in map literal, found 'b'"},
		{"class lit field", "function f() { P { 1: 2 } }", "1:20: expected field name in P { ... }, found '1'"},
		{"dot without name", "function f() { x.; }", "1:18: expected field or method name after '.', found ';'"},
		{"llm no prompt", "function f() -> string {\n  client Fast\n}", "1:24: llm function f has no prompt"},
		{"llm no client", "function f() -> string {\n  prompt #\"hi\"#\n}", "1:24: llm function f has no client"},
		{"llm junk", "function f() {\n  client A\n  prompt \"p\"\n  temperature 1\n}",
			"4:3: unexpected 'temperature' in llm function f (want client or prompt)"},
		{"llm duplicate client", "function f() {\n  client A\n  client B\n  prompt \"p\"\n}", "3:3: duplicate client in llm function f"},
		{"llm prompt not string", "function f() {\n  client A\n  prompt p\n}", "3:10: expected prompt string #\"...\"# after prompt, found 'p'"},
		{"llm bad client", "function f() {\n  prompt \"p\"\n  client 1\n}", "3:10: expected client name or \"provider/model\" after client, found '1'"},
		{"unterminated raw prompt", "function f() {\n  client A\n  prompt #\"abc\n}\nclass B {}",
			"3:10: unterminated raw string: missing \"#"},
		{"unterminated raw ##", "function f() -> string { ##\"x\"# }", "1:26: unterminated raw string: missing \"##"},
		{"unterminated string", "function f() { let s = \"abc; }", "1:24: unterminated string literal"},
		{"test without name", "test { }", "1:6: expected test name, found '{'"},
		{"unclosed test", "test T {\n  args { x 1 }\n", "3:1: expected '}' to close test T opened at 1:8, found end of file"},
		{"test without functions", "test T {\n  args { x 1 }\n}", "1:6: test T has no functions field: write functions [F]"},
		{"test unknown field", "test T {\n  functions [F]\n  input \"x\"\n}", "3:3: test T: unknown field input (want functions, args or type_builder)"},
		{"test field attribute", "test T {\n  functions [F] @assert({{ this }})\n}", "2:17: attributes on test fields are not allowed: write @@check or @@assert in the test block"},
		{"test field twice", "test T {\n  functions [F]\n  functions [G]\n}", "3:3: test T: field functions given twice"},
		{"type_builder bad decl", "test T {\n  functions [F]\n  type_builder {\n    function X() -> int { 1 }\n  }\n}", "4:5: expected class, enum, dynamic class or dynamic enum in a type builder, found 'function'"},
		{"template without text", "template_string T(x: int)", "1:26: expected template text #\"...\"# for template_string T, found end of file"},
		{"unterminated jinja", "class A {\n  x int @assert(ok, {{ this > 0 )\n}", "2:21: unterminated jinja expression: missing }}"},
		{"unexpected char", "function f() { let x = 1 $ 2; }", "1:26: unexpected character '$'"},
		{"hash comment", "# comment\nclass A {}", "1:1: unexpected '#' (raw strings are written #\"...\"#; comments start with //)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseErrors(tt.src); got != tt.want {
				t.Errorf("source:\n%s\ngot  %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

// TestParseExprErrors covers ParseExpr's own errors.
func TestParseExprErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"1 2", "e:1:3: unexpected '2' after expression"},
		{"", "e:1:1: expected expression, found end of file"},
		{"if a { @@trace }", "e:1:8: block attribute @@trace outside a function body"},
	}
	for _, tt := range tests {
		x, err := ParseExpr("e", []byte(tt.src))
		if err == nil || err.Error() != tt.want || x != nil {
			t.Errorf("%q: got %v, %v; want %s", tt.src, x, err, tt.want)
		}
	}
}

// TestOneTypoOneMessage checks recovery: a single mistake gives a single
// error, and the declarations around it still parse.
func TestOneTypoOneMessage(t *testing.T) {
	tests := []struct{ name, src, err, tree string }{
		{"bad expression",
			"function f() -> int {\n  let x = 1 +;\n  let y = 2;\n  y\n}\nclass A { x int }",
			"2:14: expected expression, found ';'",
			"(function f -> int {(let y 2); y})\n(class A (field x int))"},
		{"missing semicolon",
			"function f() -> int {\n  let x = 1\n  let y = x;\n  y\n}",
			"2:12: expected ';' after let statement",
			"(function f -> int {(let x 1); (let y x); y})"},
		{"bad statement resyncs at let",
			"function f() -> int {\n  x = = 2\n  let y = 3;\n  y\n}",
			"2:7: expected expression, found '='",
			"(function f -> int {(let y 3); y})"},
		{"bad nested statement",
			"function f() {\n  while a {\n    g(;\n    h();\n  }\n  k();\n}",
			"3:7: expected expression, found ';'",
			"(function f {(while a {(call h);}); (call k);})"},
		{"bad field",
			"class A {\n  x in\n  y int\n  z @alias(\"q\")\n  w string\n}",
			"2:5: expected type, found 'in'\n4:5: expected type, found '@'",
			"(class A (field y int) (field w string))"},
		{"bad enum value",
			"enum E {\n  A\n  B @alias(\n  C\n}",
			"5:1: expected ',' or ')' in attribute arguments, found '}'",
			"(enum E A)"},
		{"bad option",
			"client<llm> C {\n  provider ]\n  options { model \"m\" }\n}",
			"2:12: expected value for 'provider', found ']'",
			`(client<llm> C {options {model "m"}})`},
		{"bad declaration header",
			"function f( {\n  1\n}\nfunction g() -> int { 2 }",
			"1:13: expected parameter name, found '{'",
			"(function g -> int {2})"},
		{"unknown declaration",
			"clas A {\n  x int\n}\nclass B { y int }",
			"1:1: unknown declaration 'clas' (want class, enum, type, client<llm>, retry_policy, function, let, test, generator)",
			"(class B (field y int))"},
		{"unclosed function",
			"function f() {\n  let x = 1;\nclass B { y int }",
			"3:1: expected '}' to close block opened at 1:14, found 'class'",
			"(function f {(let x 1);})\n(class B (field y int))"},
		{"unterminated raw string at end",
			"class A { x int }\nfunction f() -> string {\n  client C\n  prompt #\"abc\n}",
			"4:10: unterminated raw string: missing \"#",
			"(class A (field x int))\n(function f -> string (llm C \"abc\\n}\"))"},
		{"stray closing brace",
			"class A { x int }\n}\nclass B { y int }",
			"2:1: expected declaration, found '}'",
			"(class A (field x int))\n(class B (field y int))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.err {
				t.Errorf("errors:\ngot  %s\nwant %s", err, tt.err)
			}
			if got := Sprint(f); got != tt.tree {
				t.Errorf("tree:\ngot  %s\nwant %s", got, tt.tree)
			}
		})
	}
}

func TestMultipleErrors(t *testing.T) {
	src := `class A {
  x int
  y strin g
}
function f(a: int) -> int {
  let b = a +* 2;
  b
}
enum E { P Q }
function g() -> int {
  let c = [1, 2;
  c.length()
}
client<llm> C {
  provider
}
clas D {}
function h() -> int { 1 }
`
	f, err := Parse("m.baml", []byte(src))
	want := []string{
		"m.baml:4:1: expected type, found '}'",
		"m.baml:6:14: expected expression, found '*'",
		"m.baml:11:16: expected ',' or ']' in list literal, found ';'",
		"m.baml:16:1: expected value for 'provider', found '}'",
		"m.baml:17:1: unknown declaration 'clas' (want class, enum, type, client<llm>, retry_policy, function, let, test, generator)",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var names []string
	for _, d := range f.Decls {
		names = append(names, d.DeclName())
	}
	if got := strings.Join(names, " "); got != "A f E g C h" {
		t.Errorf("declarations parsed: %s", got)
	}
}

func TestTooManyErrors(t *testing.T) {
	var b strings.Builder
	for i := range 80 {
		fmt.Fprintf(&b, "class C%d { x }\n", i)
	}
	_, err := Parse("", []byte(b.String()))
	list := err.(ErrorList)
	if len(list) != maxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(list), maxErrors+1)
	}
	if last := list[len(list)-1]; last.Msg != "too many errors" || last.Pos.Line != maxErrors {
		t.Errorf("last error %v", last)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Pos.Before(list[i-1].Pos) {
			t.Errorf("errors not sorted at %d: %v then %v", i, list[i-1], list[i])
		}
	}
}

// TestDeepNesting checks that deeply nested input yields an error, not a
// Go stack overflow.
func TestDeepNesting(t *testing.T) {
	const n = 100000
	tests := []struct {
		name, src, want string
	}{
		{"parens", "function f() { " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + " }", "expression nested too deeply"},
		{"lists", "function f() { " + strings.Repeat("[", n) + strings.Repeat("]", n) + " }", "expression nested too deeply"},
		{"maps", "function f() { " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n) + " }", "expression nested too deeply"},
		{"unary", "function f() { " + strings.Repeat("-", n) + "1 }", "expression nested too deeply"},
		{"not", "function f() { " + strings.Repeat("!", n) + "x }", "expression nested too deeply"},
		{"calls", "function f() { f" + strings.Repeat("(g", n) + strings.Repeat(")", n) + " }", "expression nested too deeply"},
		{"ifs", "function f() { " + strings.Repeat("if a { ", n) + strings.Repeat("}", n) + " }", "expression nested too deeply"},
		{"whiles", "function f() { " + strings.Repeat("while a { ", n) + strings.Repeat("}", n) + " }", "expression nested too deeply"},
		{"types", "class A { x " + strings.Repeat("(", n) + "int" + strings.Repeat(")", n) + " }", "type nested too deeply"},
		{"map types", "class A { x " + strings.Repeat("map<string, ", n) + "int" + strings.Repeat(">", n) + " }", "type nested too deeply"},
		{"config blocks", "client<llm> C { " + strings.Repeat("o { ", n) + strings.Repeat("}", n) + " }", "config block nested too deeply"},
		{"config lists", "client<llm> C { o " + strings.Repeat("[", n) + strings.Repeat("]", n) + " }", "config value nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("", []byte(tt.src))
			list, _ := err.(ErrorList)
			if len(list) == 0 || list[0].Msg != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	// Long flat chains are not nesting.
	flat := "function f() { 1" + strings.Repeat(" + 1", n) + "; x" + strings.Repeat(".f", n) +
		"; if a { } " + strings.Repeat("else if a { } ", n) + "}"
	if _, err := Parse("", []byte(flat)); err != nil {
		t.Errorf("flat chains: %v", err)
	}
	// Nesting just under the limit parses.
	ok := "function f() { " + strings.Repeat("(", maxDepth-5) + "1" + strings.Repeat(")", maxDepth-5) + " }"
	if _, err := Parse("", []byte(ok)); err != nil {
		t.Errorf("depth %d: %v", maxDepth-5, err)
	}
}
