package bex_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// TestThousandConcurrentCalls runs 1,000 concurrent calls, each under its own
// host span with its own Collector, through the JSONL writer and the OTel
// bridge at once, and checks exact counts everywhere and that no goroutine
// survives shutdown. Run it with -race.
func TestThousandConcurrentCalls(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const calls = 1000
	stub := llmstub.New()
	defer stub.Close()

	ctx := context.Background()
	exp := tracetest.NewInMemoryExporter()
	tp, err := otelbridge.NewProvider(ctx, otelbridge.WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	w, err := jsonl.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tracer := vmspan.NewTracer(vmspan.Fanout(w, otelbridge.New(otelbridge.WithTracerProvider(tp))))
	env := map[string]string{"BASE": stub.URL() + "/v1", "KEY": "k"}
	eng, err := engine.New(engine.MustParse(map[string]string{"p.baml": stressSrc}), engine.WithTracer(tracer),
		engine.WithHost(engine.HostFunc{Name: "fetch", Params: []string{"q: string"}, Result: "int", Traced: true,
			Fn: func(ctx context.Context, args []any) (any, error) { return int64(len(args[0].(string))), nil }}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}

	retainedBefore := collector.Retained() // other tests' Collectors may still hold events
	cols := make([]*collector.Collector, calls)
	var wg sync.WaitGroup
	for i := range calls {
		cols[i] = collector.New(fmt.Sprint(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			hctx, span := tracer.Start(ctx, "request", "i", i)
			vmspan.SetTags(hctx, "request", fmt.Sprint(i))
			res, err := eng.Call(hctx, "Run", []any{fmt.Sprintf("ticket %d is broken", i)}, engine.WithCollector(cols[i]))
			span.End(res, err)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	// Per call: host span, root, fetch, Headline = 4 spans, plus 1 attempt.
	for i, c := range cols {
		log := c.Last()
		if len(c.Logs()) != 1 || log == nil || len(log.Spans) != 3 || len(log.Calls) != 1 || log.Tags["request"] != fmt.Sprint(i) {
			t.Fatalf("collector %d: %d logs, last %+v", i, len(c.Logs()), log)
		}
		c.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(exp.GetSpans()); n != calls*5 { // (Shutdown empties the in-memory exporter)
		t.Errorf("OTel spans = %d, want %d", n, calls*5)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if st := tp.Stats(); st.Dropped != 0 || st.Exported != calls*5 {
		t.Errorf("delivery = %+v, want %d exported and none dropped", st, calls*5)
	}
	starts, ends := map[vmspan.SpanID]int{}, map[vmspan.SpanID]int{}
	for e, err := range jsonl.ReadFile(path) {
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case vmspan.EventStart:
			starts[e.Span.ID]++
		case vmspan.EventEnd:
			ends[e.Span.ID]++
		}
	}
	if len(starts) != calls*4 || len(ends) != calls*4 {
		t.Errorf("JSONL: %d spans started, %d ended; want %d each", len(starts), len(ends), calls*4)
	}
	for id, n := range starts {
		if n != 1 || ends[id] != 1 {
			t.Fatalf("span %s: %d starts, %d ends", id, n, ends[id])
		}
	}
	if got := collector.Retained(); got != retainedBefore {
		t.Errorf("collectors retain %d events after Close, want %d as before the test", got, retainedBefore)
	}
}

const stressSrc = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Run(body: string) -> string {
    let n = fetch(body);
    Headline(body) + " #" + n.to_string()
}
`
