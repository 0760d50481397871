// view.go holds bex trace view: span trees in the terminal.

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

var traceViewCommand = &command{
	name:    "trace view",
	args:    "FILE.jsonl",
	summary: "print the span trees of a trace file",
	help: `View prints each span tree of a JSONL trace file (- for stdin): one line per
span with its kind, duration, token usage (LLM spans) and status, indented
under its parent, and one line per LLM provider attempt (a streamed one shows
its time to first chunk and its count of chunks). Spans that started
and never ended are marked "(not ended)". Files in the reference format
(without span kinds and bex fields) are read too.

Malformed lines are reported on stderr with their line numbers and skipped;
the exit status is then 1.
`,
	min: 1, max: 1,
	new: func() config { return &ViewConfig{Color: colorAuto} },
}

// ViewConfig is the configuration of bex trace view.
type ViewConfig struct {
	Trace  string    // --trace: show only this trace (root span id or OTel trace id, or a prefix)
	Color  colorMode // --color
	Values bool      // --values: show arguments and results
}

// Flags registers the flags of bex trace view.
func (c *ViewConfig) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Trace, "trace", "", "show only the trace with this root span `id` or OTel trace id (a unique prefix is enough)")
	fs.Var(&c.Color, "color", "color errors red: `auto` (when stdout is a terminal and $NO_COLOR is unset), always or never")
	fs.BoolVar(&c.Values, "values", false, "show each span's arguments and result")
}

func (c *ViewConfig) run(_ context.Context, a *App, s *streams, args []string) int {
	tf, code := loadTrace(s, "view", args[0])
	if tf == nil {
		return code
	}
	trees := tf.trees
	if c.Trace != "" {
		var err error
		if trees, err = tf.selectTrees(c.Trace); err != nil {
			fmt.Fprintf(s.stderr, "bex trace view: %s: %v\n", args[0], err)
			return ExitError
		}
	}
	if len(trees) == 0 {
		fmt.Fprintf(s.stderr, "bex trace view: %s: no spans\n", args[0])
	}
	color := c.Color == colorAlways || c.Color == colorAuto && a.isTerminal(s.stdout) && os.Getenv("NO_COLOR") == ""
	v := &viewer{color: color, values: c.Values}
	for i, t := range trees {
		if i > 0 {
			fmt.Fprintln(s.stdout)
		}
		v.tree(s.stdout, t)
	}
	return code
}

// loadTrace reads a trace file, reporting malformed lines on stderr as
// FILE:LINE: message. It returns a nil traceFile when the file cannot be
// read, and ExitError as the status when lines were malformed.
func loadTrace(s *streams, cmd, path string) (*traceFile, int) {
	tf, err := readTrace(openEvents(path, s.stdin), func(err error) { reportLine(s.stderr, path, err) })
	if err != nil {
		fmt.Fprintf(s.stderr, "bex trace %s: %v\n", cmd, err)
		return nil, ExitError
	}
	if tf.malformed > 0 {
		fmt.Fprintf(s.stderr, "bex trace %s: %s: %s skipped\n", cmd, path, plural(tf.malformed, "malformed line"))
		return tf, ExitError
	}
	return tf, ExitOK
}

// reportLine prints a malformed line's error as FILE:LINE: message.
func reportLine(w io.Writer, path string, err error) {
	var le *jsonl.LineError
	if errors.As(err, &le) {
		fmt.Fprintf(w, "%s:%d: %v\n", path, le.Line, le.Err)
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}

// A viewer prints span trees.
type viewer struct {
	color  bool
	values bool
}

const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiReset  = "\x1b[0m"
)

func (v *viewer) paint(code, s string) string {
	if !v.color {
		return s
	}
	return code + s + ansiReset
}

// tree prints a header line and then one aligned line per span and attempt.
func (v *viewer) tree(w io.Writer, t *spanTree) {
	errs := 0
	for _, n := range t.spans {
		if n.err != nil {
			errs++
		}
	}
	head := fmt.Sprintf("trace %s  root %s  %s  %s", t.traceID, t.rootID, t.top[0].start.UTC().Format("2006-01-02 15:04:05.000 UTC"), plural(len(t.spans), "span"))
	if errs > 0 {
		head += ", " + plural(errs, "error")
	}
	if r := t.top[0].remote; r != nil {
		head += "  (remote parent " + r.SpanID.String() + ")"
	}
	fmt.Fprintln(w, v.paint(ansiBold, head))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range t.top {
		v.span(tw, n, "", "")
	}
	tw.Flush()
}

