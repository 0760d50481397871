package types_test

import (
	"testing"

	"github.com/bexrun/bex/runtime/types"
)

var (
	ticket = types.NewClass("Ticket", &types.Field{Name: "title", Type: types.StringType})
	person = types.NewClass("Person")
	color  = &types.EnumDecl{Name: "Color", Values: []*types.EnumValue{{Name: "Red"}, {Name: "Blue", Alias: "azure"}}}
	json   = &types.AliasDecl{Name: "Json"}
	jsonT  = &types.Type{Kind: types.Alias, Alias: json}
)

func init() {
	json.Type = types.UnionOf(types.StringType, types.IntType, types.ListOf(jsonT), types.MapOf(types.StringType, jsonT))
}

func TestString(t *testing.T) {
	fn := types.FuncOf(&types.Signature{Params: []*types.Param{{Type: types.IntType}, {Type: types.StringType}}, Result: types.BoolType})
	for _, tc := range []struct {
		t    *types.Type
		want string
	}{
		{types.ListOf(types.UnionOf(types.IntType, types.StringType)), "(int | string)[]"},
		{types.OptionalOf(types.ClassOf(ticket)), "Ticket?"},
		{types.MapOf(types.EnumOf(color), types.ListOf(types.FloatType)), "map<Color, float[]>"},
		{types.UnionOf(types.LiteralOf("a"), types.LiteralOf(int64(1)), types.LiteralOf(2.0), types.LiteralOf(true)), `"a" | 1 | 2.0 | true`},
		{fn, "(int, string) -> bool"},
		{types.ListOf(fn), "((int, string) -> bool)[]"},
		{jsonT, "Json"},
		{types.MediaOf(types.Image), "image"},
		{nil, "any"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestAssignable(t *testing.T) {
	optTicket := types.OptionalOf(types.ClassOf(ticket))
	intOrString := types.UnionOf(types.IntType, types.StringType)
	for _, tc := range []struct {
		name     string
		src, dst *types.Type
		want     types.Answer
	}{
		{"same primitive", types.IntType, types.IntType, types.Yes},
		{"int to float", types.IntType, types.FloatType, types.Yes},
		{"float to int", types.FloatType, types.IntType, types.No},
		{"string to int", types.StringType, types.IntType, types.No},
		{"literal to its kind", types.LiteralOf("a"), types.StringType, types.Yes},
		{"kind to literal", types.StringType, types.LiteralOf("a"), types.Maybe},
		{"other literal", types.LiteralOf("b"), types.LiteralOf("a"), types.No},
		{"any source", types.AnyType, types.IntType, types.Maybe},
		{"any target", types.StringType, types.AnyType, types.Yes},
		{"null to optional", types.NullType, optTicket, types.Yes},
		{"null to class", types.NullType, types.ClassOf(ticket), types.No},
		{"class to its optional", types.ClassOf(ticket), optTicket, types.Yes},
		{"optional to class", optTicket, types.ClassOf(ticket), types.Maybe},
		{"other class", types.ClassOf(person), types.ClassOf(ticket), types.No},
		{"member of union", types.IntType, intOrString, types.Yes},
		{"union to member", intOrString, types.IntType, types.Maybe},
		{"union to neither", intOrString, types.BoolType, types.No},
		{"list of ints", types.ListOf(types.IntType), types.ListOf(types.FloatType), types.Yes},
		{"list of strings", types.ListOf(types.StringType), types.ListOf(types.IntType), types.No},
		{"map values", types.MapOf(types.StringType, types.IntType), types.MapOf(types.StringType, types.StringType), types.No},
		{"enum", types.EnumOf(color), types.EnumOf(color), types.Yes},
		{"recursive alias", types.ListOf(types.StringType), jsonT, types.Yes},
		{"recursive alias nested", types.ListOf(types.ListOf(types.IntType)), jsonT, types.Yes},
		{"not the alias", types.BoolType, jsonT, types.No},
		{"media", types.MediaOf(types.Image), types.MediaOf(types.Image), types.Yes},
		{"other media", types.MediaOf(types.Audio), types.MediaOf(types.Image), types.No},
	} {
		if got := types.Assignable(tc.src, tc.dst); got != tc.want {
			t.Errorf("%s: Assignable(%s, %s) = %d, want %d", tc.name, tc.src, tc.dst, got, tc.want)
		}
	}
}

func TestAssignableFunctions(t *testing.T) {
	sig := func(p, r *types.Type) *types.Type {
		return types.FuncOf(&types.Signature{Params: []*types.Param{{Type: p}}, Result: r})
	}
	if got := types.Assignable(sig(types.FloatType, types.IntType), sig(types.IntType, types.FloatType)); got != types.Yes {
		t.Errorf("a function taking more and returning less: %d", got)
	}
	if got := types.Assignable(sig(types.IntType, types.IntType), sig(types.StringType, types.IntType)); got != types.No {
		t.Errorf("a function taking ints where strings come: %d", got)
	}
}

func TestJoinAndWiden(t *testing.T) {
	for _, tc := range []struct {
		a, b *types.Type
		want string
	}{
		{types.IntType, types.IntType, "int"},
		{types.LiteralOf(int64(1)), types.IntType, "int"},
		{types.IntType, types.StringType, "int | string"},
		{types.NullType, types.ClassOf(ticket), "null | Ticket"},
		{types.OptionalOf(types.IntType), types.IntType, "int?"},
	} {
		if got := types.Join(tc.a, tc.b).String(); got != tc.want {
			t.Errorf("Join(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	if got := types.Widen(types.ListOf(types.LiteralOf("x"))).String(); got != "string[]" {
		t.Errorf("Widen = %s", got)
	}
}

func TestNullable(t *testing.T) {
	if jsonT.Nullable() || !types.UnionOf(types.StringType, types.NullType).Nullable() {
		t.Error("nullability of an alias without null, a union with null")
	}
	u := types.UnionOf(types.IntType, types.NullType, types.StringType)
	if got := u.NonNull().String(); got != "int | string" {
		t.Errorf("NonNull = %s", got)
	}
	if !types.OptionalOf(types.IntType).Nullable() || types.IntType.Nullable() {
		t.Error("Nullable of int? and int")
	}
	if opt := types.OptionalOf(types.NullType); opt != types.NullType {
		t.Error("null? is null")
	}
}

func TestEnumLookup(t *testing.T) {
	if color.Lookup("red") != 0 || color.Lookup("AZURE") != 1 || color.Lookup("Green") != -1 {
		t.Error("Lookup")
	}
}

func TestOverlay(t *testing.T) {
	dyn := types.NewClass("Resume", &types.Field{Name: "name", Type: types.StringType})
	dyn.Dynamic = true
	var o *types.Overlay
	if got := o.Fields(dyn); len(got) != 1 {
		t.Fatalf("a nil overlay adds fields: %d", len(got))
	}
	o = new(types.Overlay)
	if err := o.AddField(dyn, &types.Field{Name: "skills", Type: types.ListOf(types.StringType)}); err != nil {
		t.Fatal(err)
	}
	if err := o.AddField(dyn, &types.Field{Name: "name", Type: types.StringType}); err == nil {
		t.Error("a field added twice")
	}
	if err := o.AddField(ticket, &types.Field{Name: "x", Type: types.IntType}); err == nil {
		t.Error("a field added to a class that is not dynamic")
	}
	if got := o.Fields(dyn); len(got) != 2 || got[1].Name != "skills" || len(dyn.Fields) != 1 {
		t.Errorf("fields: %d, declared %d", len(got), len(dyn.Fields))
	}
	e := &types.EnumDecl{Name: "Tag", Dynamic: true, Values: []*types.EnumValue{{Name: "A"}}}
	if err := o.AddValue(e, &types.EnumValue{Name: "B"}); err != nil || len(o.Values(e)) != 2 || len(e.Values) != 1 {
		t.Errorf("values: %v", err)
	}
	if err := o.AddValue(color, &types.EnumValue{Name: "C"}); err == nil {
		t.Error("a value added to an enum that is not dynamic")
	}
}
