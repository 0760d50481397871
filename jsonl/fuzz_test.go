package jsonl

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// FuzzRead feeds arbitrary bytes to Read: it must never panic, report every
// bad line as a *LineError, and yield only events whose span context agrees
// with their call stack. An event that comes back must also survive being
// written and read again.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	workload(vmspan.SinkFunc(func(e *vmspan.Event) { buf.Write(AppendEvent(nil, e)) }))
	for _, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte("{}\n\n{\"content\":{\"type\":\"intermediate\"}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for e, err := range Read(bytes.NewReader(data)) {
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) || le.Line < 1 {
					t.Fatalf("error %v is not a LineError", err)
				}
				continue
			}
			checkEvent(t, &e)
			again := AppendEvent(nil, &e)
			for e2, err := range Read(bytes.NewReader(again)) {
				if err != nil {
					t.Fatalf("re-encoded event %s does not read back: %v", again, err)
				}
				if e2.Span != e.Span || e2.Kind != e.Kind || e2.ID != e.ID {
					t.Fatalf("re-read event differs: %+v vs %+v", e2.Span, e.Span)
				}
			}
		}
	})
}

func checkEvent(t *testing.T, e *vmspan.Event) {
	n := len(e.Stack)
	if n == 0 || e.Stack[n-1] != e.Span.ID || e.Stack[0] != e.Span.Root {
		t.Fatalf("span %+v does not match stack %v", e.Span, e.Stack)
	}
	if (n > 1 && e.Span.Parent != e.Stack[n-2]) || (n == 1 && !e.Span.Parent.IsZero()) {
		t.Fatalf("parent %v does not match stack %v", e.Span.Parent, e.Stack)
	}
	if e.Kind < vmspan.EventStart || e.Kind > vmspan.EventSetTags {
		t.Fatalf("kind %v", e.Kind)
	}
}
