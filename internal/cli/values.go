// values.go formats span arguments and results (event snapshots) for people.

package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
)

// maxValueWidth bounds a formatted argument list or result, in runes.
const maxValueWidth = 120

// fmtArgs formats arguments as "(name: value, ...)", cut at maxValueWidth.
func fmtArgs(args []vmspan.Arg) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name + ": ")
		writeValue(&b, a.Value)
	}
	b.WriteByte(')')
	return cut(b.String())
}

// fmtValue formats a snapshot value in bex syntax, cut at maxValueWidth:
// strings quoted, lists [..], maps {"k": v} with sorted keys, class
// instances Name { field: v }, enum values Enum.Variant.
func fmtValue(v any) string {
	var b strings.Builder
	writeValue(&b, v)
	return cut(b.String())
}

func writeValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(strconv.Quote(v))
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		writeMap(b, v)
	case vmspan.Object:
		b.WriteString(v.Class + " {")
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + f.Name + ": ")
			writeValue(b, f.Value)
		}
		b.WriteString(" }")
	case vmspan.Enum:
		b.WriteString(v.Name + "." + v.Value)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		b.WriteString(s)
	default:
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " ")))
	}
}

func writeMap(b *strings.Builder, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(k) + ": ")
		writeValue(b, m[k])
	}
	b.WriteByte('}')
}

// cut shortens s to maxValueWidth runes, ending it with "…".
func cut(s string) string {
	if utf8.RuneCountInString(s) <= maxValueWidth {
		return s
	}
	r := []rune(s)
	return string(r[:maxValueWidth-1]) + "…"
}

// clean escapes control characters in text taken from a trace file (names,
// messages), so that a tab cannot break the columns and an escape sequence
// in a span name cannot reach the terminal.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 }
