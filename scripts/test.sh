#!/usr/bin/env bash
# Builds everything (the tests run the real tonehost binary and load the real .so plugins),
# runs the whole test suite, then a short fuzz run against live servers (scripts/fuzz.py),
# the client checks (scripts/check-clients.sh) and the deploy/ kit (scripts/check-deploy.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
swift test --skip-build
# 1,000 malformed requests over every endpoint of both servers: 0 × 5xx, 0 hangs, both alive.
./scripts/fuzz-servers.sh "${TONEHOST_FUZZ_REQUESTS:-1000}"
# Integrators' clients against live servers: the openai package + curl on /v1, the example
# client, /openapi.json validated and fuzzed (schemathesis), the kiosk page in headless Chromium.
./scripts/check-clients.sh
# The alert rules (promtool check + unit tests) and the Grafana dashboard.
./scripts/check-deploy.sh
# The host benchmark still runs (one short round against the floor; the numbers are not judged here).
python3 scripts/host-bench.py --bin "$(swift build --show-bin-path)" --short
# The Swift plugin template builds as an external package against the SDK product and loads.
./scripts/check-swift-template.sh
