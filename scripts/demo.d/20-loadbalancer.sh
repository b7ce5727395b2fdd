#!/usr/bin/env bash
# Load balancers as a service: the LB operator runs on the host (leader election, probes,
# metrics, its validating webhook at 127.0.0.1), an IPPool on 127.0.10.0/24 hands out
# addresses, and the sample LoadBalancers from samples/loadbalancer/ get them. The cluster's
# pods are kwok's (nothing runs in them), so the data plane runs here instead: one
# tugboat-lb-agent per LB, following the LB's ConfigMap through the API and running a real
# HAProxy bound to the LB's 127.0.10.x address, reporting on the LB's pod what it applied.
# Three tiny HTTP backends answer behind them: two on loopback, one in a network namespace the
# demo creates (EndpointSlices refuse loopback addresses).
# Run by scripts/demo.sh with KUBECONFIG exported. Every process is recorded as a process group
# under the cluster's pids/ directory, so `npx tugboat cluster down` stops them all.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE="${TUGBOAT_CACHE:-$HOME/.cache/tugboat}"
KUBECTL="$CACHE/bin/kubernetes-v1.37.2/kubectl"
HOME_DIR="${TUGBOAT_HOME:-$HOME/.tugboat}"
PIDS="$HOME_DIR/cluster/pids"
LOGS="$HOME_DIR/logs"
RUN="$HOME_DIR/lb"
mkdir -p "$PIDS" "$LOGS" "$RUN"

running() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
stop() { if running "$1"; then kill -TERM -- "-$(cat "$PIDS/$1.pid")" 2>/dev/null || true; fi; rm -f "$PIDS/$1.pid"; }
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
waitfor() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "timed out waiting for $what" >&2; return 1
}
# Starts a process group (setsid: the pid is the group id) and records it for `cluster down`.
start() { # name, log, command...
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}
k() { "$KUBECTL" "$@"; }

# --- CRDs: ours generated from the TypeScript kinds, Multus's NetworkAttachmentDefinition ---------
npx tugboat generate crds --from operators/loadbalancer/src/index.ts --out "$RUN/crds" >/dev/null
k apply --server-side --force-conflicts -f "$RUN/crds" >/dev/null
node --import tsx -e 'import("./operators/loadbalancer/src/controllers/networkattachment.ts").then((m) => console.log(JSON.stringify(m.networkAttachmentDefinitionCrd)))' |
  k apply --server-side --force-conflicts -f - >/dev/null
k wait --for=condition=Established --timeout=60s crd/loadbalancers.lb.tugboat.dev crd/ippools.lb.tugboat.dev \
  crd/loadbalancerclasses.lb.tugboat.dev crd/ipallocations.lb.tugboat.dev crd/network-attachment-definitions.k8s.cni.cncf.io >/dev/null
echo "CRDs installed: $(k get crd -o name | grep -c 'lb.tugboat.dev') lb.tugboat.dev kinds + NetworkAttachmentDefinition"

# --- backends: three tiny HTTP servers -----------------------------------------------------------
# Two listen on loopback. EndpointSlices refuse loopback addresses, so the Service-backed sample's
# backend runs in a network namespace this demo makes itself (a test host of our own, reached
# over a veth pair), never on an address outside this machine.
NETNS=tugboat-demo
NS_HOST_IP=10.231.0.1
NS_IP=10.231.0.2
netns_up() {
  ip netns list 2>/dev/null | grep -qw "$NETNS" && ip -n "$NETNS" addr show dev veth-tb-ns 2>/dev/null | grep -q "$NS_IP" && return 0
  ip netns del "$NETNS" 2>/dev/null || true
  ip link del veth-tb-host 2>/dev/null || true
  ip netns add "$NETNS" &&
    ip link add veth-tb-host type veth peer name veth-tb-ns &&
    ip link set veth-tb-ns netns "$NETNS" &&
    ip addr add "$NS_HOST_IP/30" dev veth-tb-host && ip link set veth-tb-host up &&
    ip -n "$NETNS" addr add "$NS_IP/30" dev veth-tb-ns && ip -n "$NETNS" link set veth-tb-ns up &&
    ip -n "$NETNS" link set lo up
}
# `tugboat cluster down` runs the cluster's cleanup/ scripts: remove the namespace with it.
mkdir -p "$HOME_DIR/cluster/cleanup"
printf '#!/bin/sh
ip netns del %s 2>/dev/null; ip link del veth-tb-host 2>/dev/null; exit 0\n' "$NETNS" > "$HOME_DIR/cluster/cleanup/lb-netns.sh"
chmod +x "$HOME_DIR/cluster/cleanup/lb-netns.sh"
IN_NS=()
if netns_up 2>/dev/null; then
  IN_NS=(ip netns exec "$NETNS")
  SVC_IP=$NS_IP
else
  echo "(could not create network namespace $NETNS — needs root and iproute2; the Service-backed LB gets no traffic)"
  SVC_IP=""
fi
BIND=(127.0.0.1 127.0.0.1 "${SVC_IP:-127.0.0.1}")
for i in 1 2 3; do
  stop "lb-backend-$i"
  prefix=()
  [ "$i" = 3 ] && [ -n "$SVC_IP" ] && prefix=("${IN_NS[@]}")
  start "lb-backend-$i" "$LOGS/lb-backend-$i.log" "${prefix[@]}" node -e '
    const name = process.argv[1], port = Number(process.argv[2]);
    require("http").createServer((req, res) => { res.writeHead(200, { "content-type": "text/plain" }); res.end(`hello from ${name} (${req.url})\n`); })
      .listen(port, process.argv[3], () => console.log(`${name} on ${process.argv[3]}:${port}`));' "backend-$i" "$((18080 + i))" "${BIND[$((i - 1))]}"
