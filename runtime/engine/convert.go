// convert.go translates compiled declarations into the LLM runtime's terms:
// return types into output schemas, client<llm> and retry_policy blocks into
// client and policy declarations.

package engine

import (
	"fmt"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

// schemaOf describes a VM type for the LLM runtime. classes breaks cycles of
// recursive classes.
func schemaOf(t *vm.Type, classes map[*vm.Class]*llm.Schema) *llm.Schema {
	if t == nil {
		return llm.Any
	}
	switch t.Kind {
	case vm.TInt:
		return llm.Int
	case vm.TFloat:
		return llm.Float
	case vm.TString:
		return llm.String
	case vm.TBool:
		return llm.Bool
	case vm.TNull:
		return llm.Null
	case vm.TList:
		return llm.ListOf(schemaOf(t.Elem, classes))
	case vm.TMap:
		return llm.MapOf(schemaOf(t.Elem, classes))
	case vm.TOptional:
		return llm.OptionalOf(schemaOf(t.Elem, classes))
	case vm.TUnion:
		vs := make([]*llm.Schema, len(t.Variants))
		for i, v := range t.Variants {
			vs[i] = schemaOf(v, classes)
		}
		return llm.UnionOf(vs...)
	case vm.TLiteral:
		return llm.LiteralOf(vm.ToGo(t.Literal))
	case vm.TEnum:
		return enumSchema(t.Enum)
	case vm.TClass:
		return classSchema(t.Class, classes)
	}
	return llm.Any
}

func enumSchema(e *vm.Enum) *llm.Schema {
	es := &llm.EnumSchema{Name: e.Name, Description: e.Description}
	for _, v := range e.Values {
		es.Values = append(es.Values, llm.EnumValueSchema{Name: v.Name, Alias: v.Alias, Description: v.Description})
	}
	return llm.EnumOf(es)
}

func classSchema(c *vm.Class, classes map[*vm.Class]*llm.Schema) *llm.Schema {
	if s, ok := classes[c]; ok {
		return s
	}
	cs := &llm.ClassSchema{Name: c.Name, Description: c.Description}
	s := llm.ClassOf(cs)
	classes[c] = s
	for _, f := range c.Fields {
		cs.Fields = append(cs.Fields, llm.FieldSchema{Name: f.Name, Alias: f.Alias, Description: f.Description, Type: schemaOf(f.Type, classes)})
	}
	return s
}

func clientDecls(p *vm.Program) []llm.ClientDecl {
	var out []llm.ClientDecl
	for _, c := range p.Clients() {
		d := llm.ClientDecl{Name: c.Decl.Name.Name, Pos: posString(c.File, c.Decl.Client)}
		opts := map[string]any{}
		for _, e := range c.Decl.Body.Entries {
			switch e.Key {
			case "provider":
				d.Provider = configString(e.Value)
			case "retry_policy":
				d.RetryPolicy = configString(e.Value)
			case "options":
				if e.Block != nil {
					opts = configMap(e.Block)
				}
			default:
				opts[e.Key] = configValue(e)
			}
		}
		d.Options = opts
		out = append(out, d)
	}
	return out
}

func policyDecls(p *vm.Program) []llm.RetryPolicyDecl {
	var out []llm.RetryPolicyDecl
	for _, r := range p.RetryPolicies() {
		out = append(out, llm.RetryPolicyDecl{Name: r.Decl.Name.Name, Fields: configMap(r.Decl.Body), Pos: posString(r.File, r.Decl.Retry)})
	}
	return out
}

func posString(file string, p syntax.Pos) string {
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

func configMap(b *syntax.ConfigBlock) map[string]any {
	m := make(map[string]any, len(b.Entries))
	for _, e := range b.Entries {
		m[e.Key] = configValue(e)
	}
	return m
}

func configValue(e *syntax.ConfigEntry) any {
	if e.Block != nil {
		return configMap(e.Block)
	}
	return configExpr(e.Value)
}

// configExpr converts a config value: literals to Go values, env.NAME to
// llm.Env (resolved at call time), bare identifiers to their names, lists
// element by element.
func configExpr(x syntax.Expr) any {
	switch x := x.(type) {
	case *syntax.Literal:
		return x.Value
	case *syntax.Ident:
		return x.Name
	case *syntax.DotExpr:
		if id, ok := x.X.(*syntax.Ident); ok && id.Name == "env" {
			return llm.Env{Name: x.Name.Name}
		}
		return configString(x)
	case *syntax.ListExpr:
		out := make([]any, len(x.Elems))
		for i, el := range x.Elems {
			out[i] = configExpr(el)
		}
		return out
	case *syntax.UnaryExpr:
		if lit, ok := x.X.(*syntax.Literal); ok && x.Op == syntax.MINUS {
			switch v := lit.Value.(type) {
			case int64:
				return -v
			case float64:
				return -v
			}
		}
	}
	return nil
}

// configString renders a name-like config value: `openai`, "openai",
// `a.b`.
func configString(x syntax.Expr) string {
	switch x := x.(type) {
	case *syntax.Literal:
		if s, ok := x.Value.(string); ok {
			return s
		}
		return x.Raw
	case *syntax.Ident:
		return x.Name
	case *syntax.DotExpr:
		return configString(x.X) + "." + x.Name.Name
	}
	return ""
}
