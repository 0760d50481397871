// Package e2e holds end-to-end tests of bex's OpenTelemetry export against a
// real Jaeger v2 (started by package jaegertest): the bex engine runs the
// ticket-triage pipeline against the LLM stub, its spans go through
// otelbridge to an OTLP exporter (http/protobuf, the default) built by
// otelbridge.NewProvider from the OTEL_* environment, and the tests read
// every trace back from Jaeger's query
// API by trace id and compare the whole tree (span ids, parents, names,
// service, GenAI attributes, error status) with the tree computed from the
// bex span ids (vmspan.OTelSpanID, vmspan.AttemptSpanID).
//
// The package has only tests; this file exists so that `go vet` and
// `go list` see a package.
//
//   - TestFullTree: application span → bex host span → engine root → two
//     LLM functions (OpenAI and Anthropic wire formats) with their
//     `chat <model>` client spans, and a traced host function that starts its
//     own OTel span; then a call whose LLM output is malformed.
//   - TestConcurrentCalls: 200 concurrent calls, 200 separate subtrees, every
//     span delivered and parented exactly, no drops.
//   - TestReplayAfterOutage: the exporter points at a closed port while a
//     JSONL trace file records everything; nothing reaches Jaeger and the
//     provider counts the drops; exporting the file later with
//     otelbridge.Export delivers exactly the trace the live bridge would have.
package e2e
