#!/bin/sh
# compare.sh measures benchmarks of two versions of bex side by side: the
# suite built at a git revision and the suite of the working tree, run in
# turns (old, new, old, new, ...) so that both see the same changes of
# machine load, which on a shared machine can move a figure by half between
# one minute and the next. It prints, per version, the minimum and the
# median of each figure over the rounds.
#
# Usage:
#   bench/compare.sh REV                      BenchmarkTracedCall, 10 rounds
#   BENCH='^BenchmarkJSONL$' bench/compare.sh REV
#   ROUNDS=20 BENCHTIME=300ms bench/compare.sh REV
#   METRIC=ns/op bench/compare.sh REV         another column (default cpu-ns/op)
#
# REV is checked out into a temporary git worktree; nothing in the working
# tree changes.
set -eu
rev=${1:?usage: bench/compare.sh REV}
bench=${BENCH:-^BenchmarkTracedCall$}
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-300ms}
metric=${METRIC:-cpu-ns/op}

cd "$(dirname "$0")"
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

git -C "$root" worktree add --detach "$tmp/old" "$rev" >/dev/null 2>&1
(cd "$tmp/old/bench" && go test -c -o "$tmp/old.test" .)
go test -c -o "$tmp/new.test" .
echo "# $bench, $rounds rounds of -benchtime $benchtime, $metric; old = $rev ($(git -C "$root" rev-parse --short "$rev")), new = working tree"

i=1
while [ "$i" -le "$rounds" ]; do
	for v in old new; do
		"$tmp/$v.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" |
			awk -v v="$v" -v m="$metric" '/^Benchmark/ { for (i = 3; i < NF; i++) if ($(i+1) == m) print v, $1, $i }'
	done
	i=$((i + 1))
done >"$tmp/runs"

# Per benchmark and version: min and median.
sort -k2,2 -k1,1 -k3,3g "$tmp/runs" | awk '
	function flush() {
		if (n == 0) return
		med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
		printf "%-40s %-4s min %10.1f  median %10.1f  (%d runs)\n", name, ver, x[1], med, n
		n = 0
	}
	{ if ($2 != name || $1 != ver) { flush(); name = $2; ver = $1 }; x[++n] = $3 }
	END { flush() }'
