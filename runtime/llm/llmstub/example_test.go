package llmstub_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// A stub that rate-limits the first request, then answers.
func ExampleNew() {
	srv := llmstub.New(llmstub.WithRules(llmstub.Rule{
		Model: "gpt-4o-mini",
		Replies: []llmstub.Reply{
			{Status: 429, Header: map[string]string{"Retry-After": "1"}},
			{Text: "Hello!"},
		},
	}))
	defer srv.Close()
	body := `{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}`
	for range 2 {
		resp, err := http.Post(srv.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"), strings.Contains(string(b), "Hello!"))
	}
	fmt.Println(len(srv.Requests()), "requests")
	// Output:
	// 429 1 false
	// 200  true
	// 2 requests
}
