package jsonl

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// TestParseNotesRoundTrip writes an LLM span whose selected attempt carries
// parse notes and reads it back: the notes are in the end data's
// llm_calls, and come back as they were.
func TestParseNotesRoundTrip(t *testing.T) {
	rec := new(spantest.Recorder)
	tr := newTracer(rec)
	llm := tr.StartSpan(context.Background(), "Extract", vmspan.StartConfig{Kind: vmspan.KindLLM})
	notes := []vmspan.ParseNote{
		{Kind: vmspan.ParseDropped, Path: "items[2]", Detail: `dropped: want int, got "lots"`},
		{Kind: vmspan.ParseRounded, Path: "qty", Detail: "2.5 rounded to 3"},
		{Kind: vmspan.ParseDefaulted, Detail: "missing; used []"},
	}
	a := attempt(tr, "gpt-4o-mini", nil)
	a.ParseNotes = notes
	llm.AddAttempts(attempt(tr, "gpt-4o", errors.New("boom")), a)
	llm.End([]any{}, nil)
	evs := rec.Events()
	end := evs[len(evs)-1]
	line := AppendEvent(nil, &end)
	if !bytes.Contains(line, []byte(`"parse_notes":[{"detail":"dropped: want int, got \"lots\"","kind":"dropped","path":"items[2]"},`)) {
		t.Errorf("end line lacks the notes: %s", line)
	}
	if strings.Count(string(line), "parse_notes") != 1 {
		t.Errorf("want parse_notes on the selected attempt only: %s", line)
	}
	got := readAll(t, line)
	if len(got) != 1 || len(got[0].Attempts) != 2 {
		t.Fatalf("read %+v", got)
	}
	if g := got[0].Attempts[1].ParseNotes; !reflect.DeepEqual(g, notes) {
		t.Errorf("notes read back %+v, want %+v", g, notes)
	}
	if g := got[0].Attempts[0].ParseNotes; g != nil {
		t.Errorf("the failed attempt got notes %+v", g)
	}
}
