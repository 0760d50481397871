package llm

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps enforces SPEC §1: runtime/llm (and llmstub) never import the OTel
// SDK or exporters, the trace stores, or the VM and engine (which depend on
// this package, not the other way round).
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/bexrun/bex/runtime/llm/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	forbidden := []string{
		"go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters",
		"github.com/bexrun/bex/collector", "github.com/bexrun/bex/jsonl", "github.com/bexrun/bex/otelbridge",
		"github.com/bexrun/bex/runtime/vm", "github.com/bexrun/bex/runtime/engine",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("runtime/llm depends on %s", dep)
			}
		}
	}
}
