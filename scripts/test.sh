#!/usr/bin/env bash
# Runs every test of the project: the main module (with -race), the Jaeger
# integration tests (building Jaeger v2 from the Go module proxy on first use,
# ~8 minutes, cached afterwards), a bounded run of every fuzz target, and a
# compile-and-run-once check of the benchmarks. Needs only Go.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "go vet (main module)"
go vet ./...

step "unit tests (main module, -race)"
go test -race -count=1 ./...

step "fuzz targets (bounded)"
fuzztime="${BEX_FUZZTIME:-10s}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "-- $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
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
