// host.go holds host spans: the Go analogue of a @trace decorator.

package vmspan

import (
	"context"
	"fmt"
)

// Start starts a host span with the default tracer. See Tracer.Start.
func Start(ctx context.Context, name string, args ...any) (context.Context, *Span) {
	return Default().Start(ctx, name, args...)
}

// SetTags sets tags on the innermost bex span of ctx: alternating keys and
// values (values are formatted with %v). It does nothing when ctx has no span.
func SetTags(ctx context.Context, kv ...any) {
	SpanFromContext(ctx).SetTags(kv...)
}

// Start starts a host span named name as a child of the innermost bex span in
// ctx (or of the remote OpenTelemetry span in ctx, or as a new root) and
// returns a ctx that carries it. args are the span's named arguments, given
// as alternating name and value (like log/slog), or as Arg values; a value
// with no name is named argN after its position. Values are snapshotted
// immediately, and secret-named ones redacted. The caller must call End.
func (t *Tracer) Start(ctx context.Context, name string, args ...any) (context.Context, *Span) {
	if t.sink == nil && SpanFromContext(ctx) == nil {
		return ctx, nil
	}
	s := t.StartSpan(ctx, name, StartConfig{Kind: KindHostSpan, Args: hostArgs(args)})
	if s == nil {
		return ctx, nil
	}
	return s.Context(ctx), s
}

func hostArgs(args []any) []Arg {
	if len(args) == 0 {
		return nil
	}
	out := make([]Arg, 0, len(args)/2+1)
	for i := 0; i < len(args); i++ {
		switch a := args[i].(type) {
		case Arg:
			out = append(out, Arg{a.Name, Snapshot(a.Value)})
		case string:
			if i+1 < len(args) {
				out = append(out, Arg{a, Snapshot(args[i+1])})
				i++
				continue
			}
			out = append(out, Arg{fmt.Sprintf("arg%d", len(out)), a})
		default:
			out = append(out, Arg{fmt.Sprintf("arg%d", len(out)), Snapshot(a)})
		}
	}
	return RedactArgs(out)
}
