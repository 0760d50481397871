#!/usr/bin/env bash
# export-bench.sh measures `bex trace export` of a 1M-event trace file (10,000
# traces of 50 bex spans and one LLM attempt: 510,000 OTel spans) into a real
# Jaeger (in-memory storage, a fresh instance per setting), for each exporter
# setting of integration/exportbench: OTLP/gRPC with the default batch of
# 2,048 spans, batches of 512 and 8,192, gzip, and OTLP/HTTP. It prints spans
# per second (wall time of the whole export, every span delivered and
# accepted by Jaeger's receiver), bex's CPU time per span and peak RSS.
# Not part of CI: it takes about two minutes. docs/performance.md has the
# figures.
#
#   scripts/export-bench.sh
#   COUNT=3 scripts/export-bench.sh     three rounds
set -euo pipefail
cd "$(dirname "$0")/.."
export BEX_JAEGER_BIN="${BEX_JAEGER_BIN:-$(bash scripts/jaeger.sh)}"
echo "# bex trace export into Jaeger; $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
cd integration
exec go test -run '^$' -bench '^BenchmarkExport1M$' -benchtime 1x -count "${COUNT:-1}" -timeout 60m ./exportbench
