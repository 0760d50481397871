// convert.go translates compiled declarations into the LLM runtime's terms:
// client<llm> and retry_policy blocks into client and policy declarations.

package engine

import (
	"fmt"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
)

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