// span prints n (its line starts with first) and, below it, its attempts and
// children (their lines start with rest).
func (v *viewer) span(w io.Writer, n *spanNode, first, rest string) {
	name := clean(n.name)
	if n.parent != (vmspan.SpanID{}) && first == "" {
		name += "  (parent " + n.parent.String() + " not found)"
	}
	tokens := ""
	if len(n.attempts) > 0 {
		tokens = fmtTokens(n.usage())
	}
	dur := "-"
	if n.ended {
		dur = fmtDuration(n.dur)
	}
	fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s%s\n", first, name, kindName(n.kind), dur, tokens, v.spanStatus(n), v.spanValues(n))
	kids := len(n.attempts) + len(n.children)
	for i, a := range n.attempts {
		f, _ := branch(rest, i == kids-1)
		fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s\n", f, attemptName(a), attemptKind(a), attemptDuration(a), fmtTokens(a.Usage), v.attemptStatus(a))
	}
	for i, c := range n.children {
		f, r := branch(rest, len(n.attempts)+i == kids-1)
		v.span(w, c, f, r)
	}
}

// branch returns the prefixes of a child's first line and of its own children.
func branch(rest string, last bool) (string, string) {
	if last {
		return rest + "└─ ", rest + "   "
	}
	return rest + "├─ ", rest + "│  "
}

func (v *viewer) spanStatus(n *spanNode) string {
	switch {
	case !n.ended:
		return v.paint(ansiYellow, "(not ended)")
	case n.err != nil:
		return v.paint(ansiRed, "error: "+errorText(n.err))
	}
	return "ok"
}

func (v *viewer) attemptStatus(a vmspan.LLMAttempt) string {
	s := "ok"
	if a.Err != nil {
		s = v.paint(ansiRed, "error: "+errorText(a.Err))
	}
	if a.Selected {
		s += ", selected"
	}
	return s
}

// spanValues returns "  (args) -> result" with --values, else "".
func (v *viewer) spanValues(n *spanNode) string {
	if !v.values {
		return ""
	}
	s := "  " + fmtArgs(n.args)
	if n.ended && n.err == nil {
		s += " -> " + fmtValue(n.result)
	}
	return s
}

// attemptKind is "attempt", or "stream" for a streamed one.
func attemptKind(a vmspan.LLMAttempt) string {
	if a.Stream != nil {
		return "stream"
	}
	return "attempt"
}

// attemptDuration is the attempt's duration, and a streamed one's time to
// first chunk and count of chunks.
func attemptDuration(a vmspan.LLMAttempt) string {
	s := fmtDuration(a.Duration)
	if st := a.Stream; st != nil {
		first := "none"
		if st.Chunks > 0 {
			first = fmtDuration(st.FirstChunk)
		}
		s += " (first chunk " + first + ", " + plural(st.Chunks, "chunk") + ")"
	}
	return s
}

// attemptName names an attempt: "<client> <provider>/<model>".
func attemptName(a vmspan.LLMAttempt) string {
	var parts []string
	if a.Client != "" {
		parts = append(parts, a.Client)
	}
	if a.Provider != "" || a.Model != "" {
		parts = append(parts, strings.TrimPrefix(a.Provider+"/"+a.Model, "/"))
	}
	return clean(strings.Join(parts, " "))
}

// kindName is the span kind, or "-" when the file does not record it.
func kindName(k vmspan.Kind) string {
	if k == 0 {
		return "-"
	}
	return k.String()
}

// fmtTokens formats token usage as "40 in, 9 out[, 100 cached]", leaving
// out counts no provider reported.
func fmtTokens(u vmspan.Usage) string {
	var parts []string
	if u.InputTokens != nil {
		parts = append(parts, count(u.InputTokens)+" in")
	}
	if u.OutputTokens != nil {
		parts = append(parts, count(u.OutputTokens)+" out")
	}
	if u.CachedInputTokens != nil && *u.CachedInputTokens > 0 {
		parts = append(parts, count(u.CachedInputTokens)+" cached")
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
