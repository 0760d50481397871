package syntax_test

import (
	"errors"
	"fmt"

	"github.com/bexrun/bex/runtime/syntax"
)

func ExampleParse() {
	src := `
class Ticket {
    title string
    priority int @description("1 is most urgent")
}
function Score(a: int, b: int) -> int { a * 10 + b }
`
	f, err := syntax.Parse("ticket.baml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range f.Decls {
		fmt.Println(syntax.Sprint(d))
	}
	// Output:
	// (class Ticket (field title string) (field priority int @description("1 is most urgent")))
	// (function Score (a int) (b int) -> int {(+ (* a 10) b)})
}

func ExampleParse_errors() {
	src := `class Ticket {
    title strin g
}
function Triage(body: string) -> string {
    let t = ClassifyTicket(body)
    t.title
}
`
	_, err := syntax.Parse("ticket.baml", []byte(src))
	fmt.Println(err)

	var first *syntax.Error
	if errors.As(err, &first) {
		fmt.Println("first error on line", first.Pos.Line)
	}
	// Output:
	// ticket.baml:3:1: expected type, found '}'
	// ticket.baml:5:33: expected ';' after let statement
	// first error on line 3
}

func ExampleWalk() {
	src := `function Triage(body: string) -> string {
    @@trace
    let t = ClassifyTicket(body);
    Headline(t.title)
}`
	f, _ := syntax.Parse("triage.baml", []byte(src))
	syntax.Walk(f, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			fmt.Printf("%s: call %s\n", call.Span(), syntax.Sprint(call.Fn))
		}
		return true
	})
	fmt.Println("traced:", len(f.Decls[0].(*syntax.FuncDecl).Attrs) == 1)
	// Output:
	// 3:13: call ClassifyTicket
	// 4:5: call Headline
	// traced: true
}

func ExampleParseExpr() {
	x, err := syntax.ParseExpr("expr", []byte(`-a.b(1) * 2 + 3 == x[0] || !ok`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(syntax.Sprint(x))
	// Output:
	// (|| (== (+ (* (- (call (. a b) 1)) 2) 3) (index x 0)) (! ok))
}
