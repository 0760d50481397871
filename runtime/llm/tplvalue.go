// tplvalue.go presents snapshot values to templates.

package llm

import (
	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// templateValue converts an argument in snapshot form to what templates see:
// an Object becomes a *tplObject (fields by attribute or item, JSON when
// printed whole), an Enum its value, and lists and maps types that print as
// JSON. Scalars are passed as they are.
func templateValue(v any) any {
	switch x := v.(type) {
	case vmspan.Object:
		o := &tplObject{snap: x, vals: make(map[string]any, len(x.Fields))}
		for _, f := range x.Fields {
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
	snap vmspan.Object // printed whole
	vals map[string]any
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

// String prints the object in spanjson's prompt form: JSON, fields in
// declaration order.
func (o *tplObject) String() string { return jsonText(o) }

// A tplList is a list seen by a template; it prints as JSON.
type tplList []any

// String prints the list as JSON.
func (l tplList) String() string { return jsonText(l) }

// A tplMap is a map seen by a template; it prints as JSON (keys sorted).
type tplMap map[string]any

// String prints the map as JSON.
func (m tplMap) String() string { return jsonText(m) }

// jsonText prints a template value whole, in spanjson's prompt form.
func jsonText(v any) string {
	return string(spanjson.Encoder{Prompt: true}.AppendValue(nil, snapshotOf(v)))
}

// snapshotOf returns the snapshot a template value was made from (see
// templateValue); an enum value became its variant, which the prompt form
// prints the same way.
func snapshotOf(v any) any {
	switch x := v.(type) {
	case *tplObject:
		return x.snap
	case tplList:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = snapshotOf(e)
		}
		return out
	case tplMap:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = snapshotOf(e)
		}
		return out
	}
	return v
}
