package otelbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// runTree runs host span Handle -> root main -> expr Helper, with tags,
// arguments of every value form and results.
func runTree(f *fixture) {
	ctx, host := f.tracer.Start(context.Background(), "Handle", "user", "ann", "api_key", "sk-live-123")
	vmspan.SetTags(ctx, "env", "prod")
	root := f.tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: []vmspan.Arg{
		{Name: "n", Value: int64(3)},
		{Name: "who", Value: vmspan.Object{Class: "Person", Fields: []vmspan.Arg{{Name: "name", Value: "Ann"}, {Name: "password", Value: "hunter2"}}}},
		{Name: "color", Value: vmspan.Enum{Name: "Color", Value: "Red"}},
	}})
	_, endChild := child(root, "Helper", vmspan.KindExpr, []vmspan.Arg{
		{Name: "m", Value: map[string]any{"b": int64(1), "a": []any{"x", 2.5, true, nil}, "token": "t0k"}},
	})
	endChild(int64(7), nil)
	root.End(map[string]any{"ok": true}, nil)
	host.End(nil, nil)
}

func TestMapping(t *testing.T) {
	f := newFixture(t, false, WithContentCapture(true))
	runTree(f)
	if n := len(f.sr.Ended()); n != 3 {
		t.Fatalf("%d spans, want 3", n)
	}
	hostStart := find(t, f.rec, vmspan.EventStart, "Handle")
	tests := []struct {
		name   string
		kind   string
		want   map[attribute.Key]string
		absent []attribute.Key
	}{
		{"Handle", "host-span", map[attribute.Key]string{
			KeyArgs: `{"user":"ann","api_key":"[REDACTED]"}`, "bex.tag.env": "prod",
		}, []attribute.Key{KeyResult}},
		{"main", "root", map[attribute.Key]string{
			KeyArgs:       `{"n":3,"who":{"__class":"Person","name":"Ann","password":"[REDACTED]"},"color":{"__enum":"Color","value":"Red"}}`,
			KeyResult:     `{"ok":true}`,
			"bex.tag.env": "prod",
		}, nil},
		{"Helper", "expr", map[attribute.Key]string{
			KeyArgs: `{"m":{"a":["x",2.5,true,null],"b":1,"token":"[REDACTED]"}}`, KeyResult: "7",
		}, []attribute.Key{KeyErrorType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := f.span(t, tt.name)
			start, end := find(t, f.rec, vmspan.EventStart, tt.name), find(t, f.rec, vmspan.EventEnd, tt.name)
			want := map[attribute.Key]string{KeySpanID: start.Span.ID.String(), KeyFunctionName: tt.name, KeySpanKind: tt.kind}
			for k, v := range tt.want {
				want[k] = v
			}
			checkAttrs(t, s, want, tt.absent...)
			checkTimes(t, s, start, end)
			if s.SpanKind() != trace.SpanKindInternal {
				t.Errorf("kind %v, want internal", s.SpanKind())
			}
			if s.Status().Code != codes.Unset {
				t.Errorf("status %v, want unset", s.Status())
			}
			tid, sid := ids(start)
			if s.SpanContext().TraceID() != tid || s.SpanContext().SpanID() != sid {
				t.Errorf("ids %v/%v, want %v/%v", s.SpanContext().TraceID(), s.SpanContext().SpanID(), tid, sid)
			}
			if tid != vmspan.OTelTraceID(hostStart.Span.ID) {
				t.Errorf("trace id %v, want OTelTraceID(root) %v", tid, vmspan.OTelTraceID(hostStart.Span.ID))
			}
		})
	}
	checkParent(t, f.span(t, "Helper"), f.span(t, "main"))
	checkParent(t, f.span(t, "main"), f.span(t, "Handle"))
	if sc := f.span(t, "Handle").InstrumentationScope(); sc.Name != TracerName || sc.SchemaURL != semconv.SchemaURL || sc.Version == "" || sc.Version != Version() {
		t.Errorf("instrumentation scope %+v, want bex's name, version and the semconv schema URL", sc)
	}
	if p := f.span(t, "Handle").Parent(); p.IsValid() {
		t.Errorf("Handle has parent %v, want none", p)
	}
	if !f.span(t, "Handle").StartTime().Equal(base) {
		t.Errorf("Handle starts at %v, want the clock's first reading %v", f.span(t, "Handle").StartTime(), base)
	}
	if s := f.bridge.Stats(); s.Spans != 3 || s.Open != 0 || s.Late != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestContentOff: without content capture (the default, unless the
// environment turns it on) no span carries arguments or results.
func TestContentOff(t *testing.T) {
	t.Setenv(ContentCaptureEnv, "")
	f := newFixture(t, false)
	runTree(f)
	for _, s := range f.sr.Ended() {
		checkAttrs(t, s, nil, KeyArgs, KeyResult)
	}
	t.Setenv(ContentCaptureEnv, "true")
	on := newFixture(t, false)
	runTree(on)
	checkAttrs(t, on.span(t, "Helper"), map[attribute.Key]string{KeyResult: "7"})
	off := newFixture(t, false, WithContentCapture(false)) // the option wins
	runTree(off)
	checkAttrs(t, off.span(t, "Helper"), nil, KeyResult)
}

// TestSessionTags: tags named session_id, user_id and conversation_id also
// set the conventions' session.id, user.id and gen_ai.conversation.id.
func TestSessionTags(t *testing.T) {
	f := newFixture(t, false)
	ctx, h := f.tracer.Start(context.Background(), "Handle")
	vmspan.SetTags(ctx, "session_id", "s1", "user_id", "u1", "conversation_id", "c1", "other_id", "x")
	_, c := f.tracer.Start(ctx, "child")
	c.End(nil, nil)
	h.End(nil, nil)
	for _, name := range []string{"Handle", "child"} {
		checkAttrs(t, f.span(t, name), map[attribute.Key]string{
			"session.id": "s1", "user.id": "u1", "gen_ai.conversation.id": "c1", "bex.tag.session_id": "s1", "bex.tag.other_id": "x",
		})
	}
}

func TestErrorStatus(t *testing.T) {
	f := newFixture(t, false)
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	root.End(nil, typedErr{"EvalError", "division by zero at main.baml:3:7"})
	s := f.span(t, "main")
	if s.Status().Code != codes.Error || s.Status().Description != "division by zero at main.baml:3:7" {
		t.Errorf("status %+v", s.Status())
	}
	checkAttrs(t, s, map[attribute.Key]string{KeyErrorType: "EvalError"}, KeyResult)
	end := find(t, f.rec, vmspan.EventEnd, "main")
	if len(s.Events()) != 1 {
		t.Fatalf("events %v, want one exception", s.Events())
	}
	ev := s.Events()[0]
	got := map[attribute.Key]string{}
	for _, kv := range ev.Attributes {
		got[kv.Key] = kv.Value.Emit()
	}
	if ev.Name != "exception" || got["exception.type"] != "EvalError" || got["exception.message"] != "division by zero at main.baml:3:7" {
		t.Errorf("exception event %s %v", ev.Name, got)
	}
	if !ev.Time.Equal(end.Start.Add(end.Duration)) {
		t.Errorf("exception at %v, want the end time", ev.Time)
	}
}

// handEvents returns a bridge on a recording provider, for tests that emit
// hand-built events.
func handEvents(t *testing.T, opts ...Option) (*Bridge, *fixture) {
	f := newFixture(t, false, opts...)
	return f.bridge, f
}

func TestSizeLimitAndTagRedaction(t *testing.T) {
	b, f := handEvents(t, WithMaxAttributeSize(40), WithContentCapture(true))
	id := vmspan.SequentialIDs()()
	long := strings.Repeat("é", 100)
	e := vmspan.Event{
		Kind: vmspan.EventStart, Span: vmspan.SpanContext{ID: id, Root: id}, Time: base, Name: "f", SpanKind: vmspan.KindHostSpan,
		Args:    []vmspan.Arg{{Name: "text", Value: long}},
		Tags:    map[string]string{"api_key": "sk-1", "note": long},
		TraceID: vmspan.OTelTraceID(id),
	}
	b.Emit(&e)
	e.Kind, e.Start, e.Duration, e.Time, e.Result = vmspan.EventEnd, base, time.Second, base.Add(time.Second), long
	e.Tags = map[string]string{"api_key": "sk-1", "note": long, "clientSecret": "x"}
	b.Emit(&e)
	s := f.span(t, "f")
	got := attrs(s)
	for _, k := range []attribute.Key{KeyArgs, KeyResult, "bex.tag.note"} {
		v := got[k].AsString()
		if len(v) > 40 || !strings.HasSuffix(v, TruncatedMarker) || !strings.HasPrefix(long, strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(v, TruncatedMarker), `{"text":"`), `"`)) {
			t.Errorf("%s = %q: want at most 40 bytes of the value, cut at a rune, ending with the marker", k, v)
		}
	}
	checkAttrs(t, s, map[attribute.Key]string{"bex.tag.api_key": vmspan.Redacted, "bex.tag.clientSecret": vmspan.Redacted})
	if !s.EndTime().Equal(base.Add(time.Second)) {
		t.Errorf("end %v", s.EndTime())
	}
}

