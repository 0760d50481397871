// report.go lays out the report: the sections, their columns and the budgets.

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A col is a column: the median of unit divided by div, with prec decimals.
type col struct {
	head string
	unit string
	div  float64
	prec int
}

// A ratioCol compares each row with the base implementation, in CPU time
// and, in parentheses, in wall time (when wall is set): row/base, or
// base/row when baseOver.
type ratioCol struct {
	head      string
	cpu, wall string
	base      string
	baseOver  bool
}

// A section is one table of the report.
type section struct {
	title   string
	benches []string
	first   []string // implementations in this order, then the rest by name
	only    []string // if set, only these implementations
	cols    []col
	ratios  []*ratioCol
}

var (
	msCols = []col{{"cpu ms/op", "cpu-ns/op", 1e6, 2}, {"wall ms/op", "ns/op", 1e6, 2}}
	nsCols = []col{{"cpu ns/op", "cpu-ns/op", 1, 0}, {"wall ns/op", "ns/op", 1, 0},
		{"allocs/op", "allocs/op", 1, 0}, {"B/op", "B/op", 1, 0}, {"dropped %", "dropped-share", 0.01, 1}}
)

// The pipeline's implementations: the floor (net/http + encoding/json),
// bex with each kind of tracing, BAML's runtime.
var (
	pipelineImpls = []string{"floor", "off", "collector", "jsonl", "otel", "baml"}
	pipelineCols  = []col{{"cpu µs/call", "cpu-ns/call", 1e3, 1}, {"wall µs/call", "ns/call", 1e3, 1},
		{"calls/s", "calls/s", 1, 0}, {"peak RSS MB", "peak-rss-MB", 1, 1}, {"allocs/call", "allocs/call", 1, 0}, {"KB/call", "B/call", 1e3, 1}}
	pipelineRatios = []*ratioCol{{head: "impl/floor cpu (wall)", cpu: "cpu-ns/call", wall: "ns/call", base: "floor"},
		{head: "impl/baml cpu", cpu: "cpu-ns/call", base: "baml"}}
)

