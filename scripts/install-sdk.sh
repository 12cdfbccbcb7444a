#!/usr/bin/env bash
# Installs the plugin SDK for C (and any language with a C FFI): the ABI header and a pkg-config
# file, so `cc $(pkg-config --cflags tonehost-plugin) -shared -fPIC …` works.
#   scripts/install-sdk.sh [--prefix /usr/local]
# Then: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (not needed for /usr/local or /usr).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        *) echo "usage: $0 [--prefix DIR]" >&2; exit 2 ;;
    esac
done
version="$(sed -n 's/^#define TONEHOST_ABI_VERSION \([0-9]*\)u$/\1/p' Sources/CTonehostABI/include/tonehost_plugin.h)"
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 Sources/CTonehostABI/include/tonehost_plugin.h "$prefix/include/tonehost_plugin.h"
cat > "$prefix/lib/pkgconfig/tonehost-plugin.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include

Name: tonehost-plugin
Description: The C ABI between the tonehost host and its plugins (tonehost_plugin.h)
Version: $version
Cflags: -I\${includedir}
PC
echo "installed $prefix/include/tonehost_plugin.h and $prefix/lib/pkgconfig/tonehost-plugin.pc (ABI $version)"
