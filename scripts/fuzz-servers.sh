#!/usr/bin/env bash
# Starts `tonehost serve` and `tonehost describe-server` on free loopback ports with a fresh
# store, runs scripts/fuzz.py against both, stops them by PID and exits with the fuzzer's
# status. Usage: scripts/fuzz-servers.sh [REQUESTS] [BINARY]   (defaults: 10000, .build/debug/tonehost)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-10000}"
binary="${2:-.build/debug/tonehost}"
work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port="$(free_port)"
describe_port="$(free_port)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
"$binary" serve --manifests plugin-manifests --db "$work/t.db" --host 127.0.0.1 --port "$api_port" >"$work/serve.log" 2>&1 &
pids+=($!)
"$binary" describe-server --manifests plugin-manifests --db "$work/t.db" --host 127.0.0.1 --port "$describe_port" >"$work/describe.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$api_port/readyz" >/dev/null && curl -fs "http://127.0.0.1:$describe_port/health" >/dev/null; then break; fi
    sleep 0.1
done
status=0
python3 scripts/fuzz.py --api "http://127.0.0.1:$api_port" --describe "http://127.0.0.1:$describe_port" \
    --requests "$requests" --seed "${FUZZ_SEED:-1}" --concurrency 8 --timeout 15 || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- serve log (tail) ---"; tail -40 "$work/serve.log"
    echo "--- describe-server log (tail) ---"; tail -20 "$work/describe.log"
fi
exit "$status"
