// media.go converts the arguments of media parameters (image, audio, pdf,
// video) into media values.

package engine

import (
	"maps"
	"slices"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// mediaKindOf returns the media kind of a declared parameter type (image,
// audio, pdf, video, or one of them optional), or "".
func mediaKindOf(te syntax.TypeExpr) string {
	switch t := te.(type) {
	case *syntax.NamedType:
		if vmspan.IsMediaKind(t.Name) {
			return t.Name
		}
	case *syntax.OptionalType:
		return mediaKindOf(t.Elem)
	}
	return ""
}

// mediaArgs converts the arguments of fn's media parameters: a URL, a
// {url} / {base64, media_type} / {file} map, or a *vmspan.Media of the
// right kind (see llm.MediaFrom). A nil argument is left for the optional
// check. The caller's map or slice is not modified: a converted argument
// goes into a copy.
func mediaArgs(fn *vm.Function, named map[string]any, positional []any) (map[string]any, []any, error) {
	if fn.Decl == nil {
		return named, positional, nil
	}
	copied := false
	for i, p := range fn.Decl.Params {
		kind := mediaKindOf(p.Type)
		if kind == "" {
			continue
		}
		var x any
		switch {
		case named != nil:
			x = named[p.Name.Name]
		case i < len(positional):
			x = positional[i]
		}
		if x == nil {
			continue
		}
		m, err := llm.MediaFrom(kind, x)
		if err != nil {
			return nil, nil, &ArgError{fn.Name, "argument " + p.Name.Name + ": " + err.Error()}
		}
		if !copied {
			named, positional, copied = maps.Clone(named), slices.Clone(positional), true
		}
		if named != nil {
			named[p.Name.Name] = m
		} else {
			positional[i] = m
		}
	}
	return named, positional, nil
}

// optionalMedia reports whether fn's parameter i is an optional media type
// (image?, ...), which the VM's type model sees as any: a missing argument
// is null.
func optionalMedia(fn *vm.Function, i int) bool {
	if fn.Decl == nil || i >= len(fn.Decl.Params) {
		return false
	}
	_, opt := fn.Decl.Params[i].Type.(*syntax.OptionalType)
	return opt && mediaKindOf(fn.Decl.Params[i].Type) != ""
}
