package otelbridge

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// receiver is an in-process OTLP trace receiver that keeps what it gets,
// as decoded requests and as the bytes that left the process.
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu   sync.Mutex
	reqs []*collectortrace.ExportTraceServiceRequest
	raw  []byte
}

func (r *receiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	b, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	r.add(req, b)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *receiver) add(req *collectortrace.ExportTraceServiceRequest, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.raw = append(r.raw, b...)
}

// spans returns the received spans by name, and the service names seen.
func (r *receiver) spans(t *testing.T) (map[string]*tracepb.Span, []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*tracepb.Span{}
	var services []string
	for _, req := range r.reqs {
		for _, rs := range req.ResourceSpans {
			services = append(services, strAttr(rs.Resource.Attributes, "service.name"))
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					if out[s.Name] != nil {
						t.Errorf("span %q received twice", s.Name)
					}
					out[s.Name] = s
				}
			}
		}
	}
	return out, services
}

func strAttr(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.Key == key {
			switch v := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				return v.StringValue
			case *commonpb.AnyValue_IntValue:
				return strconv.FormatInt(v.IntValue, 10)
			case *commonpb.AnyValue_BoolValue:
				return strconv.FormatBool(v.BoolValue)
			}
		}
	}
	return ""
}

// startGRPC serves a receiver on 127.0.0.1 and returns its endpoint URL.
func startGRPC(t *testing.T) (*receiver, string) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, r)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return r, "http://" + lis.Addr().String()
}

// startHTTP serves a receiver over OTLP/HTTP (protobuf) on 127.0.0.1.
func startHTTP(t *testing.T) (*receiver, string) {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var msg collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &msg)
		}
		if err != nil || req.URL.Path != "/v1/traces" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.add(&msg, body)
		resp, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return r, srv.URL
}

// runSecrets runs a host span with secrets in its arguments and tags above
// runLLM's tree.
func runSecrets(f *fixture) {
	ctx, h := f.tracer.Start(context.Background(), "Handle",
		"api_key", "sk-live-SECRET1", "headers", map[string]any{"Authorization": "Bearer SECRET2", "accept": "json"})
	vmspan.SetTags(ctx, "password", "SECRET3", "env", "prod")
	root := f.tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	llm, endLlm := child(root, "Extract", vmspan.KindLLM, []vmspan.Arg{{Name: "text", Value: "Ann is 42"}, {Name: "access_token", Value: "SECRET4"}})
	llm.AddAttempts(attemptsFor()...)
	endLlm("RESULT-VALUE", nil)
	root.End(nil, nil)
	h.End(nil, nil)
}

func TestOTLPExport(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		start func(*testing.T) (*receiver, string)
	}{
		{"HTTPByDefault", nil, startHTTP},
		{"gRPC", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, startGRPC},
		{"HTTP", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, startHTTP},
		{"HTTPTracesProtocolWins", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, startHTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			r, endpoint := tt.start(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint) // plain http://: no TLS
			t.Setenv("OTEL_SERVICE_NAME", "otlp-test")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			p, err := NewProvider(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{rec: new(spantest.Recorder)}
			f.bridge = New(WithTracerProvider(p), WithContentCapture(true))
			f.tracer = vmspan.NewTracer(vmspan.Fanout(f.bridge, f.rec), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(newClock()))
			runSecrets(f)
			if err := p.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s := f.bridge.Stats().Delivery; s.Exported != 5 || s.Dropped != 0 {
				t.Errorf("delivery %+v, want 5 exported", s)
			}
			checkReceived(t, f, r)
			r.mu.Lock()
			raw := r.raw
			r.mu.Unlock()
			if !bytes.Contains(raw, []byte("Ann is 42")) || !bytes.Contains(raw, []byte("Extract.")) {
				t.Error("the raw bytes lack content that was captured: the secret checks would prove nothing")
			}
		})
	}
}

