package cli

import (
	"bytes"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/runtime/types"
)

// FuzzTrace feeds arbitrary trace files to view and stats: bad input never
// panics, and every line is either an event or a reported malformed line.
func FuzzTrace(f *testing.F) {
	// Small seeds keep minimization fast; testdata/fuzz/FuzzTrace holds
	// more, among them a bex trace with LLM attempts.
	for _, path := range []string{referenceTrace, "testdata/trace/corrupt.jsonl"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := readTrace(jsonl.Read(bytes.NewReader(data)), func(error) {})
		if err != nil {
			return
		}
		v := &viewer{color: true, values: true}
		for _, tr := range tf.trees {
			v.tree(io.Discard, tr)
		}
		computeStats(tf.trees).print(io.Discard)
		for _, tr := range tf.trees {
			sel, err := tf.selectTrees(tr.rootID.String())
			if err != nil || !slices.Contains(sel, tr) {
				t.Errorf("tree %s not selected by its root id: %v", tr.rootID, err)
			}
		}
	})
}

// argTypes are the declared types FuzzArgValue converts to.
var argTypes = []*types.Type{
	types.IntType, types.FloatType, types.BoolType, types.StringType, types.NullType, types.AnyType,
	types.ListOf(types.IntType), types.MapOf(types.StringType, types.StringType), types.OptionalOf(types.IntType),
	types.UnionOf(types.IntType, types.StringType),
}

// FuzzArgValue checks that --arg conversion never panics and that a value
// it accepts has the Go type of the declared type.
func FuzzArgValue(f *testing.F) {
	for _, s := range []string{"27", "-3.5e2", "true", "null", "[1, 2]", `{"a": "b"}`, "x", "", " 1 ", "[1,", "9999999999999999999"} {
		f.Add(uint8(0), s)
		f.Add(uint8(6), s)
	}
	f.Fuzz(func(t *testing.T, ti uint8, text string) {
		typ := argTypes[int(ti)%len(argTypes)]
		v, err := argValue(typ, text)
		if err != nil {
			return
		}
		ok := true
		switch typ.Kind {
		case types.Int:
			_, ok = v.(int64)
		case types.Float:
			_, ok = v.(float64)
		case types.Bool:
			_, ok = v.(bool)
		case types.String:
			ok = v == text
		case types.List:
			_, ok = v.([]any)
		case types.Map:
			_, ok = v.(map[string]any)
		}
		if !ok {
			t.Errorf("argValue(%s, %q) = %#v", typ, text, v)
		}
	})
}