done
for i in 1 2 3; do waitfor "backend $i" 20 curl -sf "http://${BIND[$((i - 1))]}:$((18080 + i))/healthz"; done
echo "backends on 127.0.0.1:18081, 127.0.0.1:18082${SVC_IP:+, $SVC_IP:18083 (network namespace $NETNS)}"
HOST_IP=${SVC_IP:-192.0.2.10}

# --- the operator -------------------------------------------------------------------------------
if running lb-operator; then
  echo "LB operator already running (pid $(cat "$PIDS/lb-operator.pid"))"
  HEALTH_PORT=$(cat "$RUN/health-port")
else
  WEBHOOK_PORT=$(freeport); METRICS_PORT=$(freeport); HEALTH_PORT=$(freeport)
  echo "$HEALTH_PORT" > "$RUN/health-port"
  k create namespace tugboat-system --dry-run=client -o yaml | k apply -f - >/dev/null
  start lb-operator "$LOGS/lb-operator.log" node --import tsx operators/loadbalancer/src/main.ts \
    --kubeconfig "$KUBECONFIG" --namespace tugboat-system --data-plane host --host-run-dir "$RUN" --multus true \
    --webhook-host 127.0.0.1 --webhook-port "$WEBHOOK_PORT" \
    --metrics-port "$METRICS_PORT" --health-port "$HEALTH_PORT" --bind-address 127.0.0.1
  echo "LB operator: metrics http://127.0.0.1:$METRICS_PORT/metrics, log $LOGS/lb-operator.log"
fi
waitfor "the LB operator's /readyz" 120 curl -sf "http://127.0.0.1:$HEALTH_PORT/readyz"
waitfor "the LB webhook registration" 60 k get validatingwebhookconfiguration tugboat-lb

# --- the samples --------------------------------------------------------------------------------
for f in samples/loadbalancer/*.yaml; do sed "s/192\.0\.2\.10/$HOST_IP/" "$f"; echo '---'; done | k apply -f -
echo
echo "the webhook at work (an HTTPS listener whose certificate Secret does not exist):"
k apply --dry-run=server -f - <<'EOF' 2>&1 | sed 's/^/  /' || true
apiVersion: lb.tugboat.dev/v1alpha1
kind: LoadBalancer
metadata: { name: broken, namespace: demo }
spec:
  ipPool: demo
  listeners:
    - { name: https, port: 8443, protocol: HTTPS, defaultPool: web, tls: { certificates: [{ secretRef: { name: shop-cert } }] } }
  pools: [{ name: web, members: [{ address: 127.0.0.1, port: 18081 }] }]
EOF
echo
k wait --for=condition=Ready --timeout=180s loadbalancer --all -n demo
k get loadbalancers -n demo
k get ippools
k get net-attach-def -n tugboat-system

# --- the data plane: one agent (and its HAProxy) per load balancer --------------------------------
for lb in web tcp api; do
  pod=$(k get pods -n demo -l "lb.tugboat.dev/loadbalancer=$lb" -o jsonpath='{.items[0].metadata.name}')
  stop "lb-agent-$lb"
  mkdir -p "$RUN/demo-$lb"
  start "lb-agent-$lb" "$LOGS/lb-agent-$lb.log" node --import tsx operators/loadbalancer/src/agent/main.ts \
    --configmap "demo/$lb-haproxy" --kubeconfig "$KUBECONFIG" --work-dir "$RUN/demo-$lb" \
    --listen "127.0.0.1:$(freeport)" --report-pod "demo/$pod"
done
applied() { # lb: the applied hash equals the rendered one
  [ -n "$(k get lb "$1" -n demo -o jsonpath='{.status.appliedConfigHash}')" ] &&
    [ "$(k get lb "$1" -n demo -o jsonpath='{.status.appliedConfigHash}')" = "$(k get lb "$1" -n demo -o jsonpath='{.status.configHash}')" ]
}
for lb in web tcp api; do waitfor "lb $lb's configuration applied" 90 applied "$lb"; done
echo "every agent reports the configuration the operator rendered (status.appliedConfigHash = status.configHash)"

WEB=$(k get lb web -n demo -o jsonpath='{.status.address}')
TCP=$(k get lb tcp -n demo -o jsonpath='{.status.address}')
API=$(k get lb api -n demo -o jsonpath='{.status.address}')
echo
echo "curl through the load balancers:"
for _ in 1 2 3 4; do printf '  curl http://%s:8080/  -> %s' "$WEB" "$(curl -s --max-time 5 "http://$WEB:8080/")"; echo; done
printf '  curl http://%s:9000/  -> %s\n' "$TCP" "$(curl -s --max-time 5 "http://$TCP:9000/")"
[ -n "$SVC_IP" ] && printf '  curl http://%s:8080/v1 -> %s\n' "$API" "$(curl -s --max-time 5 "http://$API:8080/v1")"
printf '  curl http://%s:8080/admin -> HTTP %s (the no-admin policy)\n' "$API" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$API:8080/admin")"
echo
echo "Try it:"
echo "  curl http://$WEB:8080/"
[ -n "$SVC_IP" ] && echo "  kubectl -n demo patch lb web --type json -p '[{\"op\":\"replace\",\"path\":\"/spec/pools/0/members\",\"value\":[{\"address\":\"$HOST_IP\",\"port\":18083}]}]'"
echo "  kubectl -n demo get lb web -o jsonpath='{.status.conditions}'   # then curl again: backend-3"
echo "  logs: $LOGS/lb-operator.log, $LOGS/lb-agent-web.log"
