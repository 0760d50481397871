// media.go converts the arguments of media parameters (image, audio, pdf,
// video) into media values.

package engine

import (
	"maps"
	"slices"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// mediaKindOf returns the media kind of a parameter's type (image, audio,
// pdf, video, or one of them optional), or "".
func mediaKindOf(t *types.Type) string {
	if u := t.NonNull().Underlying(); u.Kind == types.Media {
		return u.Media.String()
	}
	return ""
}

// mediaArgs converts the arguments of fn's media parameters: a URL, a
// {url} / {base64, media_type} / {file} map, or a *vmspan.Media of the
// right kind (see llm.MediaFrom). A nil argument is left for the optional
// check. The caller's map or slice is not modified: a converted argument
// goes into a copy.
func mediaArgs(fn *vm.Function, named map[string]any, positional []any) (map[string]any, []any, error) {
	copied := false
	for i, p := range fn.Params {
		kind := mediaKindOf(p.Type)
		if kind == "" {
			continue
		}
		var x any
		switch {
		case named != nil:
			x = named[p.Name]
		case i < len(positional):
			x = positional[i]
		}
		if x == nil {
			continue
		}
		m, err := llm.MediaFrom(kind, x)
		if err != nil {
			return nil, nil, &ArgError{Function: fn.Name, Msg: "argument " + p.Name + ": " + err.Error(), Err: err}
		}
		if !copied {
			named, positional, copied = maps.Clone(named), slices.Clone(positional), true
		}
		if named != nil {
			named[p.Name] = m
		} else {
			positional[i] = m
		}
	}
	return named, positional, nil
}
