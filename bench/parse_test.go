//go:build unix

package bench

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/types"
)

// The parse benchmarks read replies for an Order: a class with a list of
// ten items, an optional enum and a map, about 1.3 KB of JSON.
var (
	itemSchema = types.ClassOf(&types.ClassDecl{Name: "Item", Fields: []*types.Field{
		{Name: "name", Type: types.StringType}, {Name: "qty", Type: types.IntType}, {Name: "price", Type: types.FloatType},
	}})
	orderSchema = types.ClassOf(&types.ClassDecl{Name: "Order", Fields: []*types.Field{
		{Name: "id", Type: types.IntType},
		{Name: "customer", Type: types.StringType},
		{Name: "items", Type: types.ListOf(itemSchema)},
		{Name: "category", Type: types.OptionalOf(types.EnumOf(&types.EnumDecl{Name: "Category", Values: []*types.EnumValue{
			{Name: "RETAIL"}, {Name: "WHOLESALE"}, {Name: "INTERNAL"},
		}}))},
		{Name: "tags", Type: types.MapOf(types.StringType, types.StringType)},
		{Name: "total", Type: types.OptionalOf(types.FloatType)},
	}})
	colorSchema = types.EnumOf(&types.EnumDecl{Name: "Color", Values: []*types.EnumValue{{Name: "RED"}, {Name: "GREEN"}, {Name: "BLUE"}}})
)

// order is the Go struct encoding/json decodes the same JSON into.
type order struct {
	ID       int64             `json:"id"`
	Customer string            `json:"customer"`
	Items    []orderItem       `json:"items"`
	Category *string           `json:"category"`
	Tags     map[string]string `json:"tags"`
	Total    *float64          `json:"total"`
}

type orderItem struct {
	Name  string  `json:"name"`
	Qty   int64   `json:"qty"`
	Price float64 `json:"price"`
}

// orderJSON returns the Order as JSON; messy writes it as models do: keys
// unquoted, strings in single quotes, trailing commas, a comment.
func orderJSON(messy bool) string {
	var b strings.Builder
	q := func(s string) string {
		if messy {
			return "'" + s + "'"
		}
		return `"` + s + `"`
	}
	key := func(s string) string {
		if messy {
			return s
		}
		return `"` + s + `"`
	}
	fmt.Fprintf(&b, "{\n  %s: 1042,\n  %s: %s,\n  %s: [\n", key("id"), key("customer"), q("Acme Corporation, purchasing department"), key("items"))
	for i := range 10 {
		fmt.Fprintf(&b, "    {%s: %s, %s: %d, %s: %d.%02d}", key("name"), q(fmt.Sprintf("Widget model %c-%d, stainless", 'A'+i, 100+i)), key("qty"), i+1, key("price"), 10+i, 5*i)
		if i < 9 || messy {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	if messy {
		b.WriteString("  ], // ten lines\n")
	} else {
		b.WriteString("  ],\n")
	}
	fmt.Fprintf(&b, "  %s: %s,\n  %s: {%s: %s, %s: %s},\n  %s: 1234.5", key("category"), q("RETAIL"), key("tags"), q("priority"), q("rush"), q("channel"), q("email"), key("total"))
	if messy {
		b.WriteString(",")
	}
	b.WriteString("\n}")
	return b.String()
}

// BenchmarkParse measures llm.ParseOutput on one core, for one reply per
// op (MB/s counts reply bytes):
//
//   - valid-encoding-json: json.Unmarshal of the Order's JSON into a Go
//     struct of the same shape, the reference;
//   - valid-bex: the same JSON coerced to the Order class (the strict JSON
//     reading wins at once);
//   - fenced-bex: the same JSON in a ```json fence between sentences;
//   - repaired-bex: the Order as models write it (unquoted keys, single
//     quotes, trailing commas, a comment) in a fence;
//   - truncated-bex: the JSON cut off at 80% (the last item dropped);
//   - enum-in-prose-bex: "I think the answer is **BLUE**." to an enum.
func BenchmarkParse(b *testing.B) {
	valid := orderJSON(false)
	var want order
	if err := json.Unmarshal([]byte(valid), &want); err != nil {
		b.Fatal(err)
	}
	b.Run("valid-encoding-json", func(b *testing.B) {
		benchParse(b, valid, func(s string) error {
			var o order
			return json.Unmarshal([]byte(s), &o)
		})
	})
	// bex parses with ParseOutput, checking the number of notes (wantNotes
	// < 0: some).
	bex := func(s *types.Type, wantNotes int) func(string) error {
		return func(reply string) error {
			p, err := llm.ParseOutput(reply, s, llm.ParseOptions{})
			if err == nil && (len(p.Notes) != wantNotes) != (wantNotes < 0) {
				err = fmt.Errorf("%d notes, want %d: %v", len(p.Notes), wantNotes, p.Notes)
			}
			return err
		}
	}
	b.Run("valid-bex", func(b *testing.B) { benchParse(b, valid, bex(orderSchema, 0)) })
	fenced := "Here is the order you asked for:\n\n```json\n" + valid + "\n```\n\nLet me know if anything is missing."
	b.Run("fenced-bex", func(b *testing.B) { benchParse(b, fenced, bex(orderSchema, 0)) })
	repaired := "Sure! Here it is:\n```json\n" + orderJSON(true) + "\n```"
	b.Run("repaired-bex", func(b *testing.B) { benchParse(b, repaired, bex(orderSchema, 0)) })
	b.Run("truncated-bex", func(b *testing.B) { benchParse(b, valid[:len(valid)*8/10], bex(orderSchema, -1)) })
	b.Run("enum-in-prose-bex", func(b *testing.B) {
		benchParse(b, "I think the answer is **BLUE**, since the sky in the photo is clear.", bex(colorSchema, 0))
	})
}

// BenchmarkParseNested1MB measures the parse of a 1 MB reply of opening
// brackets ([[[[...) to a list of ints: a pathological reply that must be
// read, or refused, in linear time.
func BenchmarkParseNested1MB(b *testing.B) {
	reply := strings.Repeat("[", 1<<20)
	b.Run("bex", func(b *testing.B) {
		benchParse(b, reply, func(s string) error {
			_, _ = llm.ParseOutput(s, types.ListOf(types.IntType), llm.ParseOptions{})
			return nil
		})
	})
}

func benchParse(b *testing.B, reply string, parse func(string) error) {
	if err := parse(reply); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := parse(reply); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, b.N)
}
