// stream.go holds bex run --stream: partial values printed as they arrive.

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/bexrun/bex/runtime/engine"
)

// streamLineWidth bounds the line a terminal shows of a partial value.
const streamLineWidth = 160

// streamCall runs a streamed call, printing its partial values on stdout:
// JSON Lines, or on a terminal one line redrawn in place (erased before the
// call returns). It returns the call's result.
func streamCall(ctx context.Context, s *streams, eng *engine.Engine, name string, args map[string]any, opts []engine.CallOption, terminal bool) (any, error) {
	drawn := false
	defer func() {
		if drawn {
			fmt.Fprint(s.stdout, "\r\x1b[2K") // erase the line of partial values
		}
	}()
	for p, err := range eng.Stream(ctx, name, args, opts...) {
		switch {
		case err != nil:
			return nil, err
		case p.Final:
			return p.Value, nil
		case terminal:
			line, _ := compactJSON(p.Value)
			fmt.Fprintf(s.stdout, "\r\x1b[2K%s", fitLine(p.Function+": "+line, streamLineWidth))
			drawn = true
		default:
			if printStreamLine(s, map[string]any{"function": p.Function, "partial": p.Value}) != ExitOK {
				return nil, fmt.Errorf("cannot write a partial value")
			}
		}
	}
	return nil, fmt.Errorf("the stream of %s ended without a result", name)
}

// printStreamLine writes v as one line of JSON on stdout.
func printStreamLine(s *streams, v any) int {
	line, err := compactJSON(v)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex run: %v\n", err)
		return ExitError
	}
	fmt.Fprintln(s.stdout, line)
	return ExitOK
}

// compactJSON renders v as JSON on one line, as the result is rendered
// (no HTML escaping).
func compactJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return string(bytes.TrimSpace(b.Bytes())), err
}

// fitLine keeps the end of s, the part that is growing, within width
// characters, without newlines.
func fitLine(s string, width int) string {
	s = string(bytes.ReplaceAll([]byte(s), []byte("\n"), []byte(" ")))
	n := utf8.RuneCountInString(s)
	if n <= width {
		return s
	}
	r := []rune(s)
	return "…" + string(r[n-width+1:])
}
