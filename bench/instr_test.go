//go:build unix

package bench

import (
	"context"
	"os"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// TestInstructions runs fib(27) once through engine.Call, so that run.sh
// can count the instructions the VM executes under valgrind's callgrind:
// unlike times, instruction counts do not depend on the machine's load, so
// they can check a budget of a few percent. It runs only when
// BEX_INSTRUCTIONS names the sink: "none" or "discard".
func TestInstructions(t *testing.T) {
	var sink vmspan.Sink
	switch os.Getenv("BEX_INSTRUCTIONS") {
	case "":
		t.Skip("counts instructions for run.sh under callgrind; set BEX_INSTRUCTIONS=none or discard to run it")
	case "discard":
		sink = discard
	}
	e := newEngine(t, traceSource, sink)
	v, err := e.Call(context.Background(), "fib", []any{fibN})
	if err != nil || v != int64(fibWant) {
		t.Fatalf("got %v, %v", v, err)
	}
}
