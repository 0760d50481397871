// tplvalue.go presents snapshot values to templates.

package llm

import (
	"strconv"

	"github.com/nikolalohinski/gonja/v2/exec"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

// A tplConv converts the arguments of one render. It numbers the media
// values it meets, whose markers the rendered text carries until split
// turns them into message parts.
type tplConv struct {
	marker string // media marker prefix; holds the Runtime's nonce
	media  []*vmspan.Media
}

// value converts an argument in snapshot form to what templates see: an
// Object becomes a *tplObject (fields by attribute or item, JSON when
// printed whole), an Enum its value, a media value a *tplMedia (a marker
// that becomes a content part of its message), and lists and maps types
// that print as JSON. Scalars are passed as they are.
func (cv *tplConv) value(v any) any {
	switch x := v.(type) {
	case vmspan.Object:
		o := &tplObject{snap: x, vals: make(map[string]any, len(x.Fields))}
		before := len(cv.media)
		for _, f := range x.Fields {
			o.vals[f.Name] = cv.value(f.Value)
		}
		if len(cv.media) > before { // printed whole, its media print as references
			o.snap = refMedia(x).(vmspan.Object)
		}
		return o
	case vmspan.Enum:
		return x.Value
	case *vmspan.Media:
		cv.media = append(cv.media, x)
		return &tplMedia{m: x, marker: cv.marker + strconv.Itoa(len(cv.media)-1) + "\x00"}
	case []any:
		out := make(tplList, len(x))
		for i, e := range x {
			out[i] = cv.value(e)
		}
		return out
	case map[string]any:
		out := make(tplMap, len(x))
		for k, e := range x {
			out[k] = cv.value(e)
		}
		return out
	}
	return v
}

// A tplMedia is a media value seen by a template. It prints as a marker
// that split turns into a media part of the message it is in; its url and
// media_type are readable as attributes.
type tplMedia struct {
	m      *vmspan.Media
	marker string
}

// String returns the media's marker.
func (t *tplMedia) String() string { return t.marker }

// GetAttribute implements exec.AttributeGetter: {{ img.url }}, {{ img.media_type }}.
func (t *tplMedia) GetAttribute(name string) (*exec.Value, bool) {
	switch name {
	case "url":
		return exec.AsValue(t.m.URL), true
	case "media_type":
		return exec.AsValue(t.m.MediaType), true
	}
	return nil, false
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
// tplConv.value); an enum value became its variant, which the prompt form
// prints the same way. Media inside a value printed whole print as their
// reference (only {{ img }} alone becomes a content part).
func snapshotOf(v any) any {
	switch x := v.(type) {
	case *tplObject:
		return x.snap
	case *tplMedia:
		return x.m.Ref()
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

// refMedia returns a snapshot with its media values replaced by their
// references.
func refMedia(v any) any {
	switch x := v.(type) {
	case *vmspan.Media:
		return x.Ref()
	case vmspan.Object:
		fields := make([]vmspan.Arg, len(x.Fields))
		for i, f := range x.Fields {
			fields[i] = vmspan.Arg{Name: f.Name, Value: refMedia(f.Value)}
		}
		return vmspan.Object{Class: x.Class, Fields: fields}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = refMedia(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = refMedia(e)
		}
		return out
	}
	return v
}
