#!/usr/bin/env bash
# Builds sdk/swift-tone-template as a package of its own (depending on this checkout's
# TonehostPluginKit product, as a third party's package would), then loads the library it
# made through its manifest and checks that it answers a visitor its cues name.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
binary="${1:-$root/.build/debug/tonehost}"
TONEHOST_SDK="$root" sdk/swift-tone-template/build.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp plugin-manifests/*.toml "$work/"
cp sdk/swift-tone-template/tone-teen-friendly.toml sdk/swift-tone-template/libteen-friendly-tone.so "$work/"
"$binary" plugins check --manifests "$work" --db "$work/t.db" | grep "tone=teen_friendly  status=active"
answer="$("$binary" ask --manifests "$work" --db "$work/t.db" --description "a teen with a skateboard" "What is ITRI?")"
echo "$answer"
case "$answer" in
    "Hey! "*"Pretty cool, right?") echo "swift template: 1 passed, 0 failed" ;;
    *) echo "swift template: 0 passed, 1 failed (the template tone did not answer)"; exit 1 ;;
esac
