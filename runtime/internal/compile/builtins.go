// builtins.go lists the built-in methods, the global built-in functions and
// the baml standard-library namespace that the compiler knows.

package compile

import "github.com/bexrun/bex/runtime/types"

// A MethodID names a built-in method (whatever the receiver type).
type MethodID uint8

// The built-in methods. The VM implements each for the receiver kinds listed
// in Methods.
const (
	MethodUnknown MethodID = iota
	MLength
	MUpper
	MLower
	MTrim
	MSplit
	MContains
	MStartsWith
	MEndsWith
	MReplace
	MIndexOf
	MSlice
	MToString
	MToInt
	MToFloat
	MPush
	MPop
	MJoin
	MReverse
	MConcat
	MKeys
	MValues
	MGet
	MRemove
	MAbs
	MRound
	MFloor
	MCeil
	MAt
	MSubstring
	methodMax
)

// MethodNames maps each MethodID to its bex name.
var MethodNames = [...]string{
	MLength: "length", MUpper: "upper", MLower: "lower", MTrim: "trim", MSplit: "split",
	MContains: "contains", MStartsWith: "starts_with", MEndsWith: "ends_with", MReplace: "replace",
	MIndexOf: "index_of", MSlice: "slice", MToString: "to_string", MToInt: "to_int",
	MToFloat: "to_float", MPush: "push", MPop: "pop", MJoin: "join", MReverse: "reverse",
	MConcat: "concat", MKeys: "keys", MValues: "values", MGet: "get", MRemove: "remove",
	MAbs: "abs", MRound: "round", MFloor: "floor", MCeil: "ceil", MAt: "at", MSubstring: "substring",
}

// methodAliases are BAML's names for methods bex also spells its own way.
var methodAliases = map[string]MethodID{
	"toLowerCase": MLower, "toUpperCase": MUpper, "includes": MContains,
	"startsWith": MStartsWith, "endsWith": MEndsWith, "has": MContains,
}

// LookupMethod returns the id of the named method, or MethodUnknown.
func LookupMethod(name string) MethodID {
	if id, ok := methodAliases[name]; ok {
		return id
	}
	for i, n := range MethodNames {
		if n == name && n != "" {
			return MethodID(i)
		}
	}
	return MethodUnknown
}

// A MethodSig describes one method on one receiver kind: its arity, the
// types its arguments must have, and its result type, given the receiver's
// static type.
type MethodSig struct {
	Min, Max int
	args     func(c *compiler, recv *types.Type) []*types.Type // nil entries take any value
	result   func(c *compiler, recv *types.Type) *types.Type
}

func fixed(t *types.Type) func(*compiler, *types.Type) *types.Type {
	return func(*compiler, *types.Type) *types.Type { return t }
}

func same(_ *compiler, recv *types.Type) *types.Type { return recv }

func elemOf(c *compiler, recv *types.Type) *types.Type { return c.weakOf(recv.Elem) }

func optElemOf(c *compiler, recv *types.Type) *types.Type {
	if recv.Elem == nil || recv.Elem.Kind == types.Any {
		return types.AnyType
	}
	return c.weakOf(types.OptionalOf(recv.Elem))
}

func argTypes(ts ...*types.Type) func(*compiler, *types.Type) []*types.Type {
	return func(*compiler, *types.Type) []*types.Type { return ts }
}

func elemArg(_ *compiler, recv *types.Type) []*types.Type { return []*types.Type{recv.Elem} }

func keyArg(_ *compiler, recv *types.Type) []*types.Type { return []*types.Type{recv.Key, recv.Elem} }

func sameArg(_ *compiler, recv *types.Type) []*types.Type { return []*types.Type{recv} }

var (
	str        = types.StringType
	integer    = types.IntType
	stringList = types.ListOf(types.StringType)
	intList    = types.ListOf(types.IntType)
)

