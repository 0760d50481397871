#!/usr/bin/env bash
# Prints the directory of a cached install of the reference BAML runtime
# (npm @boundaryml/baml, which ships its native Linux binary and baml-cli),
# installing it from the npm registry first if missing. Differential tests
# read the directory from BEX_BAML_DIR and skip, saying why, when it is unset.
#
# The install lives in the user cache directory, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/bex/baml-<version>
# with node_modules/@boundaryml/baml inside, and baml-cli at
#   <dir>/node_modules/.bin/baml-cli
#
# Exits 3, printing nothing on stdout, when node or npm is missing.
# Only the path goes to stdout; progress goes to stderr.
set -euo pipefail

version="${BEX_BAML_VERSION:-0.226.2}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "baml.sh: node and npm are needed to install @boundaryml/baml" >&2
	exit 3
fi

cache_root="${XDG_CACHE_HOME:-}"
if [[ -z "$cache_root" ]]; then
	cache_root="${HOME:?neither XDG_CACHE_HOME nor HOME is set}/.cache"
fi
dir="$cache_root/bex/baml-$version"
marker="$dir/.installed"

if [[ -f "$marker" ]]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$dir"
if command -v flock >/dev/null 2>&1; then
	exec 9>"$dir/.install.lock"
	flock 9
	if [[ -f "$marker" ]]; then
		echo "$dir"
		exit 0
	fi
fi

echo "baml.sh: installing @boundaryml/baml@$version into $dir…" >&2
(
	cd "$dir"
	[[ -f package.json ]] || echo '{"private":true}' >package.json
	npm install --no-audit --no-fund --loglevel=error "@boundaryml/baml@$version" >&2
)
node -e "require('$dir/node_modules/@boundaryml/baml')" >&2
touch "$marker"
echo "$dir"
