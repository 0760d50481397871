package collector_test

import (
	"context"
	"fmt"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// This example records a call the way the engine makes one: a root span
// with the Collector as a sink of its subtree, and, through the frame
// tracker that the VM drives, an LLM function span below it that made two
// provider attempts.
func ExampleCollector() {
	c := collector.New("triage")
	defer c.Close()

	tr := vmspan.NewTracer(nil, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
	ctx := context.Background()
	root := tr.StartSpan(ctx, "Triage", vmspan.StartConfig{
		Kind:  vmspan.KindRoot,
		Args:  []vmspan.Arg{{Name: "body", Value: "printer on fire"}},
		Sinks: []vmspan.Sink{c}, // what engine.WithCollector(c) does
	})
	frames := vmspan.NewFrameTracker(ctx, root)
	frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Headline", Kind: vmspan.KindLLM})
	llm := vmspan.SpanFromContext(frames.Context())
	in, out := int64(120), int64(9)
	for i, model := range []string{"gpt-4o-mini", "gpt-4o"} {
		llm.AddAttempts(vmspan.LLMAttempt{
			Client: "Fast", Provider: "openai", Model: model, Start: tr.Now(), Duration: 40e6,
			Usage: vmspan.Usage{InputTokens: &in, OutputTokens: &out}, Selected: i == 1,
		})
	}
	frames.ExitFrame(2, "Printer on fire", nil)
	frames.End("Printer on fire (P1)", nil)

	log := c.Last()
	fmt.Println(log.FunctionName, log.Args, log.Result)
	for _, call := range log.Calls {
		fmt.Println(call.FunctionName, call.Provider, call.Model, call.Timing.DurationMs, "ms selected:", call.Selected)
	}
	fmt.Println("input tokens:", *c.Usage().InputTokens, "cached:", c.Usage().CachedInputTokens)
	fmt.Println("cleared:", c.Clear())
	// Output:
	// Triage [{body printer on fire}] Printer on fire (P1)
	// Headline openai gpt-4o-mini 40 ms selected: false
	// Headline openai gpt-4o 40 ms selected: true
	// input tokens: 240 cached: <nil>
	// cleared: 1
}
