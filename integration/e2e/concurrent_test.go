package e2e_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/vmspan"
)

// TestConcurrentCalls makes 200 calls at once, half under their own
// application span and half under their own bex host span (a new trace),
// and checks that Jaeger holds 200 separate traces, each exactly one
// pipeline with every span parented as expected, and that the provider
// delivered every span.
func TestConcurrentCalls(t *testing.T) {
	const (
		calls     = 200
		perTrace  = 8 // parent, root, 2 LLM, 2 attempts, lookup, db.query
		wantSpans = calls * perTrace
	)
	j := jaegertest.Start(t)
	r := newRig(t, j.OTLPHTTPEndpoint())

	type result struct {
		trace  trace.TraceID
		parent trace.SpanID // the application or host span
		name   string       // its name
		host   vmspan.SpanID
		res    any
		err    error
	}
	results := make([]result, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			ctx := context.Background()
			body := fmt.Sprintf("Checkout is down for shop %d.", i)
			if i%2 == 0 {
				ctx, app := r.app.Start(ctx, "HandleRequest")
				res, err := r.triage(ctx, body)
				app.End()
				sc := app.SpanContext()
				results[i] = result{trace: sc.TraceID(), parent: sc.SpanID(), name: "HandleRequest", res: res, err: err}
				return
			}
			ctx, host := r.tracer.Start(ctx, "HandleTicket", "shop", i)
			res, err := r.triage(ctx, body)
			host.End(res, err)
			id := host.SpanContext().ID
			results[i] = result{trace: host.TraceID(), parent: vmspan.OTelSpanID(id), name: "HandleTicket", host: id, res: res, err: err}
		})
	}
	wg.Wait()
	r.shutdown(t, wantSpans)

	seen := make(map[trace.TraceID]int)
	for i, res := range results {
		if res.err != nil || res.res != wantResult {
			t.Fatalf("call %d: %v, %v", i, res.res, res.err)
		}
		if prev, dup := seen[res.trace]; dup {
			t.Fatalf("calls %d and %d share trace %s", prev, i, res.trace)
		}
		seen[res.trace] = i
	}
	if !results[1].host.IsZero() && results[1].trace != vmspan.OTelTraceID(results[1].host) {
		t.Errorf("a host span's new trace has id %s, want vmspan.OTelTraceID(%s)", results[1].trace, results[1].host)
	}

	events := byTrace(r.rec)
	if len(events) != calls {
		t.Errorf("bex events fall into %d traces, want %d", len(events), calls)
	}
	total := 0
	for i, res := range results {
		want := &tree{id: res.trace}
		parent := want.add(res.name, res.parent, trace.SpanID{})
		want.addPipeline(t, events[res.trace], parent, r.dbSpan(t, res.trace), false)
		tr := j.WaitTrace(t, res.trace.String(), perTrace)
		if got := len(want.check(t, tr)); got != perTrace {
			t.Fatalf("call %d: %d of %d spans as expected", i, got, perTrace)
		}
		total += len(tr.Spans)
	}
	if total != wantSpans {
		t.Errorf("Jaeger holds %d spans in the %d traces, want %d", total, calls, wantSpans)
	}
}
