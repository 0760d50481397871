package faults_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind: exporters, gRPC
// connections and servers, the LLM stub, trace file writers and Jaeger's
// watchers all stop by the end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
