// Package otlpstub is an in-process OTLP/gRPC trace receiver for tests. It
// keeps every export request, both as the protobuf bytes that arrived and
// decoded; it can stall each export (to play a slow or hung backend) and can
// forward what it accepts to another OTLP/gRPC endpoint, such as a Jaeger
// from package jaegertest, so that a test sees a slow Jaeger.
//
// A stalled export that the client gives up on (its deadline passes) is
// neither kept nor forwarded, so the spans the client counts as failed are
// exactly the spans the backend never got.
//
//	srv, err := otlpstub.Start(otlpstub.WithForward(j.OTLPGRPCEndpoint()))
//	defer srv.Close()
//	srv.SetStall(time.Second) // every export now takes a second
//	// export to "http://" + srv.Endpoint() ...
package otlpstub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// Hang is a stall that lasts until the client gives up.
const Hang time.Duration = -1

// A Request is one export request the server accepted.
type Request struct {
	Raw     []byte // the serialized ExportTraceServiceRequest as received
	Decoded *coltrace.ExportTraceServiceRequest
	Spans   int
}

// Stats counts what the server saw.
type Stats struct {
	Requests int64 // export requests received
	Accepted int64 // requests answered with success
	Spans    int64 // spans in accepted requests
	GaveUp   int64 // requests whose client gave up during the stall
}

// A Server is a running receiver. Its methods are safe for concurrent use.
type Server struct {
	coltrace.UnimplementedTraceServiceServer

	lis     net.Listener
	grpc    *grpc.Server
	forward coltrace.TraceServiceClient
	conn    *grpc.ClientConn
	raw     sync.Map // *ExportTraceServiceRequest -> []byte, set by the codec
	stall   atomic.Int64
	done    chan struct{}

	mu       sync.Mutex
	requests []Request
	stats    Stats
}

// An Option configures Start.
type Option func(*config)

type config struct{ forward string }

// WithForward makes the server send every request it accepts on to the
// OTLP/gRPC receiver at endpoint (host:port, no TLS) and answer with that
// receiver's answer.
func WithForward(endpoint string) Option { return func(c *config) { c.forward = endpoint } }

// Start listens on a free 127.0.0.1 port and serves the OTLP trace service.
func Start(opts ...Option) (*Server, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{lis: lis, done: make(chan struct{})}
	if c.forward != "" {
		s.conn, err = grpc.NewClient(c.forward, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			lis.Close()
			return nil, fmt.Errorf("otlpstub: forward to %s: %w", c.forward, err)
		}
		s.forward = coltrace.NewTraceServiceClient(s.conn)
	}
	s.grpc = grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{s}))
	coltrace.RegisterTraceServiceServer(s.grpc, s)
	go func() { _ = s.grpc.Serve(lis) }()
	return s, nil
}

// Endpoint returns host:port, for OTEL_EXPORTER_OTLP_ENDPOINT=http://host:port.
func (s *Server) Endpoint() string { return s.lis.Addr().String() }

// SetStall makes every export from now on wait d before it is answered (and
// forwarded); Hang waits until the client gives up; 0 answers at once.
// Exports already waiting keep their stall.
func (s *Server) SetStall(d time.Duration) { s.stall.Store(int64(d)) }

// Requests returns the accepted requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close stops the server at once (waiting exports fail) and the forwarding
// connection.
func (s *Server) Close() {
	close(s.done)
	s.grpc.Stop()
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// Export stalls, then keeps and forwards the request.
func (s *Server) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	v, _ := s.raw.LoadAndDelete(req)
	raw, _ := v.([]byte)
	s.count(func(st *Stats) { st.Requests++ })
	if err := s.wait(ctx, time.Duration(s.stall.Load())); err != nil {
		s.count(func(st *Stats) { st.GaveUp++ })
		return nil, err
	}
	resp := &coltrace.ExportTraceServiceResponse{}
	if s.forward != nil {
		var err error
		if resp, err = s.forward.Export(ctx, req); err != nil {
			return nil, err
		}
	}
	n := spanCount(req)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Raw: raw, Decoded: req, Spans: n})
	s.stats.Accepted++
	s.stats.Spans += int64(n)
	s.mu.Unlock()
	return resp, nil
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// wait sleeps d (forever for Hang) unless the client gives up first.
func (s *Server) wait(ctx context.Context, d time.Duration) error {
	if d == 0 {
		return nil
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("otlpstub: server closed")
	}
}

func spanCount(req *coltrace.ExportTraceServiceRequest) int {
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

// rawCodec is gRPC's protobuf codec that also keeps a copy of each request's
// bytes for the handler.
type rawCodec struct{ s *Server }

func (c rawCodec) proto() encoding.CodecV2 { return encoding.GetCodecV2("proto") }

func (c rawCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto().Marshal(v) }

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if req, ok := v.(*coltrace.ExportTraceServiceRequest); ok {
		c.s.raw.Store(req, data.Materialize()) // a copy: data is freed on return
	}
	return c.proto().Unmarshal(data, v)
}

func (c rawCodec) Name() string { return "proto" }
