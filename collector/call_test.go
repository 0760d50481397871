package collector

import (
	"context"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// TestCompactForm: the tracer's start and end events take the compact form
// (with its default clock, in time.Local, and with a clock in UTC), and
// spans' stacks are derived from their parents'; only set-tags events are
// kept whole.
func TestCompactForm(t *testing.T) {
	for name, opts := range map[string][]vmspan.TracerOption{
		"default clock": nil,
		"UTC clock":     {vmspan.WithClock(spantest.StepClock())},
	} {
		t.Run(name, func(t *testing.T) {
			c := New("compact")
			defer c.Close()
			tr := vmspan.NewTracer(c, opts...)
			root := tr.StartSpan(context.Background(), "Batch", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: []vmspan.Arg{{Name: "n", Value: int64(3)}}})
			child := func(p *vmspan.Span, name string, args []vmspan.Arg) *vmspan.Span {
				return tr.StartSpan(p.Context(context.Background()), name, vmspan.StartConfig{Kind: vmspan.KindExpr, Args: args})
			}
			for range 3 {
				s := child(root, "Item", []vmspan.Arg{{Name: "name", Value: "x"}})
				s.SetTags("k", "v")
				child(s, "Leaf", nil).End(int64(1), nil)
				s.End(int64(2), nil)
			}
			root.End(int64(3), nil)
			cl := c.calls[root.SpanContext().ID]
			if len(cl.events) != 2*7+3 || len(cl.full) != 3 {
				t.Errorf("%d events retained, %d of them whole; want 17 and 3 (the set-tags events)", len(cl.events), len(cl.full))
			}
			for _, r := range cl.order[1:] {
				if !r.derived || r.stack != nil {
					t.Errorf("span %s keeps its own stack", r.name)
				}
			}
		})
	}
}
