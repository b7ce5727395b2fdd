#!/usr/bin/env bash
# Harbor as a managed service: the shared PostgreSQL, a Redis per tenant and the SeaweedFS S3
# store run on loopback beside the local cluster, the operator runs on the host (the apiserver
# calls its webhook at 127.0.0.1), and two tenants from samples/harbor/ get a Harbor each.
# Run by scripts/demo.sh with KUBECONFIG exported. Every process is recorded as a process group
# under the cluster's pids/ directory, so `npx tugboat cluster down` stops them all.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE="${TUGBOAT_CACHE:-$HOME/.cache/tugboat}"
KUBECTL="$CACHE/bin/kubernetes-v1.37.2/kubectl"
CLUSTER="${TUGBOAT_HOME:-$HOME/.tugboat}/cluster"
PIDS="$CLUSTER/pids"
# Data lives outside the cluster directory: PostgreSQL runs as the unprivileged postgres user,
# which cannot enter root's home. `cluster down` stops the processes; the next demo run wipes it.
DATA="/tmp/tugboat-harbor-demo-$(printf %s "$CLUSTER" | sha256sum | cut -c1-8)"
LOGS="$CLUSTER/logs"
mkdir -p "$PIDS" "$LOGS"

running() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
freeport() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
secret() { openssl rand -hex "${1:-16}"; }
waitfor() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  echo "timed out waiting for $what" >&2; return 1
}
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Starts a process group (setsid: the pid is the group id) and records it for `cluster down`.
start() { # name, log, command...
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

if running harbor-operator; then
  echo "the Harbor demo is already running (operator pid $(cat "$PIDS/harbor-operator.pid"))"
else
  for p in harbor-operator harbor-postgres harbor-s3 harbor-redis-acme harbor-redis-globex; do
    if running "$p"; then kill -TERM -- "-$(cat "$PIDS/$p.pid")" 2>/dev/null || true; fi
    rm -f "$PIDS/$p.pid"
  done
  sleep 1
  rm -rf "$DATA" && mkdir -p "$DATA" && chmod 755 "$DATA"

  # --- PostgreSQL 15 (Debian), as the postgres user when we are root ----------------------
  PGBIN=/usr/lib/postgresql/15/bin
  AS=()
  if [ "$(id -u)" = 0 ]; then AS=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
  PG_PORT=$(freeport); PG_PASSWORD=$(secret)
  install -d -m 0700 "$DATA/pg" "$DATA/pgsock"
  (umask 077; printf '%s\n' "$PG_PASSWORD" > "$DATA/pgpw")
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DATA/pg" "$DATA/pgsock" "$DATA/pgpw"; fi
  "${AS[@]}" "$PGBIN/initdb" -D "$DATA/pg" -U postgres --pwfile="$DATA/pgpw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync >"$LOGS/harbor-initdb.log"
  rm -f "$DATA/pgpw"
  start harbor-postgres "$LOGS/harbor-postgres.log" "${AS[@]}" "$PGBIN/postgres" -D "$DATA/pg" -p "$PG_PORT" -k "$DATA/pgsock" -c listen_addresses=127.0.0.1
  waitfor "PostgreSQL on 127.0.0.1:$PG_PORT" 30 "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -t 1
  echo "PostgreSQL 15 on 127.0.0.1:$PG_PORT"

  # --- SeaweedFS S3 with a writable IAM API (tenant users and policies are created through it) -
  WEED=$(ls "$CACHE"/bin/weed-*/weed | head -1)
  S3_ACCESS="admin$(secret 6)"; S3_SECRET=$(secret 24)
  mkdir -p "$DATA/weed"
  printf '{"identities":[{"name":"admin","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}' "$S3_ACCESS" "$S3_SECRET" > "$DATA/s3.json"
  chmod 600 "$DATA/s3.json"
  M=$(freeport); MG=$(freeport); V=$(freeport); VG=$(freeport); F=$(freeport); FG=$(freeport); S3_PORT=$(freeport); S3G=$(freeport)
  start harbor-s3 "$LOGS/harbor-s3.log" "$WEED" server -dir="$DATA/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$M" -master.port.grpc="$MG" -master.telemetry=false -master.volumeSizeLimitMB=64 -master.dir="$DATA/weed" \
    -volume.port="$V" -volume.port.grpc="$VG" -volume.max=200 -volume.preStopSeconds=0 \
    -filer -filer.port="$F" -filer.port.grpc="$FG" -filer.localSocket="$DATA/filer.sock" \
    -s3 -s3.port="$S3_PORT" -s3.port.grpc="$S3G" -s3.localSocket="$DATA/s3.sock" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$DATA/s3.json" -s3.iam -s3.iam.readOnly=false
  waitfor "SeaweedFS S3 on 127.0.0.1:$S3_PORT" 90 sh -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$S3_PORT/ | grep -qE '^(200|403)$' && curl -sf http://127.0.0.1:$M/dir/assign | grep -q fid"
  echo "SeaweedFS S3 on 127.0.0.1:$S3_PORT"

  # --- one Redis per tenant: Harbor pins core to database 0, so tenants never share one ------
  declare -A REDIS_PORT REDIS_PASSWORD
  for t in acme globex; do
    REDIS_PORT[$t]=$(freeport); REDIS_PASSWORD[$t]=$(secret)
    mkdir -p "$DATA/redis-$t"
    # The password goes in a file only the demo's user can read, not on a command line that
    # every local user sees in ps.
    (umask 077; printf 'requirepass %s\n' "${REDIS_PASSWORD[$t]}" > "$DATA/redis-$t/auth.conf")
    start "harbor-redis-$t" "$LOGS/harbor-redis-$t.log" /usr/bin/redis-server "$DATA/redis-$t/auth.conf" --port "${REDIS_PORT[$t]}" --bind 127.0.0.1 \
      --dir "$DATA/redis-$t" --save '' --appendonly no
    waitfor "Redis for $t" 20 tcp_open "${REDIS_PORT[$t]}"
    echo "Redis for $t on 127.0.0.1:${REDIS_PORT[$t]}"
  done

  # --- the operator, on the host, with leader election, probes, metrics and its webhook --------
  WEBHOOK_PORT=$(freeport); METRICS_PORT=$(freeport); HEALTH_PORT=$(freeport)
  "$KUBECTL" create namespace tugboat-system --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
  start harbor-operator "$LOGS/harbor-operator.log" node --import tsx operators/harbor/src/main.ts \
    --kubeconfig "$KUBECONFIG" --install-crds --leader-election-namespace tugboat-system \
    --webhook-host 127.0.0.1 --webhook-port "$WEBHOOK_PORT" --webhook-cert-secret tugboat-system/harbor-webhook-ca \
    --metrics-port "$METRICS_PORT" --health-port "$HEALTH_PORT" --bind-address 127.0.0.1 --probe-interval 15
  waitfor "the operator's /readyz" 120 curl -sf "http://127.0.0.1:$HEALTH_PORT/readyz"
  echo "operator ready: metrics http://127.0.0.1:$METRICS_PORT/metrics, log $LOGS/harbor-operator.log"

  # --- register the shared services, then the tenants ------------------------------------------
  # Secrets reach kubectl through files (mode 600) and builtins, never through a command line.
  (umask 077; mkdir -p "$DATA/secrets"
    printf 'postgres' > "$DATA/secrets/pg-username"; printf '%s' "$PG_PASSWORD" > "$DATA/secrets/pg-password"
    printf '%s' "$S3_ACCESS" > "$DATA/secrets/s3-access"; printf '%s' "$S3_SECRET" > "$DATA/secrets/s3-secret")
  "$KUBECTL" -n tugboat-system create secret generic shared-postgres-admin --from-file=username="$DATA/secrets/pg-username" \
    --from-file=password="$DATA/secrets/pg-password" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
  "$KUBECTL" -n tugboat-system create secret generic shared-s3-admin --from-file=accessKey="$DATA/secrets/s3-access" \
    --from-file=secretKey="$DATA/secrets/s3-secret" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
  sed -e "s/port: 5432/port: $PG_PORT/" -e "s#http://127.0.0.1:8333#http://127.0.0.1:$S3_PORT#" samples/harbor/shared-services.yaml | "$KUBECTL" apply -f -
  for t in acme globex; do
    yaml=$(<"samples/harbor/registry-$t.yaml")
    yaml=${yaml//port: 6379/port: ${REDIS_PORT[$t]}}; yaml=${yaml//port: 6380/port: ${REDIS_PORT[$t]}}
    yaml=${yaml//password: change-me/password: ${REDIS_PASSWORD[$t]}}
    printf '%s\n' "$yaml" | "$KUBECTL" apply -f -
  done
fi

echo
echo "waiting for both registries to become Ready..."
"$KUBECTL" wait --for=condition=Ready --timeout=240s registry/harbor -n acme
"$KUBECTL" wait --for=condition=Ready --timeout=240s registry/harbor -n globex
echo
"$KUBECTL" get postgresservers,objectstores
echo
"$KUBECTL" get registries -A
for ns in acme globex; do
  echo
  echo "Registry $ns/harbor:"
  "$KUBECTL" get registry harbor -n "$ns" \
    -o jsonpath='{range .status.conditions[*]}{"  "}{.type}{"="}{.status}{"  "}{.reason}{": "}{.message}{"\n"}{end}'
  echo "  database: $("$KUBECTL" get registry harbor -n "$ns" -o jsonpath='{.status.database.name}')   bucket: $("$KUBECTL" get registry harbor -n "$ns" -o jsonpath='{.status.storage.bucket}')"
done
echo
"$KUBECTL" get deployments,services,ingresses,poddisruptionbudgets -n acme
echo
echo "An invalid change is refused at the API, with the field and the fix:"
"$KUBECTL" patch registry harbor -n globex --type merge -p '{"spec":{"version":"2.13.0"}}' 2>&1 | sed 's/^/  /' || true
