/* Test LLM. Config: text (emitted word by word), delay_ms (before each word), start_delay_ms,
 * fail_after (words, then TONEHOST_ERR_UNAVAILABLE), progress_file (gets the count of words sent),
 * echo (1: emit "q=<question>|lang=<language>|passages=<titles>|purpose=<purpose>" instead),
 * chunk_bytes (> 0: emit the text in pieces of that many bytes, cutting through characters),
 * pending_until_end (a file: generate returns PENDING and emits nothing; the call's on_end
 * notification appends "ended <status>" to the file and completes the call — no polling). */
#include <stddef.h>
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct {
    char text[4096];
    char progress_file[512];
    char pending_until_end[512];
    long delay_ms, start_delay_ms, fail_after, echo, chunk_bytes;
} llm;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)error; (void)error_size;
    llm *l = calloc(1, sizeof *l);
    cfg_str(config, "text", l->text, sizeof l->text, "ITRI was founded in 1973. It is in Hsinchu. It created TSMC.");
    cfg_str(config, "progress_file", l->progress_file, sizeof l->progress_file, "");
    l->delay_ms = cfg_int(config, "delay_ms", 0);
    l->start_delay_ms = cfg_int(config, "start_delay_ms", 0);
    l->fail_after = cfg_int(config, "fail_after", -1);
    l->echo = cfg_int(config, "echo", 0);
    l->chunk_bytes = cfg_int(config, "chunk_bytes", 0);
    cfg_str(config, "pending_until_end", l->pending_until_end, sizeof l->pending_until_end, "");
    return l;
}

static void destroy(void *instance) { free(instance); }

typedef struct {
    tonehost_call *call;
    const tonehost_call_api *api;
    char file[512];
} pending;

/* The call ended (here: its deadline passed or the client left): say so, then complete it. */
static void pending_ended(void *context) {
    pending *p = context;
    FILE *f = fopen(p->file, "a");
    if (f) { fprintf(f, "ended %d\n", p->api->is_cancelled(p->call)); fclose(f); }
    p->api->complete(p->call, TONEHOST_ERR_CANCELLED);
    free(p);
}

static tonehost_status generate(void *instance, const tonehost_llm_request *request, tonehost_call *call,
                                const tonehost_call_api *api) {
    llm *l = instance;
    if (l->pending_until_end[0]) {
        if (api->struct_size < offsetof(tonehost_call_api, on_end) + sizeof api->on_end || !api->on_end) {
            api->fail(call, TONEHOST_ERR_UNAVAILABLE, "this host has no on_end");
            return TONEHOST_ERR_UNAVAILABLE;
        }
        pending *p = calloc(1, sizeof *p);
        p->call = call;
        p->api = api;
        snprintf(p->file, sizeof p->file, "%s", l->pending_until_end);
        api->on_end(call, pending_ended, p);
        return TONEHOST_PENDING;
    }
    if (sleep_ms_cancellable(call, api, l->start_delay_ms)) return TONEHOST_ERR_CANCELLED;
    if (l->echo) {
        char buf[8192];
        int n = snprintf(buf, sizeof buf, "q=%s|lang=%s|purpose=%s|passages=", request->question, request->language, request->purpose);
        for (size_t i = 0; i < request->passage_count && n < (int)sizeof buf - 1; i++)
            n += snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", request->passages[i].title);
        if (n < (int)sizeof buf - 1) n += snprintf(buf + n, sizeof buf - n, "|messages=%zu", request->message_count);
        emit_str(call, api, buf);
        return TONEHOST_OK;
    }
    const char *p = l->text;
    if (l->chunk_bytes > 0) {
        for (size_t left = strlen(p); left > 0;) {
            size_t len = left < (size_t)l->chunk_bytes ? left : (size_t)l->chunk_bytes;
            if (api->emit(call, p, len) != 0) return TONEHOST_ERR_CANCELLED;
            p += len;
            left -= len;
        }
        return TONEHOST_OK;
    }
    long words = 0;
    while (*p) {
        const char *end = strchr(p + 1, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (l->fail_after >= 0 && words == l->fail_after) {
            api->fail(call, TONEHOST_ERR_UNAVAILABLE, "model server went away mid-stream (test)");
            return TONEHOST_ERR_UNAVAILABLE;
        }
        if (sleep_ms_cancellable(call, api, l->delay_ms)) return TONEHOST_ERR_CANCELLED;
        if (api->emit(call, p, len) != 0) return TONEHOST_ERR_CANCELLED;
        words++;
        if (l->progress_file[0]) {
            FILE *f = fopen(l->progress_file, "w");
            if (f) { fprintf(f, "%ld\n", words); fclose(f); }
        }
        p += len;
    }
    return TONEHOST_OK;
}

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.llm",
    .version = "1",
    .description = "test llm",
    .kind = TONEHOST_KIND_LLM,
    .create = create,
    .destroy = destroy,
    .generate = generate,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
