package engine_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/bexrun/bex/runtime/engine"
)

func Example() {
	prog, err := engine.Parse(map[string]string{"main.baml": `
class Line {
    text string
    words int
}
function Measure(text: string) -> Line {
    Line { text: text, words: text.split(" ").length() }
}
function Shout(text: string) -> string { upper(text) + "!" }
`})
	if err != nil {
		panic(err)
	}
	eng, err := engine.New(prog, engine.WithHost(engine.HostFunc{
		Name: "upper", Params: []string{"s: string"}, Result: "string",
		Fn: func(ctx context.Context, args []any) (any, error) { return strings.ToUpper(args[0].(string)), nil },
	}))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	res, _ := eng.Call(ctx, "Shout", []any{"hello"})
	fmt.Println(res)

	type line struct {
		Text  string `json:"text"`
		Words int    `json:"words"`
	}
	l, _ := engine.CallAs[line](ctx, eng, "Measure", map[string]any{"text": "to be or not"})
	fmt.Printf("%+v\n", l)

	_, err = eng.Call(ctx, "Shout", []any{42})
	fmt.Println(err)
	// Output:
	// HELLO!
	// {Text:to be or not Words:4}
	// call Shout: argument text: want string, got int
}
