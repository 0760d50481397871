// coerce.go coerces parsed reply values to the declared return type.

package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// A coercer converts a parsed value to a type. A strict coercer accepts
// only values of the right JSON kind (an integral float counts as an int); a
// lenient one also converts strings to numbers, bools and enums found in
// prose, scalars to strings, and a single value to a one-element list.
type coercer struct {
	strict bool
}

// A coerceError is a failed coercion; depth counts the path components that
// matched before the failure, so that the most complete attempt is reported.
type coerceError struct {
	path  string
	msg   string
	depth int
}

func (c coercer) fail(path string, s *types.Type, v any) *coerceError {
	return &coerceError{path: path, msg: "want " + s.String() + ", got " + describe(v), depth: pathDepth(path)}
}

func pathDepth(path string) int {
	if path == "" {
		return 0
	}
	return 1 + strings.Count(path, ".") + strings.Count(path, "[")
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// coerce converts v to s; path names v for errors. Aliases are resolved,
// but errors name the type as declared.
func (c coercer) coerce(v any, s *types.Type, path string) (any, *coerceError) {
	switch kindOf(s) {
	case types.String:
		return c.toString(v, s, path)
	case types.Int:
		return c.toInt(v, s, path)
	case types.Float:
		return c.toFloat(v, s, path)
	case types.Bool:
		return c.toBool(v, s, path)
	case types.Null:
		if v == nil || !c.strict && isNullWord(v) {
			return nil, nil
		}
	case types.List:
		return c.toList(v, s, path)
	case types.Map:
		return c.toMap(v, s, path)
	case types.Class:
		return c.toClass(v, s, path)
	case types.Enum:
		return c.toEnum(v, s, path)
	case types.Optional:
		return c.toOptional(v, s, path)
	case types.Union:
		return c.toUnion(v, s, path)
	case types.Literal:
		if lit := s.Underlying().Literal; c.literalMatches(v, lit) {
			return lit, nil
		}
	default: // any, media (given as is), functions (never an LLM's output)
		return v, nil
	}
	return nil, c.fail(path, s, v)
}

func (c coercer) toString(v any, s *types.Type, path string) (any, *coerceError) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
	case int64, float64, bool:
		if !c.strict {
			return fmt.Sprint(x), nil
		}
	default:
		if !c.strict {
			return compactJSON(x), nil
		}
	}
	return nil, c.fail(path, s, v)
}

func (c coercer) toInt(v any, s *types.Type, path string) (any, *coerceError) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), nil
		}
	case string:
		if !c.strict {
			if n, ok := parseNumber(numberWord(x)); ok {
				return c.toInt(n, s, path)
			}
		}
	}
	return nil, c.fail(path, s, v)
}

func (c coercer) toFloat(v any, s *types.Type, path string) (any, *coerceError) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		if !c.strict {
			if n, ok := parseNumber(numberWord(x)); ok {
				return c.toFloat(n, s, path)
			}
		}
	}
	return nil, c.fail(path, s, v)
}

// numberWord trims what models put around numbers: spaces, quotes, a final
// period, thousands separators.
func numberWord(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "\"'`*")
	s = strings.TrimSuffix(s, ".")
	return strings.ReplaceAll(s, ",", "")
}

func (c coercer) toBool(v any, s *types.Type, path string) (any, *coerceError) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if !c.strict {
			switch strings.ToLower(strings.Trim(strings.TrimSpace(x), "\"'`*.")) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
	}
	return nil, c.fail(path, s, v)
}

func isNullWord(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "null" || s == "none"
}

func (c coercer) toList(v any, s *types.Type, path string) (any, *coerceError) {
	elem := s.Underlying().Elem
	xs, ok := v.([]any)
	if !ok {
		if c.strict || v == nil {
			return nil, c.fail(path, s, v)
		}
		// A single value where a list is expected: a one-element list.
		e, err := c.coerce(v, elem, path+"[0]")
		if err != nil {
			return nil, c.fail(path, s, v)
		}
		return []any{e}, nil
	}
	out := make([]any, len(xs))
	for i, x := range xs {
		e, err := c.coerce(x, elem, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (c coercer) toMap(v any, s *types.Type, path string) (any, *coerceError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, c.fail(path, s, v)
	}
	u := s.Underlying()
	out := make(map[string]any, len(m))
	for k, x := range m {
		key, ok := c.mapKey(k, u.Key)
		if !ok {
			return nil, &coerceError{path: joinPath(path, k), msg: "not a key of " + s.String(), depth: pathDepth(joinPath(path, k))}
		}
		e, err := c.coerce(x, u.Elem, joinPath(path, k))
		if err != nil {
			return nil, err
		}
		out[key] = e
	}
	return out, nil
}

// mapKey checks a reply's map key against the declared key type: any string
// for string keys, a variant (by name or alias, as for enum values) for enum
// keys, one of the literals for literal keys. It returns the key to keep.
func (c coercer) mapKey(k string, key *types.Type) (string, bool) {
	for _, m := range key.Members() {
		switch m.Kind {
		case types.String, types.Any:
			return k, true
		case types.Enum:
			if name, ok := matchEnum(m.Enum, k, true); ok {
				return name, true
			}
		case types.Literal:
			if c.literalMatches(k, m.Literal) {
				return m.Literal.(string), true
			}
		}
	}
	return "", false
}

func (c coercer) toClass(v any, s *types.Type, path string) (any, *coerceError) {
	if xs, ok := v.([]any); ok && len(xs) == 1 && !c.strict {
		v = xs[0] // a one-element list where an object is expected
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, c.fail(path, s, v)
	}
	cls := s.Underlying().Class
	obj := vmspan.Object{Class: cls.Name, Fields: make([]vmspan.Arg, len(cls.Fields))}
	for i, f := range cls.Fields {
		if f.Skip { // @skip: never shown to the model, never read from the reply
			obj.Fields[i] = vmspan.Arg{Name: f.Name}
			continue
		}
		fpath := joinPath(path, f.Name)
		x, found := lookupField(m, f)
		if !found || x == nil {
			if f.Type.Nullable() {
				obj.Fields[i] = vmspan.Arg{Name: f.Name}
				continue
			}
			if !found {
				return nil, &coerceError{path: fpath, msg: "missing (want " + f.Type.String() + ")", depth: pathDepth(fpath)}
			}
		}
		e, err := c.coerce(x, f.Type, fpath)
		if err != nil {
			return nil, err
		}
		obj.Fields[i] = vmspan.Arg{Name: f.Name, Value: e}
	}
	return obj, nil
}

// lookupField finds a field's value by alias, then by name, then by either
// compared case-insensitively and ignoring '_', '-' and spaces.
func lookupField(m map[string]any, f *types.Field) (any, bool) {
	for _, k := range []string{f.Alias, f.Name} {
		if k == "" {
			continue
		}
		if x, ok := m[k]; ok {
			return x, true
		}
	}
	for k, x := range m {
		nk := normalizeKey(k)
		if nk == normalizeKey(f.Name) || f.Alias != "" && nk == normalizeKey(f.Alias) {
			return x, true
		}
	}
	return nil, false
}

func normalizeKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, k)
}

