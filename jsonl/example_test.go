package jsonl_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// This example writes a host span to a JSONL trace and reads it back.
// Tracers for real use take the defaults (random ids and time.Now).
func ExampleWriter() {
	var file bytes.Buffer
	w := jsonl.NewWriter(&file)
	tr := vmspan.NewTracer(w, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))

	ctx, span := tr.Start(context.Background(), "HandleRequest", "user", "ann")
	vmspan.SetTags(ctx, "env", "prod")
	span.End("ok", nil)
	if err := w.Close(); err != nil { // Close flushes
		fmt.Println(err)
	}

	for e, err := range jsonl.Read(&file) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(e.Kind, e.Name, e.Args, e.Tags, e.Result, e.Duration)
	}
	// Output:
	// start HandleRequest [{user ann}] map[] <nil> 0s
	// set-tags HandleRequest [] map[env:prod] <nil> 0s
	// end HandleRequest [{user ann}] map[env:prod] ok 2ms
}

// This example shows one line of the format.
func ExampleAppendEvent() {
	tr := vmspan.NewTracer(vmspan.SinkFunc(func(e *vmspan.Event) {
		if e.Kind == vmspan.EventEnd {
			fmt.Print(string(jsonl.AppendEvent(nil, e)))
		}
	}), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(spantest.StepClock()))
	_, span := tr.Start(context.Background(), "add", "a", 3, "b", 4)
	span.End(7, nil)
	// Output:
	// {"call_id":"00000000-0000-7000-8000-000000000001","call_stack":["00000000-0000-7000-8000-000000000001"],"content":{"data":{"duration_ms":1,"duration_ns":1000000,"function_display_name":"add","result":7,"span_kind":"host-span","start_unix_nano":1770876000001000000},"type":"function_end"},"function_event_id":"00000000-0000-7000-8000-000000000003","timestamp_epoch_ms":1770876000002,"timestamp_unix_nano":1770876000002000000,"trace_id":"a47779e04744ec8657a6e2126e3015ba"}
}
