#!/usr/bin/env bash
# Runs every test of the project: the main module (with -race), the Jaeger
# integration tests (building Jaeger v2 from the Go module proxy on first use,
# ~8 minutes, cached afterwards), a bounded run of every fuzz target, and a
# compile-and-run-once check of the benchmarks. Needs Go; with node and npm
# it also runs the output parser's differential tests against the reference
# BAML runtime (installed from npm once, cached).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "go vet (main module)"
go vet ./...

step "reference BAML runtime (for the differential tests of the output parser)"
# scripts/baml.sh installs @boundaryml/baml from npm once (cached) and prints
# its directory; it exits 3 when node or npm is missing, and then the
# differential tests skip, saying why.
if baml_dir="$(bash scripts/baml.sh)"; then
	export BEX_BAML_DIR="$baml_dir"
	echo "BEX_BAML_DIR=$BEX_BAML_DIR"
else
	rc=$?
	if [ "$rc" -ne 3 ]; then
		exit "$rc"
	fi
	echo "node or npm is missing: the differential tests against BAML will skip"
fi

step "unit tests (main module, -race)"
go test -race -count=1 ./...

step "fuzz targets (bounded)"
# Each target runs for a number of executions, not a duration: Go 1.26's
# coordinator can fail a duration-bounded run with a bare "context deadline
# exceeded" and no failing input when -fuzztime expires (golang/go#75804,
# fixed in Go 1.27). A count has no deadline to race. go test's -timeout does
# not bound fuzzing, so each target also gets a wall-clock limit: a target
# that does not finish its executions within it fails as a hang.
fuzzexecs="${BEX_FUZZEXECS:-50000}"
fuzzlimit="${BEX_FUZZLIMIT:-600}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "-- $pkg $target (${fuzzexecs} executions)"
		rc=0
		timeout -s INT -k 30 "$fuzzlimit" go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzzexecs}x" "$pkg" || rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "FAIL: $target did not finish ${fuzzexecs} executions in ${fuzzlimit}s (a hanging input?)" >&2
		fi
		[ "$rc" -eq 0 ] || exit "$rc"
	done
done

if [ -d integration ]; then
	step "Jaeger v2 binary (built once, then cached)"
	BEX_JAEGER_BIN="$(bash scripts/jaeger.sh)"
	export BEX_JAEGER_BIN
	step "integration tests against a real Jaeger"
	(cd integration && go vet ./... && go test -race -count=1 -timeout 30m ./...)
fi

if [ -d bench ]; then
	step "benchmarks compile and run once"
	(cd bench && go vet ./... && go test -run '^$' -bench . -benchtime 1x ./...)
fi
