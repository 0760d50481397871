package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const dynamicSrc = `
client<llm> Fast {
    provider openai
    options { model "m" base_url env.STUB_URL api_key "k" }
}
enum Category {
    Red
    Blue
    @@dynamic
}
class Ticket {
    title string
    category Category
    @@dynamic
}
class Fixed {
    a int
}
function Classify(body: string) -> Ticket {
    client Fast
    prompt #"Classify: {{ body }}
{{ ctx.output_format }}"#
}
function Categorize(body: string) -> Category {
    client Fast
    prompt #"Categorize: {{ body }}
{{ ctx.output_format }}"#
}
function Title(body: string) -> string {
    let t = Classify(body);
    t.title
}
`

// dynamicEngine returns an engine for dynamicSrc whose client talks to a
// stub answering with reply, and the stub and span recorder.
func dynamicEngine(t *testing.T, reply string) (*engine.Engine, *llmstub.Server, *spantest.Recorder) {
	t.Helper()
	stub := llmstub.New(llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: reply}}}), llmstub.WithKeep(llmstub.KeepAll))
	t.Cleanup(stub.Close)
	env := func(k string) (string, bool) {
		if k == "STUB_URL" {
			return stub.URL() + "/v1", true
		}
		return "", false
	}
	rec := new(spantest.Recorder)
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": dynamicSrc}),
		engine.WithTracer(vmspan.NewTracer(rec)), engine.WithLLMOptions(llm.WithEnv(env)))
	if err != nil {
		t.Fatal(err)
	}
	return eng, stub, rec
}

// ticketTypes adds, through the Go API, a value to Category, a field of a
// new enum type to Ticket, and a described value.
func ticketTypes(eng *engine.Engine) *engine.TypeBuilder {
	tb := eng.NewTypeBuilder()
	tb.Enum("Category").AddValue("Green").Description("plants and gardens")
	u := tb.AddEnum("Urgency")
	u.AddValue("Now")
	u.AddValue("Later").Alias("whenever")
	tb.Class("Ticket").AddField("urgency", "Urgency").Description("how soon")
	tb.Class("Ticket").AddField("tags", "string[]")
	return tb
}

// TestDynamicTypes checks that what a type builder adds reaches the
// rendered prompt, the parsed and coerced result, the Go result and the
// span's attempts, for the calls that use it only.
func TestDynamicTypes(t *testing.T) {
	reply := `{"title": "Roses", "category": "Green", "urgency": "whenever", "tags": ["flowers"]}`
	eng, stub, rec := dynamicEngine(t, reply)
	tb := ticketTypes(eng)
	res, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(tb))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "Roses", "category": "Green", "urgency": "Later", "tags": []any{"flowers"}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("result %#v, want %#v", res, want)
	}
	prompt := stub.Requests()[0].Prompt()
	for _, s := range []string{"urgency: Urgency,", "// how soon", "tags: string[],", "- Green: plants and gardens", "Urgency\n----\n- Now\n- whenever"} {
		if !strings.Contains(prompt, s) {
			t.Errorf("the prompt lacks %q:\n%s", s, prompt)
		}
	}
	end := rec.Filter(vmspan.EventEnd, "Classify")[0]
	if got := end.Attempts[0].DynamicTypes; !reflect.DeepEqual(got, []string{"Ticket.urgency", "Ticket.tags", "Category.Green"}) {
		t.Errorf("attempt DynamicTypes %q", got)
	}
	obj, ok := end.Result.(vmspan.Object)
	if !ok || len(obj.Fields) != 4 || obj.Fields[2].Name != "urgency" || obj.Fields[2].Value != (vmspan.Enum{Name: "Urgency", Value: "Later"}) {
		t.Errorf("span result %#v: want the added fields after the declared ones", end.Result)
	}

	// Without the builder the declarations are as they were.
	_, err = eng.Call(context.Background(), "Classify", map[string]any{"body": "x"})
	var pe *llm.ParseError
	if !errors.As(err, &pe) || pe.Path != "category" {
		t.Errorf("without the builder: %v, want a parse error at category (Green is not a value)", err)
	}
	if p := stub.Requests()[1].Prompt(); strings.Contains(p, "urgency") || strings.Contains(p, "Green") {
		t.Errorf("a call without the builder shows its additions:\n%s", p)
	}

	// A dynamic enum as the return type, and through an expression function.
	got, err := eng.Call(context.Background(), "Categorize", map[string]any{"body": "x"}, engine.WithTypes(tb))
	if err != nil || got != "Green" {
		t.Errorf("Categorize: %v, %v; want Green", got, err)
	}
	if got, err := eng.Call(context.Background(), "Title", map[string]any{"body": "x"}, engine.WithTypes(tb)); err != nil || got != "Roses" {
		t.Errorf("Title: %v, %v", got, err)
	}
}

