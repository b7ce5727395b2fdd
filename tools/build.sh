#!/usr/bin/env bash
# Builds the Go binaries Tugboat's local control plane and data services need, from the
# pinned modules under tools/<name>/, into a cache outside the repo keyed by version.
# A binary already in the cache is never rebuilt. Usage: tools/build.sh [k8s|etcd|kwok|registry|weed]...
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${TUGBOAT_CACHE:-$HOME/.cache/tugboat}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
# Go's own build cache is kept next to ours so CI reruns on the same machine stay warm.
export GOCACHE="${GOCACHE:-$CACHE/gocache}"

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.14
KWOK_VERSION=v0.8.0
REGISTRY_VERSION=v3.0.0
WEED_VERSION=v0.0.0-20261109003541-7506e5f91cd6

say() { printf '[tugboat build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Runs a long go build while printing a heartbeat, so a first build (many minutes) never looks hung.
build_with_progress() {
  local label="$1"; shift
  local start=$SECONDS
  ( while sleep 30; do say "$label: still compiling ($((SECONDS - start))s so far; cold builds take 10-25 min on 2 cores)"; done ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then say "$label: FAILED (exit $rc)"; return "$rc"; fi
  say "$label: done in $((SECONDS - start))s"
}

build_k8s() {
  local out="$CACHE/bin/kubernetes-$K8S_VERSION"
  if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/kube-scheduler" ] && [ -x "$out/kubectl" ]; then
    say "kubernetes $K8S_VERSION: cached in $out"; return 0; fi
  mkdir -p "$out.tmp"
  local minor; minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  say "kubernetes $K8S_VERSION: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (first time only)"
  cd "$HERE/k8s"
  build_with_progress "kubernetes $K8S_VERSION" go build -trimpath -tags selinux,notest -ldflags "$ld" -o "$out.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# Builds one main package from a tools/<dir> module into the cache.
build_simple() {
  local dir="$1" pkg="$2" name="$3" version="$4"
  local out="$CACHE/bin/$dir-$version"
  if [ -x "$out/$name" ]; then say "$name $version: cached in $out"; return 0; fi
  mkdir -p "$out.tmp"
  say "$name $version: building (first time only)"
  cd "$HERE/$dir"
  build_with_progress "$name $version" go build -trimpath -ldflags "-s -w" -o "$out.tmp/$name" "$pkg"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

# kwok exits with "no stages found" unless given stages; these are kwokctl's defaults, shipped
# inside the kwok module, copied beside the binary so tests need no module cache.
kwok_stages() {
  local out="$CACHE/bin/kwok-$KWOK_VERSION/stages"
  [ -f "$out/pod-ready.yaml" ] && return 0
  local src; src="$(cd "$HERE/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
  mkdir -p "$out"
  cp "$src/node/fast/node-initialize.yaml" "$src/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$src/pod/fast/pod-ready.yaml" "$src/pod/fast/pod-complete.yaml" "$src/pod/fast/pod-delete.yaml" "$out/"
  chmod -R u+w "$out"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(etcd kwok k8s)
for t in "${targets[@]}"; do
  case "$t" in
    k8s) build_k8s ;;
    etcd) build_simple etcd go.etcd.io/etcd/server/v3 etcd "$ETCD_VERSION" ;;
    kwok) build_simple kwok sigs.k8s.io/kwok/cmd/kwok kwok "$KWOK_VERSION"; kwok_stages ;;
    registry) build_simple registry github.com/distribution/distribution/v3/cmd/registry registry "$REGISTRY_VERSION" ;;
    weed) build_simple weed github.com/seaweedfs/seaweedfs/weed weed "$WEED_VERSION" ;;
    *) say "unknown target $t"; exit 2 ;;
  esac
done