func TestSetTagsReachOpenSpan(t *testing.T) {
	f := newFixture(t, false)
	ctx, host := f.tracer.Start(context.Background(), "Handle")
	vmspan.SetTags(ctx, "step", "1")
	vmspan.SetTags(ctx, "step", "2", "user", "ann")
	host.End(nil, nil)
	checkAttrs(t, f.span(t, "Handle"), map[attribute.Key]string{"bex.tag.step": "2", "bex.tag.user": "ann"})
}

func TestDuplicateAndUnknownEvents(t *testing.T) {
	b, f := handEvents(t)
	id := vmspan.SequentialIDs()()
	start := vmspan.Event{Kind: vmspan.EventStart, Span: vmspan.SpanContext{ID: id, Root: id}, Time: base, Name: "f", TraceID: vmspan.OTelTraceID(id)}
	b.Emit(&start)
	b.Emit(&start)                                            // a duplicate start is ignored
	b.Emit(&vmspan.Event{Kind: vmspan.EventStart, Name: "x"}) // no span id: ignored
	b.Emit(&vmspan.Event{Kind: 99, Span: start.Span})         // unknown kind: ignored
	end := start
	end.Kind, end.Start, end.Time = vmspan.EventEnd, base, base.Add(time.Millisecond)
	b.Emit(&end)
	if n := len(f.sr.Ended()); n != 1 {
		t.Errorf("%d spans, want 1", n)
	}
	if s := b.Stats(); s.Spans != 1 || s.Open != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestBridgeRetainsNothing checks that the bridge does not read an event's
// Stack or Args after Emit returns (it says so through vmspan.Retainer):
// slices overwritten after Emit leave the exported span as it was.
func TestBridgeRetainsNothing(t *testing.T) {
	f := newFixture(t, false)
	if vmspan.Retains(f.bridge) {
		t.Fatal("the bridge says it retains events")
	}
	ids := vmspan.SequentialIDs()
	id, other := ids(), ids()
	stack := []vmspan.SpanID{id}
	args := []vmspan.Arg{{Name: "x", Value: "before"}}
	start := vmspan.Event{Kind: vmspan.EventStart, ID: ids(), Span: vmspan.SpanContext{ID: id, Root: id}, Stack: stack,
		Time: time.Unix(1, 0), Name: "f", SpanKind: vmspan.KindExpr, Args: args, TraceID: vmspan.OTelTraceID(id)}
	f.bridge.Emit(&start)
	args[0], stack[0] = vmspan.Arg{Name: "y", Value: "after"}, other
	end := start
	end.Kind, end.ID, end.Time, end.Start, end.Duration, end.Result = vmspan.EventEnd, ids(), time.Unix(2, 0), start.Time, time.Second, "r"
	end.Args, end.Stack = []vmspan.Arg{{Name: "x", Value: "before"}}, []vmspan.SpanID{id}
	f.bridge.Emit(&end)
	args[0], stack[0] = vmspan.Arg{Name: "z", Value: "later"}, other
	s := f.span(t, "f")
	for _, kv := range s.Attributes() {
		if kv.Key == KeyArgs && kv.Value.AsString() != `{"x":"before"}` {
			t.Errorf("%s = %s", kv.Key, kv.Value.AsString())
		}
	}
	if s.SpanContext().SpanID() != vmspan.OTelSpanID(id) {
		t.Errorf("span id %s, want that of %s", s.SpanContext().SpanID(), id)
	}
}
