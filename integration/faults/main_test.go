package faults_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind: exporters, gRPC
// connections and servers, the LLM stub, trace file writers and Jaeger's
// watchers all stop by the end. It also removes the bex CLI that buildBex
// built.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if bexCLI.dir != "" {
			os.RemoveAll(bexCLI.dir)
		}
		os.Exit(code)
	}))
}
