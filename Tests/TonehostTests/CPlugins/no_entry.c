/* Exports the ABI version but no entry symbol. */
#include "tonehost_plugin.h"
TONEHOST_PLUGIN_DEFINE_ABI_VERSION;
int unrelated_function(void) { return 42; }
