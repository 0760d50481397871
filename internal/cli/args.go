// args.go converts --arg and --args-json values by the parameters' declared types.

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// callArgs builds the named arguments of fn from --args-json (an object of
// named arguments, or "-" to read one from stdin) and --arg name=value
// flags, which win over the JSON.
func callArgs(fn *vm.Function, argsJSON string, stdin io.Reader, flags []string) (map[string]any, error) {
	named := map[string]any{}
	if argsJSON != "" {
		var err error
		if named, err = jsonArgs(fn, argsJSON, stdin); err != nil {
			return nil, err
		}
	}
	for _, f := range flags {
		name, text, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--arg %q: want name=value", f)
		}
		p := param(fn, name)
		if p == nil {
			return nil, fmt.Errorf("--arg %s: %s has no parameter %s (parameters: %s)", name, fn.Name, name, paramList(fn))
		}
		v, err := argValue(p.Type, text)
		if p.Type.NonNull().Underlying().Kind == types.Media {
			v, err = mediaArg(text), nil
		}
		if err != nil {
			return nil, fmt.Errorf("--arg %s: %v", f, err)
		}
		named[name] = v
	}
	for _, p := range fn.Params {
		if _, ok := named[p.Name]; !ok && !p.Type.Nullable() {
			return nil, fmt.Errorf("missing argument %s: %s (give --arg %s=VALUE or --args-json)", p.Name, p.Type, p.Name)
		}
	}
	return named, nil
}

// mediaArg converts the text of --arg for a media parameter: @PATH reads a
// file, a JSON object is {"url"}, {"base64", "media_type"} or {"file"}, and
// anything else is a URL (http, https, gs, s3 or data:). The engine checks
// and converts the value.
func mediaArg(text string) any {
	if path, ok := strings.CutPrefix(text, "@"); ok {
		return map[string]any{"file": path}
	}
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		if v, err := decodeJSON(text); err == nil {
			return v
		}
	}
	return text
}

// jsonArgs decodes --args-json: an object of named arguments or an array of
// positional ones.
func jsonArgs(fn *vm.Function, text string, stdin io.Reader) (map[string]any, error) {
	if text == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("--args-json -: %v", err)
		}
		text = string(b)
	}
	v, err := decodeJSON(text)
	if err != nil {
		return nil, fmt.Errorf("--args-json: %v", err)
	}
	switch v := v.(type) {
	case map[string]any:
		return v, nil
	case []any:
		if len(v) != len(fn.Params) {
			return nil, fmt.Errorf("--args-json: %s takes %d arguments (%s), the array has %d", fn.Name, len(fn.Params), paramList(fn), len(v))
		}
		named := make(map[string]any, len(v))
		for i, p := range fn.Params {
			named[p.Name] = v[i]
		}
		return named, nil
	}
	return nil, errors.New("--args-json: want an object of named arguments or an array of positional ones")
}

func param(fn *vm.Function, name string) *vm.Param {
	for i := range fn.Params {
		if fn.Params[i].Name == name {
			return &fn.Params[i]
		}
	}
	return nil
}

// paramList returns the parameters as "name: type, ...".
func paramList(fn *vm.Function) string {
	if len(fn.Params) == 0 {
		return "none"
	}
	parts := make([]string, len(fn.Params))
	for i, p := range fn.Params {
		parts[i] = p.Name + ": " + p.Type.String()
	}
	return strings.Join(parts, ", ")
}

// argValue converts the text of --arg name=text by the parameter's declared
// type: an int, float or bool is parsed, a string or enum is the text
// itself, and lists, maps and classes are JSON. An optional takes "null" or
// its element's form; unions, literals and untyped parameters take JSON
// when the text is valid JSON and the text as a string otherwise.
func argValue(t *types.Type, text string) (any, error) {
	if t == nil {
		return jsonOrString(text), nil
	}
	switch t.Underlying().Kind {
	case types.String, types.Enum:
		return text, nil
	case types.Int:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want an int, not %q", text)
		}
		return n, nil
	case types.Float:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, fmt.Errorf("want a float, not %q", text)
		}
		return f, nil
	case types.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("want a bool (true or false), not %q", text)
		}
		return b, nil
	case types.Null:
		return nil, nil
	case types.Optional:
		if strings.TrimSpace(text) == "null" {
			return nil, nil
		}
		return argValue(t.Underlying().Elem, text)
	case types.List:
		return jsonOf[[]any](t, "array", text)
	case types.Map, types.Class:
		return jsonOf[map[string]any](t, "object", text)
	}
	return jsonOrString(text), nil // any, unions, literals
}

// jsonOf decodes text as a JSON value of Go type T (what).
func jsonOf[T any](t *types.Type, what, text string) (any, error) {
	v, err := decodeJSON(text)
	if err != nil {
		return nil, fmt.Errorf("want a JSON %s for %s: %v", what, t, err)
	}
	if _, ok := v.(T); !ok {
		return nil, fmt.Errorf("want a JSON %s for %s, not %s", what, t, strings.TrimSpace(text))
	}
	return v, nil
}

func jsonOrString(text string) any {
	if v, err := decodeJSON(text); err == nil {
		return v
	}
	return text
}

// decodeJSON decodes one JSON value, keeping integers as int64 (so that an
// int parameter gets an int) and other numbers as float64.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return numbers(v), nil
}

// numbers replaces json.Numbers by int64 or float64 values.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return v
}

// resultJSON formats a call's result as indented JSON, without HTML escaping.
func resultJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return b.Bytes(), err
}
