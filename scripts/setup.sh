#!/usr/bin/env bash
# Installs the system packages tonehost needs (Debian/Ubuntu) and builds the host and plugins.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in libcurl4-openssl-dev libsqlite3-dev libffi-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v wrk >/dev/null 2>&1 || need+=(wrk)  # scripts/host-bench.py
# The scale-out tests (ScaleOutTests) start their own PostgreSQL cluster and nginx on loopback.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
swift build "$@"
