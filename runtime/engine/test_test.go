package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const testsSrc = `
class Item {
    name string
    qty int
}
class Order {
    items Item[]
    note string?
}
function Total(order: Order, scale: float) -> int {
    client "openai/m"
    prompt #"{{ order }} {{ scale }}"#
}
function Echo(items: string[], level: int?, picture: image?) -> string {
    client "openai/m"
    prompt #"{{ items }} {{ picture }}"#
}
test Sums {
    functions [Total]
    args {
        order {
            items [
                { name "a" qty 2 }
                { name b, qty 3 }
            ]
        }
        scale 1.5
    }
    @@check(positive, {{ this > 0 }})
    @@check(big, {{ this > 100 }})
    @@assert(has_positive, {{ _.checks.positive and not _.checks.big }})
    @@assert(stop, {{ _.result < 0 }})
    @@assert(never_evaluated, {{ this.nope }})
}
test Pictures {
    functions [Echo, Total]
    args {
        items [x, "y"]
        picture { file "cat.png" }
    }
    @@assert({{ this|length > 0 and _.latency_ms >= 0 }})
}
`

// TestRunTest checks a test's arguments (objects, lists, unquoted words,
// media files relative to the test's file), its constraints in order with
// this, _.result, _.checks and _.latency_ms (evaluation stops at the
// first failing @@assert), a test naming two functions, and its spans.
func TestRunTest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cat.png"), []byte("\x89PNG fake"), 0o644); err != nil {
		t.Fatal(err)
	}
	var reqs []llm.Request
	fake := fakeLLM(func(req llm.Request) (any, error) {
		reqs = append(reqs, req)
		if req.Function == "Total" {
			return int64(7), nil
		}
		return "echo", nil
	})
	rec := new(spantest.Recorder)
	src := engine.MustParse(map[string]string{filepath.Join(dir, "main.baml"): testsSrc})
	eng, err := engine.New(src, engine.WithLLM(fake), engine.WithTracer(vmspan.NewTracer(rec)))
	if err != nil {
		t.Fatal(err)
	}
	cases := eng.Tests()
	var names []string
	for _, tc := range cases {
		names = append(names, tc.Name())
	}
	if want := []string{"Total::Sums", "Echo::Pictures", "Total::Pictures"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("cases %q, want %q", names, want)
	}

	r := eng.RunTest(context.Background(), cases[0])
	if r.Status != engine.TestFailed || r.Result != int64(7) {
		t.Fatalf("Sums: %v, %v, err %v; want FAILED with 7", r.Status, r.Result, r.Err)
	}
	var got []string
	for _, c := range r.Checks {
		got = append(got, c.String())
	}
	want := []string{
		"@@check positive passed: {{ this > 0 }}",
		"@@check big failed: {{ this > 100 }}",
		"@@assert has_positive passed: {{ _.checks.positive and not _.checks.big }}",
		"@@assert stop failed: {{ _.result < 0 }}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checks %q\nwant %q", got, want)
	}
	order := reqs[0].Args[0].Value.(vmspan.Object)
	if items := order.Fields[0].Value.([]any); len(items) != 2 || items[1].(vmspan.Object).Fields[0].Value != "b" {
		t.Errorf("order argument %#v", order)
	}
	if reqs[0].Args[1].Value != 1.5 {
		t.Errorf("scale %#v", reqs[0].Args[1].Value)
	}

	r = eng.RunTest(context.Background(), cases[1])
	if r.Status != engine.TestPassed || len(r.Checks) != 1 || r.Checks[0].Kind != types.Assert {
		t.Errorf("Echo::Pictures: %v %v %v", r.Status, r.Checks, r.Err)
	}
	pic, ok := reqs[1].Args[2].Value.(*vmspan.Media)
	if !ok || pic.Kind != "image" || len(pic.Data()) == 0 {
		t.Errorf("picture argument %#v: want the image read from the test's directory", reqs[1].Args[2].Value)
	}
	r = eng.RunTest(context.Background(), cases[2])
	var ae *engine.ArgError
	if r.Status != engine.TestError || !errors.As(r.Err, &ae) || !strings.Contains(r.Err.Error(), "unknown argument items") {
		t.Errorf("Total::Pictures: %v, %v; want an error for the arguments Total lacks", r.Status, r.Err)
	}

	// One host span per test, the root of its trace, tagged, with the
	// engine call below it; a failed test's span has the failure.
	var roots []vmspan.Event
	for _, e := range rec.Filter(vmspan.EventEnd, "") {
		if e.SpanKind == vmspan.KindHostSpan {
			roots = append(roots, e)
		}
	}
	if len(roots) != 3 || roots[0].Name != "Total::Sums" || !roots[0].Span.Parent.IsZero() || roots[0].Tags["test"] != "Sums" || roots[0].Tags["test_function"] != "Total" {
		t.Fatalf("test spans %+v", roots)
	}
	if roots[0].Err == nil || roots[0].Err.Type != "TestFailure" || !strings.Contains(roots[0].Err.Message, "@@assert stop failed") {
		t.Errorf("failed test span error %+v", roots[0].Err)
	}
	if roots[1].Err != nil {
		t.Errorf("passed test span error %+v", roots[1].Err)
	}
	calls := rec.Filter(vmspan.EventEnd, "Total")
	if len(calls) == 0 || calls[0].Span.Parent != roots[0].Span.ID || calls[0].Tags["test"] != "Sums" {
		t.Errorf("the engine call is not under the test span with its tags: %+v", calls)
	}
}