// TestOTLPExportWithoutContent: with content capture off (the default), no
// argument, prompt, system instruction or completion leaves the process.
func TestOTLPExportWithoutContent(t *testing.T) {
	clearOTelEnv(t)
	r, endpoint := startHTTP(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	p, err := NewProvider(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{rec: new(spantest.Recorder)}
	f.bridge = New(WithTracerProvider(p))
	f.tracer = vmspan.NewTracer(vmspan.Fanout(f.bridge, f.rec), vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(newClock()))
	runSecrets(f)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	raw := r.raw
	r.mu.Unlock()
	if !bytes.Contains(raw, []byte("chat claude-sonnet")) {
		t.Fatal("nothing was exported: the checks below would prove nothing")
	}
	for _, content := range []string{"Ann is", "Extract.", "Ann", "accept", "RESULT-VALUE"} {
		if bytes.Contains(raw, []byte(content)) {
			t.Errorf("%q left the process with content capture off", content)
		}
	}
}

// checkReceived checks the decoded spans and the raw bytes a receiver got.
func checkReceived(t *testing.T, f *fixture, r *receiver) {
	t.Helper()
	spans, services := r.spans(t)
	if len(spans) != 5 {
		t.Fatalf("received %d spans, want 5", len(spans))
	}
	for _, s := range services {
		if s != "otlp-test" {
			t.Errorf("service.name %q, want OTEL_SERVICE_NAME", s)
		}
	}
	root := find(t, f.rec, vmspan.EventStart, "Handle")
	wantTrace := vmspan.OTelTraceID(root.Span.ID)
	for _, name := range []string{"Handle", "main", "Extract"} {
		start, end := find(t, f.rec, vmspan.EventStart, name), find(t, f.rec, vmspan.EventEnd, name)
		s := spans[name]
		sid := vmspan.OTelSpanID(start.Span.ID)
		var parent []byte
		if !start.Span.Parent.IsZero() {
			p := vmspan.OTelSpanID(start.Span.Parent)
			parent = p[:]
		}
		if !bytes.Equal(s.TraceId, wantTrace[:]) || !bytes.Equal(s.SpanId, sid[:]) || !bytes.Equal(s.ParentSpanId, parent) {
			t.Errorf("%s: ids %x/%x parent %x, want %x/%x parent %x", name, s.TraceId, s.SpanId, s.ParentSpanId, wantTrace, sid, parent)
		}
		if s.StartTimeUnixNano != uint64(start.Time.UnixNano()) || s.EndTimeUnixNano != uint64(end.Start.Add(end.Duration).UnixNano()) {
			t.Errorf("%s: times %d..%d", name, s.StartTimeUnixNano, s.EndTimeUnixNano)
		}
		if got := strAttr(s.Attributes, "bex.span_id"); got != start.Span.ID.String() {
			t.Errorf("%s: bex.span_id %q", name, got)
		}
	}
	ext := find(t, f.rec, vmspan.EventStart, "Extract")
	for i, name := range []string{"chat gpt-4o", "chat claude-sonnet"} {
		s, want := spans[name], vmspan.AttemptSpanID(ext.Span.ID, i)
		if s == nil || !bytes.Equal(s.SpanId, want[:]) || s.Kind != tracepb.Span_SPAN_KIND_CLIENT || strAttr(s.Attributes, "gen_ai.operation.name") != "chat" {
			t.Errorf("attempt %d: %v", i, s)
		}
	}
	if s := spans["chat gpt-4o"]; s.Status.Code != tracepb.Status_STATUS_CODE_ERROR || strAttr(s.Attributes, "error.type") != "429" {
		t.Errorf("failed attempt: status %v", s.Status)
	}
	if got := strAttr(spans["Handle"].Attributes, "bex.args"); got != `{"api_key":"[REDACTED]","headers":{"Authorization":"[REDACTED]","accept":"json"}}` {
		t.Errorf("Handle bex.args %s", got)
	}
	r.mu.Lock()
	raw := r.raw
	r.mu.Unlock()
	for _, secret := range []string{"SECRET1", "SECRET2", "SECRET3", "SECRET4"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("%q left the process", secret)
		}
	}
}
