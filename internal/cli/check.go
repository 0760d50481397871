// check.go holds bex check and the loading of programs from directories and files.

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/syntax"
)

var checkCommand = &command{
	name:    "check",
	args:    "DIR|FILE...",
	summary: "parse and compile a program, reporting every error",
	help: `Check parses and compiles the .baml files in the directories (recursively) and
files given, as one program, and prints every syntax or compile error as
file:line:col: message, one per line, on stderr. The exit status is 1 when
there are errors. Programs that call Go host functions report them as
unknown: check compiles without any.
`,
	min: 1, max: -1,
	new: func() config { return &CheckConfig{} },
}

// CheckConfig is the configuration of bex check.
type CheckConfig struct {
	Quiet bool // print nothing on success
}

// Flags registers the flags of bex check.
func (c *CheckConfig) Flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.Quiet, "q", false, "print nothing on success (default: \"ok: N files, M functions\" on stderr)")
}

func (c *CheckConfig) run(_ context.Context, _ *App, s *streams, args []string) int {
	paths, err := bamlFiles(args)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex check: %v\n", err)
		return ExitError
	}
	eng, err := compile(paths)
	if err != nil {
		printErrors(s.stderr, err)
		return ExitError
	}
	for _, w := range eng.Warnings() {
		fmt.Fprintln(s.stderr, w)
	}
	if !c.Quiet {
		fmt.Fprintf(s.stderr, "ok: %d files, %d functions\n", len(paths), len(eng.Program().Functions()))
	}
	return ExitOK
}

// bamlFiles lists the .baml files of the directories (recursively, in
// lexical order) and files given, in the order given. A file is taken
// whatever its name.
func bamlFiles(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			paths = append(paths, a)
			continue
		}
		n := len(paths)
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".baml") {
				paths = append(paths, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(paths) == n {
			return nil, fmt.Errorf("%s: no .baml files", a)
		}
	}
	return paths, nil
}

// compile parses and compiles the files, with no host functions.
func compile(paths []string, opts ...engine.Option) (*engine.Engine, error) {
	prog, err := engine.LoadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return engine.New(prog, opts...)
}

// loadEngine compiles the program in path (a directory or a file) and
// reports failures on w.
func loadEngine(w io.Writer, cmd, path string, opts ...engine.Option) (*engine.Engine, bool) {
	paths, err := bamlFiles([]string{path})
	if err == nil {
		var eng *engine.Engine
		if eng, err = compile(paths, opts...); err == nil {
			return eng, true
		}
	}
	if isCompileError(err) {
		fmt.Fprintf(w, "bex %s: %s does not compile:\n", cmd, path)
		printErrors(w, err)
	} else {
		fmt.Fprintf(w, "bex %s: %v\n", cmd, err)
	}
	return nil, false
}

func isCompileError(err error) bool {
	var se syntax.ErrorList
	return errors.As(err, &se)
}

// printErrors prints each error and warning of a syntax or compile error
// list on its own line (file:line:col: message), or err itself.
func printErrors(w io.Writer, err error) {
	var se syntax.ErrorList
	if errors.As(err, &se) {
		for _, e := range se {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}
