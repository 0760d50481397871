#!/usr/bin/env bash
# soak.sh runs the steady-load soak (not part of CI): integration/cmd/bexload
# at a fixed call rate with tracing on (a JSONL trace file and OTLP export to
# a real Jaeger), Jaeger restarted every minute, the process's RSS, Go heap
# and goroutines sampled every 10 seconds; the test fails when they grow
# after a two-minute warm-up, when a call fails, or when the trace file
# misses a call. The sample table is in the test's log (-v).
#
#   scripts/soak.sh                     10 minutes at 200 calls/s
#   BEX_SOAK=3m BEX_SOAK_RATE=500 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BEX_JAEGER_BIN="${BEX_JAEGER_BIN:-$(bash scripts/jaeger.sh)}"
export BEX_SOAK="${BEX_SOAK:-10m}"
cd integration
exec go test -count=1 -run '^TestSoak$' -v -timeout 60m ./faults
