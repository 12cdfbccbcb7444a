/* CTonehostPluginSymbols has no API of its own: linking it exports
 * `tonehost_plugin_abi_version` (see tonehost_plugin.h). */
#include "tonehost_plugin.h"
