package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const summarySrc = `
enum Color {
    RED
}
function Paint(c: Color) -> string {
    client "openai/m"
    prompt #"{{ c }}"#
}
function Small(n: int @assert(small, {{ this < 5 }})) -> string {
    client "openai/m"
    prompt #"{{ n }}"#
}
test Bool {
    functions [Paint]
    args {
        c RED
    }
    @@assert(is_bool, {{ this }})
}
`

// TestErrorSummaries: the engine's errors that quote an argument or a
// result (an argument that does not convert or fails its @assert, a
// test's constraint that cannot be evaluated on the result) have summaries
// without it.
func TestErrorSummaries(t *testing.T) {
	rec := new(spantest.Recorder)
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": summarySrc}), engine.WithTracer(vmspan.NewTracer(rec)),
		engine.WithLLM(fakeLLM(func(llm.Request) (any, error) { return "VALUE-result", nil })))
	if err != nil {
		t.Fatal(err)
	}
	_, paintErr := eng.Call(context.Background(), "Paint", []any{"VALUE-blue"})
	_, smallErr := eng.Call(context.Background(), "Small", []any{98765})
	tests := []struct {
		name    string
		err     *vmspan.ErrorInfo
		quoted  string
		summary string
	}{
		{"argument that does not convert", vmspan.ErrorInfoOf(paintErr), "VALUE-blue", "call Paint: argument c: a string that is not a value of enum Color"},
		{"argument that fails its @assert", vmspan.ErrorInfoOf(smallErr), "98765", `call Small: argument "n": @assert small failed: {{ this < 5 }}`},
		{"test constraint that cannot be evaluated", testSpanError(t, eng, rec), "VALUE-result", "test Paint::Bool: @@assert is_bool could not be evaluated: {{ this }}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.Contains(tt.err.Message, tt.quoted) {
				t.Fatalf("error %+v does not quote %q", tt.err, tt.quoted)
			}
			if tt.err.Summary != tt.summary {
				t.Errorf("summary\n got %q\nwant %q", tt.err.Summary, tt.summary)
			}
		})
	}
}

// testSpanError runs the program's test and returns the error its span
// ended with.
func testSpanError(t *testing.T, eng *engine.Engine, rec *spantest.Recorder) *vmspan.ErrorInfo {
	t.Helper()
	if r := eng.RunTest(context.Background(), eng.Tests()[0]); r.Status != engine.TestFailed {
		t.Fatalf("test %v, want failed", r.Status)
	}
	for _, e := range rec.Filter(vmspan.EventEnd, "") {
		if e.SpanKind == vmspan.KindHostSpan {
			return e.Err
		}
	}
	t.Fatal("no test span")
	return nil
}
