// Package faults holds reliability tests of bex's export under exporter
// faults and process exit, against a real Jaeger v2 (package jaegertest).
//
// Each exporter test runs a paced load of engine calls (an expression root
// calling a traced host function, an LLM function against the LLM stub and a
// traced expression function: five OpenTelemetry spans per call) whose
// events go both to a JSONL trace file and through otelbridge to an
// OTLP/gRPC exporter built by otelbridge.NewProvider from the OTEL_*
// environment, and measures every call's latency per phase (logged, never
// asserted). It then checks that
//
//   - every call succeeded, whatever the exporter did;
//   - the provider's counts are exact: Ended = Exported + Dropped, Ended is
//     the number of spans in the trace file, and, span by span (the
//     exporter is wrapped to record which spans each export carried and how
//     it ended), Jaeger shows every exported span, none of the rejected ones
//     and nothing bex did not make. Spans of a failed export are missing,
//     except those the backend stored although the exporter saw the export
//     fail (it timed out, or the connection broke before the answer came):
//     they count as dropped and the test logs how many there were, so the
//     spans missing from Jaeger are exactly Dropped minus those;
//   - every span of a call started after the exporter recovered is in Jaeger;
//   - the trace file is complete and balanced, and `bex trace export FILE`
//     (the real CLI, built from ../cmd/bex) fills the gap: afterwards every
//     span of the file is in Jaeger, under its trace. Jaeger keeps a span
//     sent twice only when the copies differ; the check counts distinct span
//     ids and logs any duplicates.
//
// The faults:
//
//   - TestExporterStartsLate: Jaeger is not running when the application
//     starts exporting; it starts later on ports chosen in advance.
//   - TestExporterRestarts: Jaeger (badger storage) is stopped mid-run
//     (SIGTERM) and started again on the same ports and storage; and killed
//     (SIGKILL), which loses the spans Jaeger had acknowledged but not yet
//     stored: no exporter can see that, so the test logs them, and the trace
//     file fills that gap too.
//   - TestSlowExporter: the OTLP endpoint is an in-process receiver
//     (package otlpstub) in front of Jaeger that first answers each export
//     only after a delay, then hangs until the exporter gives up.
//
// TestSIGTERM runs a load in a child process (../cmd/bexload) set up with
// bex.Setup from BEX_TRACE_FILE and OTEL_EXPORTER_OTLP_ENDPOINT, sends it
// SIGTERM mid-load, and checks that it finished its in-flight calls, wrote a
// balanced trace file and delivered to Jaeger every span it reports
// exported. docs/reliability.md records the figures these tests log.
//
// The package has only tests (and the helper package otlpstub); this file
// exists so that `go vet` and `go list` see a package.
package faults
