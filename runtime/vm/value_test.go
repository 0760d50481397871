package vm_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

const typesProgram = `
enum Priority {
    High @alias("p0")
    Low
}
class Person {
    name string @alias("full_name")
    api_key string?
}
class Ticket {
    title string
    priority Priority
    tags string[]
    owner Person?
    score float
    meta map<string, int | string>
    status "open" | "closed"
}
function T(t: Ticket, xs: (int | string)[], m: map<string, int[]>, o: Ticket?, l: "a" | 1 | true) -> Ticket? { t }
`

func typesProg(t *testing.T) (*vm.Program, *types.Type) {
	t.Helper()
	prog := compileSource(t, "types.baml", typesProgram)
	return prog, prog.Function("T").Params[0].Type
}

func TestTypeString(t *testing.T) {
	prog, _ := typesProg(t)
	fn := prog.Function("T")
	var got []string
	for _, p := range fn.Params {
		got = append(got, p.Type.String())
	}
	got = append(got, fn.Result.String())
	for _, f := range prog.Class("Ticket").Fields {
		got = append(got, f.Type.String())
	}
	want := []string{
		"Ticket", "(int | string)[]", "map<string, int[]>", "Ticket?", `"a" | 1 | true`, "Ticket?",
		"string", "Priority", "string[]", "Person?", "float", "map<string, int | string>", `"open" | "closed"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("types:\n%q\nwant:\n%q", got, want)
	}
}

func TestDeclarations(t *testing.T) {
	prog, _ := typesProg(t)
	if prog.Class("Nope") != nil || prog.Enum("Nope") != nil || prog.Function("Nope") != nil {
		t.Error("lookups of unknown names are not nil")
	}
	p := prog.Enum("Priority")
	if *p.Values[0] != (types.EnumValue{Name: "High", Alias: "p0"}) || p.Lookup("P0") != 0 || p.Lookup("low") != 1 || p.Lookup("x") != -1 {
		t.Errorf("enum: %+v", p)
	}
	person := prog.Class("Person")
	if person.Fields[0].Alias != "full_name" || person.FieldIndex("api_key") != 1 {
		t.Errorf("class: %+v", person)
	}
	if len(prog.Classes()) != 2 || len(prog.Enums()) != 1 || len(prog.Clients()) != 0 || len(prog.RetryPolicies()) != 0 {
		t.Error("declaration lists")
	}
	if fn := prog.Function("T"); fn.Kind != vm.FuncExpr || fn.Traced() || fn.SpanKind() != vmspan.KindExpr || fn.Decl == nil {
		t.Errorf("function: %+v", fn)
	}
	if fn := prog.Function("echo"); fn.Kind != vm.FuncHost || fn.Decl != nil || fn.SpanKind() != vmspan.KindHostFunc {
		t.Errorf("host function: %+v", fn)
	}
}

func ticketInput() map[string]any {
	return map[string]any{
		"title": "Printer", "priority": "p0", "tags": []string{"hw"},
		"owner": map[string]any{"full_name": "Ann", "api_key": "sk-123"},
		"score": 2, "meta": map[string]any{"team": "search", "n": json.Number("3")}, "status": "open",
	}
}

func TestFromGo(t *testing.T) {
	_, ticket := typesProg(t)
	v, err := vm.FromGo(ticketInput(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	want := `Ticket { title: "Printer", priority: Priority.High, tags: ["hw"], owner: Person { name: "Ann", api_key: "sk-123" }, score: 2.0, meta: {"n": 3, "team": "search"}, status: "open" }`
	if v.String() != want {
		t.Errorf("got  %s\nwant %s", v, want)
	}
	if err := vm.Check(v, ticket); err != nil {
		t.Errorf("Check of a converted value: %v", err)
	}
}

func TestFromGoStructs(t *testing.T) {
	_, ticket := typesProg(t)
	type person struct {
		Name string `json:"name"`
	}
	type tk struct {
		Title    string            `json:"title"`
		Priority string            `json:"priority"`
		Tags     []string          `json:"tags"`
		Owner    *person           `json:"owner"`
		Score    float32           `json:"score"`
		Meta     map[string]string `json:"meta"`
		Status   string            `json:"status"`
	}
	v, err := vm.FromGo(&tk{Title: "t", Priority: "LOW", Tags: []string{}, Owner: &person{"Bo"}, Score: 1.5, Meta: map[string]string{}, Status: "closed"}, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != `Ticket { title: "t", priority: Priority.Low, tags: [], owner: Person { name: "Bo", api_key: null }, score: 1.5, meta: {}, status: "closed" }` {
		t.Errorf("got %s", got)
	}
}

func TestFromGoErrors(t *testing.T) {
	_, ticket := typesProg(t)
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"wrong field type", func(m map[string]any) { m["title"] = 3 }, "field title: want string, got int"},
		{"missing field", func(m map[string]any) { delete(m, "title") }, "field title: missing"},
		{"bad enum", func(m map[string]any) { m["priority"] = "urgent" }, `field priority: "urgent" is not a value of enum Priority`},
		{"bad element", func(m map[string]any) { m["tags"] = []any{"a", 2} }, "field tags: element 1: want string, got int"},
		{"bad map value", func(m map[string]any) { m["meta"] = map[string]any{"k": true} }, `field meta: key "k": want int | string, got bool`},
		{"bad nested", func(m map[string]any) { m["owner"] = map[string]any{"name": 1} }, "field owner: field name: want string, got int"},
		{"bad literal", func(m map[string]any) { m["status"] = "pending" }, `field status: want "open" | "closed", got string`},
		{"fractional int", func(m map[string]any) { m["meta"] = map[string]any{"n": 1.5} }, `field meta: key "n": want int | string, got float`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ticketInput()
			tt.mutate(m)
			_, err := vm.FromGo(m, ticket)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := vm.FromGo(make(chan int), nil); err == nil {
		t.Error("a channel converted")
	}
}

func TestFromGoInfer(t *testing.T) {
	v, err := vm.FromGo(map[string]any{"b": []any{1, 2.5, "s", nil, true}, "a": uint8(7), "n": json.Number("12345678901")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != `{"a": 7, "b": [1, 2.5, "s", null, true], "n": 12345678901}` {
		t.Errorf("got %s", got)
	}
	obj := vmspan.Object{Class: "P", Fields: []vmspan.Arg{{Name: "x", Value: int64(1)}}}
	if v, err := vm.FromGo(obj, nil); err != nil || v.String() != `{"x": 1}` {
		t.Errorf("object: %v, %v", v, err)
	}
	if v, err := vm.FromGo(vm.Int(3), types.FloatType); err != nil || v.Kind() != vm.KindFloat {
		t.Errorf("Value to float: %v, %v", v, err)
	}
}

func TestFromGoSnapshotForms(t *testing.T) {
	prog, ticket := typesProg(t)
	v, err := vm.FromGo(ticketInput(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot converts back (secrets stay redacted).
	back, err := vm.FromGo(vm.Snapshot(v), ticket)
	if err != nil {
		t.Fatal(err)
	}
	owner := back.Instance().Fields()[3].Instance()
	if owner.Fields()[1].Str() != vmspan.Redacted {
		t.Errorf("api_key came back as %v", owner.Fields()[1])
	}
	e, err := vm.FromGo(vmspan.Enum{Name: "Priority", Value: "Low"}, types.EnumOf(prog.Enum("Priority")))
	if err != nil || e.String() != "Priority.Low" {
		t.Errorf("enum: %v, %v", e, err)
	}
}

func TestSnapshot(t *testing.T) {
	_, ticket := typesProg(t)
	v, err := vm.FromGo(ticketInput(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	snap := vm.Snapshot(v)
	obj, ok := snap.(vmspan.Object)
	if !ok || obj.Class != "Ticket" || len(obj.Fields) != 7 || obj.Fields[0].Name != "title" {
		t.Fatalf("snapshot %#v", snap)
	}
	if p := obj.Fields[1].Value; p != (vmspan.Enum{Name: "Priority", Value: "High"}) {
		t.Errorf("enum field: %#v", p)
	}
	owner := obj.Fields[3].Value.(vmspan.Object)
	if owner.Fields[1].Value != vmspan.Redacted || owner.Fields[0].Value != "Ann" {
		t.Errorf("owner: %#v", owner)
	}
	// The snapshot is deep: later mutation of the value does not show.
	v.Instance().Fields()[2].List().Append(vm.String("later"))
	if tags := obj.Fields[2].Value.([]any); len(tags) != 1 {
		t.Errorf("snapshot changed: %v", tags)
	}
	m := vm.NewMap()
	m.Map().Set("password", vm.String("hunter2"))
	m.Map().Set("max_tokens", vm.Int(5))
	if got := vm.Snapshot(m); !reflect.DeepEqual(got, map[string]any{"password": vmspan.Redacted, "max_tokens": int64(5)}) {
		t.Errorf("map snapshot: %v", got)
	}
}

func TestToGo(t *testing.T) {
	_, ticket := typesProg(t)
	v, err := vm.FromGo(ticketInput(), ticket)
	if err != nil {
		t.Fatal(err)
	}
	got := vm.ToGo(v).(map[string]any)
	if got["priority"] != "High" || got["score"] != 2.0 || got["tags"].([]any)[0] != "hw" ||
		got["owner"].(map[string]any)["api_key"] != "sk-123" || got["meta"].(map[string]any)["n"] != int64(3) {
		t.Errorf("ToGo: %#v", got)
	}
	for _, v := range []vm.Value{vm.Null, vm.True, vm.Int(-1), vm.Float(0.5), vm.String("s")} {
		if back, err := vm.FromGo(vm.ToGo(v), nil); err != nil || !vm.Equal(back, v) {
			t.Errorf("round trip of %v: %v, %v", v, back, err)
		}
	}
}

func TestCheck(t *testing.T) {
	prog, ticket := typesProg(t)
	fn := prog.Function("T")
	tests := []struct {
		v    vm.Value
		t    *types.Type
		want string
	}{
		{vm.Int(1), types.IntType, ""},
		{vm.Int(1), types.FloatType, ""},
		{vm.Float(1), types.IntType, "want int, got float"},
		{vm.Null, fn.Params[3].Type, ""},
		{vm.Null, ticket, "want Ticket, got null"},
		{vm.NewList([]vm.Value{vm.Int(1), vm.String("a")}), fn.Params[1].Type, ""},
		{vm.NewList([]vm.Value{vm.Int(1), vm.True}), fn.Params[1].Type, "element 1: want int | string, got bool"},
		{vm.String("a"), fn.Params[4].Type, ""},
		{vm.Int(1), fn.Params[4].Type, ""},
		{vm.Int(2), fn.Params[4].Type, `want "a" | 1 | true, got int 2`},
		{vm.Float(1), fn.Params[4].Type, `want "a" | 1 | true, got float 1.0`},
		{vm.String("x"), &types.Type{Kind: types.String}, ""}, // a hand-built type
		{vm.Null, types.OptionalOf(types.ListOf(types.IntType)), ""},
		{vm.NewList([]vm.Value{vm.Null}), types.MapOf(types.StringType, types.IntType), "want map<string, int>, got list"},
	}
	for _, tt := range tests {
		err := vm.Check(tt.v, tt.t)
		if (err == nil && tt.want != "") || (err != nil && err.Error() != tt.want) {
			t.Errorf("Check(%v, %s) = %v, want %q", tt.v, tt.t, err, tt.want)
		}
	}
}

func TestValues(t *testing.T) {
	l := vm.NewList([]vm.Value{vm.Int(1), vm.String("a")})
	l.List().Append(vm.Float(2))
	m := vm.NewMap()
	m.Map().Set("k", l)
	m.Map().Set("z", vm.Null)
	if got := m.String(); got != `{"k": [1, "a", 2.0], "z": null}` {
		t.Errorf("String: %s", got)
	}
	if v, ok := m.Map().Delete("k"); !ok || v.List().Len() != 3 || m.Map().Len() != 1 {
		t.Error("Delete")
	}
	if vm.String("x").String() != "x" || vm.Int(3).TypeName() != "int" || vm.Null.TypeName() != "null" {
		t.Error("display")
	}
	if vm.Float(2.5).Int() != 2 || vm.Int(2).Float() != 2 || !vm.Bool(true).Bool() || vm.String("s").Int() != 0 {
		t.Error("accessors")
	}
	// Cyclic values do not crash the walkers.
	cyc := vm.NewList(nil)
	cyc.List().Append(cyc)
	if s := cyc.String(); !strings.Contains(s, "...") {
		t.Errorf("cyclic String: %.40s", s)
	}
	other := vm.NewList(nil)
	other.List().Append(other)
	if !vm.Equal(cyc, other) || !vm.Equal(cyc, cyc) {
		t.Error("cyclic values of the same shape are not Equal")
	}
	other.List().Append(vm.Int(1))
	if vm.Equal(cyc, other) {
		t.Error("cyclic values of different shapes are Equal")
	}
	// Lists that share elements: 2^60 leaves, compared and copied quickly.
	a, b := vm.NewList([]vm.Value{vm.Int(1)}), vm.NewList([]vm.Value{vm.Int(1)})
	for range 60 {
		a = vm.NewList([]vm.Value{a, a})
		b = vm.NewList([]vm.Value{b, b})
	}
	if !vm.Equal(a, b) {
		t.Error("shared lists are not Equal")
	}
	_ = vm.Snapshot(a)
	_ = a.String()
	_ = vm.ToGo(cyc)
	_ = vm.Snapshot(cyc)
}

func TestNewInstanceAndEnumValue(t *testing.T) {
	prog, _ := typesProg(t)
	p := vm.NewInstance(prog.Class("Person"), []vm.Value{vm.String("Al"), vm.Null})
	if f, ok := p.Instance().Field("name"); !ok || f.Str() != "Al" {
		t.Error("Field")
	}
	if _, ok := p.Instance().Field("nope"); ok {
		t.Error("unknown field found")
	}
	e, ok := vm.EnumValue(prog.Enum("Priority"), "Low")
	if en, name := e.Enum(); !ok || en.Name != "Priority" || name != "Low" {
		t.Errorf("EnumValue: %v", e)
	}
	if _, ok := vm.EnumValue(prog.Enum("Priority"), "low"); ok {
		t.Error("EnumValue is case-insensitive")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewInstance with the wrong field count did not panic")
		}
	}()
	vm.NewInstance(prog.Class("Person"), nil)
}

func TestCallArguments(t *testing.T) {
	prog := compileSource(t, "args.baml", `function f(a: int, b: float) -> float { a + b }`)
	th := &vm.Thread{}
	v, err := prog.Call(th, prog.Function("f"), []vm.Value{vm.Int(1), vm.Int(2)})
	if err != nil || v.Float() != 3 || v.Kind() != vm.KindFloat {
		t.Errorf("got %v, %v", v, err)
	}
	_, err = prog.Call(th, prog.Function("f"), []vm.Value{vm.Int(1)})
	if err == nil || err.Error() != "f: want 2 arguments, got 1" {
		t.Errorf("count: %v", err)
	}
	_, err = prog.Call(th, prog.Function("f"), []vm.Value{vm.String("x"), vm.Int(1)})
	if err == nil || err.Error() != "f: argument a: want int, got string" {
		t.Errorf("type: %v", err)
	}
	other := compileSource(t, "other.baml", `function f() -> any { }`)
	if _, err := prog.Call(th, other.Function("f"), nil); err == nil {
		t.Error("a function of another program was called")
	}
	var list syntax.ErrorList
	if errors.As(err, &list) {
		t.Error("a run-time error is an ErrorList")
	}
}

func TestMediaValue(t *testing.T) {
	img := vmspan.NewMediaBytes(vmspan.MediaImage, []byte("png bytes"), "image/png")
	v, err := vm.FromGo(img, nil)
	if err != nil || v.Kind() != vm.KindMedia || v.Media().SHA256 != img.SHA256 || v.TypeName() != "image" {
		t.Fatalf("vm.FromGo: %v %v", v, err)
	}
	ref := vm.Snapshot(vm.NewList([]vm.Value{v}))
	b, _ := json.Marshal(ref)
	if want := `[{"__media":"image","media_type":"image/png","sha256":"` + img.SHA256 + `","size":9}]`; string(b) != want {
		t.Errorf("vm.Snapshot = %s, want %s", b, want)
	}
	if got := vm.SnapshotWithMedia(v); got.(*vmspan.Media).Base64() != img.Base64() {
		t.Errorf("vm.SnapshotWithMedia lost the bytes: %v", got)
	}
	if vm.ToGo(v).(*vmspan.Media) != v.Media() {
		t.Errorf("vm.ToGo")
	}
	same, _ := vm.FromGo(vmspan.NewMediaBytes(vmspan.MediaImage, []byte("png bytes"), "image/png"), nil)
	other, _ := vm.FromGo(vmspan.NewMediaURL(vmspan.MediaImage, "https://x/y.png", ""), nil)
	if !vm.Equal(v, same) || vm.Equal(v, other) {
		t.Errorf("equality")
	}
	if s := v.String(); !strings.HasPrefix(s, "<image image/png 9 bytes sha256:") {
		t.Errorf("String = %q", s)
	}
}
