/* Test tone selector. Config: answer (fixed answer; default: "elder_friendly" when the description
 * mentions "stick", else "casual_friendly"), mode ("ok" | "error"). */
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { char answer[128]; char mode[16]; } selector;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)error; (void)error_size;
    selector *s = calloc(1, sizeof *s);
    cfg_str(config, "answer", s->answer, sizeof s->answer, "");
    cfg_str(config, "mode", s->mode, sizeof s->mode, "ok");
    return s;
}

static void destroy(void *instance) { free(instance); }

static tonehost_status select_tone(void *instance, const tonehost_select_request *request, tonehost_call *call,
                                   const tonehost_call_api *api) {
    selector *s = instance;
    if (strcmp(s->mode, "error") == 0) {
        api->fail(call, TONEHOST_ERR_INTERNAL, "selector broke (test)");
        return TONEHOST_ERR_INTERNAL;
    }
    if (s->answer[0]) return emit_str(call, api, s->answer) ? TONEHOST_ERR_CANCELLED : TONEHOST_OK;
    const char *pick = strstr(request->user_description, "stick") ? "elder_friendly" : "casual_friendly";
    emit_str(call, api, pick);
    return TONEHOST_OK;
}

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.selector",
    .version = "1",
    .description = "test tone selector",
    .kind = TONEHOST_KIND_TONE_SELECTOR,
    .create = create,
    .destroy = destroy,
    .select_tone = select_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
