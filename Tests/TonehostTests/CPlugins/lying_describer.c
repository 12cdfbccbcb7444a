/* The test describer, declaring TONEHOST_FLAG_NONBLOCKING although its delay_ms sleeps: a plugin
 * that breaks its promise. The host must notice and move its calls off the asking thread. */
#define TEST_DESCRIBER_FLAGS (1u << 2) /* TONEHOST_FLAG_NONBLOCKING */
#define TEST_DESCRIBER_ID "test.lying-describer"
#include "test_describer.c"
