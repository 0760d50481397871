// flags.go holds flag parsing (flags anywhere on the line) and the usage texts.

package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// newFlagSet returns a flag set with the command's flags registered on a
// fresh Config. The flag set reports nothing itself: Run prints errors and
// usage where they belong.
func newFlagSet(cmd *command) (*flag.FlagSet, config) {
	fs := flag.NewFlagSet("bex "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	cfg := cmd.new()
	cfg.Flags(fs)
	return fs, cfg
}

// parseInterspersed parses args allowing flags after positional arguments
// (bex run DIR FN --arg n=1), which the flag package alone does not: it
// stops at the first positional argument. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// mainUsage is the text of bex --help.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("bex runs bex (BAML-style) programs and inspects and exports their traces.\n\n")
	b.WriteString("usage: bex COMMAND [flags] [arguments]\n\ncommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	b.WriteString("\nRun \"bex COMMAND --help\" for a command's flags.\n")
	return b.String()
}

// commandUsage is the text of bex COMMAND --help: the usage line, the help
// paragraphs and the flags.
func commandUsage(cmd *command, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(usageLine(cmd, fs) + "\n\n" + cmd.help)
	if !hasFlags(fs) {
		return b.String()
	}
	b.WriteString("\nflags:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(tw, "  %s%s%s\t%s\n", dash, f.Name, name, usage)
	})
	tw.Flush()
	return b.String()
}

// usageLine is "usage: bex NAME [flags] ARGS".
func usageLine(cmd *command, fs *flag.FlagSet) string {
	s := "usage: bex " + cmd.name
	if hasFlags(fs) {
		s += " [flags]"
	}
	if cmd.args != "" {
		s += " " + cmd.args
	}
	return s
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// A listFlag collects the values of a repeated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends a value.
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// A colorMode is the value of --color.
type colorMode string

const (
	colorAuto   colorMode = "auto"
	colorAlways colorMode = "always"
	colorNever  colorMode = "never"
)

func (c *colorMode) String() string { return string(*c) }

// Set accepts auto, always and never.
func (c *colorMode) Set(s string) error {
	switch colorMode(s) {
	case colorAuto, colorAlways, colorNever:
		*c = colorMode(s)
		return nil
	}
	return fmt.Errorf("want auto, always or never")
}

// A setBool is a bool flag that remembers whether it was given, so that
// --otlp=false can override the environment.
type setBool struct {
	val *bool
	set *bool
}

func (b *setBool) String() string {
	if b == nil || b.val == nil {
		return "false"
	}
	return strconv.FormatBool(*b.val)
}

// Set parses the value as strconv.ParseBool does.
func (b *setBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*b.val, *b.set = v, true
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (b *setBool) IsBoolFlag() bool { return true }
