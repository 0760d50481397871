package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// attemptSummary is "client:ok" or "client:ErrorType" per attempt, and *
// on the selected one.
func attemptSummary(as []vmspan.LLMAttempt) string {
	var parts []string
	for _, a := range as {
		s := a.Client + ":ok"
		if a.Err != nil {
			s = a.Client + ":" + a.Err.Type
		}
		if a.Selected {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestRetryInvalid: with Request.RetryInvalid a reply that cannot be
// parsed, or that fails an @assert, is a failed attempt: retried under the
// client's policy, fallen back from, and tried again by a round-robin's
// policy on its next client; each attempt records its own error. Without
// it (BAML's behaviour) the same replies make one request.
func TestRetryInvalid(t *testing.T) {
	ticket := constraintFuncs(t)["GetTicket"].Result // priority int @assert(small, {{ this < 5 }})
	policies := []RetryPolicyDecl{{Name: "Twice", Fields: map[string]any{"max_retries": int64(2)}}}
	clients := []ClientDecl{
		withModel(fastClient, "Retrying", "m-retry", "Twice"),
		withModel(fastClient, "Junk", "m-junk", ""),
		withModel(claudeClient, "Good", "m-good", ""),
		{Name: "Chain", Provider: "fallback", Options: map[string]any{"strategy": []any{"Junk", "Good"}}},
		{Name: "RR", Provider: "round-robin", RetryPolicy: "Twice", Options: map[string]any{"strategy": []any{"Junk", "Good"}}},
	}
	const (
		junk     = "I cannot help with that."
		tooHigh  = `{"title": "Down", "priority": 9}`
		fine     = `{"title": "Down", "priority": 1}`
		assertTy = "AssertError"
		parseTy  = "LLMParseError"
	)
	tests := []struct {
		name    string
		client  string
		replies map[string][]string // by model
		retry   bool
		want    string // attemptSummary
		err     string // the call's error type, "" for success
	}{
		{"retry then success", "Retrying", map[string][]string{"m-retry": {junk, fine}}, true,
			"Retrying:" + parseTy + " Retrying:ok*", ""},
		{"assert retried", "Retrying", map[string][]string{"m-retry": {tooHigh, fine}}, true,
			"Retrying:" + assertTy + " Retrying:ok*", ""},
		{"retries exhausted", "Retrying", map[string][]string{"m-retry": {junk, tooHigh, junk}}, true,
			"Retrying:" + parseTy + " Retrying:" + assertTy + " Retrying:" + parseTy, parseTy},
		{"fallback to the next client", "Chain", map[string][]string{"m-junk": {tooHigh}, "m-good": {fine}}, true,
			"Junk:" + assertTy + " Good:ok*", ""},
		{"fallback exhausted", "Chain", map[string][]string{"m-junk": {junk}, "m-good": {tooHigh}}, true,
			"Junk:" + parseTy + " Good:" + assertTy, assertTy},
		{"round-robin's policy moves on", "RR", map[string][]string{"m-junk": {junk}, "m-good": {fine}}, true,
			"Junk:" + parseTy + " Good:ok*", ""},
		{"default: no retry", "Retrying", map[string][]string{"m-retry": {junk, fine}}, false,
			"Retrying:" + parseTy, parseTy},
		{"default: no fallback", "Chain", map[string][]string{"m-junk": {tooHigh}, "m-good": {fine}}, false,
			"Junk:" + assertTy, assertTy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []llmstub.Rule
			for model, texts := range tt.replies {
				r := llmstub.Rule{Model: model}
				for _, text := range texts {
					r.Replies = append(r.Replies, llmstub.Reply{Text: text})
				}
				rules = append(rules, r)
			}
			f := newFixture(t, clients, policies, rules...)
			req := classifyRequest(tt.client)
			req.Output, req.RetryInvalid = ticket, tt.retry
			res, err := f.rt.Call(context.Background(), req)
			if got := attemptSummary(res.Attempts); got != tt.want {
				t.Errorf("attempts %s, want %s", got, tt.want)
			}
			if got := f.srv.Count(); got != len(res.Attempts) {
				t.Errorf("%d requests for %d attempts", got, len(res.Attempts))
			}
			switch {
			case tt.err == "" && (err != nil || fmt.Sprint(res.Value) != `{Ticket [{title Down} {priority 1}]}`):
				t.Errorf("Call = %v, %v; want the ticket of priority 1", res.Value, err)
			case tt.err != "":
				var pe *ParseError
				if !errors.As(err, &pe) || vmspan.ErrorInfoOf(err).Type != tt.err {
					t.Fatalf("err %v, want a *ParseError of type %s", err, tt.err)
				}
				last := res.Attempts[len(res.Attempts)-1].Err
				if !strings.Contains(err.Error(), last.Message) {
					t.Errorf("err %q is not the last attempt's %q", err, last.Message)
				}
			}
		})
	}
}

// TestRetryInvalidStreamed: a streamed call is retried for a reply that
// cannot be parsed only when none of its partial values was delivered.
func TestRetryInvalidStreamed(t *testing.T) {
	ticket := constraintFuncs(t)["GetTicket"].Result
	tests := []struct {
		name      string
		first     string
		retried   bool
		delivered bool
	}{
		{"no partial value delivered", "I cannot help with that.", true, false},
		{"partial values delivered", `{"title": "Checkout is down", "priority": 9}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newStubAll(t, llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{
				{Text: tt.first, ChunkSize: 4}, {Text: `{"title": "Down", "priority": 1}`, ChunkSize: 4}}}))
			rt := streamRuntime(t, srv, nil) // max_retries 1
			var partials []any
			res, err := rt.Call(context.Background(), Request{Function: "F", Client: "OpenAI", Prompt: "hi", Output: ticket, RetryInvalid: true,
				Partial: func(v any) bool { partials = append(partials, v); return true }})
			if (len(partials) > 0) != tt.delivered && !tt.retried {
				t.Fatalf("%d partial values, want some: the case does not test delivered partials", len(partials))
			}
			if tt.retried {
				if err != nil || attemptSummary(res.Attempts) != "OpenAI:LLMParseError OpenAI:ok*" {
					t.Errorf("err %v, attempts %s: want a retry that succeeds", err, attemptSummary(res.Attempts))
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || attemptSummary(res.Attempts) != "OpenAI:AssertError" || srv.Count() != 1 {
				t.Errorf("err %v, attempts %s, %d requests: want one attempt, not retried after its partial values", err, attemptSummary(res.Attempts), srv.Count())
			}
		})
	}
}
