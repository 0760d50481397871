// Package jaegertest runs a real Jaeger v2 for end-to-end tests of bex's
// OpenTelemetry export, and reads the exported traces back from Jaeger's query
// API.
//
// # The binary
//
// Jaeger v2.13.0 is built from the Go module github.com/jaegertracing/jaeger
// at [ModuleVersion] (v1.76.0), package cmd/jaeger. `go install pkg@version`
// cannot build it (Jaeger's go.mod has a replace directive), so the script
// scripts/jaeger.sh builds it inside the tools module integration/tools/jaeger,
// whose committed go.sum pins every dependency. The binary is cached per
// version at
//
//	${XDG_CACHE_HOME:-$HOME/.cache}/bex/jaeger-v1.76.0/jaeger
//
// (see [CachePath]; the same directory as [os.UserCacheDir]). A cold build
// takes about 8 minutes on 2 cores, which is close to go test's default
// 10 minute timeout: run scripts/jaeger.sh once before the tests, or pass
// -timeout 30m. [Binary] returns the cached binary, runs the script if it is
// missing, and honours the environment variable BEX_JAEGER_BIN ([EnvBinary]),
// which names a binary to use instead.
//
// # Running Jaeger
//
// [Start] starts a private Jaeger for one test: all-in-one with in-memory
// storage, every listener on 127.0.0.1 on a free port, so parallel tests and
// parallel `go test` runs do not clash. It waits until Jaeger reports healthy
// and registers a cleanup that stops the process (SIGTERM, then SIGKILL after
// 10s); on Linux the process is also killed if the test binary dies. Jaeger's
// log is written to a file in t.TempDir() and dumped via t.Log when the test
// fails. If no binary can be had, Start skips the test, unless the environment
// variable CI is "true", where it fails the test instead.
//
// Options change that: [WithPorts] fixes the ports (pick them in advance with
// [FreePorts], e.g. to start Jaeger only after the application has begun
// exporting to it, or reuse [Jaeger.Ports] to restart it on the same ports),
// and [WithBadger] stores traces on disk with Jaeger's badger backend, so that
// a Jaeger stopped with [Jaeger.Stop] (or killed with [Jaeger.Kill]) and
// started again on the same directory still has what it stored.
//
// [WithConfigFile] runs the binary with a configuration file of the caller's
// instead — a Jaeger, or any OpenTelemetry Collector configuration whose
// components the binary has (it is a Collector distribution with otlp,
// tail_sampling, spanmetrics, memory_limiter and a prometheus exporter), such
// as the gateway of the repository's deploy/ directory. The file reads the
// ports Start chose from environment variables ([ConfigVars]); [WithEnv] sets
// other variables, [WithFreeAddr] gives more listeners free addresses
// ([Jaeger.Addr]). Without a query API in [ConfigVars], Start waits only for
// the health check.
//
// Export spans with OTLP to [Jaeger.OTLPGRPCEndpoint] (insecure gRPC) or
// [Jaeger.OTLPHTTPEndpoint] (plain HTTP, path /v1/traces). Only the OTLP
// receiver is enabled: Jaeger's own jaeger/zipkin receivers, remote sampling,
// expvar, zpages and the gRPC health check of the stock all-in-one config are
// left out, and Jaeger's self-tracing (which would export to a fixed
// localhost:4317) is switched off. Spans pass a batch processor (200ms), so a
// trace becomes queryable a few hundred milliseconds after the SDK exported
// it; use [Jaeger.WaitTrace] rather than [Jaeger.Trace] right after exporting.
//
// # Reading traces back
//
// [Jaeger.Trace] decodes GET /api/traces/{traceID} (the Jaeger UI's JSON
// model: spans with operation names, CHILD_OF references, tags, logs and
// processes), [Jaeger.FindTraces] searches traces by service,
// [Jaeger.WaitTrace] polls it until a trace has the expected
// number of spans, and [Jaeger.Services] lists GET /api/services. In that
// model OpenTelemetry resource attributes become process tags (service.name
// becomes Process.ServiceName), span attributes become span tags (array
// attributes as a JSON string such as ["a","b"]), span events become logs
// (the event name is the log field "event"), the instrumentation scope becomes
// the tag "otel.scope.name", the span kind the tag "span.kind" ("internal",
// "server", …), and a status that is not unset the tag "otel.status_code"
// ("OK" or "ERROR"; an error adds "error"=true and "otel.status_description").
// The parent is the CHILD_OF reference ([Span.ParentSpanID]); a root span has
// no references. Ids are lower-case hex as the OTel API prints them.
// [Jaeger.QueryURL] gives the base URL for other endpoints, e.g.
// /api/v3/traces/{traceID}, which returns OTLP JSON.
package jaegertest
