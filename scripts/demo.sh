#!/usr/bin/env bash
# The main job: a local Kubernetes v1.37.2 cluster (real apiserver, controller-manager,
# scheduler, kwok nodes) and what runs on it. `npx tugboat cluster down` stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBECTL="${TUGBOAT_CACHE:-$HOME/.cache/tugboat}/bin/kubernetes-v1.37.2/kubectl"

line=$(npx tugboat cluster up | grep '^KUBECONFIG=')
export "${line?}"
echo
echo "== cluster"
"$KUBECTL" version
"$KUBECTL" get nodes -o wide
for step in scripts/demo.d/*.sh; do
  [ -e "$step" ] || continue
  echo
  echo "== $(basename "$step" .sh)"
  bash "$step"
done
echo
echo "The cluster keeps running. Use it with:"
echo "  export $line"
echo "  $KUBECTL get nodes"
echo "Stop everything with: npx tugboat cluster down"
