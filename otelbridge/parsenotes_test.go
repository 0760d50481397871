package otelbridge

import (
	"context"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/attribute"
)

// runLossyLLM runs root main -> LLM Extract whose selected attempt's reply
// lost data when it was coerced.
func runLossyLLM(f *fixture) {
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	llm, endLLM := child(root, "Extract", vmspan.KindLLM, nil)
	as := attemptsFor()
	as[1].ParseNotes = []vmspan.ParseNote{
		{Kind: vmspan.ParseDropped, Path: "items[2]", Detail: `dropped: want int, got "lots"`},
		{Kind: vmspan.ParseDropped, Path: "items[4]", Detail: `dropped: want int, got "many"`},
		{Kind: vmspan.ParseRounded, Path: "qty", Detail: "2.5 rounded to 3"},
	}
	llm.AddAttempts(as...)
	endLLM([]any{}, nil)
	root.End(nil, nil)
}

func TestParseNoteAttributes(t *testing.T) {
	f := newFixture(t, false)
	runLossyLLM(f)
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{KeyParseDropped: "2", KeyParseRounded: "1"},
		KeyParseDefaulted, KeyParseTruncated, KeyParseNotes) // the notes quote the reply: content capture only
	checkAttrs(t, f.span(t, "main"), nil, KeyParseDropped, KeyParseRounded)

	f = newFixture(t, false, WithContentCapture(true))
	runLossyLLM(f)
	checkAttrs(t, f.span(t, "Extract"), map[attribute.Key]string{
		KeyParseDropped: "2", KeyParseRounded: "1",
		KeyParseNotes: `["dropped items[2]: dropped: want int, got \"lots\"","dropped items[4]: dropped: want int, got \"many\"","rounded qty: 2.5 rounded to 3"]`,
	})

	f = newFixture(t, false)
	runLLM(f) // no notes: no attributes
	checkAttrs(t, f.span(t, "Extract"), nil, KeyParseDropped, KeyParseDefaulted, KeyParseRounded, KeyParseTruncated, KeyParseNotes)
}
