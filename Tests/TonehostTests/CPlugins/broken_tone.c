/* A deliberately broken tone for `tonehost plugins test`: it ignores cancellation (keeps
 * emitting after emit returned non-zero, sleeps past its deadline), ends its output inside a
 * UTF-8 sequence, and refuses large inputs without saying why. */
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)config; (void)error; (void)error_size;
    return (void *)1;
}

static void destroy(void *instance) { (void)instance; }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    (void)instance;
    size_t n = strlen(request->text);
    size_t chunk = n / 8 > 4096 ? n / 8 : 4096;
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        api->emit(call, request->text + i, k); /* return value ignored */
        if (n > 4096) sleep_ms(400);            /* and is_cancelled never checked */
    }
    if (n > 100000) return TONEHOST_ERR_INTERNAL; /* no fail(): the host cannot say why */
    api->emit(call, "\xe5\xb7", 2);               /* the first two bytes of 工, never finished */
    return TONEHOST_OK;
}

static const tonehost_plugin descriptor = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.tone.broken",
    .version = "1",
    .description = "breaks the ABI's rules on purpose",
    .kind = TONEHOST_KIND_TONE,
    .tone_category = "broken_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }
