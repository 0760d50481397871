// budgets.go checks the figures against the budgets of SPEC §7.

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// A budget is a limit on a measured figure.
type budget struct {
	name    string
	measure func(r *results) (float64, bool)
	limit   float64
	atLeast bool // the figure must be at least limit (else at most)
	prec    int
	// unless names a group whose presence makes this line informational:
	// a steadier measure of the same budget decides it.
	unless string
}

// fig returns a function reading the median of one figure.
func fig(bench, impl, unit string) func(*results) (float64, bool) {
	return func(r *results) (float64, bool) { return r.get(bench, impl, unit) }
}

// ratio returns a function reading the ratio of two medians.
func ratio(bench, a, b, unit string) func(*results) (float64, bool) {
	return func(r *results) (float64, bool) {
		x, ok1 := r.get(bench, a, unit)
		y, ok2 := r.get(bench, b, unit)
		return safeDiv(x, y), ok1 && ok2 && y != 0
	}
}

// diff returns a function reading the difference of two medians.
func diff(bench, a, b, unit string) func(*results) (float64, bool) {
	return func(r *results) (float64, bool) {
		x, ok1 := r.get(bench, a, unit)
		y, ok2 := r.get(bench, b, unit)
		return x - y, ok1 && ok2
	}
}

var budgets = []budget{
	{"VM fib(27): bex/gopher-lua, CPU time", ratio("Fib27", "bex", "gopherlua", "cpu-ns/op"), 1, false, 2, ""},
	{"VM 10M loop: bex/gopher-lua, CPU time", ratio("Loop10M", "bex", "gopherlua", "cpu-ns/op"), 1, false, 2, ""},
	{"fib(27) with no sink / tracing compiled out, instructions", ratio("InstructionsFib27", "no-sink", "compiled-out", "instructions/op"), 1.03, false, 3, ""},
	{"fib(27) with a sink / tracing compiled out, instructions", ratio("InstructionsFib27", "discard-sink", "compiled-out", "instructions/op"), 1.03, false, 3, ""},
	{"fib(27) with no sink / tracing compiled out, CPU time", ratio("UntracedFib27", "no-sink", "compiled-out", "cpu-ns/op"), 1.03, false, 3, "InstructionsFib27"},
	{"fib(27) with a sink / with no sink (untraced calls), CPU time", ratio("UntracedFib27", "discard-sink", "no-sink", "cpu-ns/op"), 1.03, false, 3, "InstructionsFib27"},
	{"traced call into a sink that keeps nothing, CPU ns", fig("TracedCall", "bex", "cpu-ns/op"), 300, false, 0, ""},
	{"what tracing adds to a call (traced - untraced call), CPU ns", diff("TracedCall", "bex", "untraced", "cpu-ns/op"), 300, false, 0, ""},
	{"traced call, allocations", fig("TracedCall", "bex", "allocs/op"), 3, false, 0, ""},
	{"bridge/SDK for 100k spans, CPU time", ratio("Bridge100k", "bridge", "sdk", "cpu-ns/span"), 1.2, false, 2, ""},
	{"bridge/SDK for 100k spans, wall time", ratio("Bridge100k", "bridge", "sdk", "ns/span"), 1.2, false, 2, ""},
	{"bridge: spans dropped of 100k", fig("Bridge100k", "bridge", "dropped"), 0, false, 0, ""},
	{"JSONL encoding, events per CPU second", fig("JSONL", "encode", "cpu-events/s"), 1e6, true, 0, ""},
	{"JSONL reading (1M-event file), events per CPU second", fig("Scale", "read", "cpu-events/s"), 1e6, true, 0, ""},
	{"Collector memory per retained event, bytes", fig("Scale", "collectors", "B/event"), 250, false, 0, ""},
	{"pipeline, one call at a time: tracing off / floor, CPU", ratio("PipelineSeq", "off", "floor", "cpu-ns/call"), 1.5, false, 2, ""},
	{"pipeline, 64 in flight: tracing off / floor, CPU", ratio("Pipeline64", "off", "floor", "cpu-ns/call"), 1.5, false, 2, ""},
	{"pipeline, one call at a time: JSONL / floor, CPU", ratio("PipelineSeq", "jsonl", "floor", "cpu-ns/call"), 1.8, false, 2, ""},
	{"pipeline, 64 in flight: JSONL / floor, CPU", ratio("Pipeline64", "jsonl", "floor", "cpu-ns/call"), 1.8, false, 2, ""},
	{"pipeline, one call at a time: tracing off / BAML, CPU", ratio("PipelineSeq", "off", "baml", "cpu-ns/call"), 0.5, false, 2, ""},
	{"pipeline, 64 in flight: tracing off / BAML, CPU", ratio("Pipeline64", "off", "baml", "cpu-ns/call"), 0.5, false, 2, ""},
	{"pipeline, one call at a time: JSONL / BAML, CPU", ratio("PipelineSeq", "jsonl", "baml", "cpu-ns/call"), 0.5, false, 2, ""},
	{"pipeline, 64 in flight: JSONL / BAML, CPU", ratio("Pipeline64", "jsonl", "baml", "cpu-ns/call"), 0.5, false, 2, ""},
	{"streamed 64 KiB reply in 10-byte chunks / parsed once, CPU time", ratio("StreamParse", "chunks10", "whole", "cpu-ns/op"), 5, false, 2, ""},
}

func writeBudgets(w io.Writer, r *results) {
	rows := [][]string{{"budget (SPEC §7)", "", "measured", "limit", "verdict"}}
	for _, b := range budgets {
		v, ok := b.measure(r)
		if !ok {
			continue
		}
		verdict := "met"
		switch {
		case b.unless != "" && r.has(b.unless):
			verdict = "info"
		case (b.atLeast && v < b.limit) || (!b.atLeast && v > b.limit):
			verdict = "NOT met"
		}
		op := "<="
		if b.atLeast {
			op = ">="
		}
		rows = append(rows, []string{b.name, "", strconv.FormatFloat(v, 'f', b.prec, 64),
			op + " " + strconv.FormatFloat(b.limit, 'f', -1, 64), verdict})
	}
	if len(rows) == 1 {
		return
	}
	fmt.Fprintln(w, "## Budgets")
	table(w, rows)
	writeNotes(w, r)
}

// writeNotes prints figures derived from several rows.
func writeNotes(w io.Writer, r *results) {
	if r.has("PipelineSeq") && !slices.Contains(r.impls("PipelineSeq"), "baml") {
		fmt.Fprintln(w, "info: BAML's runtime was not measured (node or @boundaryml/baml missing; run.sh takes it from scripts/baml.sh): its budgets are not checked.")
	}
	if !r.has("InstructionsFib27") {
		return
	}
	fmt.Fprint(w, "info: the CPU time of two builds differs by their code layout as much as by the work they do")
	if v, ok := ratio("LayoutLoop10M", "compiled-in", "compiled-out", "cpu-ns/op")(r); ok {
		fmt.Fprintf(w, " (the 10M loop, the same instructions in both: %.3f)", v)
	}
	fmt.Fprintln(w, "; the instruction counts decide that budget.")
}
