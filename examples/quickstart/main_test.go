package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

func TestQuickstart(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	var out bytes.Buffer
	if err := run(context.Background(), &out, "The export button crashes the app. Please help.", path); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^result: The export button crashes the app \(The export button crashes the app, score 13\)$`,
		`(?m)^HandleTicket \(host span\)$`,
		`(?m)^   Triage \[root\] `,
		`(?m)^      ClassifyTicket \[llm\] .* openai/gpt-4o-mini tokens in=\d+ out=\d+$`,
		`(?m)^      Headline \[llm\] `,
		`(?m)^trace file: ` + regexp.QuoteMeta(path) + `$`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	starts, ends := 0, 0
	for e, err := range jsonl.ReadFile(path) {
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case vmspan.EventStart:
			starts++
		case vmspan.EventEnd:
			ends++
		}
	}
	if starts != 4 || ends != 4 {
		t.Errorf("trace file: %d starts, %d ends; want 4 and 4 (host span, root, two LLM spans)", starts, ends)
	}
}