// Methods lists the built-in methods by receiver kind.
var Methods = map[types.Kind]map[MethodID]MethodSig{
	types.String: {
		MLength: {0, 0, nil, fixed(integer)}, MUpper: {0, 0, nil, fixed(str)},
		MLower: {0, 0, nil, fixed(str)}, MTrim: {0, 0, nil, fixed(str)},
		MSplit: {1, 1, argTypes(str), fixed(stringList)}, MContains: {1, 1, argTypes(str), fixed(types.BoolType)},
		MStartsWith: {1, 1, argTypes(str), fixed(types.BoolType)}, MEndsWith: {1, 1, argTypes(str), fixed(types.BoolType)},
		MReplace: {2, 2, argTypes(str, str), fixed(str)}, MIndexOf: {1, 1, argTypes(str), fixed(integer)},
		MSlice: {1, 2, argTypes(integer, integer), fixed(str)}, MSubstring: {1, 2, argTypes(integer, integer), fixed(str)},
		MToString: {0, 0, nil, fixed(str)}, MToInt: {0, 0, nil, fixed(integer)}, MToFloat: {0, 0, nil, fixed(types.FloatType)},
	},
	types.List: {
		MLength: {0, 0, nil, fixed(integer)}, MPush: {1, 1, elemArg, fixed(types.NullType)},
		MPop: {0, 0, nil, optElemOf}, MContains: {1, 1, nil, fixed(types.BoolType)},
		MJoin: {1, 1, argTypes(str), fixed(str)}, MIndexOf: {1, 1, nil, fixed(integer)},
		MSlice: {1, 2, argTypes(integer, integer), same}, MReverse: {0, 0, nil, same},
		MConcat: {1, 1, sameArg, same}, MAt: {1, 1, argTypes(integer), optElemOf},
	},
	types.Map: {
		MLength: {0, 0, nil, fixed(integer)},
		MKeys: {0, 0, nil, func(_ *compiler, r *types.Type) *types.Type {
			return types.ListOf(mapKeyType(r.Key))
		}},
		MValues:   {0, 0, nil, func(c *compiler, r *types.Type) *types.Type { return types.ListOf(c.weakOf(r.Elem)) }},
		MContains: {1, 1, keyArg, fixed(types.BoolType)}, MGet: {1, 2, keyArg, optElemOf}, MRemove: {1, 1, keyArg, optElemOf},
	},
	types.Int: {
		MToString: {0, 0, nil, fixed(str)}, MToFloat: {0, 0, nil, fixed(types.FloatType)},
		MAbs: {0, 0, nil, fixed(integer)},
	},
	types.Float: {
		MToString: {0, 0, nil, fixed(str)}, MToInt: {0, 0, nil, fixed(integer)},
		MAbs: {0, 0, nil, fixed(types.FloatType)}, MRound: {0, 0, nil, fixed(integer)},
		MFloor: {0, 0, nil, fixed(integer)}, MCeil: {0, 0, nil, fixed(integer)},
	},
	types.Bool: {
		MToString: {0, 0, nil, fixed(str)},
	},
	types.Enum: {
		MToString: {0, 0, nil, fixed(str)},
	},
	types.Media: {
		MToString: {0, 0, nil, fixed(str)},
	},
}

// mapKeyType is the type of a map's keys as the VM holds them: enum keys
// are held as the variants' names.
func mapKeyType(k *types.Type) *types.Type {
	for _, m := range k.Members() {
		if m.Kind == types.Enum || m.Kind == types.Any {
			return types.StringType
		}
	}
	return k
}

// A BuiltinID names a global built-in function.
type BuiltinID uint8

// The global built-in functions.
const (
	BuiltinUnknown BuiltinID = iota
	BLen
	BRange
	BMin
	BMax
	BAbs
	BDeepCopy
	BDeepEquals
	BString
	BEnvGet
	BMediaFromURL    // image.from_url(url[, media_type]), audio..., pdf..., video...; the kind is the first argument
	BMediaFromBase64 // image.from_base64(media_type, base64), ...; the kind is the first argument
	builtinMax
)

// BuiltinNames maps each BuiltinID to its bex name.
var BuiltinNames = [...]string{
	BLen: "len", BRange: "range", BMin: "min", BMax: "max", BAbs: "abs",
	BDeepCopy: "baml.deep_copy", BDeepEquals: "baml.deep_equals", BString: "baml.unstable.string", BEnvGet: "env.get",
	BMediaFromURL: "from_url", BMediaFromBase64: "from_base64",
}

