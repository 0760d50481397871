// typexpr.go resolves type expressions to types and checks declared names.

package compile

import (
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// resolveType turns a type expression into a Type, reporting unknown names
// and invalid map keys. It is the one resolver of declared types: fields,
// parameters, results, aliases, lets, lambdas and host signatures.
func (c *compiler) resolveType(file string, te syntax.TypeExpr) *types.Type {
	switch te := te.(type) {
	case nil:
		return types.AnyType
	case *syntax.NamedType:
		return c.namedType(file, te)
	case *syntax.ListType:
		return types.ListOf(c.resolveType(file, te.Elem))
	case *syntax.MapType:
		key := c.resolveType(file, te.Key)
		if !validMapKey(key) {
			c.errorf(file, te.Key.Span(), "maps may only have strings, enums or literal strings as keys, not %s", key)
			key = types.StringType
		}
		return types.MapOf(key, c.resolveType(file, te.Value))
	case *syntax.OptionalType:
		return types.OptionalOf(c.resolveType(file, te.Elem))
	case *syntax.UnionType:
		u := &types.Type{Kind: types.Union}
		for _, v := range te.Types {
			u.Variants = append(u.Variants, c.resolveType(file, v))
		}
		return u
	case *syntax.LiteralType:
		if te.Value.Kind == syntax.NullLit {
			return types.NullType
		}
		return types.LiteralOf(te.Value.Value)
	case *syntax.FuncType:
		sig := &types.Signature{Result: c.resolveType(file, te.Result)}
		for _, p := range te.Params {
			sig.Params = append(sig.Params, &types.Param{Type: c.resolveType(file, p)})
		}
		return types.FuncOf(sig)
	case *syntax.AttrType:
		return c.attrType(file, te)
	}
	c.errorf(file, te.Span(), "unsupported type expression")
	return types.AnyType
}

// attrType resolves a type with attributes: @assert and @check become the
// type's constraints; @description is accepted (it documents the type).
func (c *compiler) attrType(file string, te *syntax.AttrType) *types.Type {
	t := c.resolveType(file, te.Type)
	var checks []*types.Constraint
	for _, a := range te.Attrs {
		switch a.Name {
		case "assert", "check":
			checks = append(checks, c.constraint(file, a))
		case "description", "alias", "stream.done", "stream.not_null", "stream.with_state":
		default:
			c.unknownAttr(file, a, "type")
		}
	}
	if len(checks) == 0 {
		return t
	}
	out := *t
	out.Checks = append(append([]*types.Constraint(nil), t.Checks...), checks...)
	return &out
}

func (c *compiler) namedType(file string, te *syntax.NamedType) *types.Type {
	switch te.Name {
	case "int":
		return types.IntType
	case "float":
		return types.FloatType
	case "string":
		return types.StringType
	case "bool":
		return types.BoolType
	case "null":
		return types.NullType
	case "any", "json":
		return types.AnyType
	case "image":
		return types.MediaOf(types.Image)
	case "audio":
		return types.MediaOf(types.Audio)
	case "pdf":
		return types.MediaOf(types.PDF)
	case "video":
		return types.MediaOf(types.Video)
	}
	if cl := c.classes[te.Name]; cl != nil {
		return types.ClassOf(cl)
	}
	if en := c.enums[te.Name]; en != nil {
		return types.EnumOf(en)
	}
	if a := c.aliases[te.Name]; a != nil {
		return &types.Type{Kind: types.Alias, Alias: a}
	}
	c.errorf(file, te.NamePos, "unknown type %s", te.Name)
	return types.AnyType
}

// validMapKey reports whether t may key a map: string, an enum, a string
// literal, or a union (or alias) of those.
func validMapKey(t *types.Type) bool {
	for _, m := range t.Members() {
		switch {
		case m.Kind == types.String, m.Kind == types.Enum, m.Kind == types.Any:
		case m.Kind == types.Literal && types.LiteralKind(m.Literal) == types.String:
		default:
			return false
		}
	}
	return true
}

// reserved are the words BAML reserves: they may not name a variable, a
// parameter or a field, so that programs stay valid BAML.
var reserved = map[string]bool{}

func init() {
	for _, w := range []string{
		"and", "any", "assert", "async", "audio", "await", "bool", "box", "break", "catch",
		"class", "const", "continue", "defer", "do", "dyn", "elif", "else", "emit", "enum",
		"export", "extends", "extern", "false", "finally", "float", "for", "function", "global",
		"goto", "image", "implements", "import", "in", "instanceof", "int", "internal", "lambda",
		"let", "macro", "module", "move", "mut", "namespace", "native", "new", "nil", "not",
		"null", "or", "package", "pdf", "private", "protected", "pub", "public", "readonly",
		"ref", "return", "sealed", "self", "Self", "sizeof", "static", "string", "struct",
		"super", "switch", "this", "throw", "throws", "trait", "true", "try", "typeof", "union",
		"unsafe", "unsized", "use", "var", "video", "virtual", "void", "volatile", "while",
		"with", "yield",
	} {
		reserved[w] = true
	}
}

// checkName reports a variable, parameter or field named by a reserved word.
func (c *compiler) checkName(file string, id *syntax.Ident, what string) {
	if reserved[id.Name] {
		c.errorf(file, id.NamePos, "'%s' is a reserved keyword and cannot name a %s", id.Name, what)
	}
}
