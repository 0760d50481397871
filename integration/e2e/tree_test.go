package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/vmspan"
)

// handled is one request handled by the application: its own span, a bex
// host span inside it, and the engine call inside that.
type handled struct {
	app  trace.Span
	host *vmspan.Span
	res  any
	err  error
}

// handle runs one request the way an instrumented service does.
func (r *rig) handle(ctx context.Context, body string) handled {
	ctx, app := r.app.Start(ctx, "HandleRequest", trace.WithSpanKind(trace.SpanKindServer))
	defer app.End()
	ctx, host := r.tracer.Start(ctx, "HandleTicket", "source", "e2e")
	res, err := r.triage(ctx, body)
	host.End(res, err)
	return handled{app: app, host: host, res: res, err: err}
}

// TestFullTree exports an application span, a bex host span, an engine call
// with two LLM functions (OpenAI and Anthropic over HTTP against the stub)
// and a traced host function that starts its own OTel span, then a call
// whose LLM output is malformed, and reads both traces back from Jaeger.
func TestFullTree(t *testing.T) {
	j := jaegertest.Start(t)
	r := newRig(t, j.OTLPHTTPEndpoint())
	ctx := context.Background()

	ok := r.handle(ctx, "Checkout is down for all users. Nobody can pay.")
	if ok.err != nil || ok.res != wantResult {
		t.Fatalf("Triage = %v, %v; want %q", ok.res, ok.err, wantResult)
	}
	bad := r.handle(ctx, malformedMarker+": the printer is on fire")
	var pe *llm.ParseError
	if !errors.As(bad.err, &pe) {
		t.Fatalf("malformed call: err = %v, want a *llm.ParseError", bad.err)
	}
	// app, host, root, 2 LLM, 2 attempts, lookup, db.query; then app, host,
	// root, ClassifyTicket, its attempt.
	const okSpans, badSpans = 9, 5
	r.shutdown(t, okSpans+badSpans)
	events := byTrace(r.rec)

	t.Run("success", func(t *testing.T) {
		want := appTree(t, r, events, ok)
		want.addPipeline(t, events[want.id], want.nodes[1].id, r.dbSpan(t, want.id), false)
		tr := j.WaitTrace(t, want.id.String(), okSpans)
		spans := want.check(t, tr)
		if len(spans) != okSpans {
			t.FailNow()
		}
		checkService(t, tr)
		checkBexAttributes(t, spans, events[want.id])
		checkChatSpans(t, r, spans)
		checkNoErrors(t, tr)
		checkNoSecret(t, tr)
		checkTraceparent(t, r, want.id, spans)
	})

	t.Run("malformed output", func(t *testing.T) {
		want := appTree(t, r, events, bad)
		want.addPipeline(t, events[want.id], want.nodes[1].id, trace.SpanID{}, true)
		tr := j.WaitTrace(t, want.id.String(), badSpans)
		spans := want.check(t, tr)
		if len(spans) != badSpans {
			t.FailNow()
		}
		checkService(t, tr)
		// Every span the error failed has the error status; the exception
		// event is on the span where it arose (the attempt whose reply
		// could not be parsed), once.
		for _, name := range []string{"HandleTicket", "Triage", "ClassifyTicket"} {
			s := spans[name]
			tagChecks(t, s, map[string]any{"error": true, "otel.status_code": "ERROR", "bex.result": nil})
			if d, _ := s.Tag("otel.status_description"); !strings.Contains(fmt.Sprint(d), "priority") {
				t.Errorf("span %s: status description %q, want the parse error naming the field", name, d)
			}
			if hasException(s) {
				t.Errorf("span %s: an exception event; want it on the attempt only", name)
			}
		}
		if !hasException(spans[chatOpenAI]) {
			t.Errorf("span %s: no exception event in logs %+v", chatOpenAI, spans[chatOpenAI].Logs)
		}
		tagChecks(t, spans["ClassifyTicket"], map[string]any{"error.type": "LLMParseError", "bex.error.type": "LLMParseError"})
		// The application's span is the application's business: the bridge
		// must not mark it.
		tagChecks(t, spans["HandleRequest"], map[string]any{"error": nil, "otel.status_code": nil})
		// The provider answered, but its output could not be used: the
		// attempt failed and was not selected.
		tagChecks(t, spans[chatOpenAI], map[string]any{
			"span.kind": "client", "gen_ai.provider.name": "openai",
			"error": true, "otel.status_code": "ERROR", "error.type": "_OTHER", "bex.error.type": "LLMParseError", "bex.llm.selected": false,
		})
		checkNoSecret(t, tr)
	})
}

// appTree expects the application span and the host span of a handled
// request; nodes[1] is the host span.
func appTree(t *testing.T, r *rig, events map[trace.TraceID]map[string][]vmspan.Event, h handled) *tree {
	t.Helper()
	sc := h.app.SpanContext()
	want := &tree{id: sc.TraceID()}
	if got := h.host.TraceID(); got != want.id {
		t.Fatalf("host span trace id %s, want the application's %s", got, want.id)
	}
	if events[want.id] == nil {
		t.Fatalf("no bex events in trace %s", want.id)
	}
	app := want.add("HandleRequest", sc.SpanID(), trace.SpanID{})
	want.add("HandleTicket", vmspan.OTelSpanID(h.host.SpanContext().ID), app)
	return want
}

func checkService(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if got := tr.ServiceName(s); got != service {
			t.Errorf("span %s: service %q, want %q", s.OperationName, got, service)
		}
		wantScope := otelbridge.TracerName
		if s.OperationName == "HandleRequest" || s.OperationName == "db.query" {
			wantScope = appScope
		}
		tagChecks(t, s, map[string]any{"otel.scope.name": wantScope})
	}
}

// checkBexAttributes checks the attributes of the bex spans against the
// recorded events.
func checkBexAttributes(t *testing.T, spans map[string]*jaegertest.Span, events map[string][]vmspan.Event) {
	t.Helper()
	kinds := map[string]string{"HandleTicket": "host-span", "Triage": "root", "ClassifyTicket": "llm", "Headline": "llm", "lookup": "host-function"}
	for name, kind := range kinds {
		tagChecks(t, spans[name], map[string]any{
			"bex.span_id":       bexSpan(t, events, name).Span.ID.String(),
			"bex.function.name": name,
			"bex.span.kind":     kind,
			"span.kind":         "internal",
		})
	}
	// Arguments and results are content, off by default: not in the backend.
	for name := range kinds {
		tagChecks(t, spans[name], map[string]any{"bex.args": nil, "bex.result": nil})
	}
	// The function spans sum usage under bex.usage.*; gen_ai.usage.* is on
	// the attempts only, so that a sum over the trace counts tokens once.
	tagChecks(t, spans["ClassifyTicket"], map[string]any{
		"bex.llm.attempts":                     int64(1),
		"bex.usage.input_tokens":               classifyUsage.Input,
		"bex.usage.output_tokens":              classifyUsage.Output,
		"bex.usage.cache_read.input_tokens":    classifyUsage.Cached,
		"gen_ai.usage.input_tokens":            nil,
		"gen_ai.usage.cache_read.input_tokens": nil,
	})
	tagChecks(t, spans["Headline"], map[string]any{
		"bex.llm.attempts":          int64(1),
		"bex.usage.input_tokens":    headlineUsage.Input,
		"bex.usage.output_tokens":   headlineUsage.Output,
		"gen_ai.usage.input_tokens": nil,
	})
	tagChecks(t, spans["db.query"], map[string]any{"span.kind": "client", "db.system.name": "sqlite"})
}

