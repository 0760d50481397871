package compose_test

import (
	"bufio"
	"context"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v2"
)

// repoRoot is the bex checkout: this package is integration/compose.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "docker-compose.yml")); err != nil {
		t.Fatalf("no docker-compose.yml at the repository root: %v", err)
	}
	return root
}

// loadProject loads docker-compose.yml with the compose-spec loader, as
// `docker compose` does, without the host's environment: the variables the
// file interpolates take their defaults.
func loadProject(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("loading docker-compose.yml: %v", err)
	}
	return p
}

// env returns a service's environment as plain strings.
func env(s types.ServiceConfig) map[string]string {
	m := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

// TestComposeServices checks the services, their images, ports,
// environment and dependencies.
func TestComposeServices(t *testing.T) {
	p := loadProject(t)
	if p.Name != "bex-demo" {
		t.Errorf("project name %q, want bex-demo", p.Name)
	}
	want := []string{"gateway", "httpserver", "jaeger", "llmstub", "load", "prometheus"}
	if got := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	svc := p.Services

	t.Run("images", func(t *testing.T) {
		if img := svc["jaeger"].Image; !regexp.MustCompile(`^jaegertracing/jaeger:2\.\d+\.\d+$`).MatchString(img) {
			t.Errorf("jaeger image %q, want jaegertracing/jaeger pinned to a 2.x.y release", img)
		}
		// The gateway runs the collector release whose components the
		// Jaeger binary of the tests has, so that the configuration file the
		// tests run is the one the image runs.
		if img, want := svc["gateway"].Image, "otel/opentelemetry-collector-contrib:"+collectorRelease(t); img != want {
			t.Errorf("gateway image %q, want %q (the collector release in the Jaeger build)", img, want)
		}
		if img := svc["prometheus"].Image; !regexp.MustCompile(`^prom/prometheus:v3\.\d+\.\d+$`).MatchString(img) {
			t.Errorf("prometheus image %q, want prom/prometheus pinned to a v3.x.y release", img)
		}
		for _, name := range []string{"gateway", "jaeger", "load", "prometheus"} {
			checkPinned(t, name, svc[name].Image)
		}
		for _, name := range []string{"httpserver", "llmstub"} {
			if svc[name].Image != "" {
				t.Errorf("service %s: image %q, want one built from deploy/", name, svc[name].Image)
			}
		}
	})

	t.Run("ports", func(t *testing.T) {
		checkPorts(t, svc["gateway"], 4317, 4318)
		checkPorts(t, svc["jaeger"], 16686)
		checkPorts(t, svc["httpserver"], 8080)
		checkPorts(t, svc["prometheus"], 9090)
	})

	t.Run("environment", func(t *testing.T) {
		checkEnv(t, svc["httpserver"], map[string]string{
			"ADDR":                        ":8080",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://gateway:4318",
			"OTEL_SERVICE_NAME":           "bex-httpserver",
			"OTEL_METRICS_EXPORTER":       "otlp",
			"OPENAI_BASE_URL":             "http://llmstub:8081/v1",
			"OPENAI_API_KEY":              "demo",
		})
		checkEnv(t, svc["llmstub"], map[string]string{"ADDR": ":8081"})
		checkEnv(t, svc["gateway"], map[string]string{"GATEWAY_STORE_ENDPOINT": "jaeger:4317", "GATEWAY_SAMPLING_PERCENTAGE": "100"})
		checkEnv(t, svc["load"], map[string]string{"TARGET": "http://httpserver:8080", "JAEGER_UI": "http://localhost:16686"})
		// Every URL names a service and a port that service listens on.
		for _, ref := range []struct{ from, key string }{
			{"httpserver", "OTEL_EXPORTER_OTLP_ENDPOINT"},
			{"httpserver", "OPENAI_BASE_URL"},
			{"load", "TARGET"},
		} {
			checkReachable(t, p, ref.from, env(svc[ref.from])[ref.key])
		}
		checkReachable(t, p, "gateway", "http://"+env(svc["gateway"])["GATEWAY_STORE_ENDPOINT"])
	})

	t.Run("depends_on", func(t *testing.T) {
		for name, deps := range map[string][]string{
			"httpserver": {"gateway", "llmstub"},
			"load":       {"httpserver"},
			"gateway":    {"jaeger"},
			"prometheus": {"gateway"},
			"jaeger":     nil,
			"llmstub":    nil,
		} {
			if got := slices.Sorted(maps.Keys(svc[name].DependsOn)); !slices.Equal(got, deps) {
				t.Errorf("service %s depends on %v, want %v", name, got, deps)
			}
		}
	})

	t.Run("configuration files", func(t *testing.T) {
		root := repoRoot(t)
		for name, c := range map[string]struct{ file, target, flag string }{
			"gateway":    {"otelcol-gateway.yaml", "/etc/otelcol/gateway.yaml", "--config=/etc/otelcol/gateway.yaml"},
			"jaeger":     {"jaeger-store.yaml", "/etc/jaeger/store.yaml", "--config /etc/jaeger/store.yaml"},
			"prometheus": {"prometheus.yml", "/etc/prometheus/prometheus.yml", ""}, // the image's default path
		} {
			s := svc[name]
			if got := strings.Join(s.Command, " "); got != c.flag {
				t.Errorf("service %s: command %q, want %q", name, got, c.flag)
			}
			if len(s.Volumes) != 1 {
				t.Errorf("service %s: volumes %+v, want its configuration file", name, s.Volumes)
				continue
			}
			v := s.Volumes[0]
			if v.Source != filepath.Join(root, "deploy", c.file) || v.Target != c.target || !v.ReadOnly {
				t.Errorf("service %s: volume %s:%s (read-only %v), want deploy/%s read-only at %s", name, v.Source, v.Target, v.ReadOnly, c.file, c.target)
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Error(err)
			}
		}
		// Prometheus scrapes the gateway's exporter and its own metrics,
		// on ports the gateway exposes.
		for _, target := range scrapeTargets(t, filepath.Join(root, "deploy", "prometheus.yml")) {
			checkReachable(t, p, "prometheus", "http://"+target)
		}
	})

	t.Run("load script", func(t *testing.T) {
		load := svc["load"]
		if got := []string(load.Entrypoint); !slices.Equal(got, []string{"sh", "/load.sh"}) {
			t.Errorf("load entrypoint %q, want sh /load.sh", got)
		}
		if len(load.Volumes) != 1 {
			t.Fatalf("load volumes %+v, want the script", load.Volumes)
		}
		v := load.Volumes[0]
		if v.Target != "/load.sh" || !v.ReadOnly || v.Source != filepath.Join(repoRoot(t), "deploy", "load.sh") {
			t.Errorf("load volume %+v, want deploy/load.sh read-only at /load.sh", v)
		}
		if _, err := os.Stat(v.Source); err != nil {
			t.Error(err)
		}
	})
}

// TestComposeBuilds checks that the built services use Dockerfiles that
// exist, from the repository root, with pinned base images, building
// packages that exist.
func TestComposeBuilds(t *testing.T) {
	p := loadProject(t)
	root := repoRoot(t)
	for name, pkg := range map[string]string{"httpserver": "./examples/httpserver", "llmstub": "./examples/llmstub"} {
		t.Run(name, func(t *testing.T) {
			b := p.Services[name].Build
			if b == nil {
				t.Fatalf("service %s has no build", name)
			}
			if b.Context != root {
				t.Errorf("build context %q, want the repository root %q", b.Context, root)
			}
			if want := "deploy/" + name + ".Dockerfile"; b.Dockerfile != want {
				t.Errorf("dockerfile %q, want %q", b.Dockerfile, want)
			}
			df := parseDockerfile(t, filepath.Join(b.Context, b.Dockerfile))
			if len(df.from) < 2 || !strings.HasPrefix(df.from[0], "golang:1.") {
				t.Errorf("base images %v, want a golang:1.x builder and a runtime stage", df.from)
			}
			for _, img := range df.from {
				checkPinned(t, name+" Dockerfile", img)
			}
			if !slices.Contains(df.builds, pkg) {
				t.Errorf("Dockerfile builds %v, want %s", df.builds, pkg)
			}
			if _, err := os.Stat(filepath.Join(root, pkg, "main.go")); err != nil {
				t.Errorf("package %s: %v", pkg, err)
			}
		})
	}
}

// checkPinned fails unless img has an explicit tag or digest other than
// latest.
func checkPinned(t *testing.T, what, img string) {
	t.Helper()
	if strings.Contains(img, "@sha256:") {
		return
	}
	name := img[strings.LastIndex(img, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	if !ok || tag == "" || tag == "latest" {
		t.Errorf("%s: image %q is not pinned to a tag (or is latest)", what, img)
	}
}

// checkPorts expects each port published on the host as itself, over TCP.
func checkPorts(t *testing.T, s types.ServiceConfig, ports ...uint32) {
	t.Helper()
	got := map[uint32]string{}
	for _, pc := range s.Ports {
		if pc.Protocol != "tcp" {
			t.Errorf("service %s: port %d protocol %q, want tcp", s.Name, pc.Target, pc.Protocol)
		}
		got[pc.Target] = pc.Published
	}
	for _, port := range ports {
		if pub, ok := got[port]; !ok || pub != strconv.Itoa(int(port)) {
			t.Errorf("service %s: port %d published as %q (present %v), want %d:%d", s.Name, port, pub, ok, port, port)
		}
	}
	if len(got) != len(ports) {
		t.Errorf("service %s publishes %v, want exactly %v", s.Name, got, ports)
	}
}

func checkEnv(t *testing.T, s types.ServiceConfig, want map[string]string) {
	t.Helper()
	got := env(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("service %s: %s=%q, want %q", s.Name, k, got[k], v)
		}
	}
}

// checkReachable checks that rawURL, used by service from, names another
// service and a port it listens on: one it publishes, exposes, or listens
// on through ADDR.
func checkReachable(t *testing.T, p *types.Project, from, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		t.Errorf("service %s: %q is not an http://host:port URL", from, rawURL)
		return
	}
	to, ok := p.Services[u.Hostname()]
	if !ok {
		t.Errorf("service %s: %q names no service", from, rawURL)
		return
	}
	if !slices.Contains(listenPorts(to), u.Port()) {
		t.Errorf("service %s: %q, but %s listens on %v", from, rawURL, to.Name, listenPorts(to))
	}
	if _, ok := p.Services[from].DependsOn[to.Name]; !ok {
		t.Errorf("service %s uses %s but does not depend on it", from, to.Name)
	}
}

func listenPorts(s types.ServiceConfig) []string {
	var ports []string
	for _, pc := range s.Ports {
		ports = append(ports, strconv.Itoa(int(pc.Target)))
	}
	ports = append(ports, s.Expose...)
	if addr := env(s)["ADDR"]; addr != "" {
		ports = append(ports, addr[strings.LastIndex(addr, ":")+1:])
	}
	return ports
}

// dockerfile is what the tests need of a Dockerfile.
type dockerfile struct {
	from   []string // base images, in order
	builds []string // package arguments of `go build`
}

var goBuild = regexp.MustCompile(`go build .*?(\./\S+)\s*$`)

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var df dockerfile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if fields := strings.Fields(line); len(fields) >= 2 && strings.EqualFold(fields[0], "FROM") {
			df.from = append(df.from, fields[1])
		}
		if m := goBuild.FindStringSubmatch(line); m != nil {
			df.builds = append(df.builds, m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return df
}

// collectorRelease returns the OpenTelemetry Collector contrib release that
// the Jaeger binary of the tests is built with (its tail_sampling
// processor's version in integration/tools/jaeger/go.sum), without the v.
func collectorRelease(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "integration", "tools", "jaeger", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^github\.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor v(\S+) h1:`).FindSubmatch(b)
	if m == nil {
		t.Fatal("integration/tools/jaeger/go.sum has no tailsamplingprocessor")
	}
	return string(m[1])
}

// scrapeTargets returns the static targets of a Prometheus configuration.
func scrapeTargets(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	if len(targets) == 0 {
		t.Fatalf("%s scrapes nothing", path)
	}
	return targets
}
