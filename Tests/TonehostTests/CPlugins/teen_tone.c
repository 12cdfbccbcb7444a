/* A third-party tone plugin, written against nothing but tonehost_plugin.h and built with
 * `cc -shared -fPIC`: "teen_friendly" — upper-cases the first letter of each segment, swaps
 * final periods for " fr!" and, when config "record" is 1, prefixes what the host told it:
 * "[desc=…|msg=…|lang=…|first=…|seg=…|final=…]". Converts sentence by sentence. */
#include "test_plugin_util.h"
#include <ctype.h>

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { long record; long delay_ms; } teen;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)error; (void)error_size;
    teen *t = calloc(1, sizeof *t);
    t->record = cfg_int(config, "record", 0);
    t->delay_ms = cfg_int(config, "delay_ms", 0);
    host->log(host, TONEHOST_LOG_INFO, "teen tone ready");
    return t;
}

static void destroy(void *instance) { free(instance); }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    teen *t = instance;
    if (sleep_ms_cancellable(call, api, t->delay_ms)) return TONEHOST_ERR_CANCELLED;
    if (t->record) {
        char head[2048];
        snprintf(head, sizeof head, "[desc=%s|msg=%s|lang=%s|first=%d|seg=%u|final=%d]", request->user_description,
                 request->user_msg, request->language, request->first_message, request->segment_index, request->is_final);
        if (emit_str(call, api, head)) return TONEHOST_ERR_CANCELLED;
    }
    size_t n = strlen(request->text);
    if (n == 0) return TONEHOST_OK;
    char *out = malloc(n + 8);
    size_t k = 0;
    if (request->segment_index > 0) out[k++] = ' ';
    memcpy(out + k, request->text, n);
    if (isalpha((unsigned char)out[k])) out[k] = (char)toupper((unsigned char)out[k]);
    k += n;
    if (out[k - 1] == '.') { k--; memcpy(out + k, " fr!", 4); k += 4; }
    int stop = api->emit(call, out, k);
    free(out);
    return stop ? TONEHOST_ERR_CANCELLED : TONEHOST_OK;
}

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "org.example.tone.teen",
    .version = "0.1",
    .description = "teen_friendly tone (third-party C example)",
    .kind = TONEHOST_KIND_TONE,
    .flags = TONEHOST_FLAG_TONE_STREAMING,
    .tone_category = "teen_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
