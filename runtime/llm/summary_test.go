package llm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// TestErrorSummaries: the errors whose messages quote content (a reply, a
// value that failed an @assert, a provider's message echoing the prompt,
// a media path given as an argument, a prompt variable) have summaries
// without it (vmspan.ErrorSummary), which exporters use with content
// capture off. Every value of the cases holds "VALUE" or is 98765.
func TestErrorSummaries(t *testing.T) {
	funcs := constraintFuncs(t)
	parse := func(reply string, typ *types.Type, strict bool) error {
		_, err := ParseOutput(reply, typ, ParseOptions{Strict: strict})
		return err
	}
	tests := []struct {
		name    string
		err     error
		summary string
	}{
		{"reply that is not an int", parse("VALUE is not a number", types.IntType, false),
			"cannot parse LLM output: want int, got a string"},
		{"reply with an int out of range", parse(`"99999999999999999999999 VALUE"`, types.IntType, false),
			"cannot parse LLM output: want int, got a number out of range"},
		{"field that fails an @assert", parse(`{"title": "VALUE", "priority": 98765}`, funcs["GetTicket"].Result, false),
			`cannot parse LLM output: field "priority": @assert small failed: {{ this < 5 }}`},
		{"strict parsing refuses a lossy reply", parse(`{"title": "VALUE", "priority": 3.25}`, funcs["GetTicket"].Result, true),
			`cannot parse LLM output: field "priority": lossy coercion refused (strict parsing): 1 parse notes`},
		{"argument that fails an @assert", CheckArgs("F", []*types.Param{{Name: "n", Type: funcs["GetTicket"].Result}},
			[]vmspan.Arg{{Name: "n", Value: vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: "VALUE"}, {Name: "priority", Value: int64(98765)}}}}}),
			`F: argument "n.priority": @assert small failed: {{ this < 5 }}`},
		{"provider message", &HTTPError{Client: "Fast", Provider: "openai", Status: 400, Message: "bad prompt: VALUE", Body: "VALUE"},
			"client Fast (openai): HTTP 400"},
		{"error event in a stream", &ResponseError{Client: "Fast", Msg: "the provider sent an error event: VALUE", Err: &streamError{msg: "VALUE"}},
			"client Fast: bad completion body: the provider sent an error event"},
		{"failed response", &ResponseError{Client: "Fast", Msg: "the response failed: VALUE", Err: &summarizedError{msg: "the response failed: VALUE", summary: "the response failed"}},
			"client Fast: bad completion body: the response failed"},
		{"media URL", &MediaError{URL: "https://example.com/VALUE.png", Msg: "fetch failed", Err: errors.New(`Get "https://example.com/VALUE.png": refused`)},
			"media: fetch failed"},
		{"media file", mediaErr(t, map[string]any{"file": "/nonexistent/VALUE.png"}), "image: cannot open the file"},
		{"retry wait", wrap("client F: all 2 strategy clients failed; last: ", &HTTPError{Client: "Fast", Provider: "openai", Status: 500, Message: "VALUE"}),
			"client F: all 2 strategy clients failed; last: client Fast (openai): HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.Contains(tt.err.Error(), "VALUE") && !strings.Contains(tt.err.Error(), "98765") {
				t.Fatalf("err %v does not quote the value", tt.err)
			}
			if got := vmspan.ErrorSummary(tt.err); got != tt.summary {
				t.Errorf("summary\n got %q\nwant %q", got, tt.summary)
			}
		})
	}
}

func mediaErr(t *testing.T, v any) error {
	t.Helper()
	_, err := MediaFrom("image", v)
	return err
}

// TestCallErrorSummaries: the errors of calls, and of their attempts'
// records, have summaries without the reply or the provider's message:
// a prompt that does not render with a variable's value, an HTTP error
// echoing the prompt, and a reply that cannot be parsed.
func TestCallErrorSummaries(t *testing.T) {
	f := newFixture(t, nil, nil,
		llmstub.Rule{Contains: "refuse", Respond: func(req llmstub.Request) llmstub.Reply {
			return llmstub.Reply{Status: 400, Text: "invalid: " + req.Prompt()}
		}},
		llmstub.Rule{Contains: "count", Replies: []llmstub.Reply{{Text: "VALUE-REPLY"}}})
	req := func(prompt string, out *types.Type) Request {
		return Request{Function: "F", Client: "Fast", Prompt: prompt, PromptFile: "main.baml", PromptLine: 3,
			Args: []vmspan.Arg{{Name: "body", Value: "VALUE-ARG"}}, Output: out}
	}
	tests := []struct {
		name, prompt string
		out          *types.Type
		summary      string
	}{
		{"render", "{{ body.nosuchmethod() }}", types.StringType, "main.baml:3: prompt of F: the prompt does not render"},
		{"http", "refuse {{ body }}", types.StringType, "client Fast (openai): HTTP 400"},
		{"parse", "count {{ body }}", types.IntType, "cannot parse LLM output of F: want int, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.rt.Call(context.Background(), req(tt.prompt, tt.out))
			if err == nil || !strings.Contains(err.Error(), "VALUE") {
				t.Fatalf("err %v does not quote a value", err)
			}
			if got := vmspan.ErrorSummary(err); got != tt.summary {
				t.Errorf("summary\n got %q\nwant %q", got, tt.summary)
			}
			for _, a := range res.Attempts {
				if a.Err == nil || a.Err.Summary != tt.summary || !strings.Contains(a.Err.Message, "VALUE") {
					t.Errorf("attempt error %+v", a.Err)
				}
			}
		})
	}
}
