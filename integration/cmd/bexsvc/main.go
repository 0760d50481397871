// Command bexsvc is one replica of a two-service bex application, the
// service processes of the two-tier test in package topology: a "triage"
// service whose pipeline calls a "summarize" service over HTTP, each
// running bex pipelines against an LLM stub served by the process itself,
// each exporting its telemetry over OTLP like any instrumented service.
//
//	triage    POST /triage  body: the ticket text
//	          Triage(body): Headline (an LLM function), then the traced host
//	          function summarize(body, part) for parts 0 and 1, which POSTs to
//	          the summarize replica number part (of -peers) with otelhttp
//	summarize POST /summarize  {"body": ..., "part": n}
//	          Summarize(body, part): the traced host function work(body),
//	          then Summary (an LLM function)
//
// Tickets steer what happens: "[slow]" makes work sleep -slow, and "[fail]"
// makes the model fail (HTTP 500) on part 1 of the summary, so that the
// error travels back through both services.
//
// Telemetry is configured by the standard environment, as a deployment
// would: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (service.instance.id
// names the replica), OTEL_EXPORTER_OTLP_ENDPOINT (http/protobuf by
// default), OTEL_METRICS_EXPORTER, the OTEL_BSP_* and OTEL_METRIC_EXPORT_*
// variables, and
// BEX_TRACE_FILE for bex's JSONL trace file. The process makes one
// TracerProvider for otelhttp and bex and one MeterProvider, sets them and
// the W3C propagators as the global ones (it owns the process), and
// bex.Setup bridges bex into the global providers: bex's spans join
// otelhttp's traces, and its metrics (the GenAI client metrics, its health
// instruments) go out with the application's.
//
// The process listens on -addr (port 0 picks a free port) and prints
// "listening http://ADDR" once it serves. On SIGTERM it stops serving,
// finishes the requests in flight, flushes and exports everything (spans
// and the metrics' final values), writes
// the spans it exported to -spans (one JSON object a line: trace and span
// id, parent, name, whether the export succeeded), and prints
// "report {...}" with the provider's delivery counts.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/integration/internal/spanlog"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

const triageProgram = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Triage(body: string) -> string {
    let h = Headline(body);
    let first = summarize(body, 0);
    let second = summarize(body, 1);
    h + " | " + first + " | " + second
}
`

const summarizeProgram = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Summary(body: string, part: int) -> string {
    client Fast
    prompt #"Summarize part {{ part }} of: {{ body }}"#
}
function Summarize(body: string, part: int) -> string {
    let w = work(body);
    Summary(body, part) + w
}
`

// Bounds of the process: no wait is unbounded.
const (
	peerTimeout     = 30 * time.Second // one call to a summarize replica
	readTimeout     = 10 * time.Second // reading a request
	drainTimeout    = 30 * time.Second // requests in flight at SIGTERM
	shutdownTimeout = 30 * time.Second // flushing the trace file and exporting
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bexsvc:", err)
		os.Exit(1)
	}
}

// report is what the process prints at exit, as JSON.
type report struct {
	Delivery otelbridge.DeliveryStats `json:"delivery"`
	Exported int                      `json:"exported"`      // spans exported
	Failed   int                      `json:"export_failed"` // spans whose export failed
	Error    string                   `json:"error,omitempty"`
}

func run() error {
	role := flag.String("role", "", "triage or summarize")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	peers := flag.String("peers", "", "triage: comma-separated base URLs of the summarize replicas")
	spansPath := flag.String("spans", "", "file to write the exported spans to at exit")
	slow := flag.Duration("slow", 600*time.Millisecond, "how long work takes for a [slow] ticket")
	flag.Parse()

	ctx := context.Background()
	exp, err := autoexport.NewSpanExporter(ctx) // from OTEL_EXPORTER_OTLP_*
	if err != nil {
		return err
	}
	rec := spanlog.New(exp)
	tp, err := otelbridge.NewProvider(ctx, otelbridge.WithExporter(rec))
	if err != nil {
		return err
	}
	mp, err := otelbridge.NewMeterProvider(ctx) // from OTEL_METRICS_EXPORTER, OTEL_EXPORTER_OTLP_*
	if err != nil || mp == nil {
		return fmt.Errorf("metrics: %v (%v)", err, mp)
	}
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	shutdown, err := bex.Setup(ctx) // the global providers; BEX_TRACE_FILE
	if err != nil {
		return err
	}

	stub := llmstub.New(llmstub.WithKeep(0), llmstub.WithRules(llmstub.Rule{Respond: reply}))
	defer stub.Close()
	mux, err := newMux(*role, stub.URL(), strings.Split(*peers, ","), *slow)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           otelhttp.NewHandler(mux, "server", otelhttp.WithSpanNameFormatter(spanName)),
		ReadHeaderTimeout: readTimeout,
		ReadTimeout:       readTimeout,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Printf("listening http://%s\n", l.Addr())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	select {
	case <-signals:
	case err := <-served:
		return err
	}
	var r report
	dctx, cancel := context.WithTimeout(ctx, drainTimeout)
	errs := []error{srv.Shutdown(dctx)}
	cancel()
	sctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
	defer cancel()
	errs = append(errs, shutdown(sctx), tp.Shutdown(sctx), mp.Shutdown(sctx))
	r.Delivery = tp.Stats()
	for _, s := range rec.Spans() {
		if s.Exported {
			r.Exported++
		} else {
			r.Failed++
		}
	}
	if *spansPath != "" {
		errs = append(errs, rec.WriteFile(*spansPath))
	}
	if err := errors.Join(errs...); err != nil {
		r.Error = err.Error()
	}
	b, _ := json.Marshal(r)
	fmt.Printf("report %s\n", b)
	return nil
}

