//go:build unix

package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/types"
)

// streamReply is a 64 KiB reply: a list of tickets, as a streamed reply
// would bring it.
var streamReply = func() string {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; b.Len() < 64<<10; i++ {
		fmt.Fprintf(&b, "{\"title\": \"Ticket %d: the checkout page is down for some users\", \"priority\": %d},\n", i, i%5)
	}
	b.WriteString("]")
	return b.String()
}()

var streamTickets = types.ListOf(types.ClassOf(&types.ClassDecl{Name: "Ticket", Fields: []*types.Field{
	{Name: "title", Type: types.StringType}, {Name: "priority", Type: types.IntType},
}}))

// BenchmarkStreamParse measures what streaming a structured reply costs
// the parser, on the 64 KiB reply (CPU time):
//
//   - whole: llm.ParseOutput of the whole reply once, what a call that is
//     not streamed pays;
//   - chunks10: the reply fed in 10-byte chunks to an llm.PartialParser,
//     building its partial values as a streamed call does, then parsed
//     whole for the final value: what a streamed call pays (budget: 5 times
//     whole);
//   - naive10: the control, ParseOutput of the reply so far after every
//     10-byte chunk, as a partial parser that reads everything again each
//     time would do; it is quadratic, so it reads only the first 16 KiB
//     (the whole reply would take about 16 times as long).
func BenchmarkStreamParse(b *testing.B) {
	b.Run("whole", func(b *testing.B) {
		benchStream(b, func() {
			if _, err := llm.ParseOutput(streamReply, streamTickets, llm.ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("chunks10", func(b *testing.B) {
		partials := 0
		benchStream(b, func() {
			p := llm.NewPartialParser(streamTickets)
			for i := 0; i < len(streamReply); i += 10 {
				if _, ok := p.Feed(streamReply[i:min(i+10, len(streamReply))]); ok {
					partials++
				}
			}
			if _, err := llm.ParseOutput(streamReply, streamTickets, llm.ParseOptions{}); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(partials)/float64(b.N), "partials/op")
	})
	b.Run("naive10", func(b *testing.B) {
		prefix := streamReply[:16<<10]
		benchStream(b, func() {
			for i := 10; i < len(prefix)+10; i += 10 {
				_, _ = llm.ParseOutput(prefix[:min(i, len(prefix))], streamTickets, llm.ParseOptions{})
			}
		})
	})
}

func benchStream(b *testing.B, run func()) {
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		run()
	}
	reportCPU(b, cpu, b.N)
}
