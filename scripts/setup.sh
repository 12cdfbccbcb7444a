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
command -v openssl >/dev/null 2>&1 || need+=(openssl)  # TLSTests make a self-signed certificate
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v wrk >/dev/null 2>&1 || need+=(wrk)  # scripts/host-bench.py
command -v promtool >/dev/null 2>&1 || need+=(prometheus)  # scripts/check-deploy.sh
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # scripts/check-clients.sh (the kiosk page)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)  # Traditional Chinese in the kiosk screenshot
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)  # scripts/ci-venv.sh, the Chroma test server's venv
# The scale-out tests (ScaleOutTests) start their own PostgreSQL cluster and nginx on loopback.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
# The Chroma retriever's tests run a real Chroma server (PyPI: chromadb) from a venv of its own
# (.build-chroma/ is ignored by git). TONEHOST_SKIP_CHROMA=1 skips it (the tests then skip).
if [ "${TONEHOST_SKIP_CHROMA:-0}" != "1" ] && [ ! -x .build-chroma/venv/bin/chroma ]; then
    python3 -m venv .build-chroma/venv
    .build-chroma/venv/bin/pip install --quiet --disable-pip-version-check chromadb
fi
swift build "$@"
