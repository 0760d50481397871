package jaegertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bexrun/bex/integration/internal/gotool"
)

const (
	// StartTimeout bounds how long Start waits for Jaeger to become healthy.
	StartTimeout = 60 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before killing Jaeger.
	StopTimeout = 10 * time.Second

	startAttempts = 3        // tries with fresh ports if a port was taken meanwhile
	logDumpLimit  = 64 << 10 // bytes of Jaeger's log shown on failure
)

// Jaeger is a running Jaeger all-in-one started by Start.
type Jaeger struct {
	ports   Ports
	addrs   map[string]string // WithFreeAddr's variables and their addresses
	query   bool              // the query API is served (and awaited)
	cmd     *exec.Cmd
	logPath string
	client  *http.Client

	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, valid once done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts a Jaeger all-in-one with in-memory storage on free 127.0.0.1
// ports, waits until it is healthy, and registers a t.Cleanup that stops it.
// Options choose the ports (WithPorts), persistent storage (WithBadger), or
// a configuration file of the caller's (WithConfigFile).
//
// If no Jaeger binary can be had (see Binary), Start skips the test, or fails
// it when the environment variable CI is "true". If Jaeger has to be built,
// the build is given until 30s before the test's deadline.
func Start(t testing.TB, opts ...Option) *Jaeger {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := buildContext(t)
	bin, err := binary(ctx)
	cancel()
	if err != nil {
		msg := fmt.Sprintf("jaegertest: no Jaeger binary: %v", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (skipping; with CI=true this fails)")
	}

	dir := t.TempDir()
	for attempt := 1; ; attempt++ {
		j, err := start(bin, dir, attempt, o)
		if err == nil {
			t.Cleanup(func() {
				if err := j.Stop(); err != nil {
					t.Errorf("jaegertest: %v", err)
				}
				if t.Failed() {
					j.dumpLog(t)
				}
			})
			return j
		}
		if !errors.Is(err, errPortInUse) || attempt == startAttempts || o.ports != nil {
			t.Fatalf("jaegertest: starting Jaeger: %v", err)
		}
		t.Logf("jaegertest: attempt %d: %v; retrying with other ports", attempt, errPortInUse)
	}
}

var errPortInUse = errors.New("a chosen port was taken by another process")

// buildContext allows a build until 30s before t's deadline, so that a
// build that is too slow fails with an explanation instead of go test's
// timeout panic.
func buildContext(t testing.TB) (context.Context, context.CancelFunc) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			return context.WithDeadline(context.Background(), deadline.Add(-30*time.Second))
		}
	}
	return context.WithCancel(context.Background())
}