// checkChatSpans checks the GenAI attributes of the attempt spans.
func checkChatSpans(t *testing.T, r *rig, spans map[string]*jaegertest.Span) {
	t.Helper()
	u, err := url.Parse(r.stub.URL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.ParseInt(u.Port(), 10, 64)
	common := func(provider, model, client, finish string, usage [2]int64) map[string]any {
		return map[string]any{
			"span.kind":                      "client",
			"gen_ai.operation.name":          "chat",
			"gen_ai.provider.name":           provider,
			"gen_ai.request.model":           model,
			"gen_ai.response.model":          model,
			"gen_ai.usage.input_tokens":      usage[0],
			"gen_ai.usage.output_tokens":     usage[1],
			"gen_ai.response.finish_reasons": `["` + finish + `"]`,
			"server.address":                 u.Hostname(),
			"server.port":                    port,
			"bex.llm.client":                 client,
			"bex.llm.selected":               true,
			"error":                          nil,
			"gen_ai.input.messages":          nil, // content capture is off by default
			"gen_ai.output.messages":         nil,
		}
	}
	tagChecks(t, spans[chatOpenAI], common("openai", openaiModel, "Fast", "stop", [2]int64{classifyUsage.Input, classifyUsage.Output}))
	tagChecks(t, spans[chatOpenAI], map[string]any{"gen_ai.usage.cache_read.input_tokens": classifyUsage.Cached})
	tagChecks(t, spans[chatClaude], common("anthropic", claudeModel, "Claude", "end_turn", [2]int64{headlineUsage.Input, headlineUsage.Output}))
	for name, parent := range map[string]string{chatOpenAI: "ClassifyTicket", chatClaude: "Headline"} {
		if id, _ := spans[name].Tag("gen_ai.response.id"); id == nil || id == "" {
			t.Errorf("span %s: no gen_ai.response.id", name)
		}
		// The attempt lies within its function's span.
		s, p := spans[name], spans[parent]
		if s.StartTime.Before(p.StartTime) || s.StartTime.Add(s.Duration).After(p.StartTime.Add(p.Duration)) {
			t.Errorf("span %s [%v +%v] is not within %s [%v +%v]", name, s.StartTime, s.Duration, p.OperationName, p.StartTime, p.Duration)
		}
	}
}

func checkNoErrors(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	for i := range tr.Spans {
		tagChecks(t, &tr.Spans[i], map[string]any{"error": nil, "error.type": nil})
	}
}

// checkNoSecret searches every tag and log field for the API key.
func checkNoSecret(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	for _, s := range tr.Spans {
		all := fmt.Sprint(s.Tags)
		for _, l := range s.Logs {
			all += fmt.Sprint(l.Fields)
		}
		if strings.Contains(all, apiKey) {
			t.Errorf("span %s carries the API key", s.OperationName)
		}
	}
	for _, p := range tr.Processes {
		if strings.Contains(fmt.Sprint(p.Tags), apiKey) {
			t.Error("a process carries the API key")
		}
	}
}

// checkTraceparent checks that each LLM request named its attempt span as
// the parent, so the provider's own spans would join the trace there.
func checkTraceparent(t *testing.T, r *rig, id trace.TraceID, spans map[string]*jaegertest.Span) {
	t.Helper()
	want := map[string]string{
		openaiModel: fmt.Sprintf("00-%s-%s-01", id, spans[chatOpenAI].SpanID),
		claudeModel: fmt.Sprintf("00-%s-%s-01", id, spans[chatClaude].SpanID),
	}
	seen := 0
	for _, req := range r.stub.Requests() {
		tp := req.Header.Get("traceparent")
		if !strings.Contains(tp, id.String()) {
			continue // the other trace's request
		}
		seen++
		if tp != want[req.Model] {
			t.Errorf("request for %s: traceparent %q, want %q", req.Model, tp, want[req.Model])
		}
	}
	if seen != 2 {
		t.Errorf("%d LLM requests carried trace %s, want 2", seen, id)
	}
}

func hasException(s *jaegertest.Span) bool {
	for _, l := range s.Logs {
		if ev, _ := l.Fields.Get("event"); ev == "exception" {
			return true
		}
	}
	return false
}
