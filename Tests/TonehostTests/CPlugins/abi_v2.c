/* A library built for a future ABI: the host must refuse it before calling anything. */
#include <stdint.h>
#include <stdlib.h>
__attribute__((visibility("default"))) const uint32_t tonehost_plugin_abi_version = 2;
/* If the host called this despite the version, the test would crash: it must not. */
__attribute__((visibility("default"))) const void *tonehost_plugin_entry(void) { abort(); }