func start(bin, dir string, attempt int, o options) (*Jaeger, error) {
	p, err := o.pickPorts()
	if err != nil {
		return nil, err
	}
	extra, err := freePorts(len(o.freeAddrs))
	if err != nil {
		return nil, err
	}
	addrs := make(map[string]string, len(o.freeAddrs))
	for i, name := range o.freeAddrs {
		addrs[name] = hostPort(extra[i])
	}
	configPath, env := o.configFile, append(childEnv(), o.env...)
	if configPath == "" {
		configPath = filepath.Join(dir, fmt.Sprintf("jaeger-%d.yaml", attempt))
		if err := os.WriteFile(configPath, renderConfig(p, o.badgerDir), 0o644); err != nil {
			return nil, err
		}
	} else {
		env = append(env, o.vars.environ(p)...)
	}
	for name, addr := range addrs {
		env = append(env, name+"="+addr)
	}
	logPath := filepath.Join(dir, fmt.Sprintf("jaeger-%d.log", attempt))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	cmd := exec.Command(bin, "--config", configPath)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	setParentDeathSignal(cmd, syscall.SIGKILL)

	j := &Jaeger{
		ports:   p,
		addrs:   addrs,
		query:   o.configFile == "" || o.vars.QueryHTTP != "",
		cmd:     cmd,
		logPath: logPath,
		client:  &http.Client{Timeout: 10 * time.Second},
		done:    make(chan struct{}),
	}
	started := make(chan error, 1)
	go func() {
		// Keep the thread that starts Jaeger alive while it runs: the
		// parent-death signal fires when that thread exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		j.waitErr = cmd.Wait()
		close(j.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}

	if err := j.waitHealthy(StartTimeout); err != nil {
		_ = j.Stop()
		log := j.readLog()
		if strings.Contains(log, "address already in use") {
			err = fmt.Errorf("%w: %v", errPortInUse, err)
		}
		return nil, fmt.Errorf("%w\n--- Jaeger log %s ---\n%s", err, logPath, log)
	}
	return j, nil
}

// childEnv is the test's environment without OTEL_* variables, which would
// configure Jaeger's own telemetry, and JAEGER_LISTEN_HOST.
func childEnv() []string { return gotool.Environ("OTEL_", "JAEGER_LISTEN_HOST=") }

// waitHealthy polls the health check until Jaeger reports healthy and the
// query API answers.
func (j *Jaeger) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	healthURL := "http://" + hostPort(j.ports.Health) + "/status"
	last := "no answer yet"
	for {
		select {
		case <-j.done:
			return fmt.Errorf("jaeger exited before becoming healthy: %v", j.waitErr)
		default:
		}
		if code, err := j.get(healthURL); err != nil {
			last = err.Error()
		} else if code != http.StatusOK {
			last = fmt.Sprintf("%s: status %d", healthURL, code)
		} else if !j.query {
			return nil
		} else if code, err := j.get(j.QueryURL() + "/api/services"); err != nil {
			last = err.Error()
		} else if code != http.StatusOK {
			last = fmt.Sprintf("query API: status %d", code)
		} else {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jaeger not healthy after %v: %s", timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (j *Jaeger) get(url string) (int, error) {
	resp, err := j.client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Stop stops Jaeger: SIGTERM, then SIGKILL if it has not exited after
// StopTimeout. It is called by the cleanup that Start registers; calling it
// earlier (e.g. to test export failures) is fine, and later calls return the
// first call's result. It reports an error if Jaeger had already exited by
// itself or had to be killed.
func (j *Jaeger) Stop() error {
	j.stopOnce.Do(func() {
		select {
		case <-j.done:
			j.stopErr = fmt.Errorf("jaeger (pid %d) exited unexpectedly: %v", j.cmd.Process.Pid, j.waitErr)
			return
		default:
		}
		_ = j.cmd.Process.Signal(sigTerm)
		select {
		case <-j.done:
		case <-time.After(StopTimeout):
			_ = j.cmd.Process.Kill()
			<-j.done
			j.stopErr = fmt.Errorf("jaeger (pid %d) did not exit within %v of SIGTERM; killed it", j.cmd.Process.Pid, StopTimeout)
		}
	})
	return j.stopErr
}

// Kill kills Jaeger with SIGKILL and waits for it to exit: unlike Stop, it
// gives Jaeger no chance to store the spans it has accepted but not yet
// written (its batch processor holds them for up to 200ms). Like Stop, it
// is safe to call more than once and makes the cleanup's Stop a no-op; it
// reports an error if Jaeger had already exited by itself.
func (j *Jaeger) Kill() error {
	j.stopOnce.Do(func() {
		select {
		case <-j.done:
			j.stopErr = fmt.Errorf("jaeger (pid %d) exited unexpectedly: %v", j.cmd.Process.Pid, j.waitErr)
			return
		default:
		}
		_ = j.cmd.Process.Kill()
		<-j.done
	})
	return j.stopErr
}

// Exited reports whether the Jaeger process has exited.
func (j *Jaeger) Exited() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

// Ports returns the ports Jaeger listens on; pass them to WithPorts to start
// another Jaeger on the same ports once this one has stopped.
func (j *Jaeger) Ports() Ports { return j.ports }

// PID returns the process id of Jaeger.
func (j *Jaeger) PID() int { return j.cmd.Process.Pid }

// OTLPGRPCEndpoint returns host:port of the OTLP/gRPC receiver (no TLS), for
// otlptracegrpc.WithEndpoint together with otlptracegrpc.WithInsecure.
func (j *Jaeger) OTLPGRPCEndpoint() string { return hostPort(j.ports.OTLPGRPC) }

// OTLPHTTPEndpoint returns host:port of the OTLP/HTTP receiver (no TLS), for
// otlptracehttp.WithEndpoint together with otlptracehttp.WithInsecure.
func (j *Jaeger) OTLPHTTPEndpoint() string { return hostPort(j.ports.OTLPHTTP) }

// QueryURL returns the base URL of the query HTTP API, e.g.
// http://127.0.0.1:40123, without a trailing slash.
func (j *Jaeger) QueryURL() string { return "http://" + hostPort(j.ports.QueryHTTP) }

// QueryGRPCEndpoint returns host:port of the query gRPC API (api_v2, api_v3).
func (j *Jaeger) QueryGRPCEndpoint() string { return hostPort(j.ports.QueryGRPC) }

// MetricsURL returns the URL of Jaeger's own Prometheus metrics, e.g. for
// otelcol_receiver_accepted_spans.
func (j *Jaeger) MetricsURL() string { return "http://" + hostPort(j.ports.Metrics) + "/metrics" }

// Addr returns the address (127.0.0.1:port) that Start gave the variable
// named with WithFreeAddr, or "".
func (j *Jaeger) Addr(name string) string { return j.addrs[name] }

// LogPath returns the file that receives Jaeger's stdout and stderr.
func (j *Jaeger) LogPath() string { return j.logPath }

func hostPort(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func (j *Jaeger) readLog() string {
	b, err := os.ReadFile(j.logPath)
	if err != nil {
		return fmt.Sprintf("(reading the log: %v)", err)
	}
	return tail(b, logDumpLimit)
}

func (j *Jaeger) dumpLog(t testing.TB) {
	t.Logf("jaegertest: Jaeger log %s:\n%s", j.logPath, j.readLog())
}