// mediaConstructors are the media types' constructors, BAML's
// image.from_url(url[, media_type]) and image.from_base64(media_type,
// base64) (and the same on audio, pdf and video), by method name.
var mediaConstructors = map[string]struct {
	id       BuiltinID
	min, max int
}{
	"from_url":    {BMediaFromURL, 1, 2},
	"from_base64": {BMediaFromBase64, 2, 2},
}

// mediaKinds maps the media types' names to their kinds.
var mediaKinds = map[string]types.MediaKind{
	"image": types.Image, "audio": types.Audio, "pdf": types.PDF, "video": types.Video,
}

type builtinSig struct {
	Min, Max int
	result   func(c *compiler, args []*types.Type) *types.Type
}

type builtin struct {
	id  BuiltinID
	sig builtinSig
}

var builtins = map[string]builtin{
	"len":   {BLen, builtinSig{1, 1, func(*compiler, []*types.Type) *types.Type { return integer }}},
	"range": {BRange, builtinSig{1, 2, func(*compiler, []*types.Type) *types.Type { return intList }}},
	"min":   {BMin, builtinSig{2, 2, numericResult}},
	"max":   {BMax, builtinSig{2, 2, numericResult}},
	"abs":   {BAbs, builtinSig{1, 1, numericResult}},
}

// numericResult is the static result of min, max and abs: int for all-int
// operands, float when one is a float, otherwise unknown.
func numericResult(c *compiler, args []*types.Type) *types.Type {
	res := integer
	for _, a := range args {
		a = a.Underlying()
		switch {
		case a == nil || c.isWeak(a):
			return types.AnyType
		case a.Kind == types.Float:
			res = types.FloatType
		case a.Kind != types.Int:
			return types.AnyType
		}
	}
	return res
}

// A stdFunc is a function of the baml standard library, called by its
// qualified name: baml.Array.length(xs) is the method length of the list
// xs; baml.deep_copy(x) a built-in function.
type stdFunc struct {
	recv   types.Kind // the receiver's kind for a method (the first argument)
	method MethodID
	fn     builtin // for the free functions
}

// stdlib lists the baml namespace as BAML documents it: the methods of
// Array, String and Map, callable as baml.Array.length(xs) as well as
// xs.length(), and the free functions deep_copy, deep_equals,
// unstable.string and env.get.
var stdlib = map[string]stdFunc{
	"baml.Array.length":       {recv: types.List, method: MLength},
	"baml.Array.push":         {recv: types.List, method: MPush},
	"baml.Array.at":           {recv: types.List, method: MAt},
	"baml.Array.concat":       {recv: types.List, method: MConcat},
	"baml.String.length":      {recv: types.String, method: MLength},
	"baml.String.toLowerCase": {recv: types.String, method: MLower},
	"baml.String.toUpperCase": {recv: types.String, method: MUpper},
	"baml.String.trim":        {recv: types.String, method: MTrim},
	"baml.String.includes":    {recv: types.String, method: MContains},
	"baml.String.startsWith":  {recv: types.String, method: MStartsWith},
	"baml.String.endsWith":    {recv: types.String, method: MEndsWith},
	"baml.String.split":       {recv: types.String, method: MSplit},
	"baml.String.substring":   {recv: types.String, method: MSubstring},
	"baml.String.replace":     {recv: types.String, method: MReplace},
	"baml.Map.length":         {recv: types.Map, method: MLength},
	"baml.Map.has":            {recv: types.Map, method: MContains},
	"baml.deep_copy": {fn: builtin{BDeepCopy, builtinSig{1, 1, func(_ *compiler, a []*types.Type) *types.Type {
		return a[0]
	}}}},
	"baml.deep_equals": {fn: builtin{BDeepEquals, builtinSig{2, 2, func(*compiler, []*types.Type) *types.Type {
		return types.BoolType
	}}}},
	"baml.unstable.string": {fn: builtin{BString, builtinSig{1, 1, func(*compiler, []*types.Type) *types.Type {
		return types.StringType
	}}}},
	"env.get": {fn: builtin{BEnvGet, builtinSig{1, 1, func(*compiler, []*types.Type) *types.Type {
		return types.StringType
	}}}},
}

// StdlibNames returns the qualified names of the baml standard library, for
// documentation and tests.
func StdlibNames() []string {
	names := make([]string, 0, len(stdlib))
	for n := range stdlib {
		names = append(names, n)
	}
	return names
}
