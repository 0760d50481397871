package bex_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// This example records bex's metrics into the application's MeterProvider
// — here with a ManualReader; in a service, the periodic OTLP reader
// otelbridge.NewMeterProvider builds, or the application's own — and
// reads what one LLM call recorded.
func ExampleWithMeterProvider() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	shutdown, err := bex.Setup(context.Background(), bex.WithMeterProvider(mp), bex.WithTraceFile(""), bex.WithOTLP(false))
	if err != nil {
		panic(err)
	}
	defer shutdown(context.Background())

	llmServer := llmstub.New() // an OpenAI-compatible server; it counts words as tokens
	defer llmServer.Close()
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.LLM_URL api_key "k" }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}`}), engine.WithLLMOptions(llm.WithEnv(func(string) (string, bool) { return llmServer.URL() + "/v1", true })))
	if err != nil {
		panic(err)
	}
	if _, err := eng.Call(context.Background(), "Headline", []any{"The printer is on fire."}); err != nil {
		panic(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch h := m.Data.(type) {
			case metricdata.Histogram[int64]:
				for _, p := range h.DataPoints {
					typ, _ := p.Attributes.Value("gen_ai.token.type")
					fmt.Printf("%s [%s] %s: %d\n", m.Name, m.Unit, typ.AsString(), p.Sum)
				}
			case metricdata.Histogram[float64]:
				fmt.Printf("%s [%s]: %d attempt\n", m.Name, m.Unit, h.DataPoints[0].Count)
			}
		}
	}
	// Unordered output:
	// gen_ai.client.operation.duration [s]: 1 attempt
	// gen_ai.client.token.usage [{token}] input: 9
	// gen_ai.client.token.usage [{token}] output: 5
}
