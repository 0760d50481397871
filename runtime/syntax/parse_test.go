package syntax

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("test.baml", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return f
}

func TestParseExpr(t *testing.T) {
	tests := []struct{ src, want string }{
		// literals and names
		{"42", "42"},
		{"1.5", "1.5"},
		{"1e3", "1e3"},
		{`"hi"`, `"hi"`},
		{`#"raw {{ x }}"#`, `#"raw {{ x }}"#`},
		{"true", "true"},
		{"false", "false"},
		{"null", "null"},
		{"x", "x"},
		{"client", "client"},
		// precedence and associativity
		{"a || b && c", "(|| a (&& b c))"},
		{"a && b || c", "(|| (&& a b) c)"},
		{"a == b && c != d", "(&& (== a b) (!= c d))"},
		{"a < b == c >= d", "(== (< a b) (>= c d))"},
		{"a + b < c * d", "(< (+ a b) (* c d))"},
		{"a - b - c", "(- (- a b) c)"},
		{"a * b / c % d", "(% (/ (* a b) c) d)"},
		{"a + b * c - d", "(- (+ a (* b c)) d)"},
		{"(a + b) * c", "(* (+ a b) c)"},
		{"a <= b", "(<= a b)"},
		{"a > b", "(> a b)"},
		// unary
		{"-x", "(- x)"},
		{"!x", "(! x)"},
		{"- -x", "(- (- x))"},
		{"!a && b", "(&& (! a) b)"},
		{"-a * b", "(* (- a) b)"},
		{"-a.b(c)", "(- (call (. a b) c))"},
		// postfix
		{"f()", "(call f)"},
		{"f(a, b)", "(call f a b)"},
		{"f(a, b,)", "(call f a b)"},
		{"x.f", "(. x f)"},
		{"x.m(a)", "(call (. x m) a)"},
		{"x[i]", "(index x i)"},
		{"x[i][j].k(1)(2)", "(call (call (. (index (index x i) j) k) 1) 2)"},
		{"x.length()", "(call (. x length))"},
		{"x.map.client.in", "(. (. (. x map) client) in)"},
		{"a.b.c", "(. (. a b) c)"},
		// lists and maps
		{"[]", "[]"},
		{"[1, 2, 3]", "[1 2 3]"},
		{"[1, [2, 3],]", "[1 [2 3]]"},
		{"{}", "(map)"},
		{`{"k": 1, k2: 2}`, `(map k: 1 k2: 2)`},
		{`{a: 1, "b c": [x],}`, `(map a: 1 b c: [x])`},
		{`{if: 1, map: 2}`, `(map if: 1 map: 2)`},
		// class constructors
		{"Ticket {}", "(new Ticket)"},
		{`Ticket { title: "t", priority: 1 }`, `(new Ticket title: "t" priority: 1)`},
		{`Ticket { title: "t", }`, `(new Ticket title: "t")`},
		{`Outer { inner: Inner { x: 1 } }`, `(new Outer inner: (new Inner x: 1))`},
		{`[P { x: 1 }, P { x: 2 }]`, `[(new P x: 1) (new P x: 2)]`},
		{`f(P { x: 1 })`, `(call f (new P x: 1))`},
		// if expressions
		{"if a { 1 } else { 2 }", "(if a {1} else {2})"},
		{"if (a) { 1 }", "(if a {1})"},
		{"if a { 1 } else if b { 2 } else { 3 }", "(if a {1} else (if b {2} else {3}))"},
		{"if a == B { 1 }", "(if (== a B) {1})"},
		{"if (P { x: 1 }).x { 1 }", "(if (. (new P x: 1) x) {1})"},
		{"if f(P { x: 1 }) { 1 }", "(if (call f (new P x: 1)) {1})"},
		{"1 + if a { 1 } else { 2 }", "(+ 1 (if a {1} else {2}))"},
		// strings with escapes keep their source text in Raw
		{`"a\nb" + "c"`, `(+ "a\nb" "c")`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			x, err := ParseExpr("e", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := Sprint(x); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseLiteralValues(t *testing.T) {
	tests := []struct {
		src  string
		kind LiteralKind
		want any
	}{
		{"42", IntLit, int64(42)},
		{"1.5", FloatLit, 1.5},
		{"1e3", FloatLit, 1000.0},
		{`"a\tb"`, StringLit, "a\tb"},
		{`#"a\tb"#`, StringLit, `a\tb`},
		{"true", BoolLit, true},
		{"false", BoolLit, false},
		{"null", NullLit, nil},
	}
	for _, tt := range tests {
		x, err := ParseExpr("e", []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		lit := x.(*Literal)
		if lit.Kind != tt.kind || lit.Value != tt.want || lit.Raw != tt.src {
			t.Errorf("%s: got kind %d value %#v raw %q", tt.src, lit.Kind, lit.Value, lit.Raw)
		}
	}
}

// funcBody parses src as the body of an expression function and prints it.
func funcBody(t *testing.T, src string) string {
	t.Helper()
	f := mustParse(t, "function f() {\n"+src+"\n}")
	return Sprint(f.Decls[0].(*FuncDecl).Body)
}

func TestParseStmt(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "{}"},
		{"1", "{1}"},
		{"let x = 1;", "{(let x 1);}"},
		{"let x: int = 1;", "{(let x int 1);}"},
		{"let x: string[] | null = [];", "{(let x (string[] | null) []);}"},
		{"let x = 1; x", "{(let x 1); x}"},
		{"x = 1;", "{(= x 1);}"},
		{"x.f = 1;", "{(= (. x f) 1);}"},
		{"x[i] += 2;", "{(+= (index x i) 2);}"},
		{"x -= 1; x *= 2; x /= 3; x %= 4;", "{(-= x 1); (*= x 2); (/= x 3); (%= x 4);}"},
		{"f(x);", "{(call f x);}"},
		{"xs.push(1);", "{(call (. xs push) 1);}"},
		{";;", "{}"},
		{"for (x in xs) { f(x); }", "{(for x xs {(call f x);});}"},
		{"for x in xs { f(x); }", "{(for x xs {(call f x);});}"},
		{"for x in [1, 2] { }", "{(for x [1 2] {});}"},
		{"for (p in [P { x: 1 }]) { }", "{(for p [(new P x: 1)] {});}"},
		{"for (p in P { x: 1 }.items()) { }", "{(for p (call (. (new P x: 1) items)) {});}"},
		{"for x in xs { } 1", "{(for x xs {}); 1}"},
		{"while (c) { break; }", "{(while c {break;});}"},
		{"while c { continue; }", "{(while c {continue;});}"},
		{"while a < B { }", "{(while (< a B) {});}"},
		{"return;", "{(return);}"},
		{"return x + 1;", "{(return (+ x 1));}"},
		{"if a { f(); }", "{(if a {(call f);})}"},
		{"if a { f(); } g();", "{(if a {(call f);}); (call g);}"},
		{"if a { f(); }; g();", "{(if a {(call f);}); (call g);}"},
		{"if a { 1 } else { 2 }", "{(if a {1} else {2})}"},
		{"let x = if a { 1 } else { 2 };", "{(let x (if a {1} else {2}));}"},
		{"if a { 1 } else if b { 2 } x", "{(if a {1} else (if b {2})); x}"},
		{"if a { f(); }\n[1, 2].length()", "{(if a {(call f);}); (call (. [1 2] length))}"},
		{"if a { f(); }\n(g)(1);", "{(if a {(call f);}); (call g 1);}"},
		{"if a { f(); }\n-x", "{(if a {(call f);}); (- x)}"},
		{"let y = if a { 1 } else { 2 } + 1;", "{(let y (+ (if a {1} else {2}) 1));}"},
		{"(if a { 1 } else { 2 }).to_string()", "{(call (. (if a {1} else {2}) to_string))}"},
		{"let t = Ticket { title: \"t\" };", "{(let t (new Ticket title: \"t\"));}"},
		{"Ticket { title: \"t\" }", "{(new Ticket title: \"t\")}"},
		{"{}", "{(map)}"},
		{`{"a": 1}`, `{(map a: 1)}`},
		{"let client = 1; client", "{(let client 1); client}"},
		{"let prompt = 1; prompt", "{(let prompt 1); prompt}"},
		{"@@trace\n1", "{1}"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			if got := funcBody(t, tt.src); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	tests := []struct{ src, want string }{
		{"int", "int"},
		{"float", "float"},
		{"string", "string"},
		{"bool", "bool"},
		{"null", "null"},
		{"image", "image"},
		{"Ticket", "Ticket"},
		{"int[]", "int[]"},
		{"int[][]", "int[][]"},
		{"int?", "int?"},
		{"int?[]", "int?[]"},
		{"int[]?", "int[]?"},
		{"map<string, int>", "map<string, int>"},
		{"map<string, int[],>", "map<string, int[]>"},
		{"map<string, map<string, Ticket>>", "map<string, map<string, Ticket>>"},
		{"map<string, int>[]", "map<string, int>[]"},
		{"A | B", "(A | B)"},
		{"A | B | null", "(A | B | null)"},
		{"A[] | B?", "(A[] | B?)"},
		{"(A | B)[]", "(A | B)[]"},
		{"(A | B)?", "(A | B)?"},
		{"(int)", "int"},
		{`"a" | "b"`, `("a" | "b")`},
		{"1 | 2 | -3", "(1 | 2 | -3)"},
		{"true | false", "(true | false)"},
		{"map", "map"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f := mustParse(t, "function f(x: "+tt.src+") {}")
			if got := Sprint(f.Decls[0].(*FuncDecl).Params[0].Type); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestNegativeLiteralType(t *testing.T) {
	f := mustParse(t, "function f(x: -3 | -1.5) {}")
	u := f.Decls[0].(*FuncDecl).Params[0].Type.(*UnionType)
	for i, want := range []any{int64(-3), -1.5} {
		lit := u.Types[i].(*LiteralType).Value
		if lit.Value != want {
			t.Errorf("type %d: value %#v, want %#v", i, lit.Value, want)
		}
		if lit.ValuePos.Col != []int32{15, 20}[i] {
			t.Errorf("type %d at %s", i, lit.ValuePos)
		}
	}
}

func TestParseDecl(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"class", "class A {\n  x int\n  y string? @alias(\"why\") @description(\"d\")\n  z A[]\n}",
			`(class A (field x int) (field y string? @alias("why") @description("d")) (field z A[]))`},
		{"class empty", "class A {}", "(class A)"},
		{"class block attr", "class A {\n  x int\n  @@dynamic\n}", "(class A (field x int) @@dynamic)"},
		{"class attr raw string", "class A {\n  x int @description(#\"a \"quoted\" # thing\"#)\n}",
			`(class A (field x int @description(#"a "quoted" # thing"#)))`},
		{"class jinja attr", "class A {\n  x int @assert(positive, {{ this > 0 and this|length < 'x' }}) @check(c, {{x}})\n}",
			`(class A (field x int @assert(positive, {{ this > 0 and this|length < 'x' }}) @check(c, {{x}})))`},
		{"class attr no args", "class A { x int @skip }", "(class A (field x int @skip))"},
		{"class keyword-like fields", "class A {\n  client string\n  prompt string\n  map int\n  in int\n}",
			"(class A (field client string) (field prompt string) (field map int) (field in int))"},
		{"class same line", "class A { x int y string }", "(class A (field x int) (field y string))"},
		{"class union field", "class A {\n  s \"a\" | \"b\"\n  t int\n}", `(class A (field s ("a" | "b")) (field t int))`},
		{"enum", "enum Color {\n  Red\n  Green @alias(\"g\") @description(\"grass\")\n  Blue\n  @@dynamic\n}",
			`(enum Color Red Green @alias("g") @description("grass") Blue @@dynamic)`},
		{"enum one line", "enum E { A B C }", "(enum E A B C)"},
		{"client", "client<llm> Fast {\n  provider openai\n  retry_policy Quick\n  options {\n    model \"gpt-4o-mini\"\n    base_url env.OPENAI_BASE_URL\n    temperature 0.5\n    max_tokens 100\n    stream false\n    headers {\n      \"X-Foo\" \"bar\"\n    }\n  }\n}",
			`(client<llm> Fast {provider openai, retry_policy Quick, options {model "gpt-4o-mini", base_url (. env OPENAI_BASE_URL), temperature 0.5, max_tokens 100, stream false, headers {X-Foo "bar"}}})`},
		{"client commas", "client<llm> C { provider openai, options { model \"m\", api_key env.K, } }",
			`(client<llm> C {provider openai, options {model "m", api_key (. env K)}})`},
		{"client unquoted", "client<llm> C {\n  provider openai-generic\n  options { model gpt-4o-mini base_url \"http://x\" }\n}",
			`(client<llm> C {provider openai-generic, options {model gpt-4o-mini, base_url "http://x"}})`},
		{"client fallback", "client<llm> F {\n  provider fallback\n  options { strategy [A, B] }\n}",
			`(client<llm> F {provider fallback, options {strategy [A B]}})`},
		{"client list without commas", "client<llm> F { provider round-robin options { strategy [\n A\n B\n ] start -1 } }",
			`(client<llm> F {provider round-robin, options {strategy [A B], start (- 1)}})`},
		{"retry_policy", "retry_policy Exp {\n  max_retries 3\n  strategy {\n    type exponential_backoff\n    delay_ms 200\n    multiplier 1.5\n    max_delay_ms 10000\n  }\n}",
			`(retry_policy Exp {max_retries 3, strategy {type exponential_backoff, delay_ms 200, multiplier 1.5, max_delay_ms 10000}})`},
		{"retry_policy constant", "retry_policy C { max_retries 2 strategy { type constant_delay delay_ms 10 } }",
			`(retry_policy C {max_retries 2, strategy {type constant_delay, delay_ms 10}})`},
		{"llm function", "function F(a: int, b: string[]) -> Ticket {\n  client Fast\n  prompt #\"Hi {{ a }}\"#\n}",
			`(function F (a int) (b string[]) -> Ticket (llm Fast "Hi {{ a }}"))`},
		{"llm function shorthand", "function F() -> string {\n  client \"openai/gpt-4o-mini\"\n  prompt \"hello\"\n}",
			`(function F -> string (llm "openai/gpt-4o-mini" "hello"))`},
		{"llm function unquoted shorthand", "function F() -> string {\n  client openai/gpt-4o-mini\n  prompt ##\"a \"# b\"##\n}",
			`(function F -> string (llm "openai/gpt-4o-mini" "a \"# b"))`},
		{"llm function prompt first", "function F() -> string {\n  prompt #\"p\"#\n  client C\n}",
			`(function F -> string (llm C "p"))`},
		{"expr function", "function Score(a: int, b: int) -> int { a * 10 + b }",
			"(function Score (a int) (b int) -> int {(+ (* a 10) b)})"},
		{"no result", "function Log(x: string) { print(x); }", "(function Log (x string) {(call print x);})"},
		{"trailing comma params", "function F(a: int,) -> int { a }", "(function F (a int) -> int {a})"},
		{"traced", "function T(x: int) -> int {\n  @@trace\n  let y = x;\n  y\n}",
			"(function T (x int) -> int @@trace {(let y x); y})"},
		{"traced nested", "function T() {\n  if a {\n    @@trace(\"name\");\n  }\n}",
			`(function T @@trace("name") {(if a {})})`},
		{"test", "test T1 {\n  functions [F]\n  args { body #\"x { }\"# }\n  @@check(ok, {{ this }})\n}", "(test T1 [F] (map body: #\"x { }\"#) @@check(ok, {{ this }}))"},
		{"test args", "test T2 {\n  functions [F, G]\n  args {\n    text hello world\n    n -3\n    items [\n      { user \"a\" qty 1 }\n      { user b, qty 2.5 },\n    ]\n    \"quoted key\" null\n  }\n}",
			`(test T2 [F G] (map text: hello world n: -3 items: [(map user: "a" qty: 1) (map user: b qty: 2.5)] quoted key: null))`},
		{"test type_builder", "test T3 {\n  functions [F]\n  type_builder {\n    class Extra {\n      a int\n    }\n    dynamic class Ticket {\n      extra Extra? @description(\"more\")\n    }\n    dynamic enum Category {\n      Green\n    }\n  }\n  args { x 1 }\n  @@assert({{ this.extra }})\n}",
			`(test T3 [F] (map x: 1) (type_builder (class Extra (field a int)) (dynamic (class Ticket (field extra Extra? @description("more")))) (dynamic (enum Category Green))) @@assert({{ this.extra }}))`},
		{"generator", "generator g {\n  output_type \"go\"\n  version \"0.1\"\n}", "(generator g)"},
		{"template_string", "template_string Greet(name: string) #\"Hello {{ name }}\"#\nclass A {}",
			"(template_string Greet)\n(class A)"},
		{"template_string no params", "template_string Sig #\"--\"#", "(template_string Sig)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sprint(mustParse(t, tt.src)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestLLMBodyDetails(t *testing.T) {
	src := "function F() -> string {\n  client Fast\n  prompt #\"\n    Hello {{ x }}\n  \"#\n}"
	f := mustParse(t, src)
	llm := f.Decls[0].(*FuncDecl).LLM
	if llm.Client != "Fast" || llm.Shorthand {
		t.Errorf("client %q shorthand %v", llm.Client, llm.Shorthand)
	}
	if llm.ClientPos != (Pos{2, 3}) {
		t.Errorf("ClientPos %s, want 2:3", llm.ClientPos)
	}
	if llm.PromptPos != (Pos{3, 12}) {
		t.Errorf("PromptPos %s, want 3:12", llm.PromptPos)
	}
	if want := "\n    Hello {{ x }}\n  "; llm.Prompt != want {
		t.Errorf("Prompt %q, want %q", llm.Prompt, want)
	}
}

// TestSpecExample parses the program of SPEC §2 and compares its shape
// with testdata/spec_example.golden (go test -update rewrites it).
func TestSpecExample(t *testing.T) {
	for _, name := range []string{"spec_example", "all_forms"} {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", name+".baml"))
			if err != nil {
				t.Fatal(err)
			}
			f := mustParse(t, string(src))
			got := Sprint(f) + "\n"
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("tree differs from %s (run go test -update to accept):\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestSpecExampleShape(t *testing.T) {
	src, err := os.ReadFile("testdata/spec_example.baml")
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, string(src))
	var names []string
	for _, d := range f.Decls {
		names = append(names, d.DeclName())
	}
	if got := strings.Join(names, " "); got != "Fast Ticket ClassifyTicket Headline Score Triage" {
		t.Fatalf("declarations: %s", got)
	}
	client := f.Decls[0].(*ClientDecl)
	if client.Kind != "llm" || client.Body.Entries[0].Key != "provider" {
		t.Errorf("client: %s", Sprint(client))
	}
	classify := f.Decls[2].(*FuncDecl)
	if classify.LLM == nil || classify.Body != nil || classify.LLM.Client != "Fast" {
		t.Errorf("ClassifyTicket is not an LLM function using Fast: %s", Sprint(classify))
	}
	if !strings.Contains(classify.LLM.Prompt, "{{ ctx.output_format }}") {
		t.Errorf("prompt: %q", classify.LLM.Prompt)
	}
	triage := f.Decls[5].(*FuncDecl)
	if triage.LLM != nil || len(triage.Body.Stmts) != 3 || triage.Body.Value == nil {
		t.Errorf("Triage: %s", Sprint(triage))
	}
}

func TestErrorListAs(t *testing.T) {
	_, err := Parse("bad.baml", []byte("class A {\n  x\n}\nfunction f() { let = 1; }\n"))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("errors.As ErrorList: %v", err)
	}
	var first *Error
	if !errors.As(err, &first) {
		t.Fatalf("errors.As *Error failed: %v", err)
	}
	if first.File != "bad.baml" || first.Pos != (Pos{3, 1}) {
		t.Errorf("first error %+v", first)
	}
	if got, want := err.Error(), "bad.baml:3:1: expected type, found '}'\nbad.baml:4:20: expected variable name after let, found '='"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.baml", Pos: Pos{3, 7}, Msg: "boom"}
	if got := e.Error(); got != "a.baml:3:7: boom" {
		t.Errorf("got %q", got)
	}
	e.File = ""
	if got := e.Error(); got != "3:7: boom" {
		t.Errorf("got %q", got)
	}
	if ErrorList(nil).Err() != nil {
		t.Error("empty ErrorList.Err() is not nil")
	}
	if got := (Pos{}).String(); got != "-" {
		t.Errorf("zero Pos prints %q", got)
	}
}
