#!/usr/bin/env bash
# Runs every benchmark in bench/. Each prints its own ratios against a baseline it measures
# in the same run; none of them is a test and none asserts a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/*.bench.ts; do
  [ -e "$b" ] || continue
  echo "== $b"
  node --expose-gc --import tsx "$b"
done
