#!/usr/bin/env bash
# Prints the path of a cached Jaeger v2 binary, building it first if missing.
#
# Jaeger v2.13.0 is Go module github.com/jaegertracing/jaeger at v1.76.0.
# `go install pkg@version` refuses it (its go.mod has a replace directive), so
# it is built inside our tools module integration/tools/jaeger, whose go.sum
# is committed: the build verifies every download against it and never needs
# the checksum database.
#
# The binary is cached per version in the user cache directory (the same
# directory as Go's os.UserCacheDir):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/bex/jaeger-v1.76.0/jaeger
# A cold build takes ~8 minutes on 2 cores; later calls return at once.
#
# Only the path goes to stdout; progress goes to stderr.
set -euo pipefail

jaeger_module_version=v1.76.0
jaeger_release=v2.13.0

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/integration/tools/jaeger"

cache_root="${XDG_CACHE_HOME:-}"
if [[ -z "$cache_root" ]]; then
	cache_root="${HOME:?neither XDG_CACHE_HOME nor HOME is set}/.cache"
fi
cache_dir="$cache_root/bex/jaeger-$jaeger_module_version"
bin="$cache_dir/jaeger"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache_dir"

# Serialise concurrent builds (e.g. several test packages starting at once):
# the second caller waits for the first and then reuses its binary.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache_dir/.build.lock"
	if ! flock -n 9; then
		echo "jaeger.sh: waiting for another Jaeger build to finish…" >&2
		flock 9
	fi
	if [[ -x "$bin" ]]; then
		echo "$bin"
		exit 0
	fi
fi

tmp="$(mktemp "$cache_dir/.jaeger.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "jaeger.sh: building Jaeger $jaeger_release (module $jaeger_module_version), takes ~8 minutes on 2 cores…" >&2
start=$SECONDS
(
	cd "$tools_dir"
	# -mod=readonly: use go.mod/go.sum exactly as committed, never edit them.
	# GOWORK=off: a go.work elsewhere in the checkout must not capture this module.
	GOWORK=off GOFLAGS=-mod=readonly exec \
		go build -trimpath -o "$tmp" github.com/jaegertracing/jaeger/cmd/jaeger
) &
build_pid=$!
# Run the build in the background so that a TERM/INT/HUP sent to this script
# (e.g. by the Go test harness when its deadline nears) interrupts `wait` and
# is passed on to the build instead of leaving it running.
trap 'kill -TERM "$build_pid" 2>/dev/null || true' TERM INT HUP
status=0
wait "$build_pid" || status=$?
while kill -0 "$build_pid" 2>/dev/null; do
	wait "$build_pid" || status=$?
done
if ((status != 0)); then
	echo "jaeger.sh: building Jaeger failed (exit status $status)" >&2
	exit "$status"
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
echo "jaeger.sh: built $bin in $((SECONDS - start))s" >&2

echo "$bin"
