// Package bex is the entry point of the bex runtime for LLM pipelines: Setup
// wires the default tracer from the environment (a JSONL trace file when
// BEX_TRACE_FILE is set, OpenTelemetry export when OTEL_EXPORTER_OTLP_* is
// set) and returns one shutdown function that flushes everything.
//
// Programs are loaded and run with package runtime/engine; spans are
// described in package vmspan, collected natively by package collector,
// written to files by package jsonl and exported by package otelbridge.
package bex
