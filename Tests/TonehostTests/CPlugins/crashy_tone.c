/* A tone that misbehaves on purpose, to be run isolated: config "mode" = "ok" | "segv" | "abort"
 * | "exit" | "hang" | "eat", "every" = misbehave on every Nth call (default 1). Otherwise it
 * upper-cases nothing and answers "[crashy] <text>". */
#include "test_plugin_util.h"
#include <pthread.h>
#include <signal.h>

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { char mode[16]; long every; long calls; pthread_mutex_t lock; } crashy;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)error; (void)error_size;
    crashy *c = calloc(1, sizeof *c);
    cfg_str(config, "mode", c->mode, sizeof c->mode, "ok");
    c->every = cfg_int(config, "every", 1);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void destroy(void *instance) { free(instance); }

static tonehost_status convert_tone(void *instance, const tonehost_tone_request *request, tonehost_call *call,
                                    const tonehost_call_api *api) {
    crashy *c = instance;
    pthread_mutex_lock(&c->lock);
    long n = ++c->calls;
    pthread_mutex_unlock(&c->lock);
    if (strcmp(c->mode, "ok") != 0 && n % c->every == 0) {
        if (strcmp(c->mode, "segv") == 0) { volatile int *p = NULL; *p = 42; }
        if (strcmp(c->mode, "abort") == 0) abort();
        if (strcmp(c->mode, "exit") == 0) exit(3);
        if (strcmp(c->mode, "hang") == 0) for (;;) sleep_ms(1000); /* ignores cancellation */
        if (strcmp(c->mode, "eat") == 0) {
            for (;;) { char *p = malloc(1 << 20); if (!p) abort(); memset(p, 1, 1 << 20); }
        }
    }
    if (emit_str(call, api, "[crashy] ")) return TONEHOST_ERR_CANCELLED;
    if (emit_str(call, api, request->text)) return TONEHOST_ERR_CANCELLED;
    return TONEHOST_OK;
}

static const tonehost_plugin descriptor = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.tone.crashy",
    .version = "1",
    .description = "crashes, aborts, exits, hangs or eats memory on request",
    .kind = TONEHOST_KIND_TONE,
    .tone_category = "crashy_friendly",
    .create = create,
    .destroy = destroy,
    .convert_tone = convert_tone,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &descriptor; }
