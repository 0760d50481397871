package bex_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps enforces the dependency direction of SPEC §1, as starlark-go's
// TestDeps does: it fails when a package gains a dependency it must not have.
func TestDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, so dependencies cannot be listed")
	}
	out, err := exec.Command(goTool, "list", "-e", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/bexrun/bex"
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		checked++
		for _, d := range deps {
			if msg := depRule(rel, d, isSDK); msg != "" {
				t.Errorf("%s imports %s: %s", pkg, d, msg)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d packages listed; the test would check nothing", checked)
	}
}

// depRule returns why package rel (relative to the module) may not depend
// on d, or "" when it may.
func depRule(rel, d string, isSDK func(string) bool) string {
	const mod = "github.com/bexrun/bex/"
	own := strings.TrimPrefix(d, mod)
	isOwn := own != d
	switch {
	case rel == "vmspan" || strings.HasPrefix(rel, "vmspan/") && rel != "vmspan/spantest":
		// vmspan's own packages below it (spanjson, internal/clock) are
		// part of it; spantest, a test suite, may use the testing package;
		// internal/memo is a leaf of the standard library.
		if isOwn && !isVmspan(own) && own != "internal/memo" || !isOwn && !(isStd(d) || strings.HasPrefix(d, "github.com/google/uuid") || isOTelAPI(d)) {
			return "vmspan imports only the standard library, uuid and the OTel trace API"
		}
	case rel == "runtime/types":
		if !isStd(d) && d != mod+"runtime/syntax" {
			return "runtime/types, the one type model, imports only the standard library and runtime/syntax"
		}
	case strings.HasPrefix(rel, "runtime/"):
		if isOwn && (own == "collector" || own == "jsonl" || own == "otelbridge" || own == "") {
			return "runtime knows sinks only through vmspan.Sink"
		}
		if isSDK(d) {
			return "runtime never imports the OTel SDK or an exporter"
		}
	case rel == "internal/memo":
		if !isStd(d) {
			return "memo, the cache under the runtime's compiled expressions and type plans, imports only the standard library"
		}
	case rel == "internal/fastjson":
		if !isStd(d) {
			return "fastjson, the scanner under the JSON decoders, imports only the standard library"
		}
	case rel == "collector" || rel == "jsonl":
		// internal/fastjson is a leaf of the standard library that jsonl's
		// reader and the LLM reply readers share; internal/memo, one under
		// vmspan.
		if isOwn && !isVmspan(own) && own != "internal/fastjson" && own != "internal/memo" {
			return "collector and jsonl build on vmspan only (and never import each other)"
		}
		if !isOwn && !(isStd(d) || strings.HasPrefix(d, "github.com/google/uuid") || isOTelAPI(d)) {
			return "collector and jsonl import only the standard library, vmspan and uuid"
		}
	}
	if isSDK(d) && !sdkAllowed(rel) {
		return "only otelbridge, the root package, cmd, examples and integration import the OTel SDK"
	}
	return ""
}

// sdkAllowed reports whether package rel may use the OTel SDK: the bridge,
// the root package, the command (cmd/bex and its logic in internal/cli),
// examples and integration tests.
func sdkAllowed(rel string) bool {
	for _, p := range []string{"otelbridge", "cmd", "internal/cli", "examples", "integration"} {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return rel == ""
}

// isSDK reports whether d is part of the OTel SDK or an exporter.
func isSDK(d string) bool {
	return strings.HasPrefix(d, "go.opentelemetry.io/otel/sdk") || strings.HasPrefix(d, "go.opentelemetry.io/otel/exporters")
}

// isVmspan reports whether own (a path relative to the module) is vmspan or
// a package below it.
func isVmspan(own string) bool { return own == "vmspan" || strings.HasPrefix(own, "vmspan/") }

// isStd reports whether an import path belongs to the standard library: its
// first element has no dot.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// isOTelAPI reports whether d is the OTel trace API or one of the API's own
// dependencies (attribute, codes, semconv, xxhash), never the SDK.
func isOTelAPI(d string) bool {
	for _, p := range []string{"trace", "attribute", "codes", "semconv", "internal"} {
		if strings.HasPrefix(d, "go.opentelemetry.io/otel/"+p) {
			return true
		}
	}
	return d == "github.com/cespare/xxhash/v2"
}

func TestDepRule(t *testing.T) {
	for _, tc := range []struct {
		pkg, dep string
		bad      bool
	}{
		{"vmspan", "github.com/google/uuid", false},
		{"vmspan", "go.opentelemetry.io/otel/trace", false},
		{"vmspan", "go.opentelemetry.io/otel/sdk/trace", true},
		{"vmspan", "github.com/bexrun/bex/collector", true},
		{"vmspan", "github.com/bexrun/bex/vmspan/internal/clock", false},
		{"vmspan/spanjson", "github.com/bexrun/bex/vmspan", false},
		{"vmspan/spanjson", "github.com/bexrun/bex/runtime/vm", true},
		{"vmspan/spanjson", "go.opentelemetry.io/otel/sdk/trace", true},
		{"jsonl", "github.com/bexrun/bex/vmspan/spanjson", false},
		{"runtime/llm", "github.com/bexrun/bex/vmspan/spanjson", false},
		{"runtime/vm", "github.com/bexrun/bex/jsonl", true},
		{"runtime/engine", "github.com/bexrun/bex/vmspan", false},
		{"runtime/engine", "go.opentelemetry.io/otel/sdk/trace", true},
		{"collector", "github.com/bexrun/bex/jsonl", true},
		{"jsonl", "github.com/bexrun/bex/collector", true},
		{"otelbridge", "go.opentelemetry.io/otel/sdk/trace", false},
		{"jsonl", "github.com/bexrun/bex/vmspan", false},
		{"jsonl", "github.com/bexrun/bex/runtime/vm", true},
		{"collector", "github.com/some/library", true},
		{"collector", "go.opentelemetry.io/otel/sdk/trace", true},
		{"internal/cli", "go.opentelemetry.io/otel/sdk/trace", false},
		{"runtime/llm", "go.opentelemetry.io/otel/exporters/otlp/otlptrace", true},
		// Metrics: the SDK and its exporters stay out of runtime; the
		// metrics API is for the bridge and the root package (vmspan, like
		// collector and jsonl, knows only the trace API).
		{"runtime/llm", "go.opentelemetry.io/otel/sdk/metric", true},
		{"runtime/engine", "go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp", true},
		{"otelbridge", "go.opentelemetry.io/otel/sdk/metric", false},
		{"vmspan", "go.opentelemetry.io/otel/metric", true},
		{"jsonl", "go.opentelemetry.io/otel/metric", true},
		{"runtime/types", "github.com/bexrun/bex/runtime/syntax", false},
		{"runtime/types", "github.com/bexrun/bex/runtime/vm", true},
		{"runtime/types", "github.com/bexrun/bex/vmspan", true},
		{"runtime/types", "strings", false},
	} {
		if got := depRule(tc.pkg, tc.dep, isSDK) != ""; got != tc.bad {
			t.Errorf("depRule(%s, %s) forbidden = %v, want %v", tc.pkg, tc.dep, got, tc.bad)
		}
	}
}
