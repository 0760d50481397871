package jaegertest

import (
	"fmt"
	"path/filepath"
)

// An Option configures Start.
type Option func(*options)

type options struct {
	ports     *Ports // nil: free ports, picked per attempt
	badgerDir string // "": in-memory storage
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
