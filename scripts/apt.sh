#!/usr/bin/env bash
# Installs the Debian packages the tests and demo run for real: HAProxy (LB data plane),
# PostgreSQL and Redis (Harbor's shared services), openssl and curl (TLS checks).
set -euo pipefail
need=()
command -v haproxy >/dev/null || need+=(haproxy)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v redis-server >/dev/null || need+=(redis-server)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "apt-get install ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  # The Debian packages start system-wide services; tests run their own on loopback ports.
  for s in haproxy postgresql redis-server; do $SUDO service "$s" stop >/dev/null 2>&1 || true; done
fi
