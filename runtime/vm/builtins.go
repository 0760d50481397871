// builtins.go implements the built-in methods and global functions.

package vm

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// arity is the accepted argument count of one method on one receiver kind.
type arity struct {
	min, max int8
	ok       bool
}

// methodArity[kind][method] says whether a receiver kind has a method, and
// its arity. It is built from the compiler's table so that the two agree.
var methodArity [KindMedia + 1][64]arity

func init() {
	kinds := map[types.Kind]Kind{
		types.String: KindString, types.List: KindList, types.Map: KindMap,
		types.Int: KindInt, types.Float: KindFloat, types.Bool: KindBool, types.Enum: KindEnum,
		types.Media: KindMedia,
	}
	for tk, methods := range compile.Methods {
		for id, sig := range methods {
			methodArity[kinds[tk]][id] = arity{int8(sig.Min), int8(sig.Max), true}
		}
	}
}

// callMethod calls the built-in method id (spelled name) on recv.
func callMethod(recv Value, id compile.MethodID, name string, args []Value) (Value, error) {
	a := methodArity[recv.k][id]
	if !a.ok {
		if recv.k == KindNull {
			return Null, fmt.Errorf("cannot call method '%s' on null", name)
		}
		return Null, fmt.Errorf("%s has no method '%s'", recv.TypeName(), name)
	}
	if len(args) < int(a.min) || len(args) > int(a.max) {
		return Null, fmt.Errorf("%s.%s takes %s, got %d", recv.k, name, arityText(int(a.min), int(a.max)), len(args))
	}
	switch recv.k {
	case KindString:
		return stringMethod(recv.str(), id, name, args)
	case KindList:
		return listMethod(recv.list(), id, name, args)
	case KindMap:
		return mapMethod(recv.mapv(), id, name, args)
	case KindInt:
		return intMethod(int64(recv.n), id)
	case KindFloat:
		return floatMethod(recv.float(), id)
	case KindEnum:
		_, name := recv.Enum()
		return String(name), nil // to_string gives the variant's name
	}
	return String(recv.String()), nil // to_string on bool
}

func arityText(lo, hi int) string {
	switch {
	case lo != hi:
		return fmt.Sprintf("%d to %d arguments", lo, hi)
	case lo == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", lo)
}

// strArg returns args[i] as a string.
func strArg(recv, name string, args []Value, i int) (string, error) {
	if args[i].k != KindString {
		return "", fmt.Errorf("%s.%s: argument must be string, got %s", recv, name, args[i].TypeName())
	}
	return args[i].str(), nil
}

func intArg(recv, name string, args []Value, i int) (int, error) {
	if args[i].k != KindInt {
		return 0, fmt.Errorf("%s.%s: argument must be int, got %s", recv, name, args[i].TypeName())
	}
	return int(int64(args[i].n)), nil
}

func stringMethod(s string, id compile.MethodID, name string, args []Value) (Value, error) {
	switch id {
	case compile.MLength:
		return Int(int64(runeLen(s))), nil
	case compile.MUpper:
		return String(strings.ToUpper(s)), nil
	case compile.MLower:
		return String(strings.ToLower(s)), nil
	case compile.MTrim:
		return String(strings.TrimSpace(s)), nil
	case compile.MToString:
		return String(s), nil
	case compile.MToInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return Null, quoting("cannot convert "+strconv.Quote(s)+" to int", "cannot convert a string to int")
		}
		return Int(n), nil
	case compile.MToFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return Null, quoting("cannot convert "+strconv.Quote(s)+" to float", "cannot convert a string to float")
		}
		return Float(f), nil
	case compile.MSubstring:
		r := []rune(s)
		lo, hi, err := substringBounds(args, len(r))
		if err != nil {
			return Null, err
		}
		return String(string(r[lo:hi])), nil
	case compile.MSlice:
		r := []rune(s)
		lo, hi, err := sliceBounds("string", args, len(r))
		if err != nil {
			return Null, err
		}
		return String(string(r[lo:hi])), nil
	}
	return stringMethodArgs(s, id, name, args)
}

