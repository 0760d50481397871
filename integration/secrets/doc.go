// Package secrets checks that secrets never leave a bex process through its
// traces.
//
// TestSecretsNeverLeave runs a pipeline whose LLM clients take an API key
// from the environment (api_key env.X), send an Authorization header written
// in the program and a secret-named header from the environment, whose
// functions take arguments named api_key, token and password, and whose
// host code puts secrets in host span arguments and tags (api_key, token,
// password). One call succeeds; another fails with a provider error whose
// body echoes the API key and the Authorization header, as real providers
// do. Four more fail with errors whose messages quote content: a reply
// that cannot be parsed, a reply that fails an @assert, an HTTP 400 whose
// body echoes the prompt, and an argument the program cannot convert to
// an int. It then searches every byte the process wrote for each secret value:
//
//   - the JSONL trace file;
//   - the Collector's logs, as JSON and as Go syntax (%#v);
//   - every OTLP export request, as the protobuf bytes an in-process
//     OTLP/gRPC receiver (../faults/otlpstub) received and as protojson;
//   - Jaeger's stored traces, as the raw JSON of /api/traces/{id} and of
//     /api/v3/traces/{id};
//   - the errors the calls returned and everything OpenTelemetry reported.
//
// It expects zero hits, with content capture off (the default) and on.
// With content capture off it also expects no argument value, reply or
// prompt text in the OTLP requests and Jaeger's traces, the failed spans
// carrying their errors' content-free summaries instead; with it on, and
// in the trace file and the Collector, the whole messages are there.
// Positive controls make the test able to fail: a non-secret argument and a
// non-secret tag are found in every one of those outputs, a non-secret
// header in the trace file and the Collector, and the LLM stub saw the API
// key and the headers, so the secrets were really in use.
//
// The package has only tests; this file exists so that `go vet` and
// `go list` see a package.
package secrets
