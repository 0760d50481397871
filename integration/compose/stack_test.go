package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"go.uber.org/goleak"

	"github.com/bexrun/bex/integration/internal/deploy"
	"github.com/bexrun/bex/integration/internal/gotool"
	"github.com/bexrun/bex/integration/internal/prom"
	"github.com/bexrun/bex/integration/jaegertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStackWithoutDocker runs the services of docker-compose.yml as local
// processes: the packages their Dockerfiles build, with the environment the
// file gives them (container host names mapped to local addresses), and
// Jaeger from jaegertest in place of the image. deploy/load.sh sends its
// tickets, and every trace it links to must be in Jaeger with the shape
// docs/compose.md describes.
func TestStackWithoutDocker(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		msg := "deploy/load.sh needs curl, which is not installed"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	p := loadProject(t)
	root := repoRoot(t)
	j := deploy.StartStore(t)
	gwEnv := env(p.Services["gateway"])
	gwEnv["GATEWAY_SPANMETRICS_FLUSH"] = "1s" // instead of 15s, to be quick
	gw := deploy.StartGateway(t, j.OTLPGRPCEndpoint(), gwEnv)
	bins := buildServices(t, p, root)

	stubAddr, httpAddr := freeAddr(t), freeAddr(t)
	local := map[string]string{ // container host:port -> local address
		"gateway:4317":    gw.OTLPGRPCEndpoint(),
		"gateway:4318":    gw.OTLPHTTPEndpoint(),
		"localhost:16686": strings.TrimPrefix(j.QueryURL(), "http://"),
		"llmstub:8081":    stubAddr,
		"httpserver:8080": httpAddr,
	}
	stub, _ := start(t, bins["llmstub"], serviceEnv(p.Services["llmstub"], local, stubAddr))
	waitListening(t, stubAddr) // depends_on starts the stub first
	server, serverLog := start(t, bins["httpserver"], serviceEnv(p.Services["httpserver"], local, httpAddr))

	load := exec.Command("sh", filepath.Join(root, "deploy", "load.sh"))
	load.Env = serviceEnv(p.Services["load"], local, "")
	out, err := load.CombinedOutput()
	t.Logf("deploy/load.sh:\n%s", out)
	if err != nil {
		t.Fatalf("deploy/load.sh: %v\nhttpserver log:\n%s", err, serverLog)
	}

	// docs/compose.md: "See a failure" stops the model and sends a ticket.
	if err := stub.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = stub.Wait()
	failedTrace := postFailing(t, "http://"+httpAddr+"/triage")

	// SIGTERM, as `docker compose down` sends: the service flushes its spans.
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(server, 20*time.Second); err != nil {
		t.Fatalf("httpserver after SIGTERM: %v\nlog:\n%s", err, serverLog)
	}

	links := regexp.MustCompile(`trace: `+regexp.QuoteMeta(j.QueryURL())+`/trace/([0-9a-f]{32})`).FindAllStringSubmatch(string(out), -1)
	if len(links) != 4 {
		t.Fatalf("load.sh linked %d traces in Jaeger's UI, want 4 (one per ticket)", len(links))
	}
	seen := map[string]bool{}
	for _, l := range links {
		id := l[1]
		if seen[id] {
			t.Errorf("trace %s linked twice", id)
		}
		seen[id] = true
		checkDemoTrace(t, j.WaitTrace(t, id, 6))
	}
	checkFailedTrace(t, j.WaitTrace(t, failedTrace, 4))
	checkSpanMetrics(t, j, gw)
}

