// renderplan.go renders the simplest prompt templates without the template
// engine: text with {{ arg }}, {{ ctx.output_format }}, {{ ctx.client.* }}
// and {{ _.role("...") }}.

package llm

import (
	"strings"

	"github.com/bexrun/bex/vmspan"
)

// A plan renders a template that is text and the simplest expressions by
// concatenation, the way gonja renders it, for the calls whose arguments
// allow it (see render). Most prompts are of this kind, and the template
// engine costs more than the rest of an LLM call's work in bex. Anything
// else — a block or a comment tag, whitespace control, any other
// expression, a carriage return — has no plan, and gonja renders it.
type plan struct {
	parts []planPart
}

// A planPart is literal text or one expression.
type planPart struct {
	kind planKind
	text string // the text, the argument's name, or the role's marker
}

type planKind uint8

const (
	planText       planKind = iota
	planArg                 // {{ name }}: an argument, printed when it is a string or an enum
	planFormat              // {{ ctx.output_format }}
	planClientName          // {{ ctx.client.name }}
	planProvider            // {{ ctx.client.provider }}
	planRole                // {{ _.role("user") }}
)

// planLiterals are the names that are literals, not variables, in Jinja:
// {{ true }} prints True whatever the arguments.
var planLiterals = map[string]bool{"true": true, "false": true, "none": true, "True": true, "False": true, "None": true}

// planOf returns the plan of template text src (already dedented), or nil.
func planOf(src string, roleMarker func(string) string) *plan {
	if strings.Contains(src, "{%") || strings.Contains(src, "{#") || strings.ContainsRune(src, '\r') {
		return nil
	}
	p := &plan{}
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			p.add(planPart{planText, src})
			return p
		}
		p.add(planPart{planText, src[:i]})
		j := strings.Index(src[i+2:], "}}")
		if j < 0 {
			return nil
		}
		part, ok := planExpr(src[i+2:i+2+j], roleMarker)
		if !ok {
			return nil
		}
		p.add(part)
		src = src[i+2+j+2:]
	}
}

func (p *plan) add(part planPart) {
	if part.kind != planText || part.text != "" {
		p.parts = append(p.parts, part)
	}
}

// planExpr reads the expression between {{ and }}.
func planExpr(expr string, roleMarker func(string) string) (planPart, bool) {
	if strings.HasPrefix(expr, "-") || strings.HasPrefix(expr, "+") || strings.HasSuffix(expr, "-") || strings.ContainsAny(expr, "{}") {
		return planPart{}, false // whitespace control, or not an expression this plan knows
	}
	e := strings.Trim(expr, " \t") // gonja's lexer skips only these; other spacing is left to gonja
	switch e {
	case "ctx.output_format":
		return planPart{kind: planFormat}, true
	case "ctx.client.name":
		return planPart{kind: planClientName}, true
	case "ctx.client.provider":
		return planPart{kind: planProvider}, true
	}
	if role, ok := roleCall(e); ok {
		return planPart{planRole, roleMarker(role)}, true
	}
	if isIdent(e) && !planLiterals[e] && e != "ctx" && e != "_" {
		return planPart{planArg, e}, true
	}
	return planPart{}, false
}

// roleCall reads _.role("r") or _.role('r') with a valid role r.
func roleCall(e string) (string, bool) {
	arg, ok := strings.CutPrefix(e, "_.role(")
	if !ok {
		return "", false
	}
	if arg, ok = strings.CutSuffix(arg, ")"); !ok || len(arg) < 2 || (arg[0] != '"' && arg[0] != '\'') || arg[len(arg)-1] != arg[0] {
		return "", false
	}
	role := arg[1 : len(arg)-1]
	return role, validRoles[role]
}

func isIdent(s string) bool {
	for i, c := range []byte(s) {
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// render renders the plan for req, or reports false when an argument it
// prints is missing or is not a string or an enum value (gonja renders
// those, and reports the missing ones).
func (p *plan) render(req *Request, format func() string, clientName, provider string) (string, bool) {
	var b strings.Builder
	b.Grow(p.size(req, format, clientName, provider))
	for _, part := range p.parts {
		switch part.kind {
		case planText, planRole:
			b.WriteString(part.text)
		case planFormat:
			b.WriteString(format())
		case planClientName:
			b.WriteString(clientName)
		case planProvider:
			b.WriteString(provider)
		case planArg:
			s, ok := planArgText(req.Args, part.text)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
	}
	return b.String(), true
}

// size returns the length of the rendered text, near enough to size the
// buffer once.
func (p *plan) size(req *Request, format func() string, clientName, provider string) int {
	n := len(clientName) + len(provider)
	for _, part := range p.parts {
		switch part.kind {
		case planText, planRole:
			n += len(part.text)
		case planFormat:
			n += len(format())
		case planArg:
			s, _ := planArgText(req.Args, part.text)
			n += len(s)
		}
	}
	return n
}

// planArgText returns the text of argument name as gonja prints it, when
// it is a string or an enum value.
func planArgText(args []vmspan.Arg, name string) (string, bool) {
	for i := len(args) - 1; i >= 0; i-- { // the last of a repeated name wins, as in the data map
		if args[i].Name != name {
			continue
		}
		switch v := args[i].Value.(type) {
		case string:
			return v, true
		case vmspan.Enum:
			return v.Value, true
		}
		return "", false
	}
	return "", false
}
