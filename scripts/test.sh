#!/usr/bin/env bash
# Builds everything (the tests run the real tonehost binary and load the real .so plugins)
# and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
swift test --skip-build
