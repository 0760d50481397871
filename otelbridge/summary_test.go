package otelbridge

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// summary is what a span looks like from the backend: everything but the
// resource and scope, in a comparable form.
type summary struct {
	Name, Trace, Span, Parent string
	Kind                      string
	Start, End                string
	Status                    string
	Attrs                     string
	Events                    string
}

func summarize(spans []sdktrace.ReadOnlySpan) []summary {
	out := make([]summary, 0, len(spans))
	for _, s := range spans {
		var attrs []string
		for _, kv := range s.Attributes() {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.Emit())
		}
		sort.Strings(attrs)
		var events []string
		for _, e := range s.Events() {
			events = append(events, fmt.Sprintf("%s@%s%v", e.Name, e.Time.Format("15:04:05.000"), e.Attributes))
		}
		out = append(out, summary{
			Name: s.Name(), Trace: s.SpanContext().TraceID().String(), Span: s.SpanContext().SpanID().String(),
			Parent: s.Parent().SpanID().String(), Kind: s.SpanKind().String(),
			Start: s.StartTime().Format("15:04:05.000000"), End: s.EndTime().Format("15:04:05.000000"),
			Status: fmt.Sprintf("%v %s", s.Status().Code, s.Status().Description),
			Attrs:  strings.Join(attrs, " "), Events: strings.Join(events, " "),
		})
	}
	slices.SortFunc(out, func(a, b summary) int { return strings.Compare(a.Span, b.Span) })
	return out
}

func equalSummaries(a, b []summary) bool { return slices.Equal(a, b) }
