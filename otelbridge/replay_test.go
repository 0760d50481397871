package otelbridge

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/codes"
)

// seq turns events (and errors) into the stream a trace file reader yields.
func seq(events []vmspan.Event, errs ...error) iter.Seq2[vmspan.Event, error] {
	return func(yield func(vmspan.Event, error) bool) {
		for i, e := range events {
			if i == 1 {
				for _, err := range errs {
					if !yield(vmspan.Event{}, err) {
						return
					}
				}
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

// TestReplayReproducesLiveTrace records the events of a live run, replays
// them through a second provider, and compares what the backend would see.
func TestReplayReproducesLiveTrace(t *testing.T) {
	live := newFixture(t, false, WithContentCapture(true))
	runInterleaved(live, live.tp.Tracer("app"))
	ctx, h := live.tracer.Start(context.Background(), "Second", "password", "x")
	vmspan.SetTags(ctx, "k", "v")
	failed := live.tracer.StartSpan(ctx, "boom", vmspan.StartConfig{Kind: vmspan.KindRoot})
	failed.End(nil, typedErr{"EvalError", "bad"})
	h.End("done", nil)

	var want []summary
	for _, s := range summarize(live.sr.Ended()) {
		if s.Name != "http" && s.Name != "db" { // the application's own spans are not in the events
			want = append(want, s)
		}
	}
	tp, sr := newRecorder(t, false)
	st, err := Export(context.Background(), seq(live.rec.Events()), WithTracerProvider(tp), WithContentCapture(true))
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(sr.Ended()); !equalSummaries(got, want) {
		t.Errorf("replayed trace differs:\n got %v\nwant %v", got, want)
	}
	wantStats := ReplayStats{Events: len(live.rec.Events()), Spans: 6, Attempts: 2}
	if st != wantStats {
		t.Errorf("stats %+v, want %+v", st, wantStats)
	}
}

func TestReplayUnbalancedAndMalformed(t *testing.T) {
	live := newFixture(t, false)
	runLLM(live)
	var events []vmspan.Event
	for _, e := range live.rec.Events() {
		if !(e.Kind == vmspan.EventEnd && e.Name == "main") { // the file lost main's end
			events = append(events, e)
		}
	}
	last := events[len(events)-1].Time
	tp, sr := newRecorder(t, false)
	bad := errors.New("line 2: invalid character")
	st, err := Export(context.Background(), seq(events, bad), WithTracerProvider(tp))
	if !errors.Is(err, bad) {
		t.Errorf("error %v, want the malformed line's", err)
	}
	want := ReplayStats{Events: len(events), Malformed: 1, Spans: 2, Attempts: 2, Unbalanced: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	main := spanNamed(t, sr.Ended(), "main")
	if main.Status().Code != codes.Error || main.Status().Description != "span not ended in trace file" || !main.EndTime().Equal(last) {
		t.Errorf("main: status %+v, end %v; want the unbalanced error, ending at %v", main.Status(), main.EndTime(), last)
	}
}

func TestReplayManyMalformed(t *testing.T) {
	errs := make([]error, 30)
	for i := range errs {
		errs[i] = errors.New("bad line")
	}
	tp, _ := newRecorder(t, false)
	id := vmspan.SequentialIDs()()
	events := []vmspan.Event{{Kind: vmspan.EventSetTags, Span: vmspan.SpanContext{ID: id}}, {Kind: vmspan.EventSetTags, Span: vmspan.SpanContext{ID: id}}}
	st, err := Export(context.Background(), seq(events, errs...), WithTracerProvider(tp))
	if st.Malformed != 30 || err == nil || !strings.Contains(err.Error(), "10 more malformed events") {
		t.Errorf("stats %+v, error %v", st, err)
	}
}

func TestReplayStopsWhenCanceled(t *testing.T) {
	live := newFixture(t, false)
	runLLM(live)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tp, sr := newRecorder(t, false)
	st, err := Export(ctx, seq(live.rec.Events()), WithTracerProvider(tp))
	if !errors.Is(err, context.Canceled) || st.Events != 0 || len(sr.Ended()) != 0 {
		t.Errorf("stats %+v, error %v, %d spans", st, err, len(sr.Ended()))
	}
}

// TestReplayLateStart replays a file whose beginning was lost: spans whose
// start is missing are created from their end events.
func TestReplayLateStart(t *testing.T) {
	live := newFixture(t, false)
	runLLM(live)
	events := live.rec.Events()
	tp, sr := newRecorder(t, false)
	st, err := Export(context.Background(), seq(events[2:]), WithTracerProvider(tp)) // both starts lost
	if err != nil || st.Late != 2 || st.Unbalanced != 0 {
		t.Errorf("stats %+v, error %v", st, err)
	}
	if got, want := summarize(sr.Ended()), summarize(live.sr.Ended()); !equalSummaries(got, want) {
		t.Errorf("trace differs:\n got %v\nwant %v", got, want)
	}
}