// stringMethodArgs implements the string methods whose arguments are strings.
func stringMethodArgs(s string, id compile.MethodID, name string, args []Value) (Value, error) {
	strs := make([]string, len(args))
	for i := range args {
		var err error
		if strs[i], err = strArg("string", name, args, i); err != nil {
			return Null, err
		}
	}
	switch id {
	case compile.MSplit:
		parts := strings.Split(s, strs[0])
		elems := make([]Value, len(parts))
		for i, p := range parts {
			elems[i] = String(p)
		}
		return NewList(elems), nil
	case compile.MContains:
		return Bool(strings.Contains(s, strs[0])), nil
	case compile.MStartsWith:
		return Bool(strings.HasPrefix(s, strs[0])), nil
	case compile.MEndsWith:
		return Bool(strings.HasSuffix(s, strs[0])), nil
	case compile.MReplace:
		if n := len(s) + strings.Count(s, strs[0])*(len(strs[1])-len(strs[0])); n > MaxStringLen {
			return Null, tooLong("string", n)
		}
		return String(strings.ReplaceAll(s, strs[0], strs[1])), nil
	case compile.MIndexOf:
		i := strings.Index(s, strs[0])
		if i < 0 {
			return Int(-1), nil
		}
		return Int(int64(runeLen(s[:i]))), nil
	}
	return Null, fmt.Errorf("internal error: string method %s", name)
}

// sliceBounds resolves the arguments of slice(a[, b]) for a sequence of
// length n: negative bounds count from the end, and bounds are clamped.
func sliceBounds(what string, args []Value, n int) (int, int, error) {
	bounds := [2]int{0, n}
	for i := range args {
		b, err := intArg(what, "slice", args, i)
		if err != nil {
			return 0, 0, err
		}
		if b < 0 {
			b += n
		}
		bounds[i] = min(max(b, 0), n)
	}
	if bounds[1] < bounds[0] {
		bounds[1] = bounds[0]
	}
	return bounds[0], bounds[1], nil
}

// substringBounds resolves the arguments of substring(start[, end]) as
// JavaScript does: bounds are clamped to the string, and swapped when start
// is after end.
func substringBounds(args []Value, n int) (int, int, error) {
	bounds := [2]int{0, n}
	for i := range args {
		b, err := intArg("string", "substring", args, i)
		if err != nil {
			return 0, 0, err
		}
		bounds[i] = min(max(b, 0), n)
	}
	if bounds[1] < bounds[0] {
		bounds[0], bounds[1] = bounds[1], bounds[0]
	}
	return bounds[0], bounds[1], nil
}

func listMethod(l *List, id compile.MethodID, name string, args []Value) (Value, error) {
	switch id {
	case compile.MAt:
		if args[0].k != KindInt {
			return Null, fmt.Errorf("list.at: argument must be int, got %s", args[0].TypeName())
		}
		i := int64(args[0].n)
		if i < 0 {
			i += int64(len(l.elems))
		}
		if i < 0 || i >= int64(len(l.elems)) {
			return Null, nil
		}
		return l.elems[i], nil
	case compile.MLength:
		return Int(int64(len(l.elems))), nil
	case compile.MPush:
		if len(l.elems) >= MaxListLen {
			return Null, errorf("push: the list already has %d elements, the limit", MaxListLen)
		}
		l.elems = append(l.elems, args[0])
		return Null, nil
	case compile.MPop:
		if len(l.elems) == 0 {
			return Null, errorf("pop from an empty list")
		}
		v := l.elems[len(l.elems)-1]
		l.elems[len(l.elems)-1] = Null
		l.elems = l.elems[:len(l.elems)-1]
		return v, nil
	case compile.MContains:
		return Bool(indexOf(l.elems, args[0]) >= 0), nil
	case compile.MIndexOf:
		return Int(int64(indexOf(l.elems, args[0]))), nil
	case compile.MJoin:
		sep, err := strArg("list", name, args, 0)
		if err != nil {
			return Null, err
		}
		parts := make([]string, len(l.elems))
		n := 0
		for i, e := range l.elems {
			parts[i] = e.String()
			if n += len(parts[i]) + len(sep); n > MaxStringLen {
				return Null, tooLong("string", n)
			}
		}
		return String(strings.Join(parts, sep)), nil
	case compile.MSlice:
		lo, hi, err := sliceBounds("list", args, len(l.elems))
		if err != nil {
			return Null, err
		}
		return NewList(append([]Value(nil), l.elems[lo:hi]...)), nil
	case compile.MReverse:
		out := make([]Value, len(l.elems))
		for i, e := range l.elems {
			out[len(out)-1-i] = e
		}
		return NewList(out), nil
	case compile.MConcat:
		if args[0].k != KindList {
			return Null, fmt.Errorf("list.concat: argument must be list, got %s", args[0].TypeName())
		}
		other := args[0].list().elems
		if n := len(l.elems) + len(other); n > MaxListLen {
			return Null, tooLong("list", n)
		}
		out := make([]Value, 0, len(l.elems)+len(other))
		return NewList(append(append(out, l.elems...), other...)), nil
	}
	return Null, fmt.Errorf("internal error: list method %s", name)
}