func (c coercer) toEnum(v any, s *types.Type, path string) (any, *coerceError) {
	str, ok := v.(string)
	if !ok {
		return nil, c.fail(path, s, v)
	}
	e := s.Underlying().Enum
	if name, ok := matchEnum(e, str, c.strict); ok {
		return vmspan.Enum{Name: e.Name, Value: name}, nil
	}
	return nil, c.fail(path, s, v)
}

// matchEnum finds the variant a string names: exactly by name or alias, then
// case-insensitively with quotes and punctuation around it trimmed, then
// (leniently) as the only variant mentioned as a whole word in the text.
func matchEnum(e *types.EnumDecl, s string, strict bool) (string, bool) {
	for _, v := range e.Values {
		if s == v.Name || v.Alias != "" && s == v.Alias {
			return v.Name, true
		}
	}
	t := strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '_' && r != '-' })
	for _, v := range e.Values {
		if strings.EqualFold(t, v.Name) || v.Alias != "" && strings.EqualFold(t, v.Alias) {
			return v.Name, true
		}
	}
	if strict {
		return "", false
	}
	found := ""
	for _, v := range e.Values {
		if mentions(s, v.Name) || v.Alias != "" && mentions(s, v.Alias) {
			if found != "" {
				return "", false // ambiguous
			}
			found = v.Name
		}
	}
	return found, found != ""
}

// mentions reports whether text contains word as a whole word, ignoring case.
func mentions(text, word string) bool {
	if word == "" {
		return false
	}
	lt, lw := strings.ToLower(text), strings.ToLower(word)
	for i := 0; ; {
		j := strings.Index(lt[i:], lw)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(lw)
		if !isWordByteAt(lt, start-1) && !isWordByteAt(lt, end) {
			return true
		}
		i = start + 1
	}
}

func isWordByteAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func (c coercer) toOptional(v any, s *types.Type, path string) (any, *coerceError) {
	if v == nil {
		return nil, nil
	}
	out, err := c.coerce(v, s.Underlying().Elem, path)
	if err != nil && !c.strict && isNullWord(v) {
		return nil, nil
	}
	return out, err
}

// toUnion tries the variants in order, first strictly, then (when c is
// lenient) leniently, so that an exact match wins over a conversion.
func (c coercer) toUnion(v any, s *types.Type, path string) (any, *coerceError) {
	if v == nil && s.Nullable() {
		return nil, nil
	}
	var best *coerceError
	passes := []coercer{{strict: true}}
	if !c.strict {
		passes = append(passes, c)
	}
	for _, pc := range passes {
		for _, variant := range s.Underlying().Variants {
			out, err := pc.coerce(v, variant, path)
			if err == nil {
				return out, nil
			}
			if best == nil || err.depth > best.depth {
				best = err
			}
		}
	}
	if best == nil || best.depth <= pathDepth(path) {
		return nil, c.fail(path, s, v)
	}
	return nil, best
}

func (c coercer) literalMatches(v, lit any) bool {
	switch l := lit.(type) {
	case string:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if c.strict {
			return s == l
		}
		return strings.EqualFold(strings.Trim(strings.TrimSpace(s), "\"'`"), l)
	case int64:
		n, err := coercer{strict: c.strict}.toInt(v, types.IntType, "")
		return err == nil && n == l
	case float64:
		n, err := coercer{strict: c.strict}.toFloat(v, types.FloatType, "")
		return err == nil && n == l
	case bool:
		b, err := coercer{strict: c.strict}.toBool(v, types.BoolType, "")
		return err == nil && b == l
	case nil:
		return v == nil
	}
	return false
}

// describe renders a parsed value briefly for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(excerpt(x, 60))
	case bool, int64, float64:
		return fmt.Sprint(x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return "an object"
	case vmspan.Object:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
