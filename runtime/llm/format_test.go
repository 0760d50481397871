package llm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/types"
)

func TestOutputFormat(t *testing.T) {
	node := &types.ClassDecl{Name: "Node"}
	node.Fields = []*types.Field{{Name: "value", Type: types.IntType}, {Name: "children", Type: types.ListOf(types.ClassOf(node))}}
	schemas := []struct {
		name string
		s    *types.Type
	}{
		{"string", types.StringType},
		{"nil", nil},
		{"int", types.IntType},
		{"float", types.FloatType},
		{"bool", types.BoolType},
		{"ticket", ticketSchema},
		{"enum", categorySchema},
		{"order", orderSchema},
		{"list of tickets", types.ListOf(ticketSchema)},
		{"list of strings", types.ListOf(types.StringType)},
		{"optional ticket", types.OptionalOf(ticketSchema)},
		{"optional string", types.OptionalOf(types.StringType)},
		{"union", types.UnionOf(ticketSchema, types.ClassOf(itemClass))},
		{"map", types.MapOf(types.StringType, types.ListOf(types.UnionOf(types.IntType, types.StringType)))},
		{"literal", types.UnionOf(types.LiteralOf("yes"), types.LiteralOf("no"))},
		{"recursive", types.ClassOf(node)},
		{"any", types.AnyType},
	}
	var b strings.Builder
	for _, tt := range schemas {
		shown := "string"
		if tt.s != nil {
			shown = tt.s.String()
		}
		fmt.Fprintf(&b, "=== %s (%s)\n%s\n\n", tt.name, shown, OutputFormat(tt.s))
	}
	golden(t, "output_format.golden", b.String())
}

func TestSchemaString(t *testing.T) {
	tests := []struct {
		s    *types.Type
		want string
	}{
		{types.ListOf(types.OptionalOf(types.IntType)), "int?[]"},
		{types.OptionalOf(types.UnionOf(types.IntType, types.StringType)), "(int | string)?"},
		{types.MapOf(types.StringType, ticketSchema), "map<string, Ticket>"},
		{types.LiteralOf(int64(3)), "3"},
		{types.ListOf(types.UnionOf(types.IntType, types.NullType)), "(int | null)[]"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
