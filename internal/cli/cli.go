// cli.go holds the entry points (Main, Run), the command table and dispatch.

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bexrun/bex/vmspan"
)

// Exit statuses.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the command failed: compile errors, a run-time error, a trace that could not be delivered
	ExitUsage = 2 // the command line is wrong: unknown command or flag, missing arguments, a bad --arg
)

// Main runs the bex command with the process's arguments and streams and
// exits with its status. SIGINT and SIGTERM cancel the running command,
// which still flushes its trace exporters before it exits.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs the bex command line args (without the program name) and
// returns the exit status: ExitOK, ExitError or ExitUsage. It reads and
// writes only the streams it is given (and the files the command names).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return (&App{}).Run(ctx, args, stdin, stdout, stderr)
}

// An App is the bex command with its clock and span id source. The zero
// value uses the real clock and random ids; tests set a fake clock and
// sequential ids so that traces and summaries are deterministic.
type App struct {
	Clock func() time.Time     // nil: time.Now
	IDs   func() vmspan.SpanID // nil: UUID v7 ids
	// Terminal reports whether w is a terminal, for --color=auto (nil: a
	// character device test on *os.File).
	Terminal func(w io.Writer) bool
}

// streams are the standard streams of one Run.
type streams struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// A command is one subcommand: a Config that registers its flags and runs.
type command struct {
	name    string
	args    string // the positional arguments, for the usage line
	summary string // one line, for the command list
	help    string // paragraphs after the usage line
	min     int    // minimum number of positional arguments
	max     int    // maximum, or -1 for no limit
	new     func() config
}

// A config is a command's Config: its flags and what it does with them.
type config interface {
	Flags(fs *flag.FlagSet)
	run(ctx context.Context, a *App, s *streams, args []string) int
}

// commands returns the command table, in the order of the help text.
func commands() []*command {
	return []*command{
		checkCommand, runCommand, testCommand, traceViewCommand, traceStatsCommand, traceExportCommand,
		disasmCommand, versionCommand,
	}
}

// Run runs the command line args; see the package function Run.
func (a *App) Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return a.help(s, args[1:])
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		fmt.Fprintf(stderr, "bex: %v\n\n%s", err, mainUsage())
		return ExitUsage
	}
	return a.runCommand(ctx, cmd, s, rest)
}

// lookup finds the command named by the first one or two words of args.
func lookup(args []string) (*command, []string, error) {
	name, rest := args[0], args[1:]
	if name == "trace" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return nil, nil, errors.New("trace: missing subcommand (view, stats or export)")
		}
		name, rest = "trace "+rest[0], rest[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return c, rest, nil
		}
	}
	return nil, nil, fmt.Errorf("unknown command %q", name)
}

// help prints the main usage, or a command's usage, on stdout.
func (a *App) help(s *streams, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(s.stdout, mainUsage())
		return ExitOK
	}
	cmd, _, err := lookup(args)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex help: %v\n", err)
		return ExitUsage
	}
	fs, _ := newFlagSet(cmd)
	fmt.Fprint(s.stdout, commandUsage(cmd, fs))
	return ExitOK
}

// runCommand parses the command's flags and positional arguments and runs it.
func (a *App) runCommand(ctx context.Context, cmd *command, s *streams, args []string) int {
	fs, cfg := newFlagSet(cmd)
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(s.stdout, commandUsage(cmd, fs))
		return ExitOK
	case err == nil:
		err = checkArgCount(cmd, pos)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "bex %s: %v\n%s\nRun \"bex %s --help\" for more.\n", cmd.name, err, usageLine(cmd, fs), cmd.name)
		return ExitUsage
	}
	return cfg.run(ctx, a, s, pos)
}

func checkArgCount(cmd *command, pos []string) error {
	switch {
	case len(pos) < cmd.min:
		return fmt.Errorf("missing arguments: want %s", cmd.args)
	case cmd.max >= 0 && len(pos) > cmd.max:
		return fmt.Errorf("unexpected arguments: %s", strings.Join(pos[cmd.max:], " "))
	}
	return nil
}

func (a *App) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

// tracerOptions returns the options that give a tracer the App's clock and ids.
func (a *App) tracerOptions() []vmspan.TracerOption {
	var opts []vmspan.TracerOption
	if a.Clock != nil {
		opts = append(opts, vmspan.WithClock(a.Clock))
	}
	if a.IDs != nil {
		opts = append(opts, vmspan.WithIDs(a.IDs))
	}
	return opts
}

// isTerminal reports whether w is a terminal.
func (a *App) isTerminal(w io.Writer) bool {
	if a.Terminal != nil {
		return a.Terminal(w)
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
