package llm

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

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
	orderSchema = types.ClassOf(&types.ClassDecl{Name: "Order", Description: "A customer order", Fields: []*types.Field{
		{Name: "id", Type: types.IntType},
		{Name: "items", Type: types.ListOf(types.ClassOf(itemClass)), Description: "What was ordered,\none per line"},
		{Name: "category", Type: types.OptionalOf(categorySchema)},
		{Name: "tags", Type: types.MapOf(types.StringType, types.StringType)},
	}})
)

func ticket(title string, prio int64) vmspan.Object {
	return vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: title}, {Name: "priority", Value: prio}}}
}

func TestParseOutput(t *testing.T) {
	tests := []struct {
		name   string
		reply  string
		schema *types.Type
		want   any
	}{
		{"bare json", `{"title": "Login broken", "priority": 2}`, ticketSchema, ticket("Login broken", 2)},
		{"json in prose", "Sure! Here you go: {\"title\": \"Login broken\", \"priority\": 2} Hope it helps.", ticketSchema, ticket("Login broken", 2)},
		{"fenced", "Here is the ticket:\n```json\n{\n  \"title\": \"A\",\n  \"priority\": 1\n}\n```\n", ticketSchema, ticket("A", 1)},
		{"last fence wins", "Example:\n```json\n{\"title\": \"example\", \"priority\": 9}\n```\nAnswer:\n```json\n{\"title\": \"real\", \"priority\": 1}\n```", ticketSchema, ticket("real", 1)},
		{"fence without tag", "```\n{\"title\": \"A\", \"priority\": 1}\n```", ticketSchema, ticket("A", 1)},
		{"unclosed fence", "```json\n{\"title\": \"A\", \"priority\": 1}", ticketSchema, ticket("A", 1)},
		{"trailing commas", `{"title": "A", "priority": 1,}`, ticketSchema, ticket("A", 1)},
		{"single quotes", `{'title': 'it\'s', 'priority': 1}`, ticketSchema, ticket("it's", 1)},
		{"unquoted keys and comments", "{\n  // the title\n  title: \"A\", /* inline */\n  priority: 3\n}", ticketSchema, ticket("A", 3)},
		{"missing commas", "{\n  \"title\": \"A\"\n  \"priority\": 3\n}", ticketSchema, ticket("A", 3)},
		{"truncated", `{"title": "Login broken", "priority": 2`, ticketSchema, ticket("Login broken", 2)},
		{"truncated in string", `{"priority": 2, "title": "Login bro`, ticketSchema, ticket("Login bro", 2)},
		{"number in string", `{"title": "A", "priority": "3"}`, ticketSchema, ticket("A", 3)},
		{"integral float", `{"title": "A", "priority": 2.0}`, ticketSchema, ticket("A", 2)},
		{"keys by case", `{"Title": "A", "PRIORITY": 1}`, ticketSchema, ticket("A", 1)},
		{"number as title", `{"title": 42, "priority": 1}`, ticketSchema, ticket("42", 1)},
		{"unescaped quotes", `{"title": "He said "hi" today", "priority": 1}`, ticketSchema, ticket(`He said "hi" today`, 1)},
		{"bare word value", "{title: Login broken, priority: 1}", ticketSchema, ticket("Login broken", 1)},
		{"one-element list unwrapped", `[{"title": "A", "priority": 1}]`, ticketSchema, ticket("A", 1)},

		{"enum bare word", "spam", categorySchema, vmspan.Enum{Name: "Category", Value: "SPAM"}},
		{"enum alias", "Junk", categorySchema, vmspan.Enum{Name: "Category", Value: "SPAM"}},
		{"enum in prose", "I think the answer is **HAM**.", categorySchema, vmspan.Enum{Name: "Category", Value: "HAM"}},
		{"enum json string", `"UNSURE_YET"`, categorySchema, vmspan.Enum{Name: "Category", Value: "UNSURE_YET"}},
		{"enum in fence", "```\nham\n```", categorySchema, vmspan.Enum{Name: "Category", Value: "HAM"}},

		{"string as is", "```json\n{\"a\": 1}\n```", types.StringType, "```json\n{\"a\": 1}\n```"},
		{"nil schema is string", "  hello  ", nil, "  hello  "},
		{"optional string null", "null", types.OptionalOf(types.StringType), nil},
		{"int", "42", types.IntType, int64(42)},
		{"int in prose quotes", `"7"`, types.IntType, int64(7)},
		{"float", "3.5.", types.FloatType, 3.5},
		{"float from int", "3", types.FloatType, 3.0},
		{"bool", "True.", types.BoolType, true},
		{"optional int null", "null", types.OptionalOf(types.IntType), nil},
		{"optional int value", "5", types.OptionalOf(types.IntType), int64(5)},
		{"union prefers exact int", "42", types.UnionOf(types.IntType, types.StringType), int64(42)},
		{"union falls to string", "hello", types.UnionOf(types.IntType, types.StringType), "hello"},
		{"union of classes", `{"item_name": "pen", "qty": 2}`, types.UnionOf(ticketSchema, types.ClassOf(itemClass)),
			vmspan.Object{Class: "Item", Fields: []vmspan.Arg{{Name: "name", Value: "pen"}, {Name: "qty", Value: int64(2)}}}},
		{"literal", "Yes", types.LiteralOf("yes"), "yes"},
		{"literal int", "2", types.UnionOf(types.LiteralOf(int64(1)), types.LiteralOf(int64(2))), int64(2)},
		{"map", `{"a": 1, "b": "2"}`, types.MapOf(types.StringType, types.IntType), map[string]any{"a": int64(1), "b": int64(2)}},
		{"any", `{"a": [1, true, null]}`, types.AnyType, map[string]any{"a": []any{int64(1), true, nil}}},
		{"list", `[1, 2, "3"]`, types.ListOf(types.IntType), []any{int64(1), int64(2), int64(3)}},
		{"single value to list", `{"title": "A", "priority": 1}`, types.ListOf(ticketSchema), []any{ticket("A", 1)}},
		{"list in prose", "Found two:\n[{\"title\": \"A\", \"priority\": 1}, {\"title\": \"B\", \"priority\": 2}]\nDone.", types.ListOf(ticketSchema),
			[]any{ticket("A", 1), ticket("B", 2)}},
		{"python literals", `{"id": 1, "items": [], "category": None, "tags": {}}`, orderSchema,
			vmspan.Object{Class: "Order", Fields: []vmspan.Arg{{Name: "id", Value: int64(1)}, {Name: "items", Value: []any{}}, {Name: "category"}, {Name: "tags", Value: map[string]any{}}}}},
		{"nested with alias and enum", `{"id": "7", "items": [{"item_name": "pen", "qty": 2}, {"Name": "ink", "qty": 1}], "category": "ham", "tags": {"k": "v"}}`, orderSchema,
			vmspan.Object{Class: "Order", Fields: []vmspan.Arg{
				{Name: "id", Value: int64(7)},
				{Name: "items", Value: []any{
					vmspan.Object{Class: "Item", Fields: []vmspan.Arg{{Name: "name", Value: "pen"}, {Name: "qty", Value: int64(2)}}},
					vmspan.Object{Class: "Item", Fields: []vmspan.Arg{{Name: "name", Value: "ink"}, {Name: "qty", Value: int64(1)}}},
				}},
				{Name: "category", Value: vmspan.Enum{Name: "Category", Value: "HAM"}},
				{Name: "tags", Value: map[string]any{"k": "v"}},
			}}},
		{"missing optional field", `{"id": 1, "items": [], "tags": {}}`, orderSchema,
			vmspan.Object{Class: "Order", Fields: []vmspan.Arg{{Name: "id", Value: int64(1)}, {Name: "items", Value: []any{}}, {Name: "category"}, {Name: "tags", Value: map[string]any{}}}}},
		{"unicode escapes", `{"title": "caf\u00e9 \ud83d\ude00", "priority": 1}`, ticketSchema, ticket("café 😀", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOutput(tt.reply, tt.schema)
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseOutputErrors(t *testing.T) {
	tests := []struct {
		name   string
		reply  string
		schema *types.Type
		path   string
		msg    string // substring of the error
	}{
		{"word for int", `{"title": "A", "priority": "high"}`, ticketSchema, "priority", `field "priority": want int, got "high"`},
		{"fraction for int", `{"title": "A", "priority": 2.5}`, ticketSchema, "priority", "want int, got 2.5"},
		{"missing field", `{"title": "A"}`, ticketSchema, "priority", `field "priority": missing (want int)`},
		{"null for int", `{"title": "A", "priority": null}`, ticketSchema, "priority", "want int, got null"},
		{"prose only", "I cannot help with that.", ticketSchema, "", `want Ticket, got "I cannot help with that."`},
		{"nested path", `{"id": 1, "items": [{"item_name": "pen", "qty": 1}, {"item_name": "ink", "qty": "lots"}], "tags": {}}`, orderSchema, "items[1].qty", `want int, got "lots"`},
		{"ambiguous enum", "either spam or ham", categorySchema, "", "want Category"},
		{"unknown enum", "EGGS", categorySchema, "", `want Category, got "EGGS"`},
		{"map value", `{"a": "x"}`, types.MapOf(types.StringType, types.IntType), "a", `want int, got "x"`},
		{"literal", "no", types.LiteralOf("yes"), "", `want "yes", got "no"`},
		{"empty reply", "", types.IntType, "", `want int, got ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOutput(tt.reply, tt.schema)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Path != tt.path {
				t.Errorf("Path = %q, want %q", pe.Path, tt.path)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if !strings.Contains(err.Error(), "reply starts: ") || pe.ErrorType() != "LLMParseError" {
				t.Errorf("error %q: want the reply start and type LLMParseError", err)
			}
		})
	}
}

func TestParseErrorShowsReplyStart(t *testing.T) {
	reply := `{"title": "A", "priority": "high"}` + strings.Repeat(" padding", 100)
	_, err := ParseOutput(reply, ticketSchema)
	want := `reply starts: "{\"title\": \"A\", \"priority\": \"high\"}` + strings.Repeat(" padding", 20)
	if !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), `…"`) {
		t.Errorf("error = %v\nwant it to show the first %d bytes of the reply", err, replyExcerptLen)
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`{"a": [1, 2.5, -3e2, "x"]}`, map[string]any{"a": []any{int64(1), 2.5, -300.0, "x"}}},
		{`[1, 2,, 3,]`, []any{int64(1), int64(2), int64(3)}},
		{`{a: {b: [true, false, null`, map[string]any{"a": map[string]any{"b": []any{true, false, nil}}}},
		{`{"a": "line\nbreak\t\"q\" \/ \\"}`, map[string]any{"a": "line\nbreak\t\"q\" / \\"}},
		{`3 apples`, "3 apples"},
		{`{"a": 1]`, map[string]any{"a": int64(1)}},
		{`[{"a": 1}}`, []any{map[string]any{"a": int64(1)}}},
		{`{"big": 123456789012345678901234567890}`, map[string]any{"big": 1.2345678901234568e29}},
		{`{"a" "b"}`, map[string]any{"a": nil, "b": nil}},
		{`{x = 1}`, map[string]any{"x": int64(1)}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseLenient(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLenient(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLenientDeepNesting(t *testing.T) {
	in := strings.Repeat("[", 100000)
	_ = parseLenient(in) // must not overflow the stack
	if _, err := ParseOutput(in, types.ListOf(types.AnyType)); err != nil {
		t.Logf("deep nesting: %v", err)
	}
}

func TestParseOutputKeyedMapsAliasesSkip(t *testing.T) {
	color := &types.EnumDecl{Name: "Color", Values: []*types.EnumValue{{Name: "Red"}, {Name: "Blue", Alias: "azure"}}}
	byColor := types.MapOf(types.EnumOf(color), types.IntType)
	got, err := ParseOutput(`{"red": 1, "azure": 2}`, byColor)
	if err != nil || !reflect.DeepEqual(got, map[string]any{"Red": int64(1), "Blue": int64(2)}) {
		t.Errorf("map by enum: %#v, %v", got, err)
	}
	if _, err := ParseOutput(`{"green": 1}`, byColor); err == nil || !strings.Contains(err.Error(), `not a key of map<Color, int>`) {
		t.Errorf("a key that is no variant: %v", err)
	}
	json := &types.AliasDecl{Name: "Json"}
	jsonT := &types.Type{Kind: types.Alias, Alias: json}
	json.Type = types.UnionOf(types.StringType, types.IntType, types.ListOf(jsonT), types.MapOf(types.StringType, jsonT))
	got, err = ParseOutput(`{"a": [1, "x", {"b": []}]}`, jsonT)
	want := map[string]any{"a": []any{int64(1), "x", map[string]any{"b": []any{}}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("recursive alias: %#v, %v", got, err)
	}
	if f := OutputFormat(types.ListOf(jsonT)); !strings.Contains(f, "string or int or Json[] or map<string, Json>") {
		t.Errorf("output format of a recursive alias:\n%s", f)
	}
	secret := types.ClassOf(types.NewClass("Doc",
		&types.Field{Name: "title", Type: types.StringType},
		&types.Field{Name: "internal", Type: types.IntType, Skip: true}))
	got, err = ParseOutput(`{"title": "t", "internal": "x"}`, secret)
	if obj, ok := got.(vmspan.Object); err != nil || !ok || obj.Fields[1].Value != nil {
		t.Errorf("@skip field: %#v, %v", got, err)
	}
	if f := OutputFormat(secret); strings.Contains(f, "internal") {
		t.Errorf("a @skip field is shown:\n%s", f)
	}
}