func indexOf(elems []Value, x Value) int {
	for i, e := range elems {
		if Equal(e, x) {
			return i
		}
	}
	return -1
}

func mapMethod(m *Map, id compile.MethodID, name string, args []Value) (Value, error) {
	switch id {
	case compile.MLength:
		return Int(int64(len(m.keys))), nil
	case compile.MKeys:
		keys := make([]Value, len(m.keys))
		for i, k := range m.keys {
			keys[i] = String(k)
		}
		return NewList(keys), nil
	case compile.MValues:
		return NewList(append([]Value(nil), m.vals...)), nil
	}
	k, ok := mapKey(args[0])
	if !ok {
		return Null, fmt.Errorf("map.%s: argument must be string, got %s", name, args[0].TypeName())
	}
	switch id {
	case compile.MContains:
		_, ok := m.Get(k)
		return Bool(ok), nil
	case compile.MGet:
		if v, ok := m.Get(k); ok {
			return v, nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return Null, nil
	case compile.MRemove:
		v, _ := m.Delete(k)
		return v, nil
	}
	return Null, fmt.Errorf("internal error: map method %s", name)
}

func intMethod(n int64, id compile.MethodID) (Value, error) {
	switch id {
	case compile.MToString:
		return String(strconv.FormatInt(n, 10)), nil
	case compile.MToFloat:
		return Float(float64(n)), nil
	}
	return Int(absInt(n)), nil // abs
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func floatMethod(f float64, id compile.MethodID) (Value, error) {
	switch id {
	case compile.MToString:
		return String(formatFloat(f)), nil
	case compile.MAbs:
		return Float(math.Abs(f)), nil
	case compile.MToInt:
		return floatToInt(math.Trunc(f))
	case compile.MRound:
		return floatToInt(math.Round(f))
	case compile.MFloor:
		return floatToInt(math.Floor(f))
	}
	return floatToInt(math.Ceil(f)) // ceil
}

// floatToInt converts an integral float to an int, failing when it does not fit.
func floatToInt(f float64) (Value, error) {
	if math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return Null, quoting("cannot convert "+formatFloat(f)+" to int", "cannot convert a float out of range to int")
	}
	return Int(int64(f)), nil
}

// callBuiltin calls a global built-in function.
func callBuiltin(id compile.BuiltinID, args []Value) (Value, error) {
	switch id {
	case compile.BLen:
		return builtinLen(args[0])
	case compile.BRange:
		return builtinRange(args)
	case compile.BMin, compile.BMax:
		c, err := order(args[0], args[1])
		if err != nil {
			return Null, fmt.Errorf("%s: cannot compare %s and %s", compile.BuiltinNames[id], args[0].TypeName(), args[1].TypeName())
		}
		if (c <= 0) == (id == compile.BMin) {
			return args[0], nil
		}
		return args[1], nil
	case compile.BAbs:
		switch args[0].k {
		case KindInt:
			return Int(absInt(int64(args[0].n))), nil
		case KindFloat:
			return Float(math.Abs(args[0].float())), nil
		}
		return Null, fmt.Errorf("abs: want a number, got %s", args[0].TypeName())
	case compile.BDeepCopy:
		return deepCopy(args[0], 0)
	case compile.BDeepEquals:
		return Bool(Equal(args[0], args[1])), nil
	case compile.BString:
		return String(args[0].String()), nil
	case compile.BEnvGet:
		return envGet(args[0])
	case compile.BMediaFromURL, compile.BMediaFromBase64:
		return mediaConstructor(id, args)
	}
	return Null, fmt.Errorf("internal error: builtin %d", id)
}

// deepCopy copies lists, maps and instances all the way down (values nested
// more than 1000 levels deep, only possible through a cycle, are an error).
func deepCopy(v Value, depth int) (Value, error) {
	if depth > maxNesting {
		return Null, errorf("baml.deep_copy: value nested too deeply (a cycle?)")
	}
	var err error
	switch v.k {
	case KindList:
		elems := make([]Value, len(v.list().elems))
		for i, e := range v.list().elems {
			if elems[i], err = deepCopy(e, depth+1); err != nil {
				return Null, err
			}
		}
		return NewList(elems), nil
	case KindMap:
		m := v.mapv()
		out := newMap(len(m.keys))
		for i, k := range m.keys {
			c, err := deepCopy(m.vals[i], depth+1)
			if err != nil {
				return Null, err
			}
			out.Set(k, c)
		}
		return mapValue(out), nil
	case KindInstance:
		in := v.instance()
		fields := make([]Value, len(in.fields))
		for i, f := range in.fields {
			if fields[i], err = deepCopy(f, depth+1); err != nil {
				return Null, err
			}
		}
		return NewInstance(in.class, fields), nil
	}
	return v, nil
}

// envGet reads an environment variable: env.get(name) in bex. An unset
// variable is an error, as in BAML.
func envGet(name Value) (Value, error) {
	if name.k != KindString {
		return Null, fmt.Errorf("env.get: want a string, got %s", name.TypeName())
	}
	v, ok := os.LookupEnv(name.str())
	if !ok {
		return Null, fmt.Errorf("env.get: environment variable %s is not set", name.str())
	}
	return String(v), nil
}

// mediaConstructor runs image.from_url(url[, media_type]) or
// image.from_base64(media_type, base64) (and their kin); args[0] is the
// media kind.
func mediaConstructor(id compile.BuiltinID, args []Value) (Value, error) {
	kind := args[0].str()
	for _, a := range args[1:] {
		if a.k != KindString {
			return Null, fmt.Errorf("%s.%s: want string arguments, got %s", kind, compile.BuiltinNames[id], a.TypeName())
		}
	}
	if id == compile.BMediaFromBase64 {
		m, err := vmspan.NewMediaBase64(kind, args[2].str(), args[1].str())
		if err != nil {
			return Null, fmt.Errorf("%s.from_base64: %v", kind, err)
		}
		return MediaValue(m), nil
	}
	typ := ""
	if len(args) > 2 {
		typ = args[2].str()
	}
	if typ == "" {
		typ = vmspan.MediaTypeByExtension(args[1].str())
	}
	return MediaValue(vmspan.NewMediaURL(kind, args[1].str(), typ)), nil
}

func builtinLen(x Value) (Value, error) {
	switch x.k {
	case KindString:
		return Int(int64(runeLen(x.str()))), nil
	case KindList:
		return Int(int64(len(x.list().elems))), nil
	case KindMap:
		return Int(int64(len(x.mapv().keys))), nil
	}
	return Null, fmt.Errorf("len: want a string, list or map, got %s", x.TypeName())
}

func builtinRange(args []Value) (Value, error) {
	for _, a := range args {
		if a.k != KindInt {
			return Null, fmt.Errorf("range: want int arguments, got %s", a.TypeName())
		}
	}
	lo, hi := int64(0), int64(args[0].n)
	if len(args) == 2 {
		lo, hi = hi, int64(args[1].n)
	}
	if hi <= lo {
		return NewList(nil), nil
	}
	if hi-lo > MaxListLen || hi-lo < 0 {
		return Null, fmt.Errorf("range: %d elements is more than the limit of %d", uint64(hi-lo), MaxListLen)
	}
	elems := make([]Value, hi-lo)
	for i := range elems {
		elems[i] = Int(lo + int64(i))
	}
	return NewList(elems), nil
}
