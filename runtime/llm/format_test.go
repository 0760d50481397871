package llm

import (
	"fmt"
	"strings"
	"testing"
)

func TestOutputFormat(t *testing.T) {
	node := &ClassSchema{Name: "Node"}
	node.Fields = []FieldSchema{{Name: "value", Type: Int}, {Name: "children", Type: ListOf(ClassOf(node))}}
	schemas := []struct {
		name string
		s    *Schema
	}{
		{"string", String},
		{"nil", nil},
		{"int", Int},
		{"float", Float},
		{"bool", Bool},
		{"ticket", ticketSchema},
		{"enum", categorySchema},
		{"order", orderSchema},
		{"list of tickets", ListOf(ticketSchema)},
		{"list of strings", ListOf(String)},
		{"optional ticket", OptionalOf(ticketSchema)},
		{"optional string", OptionalOf(String)},
		{"union", UnionOf(ticketSchema, ClassOf(itemClass))},
		{"map", MapOf(ListOf(UnionOf(Int, String)))},
		{"literal", UnionOf(LiteralOf("yes"), LiteralOf("no"))},
		{"recursive", ClassOf(node)},
		{"any", Any},
	}
	var b strings.Builder
	for _, tt := range schemas {
		fmt.Fprintf(&b, "=== %s (%s)\n%s\n\n", tt.name, tt.s, OutputFormat(tt.s))
	}
	golden(t, "output_format.golden", b.String())
}

func TestSchemaString(t *testing.T) {
	tests := []struct {
		s    *Schema
		want string
	}{
		{ListOf(OptionalOf(Int)), "int?[]"},
		{OptionalOf(UnionOf(Int, String)), "(int | string)?"},
		{MapOf(ticketSchema), "map<string, Ticket>"},
		{LiteralOf(int64(3)), "3"},
		{ListOf(UnionOf(Int, Null)), "(int | null)[]"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
