#!/bin/sh
# run.sh runs the whole bex benchmark suite (SPEC §7) and prints one report
# of medians, ratios and budget verdicts (cmd/benchtable):
#
#   - the VM against gopher-lua, starlark-go and Go (fib(27), 10M loop);
#   - fib(27) through the engine with tracing compiled out (a second test
#     binary built with the tag bexnotrace), with no sink, with a sink and
#     with a Collector;
#   - one traced call against the OTel SDK's Start+End;
#   - 100,000 spans through otelbridge against the SDK directly, and
#     otelbridge's own BenchmarkBridgeRatio;
#   - JSONL encoding, and file writes against raw writes of the same bytes;
#   - 1,000 Collectors holding 1M events, and reading a 1M-event file;
#   - LLM output parsing: a valid JSON reply against encoding/json decoding
#     it into a struct, typical messy replies, and a pathological 1 MB one;
#   - the pipeline: one LLM function (a string in, a class of three fields
#     out) against a fake provider on 127.0.0.1, 5,000 calls one at a time
#     and 64 in flight, each implementation in a process of its own: the
#     floor (net/http + encoding/json), bex with tracing off, a Collector,
#     the JSONL writer and the OTel bridge (OTLP to the fake provider), and
#     BAML's own runtime (npm @boundaryml/baml through scripts/baml.sh, when
#     node is installed; skipped with a note otherwise);
#   - streaming: a 64 KiB reply parsed whole against its partial values in
#     10-byte chunks, and the quadratic control;
#   - when valgrind is installed, the instructions fib(27) executes in
#     both builds, and those of one traced call (cachegrind, garbage
#     collector off): counts that do not depend on the machine's load, to
#     check a budget of 3% and to follow the traced call's cost, and those
#     of the pipeline's call made in process (no network).
#
# The suite runs COUNT rounds (default 5); every round runs every benchmark
# once, so that all of them see the same changes of machine load, and the
# report gives medians over the rounds. CPU time (getrusage) is reported
# beside wall time: on a shared machine it is the steadier figure.
#
# Usage:
#   bench/run.sh                 5 rounds, -benchtime 1s
#   COUNT=3 bench/run.sh         3 rounds
#   QUICK=1 bench/run.sh         1 round, -benchtime 100ms (a smoke run)
#   OUT=run.txt bench/run.sh     also keep the raw benchmark output
#   BENCH_DIR=/data bench/run.sh write the benchmark files there (default: $TMPDIR)
set -eu
case "${OUT:-}" in
"" | /*) ;;
*) OUT=$(pwd)/$OUT ;;
esac
cd "$(dirname "$0")"
if [ "${QUICK:-0}" = 1 ]; then
	count=${COUNT:-1}
	benchtime=${BENCHTIME:-100ms}
else
	count=${COUNT:-5}
	benchtime=${BENCHTIME:-1s}
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out.txt

echo "# bex benchmarks: $count round(s), -benchtime $benchtime; $(go version); $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
# BAML's runtime for the pipeline benchmarks (the BAML rows are skipped,
# with a note, when it cannot be installed).
if [ -z "${BEX_BAML_DIR:-}" ]; then
	if BEX_BAML_DIR=$(bash ../scripts/baml.sh 2>/dev/null); then
		export BEX_BAML_DIR
	else
		echo "# BAML's runtime is not available (node and npm are needed): the pipeline's BAML rows are skipped"
	fi
fi
go test -c -o "$tmp/bench.test" .
go test -c -tags bexnotrace -o "$tmp/notrace.test" .
(cd .. && go test -c -o "$tmp/otelbridge.test" ./otelbridge)

main='^(BenchmarkFib27|BenchmarkLoop10M|BenchmarkTracedCall|BenchmarkBridge100k|BenchmarkJSONL|BenchmarkScale|BenchmarkParse|BenchmarkParseNested1MB|BenchmarkStreamParse)$'
# Run in both builds: fib(27) through the engine, and its layout control.
builds='^(BenchmarkUntracedFib27|BenchmarkLayoutLoop10M)$'
run() { # binary, pattern, benchtime
	"$tmp/$1" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.timeout 60m | tee -a "$out"
}
i=1
while [ "$i" -le "$count" ]; do
	echo "# round $i of $count"
	run bench.test "$main" "$benchtime"
	# The two builds back to back, in alternating order.
	if [ $((i % 2)) = 1 ]; then
		run notrace.test "$builds" "$benchtime"
		run bench.test "$builds" "$benchtime"
	else
		run bench.test "$builds" "$benchtime"
		run notrace.test "$builds" "$benchtime"
	fi
	(cd ../otelbridge && run otelbridge.test '^BenchmarkBridgeRatio$' 1x)
	# One process per implementation and round: 5,000 calls each, so that
	# a passing burst of load weighs less than in the benchmark's default.
	(
		export BEX_BENCH_CALLS="${BEX_BENCH_CALLS:-5000}"
		run bench.test '^(BenchmarkPipelineSeq|BenchmarkPipeline64)$' 1x
	)
	i=$((i + 1))
done
# Instruction counts (valgrind's cachegrind, garbage collector off): fib(27)
# in both builds (TestInstructions: the whole test process minus the same
# process doing nothing), and one traced call (the difference between runs
# of 300,000 and 100,000 iterations, divided by 200,000). Under valgrind the
# timestamp counter cannot be calibrated (valgrind slows the reads that
# bracket a clock read too much), so the default clock is counted in its
# monotonic-clock form (BEX_CLOCK=monotonic), as on machines without an
# invariant counter.
if command -v valgrind >/dev/null 2>&1; then
	count_instr() { # binary, then test flags
		bin=$1
		shift
		GOGC=off GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 BEX_CLOCK=monotonic \
			valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
			"$tmp/$bin" "$@" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,
	}
	idle=$(BEX_INSTRUCTIONS= count_instr bench.test -test.run '^TestInstructions$')
	for v in "compiled-out notrace.test none" "no-sink bench.test none" "discard-sink bench.test discard"; do
		set -- $v
		n=$(BEX_INSTRUCTIONS=$3 count_instr "$2" -test.run '^TestInstructions$')
		echo "BenchmarkInstructionsFib27/$1 1 $((n - idle)) instructions/op" | tee -a "$out"
	done
	for impl in bex retaining untraced vmspan; do
		lo=$(count_instr bench.test -test.run '^$' -test.bench "^BenchmarkTracedCall\$/^$impl\$" -test.benchtime 100000x)
		hi=$(count_instr bench.test -test.run '^$' -test.bench "^BenchmarkTracedCall\$/^$impl\$" -test.benchtime 300000x)
		echo "BenchmarkInstructionsTracedCall/$impl 1 $(((hi - lo) / 200000)) instructions/op" | tee -a "$out"
	done
	# The pipeline's call in process (BenchmarkPipelineInstr: no network),
	# 3,000 calls minus 1,000, divided by 2,000.
	for impl in floor off jsonl; do
		lo=$(count_instr bench.test -test.run '^$' -test.bench "^BenchmarkPipelineInstr\$/^$impl\$" -test.benchtime 1000x)
		hi=$(count_instr bench.test -test.run '^$' -test.bench "^BenchmarkPipelineInstr\$/^$impl\$" -test.benchtime 3000x)
		echo "BenchmarkInstructionsPipeline/$impl 1 $(((hi - lo) / 2000)) instructions/op" | tee -a "$out"
	done
else
	echo "# valgrind not found: no instruction counts"
fi
if [ -n "${OUT:-}" ]; then
	cp "$out" "$OUT"
fi
echo
go run ./cmd/benchtable <"$out"
if grep -q -e '^--- FAIL' -e '^FAIL' "$out"; then
	echo "run.sh: some benchmarks failed (see above)" >&2
	exit 1
fi
