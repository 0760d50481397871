// format.go renders {{ ctx.output_format }}: a readable schema of the return type.

package llm

import (
	"strings"
)

// OutputFormat returns the text of {{ ctx.output_format }} for a return type,
// in the style of BAML's: classes as a JSON-like schema with field
// descriptions as // comments, enums as a list of their values (hoisted
// above the schema when used inside it), lists, optionals ("X or null") and
// unions ("A or B"). For a plain string return type it is empty.
func OutputFormat(s *Schema) string {
	if text, ok := simpleFormat(s); ok {
		return text
	}
	f := &formatter{inClass: map[*ClassSchema]bool{}, seenEnum: map[*EnumSchema]bool{}}
	body := f.typeText(s, 0)
	var b strings.Builder
	for _, e := range f.enums {
		b.WriteString(enumDef(e))
		b.WriteString("\n\n")
	}
	b.WriteString(lead(s.Kind))
	b.WriteString(body)
	return b.String()
}

// simpleFormat returns the output format of types that need no schema.
func simpleFormat(s *Schema) (string, bool) {
	switch s.kind() {
	case KindString:
		return "", true
	case KindOptional:
		if s.Elem.kind() == KindString {
			return "", true // string? takes the reply as is, like string
		}
	case KindInt:
		return "Answer as an int", true
	case KindFloat:
		return "Answer as a float", true
	case KindBool:
		return "Answer as a bool (true or false)", true
	case KindNull:
		return "Answer with null", true
	case KindAny:
		return "Answer in JSON", true
	case KindEnum:
		return "Answer with any of the categories:\n" + enumDef(s.Enum), true
	}
	return "", false
}

func lead(k Kind) string {
	switch k {
	case KindList:
		return "Answer with a JSON Array using this schema:\n"
	case KindUnion, KindOptional:
		return "Answer in JSON using any of these schemas:\n"
	}
	return "Answer in JSON using this schema:\n"
}

// A formatter renders nested types, collecting the enums it meets so that
// their definitions can be printed once, above the schema.
type formatter struct {
	inClass  map[*ClassSchema]bool // classes being rendered (recursion guard)
	seenEnum map[*EnumSchema]bool
	enums    []*EnumSchema
}

func (f *formatter) typeText(s *Schema, indent int) string {
	switch s.kind() {
	case KindClass:
		return f.classText(s.Class, indent)
	case KindEnum:
		if !f.seenEnum[s.Enum] {
			f.seenEnum[s.Enum] = true
			f.enums = append(f.enums, s.Enum)
		}
		return s.Enum.Name
	case KindList:
		return f.listText(s.Elem, indent)
	case KindMap:
		return "map<string, " + f.typeText(s.Elem, indent) + ">"
	case KindOptional:
		return f.typeText(s.Elem, indent) + " or null"
	case KindUnion:
		parts := make([]string, len(s.Variants))
		for i, v := range s.Variants {
			parts[i] = f.typeText(v, indent)
		}
		return strings.Join(parts, " or ")
	}
	return s.String()
}

func (f *formatter) listText(elem *Schema, indent int) string {
	switch elem.kind() {
	case KindClass:
		if f.inClass[elem.Class] {
			return elem.Class.Name + "[]"
		}
		pad := strings.Repeat(" ", indent)
		return "[\n" + pad + "  " + f.typeText(elem, indent+2) + "\n" + pad + "]"
	case KindUnion, KindOptional:
		return "(" + f.typeText(elem, indent) + ")[]"
	}
	return f.typeText(elem, indent) + "[]"
}

func (f *formatter) classText(c *ClassSchema, indent int) string {
	if f.inClass[c] {
		return c.Name // a recursive class: name it instead of expanding forever
	}
	f.inClass[c] = true
	defer delete(f.inClass, c)
	pad := strings.Repeat(" ", indent+2)
	var b strings.Builder
	b.WriteString("{\n")
	for i := range c.Fields {
		fd := &c.Fields[i]
		for _, line := range descriptionLines(fd.Description) {
			b.WriteString(pad + "// " + line + "\n")
		}
		b.WriteString(pad + fd.shownName() + ": " + f.typeText(fd.Type, indent+2) + ",\n")
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
func enumDef(e *EnumSchema) string {
	var b strings.Builder
	b.WriteString(e.Name)
	if d := strings.Join(descriptionLines(e.Description), " "); d != "" {
		b.WriteString(": " + d)
	}
	b.WriteString("\n----")
	for i := range e.Values {
		v := &e.Values[i]
		b.WriteString("\n- " + v.shownName())
		if d := strings.Join(descriptionLines(v.Description), " "); d != "" {
			b.WriteString(": " + d)
		}
	}
	return b.String()
}
