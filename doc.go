// Package bex is the entry point of the bex runtime for LLM pipelines: Setup
// wires the default tracer (a JSONL trace file when BEX_TRACE_FILE is set;
// OpenTelemetry through the application's own TracerProvider when it has
// one, else through a provider built from the OTEL_* environment), records
// bex's metrics (the GenAI client metrics of every LLM attempt, and the
// health instruments of ObserveHealth) in the same way, and returns one
// shutdown function that flushes everything. Setup changes no process-wide
// OpenTelemetry state unless WithSetGlobal asks.
//
// Programs are loaded and run with package runtime/engine; spans are
// described in package vmspan, collected natively by package collector,
// written to files by package jsonl and exported by package otelbridge.
package bex
