// Package spanlog records the spans a process exports, with the outcome of
// each export, and writes them to a file that tests read back: the ground
// truth of what a process sent to its collector.
package spanlog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Span is one line of a span log: a span the process handed to its
// exporter, and whether the export carrying it succeeded.
type Span struct {
	TraceID  string `json:"trace_id"`
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`            // "server", "client", "internal", …
	Error    bool   `json:"error,omitempty"` // the span's status is Error
	Exported bool   `json:"exported"`
}

// Exporter wraps a SpanExporter and records every span it exports. It is
// safe for concurrent use.
type Exporter struct {
	sdktrace.SpanExporter
	mu    sync.Mutex
	spans []Span
}

// New returns an Exporter that exports through exp.
func New(exp sdktrace.SpanExporter) *Exporter { return &Exporter{SpanExporter: exp} }

// ExportSpans exports the spans and records them with the outcome.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range spans {
		rec := Span{
			TraceID:  s.SpanContext().TraceID().String(),
			SpanID:   s.SpanContext().SpanID().String(),
			Name:     s.Name(),
			Kind:     s.SpanKind().String(),
			Error:    s.Status().Code == codes.Error,
			Exported: err == nil,
		}
		if s.Parent().IsValid() {
			rec.ParentID = s.Parent().SpanID().String()
		}
		e.spans = append(e.spans, rec)
	}
	return err
}

// Spans returns a copy of the recorded spans.
func (e *Exporter) Spans() []Span {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Span(nil), e.spans...)
}

// WriteFile writes the recorded spans to path, one JSON object a line.
func (e *Exporter) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, s := range e.Spans() {
		if err := enc.Encode(s); err != nil {
			f.Close()
			return err
		}
	}
	return errors.Join(w.Flush(), f.Close())
}

// ReadFile reads a span log written by WriteFile.
func ReadFile(path string) ([]Span, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var spans []Span
	dec := json.NewDecoder(f)
	for dec.More() {
		var s Span
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%s: span %d: %w", path, len(spans)+1, err)
		}
		spans = append(spans, s)
	}
	return spans, nil
}