// TestDynamicTypesConcurrent checks that concurrent calls with and without
// a builder (and with different builders) each see their own types.
func TestDynamicTypesConcurrent(t *testing.T) {
	eng, _, _ := dynamicEngine(t, `{"title": "T", "category": "Green", "urgency": "Now", "tags": []}`)
	with := ticketTypes(eng)
	other := eng.NewTypeBuilder()
	other.Enum("Category").AddValue("Green")
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 3 {
			case 0:
				res, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(with))
				if m, _ := res.(map[string]any); err != nil || m["urgency"] != "Now" {
					t.Errorf("with: %v, %v", res, err)
				}
			case 1:
				res, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(other))
				if m, _ := res.(map[string]any); err != nil || len(m) != 2 || m["category"] != "Green" {
					t.Errorf("other: %v, %v", res, err)
				}
			case 2:
				if _, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}); err == nil {
					t.Error("without: Green parsed without a builder")
				}
			}
		}()
	}
	wg.Wait()
}

// TestTypeBuilderForms checks that a BAML snippet and the JSON form build
// the same additions as the Go API.
func TestTypeBuilderForms(t *testing.T) {
	reply := `{"title": "Roses", "category": "Green", "urgency": "whenever", "tags": ["flowers"]}`
	eng, _, _ := dynamicEngine(t, reply)
	baml := eng.NewTypeBuilder()
	if err := baml.AddBAML("types.baml", `
enum Urgency {
    Now
    Later @alias("whenever")
}
dynamic class Ticket {
    urgency Urgency @description("how soon")
    tags string[]
}
dynamic enum Category {
    Green @description("plants and gardens")
}
`); err != nil {
		t.Fatal(err)
	}
	js := eng.NewTypeBuilder()
	if err := js.AddJSON([]byte(`{
  "enums": [{"name": "Urgency", "values": [{"name": "Now"}, {"name": "Later", "alias": "whenever"}]}],
  "dynamic_classes": [{"name": "Ticket", "fields": [{"name": "urgency", "type": "Urgency", "description": "how soon"}, {"name": "tags", "type": "string[]"}]}],
  "dynamic_enums": [{"name": "Category", "values": [{"name": "Green", "description": "plants and gardens"}]}]
}`)); err != nil {
		t.Fatal(err)
	}
	want, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(ticketTypes(eng)))
	if err != nil {
		t.Fatal(err)
	}
	for name, tb := range map[string]*engine.TypeBuilder{"BAML": baml, "JSON": js} {
		got, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(tb))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
}

