/* Linked into every bundled Swift plugin: exports the ABI version the plugin was built for,
 * which the host reads with dlsym() before calling anything in the library. */
#include "tonehost_plugin.h"
TONEHOST_PLUGIN_DEFINE_ABI_VERSION;
