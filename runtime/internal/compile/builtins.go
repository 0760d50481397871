// builtins.go lists the built-in methods and global functions the compiler knows.

package compile

// A MethodID names a built-in method (whatever the receiver type).
type MethodID uint8

// The built-in methods. The VM implements each for the receiver kinds listed in
// Methods.
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
	methodMax
)

// MethodNames maps each MethodID to its bex name.
var MethodNames = [...]string{
	MLength: "length", MUpper: "upper", MLower: "lower", MTrim: "trim", MSplit: "split",
	MContains: "contains", MStartsWith: "starts_with", MEndsWith: "ends_with", MReplace: "replace",
	MIndexOf: "index_of", MSlice: "slice", MToString: "to_string", MToInt: "to_int",
	MToFloat: "to_float", MPush: "push", MPop: "pop", MJoin: "join", MReverse: "reverse",
	MConcat: "concat", MKeys: "keys", MValues: "values", MGet: "get", MRemove: "remove",
	MAbs: "abs", MRound: "round", MFloor: "floor", MCeil: "ceil",
}

// LookupMethod returns the id of the named method, or MethodUnknown.
func LookupMethod(name string) MethodID {
	for i, n := range MethodNames {
		if n == name && n != "" {
			return MethodID(i)
		}
	}
	return MethodUnknown
}

// A MethodSig describes one method on one receiver kind: its arity and its
// result type given the receiver's static type.
type MethodSig struct {
	Min, Max int
	result   func(recv *Type) *Type
}

func fixed(t *Type) func(*Type) *Type { return func(*Type) *Type { return t } }

func same(recv *Type) *Type { return recv }

func elemOf(recv *Type) *Type { return weakOf(recv.Elem) }

func optElemOf(recv *Type) *Type {
	if recv.Elem == nil || recv.Elem.Kind == TAny {
		return AnyType
	}
	return weakOf(&Type{Kind: TOptional, Elem: recv.Elem})
}

var stringList = &Type{Kind: TList, Elem: StringType}

// Methods lists the built-in methods by receiver kind (TInt, TFloat, TString,
// TBool, TList, TMap).
var Methods = map[TypeKind]map[MethodID]MethodSig{
	TString: {
		MLength: {0, 0, fixed(IntType)}, MUpper: {0, 0, fixed(StringType)},
		MLower: {0, 0, fixed(StringType)}, MTrim: {0, 0, fixed(StringType)},
		MSplit: {1, 1, fixed(stringList)}, MContains: {1, 1, fixed(BoolType)},
		MStartsWith: {1, 1, fixed(BoolType)}, MEndsWith: {1, 1, fixed(BoolType)},
		MReplace: {2, 2, fixed(StringType)}, MIndexOf: {1, 1, fixed(IntType)},
		MSlice: {1, 2, fixed(StringType)}, MToString: {0, 0, fixed(StringType)},
		MToInt: {0, 0, fixed(IntType)}, MToFloat: {0, 0, fixed(FloatType)},
	},
	TList: {
		MLength: {0, 0, fixed(IntType)}, MPush: {1, 1, fixed(NullType)},
		MPop: {0, 0, elemOf}, MContains: {1, 1, fixed(BoolType)},
		MJoin: {1, 1, fixed(StringType)}, MIndexOf: {1, 1, fixed(IntType)},
		MSlice: {1, 2, same}, MReverse: {0, 0, same}, MConcat: {1, 1, same},
	},
	TMap: {
		MLength: {0, 0, fixed(IntType)}, MKeys: {0, 0, fixed(stringList)},
		MValues:   {0, 0, func(r *Type) *Type { return &Type{Kind: TList, Elem: r.Elem} }},
		MContains: {1, 1, fixed(BoolType)}, MGet: {1, 2, optElemOf}, MRemove: {1, 1, optElemOf},
	},
	TInt: {
		MToString: {0, 0, fixed(StringType)}, MToFloat: {0, 0, fixed(FloatType)},
		MAbs: {0, 0, fixed(IntType)},
	},
	TFloat: {
		MToString: {0, 0, fixed(StringType)}, MToInt: {0, 0, fixed(IntType)},
		MAbs: {0, 0, fixed(FloatType)}, MRound: {0, 0, fixed(IntType)},
		MFloor: {0, 0, fixed(IntType)}, MCeil: {0, 0, fixed(IntType)},
	},
	TBool: {
		MToString: {0, 0, fixed(StringType)},
	},
	TEnum: {
		MToString: {0, 0, fixed(StringType)},
	},
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
	BMediaFromURL    // image.from_url(url[, media_type]), audio..., pdf..., video...; the kind is the first argument
	BMediaFromBase64 // image.from_base64(media_type, base64), ...; the kind is the first argument
	builtinMax
)

// BuiltinNames maps each BuiltinID to its bex name.
var BuiltinNames = [...]string{BLen: "len", BRange: "range", BMin: "min", BMax: "max", BAbs: "abs",
	BMediaFromURL: "from_url", BMediaFromBase64: "from_base64"}

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

func isMediaKind(name string) bool {
	return name == "image" || name == "audio" || name == "pdf" || name == "video"
}

type builtinSig struct {
	Min, Max int
	result   func(args []*Type) *Type
}

var intList = &Type{Kind: TList, Elem: IntType}

var builtins = map[string]struct {
	id  BuiltinID
	sig builtinSig
}{
	"len":   {BLen, builtinSig{1, 1, func([]*Type) *Type { return IntType }}},
	"range": {BRange, builtinSig{1, 2, func([]*Type) *Type { return intList }}},
	"min":   {BMin, builtinSig{2, 2, numericResult}},
	"max":   {BMax, builtinSig{2, 2, numericResult}},
	"abs":   {BAbs, builtinSig{1, 1, numericResult}},
}

// numericResult is the static result of min, max and abs: int for all-int
// operands, float when one is a float, otherwise unknown.
func numericResult(args []*Type) *Type {
	res := IntType
	for _, a := range args {
		switch {
		case a == nil || a.weak:
			return AnyType
		case a.Kind == TFloat:
			res = FloatType
		case a.Kind != TInt:
			return AnyType
		}
	}
	return res
}
