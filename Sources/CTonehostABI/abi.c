/* The ABI is the header in include/; this file only makes the target a valid C module. */
#include "tonehost_plugin.h"
