#!/usr/bin/env bash
# The integrators' view, against live servers on loopback (issue 17): the official `openai`
# package and curl against /v1, the example Python client, /openapi.json validated and fuzzed
# by schemathesis (0 × 5xx, responses matching the document), the kiosk page in headless
# Chromium (selenium) — a screenshot goes to .ci-artifacts/ — and /metrics against the
# Grafana dashboard. Starts two servers: an open one, and one needing an API key that allows
# the first one's origin (the kiosk page calls it cross-origin). Stopped by PID.
# Usage: scripts/check-clients.sh [BINARY]   (default .build/debug/tonehost)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/tonehost}"
python="$(./scripts/ci-venv.sh)"
work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
open_port="$(free_port)"
keyed_port="$(free_port)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
"$binary" serve --manifests plugin-manifests --db "$work/open.db" --auto-init --host 127.0.0.1 --port "$open_port" \
    --log-file "$work/open.log" &
pids+=($!)
TONEHOST_API_KEYS=kiosk-key TONEHOST_REQUIRE_API_KEY=true TONEHOST_CORS_ORIGINS="http://127.0.0.1:$open_port" \
    "$binary" serve --manifests plugin-manifests --db "$work/keyed.db" --auto-init --host 127.0.0.1 --port "$keyed_port" \
    --log-file "$work/keyed.log" &
pids+=($!)
for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$open_port/readyz" >/dev/null && curl -fs "http://127.0.0.1:$keyed_port/readyz" >/dev/null; then break; fi
    sleep 0.1
done
status=0
"$python" scripts/check_clients.py --api "http://127.0.0.1:$open_port" --keyed "http://127.0.0.1:$keyed_port" --key kiosk-key \
    --access-log "$work/open.log" --artifacts .ci-artifacts || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- open server log (tail) ---"; tail -40 "$work/open.log"
    echo "--- keyed server log (tail) ---"; tail -20 "$work/keyed.log"
fi
exit "$status"
