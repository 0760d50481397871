// remote.go holds remote (W3C) parents and the span context read from ctx.

package vmspan

import (
	"context"
	"encoding/hex"
	"fmt"

	"go.opentelemetry.io/otel/trace"
)

// A RemoteParent is an OpenTelemetry span that bex did not create, found in
// the caller's ctx: the parent of the first bex span started below it.
type RemoteParent struct {
	TraceID trace.TraceID
	SpanID  trace.SpanID
	Flags   trace.TraceFlags
	// State is the span's W3C tracestate, which its descendants carry on
	// (so that it reaches the services bex calls).
	State trace.TraceState
}

// Traceparent returns the W3C traceparent header value, version 00.
func (r RemoteParent) Traceparent() string {
	return fmt.Sprintf("00-%s-%s-%02x", r.TraceID, r.SpanID, byte(r.Flags))
}

// SpanContext returns r as a remote OpenTelemetry span context.
func (r RemoteParent) SpanContext() trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: r.TraceID, SpanID: r.SpanID, TraceFlags: r.Flags, TraceState: r.State, Remote: true})
}

// ParseTraceparent parses a W3C traceparent header value
// ("00-<32 hex>-<16 hex>-<2 hex>"). It rejects all-zero ids, version ff and
// malformed input; future versions are accepted when their first four
// fields are well formed, as the W3C specification asks.
func ParseTraceparent(s string) (RemoteParent, error) {
	var r RemoteParent
	if len(s) < 55 {
		return r, fmt.Errorf("traceparent %q: want 55 characters, have %d", s, len(s))
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' || (len(s) > 55 && s[55] != '-') {
		return r, fmt.Errorf("traceparent %q: fields must be separated by '-'", s)
	}
	var ver [1]byte
	if _, err := hexDecode(ver[:], s[0:2]); err != nil || ver[0] == 0xff {
		return r, fmt.Errorf("traceparent %q: bad version", s)
	}
	if ver[0] == 0 && len(s) != 55 {
		return r, fmt.Errorf("traceparent %q: version 00 has exactly 55 characters", s)
	}
	if _, err := hexDecode(r.TraceID[:], s[3:35]); err != nil || !r.TraceID.IsValid() {
		return r, fmt.Errorf("traceparent %q: bad trace id", s)
	}
	if _, err := hexDecode(r.SpanID[:], s[36:52]); err != nil || !r.SpanID.IsValid() {
		return r, fmt.Errorf("traceparent %q: bad span id", s)
	}
	var fl [1]byte
	if _, err := hexDecode(fl[:], s[53:55]); err != nil {
		return r, fmt.Errorf("traceparent %q: bad flags", s)
	}
	r.Flags = trace.TraceFlags(fl[0])
	return r, nil
}

// hexDecode decodes lowercase hex only, as W3C requires.
func hexDecode(dst []byte, s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, fmt.Errorf("not lowercase hex")
		}
	}
	return hex.Decode(dst, []byte(s))
}

// A HostSpanContext is the host side's span context as seen from a ctx: the
// innermost bex span (Parent), its tree's root and call stack, and the remote
// OpenTelemetry parent when ctx holds an OTel span newer than any bex span.
type HostSpanContext struct {
	Root   SpanID
	Parent SpanID
	Stack  []SpanID // root first, Parent last
	Remote *RemoteParent
}

type spanKey struct{}

// SpanFromContext returns the innermost bex span in ctx (a host span or an
// engine span), or nil.
func SpanFromContext(ctx context.Context) *Span {
	s, _ := ctx.Value(spanKey{}).(*Span)
	return s
}

// HostContext returns the host span context of ctx.
func HostContext(ctx context.Context) HostSpanContext {
	var h HostSpanContext
	p := SpanFromContext(ctx)
	if p != nil {
		h.Root, h.Parent, h.Stack = p.ev.Span.Root, p.ev.Span.ID, p.ev.Stack
	}
	h.Remote = remoteFrom(ctx, p)
	return h
}

// remoteFrom returns the OTel span in ctx as a remote parent when bex did not
// create it: there is no bex span in ctx, or the OTel span in ctx is not the
// one that was current when the innermost bex span's context was made.
func remoteFrom(ctx context.Context, p *Span) *RemoteParent {
	osc := trace.SpanContextFromContext(ctx)
	if !osc.IsValid() {
		return nil
	}
	if p != nil && p.otelSpanID() == osc.SpanID() {
		return nil
	}
	return &RemoteParent{TraceID: osc.TraceID(), SpanID: osc.SpanID(), Flags: osc.TraceFlags(), State: osc.TraceState()}
}
