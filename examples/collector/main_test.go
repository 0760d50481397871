package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

func TestCollectorExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^request-1: "Checkout is down for all users \(Checkout is down for all users, score 13\)"$`,
		`(?m)^request-2: .*\n  3 LLM attempts, tokens in=\d+ out=\d+\n  - ClassifyTicket .* selected=true  ok\n  - Headline       openai/gpt-4o-mini selected=false failed: LLMHTTPError\n  - Headline       openai/gpt-4o-mini selected=true  ok$`,
		`(?m)^request-3: .*\n  2 LLM attempts`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
}
