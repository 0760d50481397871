package jsonl

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// TestStreamRoundTrip writes an LLM span with a streamed attempt (time to
// first chunk, chunks, recorded events) and a plain one, and reads them
// back as they were: the end data's llm_calls say which was streamed.
func TestStreamRoundTrip(t *testing.T) {
	rec := new(spantest.Recorder)
	tr := newTracer(rec)
	llm := tr.StartSpan(context.Background(), "Extract", vmspan.StartConfig{Kind: vmspan.KindLLM})
	streamed := attempt(tr, "gpt-4o-mini", nil)
	streamed.Stream = &vmspan.StreamInfo{FirstChunk: 1234567 * time.Nanosecond, Chunks: 7,
		Events: []string{`data: {"choices":[{"delta":{"content":"Hi"}}]}`, "event: message_stop\ndata: {}"}}
	quiet := attempt(tr, "gpt-4o", nil)
	quiet.Stream = &vmspan.StreamInfo{FirstChunk: 2 * time.Millisecond, Chunks: 1}
	llm.AddAttempts(streamed, quiet, attempt(tr, "gpt-4o", nil))
	llm.End("Hi", nil)
	evs := rec.Events()
	end := evs[len(evs)-1]
	line := AppendEvent(nil, &end)
	want := `"stream":{"chunks":7,"events":["data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}","event: message_stop\ndata: {}"],"first_chunk_ms":1,"first_chunk_ns":1234567}`
	if !bytes.Contains(line, []byte(want)) || !bytes.Contains(line, []byte(`"stream":{"chunks":1,"first_chunk_ms":2,"first_chunk_ns":2000000}`)) ||
		bytes.Count(line, []byte(`"stream"`)) != 2 {
		t.Errorf("end line: %s", line)
	}
	got := readAll(t, line)
	if len(got) != 1 || len(got[0].Attempts) != 3 {
		t.Fatalf("read %+v", got)
	}
	for i, a := range got[0].Attempts {
		if w := end.Attempts[i].Stream; !reflect.DeepEqual(a.Stream, w) {
			t.Errorf("attempt %d: stream read back %+v, want %+v", i, a.Stream, w)
		}
	}
}

// TestPartialRoundTrip writes a span's partial value as an intermediate
// line {"Partial": value} and reads it back as a partial event of that
// span; a partial value that is null ({"Partial": null}) too, by both
// decoders.
func TestPartialRoundTrip(t *testing.T) {
	rec := new(spantest.Recorder)
	tr := newTracer(rec)
	llm := tr.StartSpan(context.Background(), "Extract", vmspan.StartConfig{Kind: vmspan.KindLLM})
	partial := map[string]any{"items": []any{map[string]any{"name": "Wid", "qty": nil}}, "customer": "Acme"}
	llm.Partial(partial)
	llm.Partial(nil)
	llm.End("done", nil)
	llm.Partial("after the end: ignored")
	evs := rec.Events()
	if len(evs) != 4 || evs[1].Kind != vmspan.EventPartial || evs[2].Kind != vmspan.EventPartial {
		t.Fatalf("events %+v", evs)
	}
	line := AppendEvent(nil, &evs[1])
	if !bytes.Contains(line, []byte(`"content":{"data":{"Partial":{"customer":"Acme","items":[{"name":"Wid","qty":null}]}},"type":"intermediate"}`)) {
		t.Errorf("partial line: %s", line)
	}
	var file []byte
	for i := range evs {
		file = AppendEvent(file, &evs[i])
	}
	if line := AppendEvent(nil, &evs[2]); !bytes.Contains(line, []byte(`"content":{"data":{"Partial":null},"type":"intermediate"}`)) {
		t.Errorf("null partial line: %s", line)
	}
	for _, fast := range []bool{true, false} {
		var got []vmspan.Event
		for e, err := range read(bytes.NewReader(file), MaxLineSize, fast) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e)
		}
		if len(got) != 4 || got[1].Kind != vmspan.EventPartial || got[1].Name != "Extract" || got[1].SpanKind != vmspan.KindLLM ||
			!reflect.DeepEqual(got[1].Result, partial) || got[3].Kind != vmspan.EventEnd {
			t.Fatalf("fast=%v: read back %+v", fast, got)
		}
		if got[2].Kind != vmspan.EventPartial || got[2].Result != nil || got[2].Tags != nil || got[2].Name != "Extract" {
			t.Errorf("fast=%v: null partial read back as %+v, want a partial event of value nil", fast, got[2])
		}
	}
}
