// summary.go prints the Collector summary of bex run --collector.

package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/vmspan"
)

// printSummary prints a call's FunctionLog: status, duration, token usage
// and every LLM attempt with its client, provider, model and status.
func printSummary(w io.Writer, log *collector.FunctionLog) {
	if log == nil {
		fmt.Fprintln(w, "collector: no call was recorded (the call failed before it started)")
		return
	}
	fmt.Fprintf(w, "call %s (span %s)\n", log.FunctionName, log.ID)
	fmt.Fprintf(w, "  status:   %s\n", status(log.Error))
	fmt.Fprintf(w, "  duration: %s\n", fmtDuration(log.Timing.Duration))
	fmt.Fprintf(w, "  spans:    %d\n", len(log.Spans))
	fmt.Fprintf(w, "  tokens:   %s\n", fmtUsage(log.Usage))
	if len(log.Calls) == 0 {
		fmt.Fprintln(w, "  LLM calls: none")
		return
	}
	fmt.Fprintf(w, "  LLM calls: %d\n", len(log.Calls))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    #\tFUNCTION\tCLIENT\tPROVIDER\tMODEL\tDURATION\tIN\tOUT\tCACHED\tSTATUS")
	for i, c := range log.Calls {
		st := status(c.Error)
		if c.Selected {
			st += ", selected"
		}
		fmt.Fprintf(tw, "    %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, c.FunctionName, c.Client, c.Provider, c.Model,
			fmtDuration(c.Timing.Duration), count(c.Usage.InputTokens), count(c.Usage.OutputTokens),
			count(c.Usage.CachedInputTokens), st)
	}
	tw.Flush()
}

// status is "ok" or "error: <type>: <message>".
func status(e *vmspan.ErrorInfo) string {
	if e == nil {
		return "ok"
	}
	return "error: " + errorText(e)
}

// errorText is an error's type and the first line of its message (a bex
// run-time error's message goes on with its stack).
func errorText(e *vmspan.ErrorInfo) string {
	msg, _, _ := strings.Cut(e.Message, "\n")
	msg = clean(strings.TrimSpace(msg))
	if e.Type == "" {
		return msg
	}
	return clean(e.Type) + ": " + msg
}

// fmtUsage formats token counts; "-" marks a count no provider reported.
func fmtUsage(u vmspan.Usage) string {
	return fmt.Sprintf("%s input, %s output, %s cached input", count(u.InputTokens), count(u.OutputTokens), count(u.CachedInputTokens))
}

func count(n *int64) string {
	if n == nil {
		return "-"
	}
	return strconv.FormatInt(*n, 10)
}

// fmtDuration rounds d for people: microseconds below a millisecond,
// 10 µs below a second, milliseconds above.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
