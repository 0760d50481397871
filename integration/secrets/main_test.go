package secrets_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
