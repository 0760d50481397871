package bex_test

// The cross-sink golden test of the one value encoding (package spanjson):
// the same values go through a trace file, an OpenTelemetry attribute and a
// prompt, and each must read as the golden file says.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spanjson"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenValues are the values of the golden test, each wrapped in a list
// so that a template prints it with the encoder (a template prints a bare
// scalar itself).
var goldenValues = []struct {
	name string
	v    any
}{
	{"null", nil},
	{"bool", true},
	{"int", int64(-42)},
	{"float", 2.5},
	{"float-integral", 2.0},
	{"float-tiny", 1e-9},
	{"float-huge", 1e21},
	{"nan", math.NaN()},
	{"inf", math.Inf(1)},
	{"string", "say \"hi\" <b>&\n\té✓"},
	{"invalid-utf8", "a\xffb"},
	{"list", []any{int64(1), "x", nil, []any{}}},
	{"map", map[string]any{"z": int64(1), "B": 0.5, "a": map[string]any{}}},
	{"class", vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{
		{Name: "title", Value: "Printer on fire"}, {Name: "Priority", Value: int64(1)}, {Name: "score", Value: 3.0},
		{Name: "color", Value: vmspan.Enum{Name: "Color", Value: "Red"}}}}},
	{"enum", vmspan.Enum{Name: "Color", Value: "Green"}},
	{"secret", map[string]any{"api_key": "sk-123", "max_tokens": int64(5)}},
	{"go-map-int-keys", map[int]string{10: "ten", 2: "two"}},
	{"media", map[string]any{"__media": "image", "url": "https://example.com/cat.png", "media_type": "image/png"}},
}

func TestValueEncodingAcrossSinks(t *testing.T) {
	trace, attr := traceAndAttributeForms(t)
	prompt := promptForms(t)
	var got bytes.Buffer
	for _, gv := range goldenValues {
		// One encoder: each sink writes what spanjson writes.
		snap := []any{vmspan.Snapshot(gv.v)}
		if want := string(spanjson.AppendValue(nil, snap)); trace[gv.name] != want {
			t.Errorf("%s: trace file %s, spanjson %s", gv.name, trace[gv.name], want)
		}
		if attr[gv.name] != trace[gv.name] {
			t.Errorf("%s: OpenTelemetry attribute %s, trace file %s", gv.name, attr[gv.name], trace[gv.name])
		}
		if want := string(spanjson.Encoder{Prompt: true}.AppendValue(nil, snap)); prompt[gv.name] != want {
			t.Errorf("%s: prompt %s, spanjson %s", gv.name, prompt[gv.name], want)
		}
		fmt.Fprintf(&got, "%s\n  trace:  %s\n  prompt: %s\n", gv.name, trace[gv.name], prompt[gv.name])
	}
	const golden = "testdata/values.golden"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestValueEncodingAcrossSinks -update to write it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the encodings differ from %s:\n%s", golden, got.String())
	}
}

// traceAndAttributeForms records one host span per value, with the value
// as its argument, into a trace file and through the OpenTelemetry bridge
// (content capture on), and returns each argument's text in both.
func traceAndAttributeForms(t *testing.T) (trace, attr map[string]string) {
	var file bytes.Buffer
	w := jsonl.NewWriter(&file)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	tr := vmspan.NewTracer(vmspan.Fanout(w, otelbridge.New(otelbridge.WithTracerProvider(tp), otelbridge.WithContentCapture(true))))
	for _, gv := range goldenValues {
		_, s := tr.Start(context.Background(), gv.name, "v", []any{gv.v})
		s.End(nil, nil)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	trace, attr = map[string]string{}, map[string]string{}
	for line := range bytes.SplitSeq(bytes.TrimSpace(file.Bytes()), []byte("\n")) {
		var l struct {
			Content struct {
				Type string
				Data struct {
					Name string            `json:"function_display_name"`
					Args []json.RawMessage `json:"args"`
				}
			}
		}
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if l.Content.Type == "function_start" {
			trace[l.Content.Data.Name] = string(l.Content.Data.Args[0])
		}
	}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == otelbridge.KeyArgs {
				attr[s.Name()] = strings.TrimSuffix(strings.TrimPrefix(kv.Value.AsString(), `{"v":`), "}")
			}
		}
	}
	return trace, attr
}

// promptForms renders the prompt {{ v }} for every value and returns what
// it printed.
func promptForms(t *testing.T) map[string]string {
	reply := `{"id":"r","model":"m","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`
	client := &http.Client{Transport: roundTripper(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(reply))}, nil
	})}
	rt, err := llm.NewRuntime([]llm.ClientDecl{{Name: "C", Provider: "openai-generic", Pos: "main.baml:1:1",
		Options: map[string]any{"model": "m", "base_url": "http://127.0.0.1:1/v1"}}}, nil, llm.WithHTTPClient(client))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, gv := range goldenValues {
		res, err := rt.Call(context.Background(), llm.Request{Function: "F", Client: "C", Prompt: `{{ v }}`,
			Args: []vmspan.Arg{{Name: "v", Value: []any{vmspan.Snapshot(gv.v)}}}})
		if err != nil {
			t.Fatalf("%s: %v", gv.name, err)
		}
		out[gv.name] = res.Messages[0].Content
	}
	return out
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
