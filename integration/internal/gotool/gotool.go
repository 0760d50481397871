// Package gotool builds the programs the integration tests run (the bex
// CLI, the load generator, the services) and prepares their environment.
package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// buildTimeout bounds one go build: a cold build of the bex CLI takes well
// under a minute on the 2-core CI machine.
const buildTimeout = 5 * time.Minute

// Go returns the go command of the toolchain running the tests, or "go".
func Go() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

// MainModule returns the root of the bex module, which holds the
// integration module.
func MainModule() (string, error) {
	_, here, _, _ := runtime.Caller(0)
	dir, err := filepath.Abs(filepath.Join(filepath.Dir(here), "..", "..", ".."))
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !bytes.Contains(b, []byte("module github.com/bexrun/bex\n")) {
		return "", fmt.Errorf("%s is not the bex module root (%v)", dir, err)
	}
	return dir, nil
}

// IntegrationModule returns the root of the integration module.
func IntegrationModule() (string, error) {
	root, err := MainModule()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "integration"), nil
}

// Build runs go build -o out with args (flags, then packages) in dir,
// within buildTimeout.
func Build(dir, out string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Go(), append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", strings.Join(args, " "), dir, err, b)
	}
	return nil
}

// Bex builds the bex CLI (./cmd/bex of the main module) into dir and
// returns its path.
func Bex(dir string) (string, error) {
	root, err := MainModule()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bex")
	return bin, Build(root, bin, "./cmd/bex")
}

// BexT is Bex into a temporary directory of tb, failing tb on an error.
func BexT(tb testing.TB) string {
	tb.Helper()
	bin, err := Bex(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// Environ returns this process's environment without the variables whose
// names start with one of prefixes (say "OTEL_"), so that a child process
// sees only the settings its test gives it.
func Environ(prefixes ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
