// tplvalue.go presents snapshot values to templates.

package llm

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/bexrun/bex/vmspan"
)

// templateValue converts an argument in snapshot form to what templates see:
// an Object becomes a *tplObject (fields by attribute or item, JSON when
// printed whole), an Enum its value, and lists and maps types that print as
// JSON. Scalars are passed as they are.
func templateValue(v any) any {
	switch x := v.(type) {
	case vmspan.Object:
		o := &tplObject{class: x.Class, names: make([]string, len(x.Fields)), vals: make(map[string]any, len(x.Fields))}
		for i, f := range x.Fields {
			o.names[i] = f.Name
			o.vals[f.Name] = templateValue(f.Value)
		}
		return o
	case vmspan.Enum:
		return x.Value
	case []any:
		out := make(tplList, len(x))
		for i, e := range x {
			out[i] = templateValue(e)
		}
		return out
	case map[string]any:
		out := make(tplMap, len(x))
		for k, e := range x {
			out[k] = templateValue(e)
		}
		return out
	}
	return v
}

// A tplObject is a class instance seen by a template.
type tplObject struct {
	class string
	names []string // field order
	vals  map[string]any
}

// GetAttribute implements exec.AttributeGetter: {{ t.title }}.
func (o *tplObject) GetAttribute(name string) (*exec.Value, bool) {
	v, ok := o.vals[name]
	return exec.AsValue(v), ok
}

// GetItem implements exec.ItemGetter: {{ t["title"] }}.
func (o *tplObject) GetItem(key any) (*exec.Value, bool) {
	k, _ := key.(string)
	v, ok := o.vals[k]
	return exec.AsValue(v), ok
}

// String prints the object as JSON, fields in declaration order.
func (o *tplObject) String() string { return jsonText(o) }

// A tplList is a list seen by a template; it prints as JSON.
type tplList []any

// String prints the list as JSON.
func (l tplList) String() string { return jsonText(l) }

// A tplMap is a map seen by a template; it prints as JSON (keys sorted).
type tplMap map[string]any

// String prints the map as JSON.
func (m tplMap) String() string { return jsonText(m) }

func jsonText(v any) string {
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case *tplObject:
		b.WriteByte('{')
		for i, n := range x.names {
			if i > 0 {
				b.WriteString(", ")
			}
			writeScalar(b, n)
			b.WriteString(": ")
			writeJSON(b, x.vals[n])
		}
		b.WriteByte('}')
	case tplList:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case tplMap:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeScalar(b, k)
			b.WriteString(": ")
			writeJSON(b, x[k])
		}
		b.WriteByte('}')
	default:
		writeScalar(b, v)
	}
}

func writeScalar(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.WriteString("null")
		return
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}
