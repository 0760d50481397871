// Package deploy runs the collector configurations of the repository's
// deploy/ directory — the gateway (deploy/otelcol-gateway.yaml) and the
// trace store (deploy/jaeger-store.yaml) — with the Jaeger binary of package
// jaegertest, every listener on a free 127.0.0.1 port, so that the tests run
// the very files docker-compose.yml and docs/production.md use.
package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/bexrun/bex/integration/jaegertest"
)

// PrometheusVar is the variable of the gateway's Prometheus exporter
// endpoint; the gateway's Addr(PrometheusVar) is where to scrape it
// (http://ADDR/metrics).
const PrometheusVar = "GATEWAY_PROMETHEUS_ENDPOINT"

// Dir returns the repository's deploy/ directory.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("deploy: no source path")
	}
	// this file is integration/internal/deploy/deploy.go
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "deploy")
	if _, err := os.Stat(filepath.Join(dir, "otelcol-gateway.yaml")); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return filepath.Clean(dir)
}

// StartStore runs the trace store of deploy/jaeger-store.yaml: a Jaeger
// whose trace queries work as any jaegertest.Jaeger's.
func StartStore(t testing.TB, opts ...jaegertest.Option) *jaegertest.Jaeger {
	t.Helper()
	file := jaegertest.WithConfigFile(filepath.Join(Dir(t), "jaeger-store.yaml"), jaegertest.ConfigVars{
		OTLPGRPC: "STORE_OTLP_GRPC_ENDPOINT", OTLPHTTP: "STORE_OTLP_HTTP_ENDPOINT",
		QueryHTTP: "STORE_QUERY_HTTP_ENDPOINT", QueryGRPC: "STORE_QUERY_GRPC_ENDPOINT",
		Health: "STORE_HEALTH_ENDPOINT", MetricsHost: "STORE_TELEMETRY_HOST", MetricsPort: "STORE_TELEMETRY_PORT",
	})
	return jaegertest.Start(t, append([]jaegertest.Option{file}, opts...)...)
}

// StartGateway runs the gateway of deploy/otelcol-gateway.yaml, exporting
// the traces it keeps to the OTLP/gRPC endpoint store (host:port), with the
// environment variables env (its knobs: GATEWAY_SAMPLING_PERCENTAGE, …).
// Its OTLP receivers are OTLPGRPCEndpoint and OTLPHTTPEndpoint, its own
// metrics MetricsURL, its Prometheus exporter Addr(PrometheusVar).
func StartGateway(t testing.TB, store string, env map[string]string) *jaegertest.Jaeger {
	t.Helper()
	opts := []jaegertest.Option{
		jaegertest.WithConfigFile(filepath.Join(Dir(t), "otelcol-gateway.yaml"), jaegertest.ConfigVars{
			OTLPGRPC: "GATEWAY_OTLP_GRPC_ENDPOINT", OTLPHTTP: "GATEWAY_OTLP_HTTP_ENDPOINT",
			Health: "GATEWAY_HEALTH_ENDPOINT", MetricsHost: "GATEWAY_TELEMETRY_HOST", MetricsPort: "GATEWAY_TELEMETRY_PORT",
		}),
		jaegertest.WithFreeAddr(PrometheusVar),
	}
	for k, v := range env {
		opts = append(opts, jaegertest.WithEnv(k, v))
	}
	// Last, so that it wins over a GATEWAY_STORE_ENDPOINT in env.
	opts = append(opts, jaegertest.WithEnv("GATEWAY_STORE_ENDPOINT", store))
	return jaegertest.Start(t, opts...)
}

// PrometheusURL returns the URL of the gateway's Prometheus exporter.
func PrometheusURL(gw *jaegertest.Jaeger) string {
	return fmt.Sprintf("http://%s/metrics", gw.Addr(PrometheusVar))
}
