package vm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

const summaryProgram = `
class Box {
    label "small" | "large"
}
function to_int(s: string) -> int {
    s.to_int()
}
function to_float(s: string) -> float {
    s.to_float()
}
function lookup(m: map<string, int>, k: string) -> int {
    m[k]
}
function boxed(s: string) -> Box {
    Box { label: s }
}
function pick(s: string) -> "a" | "b" {
    s
}
`

// TestErrorSummaries: run-time errors that quote a value of the program
// (the string it could not convert, the key it did not find, the literal
// that did not fit) have a summary without it, with the stack; the message
// keeps the value.
func TestErrorSummaries(t *testing.T) {
	prog := compileSource(t, "summary.baml", summaryProgram)
	mv, err := vm.FromGo(map[string]any{"present": int64(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fn      string
		args    []vm.Value
		summary string
	}{
		{"to_int", []vm.Value{vm.String("VALUE-abc")}, "cannot convert a string to int\n  at to_int (summary.baml:6:7)"},
		{"to_float", []vm.Value{vm.String("VALUE-abc")}, "cannot convert a string to float\n  at to_float (summary.baml:9:7)"},
		{"lookup", []vm.Value{mv, vm.String("VALUE-key")}, "key not found in map\n  at lookup (summary.baml:12:6)"},
		{"boxed", []vm.Value{vm.String("VALUE-label")}, `Box.label: want "small" | "large", got string` + "\n  at boxed (summary.baml:15:5)"},
		{"pick", []vm.Value{vm.String("VALUE-c")}, `pick: want "a" | "b", got string` + "\n  at pick (summary.baml:18:5)"},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			_, err := prog.Call(&vm.Thread{}, prog.Function(tt.fn), tt.args)
			var ee *vm.EvalError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *EvalError", err)
			}
			if !strings.Contains(err.Error(), "VALUE-") {
				t.Errorf("message %q does not quote the value", err)
			}
			info := vmspan.ErrorInfoOf(err)
			if info.Summary != tt.summary {
				t.Errorf("summary\n got %q\nwant %q", info.Summary, tt.summary)
			}
		})
	}
}

// TestConversionErrorSummary: a Go value that does not convert to a
// parameter's type (an enum value it does not name, inside a map) is
// summarized without the value nor the map key.
func TestConversionErrorSummary(t *testing.T) {
	prog := compileSource(t, "summary.baml", "enum Color {\n    RED\n}\nfunction f(m: map<string, Color>) -> int {\n    1\n}\n")
	_, err := vm.FromGo(map[string]any{"KEY-secret": "VALUE-blue"}, prog.Function("f").Params[0].Type)
	if err == nil || !strings.Contains(err.Error(), "VALUE-blue") || !strings.Contains(err.Error(), "KEY-secret") {
		t.Fatalf("err = %v", err)
	}
	if got, want := vmspan.ErrorSummary(err), "key: a string that is not a value of enum Color"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
