/*
 * A third-party embedder written from tonehost_plugin.h alone: each text becomes a 32-float
 * vector of its bytes' counts (bucket = byte % 32). The model identity is
 * "c:char-buckets-32". Purpose "query" and "document" embed alike.
 */
#include <stddef.h>
#include <string.h>
#include "tonehost_plugin.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

#define DIM 32

static void *create(const tonehost_host_api *host, const char *config_json, char *error, size_t error_size) {
    (void)host; (void)config_json; (void)error; (void)error_size;
    static int instance;
    return &instance;
}

static void destroy(void *instance) { (void)instance; }

static tonehost_status embed(void *instance, const tonehost_embed_request *request, tonehost_call *call,
                             const tonehost_call_api *api) {
    (void)instance;
    if (api->struct_size < offsetof(tonehost_call_api, emit_vector) + sizeof(api->emit_vector) || !api->emit_vector) {
        api->fail(call, TONEHOST_ERR_INTERNAL, "this host cannot receive vectors");
        return TONEHOST_ERR_INTERNAL;
    }
    const char *model = "c:char-buckets-32";
    if (api->emit(call, model, strlen(model)) != 0) return TONEHOST_ERR_CANCELLED;
    for (size_t i = 0; i < request->text_count; i++) {
        float v[DIM] = {0};
        for (const unsigned char *p = (const unsigned char *)request->texts[i]; *p; p++) v[*p % DIM] += 1.0f;
        if (!request->texts[i][0]) v[0] = 1.0f;
        if (api->emit_vector(call, i, v, DIM) != 0) return TONEHOST_ERR_CANCELLED;
    }
    return TONEHOST_OK;
}

static const tonehost_plugin descriptor = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "org.example.embedder.char-buckets",
    .version = "1.0",
    .description = "byte-bucket embeddings (test)",
    .kind = TONEHOST_KIND_EMBEDDER,
    .flags = TONEHOST_FLAG_NONBLOCKING,
    .create = create,
    .destroy = destroy,
    .embed = embed,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }
