/* A tone that breaks the ABI: it declares TONEHOST_FLAG_NONBLOCKING, then calls the host LLM's
 * blocking `chat`. The host must refuse that call at once (it would wait on the thread the chat
 * itself needs); the tone then emits the refusal's reason, so the test can read it. */
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { const tonehost_host_api *host; } tone;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)config; (void)error; (void)error_size;
    tone *t = calloc(1, sizeof *t);
    t->host = host;
    return t;
}

static void destroy(void *instance) { free(instance); }

static void ignore_text(void *context, const char *text, size_t length) { (void)context; (void)text; (void)length; }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    tone *t = instance;
    const tonehost_host_llm *llm = t->host->get_extension(t->host, TONEHOST_HOST_EXT_LLM);
    if (!llm) return emit_str(call, api, "[no llm service]") ? TONEHOST_ERR_CANCELLED : TONEHOST_OK;
    tonehost_message m = {"user", request->text};
    char error[512] = "";
    tonehost_status status = llm->chat(t->host, call, "test", &m, 1, -1, ignore_text, NULL, error, sizeof error);
    char out[700];
    snprintf(out, sizeof out, "[chat status=%d: %s]", (int)status, error);
    return emit_str(call, api, out) ? TONEHOST_ERR_CANCELLED : TONEHOST_OK;
}

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.blocking-chat-tone",
    .version = "1",
    .description = "a NONBLOCKING tone that calls the blocking chat",
    .kind = TONEHOST_KIND_TONE,
    .flags = TONEHOST_FLAG_NONBLOCKING,
    .tone_category = "casual_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
