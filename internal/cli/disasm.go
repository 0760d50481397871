// disasm.go holds bex disasm.

package cli

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
)

var disasmCommand = &command{
	name:    "disasm",
	args:    "DIR|FILE [FUNCTION]",
	summary: "print the bytecode of a function (or of every function)",
	help: `Disasm compiles the program in DIR (or the file FILE) and prints the bytecode
listing of FUNCTION, or of every function in declaration order. The listing
format belongs to the compiler and changes with it.
`,
	min: 1, max: 2,
	new: func() config { return &DisasmConfig{} },
}

// DisasmConfig is the configuration of bex disasm; it has no flags.
type DisasmConfig struct{}

// Flags registers no flags.
func (c *DisasmConfig) Flags(*flag.FlagSet) {}

func (c *DisasmConfig) run(_ context.Context, _ *App, s *streams, args []string) int {
	eng, ok := loadEngine(s.stderr, "disasm", args[0])
	if !ok {
		return ExitError
	}
	p := eng.Program()
	fns := p.AllFunctions()
	if len(args) == 2 {
		fn := p.Function(args[1])
		if fn == nil {
			names := make([]string, len(fns))
			for i, f := range fns {
				names[i] = f.Name
			}
			sort.Strings(names)
			fmt.Fprintf(s.stderr, "bex disasm: no function %q (functions: %s)\n", args[1], strings.Join(names, ", "))
			return ExitError
		}
		fns = fns[:0]
		fns = append(fns, fn)
	}
	for i, fn := range fns {
		if i > 0 {
			fmt.Fprintln(s.stdout)
		}
		fmt.Fprint(s.stdout, p.Disassemble(fn))
	}
	return ExitOK
}
