// stats.go holds bex trace stats: counts, duration percentiles and tokens.

package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bexrun/bex/vmspan"
)

var traceStatsCommand = &command{
	name:    "trace stats",
	args:    "FILE.jsonl",
	summary: "summarize a trace file: counts, durations, tokens, unbalanced spans",
	help: `Stats summarizes a JSONL trace file (- for stdin): the number of traces and
spans (by kind), failed spans and LLM attempts, duration percentiles (p50,
p90, p99, max; nearest rank, over ended spans) per function, token totals per
provider and model, and every unbalanced span (a start with no end).

Malformed lines are reported on stderr with their line numbers and skipped;
the exit status is then 1.
`,
	min: 1, max: 1,
	new: func() config { return &StatsConfig{} },
}

// StatsConfig is the configuration of bex trace stats.
type StatsConfig struct {
	Trace string // --trace: only this trace
}

// Flags registers the flags of bex trace stats.
func (c *StatsConfig) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Trace, "trace", "", "only the trace with this root span `id` or OTel trace id (a unique prefix is enough)")
}

func (c *StatsConfig) run(_ context.Context, _ *App, s *streams, args []string) int {
	tf, code := loadTrace(s, "stats", args[0])
	if tf == nil {
		return code
	}
	trees := tf.trees
	if c.Trace != "" {
		var err error
		if trees, err = tf.selectTrees(c.Trace); err != nil {
			fmt.Fprintf(s.stderr, "bex trace stats: %s: %v\n", args[0], err)
			return ExitError
		}
	}
	st := computeStats(trees)
	st.events, st.malformed = tf.events, tf.malformed
	st.print(s.stdout)
	return code
}

// traceStats are the figures bex trace stats prints.
type traceStats struct {
	events, malformed int
	traces, trees     int
	spans             int
	byKind            map[vmspan.Kind]int
	spanErrors        int
	attempts          int
	attemptErrors     int
	usage             vmspan.Usage
	funcs             map[funcKey]*funcStats
	models            map[modelKey]*modelStats
	unbalanced        []*spanNode
}

type funcKey struct {
	name string
	kind vmspan.Kind
}

type funcStats struct {
	count, errors int
	durs          []time.Duration // of ended spans
}

type modelKey struct{ provider, model string }

type modelStats struct {
	attempts, errors int
	usage            vmspan.Usage
}

func computeStats(trees []*spanTree) *traceStats {
	st := &traceStats{byKind: map[vmspan.Kind]int{}, funcs: map[funcKey]*funcStats{}, models: map[modelKey]*modelStats{}}
	st.traces, st.trees = len(traceIDs(trees)), len(trees)
	for _, t := range trees {
		for _, n := range t.spans {
			st.addSpan(n)
		}
	}
	return st
}

func (st *traceStats) addSpan(n *spanNode) {
	st.spans++
	st.byKind[n.kind]++
	f := st.funcs[funcKey{n.name, n.kind}]
	if f == nil {
		f = &funcStats{}
		st.funcs[funcKey{n.name, n.kind}] = f
	}
	f.count++
	switch {
	case !n.ended:
		st.unbalanced = append(st.unbalanced, n)
	case n.err != nil:
		st.spanErrors++
		f.errors++
		f.durs = append(f.durs, n.dur)
	default:
		f.durs = append(f.durs, n.dur)
	}
	for _, a := range n.attempts {
		st.addAttempt(a)
	}
}

func (st *traceStats) addAttempt(a vmspan.LLMAttempt) {
	st.attempts++
	st.usage = st.usage.Add(a.Usage)
	m := st.models[modelKey{a.Provider, a.Model}]
	if m == nil {
		m = &modelStats{}
		st.models[modelKey{a.Provider, a.Model}] = m
	}
	m.attempts++
	m.usage = m.usage.Add(a.Usage)
	if a.Err != nil {
		st.attemptErrors++
		m.errors++
	}
}