// TestTypeBuilderErrors checks that bad builders give clear errors, all
// reported together, and that a call using one fails before it starts.
func TestTypeBuilderErrors(t *testing.T) {
	eng, stub, rec := dynamicEngine(t, `{}`)
	tb := eng.NewTypeBuilder()
	tb.Class("Ticket").AddField("title", "string")      // declared already
	tb.Class("Ticket").AddField("owner", "Persn")       // unknown type
	tb.Class("Ticket").AddField("x", "int").Alias("y")  // fine
	tb.Class("Ticket").AddField("x", "int")             // added twice
	tb.Class("Fixed").AddField("b", "int")              // not @@dynamic
	tb.Class("Nope").AddField("b", "int")               // no such class
	tb.Enum("Category").AddValue("Red")                 // declared already
	tb.AddClass("Fixed")                                // the program declares it
	tb.AddEnum("Extra").AddValue("A")                   // fine
	tb.Class("Ticket").AddField("bad", "map<int, int>") // bad map key
	tb.Class("Ticket").AddField("worse", "int[")        // bad syntax
	_, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(tb))
	if err == nil {
		t.Fatal("a call with a bad builder succeeded")
	}
	for _, want := range []string{
		`class Ticket: field worse: type "int["`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	tb2 := eng.NewTypeBuilder()
	tb2.Class("Ticket").AddField("title", "string")
	tb2.Class("Ticket").AddField("owner", "Persn")
	tb2.Class("Ticket").AddField("x", "int")
	tb2.Class("Ticket").AddField("x", "int")
	tb2.Class("Fixed").AddField("b", "int")
	tb2.Class("Nope").AddField("b", "int")
	tb2.Enum("Category").AddValue("Red")
	tb2.AddClass("Fixed")
	tb2.Class("Ticket").AddField("bad", "map<int, int>")
	_, err = tb2.Build()
	var list syntax.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Build: %v, want a syntax.ErrorList", err)
	}
	for _, want := range []string{
		"type builder: class Ticket: field title: class Ticket already has a field title",
		"type builder: class Ticket: field owner: unknown type Persn",
		"type builder: class Ticket: field x: class Ticket already has a field x",
		"type builder: class Fixed: field b: class Fixed is not @@dynamic: fields cannot be added to it",
		"type builder: dynamic class Nope: no class Nope is declared",
		"type builder: enum Category: enum Category already has a value Red",
		"type builder: Fixed redeclared (previous declaration at main.baml:",
		"type builder: class Ticket: field bad: maps may only have strings, enums or literal strings as keys, not int",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Build error lacks %q:\n%v", want, err)
		}
	}
	if n := len(list); n != 8 {
		t.Errorf("%d errors, want 8:\n%v", n, err)
	}
	if len(stub.Requests()) != 0 || len(rec.Events()) != 0 {
		t.Errorf("a call with a bad builder made %d requests and %d events", len(stub.Requests()), len(rec.Events()))
	}

	// A declared type keeps its description; a new one takes one.
	tb3 := eng.NewTypeBuilder()
	tb3.Class("Ticket").Description("a declared class")
	tb3.Enum("Category").Description("a declared enum")
	tb3.AddEnum("Fresh").Description("a new enum").AddValue("A")
	tb3.AddClass("Brand").Description("a new class").AddField("a", "int")
	_, err = tb3.Build()
	if want := "type builder: class Ticket: the description of a declared class cannot change\n" +
		"type builder: enum Category: the description of a declared enum cannot change"; err == nil || err.Error() != want {
		t.Errorf("Build: %v, want\n%s", err, want)
	}

	snippet := eng.NewTypeBuilder()
	if err := snippet.AddBAML("extra.baml", "dynamic class Ticket {\n  due Dat\n}\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := snippet.Build(); err == nil || err.Error() != "extra.baml:2:7: unknown type Dat" {
		t.Errorf("snippet error %v, want extra.baml:2:7: unknown type Dat", err)
	}
	if err := eng.NewTypeBuilder().AddBAML("bad.baml", "class {"); err == nil || !strings.Contains(err.Error(), "bad.baml:1:7") {
		t.Errorf("syntax error %v, want it positioned", err)
	}
	if err := eng.NewTypeBuilder().AddJSON([]byte(`{"clases": []}`)); err == nil || !strings.Contains(err.Error(), `unknown field "clases"`) {
		t.Errorf("JSON error %v, want the unknown key named", err)
	}
	other, _, _ := dynamicEngine(t, `{}`)
	if _, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(other.NewTypeBuilder())); err == nil {
		t.Error("a builder of another engine was accepted")
	}
}

// TestTypeBuilderAfterBuild checks that adding to a built builder fails
// the calls that use it instead of being ignored.
func TestTypeBuilderAfterBuild(t *testing.T) {
	eng, _, _ := dynamicEngine(t, `"Green"`)
	tb := eng.NewTypeBuilder()
	tb.Enum("Category").AddValue("Green")
	if _, err := tb.Build(); err != nil {
		t.Fatal(err)
	}
	tb.Enum("Category").AddValue("Yellow")
	if _, err := eng.Call(context.Background(), "Categorize", map[string]any{"body": "x"}, engine.WithTypes(tb)); err == nil || !strings.Contains(err.Error(), "already built") {
		t.Errorf("call with a builder changed after Build: %v, want the error", err)
	}
	if err := tb.AddBAML("x.baml", "dynamic enum Category {\n  Blue\n}\n"); err == nil {
		t.Error("AddBAML after Build succeeded")
	}
}

// TestDynamicTypesStreamed checks that a streamed call parses its partial
// values and its final value with the call's dynamic types, as Call does.
func TestDynamicTypesStreamed(t *testing.T) {
	reply := `{"title": "Roses", "category": "Green", "urgency": "whenever", "tags": ["flowers"]}`
	eng, _, _ := dynamicEngine(t, reply)
	tb := ticketTypes(eng)
	want, err := eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(tb))
	if err != nil {
		t.Fatal(err)
	}
	var last engine.Partial
	sawUrgency := false
	for p, err := range eng.Stream(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithTypes(tb)) {
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := p.Value.(map[string]any); ok && !p.Final {
			if _, ok := m["urgency"]; ok {
				sawUrgency = true
			}
		}
		last = p
	}
	if !last.Final || !reflect.DeepEqual(last.Value, want) {
		t.Errorf("streamed final %#v, want Call's %#v", last.Value, want)
	}
	if !sawUrgency {
		t.Error("no partial value has the added field urgency")
	}
}
