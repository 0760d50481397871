// convert.go translates compiled declarations into the LLM runtime's terms:
// return types into output schemas, client<llm> and retry_policy blocks into
// client and policy declarations.

package engine

import (
	"fmt"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// schemaOf describes a type for the LLM runtime. classes breaks cycles of
// recursive classes, aliases those of recursive aliases.
func schemaOf(t *types.Type, classes map[*types.ClassDecl]*llm.Schema) *llm.Schema {
	return schemaDepth(t, classes, map[*types.AliasDecl]bool{}, 0)
}

// schemaDepth converts t; a recursive alias met again inside itself becomes
// any, so the schema stays finite.
func schemaDepth(t *types.Type, classes map[*types.ClassDecl]*llm.Schema, open map[*types.AliasDecl]bool, depth int) *llm.Schema {
	if t == nil || depth > 64 {
		return llm.Any
	}
	switch t.Kind {
	case types.Int:
		return llm.Int
	case types.Float:
		return llm.Float
	case types.String:
		return llm.String
	case types.Bool:
		return llm.Bool
	case types.Null:
		return llm.Null
	case types.List:
		return llm.ListOf(schemaDepth(t.Elem, classes, open, depth+1))
	case types.Map:
		return llm.MapOf(schemaDepth(t.Elem, classes, open, depth+1))
	case types.Optional:
		return llm.OptionalOf(schemaDepth(t.Elem, classes, open, depth+1))
	case types.Union:
		vs := make([]*llm.Schema, len(t.Variants))
		for i, v := range t.Variants {
			vs[i] = schemaDepth(v, classes, open, depth+1)
		}
		return llm.UnionOf(vs...)
	case types.Literal:
		return llm.LiteralOf(t.Literal)
	case types.Enum:
		return enumSchema(t.Enum)
	case types.Class:
		return classSchema(t.Class, classes)
	case types.Alias:
		if open[t.Alias] {
			return llm.Any
		}
		open[t.Alias] = true
		defer delete(open, t.Alias)
		return schemaDepth(t.Alias.Type, classes, open, depth+1)
	}
	return llm.Any
}

func enumSchema(e *types.EnumDecl) *llm.Schema {
	es := &llm.EnumSchema{Name: e.Name, Description: e.Description}
	for _, v := range e.Values {
		es.Values = append(es.Values, llm.EnumValueSchema{Name: v.Name, Alias: v.Alias, Description: v.Description})
	}
	return llm.EnumOf(es)
}

func classSchema(c *types.ClassDecl, classes map[*types.ClassDecl]*llm.Schema) *llm.Schema {
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
				d.Provider = syntax.Word(e.Value)
			case "retry_policy":
				d.RetryPolicy = syntax.Word(e.Value)
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

// policyDecls converts the retry policies. The fields the compiler warned
// about (options, unknown strategy fields) are left out.
func policyDecls(p *vm.Program) []llm.RetryPolicyDecl {
	var out []llm.RetryPolicyDecl
	for _, r := range p.RetryPolicies() {
		fields := configMap(r.Decl.Body)
		delete(fields, "options")
		if st, ok := fields["strategy"].(map[string]any); ok {
			for k := range st {
				if k != "type" && k != "delay_ms" && k != "multiplier" && k != "max_delay_ms" {
					delete(st, k)
				}
			}
		}
		out = append(out, llm.RetryPolicyDecl{Name: r.Decl.Name.Name, Fields: fields, Pos: posString(r.File, r.Decl.Retry)})
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
		return syntax.Word(x)
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