// postFailing sends a ticket while the model is down and returns the
// trace id of the 502 reply.
func postFailing(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader("Checkout is down."))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		Error   string `json:"error"`
		TraceID string `json:"trace_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadGateway || reply.Error == "" || reply.TraceID == "" {
		t.Fatalf("with the model down: status %d, reply %+v; want 502 with the error and the trace id", resp.StatusCode, reply)
	}
	return reply.TraceID
}

// checkFailedTrace checks the trace of a request made while the model was
// down: the HTTP span, the root, ClassifyTicket and its attempt, all
// failed; Headline never ran.
func checkFailedTrace(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	if len(tr.Spans) != 4 {
		t.Errorf("failed trace %s has %d spans, want 4", tr.TraceID, len(tr.Spans))
	}
	for _, name := range []string{"POST /triage", "Triage", "ClassifyTicket", "chat gpt-4o-mini"} {
		s := tr.SpanByName(name)
		if s == nil {
			t.Errorf("failed trace %s lacks %s", tr.TraceID, name)
			continue
		}
		if e, _ := s.Tag("error"); e != true {
			t.Errorf("failed trace: %s has error=%v, want true", name, e)
		}
		if code, _ := s.Tag("otel.status_code"); code != "ERROR" {
			t.Errorf("failed trace: %s has otel.status_code=%v, want ERROR", name, code)
		}
	}
	for _, name := range []string{"Triage", "ClassifyTicket", "chat gpt-4o-mini"} {
		if s := tr.SpanByName(name); s != nil {
			if typ, _ := s.Tag("error.type"); typ == nil || typ == "" {
				t.Errorf("failed trace: %s has no error.type", name)
			}
		}
	}
	// One exception event, on the span where the error arose: the
	// attempt whose reply could not be parsed.
	for _, name := range []string{"Triage", "ClassifyTicket", "chat gpt-4o-mini"} {
		if s := tr.SpanByName(name); s != nil && hasLog(s, "exception") != (name == "chat gpt-4o-mini") {
			t.Errorf("failed trace: %s has an exception log: %v", name, hasLog(s, "exception"))
		}
	}
	if tr.SpanByName("Headline") != nil {
		t.Error("failed trace has a Headline span, but Headline never ran")
	}
}

func hasLog(s *jaegertest.Span, event string) bool {
	for _, l := range s.Logs {
		if ev, _ := l.Fields.Get("event"); ev == event {
			return true
		}
	}
	return false
}

// checkDemoTrace checks one request's trace: the HTTP server span, the
// engine root, the two LLM functions, and one `chat gpt-4o-mini` client
// span under each.
func checkDemoTrace(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	if len(tr.Spans) != 6 {
		t.Errorf("trace %s has %d spans, want 6", tr.TraceID, len(tr.Spans))
	}
	for i := range tr.Spans {
		if got := tr.ServiceName(&tr.Spans[i]); got != "bex-httpserver" {
			t.Errorf("span %s: service %q, want bex-httpserver", tr.Spans[i].OperationName, got)
		}
	}
	server := tr.SpanByName("POST /triage")
	root := tr.SpanByName("Triage")
	if server == nil || root == nil {
		t.Fatalf("trace %s lacks the HTTP span or the Triage root", tr.TraceID)
	}
	if kind, _ := server.Tag("span.kind"); kind != "server" || server.ParentSpanID() != "" {
		t.Errorf("HTTP span: kind %v, parent %q; want a server span at the root", kind, server.ParentSpanID())
	}
	expectChild(t, root, server, "root")
	chats := map[string]bool{}
	for _, name := range []string{"ClassifyTicket", "Headline"} {
		fn := tr.SpanByName(name)
		if fn == nil {
			t.Errorf("trace %s lacks %s", tr.TraceID, name)
			continue
		}
		expectChild(t, fn, root, "llm")
		for i := range tr.Spans {
			s := &tr.Spans[i]
			if s.OperationName != "chat gpt-4o-mini" || s.ParentSpanID() != fn.SpanID {
				continue
			}
			chats[s.SpanID] = true
			for key, want := range map[string]any{"span.kind": "client", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"} {
				if got, _ := s.Tag(key); got != want {
					t.Errorf("%s's chat span: %s = %v, want %v", name, key, got, want)
				}
			}
			if n, _ := s.Tag("gen_ai.usage.input_tokens"); n == nil || n.(int64) <= 0 {
				t.Errorf("%s's chat span: gen_ai.usage.input_tokens = %v, want a count", name, n)
			}
		}
	}
	if len(chats) != 2 {
		t.Errorf("trace %s has %d chat spans under the LLM functions, want 2", tr.TraceID, len(chats))
	}
}

func expectChild(t *testing.T, s, parent *jaegertest.Span, kind string) {
	t.Helper()
	if s.ParentSpanID() != parent.SpanID {
		t.Errorf("%s: parent %s, want %s (%s)", s.OperationName, s.ParentSpanID(), parent.SpanID, parent.OperationName)
	}
	if got, _ := s.Tag("bex.span.kind"); got != kind {
		t.Errorf("%s: bex.span.kind %v, want %s", s.OperationName, got, kind)
	}
}

// buildServices builds the package each built service's Dockerfile names
// and returns the binaries by service. It leaves out the Dockerfiles'
// -trimpath and CGO_ENABLED=0, which would miss Go's build cache of the
// earlier test steps and make a cold build take minutes.
func buildServices(t *testing.T, p *types.Project, root string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	bins := map[string]string{}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		df := parseDockerfile(t, filepath.Join(s.Build.Context, s.Build.Dockerfile))
		if len(df.builds) != 1 {
			t.Fatalf("service %s: the Dockerfile builds %v, want one package", name, df.builds)
		}
		args = append(args, df.builds[0])
		bins[name] = filepath.Join(dir, filepath.Base(df.builds[0]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bins
}

// serviceEnv is the service's environment from the compose file with
// container addresses replaced by local ones, and ADDR set to addr.
func serviceEnv(s types.ServiceConfig, local map[string]string, addr string) []string {
	out := gotool.Environ("OTEL_", "OPENAI_")
	for k, v := range env(s) {
		for from, to := range local {
			v = strings.ReplaceAll(v, from, to)
		}
		if k == "ADDR" {
			v = addr
		}
		out = append(out, k+"="+v)
	}
	return out
}

// start runs a service binary until the test ends; its output goes to the
// returned buffer.
func start(t *testing.T, bin string, env []string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", filepath.Base(bin), log)
		}
	})
	return cmd, log
}

func waitExit(cmd *exec.Cmd, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		return context.DeadlineExceeded
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkSpanMetrics checks the metrics that Prometheus scrapes from the
// gateway: span metrics with one call of Triage for each Triage span in
// Jaeger (the demo gateway keeps every trace) and the failed one counted as
// an error; the service's GenAI metrics with one duration for each chat
// span and the tokens those spans report.
func checkSpanMetrics(t *testing.T, j, gw *jaegertest.Jaeger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	traces, err := j.FindTraces(ctx, "bex-httpserver", 100)
	if err != nil {
		t.Fatal(err)
	}
	calls, attempts, tokens := 0, 0, 0.0
	for _, tr := range traces {
		if tr.SpanByName("Triage") != nil {
			calls++
		}
		for i := range tr.Spans {
			s := &tr.Spans[i]
			if !strings.HasPrefix(s.OperationName, "chat ") {
				continue
			}
			attempts++
			for _, k := range []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"} {
				if n, ok := s.Tag(k); ok {
					tokens += float64(n.(int64))
				}
			}
		}
	}
	url := deploy.PrometheusURL(gw)
	labels := map[string]string{"job": "bex-httpserver", "span_name": "Triage"}
	if err := prom.Wait(url, "traces_span_metrics_calls_total", labels, float64(calls), 30*time.Second); err != nil {
		t.Errorf("span metrics: %v", err)
	}
	labels["status_code"] = "STATUS_CODE_ERROR"
	if err := prom.Wait(url, "traces_span_metrics_calls_total", labels, 1, 30*time.Second); err != nil {
		t.Errorf("span metrics: %v", err)
	}

	// The service's own GenAI metrics, which it flushed at SIGTERM: one
	// duration per model request, and the tokens of the chat spans.
	job := map[string]string{"job": "bex-httpserver"}
	if err := prom.Wait(url, "gen_ai_client_operation_duration_seconds", job, float64(attempts), 30*time.Second); err != nil {
		t.Errorf("GenAI metrics: %v", err)
	}
	fams, err := prom.Scrape(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := prom.HistogramSum(fams, "gen_ai_client_token_usage", job); got != tokens || tokens == 0 {
		t.Errorf("gen_ai_client_token_usage sums to %v, the chat spans in Jaeger to %v", got, tokens)
	}
}
