package llm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
)

func BenchmarkParseOutput(b *testing.B) {
	reply := "Here is the ticket:\n```json\n{\n  \"title\": \"Checkout is down for all users\",\n  \"priority\": 1\n}\n```"
	for b.Loop() {
		if _, err := ParseOutput(reply, ticketSchema, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseOutputExact parses a reply that is exactly the return
// type (the pipeline benchmark's): the fast path, and the full parser it
// spares.
func BenchmarkParseOutputExact(b *testing.B) {
	reply := `{"title": "Checkout is down", "priority": 1, "category": "outage"}`
	t := targetOf(pipeTicketSchema)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseOutput(reply, pipeTicketSchema, ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseFull(reply, t, ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpenAIParse decodes a chat completion envelope whose content
// is a JSON reply (escaped quotes), as the pipeline benchmark's server
// sends it.
func BenchmarkOpenAIParse(b *testing.B) {
	body := []byte(`{"choices":[{"finish_reason":"stop","index":0,"message":{"content":"{\"title\": \"Checkout is down\", \"priority\": 1, \"category\": \"outage\"}","role":"assistant"}}],"created":1700000000,"id":"chatcmpl-bench","model":"gpt-4o-mini","object":"chat.completion","usage":{"completion_tokens":21,"prompt_tokens":92,"total_tokens":113}}`)
	for b.Loop() {
		if _, err := (openAIWire{}).parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	rt := offlineRuntime(b)
	req := classifyRequest("Fast")
	for b.Loop() {
		if _, err := rt.Render(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall is a whole call against the stub server over loopback HTTP.
func BenchmarkCall(b *testing.B) {
	srv := llmstub.New()
	defer srv.Close()
	rt := mustRuntime(b, []ClientDecl{{Name: "Fast", Provider: "openai-generic", Options: map[string]any{"model": "gpt-4o-mini", "base_url": srv.URL()}}}, nil)
	req := classifyRequest("Fast")
	for b.Loop() {
		if _, err := rt.Call(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// streamReply is a 64 KiB reply: a list of tickets, as a streamed reply
// would grow.
var streamReply = func() string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; b.Len() < 64<<10; i++ {
		fmt.Fprintf(&b, "{\"title\": \"Ticket %d: the checkout page is down for some users\", \"priority\": %d},\n", i, i%5)
	}
	b.WriteString("]")
	return b.String()
}()

// BenchmarkFixer measures the repairing reader on the 64 KiB reply read
// whole (whole) and fed in 10-byte pieces (pieces10): what a streaming
// reader pays to keep its reading up to date, without the readings'
// coercion.
func BenchmarkFixer(b *testing.B) {
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(streamReply)))
		for b.Loop() {
			if _, err := fixJSON(streamReply); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pieces10", func(b *testing.B) {
		b.SetBytes(int64(len(streamReply)))
		for b.Loop() {
			if _, err := fixInPieces(streamReply, []int{10}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
