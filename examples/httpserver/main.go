// Command httpserver is a net/http service whose handler span, from the
// standard otelhttp middleware, parents the bex spans of each request: POST a
// ticket to /triage and the trace shows the HTTP span, the engine's root
// span, the two LLM function spans and their `chat <model>` client spans.
//
// Configuration is the standard environment: OTEL_EXPORTER_OTLP_ENDPOINT
// (for example http://localhost:4318, OTLP over HTTP) turns on export of the
// spans, OTEL_METRICS_EXPORTER (otlp, console, prometheus) that of the
// metrics bex records (the GenAI client metrics of every LLM request, bex's
// health instruments; OTEL_METRIC_EXPORT_INTERVAL paces them),
// OTEL_SERVICE_NAME names the service (default bex-httpserver),
// OPENAI_BASE_URL and
// OPENAI_API_KEY point the LLM client at a provider — when OPENAI_BASE_URL
// is unset, an LLM stub runs in process. ADDR is the listen address
// (default 127.0.0.1:8080; the container uses :8080).
//
//	go run ./examples/httpserver &
//	curl -s -d 'Checkout is down for all users.' localhost:8080/triage
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

//go:embed triage.baml
var program string

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("OTEL_SERVICE_NAME") == "" {
		os.Setenv("OTEL_SERVICE_NAME", "bex-httpserver")
	}
	// One TracerProvider for the application's spans (otelhttp) and bex's,
	// with bex's id generator so that bex spans keep their deterministic ids.
	tp, err := otelbridge.NewProvider(ctx)
	if err != nil {
		return err
	}
	otel.SetTracerProvider(tp)
	// The application's MeterProvider, when the environment asks for
	// metrics: bex.Setup records bex's metrics into the global one.
	var mp *sdkmetric.MeterProvider
	if os.Getenv("OTEL_METRICS_EXPORTER") != "" {
		if mp, err = otelbridge.NewMeterProvider(ctx); err != nil {
			return err
		}
		if mp != nil {
			otel.SetMeterProvider(mp)
		}
	}
	shutdown, err := bex.Setup(ctx, bex.WithTracerProvider(tp))
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(sctx)
		if err := tp.Shutdown(sctx); err != nil {
			log.Print("trace export: ", err)
		}
		log.Printf("spans exported: %+v", tp.Stats())
		if mp != nil {
			if err := mp.Shutdown(sctx); err != nil {
				log.Print("metrics export: ", err)
			}
		}
	}()

	env := os.LookupEnv
	if os.Getenv("OPENAI_BASE_URL") == "" {
		stub := llmstub.New()
		defer stub.Close()
		log.Print("OPENAI_BASE_URL unset: using the in-process LLM stub at ", stub.URL())
		env = func(k string) (string, bool) {
			switch k {
			case "OPENAI_BASE_URL":
				return stub.URL() + "/v1", true
			case "OPENAI_API_KEY":
				return "stub-key", true
			}
			return os.LookupEnv(k)
		}
	}
	eng, err := newEngine(env)
	if err != nil {
		return err
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, Handler: newHandler(eng), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Print("listening on ", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newEngine(env func(string) (string, bool)) (*engine.Engine, error) {
	prog, err := engine.Parse(map[string]string{"triage.baml": program})
	if err != nil {
		return nil, err
	}
	return engine.New(prog, engine.WithLLMOptions(llm.WithEnv(env)))
}

// newHandler returns the service's routes wrapped in otelhttp, whose server
// span is in each request's ctx, so the engine puts its root span under it.
func newHandler(eng *engine.Engine) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /triage", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || len(body) == 0 {
			http.Error(w, "POST the ticket text as the request body", http.StatusBadRequest)
			return
		}
		res, err := eng.Call(r.Context(), "Triage", map[string]any{"body": string(body)})
		traceID := trace.SpanContextFromContext(r.Context()).TraceID().String()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error(), "trace_id": traceID})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": res, "trace_id": traceID})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return otelhttp.NewHandler(mux, "http.server", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		return r.Method + " " + r.URL.Path
	}))
}
