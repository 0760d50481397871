package cli_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/bexrun/bex/internal/cli"
)

// Run runs one command line; here bex trace view on a trace file in the
// reference format.
func ExampleRun() {
	code := cli.Run(context.Background(), []string{"trace", "view", "testdata/trace/reference.jsonl"}, nil, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// trace 270b31206e32c6d83a290e80564bb83c  root 3f2b8c1e-6d4a-4e2f-9b7c-1a2b3c4d5e6f  2026-02-12 05:57:06.273 UTC  3 spans
	// parent     -  26ms    ok
	// └─ child   -  23ms    ok
	//    └─ add  -  20ms    ok
	// exit 0
}

// Run of bex check on a program with compile errors prints every error as
// file:line:col: message and returns 1.
func ExampleRun_check() {
	code := cli.Run(context.Background(), []string{"check", "testdata/prog/badtypes"}, strings.NewReader(""), os.Stdout, os.Stdout)
	fmt.Println("exit", code)
	// Output:
	// testdata/prog/badtypes/types.baml:3:7: unknown type Unknown
	// testdata/prog/badtypes/types.baml:6:5: undefined function Nope
	// testdata/prog/badtypes/types.baml:6:21: Callee takes 1 argument, got 2
	// testdata/prog/badtypes/types.baml:10:9: type mismatch: variable 'n' annotated as int but got string
	// testdata/prog/badtypes/types.baml:11:7: invalid binary operation (+) on int and string
	// exit 1
}

// Run of bex run prints the result as JSON on stdout.
func ExampleRun_run() {
	args := []string{"run", "testdata/prog/calc", "Paint", "--arg", "c=Red", "--otlp=false"}
	code := cli.Run(context.Background(), args, nil, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// {
	//   "color": "Red",
	//   "label": "none"
	// }
	// exit 0
}