var sections = []section{
	{
		title:   "VM: fib(27) and a 10M-iteration loop, bex against gopher-lua, starlark-go and Go",
		benches: []string{"Fib27", "Loop10M"}, first: []string{"bex"}, cols: msCols,
		ratios: []*ratioCol{{head: "bex/impl cpu (wall)", cpu: "cpu-ns/op", wall: "ns/op", base: "bex", baseOver: true}},
	},
	{
		title:   "Tracing when nobody listens: fib(27) through engine.Call (untraced calls under one root span)",
		benches: []string{"UntracedFib27", "LayoutLoop10M"}, first: []string{"compiled-out", "no-sink", "discard-sink", "collector"}, cols: msCols,
		ratios: []*ratioCol{{head: "impl/compiled-out cpu (wall)", cpu: "cpu-ns/op", wall: "ns/op", base: "compiled-out"}},
	},
	{
		title:   "Instructions executed by fib(27) through engine.Call (valgrind cachegrind; independent of machine load)",
		benches: []string{"InstructionsFib27"}, first: []string{"compiled-out", "no-sink", "discard-sink"},
		cols:   []col{{"M instructions", "instructions/op", 1e6, 2}},
		ratios: []*ratioCol{{head: "impl/compiled-out", cpu: "instructions/op", base: "compiled-out"}},
	},
	{
		title:   "Instructions per traced call (valgrind cachegrind, garbage collector off; see TracedCall below)",
		benches: []string{"InstructionsTracedCall"}, first: []string{"bex", "retaining", "untraced", "vmspan"},
		cols: []col{{"instructions/op", "instructions/op", 1, 0}},
	},
	{
		title:   "One traced call (start + end events, one argument and a result) against the OTel SDK's Start+End",
		benches: []string{"TracedCall"}, first: []string{"bex", "retaining", "untraced", "vmspan", "otel-sdk", "otel-sdk-attrs"}, cols: nsCols,
		ratios: []*ratioCol{{head: "impl/otel-sdk cpu (wall)", cpu: "cpu-ns/op", wall: "ns/op", base: "otel-sdk"}},
	},
	{
		title:   "Bridge: 100,000 spans through otelbridge and made directly with the SDK, in-memory exporter, flush included",
		benches: []string{"Bridge100k"}, first: []string{"bridge", "sdk"},
		cols:   []col{{"cpu ns/span", "cpu-ns/span", 1, 0}, {"wall ns/span", "ns/span", 1, 0}, {"dropped", "dropped", 1, 0}},
		ratios: []*ratioCol{{head: "impl/sdk cpu (wall)", cpu: "cpu-ns/span", wall: "ns/span", base: "sdk"}},
	},
	{
		title:   "otelbridge BenchmarkBridgeRatio: the same bursts, counting exporter, final flush excluded (wall ns/span)",
		benches: []string{"BridgeRatio"},
		cols: []col{{"emit", "emit-ns/span", 1, 0}, {"tracer", "tracer-ns/span", 1, 0}, {"sdk", "sdk-ns/span", 1, 0},
			{"sdk-pre", "sdk-pre-ns/span", 1, 0}, {"emit/sdk", "ratio", 1, 2}, {"tracer/sdk", "ratio-tracer", 1, 2}},
	},
	{
		title:   "JSONL: encoding on one core; writing 100,000 events to a file (Writer + Flush with fsync) against raw writes of the same bytes",
		benches: []string{"JSONL"}, first: []string{"encode", "writer", "raw"},
		cols: []col{{"M events/s", "events/s", 1e6, 2}, {"cpu M events/s", "cpu-events/s", 1e6, 2},
			{"MB/s", "MB/s", 1, 0}, {"cpu MB/s", "cpu-MB/s", 1, 0}, {"B/event", "B/event", 1, 0}},
		ratios: []*ratioCol{{head: "MB/s impl/raw cpu (wall)", cpu: "cpu-MB/s", wall: "MB/s", base: "raw"}},
	},
	{
		title: "Pipeline: one LLM function (a string in, a class of three fields out) against a fake provider on 127.0.0.1, " +
			"5,000 calls one after another; each implementation in a process of its own",
		benches: []string{"PipelineSeq"}, first: pipelineImpls, cols: pipelineCols, ratios: pipelineRatios,
	},
	{
		title:   "Pipeline: the same with 64 calls in flight",
		benches: []string{"Pipeline64"}, first: pipelineImpls, cols: pipelineCols, ratios: pipelineRatios,
	},
	{
		title:   "Instructions per pipeline call, made in process without a network (valgrind cachegrind, garbage collector off)",
		benches: []string{"InstructionsPipeline"}, first: []string{"floor", "off", "jsonl"},
		cols:   []col{{"instructions/call", "instructions/op", 1, 0}},
		ratios: []*ratioCol{{head: "impl/floor", cpu: "instructions/op", base: "floor"}},
	},
	{
		title:   "Output parsing: a 1.3 KB reply to a class with a list of ten items; encoding/json decoding the same JSON into a Go struct, then typical messy replies",
		benches: []string{"Parse"}, first: []string{"valid-encoding-json", "valid-bex", "fenced-bex", "repaired-bex", "truncated-bex", "enum-in-prose-bex"},
		cols: []col{{"cpu ns/op", "cpu-ns/op", 1, 0}, {"wall ns/op", "ns/op", 1, 0}, {"MB/s", "MB/s", 1, 1},
			{"allocs/op", "allocs/op", 1, 0}, {"B/op", "B/op", 1, 0}},
		ratios: []*ratioCol{{head: "impl/encoding-json cpu (wall)", cpu: "cpu-ns/op", wall: "ns/op", base: "valid-encoding-json"}},
	},
	{
		title:   "Output parsing of a pathological 1 MB reply: opening brackets ([[[[...) to int[]",
		benches: []string{"ParseNested1MB"}, cols: msCols,
	},
	{
		title:   "Streaming: a 64 KiB reply (a list of tickets) parsed whole; fed in 10-byte chunks to the partial parser, its partial values built, then parsed whole for the final value; the control parses the reply so far again after every chunk (its first 16 KiB only: it is quadratic)",
		benches: []string{"StreamParse"}, first: []string{"whole", "chunks10", "naive10"},
		cols: []col{{"cpu ms/op", "cpu-ns/op", 1e6, 2}, {"wall ms/op", "ns/op", 1e6, 2}, {"partials/op", "partials/op", 1, 0},
			{"allocs/op", "allocs/op", 1, 0}, {"B/op", "B/op", 1, 0}},
		ratios: []*ratioCol{{head: "impl/whole cpu (wall)", cpu: "cpu-ns/op", wall: "ns/op", base: "whole"}},
	},
	{
		title:   "Scale: 1,000 open Collectors holding 1M events",
		benches: []string{"Scale"}, only: []string{"collectors"},
		cols: []col{{"heap MB", "heap-MB", 1, 0}, {"B/event", "B/event", 1, 0},
			{"cpu ns/event", "cpu-ns/event", 1, 0}, {"wall ns/event", "ns/event", 1, 0}},
	},
	{
		title:   "Scale: reading a 1M-event trace file with jsonl.ReadFile",
		benches: []string{"Scale"}, only: []string{"read"},
		cols: []col{{"file MB", "file-MB", 1, 0}, {"heap before MB", "base-heap-MB", 1, 1}, {"peak heap MB", "peak-heap-MB", 1, 1},
			{"peak live MB", "peak-live-MB", 1, 1},
			{"k events/s", "events/s", 1e3, 0}, {"cpu k events/s", "cpu-events/s", 1e3, 0}},
	},
}