// spanName names the server spans "POST /triage" and "POST /summarize".
func spanName(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }

// reply is the model: a summary that fails with HTTP 500 for part 1 of a
// [fail] ticket, else an echo of the prompt's first words (the stub counts
// words as tokens).
func reply(req llmstub.Request) llmstub.Reply {
	p := req.Prompt()
	if strings.Contains(p, "[fail]") && strings.Contains(p, "Summarize part 1 ") {
		return llmstub.Reply{Status: http.StatusInternalServerError, Text: "the model is overloaded"}
	}
	words := strings.Fields(p)
	return llmstub.Reply{Text: strings.Join(words[:min(len(words), 6)], " ")}
}

func newMux(role, stubURL string, peers []string, slow time.Duration) (*http.ServeMux, error) {
	env := map[string]string{"BASE": stubURL + "/v1", "KEY": "sk-bexsvc"}
	llmEnv := engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	mux := http.NewServeMux()
	switch role {
	case "triage":
		if len(peers) < 2 || peers[0] == "" {
			return nil, errors.New("-peers: want the URLs of the summarize replicas")
		}
		client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport), Timeout: peerTimeout}
		eng, err := engine.New(engine.MustParse(map[string]string{"triage.baml": triageProgram}), llmEnv,
			engine.WithHost(engine.HostFunc{
				Name: "summarize", Params: []string{"body: string", "part: int"}, Result: "string", Traced: true,
				Fn: func(ctx context.Context, args []any) (any, error) {
					part := args[1].(int64)
					return summarize(ctx, client, peers[int(part)%len(peers)], args[0].(string), part)
				},
			}))
		if err != nil {
			return nil, err
		}
		mux.HandleFunc("POST /triage", func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			respond(w, r, eng, "Triage", map[string]any{"body": string(body)})
		})
	case "summarize":
		eng, err := engine.New(engine.MustParse(map[string]string{"summarize.baml": summarizeProgram}), llmEnv,
			engine.WithHost(engine.HostFunc{
				Name: "work", Params: []string{"body: string"}, Result: "string", Traced: true,
				Fn: func(ctx context.Context, args []any) (any, error) {
					if !strings.Contains(args[0].(string), "[slow]") {
						return "", nil
					}
					select {
					case <-time.After(slow):
						return " (slowly)", nil
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				},
			}))
		if err != nil {
			return nil, err
		}
		mux.HandleFunc("POST /summarize", func(w http.ResponseWriter, r *http.Request) {
			var in struct {
				Body string `json:"body"`
				Part int64  `json:"part"`
			}
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			respond(w, r, eng, "Summarize", map[string]any{"body": in.Body, "part": in.Part})
		})
	default:
		return nil, fmt.Errorf("-role %q: want triage or summarize", role)
	}
	return mux, nil
}

// respond runs the function with the request's ctx (which holds otelhttp's
// server span, so the engine's root span goes under it) and answers 200
// with the result, or 502 with the error.
func respond(w http.ResponseWriter, r *http.Request, eng *engine.Engine, fn string, args map[string]any) {
	res, err := eng.Call(r.Context(), fn, args)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"result": res})
}

// summarize asks a summarize replica for one part of the summary. ctx holds
// the bex span of the host function, so otelhttp's client span, and the
// traceparent it sends, are its children.
func summarize(ctx context.Context, client *http.Client, peer, body string, part int64) (string, error) {
	in, _ := json.Marshal(map[string]any{"body": body, "part": part})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+"/summarize", bytes.NewReader(in))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Result string `json:"result"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return "", fmt.Errorf("summarize part %d: %s: %w", part, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("summarize part %d: %s: %s", part, resp.Status, out.Error)
	}
	return out.Result, nil
}
