// ids.go holds the IDGenerator that makes an SDK provider use bex's deterministic ids.

package otelbridge

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// idsKey is the context key under which the bridge passes the ids it wants
// to tracer.Start. The ctx that carries it never leaves the package, so the
// application's own spans never see it.
type idsKey struct{}

// idsCtx carries the wanted ids; one allocation, no boxing of the ids.
type idsCtx struct {
	context.Context
	traceID trace.TraceID
	spanID  trace.SpanID
}

func (c *idsCtx) Value(key any) any {
	if key == (idsKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// withIDs returns ctx asking the IDGenerator for these ids.
func withIDs(ctx context.Context, t trace.TraceID, s trace.SpanID) context.Context {
	return &idsCtx{Context: ctx, traceID: t, spanID: s}
}

func wantedIDs(ctx context.Context) (*idsCtx, bool) {
	c, ok := ctx.Value(idsKey{}).(*idsCtx)
	return c, ok && c.spanID.IsValid()
}

// IDGenerator returns an sdktrace.IDGenerator that gives the spans the
// bridge creates their deterministic ids (vmspan.OTelTraceID,
// vmspan.OTelSpanID, vmspan.AttemptSpanID) and every other span random ids,
// as the SDK's default generator does. Pass it to the application's
// provider with sdktrace.WithIDGenerator so that the ids the live bridge
// sends equal those of a later replay (Export); NewProvider installs it.
// It is safe for concurrent use.
func IDGenerator() sdktrace.IDGenerator { return idGenerator{} }

type idGenerator struct{}

// NewIDs returns the wanted trace and span id of a bex root span, or random ids.
func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if c, ok := wantedIDs(ctx); ok && c.traceID.IsValid() {
		return c.traceID, c.spanID
	}
	return randomTraceID(), randomSpanID()
}

// NewSpanID returns the wanted span id of a bex span, or a random id. The
// wanted id is used whatever traceID is: a span id only has to be unique
// within its trace, and the bridge asks for the trace id its parent has.
func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if c, ok := wantedIDs(ctx); ok {
		return c.spanID
	}
	return randomSpanID()
}

func randomSpanID() trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.NativeEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

func randomTraceID() trace.TraceID {
	var t trace.TraceID
	for !t.IsValid() {
		binary.NativeEndian.PutUint64(t[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t
}
