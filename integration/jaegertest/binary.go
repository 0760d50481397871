package jaegertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	// ModuleVersion is the version of the Go module
	// github.com/jaegertracing/jaeger that scripts/jaeger.sh builds.
	ModuleVersion = "v1.76.0"
	// Release is the Jaeger release that ModuleVersion is.
	Release = "v2.13.0"
	// EnvBinary names the environment variable that, when set, gives the
	// path of the Jaeger binary to use instead of the cached build.
	EnvBinary = "BEX_JAEGER_BIN"
)

// CachePath returns where scripts/jaeger.sh caches the Jaeger binary:
// bex/jaeger-<ModuleVersion>/jaeger under os.UserCacheDir().
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "bex", "jaeger-"+ModuleVersion, "jaeger"), nil
}

// Binary returns the path of the Jaeger binary: $BEX_JAEGER_BIN if set, else
// the cached build, which it first builds with scripts/jaeger.sh (found by
// walking up from the working directory) if it is missing. A build takes
// about 8 minutes; the script's progress goes to os.Stderr.
func Binary() (path string, err error) {
	return binary(context.Background())
}

var (
	buildMu  sync.Mutex
	buildErr error // a failed build, not retried within this process
)

func binary(ctx context.Context) (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	cached, err := CachePath()
	if err != nil {
		return "", fmt.Errorf("locating the Jaeger binary cache: %w", err)
	}
	if checkExecutable(cached) == nil {
		return cached, nil
	}

	// One build per process; other processes are serialised by the
	// script's lock file.
	buildMu.Lock()
	defer buildMu.Unlock()
	if checkExecutable(cached) == nil {
		return cached, nil
	}
	if buildErr != nil {
		return "", buildErr
	}
	path, err := build(ctx)
	if err != nil && ctx.Err() == nil {
		buildErr = err
	}
	return path, err
}

func build(ctx context.Context) (string, error) {
	script, err := findScript()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "jaegertest: Jaeger %s is not cached; building it with %s (takes ~8 minutes)\n", Release, script)
	start := time.Now()

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	// The script passes SIGTERM on to the go build it runs.
	cmd.Cancel = func() error { return cmd.Process.Signal(sigTerm) }
	cmd.WaitDelay = 30 * time.Second
	setParentDeathSignal(cmd, sigTerm)
	runtime.LockOSThread() // see setParentDeathSignal
	err = cmd.Run()
	runtime.UnlockOSThread()
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("building Jaeger with %s did not finish in time (%v after %s): run the script once before the tests, or use go test -timeout 30m", script, ctx.Err(), time.Since(start).Round(time.Second))
		}
		return "", fmt.Errorf("%s: %w\n%s", script, err, tail(stderr.Bytes(), 8<<10))
	}
	out := strings.TrimSpace(stdout.String())
	path := out[strings.LastIndexByte(out, '\n')+1:]
	if err := checkExecutable(path); err != nil {
		return "", fmt.Errorf("%s printed %q: %w", script, out, err)
	}
	return path, nil
}

// findScript locates scripts/jaeger.sh in the enclosing repository: upwards
// from the working directory (go test runs in the package directory), else
// upwards from this source file.
func findScript() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, "scripts", "jaeger.sh")
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("scripts/jaeger.sh not found above %s; set %s to a Jaeger %s binary", strings.Join(starts, " or "), EnvBinary, Release)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return "…" + string(b[len(b)-n:])
}
