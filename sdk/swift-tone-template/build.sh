#!/bin/sh
# Builds libteen-friendly-tone.so against the tonehost SDK (TONEHOST_SDK: a tonehost checkout).
set -e
cd "$(dirname "$0")"
swift build -c release
cp "$(swift build -c release --show-bin-path)/libteen-friendly-tone.so" .
echo "built $(pwd)/libteen-friendly-tone.so"