package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// TestChecksRoundTrip writes an LLM span whose selected attempt carries
// check outcomes and reads it back: the checks are in the end data's
// llm_calls with BAML's status words, and come back as they were.
func TestChecksRoundTrip(t *testing.T) {
	rec := new(spantest.Recorder)
	tr := newTracer(rec)
	llm := tr.StartSpan(context.Background(), "Extract", vmspan.StartConfig{Kind: vmspan.KindLLM})
	checks := []vmspan.CheckResult{
		{Path: "title", Name: "short", Expr: `this|length < 10`, Passed: false},
		{Name: "named", Expr: `this.name != ""`, Passed: true},
	}
	a := attempt(tr, "gpt-4o-mini", nil)
	a.Checks = checks
	llm.AddAttempts(a)
	llm.End(nil, nil)
	evs := rec.Events()
	end := evs[len(evs)-1]
	line := AppendEvent(nil, &end)
	want := `"llm_calls":[{"checks":[{"expression":"this|length < 10","name":"short","path":"title","status":"failed"},{"expression":"this.name != \"\"","name":"named","status":"succeeded"}],"client":`
	if !bytes.Contains(line, []byte(want)) {
		t.Errorf("end line lacks the checks:\n%s\nwant %s", line, want)
	}
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	got := readAll(t, line)
	if len(got) != 1 || len(got[0].Attempts) != 1 {
		t.Fatalf("read %+v", got)
	}
	if g := got[0].Attempts[0].Checks; !reflect.DeepEqual(g, checks) {
		t.Errorf("checks read back %+v, want %+v", g, checks)
	}
}
