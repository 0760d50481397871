#!/bin/sh
# run.sh compares the bex VM with gopher-lua, starlark-go and native Go on a
# recursive fib(27) and a 10M-iteration loop. All benchmarks run in ONE
# `go test -bench` invocation, repeated COUNT times (default 5), and
# cmd/benchtable prints the medians and the ratios bex/gopher-lua,
# bex/starlark and bex/native, in CPU time and in wall-clock time.
#
# Usage: bench/run.sh            (COUNT=3 bench/run.sh for a quicker run)
set -eu
cd "$(dirname "$0")"
count=${COUNT:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'Fib27|Loop10M' -count "$count" -timeout 60m . | tee "$out"
echo
go run ./cmd/benchtable < "$out"
