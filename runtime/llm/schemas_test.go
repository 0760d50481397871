package llm

import (
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// Schemas shared by the parser's tests, the differential test against
// BAML (which declares them as BAML classes and enums) and the format
// tests.
var (
	ticketClass = &types.ClassDecl{Name: "Ticket", Fields: []*types.Field{
		{Name: "title", Type: types.StringType},
		{Name: "priority", Type: types.IntType, Description: "1 is most urgent"},
	}}
	ticketSchema   = types.ClassOf(ticketClass)
	categorySchema = types.EnumOf(&types.EnumDecl{Name: "Category", Values: []*types.EnumValue{
		{Name: "SPAM", Alias: "junk", Description: "Unwanted mail"},
		{Name: "HAM"},
		{Name: "UNSURE_YET", Description: "Cannot tell"},
	}})
	itemClass = &types.ClassDecl{Name: "Item", Fields: []*types.Field{
		{Name: "name", Alias: "item_name", Type: types.StringType},
		{Name: "qty", Type: types.IntType},
	}}
	itemSchema  = types.ClassOf(itemClass)
	orderSchema = types.ClassOf(&types.ClassDecl{Name: "Order", Description: "A customer order", Fields: []*types.Field{
		{Name: "id", Type: types.IntType},
		{Name: "items", Type: types.ListOf(itemSchema), Description: "What was ordered,\none per line"},
		{Name: "category", Type: types.OptionalOf(categorySchema)},
		{Name: "tags", Type: types.MapOf(types.StringType, types.StringType)},
	}})
	colorSchema = types.EnumOf(&types.EnumDecl{Name: "Color", Values: []*types.EnumValue{
		{Name: "RED"}, {Name: "GREEN"}, {Name: "BLUE"},
	}})
	personSchema = types.ClassOf(&types.ClassDecl{Name: "Person", Fields: []*types.Field{
		{Name: "name", Type: types.StringType},
		{Name: "age", Type: types.OptionalOf(types.IntType)},
		{Name: "email", Type: types.OptionalOf(types.StringType)},
	}})
	wrapperSchema = types.ClassOf(&types.ClassDecl{Name: "Wrapper", Fields: []*types.Field{{Name: "value", Type: types.IntType}}})
	noteSchema    = types.ClassOf(&types.ClassDecl{Name: "Note", Fields: []*types.Field{{Name: "text", Type: types.StringType}}})
	recipeSchema  = types.ClassOf(&types.ClassDecl{Name: "Recipe", Fields: []*types.Field{
		{Name: "name", Type: types.StringType},
		{Name: "amount", Type: types.FloatType},
		{Name: "unit", Type: types.StringType},
	}})
	taggedSchema = types.ClassOf(&types.ClassDecl{Name: "Tagged", Fields: []*types.Field{
		{Name: "name", Type: types.StringType},
		{Name: "tags", Type: types.ListOf(types.StringType)},
	}})
	statsSchema = types.ClassOf(&types.ClassDecl{Name: "Stats", Fields: []*types.Field{
		{Name: "n", Type: types.IntType},
		{Name: "counts", Type: types.MapOf(types.StringType, types.IntType)},
	}})
	flagsSchema = types.ClassOf(&types.ClassDecl{Name: "Flags", Fields: []*types.Field{
		{Name: "active", Type: types.BoolType},
		{Name: "verified", Type: types.OptionalOf(types.BoolType)},
	}})
	nodeClass  = &types.ClassDecl{Name: "Node"}
	nodeSchema = types.ClassOf(nodeClass)
)

// A recursive alias, a map keyed by an enum, and a class with a field
// marked @skip.
var (
	jsonAlias     = &types.AliasDecl{Name: "Json"}
	jsonSchema    = &types.Type{Kind: types.Alias, Alias: jsonAlias}
	byColorSchema = types.MapOf(types.EnumOf(&types.EnumDecl{Name: "Shade", Values: []*types.EnumValue{
		{Name: "Red"}, {Name: "Blue", Alias: "azure"},
	}}), types.IntType)
	docSchema = types.ClassOf(types.NewClass("Doc",
		&types.Field{Name: "title", Type: types.StringType},
		&types.Field{Name: "internal", Type: types.IntType, Skip: true}))
)

func init() {
	// type Json = string | int | Json[] | map<string, Json>
	jsonAlias.Type = types.UnionOf(types.StringType, types.IntType, types.ListOf(jsonSchema), types.MapOf(types.StringType, jsonSchema))
	// A recursive class: a node with an optional next node.
	nodeClass.Fields = []*types.Field{{Name: "label", Type: types.StringType}, {Name: "next", Type: types.OptionalOf(nodeSchema)}}
}

func ticket(title string, prio int64) vmspan.Object {
	return vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: title}, {Name: "priority", Value: prio}}}
}