func (st *traceStats) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "events:\t%d\n", st.events)
	if st.malformed > 0 {
		fmt.Fprintf(tw, "malformed lines:\t%d (skipped; listed on stderr)\n", st.malformed)
	}
	fmt.Fprintf(tw, "traces:\t%d (%s)\n", st.traces, plural(st.trees, "span tree"))
	fmt.Fprintf(tw, "spans:\t%d%s\n", st.spans, st.kinds())
	fmt.Fprintf(tw, "errors:\t%s, %s\n", plural(st.spanErrors, "span"), plural(st.attemptErrors, "LLM attempt"))
	fmt.Fprintf(tw, "LLM attempts:\t%d\n", st.attempts)
	fmt.Fprintf(tw, "tokens:\t%s\n", fmtUsage(st.usage))
	fmt.Fprintf(tw, "unbalanced spans:\t%d\n", len(st.unbalanced))
	tw.Flush()
	st.printUnbalanced(w)
	st.printFuncs(w)
	st.printModels(w)
}

// kinds formats the span counts by kind, in kind order: " (root 1, llm 2)".
func (st *traceStats) kinds() string {
	kinds := make([]vmspan.Kind, 0, len(st.byKind))
	for k := range st.byKind {
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		return ""
	}
	slices.SortFunc(kinds, func(a, b vmspan.Kind) int { return cmp.Compare(kindOrder(a), kindOrder(b)) })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", kindLabel(k), st.byKind[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// kindOrder puts spans with no recorded kind last.
func kindOrder(k vmspan.Kind) int {
	if k == 0 {
		return math.MaxInt
	}
	return int(k)
}

// kindLabel is the kind's name, or "no kind" for reference-format spans.
func kindLabel(k vmspan.Kind) string {
	if k == 0 {
		return "no kind"
	}
	return k.String()
}

func (st *traceStats) printUnbalanced(w io.Writer) {
	if len(st.unbalanced) == 0 {
		return
	}
	fmt.Fprintln(w, "\nunbalanced spans (started, never ended):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range st.unbalanced {
		fmt.Fprintf(tw, "  %s\t%s\t%s\tstarted %s\n", n.id, clean(n.name), kindName(n.kind), n.start.UTC().Format("2006-01-02 15:04:05.000 UTC"))
	}
	tw.Flush()
}

func (st *traceStats) printFuncs(w io.Writer) {
	if len(st.funcs) == 0 {
		return
	}
	keys := make([]funcKey, 0, len(st.funcs))
	for k := range st.funcs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b funcKey) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(kindOrder(a.kind), kindOrder(b.kind)))
	})
	fmt.Fprintln(w, "\nfunctions (durations of ended spans):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FUNCTION\tKIND\tCOUNT\tERRORS\tP50\tP90\tP99\tMAX")
	for _, k := range keys {
		f := st.funcs[k]
		slices.Sort(f.durs)
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", clean(k.name), kindName(k.kind), f.count, f.errors,
			percentile(f.durs, 50), percentile(f.durs, 90), percentile(f.durs, 99), percentile(f.durs, 100))
	}
	tw.Flush()
}

// percentile returns the p-th percentile of sorted durations by the
// nearest-rank method, or "-" when there are none.
func percentile(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return fmtDuration(sorted[max(i, 0)])
}

func (st *traceStats) printModels(w io.Writer) {
	if len(st.models) == 0 {
		return
	}
	keys := make([]modelKey, 0, len(st.models))
	for k := range st.models {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b modelKey) int {
		return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.model, b.model))
	})
	fmt.Fprintln(w, "\ntokens by model:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PROVIDER\tMODEL\tATTEMPTS\tERRORS\tINPUT\tOUTPUT\tCACHED")
	for _, k := range keys {
		m := st.models[k]
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\t%s\t%s\n", clean(k.provider), clean(k.model), m.attempts, m.errors,
			count(m.usage.InputTokens), count(m.usage.OutputTokens), count(m.usage.CachedInputTokens))
	}
	tw.Flush()
}
