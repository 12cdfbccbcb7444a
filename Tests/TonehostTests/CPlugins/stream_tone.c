/* A streaming tone with per-answer state (tone_stream_begin / tone_stream_end): it numbers the
 * segments of each answer "[1] … [2] …", so two answers converted at once, even with the same
 * session and question, each count from 1. */
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { int segments; } answer_state;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)config; (void)error; (void)error_size;
    return (void *)1;
}

static void destroy(void *instance) { (void)instance; }

static void *stream_begin(void *instance, const tonehost_tone_request *first) {
    (void)instance; (void)first;
    return calloc(1, sizeof(answer_state));
}

static void stream_end(void *instance, void *stream) { (void)instance; free(stream); }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    (void)instance;
    answer_state *a = request->struct_size >= sizeof(tonehost_tone_request) ? request->stream : NULL;
    if (!request->text[0]) return TONEHOST_OK;
    char mark[32];
    snprintf(mark, sizeof mark, "%s[%d] ", request->segment_index > 0 ? " " : "", a ? ++a->segments : -1);
    sleep_ms(5); /* let concurrent answers interleave */
    if (emit_str(call, api, mark) || emit_str(call, api, request->text)) return TONEHOST_ERR_CANCELLED;
    return TONEHOST_OK;
}

static const tonehost_plugin descriptor = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.tone.stream",
    .version = "1",
    .description = "numbers the segments of each answer",
    .kind = TONEHOST_KIND_TONE,
    .flags = TONEHOST_FLAG_TONE_STREAMING,
    .tone_category = "stream_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
    .tone_stream_begin = stream_begin,
    .tone_stream_end = stream_end,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }
