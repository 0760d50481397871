// format.go renders {{ ctx.output_format }}: a readable schema of the return type.

package llm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bexrun/bex/runtime/types"
)

// OutputFormat returns the text of {{ ctx.output_format }} for a return type,
// in the style of BAML's: classes as a JSON-like schema with field
// descriptions as // comments, enums as a list of their values (hoisted
// above the schema when used inside it), lists, optionals ("X or null") and
// unions ("A or B"). For a plain string return type it is empty.
func OutputFormat(s *types.Type) string { return OutputFormatWith(s, nil) }

// OutputFormatWith is OutputFormat for a call whose overlay o adds fields
// to @@dynamic classes and values to @@dynamic enums: they are shown after
// the declared ones, like them.
func OutputFormatWith(s *types.Type, o *types.Overlay) string {
	if s == nil {
		s = types.StringType
	}
	if text, ok := simpleFormat(s, o); ok {
		return text
	}
	f := &formatter{inClass: map[*types.ClassDecl]bool{}, seenEnum: map[*types.EnumDecl]bool{}, inAlias: map[*types.AliasDecl]bool{}, overlay: o}
	body := f.typeText(s, 0)
	var b strings.Builder
	for _, e := range f.enums {
		b.WriteString(enumDef(e, o))
		b.WriteString("\n\n")
	}
	b.WriteString(lead(kindOf(s)))
	b.WriteString(body)
	return b.String()
}

// simpleFormat returns the output format of types that need no schema.
func simpleFormat(s *types.Type, o *types.Overlay) (string, bool) {
	u := s.Underlying()
	switch kindOf(s) {
	case types.String:
		return "", true
	case types.Optional:
		if kindOf(u.Elem) == types.String {
			return "", true // string? takes the reply as is, like string
		}
		return "", false
	case types.Int:
		return "Answer as an int", true
	case types.Float:
		return "Answer as a float", true
	case types.Bool:
		return "Answer as a bool (true or false)", true
	case types.Null:
		return "Answer with null", true
	case types.Enum:
		return "Answer with any of the categories:\n" + enumDef(u.Enum, o), true
	case types.List, types.Map, types.Class, types.Union, types.Literal:
		return "", false
	}
	return "Answer in JSON", true // any
}

func lead(k types.Kind) string {
	switch k {
	case types.List:
		return "Answer with a JSON Array using this schema:\n"
	case types.Union, types.Optional:
		return "Answer in JSON using any of these schemas:\n"
	}
	return "Answer in JSON using this schema:\n"
}

// A formatter renders nested types, collecting the enums it meets so that
// their definitions can be printed once, above the schema.
type formatter struct {
	inClass  map[*types.ClassDecl]bool // classes being rendered (recursion guard)
	inAlias  map[*types.AliasDecl]bool // aliases being rendered (recursion guard)
	seenEnum map[*types.EnumDecl]bool
	enums    []*types.EnumDecl
	overlay  *types.Overlay // the call's additions to @@dynamic types
}

func (f *formatter) typeText(s *types.Type, indent int) string {
	if s.Kind == types.Alias {
		if f.inAlias[s.Alias] {
			return s.Alias.Name // a recursive alias: name it instead of expanding forever
		}
		f.inAlias[s.Alias] = true
		defer delete(f.inAlias, s.Alias)
		return f.typeText(s.Alias.Type, indent)
	}
	switch s.Kind {
	case types.Class:
		return f.classText(s.Class, indent)
	case types.Enum:
		if !f.seenEnum[s.Enum] {
			f.seenEnum[s.Enum] = true
			f.enums = append(f.enums, s.Enum)
		}
		return s.Enum.Name
	case types.List:
		return f.listText(s.Elem, indent)
	case types.Map:
		return "map<" + f.typeText(s.Key, indent) + ", " + f.typeText(s.Elem, indent) + ">"
	case types.Optional:
		return f.typeText(s.Elem, indent) + " or null"
	case types.Union:
		parts := make([]string, len(s.Variants))
		for i, v := range s.Variants {
			parts[i] = f.typeText(v, indent)
		}
		return strings.Join(parts, " or ")
	case types.Literal:
		return literalText(s.Literal)
	}
	return s.String()
}

func (f *formatter) listText(elem *types.Type, indent int) string {
	u := elem.Underlying()
	switch u.Kind {
	case types.Class:
		if f.inClass[u.Class] {
			return u.Class.Name + "[]"
		}
		pad := strings.Repeat(" ", indent)
		return "[\n" + pad + "  " + f.typeText(elem, indent+2) + "\n" + pad + "]"
	case types.Union, types.Optional:
		text := f.typeText(elem, indent)
		if strings.Contains(text, " or ") {
			return "(" + text + ")[]"
		}
		return text + "[]" // a recursive alias, named
	}
	return f.typeText(elem, indent) + "[]"
}

func (f *formatter) classText(c *types.ClassDecl, indent int) string {
	if f.inClass[c] {
		return c.Name // a recursive class: name it instead of expanding forever
	}
	f.inClass[c] = true
	defer delete(f.inClass, c)
	pad := strings.Repeat(" ", indent+2)
	var b strings.Builder
	b.WriteString("{\n")
	for _, fd := range f.overlay.Fields(c) {
		if fd.Skip {
			continue
		}
		for _, line := range descriptionLines(fd.Description) {
			b.WriteString(pad + "// " + line + "\n")
		}
		b.WriteString(pad + fd.ShownName() + ": " + f.typeText(fd.Type, indent+2) + ",\n")
	}
	b.WriteString(strings.Repeat(" ", indent) + "}")
	return b.String()
}

func descriptionLines(d string) []string {
	d = strings.TrimSpace(d)
	if d == "" {
		return nil
	}
	lines := strings.Split(d, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines
}

// enumDef renders an enum as its name, a rule, and one "- VALUE: description"
// line per variant.
func enumDef(e *types.EnumDecl, o *types.Overlay) string {
	var b strings.Builder
	b.WriteString(e.Name)
	if d := strings.Join(descriptionLines(e.Description), " "); d != "" {
		b.WriteString(": " + d)
	}
	b.WriteString("\n----")
	for _, v := range o.Values(e) {
		if v.Skip {
			continue
		}
		b.WriteString("\n- " + v.ShownName())
		if d := strings.Join(descriptionLines(v.Description), " "); d != "" {
			b.WriteString(": " + d)
		}
	}
	return b.String()
}

// kindOf returns the kind of s with aliases resolved; a nil type is a
// string (the return type of a function that declares none).
func kindOf(s *types.Type) types.Kind {
	if s == nil {
		return types.String
	}
	return s.Underlying().Kind
}

// literalText renders a literal type's value as JSON, as the model sees it.
func literalText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
