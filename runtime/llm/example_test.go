package llm_test

import (
	"context"
	"fmt"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

var ticket = types.ClassOf(&types.ClassDecl{Name: "Ticket", Fields: []*types.Field{
	{Name: "title", Type: types.StringType},
	{Name: "priority", Type: types.IntType, Description: "1 is most urgent"},
}})

// The SPEC §2 ClassifyTicket function, called through the stub server.
func ExampleRuntime_Call() {
	srv := llmstub.New() // OpenAI- and Anthropic-compatible, with the demo script
	defer srv.Close()
	env := map[string]string{"OPENAI_BASE_URL": srv.URL(), "OPENAI_API_KEY": "sk-demo-key"}
	rt, err := llm.NewRuntime([]llm.ClientDecl{{
		Name: "Fast", Provider: "openai", Pos: "main.baml:1:1",
		Options: map[string]any{"model": "gpt-4o-mini", "base_url": llm.Env{Name: "OPENAI_BASE_URL"}, "api_key": llm.Env{Name: "OPENAI_API_KEY"}},
	}}, nil, llm.WithEnv(func(name string) (string, bool) { v, ok := env[name]; return v, ok }))
	if err != nil {
		panic(err)
	}
	res, err := rt.Call(context.Background(), llm.Request{
		Function: "ClassifyTicket",
		Client:   "Fast",
		Prompt: `
			Read the ticket and extract its title and priority.
			{{ ctx.output_format }}
			{{ _.role("user") }} {{ body }}
		`,
		Args:   []vmspan.Arg{{Name: "body", Value: "Checkout is down for all users."}},
		Output: ticket,
	})
	if err != nil {
		panic(err)
	}
	t := res.Value.(vmspan.Object)
	fmt.Printf("%s: %q, %v\n", t.Class, t.Fields[0].Value, t.Fields[1].Value)
	a := res.Attempts[0]
	fmt.Println(a.Provider, a.Model, a.FinishReason, a.Selected, a.Request.Headers["Authorization"])
	// Output:
	// Ticket: "Checkout is down for all users", 1
	// openai gpt-4o-mini stop true [REDACTED]
}

func ExampleParseOutput() {
	reply := "Sure! Here it is:\n```json\n{title: 'Login broken', \"priority\": \"2\",}\n```"
	p, err := llm.ParseOutput(reply, ticket, llm.ParseOptions{})
	fmt.Println(p.Value, p.Notes, err)

	// A lossy coercion is kept, and noted.
	p, err = llm.ParseOutput(`{"title": "Login broken", "priority": 1.5}`, ticket, llm.ParseOptions{})
	fmt.Println(p.Value, p.Notes, err)

	// Strict parsing refuses it.
	_, err = llm.ParseOutput(`{"title": "Login broken", "priority": 1.5}`, ticket, llm.ParseOptions{Strict: true})
	fmt.Println(err)

	_, err = llm.ParseOutput(`{"title": "Login broken", "priority": "high"}`, ticket, llm.ParseOptions{})
	fmt.Println(err)
	// Output:
	// {Ticket [{title Login broken} {priority 2}]} [] <nil>
	// {Ticket [{title Login broken} {priority 2}]} [rounded priority: 1.5 rounded to 2] <nil>
	// cannot parse LLM output: field "priority": lossy coercion refused (strict parsing): rounded priority: 1.5 rounded to 2; reply starts: "{\"title\": \"Login broken\", \"priority\": 1.5}"
	// cannot parse LLM output: field "priority": want int, got "high"; reply starts: "{\"title\": \"Login broken\", \"priority\": \"high\"}"
}

func ExampleOutputFormat() {
	fmt.Println(llm.OutputFormat(ticket))
	// Output:
	// Answer in JSON using this schema:
	// {
	//   title: string,
	//   // 1 is most urgent
	//   priority: int,
	// }
}