func write(w io.Writer, r *results) {
	known := map[string]bool{}
	for _, s := range sections {
		for _, b := range s.benches {
			known[b] = true
		}
		s.write(w, r)
	}
	for _, b := range r.order {
		if !known[b] {
			writeOther(w, r, b)
		}
	}
	writeBudgets(w, r)
}

func (s *section) write(w io.Writer, r *results) {
	head := []string{"benchmark", "impl", "runs"}
	for _, c := range s.cols {
		head = append(head, c.head)
	}
	for _, c := range s.ratios {
		head = append(head, c.head)
	}
	rows := [][]string{head}
	for _, b := range s.benches {
		for _, impl := range r.impls(b, s.first...) {
			if s.only == nil || slices.Contains(s.only, impl) {
				if row, ok := s.row(r, b, impl); ok {
					rows = append(rows, row)
				}
			}
		}
	}
	if len(rows) == 1 {
		return
	}
	fmt.Fprintf(w, "## %s\n", s.title)
	table(w, rows)
	fmt.Fprintln(w)
}

// row returns the row of one implementation; ok is false when it has none
// of the section's figures.
func (s *section) row(r *results, bench, impl string) (row []string, ok bool) {
	name := impl
	if name == "" {
		name = "-"
	}
	row = []string{bench, name, strconv.Itoa(r.runs[key{bench, impl}])}
	for _, c := range s.cols {
		cell := ""
		if v, found := r.get(bench, impl, c.unit); found {
			cell = strconv.FormatFloat(v/c.div, 'f', c.prec, 64)
			ok = true
		}
		row = append(row, cell)
	}
	for _, c := range s.ratios {
		row = append(row, c.cell(r, bench, impl))
	}
	return row, ok
}

// cell returns the ratio of impl to the base, "" for the base itself or
// when a figure is missing.
func (c *ratioCol) cell(r *results, bench, impl string) string {
	if impl == c.base {
		return ""
	}
	ratio := func(unit string) (float64, bool) {
		x, ok1 := r.get(bench, impl, unit)
		base, ok2 := r.get(bench, c.base, unit)
		if c.baseOver {
			x, base = base, x
		}
		return safeDiv(x, base), ok1 && ok2 && base != 0
	}
	cpu, okCPU := ratio(c.cpu)
	wall, okWall := ratio(c.wall)
	switch {
	case okCPU && okWall:
		return fmt.Sprintf("%.2f (%.2f)", cpu, wall)
	case okCPU && c.wall == "":
		return fmt.Sprintf("%.3f", cpu)
	case okWall:
		return fmt.Sprintf("(%.2f)", wall)
	}
	return ""
}

// writeOther prints a group the report does not know, with every figure.
func writeOther(w io.Writer, r *results, bench string) {
	fmt.Fprintf(w, "## %s\n", bench)
	for _, impl := range r.impls(bench) {
		vals := r.vals[key{bench, impl}]
		var units []string
		for u := range vals {
			units = append(units, u)
		}
		slices.Sort(units)
		var figs []string
		for _, u := range units {
			figs = append(figs, fmt.Sprintf("%.4g %s", median(vals[u]), u))
		}
		fmt.Fprintf(w, "%s/%s (%d runs): %s\n", bench, impl, r.runs[key{bench, impl}], strings.Join(figs, ", "))
	}
	fmt.Fprintln(w)
}

// table prints rows with aligned columns: the first two left-aligned, the
// others right-aligned.
func table(w io.Writer, rows [][]string) {
	width := map[int]int{}
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(cell))
			if i < 2 {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(pad + cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
