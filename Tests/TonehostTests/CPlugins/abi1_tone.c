/* A tone built before tone_stream_begin/end were appended to the descriptor: its struct_size is
 * the ABI-1 size (everything up to get_extension), as an old binary's would be. It must still
 * load and convert. */
#include "test_plugin_util.h"
#include <stddef.h>

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)config; (void)error; (void)error_size;
    return (void *)1;
}

static void destroy(void *instance) { (void)instance; }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    (void)instance;
    if (emit_str(call, api, "[abi1] ") || emit_str(call, api, request->text)) return TONEHOST_ERR_CANCELLED;
    return TONEHOST_OK;
}

static const tonehost_plugin descriptor = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = offsetof(tonehost_plugin, tone_stream_begin),
    .id = "test.tone.abi1",
    .version = "1",
    .description = "an ABI-1 sized descriptor",
    .kind = TONEHOST_KIND_TONE,
    .tone_category = "abi1_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }
