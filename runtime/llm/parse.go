// parse.go finds JSON in a model's reply and parses it leniently.

package llm

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bexrun/bex/runtime/types"
)

// ParseOutput turns a model's reply into a value of the return type s, in
// snapshot form (see Result.Value). A nil s (string) or a plain string type
// takes the whole reply as is. Otherwise the reply's candidates are tried in order —
// the whole reply as strict JSON, the contents of ``` fences (last first),
// JSON-looking {...} and [...] spans in the prose (last first, repaired when
// broken or truncated), and finally the bare reply text — first coercing
// strictly (no conversions), then leniently; the first candidate that
// coerces wins. When none does, the error is a *ParseError naming the field
// on which the most complete candidate failed.
func ParseOutput(reply string, s *types.Type) (any, error) {
	switch kindOf(s) {
	case types.String:
		return reply, nil
	case types.Optional:
		if kindOf(s.Underlying().Elem) == types.String {
			if t := strings.TrimSpace(reply); strings.EqualFold(t, "null") {
				return nil, nil
			}
			return reply, nil
		}
	}
	if s == nil {
		s = types.StringType
	}
	cands := candidates(reply)
	var best *coerceError
	for _, strict := range []bool{true, false} {
		c := coercer{strict: strict}
		for _, v := range cands {
			out, err := c.coerce(v, s, "")
			if err == nil {
				return out, nil
			}
			if !strict && (best == nil || err.depth > best.depth) {
				best = err
			}
		}
	}
	return nil, &ParseError{Path: best.path, Msg: best.msg, Reply: reply}
}

// maxCandidates bounds the work spent on replies with many brackets.
const maxCandidates = 16

// candidates returns the values that the reply may be meant as, best first.
func candidates(reply string) []any {
	var out []any
	trimmed := strings.TrimSpace(reply)
	if v, ok := strictJSON(trimmed); ok {
		out = append(out, v)
	}
	fences := fencedBlocks(reply)
	for i := len(fences) - 1; i >= 0 && len(out) < maxCandidates; i-- {
		out = append(out, parseLenient(fences[i]))
	}
	spans := jsonSpans(reply)
	for i := len(spans) - 1; i >= 0 && len(out) < maxCandidates; i-- {
		out = append(out, parseLenient(spans[i]))
	}
	return append(out, trimmed)
}

// strictJSON parses s as one JSON value, numbers as int64 or float64.
func strictJSON(s string) (any, bool) {
	if !json.Valid([]byte(s)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return fromJSONNumbers(v), true
}

func fromJSONNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return numberValue(string(x))
	case []any:
		for i := range x {
			x[i] = fromJSONNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSONNumbers(x[k])
		}
	}
	return v
}

// numberValue converts number text to int64 when it is an integer that fits,
// else to float64; ok is false when s is not a finite number.
func numberValue(s string) any {
	v, ok := parseNumber(s)
	if !ok {
		return s
	}
	return v
}

func parseNumber(s string) (any, bool) {
	s = strings.TrimPrefix(s, "+")
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	return f, true
}

// fencedBlocks returns the contents of ``` fenced blocks, in order. The
// language tag after the opening fence is dropped; an unclosed final fence
// runs to the end of the reply (a truncated reply).
func fencedBlocks(s string) []string {
	var out []string
	for len(out) < maxCandidates {
		i := strings.Index(s, "```")
		if i < 0 {
			break
		}
		s = s[i+3:]
		if nl := strings.IndexByte(s, '\n'); nl >= 0 && isFenceTag(s[:nl]) {
			s = s[nl+1:]
		}
		end := strings.Index(s, "```")
		if end < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:end])
		s = s[end+3:]
	}
	return out
}

// isFenceTag reports whether the text after an opening fence is a language
// tag ("json", "JSON5", "") rather than content.
func isFenceTag(s string) bool {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '+' {
			return false
		}
	}
	return true
}

// jsonSpans returns the top-level {...} and [...] spans of s, in order,
// matching brackets outside string literals. An unclosed span runs to the
// end of s.
func jsonSpans(s string) []string {
	var out []string
	for i := 0; i < len(s) && len(out) < maxCandidates; i++ {
		if s[i] != '{' && s[i] != '[' {
			continue
		}
		end := matchBracket(s, i)
		out = append(out, s[i:end])
		i = end - 1
	}
	return out
}

// matchBracket returns the index just past the bracket matching s[start],
// or len(s) when it is never closed.
func matchBracket(s string, start int) int {
	depth := 0
	var quote byte
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"':
			quote = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// parseLenient parses JSON as models write it: it accepts trailing and
// missing commas, single-quoted strings, unquoted keys and bare-word values,
// // and /* */ comments, Python's True/False/None, unescaped quotes inside
// strings, and a value truncated at the end (open strings and brackets are
// closed). It never fails: text that is not JSON at all becomes a string.
func parseLenient(s string) any {
	p := &lenient{s: strings.TrimSpace(s)}
	v := p.value(false)
	p.skipSpace()
	if p.i < len(p.s) && !p.isContainer(v) {
		// Prose after a scalar ("3 apples"): the whole text is the value.
		return p.s
	}
	return v
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

type lenient struct {
	s     string
	i     int
	depth int
}

func (p *lenient) isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func (p *lenient) skipSpace() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case strings.HasPrefix(p.s[p.i:], "//"):
			if nl := strings.IndexByte(p.s[p.i:], '\n'); nl >= 0 {
				p.i += nl + 1
			} else {
				p.i = len(p.s)
			}
		case strings.HasPrefix(p.s[p.i:], "/*"):
			if end := strings.Index(p.s[p.i+2:], "*/"); end >= 0 {
				p.i += end + 4
			} else {
				p.i = len(p.s)
			}
		default:
			return
		}
	}
}

