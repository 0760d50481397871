package llm

import "github.com/bexrun/bex/vmspan"

// Schemas shared by the parser's tests, the differential test against
// BAML (which declares them as BAML classes and enums) and the format
// tests.
var (
	ticketClass = &ClassSchema{Name: "Ticket", Fields: []FieldSchema{
		{Name: "title", Type: String},
		{Name: "priority", Type: Int, Description: "1 is most urgent"},
	}}
	ticketSchema   = ClassOf(ticketClass)
	categorySchema = EnumOf(&EnumSchema{Name: "Category", Values: []EnumValueSchema{
		{Name: "SPAM", Alias: "junk", Description: "Unwanted mail"},
		{Name: "HAM"},
		{Name: "UNSURE_YET", Description: "Cannot tell"},
	}})
	itemClass = &ClassSchema{Name: "Item", Fields: []FieldSchema{
		{Name: "name", Alias: "item_name", Type: String},
		{Name: "qty", Type: Int},
	}}
	itemSchema  = ClassOf(itemClass)
	orderSchema = ClassOf(&ClassSchema{Name: "Order", Description: "A customer order", Fields: []FieldSchema{
		{Name: "id", Type: Int},
		{Name: "items", Type: ListOf(itemSchema), Description: "What was ordered,\none per line"},
		{Name: "category", Type: OptionalOf(categorySchema)},
		{Name: "tags", Type: MapOf(String)},
	}})
	colorSchema = EnumOf(&EnumSchema{Name: "Color", Values: []EnumValueSchema{
		{Name: "RED"}, {Name: "GREEN"}, {Name: "BLUE"},
	}})
	personSchema = ClassOf(&ClassSchema{Name: "Person", Fields: []FieldSchema{
		{Name: "name", Type: String},
		{Name: "age", Type: OptionalOf(Int)},
		{Name: "email", Type: OptionalOf(String)},
	}})
	wrapperSchema = ClassOf(&ClassSchema{Name: "Wrapper", Fields: []FieldSchema{{Name: "value", Type: Int}}})
	noteSchema    = ClassOf(&ClassSchema{Name: "Note", Fields: []FieldSchema{{Name: "text", Type: String}}})
	recipeSchema  = ClassOf(&ClassSchema{Name: "Recipe", Fields: []FieldSchema{
		{Name: "name", Type: String},
		{Name: "amount", Type: Float},
		{Name: "unit", Type: String},
	}})
	taggedSchema = ClassOf(&ClassSchema{Name: "Tagged", Fields: []FieldSchema{
		{Name: "name", Type: String},
		{Name: "tags", Type: ListOf(String)},
	}})
	statsSchema = ClassOf(&ClassSchema{Name: "Stats", Fields: []FieldSchema{
		{Name: "n", Type: Int},
		{Name: "counts", Type: MapOf(Int)},
	}})
	flagsSchema = ClassOf(&ClassSchema{Name: "Flags", Fields: []FieldSchema{
		{Name: "active", Type: Bool},
		{Name: "verified", Type: OptionalOf(Bool)},
	}})
	nodeClass  = &ClassSchema{Name: "Node"}
	nodeSchema = ClassOf(nodeClass)
)

func init() {
	// A recursive class: a node with an optional next node.
	nodeClass.Fields = []FieldSchema{{Name: "label", Type: String}, {Name: "next", Type: OptionalOf(nodeSchema)}}
}

func ticket(title string, prio int64) vmspan.Object {
	return vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: title}, {Name: "priority", Value: prio}}}
}
