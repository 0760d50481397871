package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: streamed calls,
// timeouts and cancellations close their connections and stop their timers.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
