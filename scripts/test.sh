#!/usr/bin/env bash
# Runs every test suite with node:test (through tsx). Unit tests of pure functions and
# integration tests against real processes (kube-apiserver, etcd, HAProxy, PostgreSQL, Redis,
# SeaweedFS) started on loopback by @tugboat/testenv. node:test prints `# pass N` / `# fail N`.
set -euo pipefail
cd "$(dirname "$0")/.."
export TUGBOAT_CACHE="${TUGBOAT_CACHE:-$HOME/.cache/tugboat}"
mapfile -t files < <(find packages operators bench examples -path '*/node_modules' -prune -o -path '*/test/*' -name '*.test.ts' -print 2>/dev/null | sort)
if [ "$#" -gt 0 ]; then files=("$@"); fi
echo "running ${#files[@]} test files" >&2
start=$SECONDS
# One file at a time by default: integration files each start their own servers, and on a
# 2-core machine two at once made a slow Harbor convergence test time out once (of three full
# runs). TEST_CONCURRENCY=2 roughly halves the wall time when the machine is otherwise idle.
# Spec output to the terminal for people; TAP beside it so the run ends with the standard
# `# pass N` / `# fail N` summary lines whatever the terminal.
tap="$(mktemp -t tugboat-tests-XXXXXX.tap)"
status=0
node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-1}" --test-timeout=600000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$tap" || true
rm -f "$tap"
echo "tests took $((SECONDS - start))s" >&2
exit "$status"

