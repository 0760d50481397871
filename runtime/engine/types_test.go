package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/syntax"
)

// The three disagreements of the old type models, as regression tests: host
// signatures now go through the compiler's resolver, so a host function
// sees what a bex function would.

// TestHostFloatParameterGetsFloat: a host parameter declared float receives
// a float64 when bex code passes an int, as a bex function gets 3.0.
func TestHostFloatParameterGetsFloat(t *testing.T) {
	var got any
	e, _ := newEngine(t, `
function Half(x: float) -> float {
    x / 2
}
function Both() -> float {
    let n = 3;
    scale(n) + Half(n)
}
`, engine.WithHost(engine.HostFunc{Name: "scale", Params: []string{"x: float"}, Result: "float",
		Fn: func(_ context.Context, args []any) (any, error) {
			got = args[0]
			return args[0].(float64) * 10, nil // panics if args[0] is an int64
		}}))
	res, err := e.Call(context.Background(), "Both", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(float64); !ok || res != 31.5 {
		t.Errorf("host argument %#v (%T), result %v; want float64 3 and 31.5", got, got, res)
	}
}

// TestHostMediaParameterAccepted: a host parameter of type image is
// accepted, as it is in bex code.
func TestHostMediaParameterAccepted(t *testing.T) {
	e, _ := newEngine(t, `
function Describe(img: image) -> string {
    describe(img)
}
`, engine.WithHost(engine.HostFunc{Name: "describe", Params: []string{"img: image"}, Result: "string",
		Fn: func(_ context.Context, args []any) (any, error) { return "an image", nil }}))
	if res, err := e.Call(context.Background(), "Describe", map[string]any{"img": "https://example.com/cat.png"}); err != nil || res != "an image" {
		t.Errorf("Describe = %v, %v", res, err)
	}
}

// TestHostIntKeyedMapRejected: a host parameter map<int, string> is refused
// at compile time, as bex code refuses it.
func TestHostIntKeyedMapRejected(t *testing.T) {
	p := engine.MustParse(map[string]string{"m.baml": "function F() -> int {\n    1\n}\n"})
	_, err := engine.New(p, engine.WithHost(engine.HostFunc{Name: "lookup", Params: []string{"m: map<int, string>"},
		Fn: func(context.Context, []any) (any, error) { return nil, nil }}))
	var list syntax.ErrorList
	if !errors.As(err, &list) || !strings.Contains(err.Error(), "host function lookup, parameter m:1:5: maps may only have strings, enums or literal strings as keys, not int") {
		t.Fatalf("err = %v, want the map key error of the host signature", err)
	}
}

// TestHostClassParameter: host signatures name the program's classes and
// enums, and the VM checks the arguments against them.
func TestHostClassParameter(t *testing.T) {
	e, _ := newEngine(t, `
class Point {
    x int
    y int
}
function Send(p: Point) -> string {
    show(p)
}
function SendAny(p: any) -> string {
    show(p)
}
`, engine.WithHost(engine.HostFunc{Name: "show", Params: []string{"p: Point"}, Result: "string",
		Fn: func(_ context.Context, args []any) (any, error) {
			p := args[0].(map[string]any)
			return strings.Repeat("*", int(p["x"].(int64))), nil
		}}))
	if res, err := e.Call(context.Background(), "Send", map[string]any{"p": map[string]any{"x": 3, "y": 1}}); err != nil || res != "***" {
		t.Errorf("Send = %v, %v", res, err)
	}
	_, err := e.Call(context.Background(), "SendAny", map[string]any{"p": 7})
	if err == nil || !strings.Contains(err.Error(), "show: argument p: want Point, got int") {
		t.Errorf("SendAny(7) = %v, want the host argument's type error", err)
	}
}

// TestWarnings: warnings reach the Go API without failing the compilation.
func TestWarnings(t *testing.T) {
	e, _ := newEngine(t, `
retry_policy Patient {
    max_retries 2
    options {
        x 1
    }
}
function F() -> int {
    1
}
`)
	w := e.Warnings()
	if len(w) != 1 || !w[0].Warning || w[0].Error() != "main.baml:4:5: warning: retry_policy Patient: options are ignored by bex" {
		t.Errorf("warnings = %v", w)
	}
}
