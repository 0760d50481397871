package jaegertest

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// An Option configures Start.
type Option func(*options)

type options struct {
	ports     *Ports // nil: free ports, picked per attempt
	badgerDir string // "": in-memory storage

	configFile string     // "": the generated configuration
	vars       ConfigVars // with configFile
	env        []string   // NAME=value, from WithEnv
	freeAddrs  []string   // variables set to free addresses, from WithFreeAddr
}

// WithPorts makes Jaeger listen on the given ports instead of free ones, for
// example to start Jaeger after the application has begun exporting to
// Ports.OTLPGRPC (pick them with FreePorts), or to restart it on the ports of
// a Jaeger that has stopped (Jaeger.Ports). Start does not retry with other
// ports when one of them is taken; it fails the test.
func WithPorts(p Ports) Option { return func(o *options) { o.ports = &p } }

// WithBadger stores traces with Jaeger's badger backend in dir (made absolute;
// created if missing) instead of in memory, with synchronous writes, so that
// a Jaeger stopped with Stop and started again on the same dir still has
// every trace it stored. Only one Jaeger may use dir at a time.
func WithBadger(dir string) Option {
	return func(o *options) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		o.badgerDir = dir
	}
}

func (o options) pickPorts() (Ports, error) {
	if o.ports == nil {
		return FreePorts()
	}
	p := *o.ports
	for _, port := range []int{p.OTLPGRPC, p.OTLPHTTP, p.QueryHTTP, p.QueryGRPC, p.Health, p.Metrics} {
		if port <= 0 || port > 65535 {
			return Ports{}, fmt.Errorf("WithPorts(%+v): every port must be set", p)
		}
	}
	return p, nil
}

// ConfigVars names the environment variables through which a configuration
// file given to WithConfigFile reads the listen addresses that Start chose
// (as ${env:NAME}). Each address variable is set to 127.0.0.1:port; for the
// Collector's own metrics, whose reader takes a host and a port apart,
// MetricsHost is set to 127.0.0.1 and MetricsPort to the port. A field left
// empty is not set, and the file's default applies. Health is required:
// Start waits on its /status. With QueryHTTP set Start also waits for the
// query API, and the Jaeger's trace queries work; without it the process is
// taken for a plain Collector (a gateway) and only its health is awaited.
type ConfigVars struct {
	OTLPGRPC, OTLPHTTP   string
	QueryHTTP, QueryGRPC string
	Health               string
	MetricsHost          string
	MetricsPort          string
}

// WithConfigFile runs the Jaeger binary with the configuration file at path
// (a Jaeger configuration, or any OpenTelemetry Collector configuration
// whose components the binary has) instead of the generated all-in-one
// configuration. The file reads the addresses Start chose from the
// variables vars names. WithBadger has no effect then.
func WithConfigFile(path string, vars ConfigVars) Option {
	return func(o *options) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		o.configFile, o.vars = path, vars
	}
}

// WithEnv sets an environment variable of the process, for example one
// that a configuration file given to WithConfigFile reads.
func WithEnv(name, value string) Option {
	return func(o *options) { o.env = append(o.env, name+"="+value) }
}

// WithFreeAddr sets each named environment variable to a free 127.0.0.1
// address (host:port), chosen anew on every start attempt, for listeners of
// a configuration file that ConfigVars does not cover (an exporter's
// scrape endpoint, say). Jaeger.Addr returns the address.
func WithFreeAddr(names ...string) Option {
	return func(o *options) { o.freeAddrs = append(o.freeAddrs, names...) }
}

// environ returns the variables of vars set to the addresses of p.
func (vars ConfigVars) environ(p Ports) []string {
	var env []string
	set := func(name, value string) {
		if name != "" {
			env = append(env, name+"="+value)
		}
	}
	set(vars.OTLPGRPC, hostPort(p.OTLPGRPC))
	set(vars.OTLPHTTP, hostPort(p.OTLPHTTP))
	set(vars.QueryHTTP, hostPort(p.QueryHTTP))
	set(vars.QueryGRPC, hostPort(p.QueryGRPC))
	set(vars.Health, hostPort(p.Health))
	set(vars.MetricsHost, "127.0.0.1")
	set(vars.MetricsPort, strconv.Itoa(p.Metrics))
	return env
}