// value parses one value; inContainer says whether bare words end at
// separators (inside an object or array) or run to the end of the text.
func (p *lenient) value(inContainer bool) any {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil
	}
	switch c := p.s[p.i]; c {
	case '{', '[':
		if p.depth >= maxDepth {
			p.i = len(p.s)
			return nil
		}
		p.depth++
		defer func() { p.depth-- }()
		if c == '{' {
			return p.object()
		}
		return p.array()
	case '"', '\'':
		return p.str(c, inContainer)
	}
	return p.bare(inContainer)
}

func (p *lenient) object() map[string]any {
	out := map[string]any{}
	p.i++ // {
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return out
		}
		switch p.s[p.i] {
		case '}':
			p.i++
			return out
		case ',':
			p.i++
			continue
		case ']': // mismatched close: end the object here
			return out
		}
		key := p.key()
		p.skipSpace()
		if p.i < len(p.s) && (p.s[p.i] == ':' || p.s[p.i] == '=') {
			p.i++
			out[key] = p.value(true)
		} else if key != "" {
			out[key] = nil
		} else {
			p.i++ // an unexpected byte: skip it
		}
	}
}

func (p *lenient) key() string {
	if c := p.s[p.i]; c == '"' || c == '\'' {
		s, _ := p.str(c, false).(string) // keys rarely hold quotes: the first one closes
		return s
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(":=,{}[]\n", rune(p.s[p.i])) {
		p.i++
	}
	return strings.TrimSpace(p.s[start:p.i])
}

func (p *lenient) array() []any {
	out := []any{}
	p.i++ // [
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return out
		}
		switch p.s[p.i] {
		case ']':
			p.i++
			return out
		case ',':
			p.i++
			continue
		case '}':
			return out
		}
		start := p.i
		out = append(out, p.value(true))
		if p.i == start {
			p.i++ // no progress: skip the byte
		}
	}
}

// str parses a quoted string. Inside a container, a quote that is not
// followed by a separator is taken as part of the string (models often
// forget to escape quotes); an unclosed string runs to the end.
func (p *lenient) str(q byte, inContainer bool) any {
	var b strings.Builder
	p.i++
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			p.escape(&b)
			continue
		case c == q && (!inContainer || p.closesString()):
			p.i++
			return b.String()
		}
		b.WriteByte(c)
		p.i++
	}
	return b.String()
}

// closesString reports whether the quote at p.i ends its string: it is
// followed by a separator, a newline or the end of the text.
func (p *lenient) closesString() bool {
	for j := p.i + 1; j < len(p.s); j++ {
		switch p.s[j] {
		case ' ', '\t', '\r':
			continue
		case ',', ':', '}', ']', '/', '\n':
			return true
		}
		return false
	}
	return true
}

func (p *lenient) escape(b *strings.Builder) {
	c := p.s[p.i+1]
	p.i += 2
	switch c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'u':
		b.WriteRune(p.unicodeEscape())
	default:
		b.WriteByte(c) // \" \' \\ \/ and unknown escapes keep the character
	}
}

func (p *lenient) unicodeEscape() rune {
	r, ok := p.hex4()
	if !ok {
		return utf8.RuneError
	}
	if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(p.s[p.i:], `\u`) {
		p.i += 2
		if lo, ok := p.hex4(); ok && lo >= 0xDC00 && lo < 0xE000 {
			return (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
		}
		return utf8.RuneError
	}
	return r
}

func (p *lenient) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		p.i = len(p.s)
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	p.i += 4
	return rune(n), err == nil
}

// bare parses an unquoted word: a number, true/false/null (and Python's
// True/False/None), or else a string. Inside a container it ends at a
// separator or a newline.
func (p *lenient) bare(inContainer bool) any {
	start := p.i
	if inContainer {
		for p.i < len(p.s) && !strings.ContainsRune(",}]\n", rune(p.s[p.i])) {
			p.i++
		}
	} else {
		p.i = len(p.s)
	}
	w := strings.TrimSpace(p.s[start:p.i])
	switch w {
	case "true", "True":
		return true
	case "false", "False":
		return false
	case "null", "None", "undefined":
		return nil
	}
	if v, ok := parseNumber(w); ok && looksNumeric(w) {
		return v
	}
	return w
}

// looksNumeric rejects words that strconv accepts but a model does not mean
// as numbers ("Inf", "0x10", "1_000").
func looksNumeric(w string) bool {
	for _, r := range w {
		if !strings.ContainsRune("0123456789+-.eE", r) {
			return false
		}
	}
	return w != ""
}

// compactJSON renders a parsed value as compact JSON (for a string field that
// received an object or a list).
func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
