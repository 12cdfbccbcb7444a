/* Test describer. Config: text, delay_ms, mode ("ok" | "error" | "hang" | "empty"), calls_file. */
#include "test_plugin_util.h"
#include <pthread.h>

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct {
    char text[512];
    char mode[16];
    char calls_file[512];
    long delay_ms;
    pthread_mutex_t lock;
} describer;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    describer *d = calloc(1, sizeof *d);
    cfg_str(config, "text", d->text, sizeof d->text, "an elderly man with a walking stick");
    cfg_str(config, "mode", d->mode, sizeof d->mode, "ok");
    cfg_str(config, "calls_file", d->calls_file, sizeof d->calls_file, "");
    d->delay_ms = cfg_int(config, "delay_ms", 0);
    pthread_mutex_init(&d->lock, NULL);
    if (strcmp(d->mode, "refuse") == 0) {
        snprintf(error, error_size, "mode 'refuse' asked to fail create");
        free(d);
        return NULL;
    }
    host->log(host, TONEHOST_LOG_DEBUG, "test describer created");
    return d;
}

static void destroy(void *instance) { free(instance); }

static tonehost_status describe(void *instance, const tonehost_describe_request *request, tonehost_call *call,
                                const tonehost_call_api *api) {
    describer *d = instance;
    pthread_mutex_lock(&d->lock);
    append_line(d->calls_file, request->session_id);
    pthread_mutex_unlock(&d->lock);
    if (strcmp(d->mode, "hang") == 0) {
        sleep_ms(d->delay_ms > 0 ? d->delay_ms : 30000); /* ignores cancellation on purpose */
    } else if (d->delay_ms > 0) {
        sleep_ms(d->delay_ms); /* a blocking call, as a naive plugin would make */
    }
    if (strcmp(d->mode, "error") == 0) {
        api->fail(call, TONEHOST_ERR_UNAVAILABLE, "camera service unreachable (test)");
        return TONEHOST_ERR_UNAVAILABLE;
    }
    if (strcmp(d->mode, "empty") == 0) return TONEHOST_OK;
    emit_str(call, api, d->text);
    return TONEHOST_OK;
}

#ifndef TEST_DESCRIBER_FLAGS  /* lying_describer.c: the same describer, claiming NONBLOCKING */
#define TEST_DESCRIBER_FLAGS 0
#define TEST_DESCRIBER_ID "test.describer"
#endif

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = TEST_DESCRIBER_ID,
    .flags = TEST_DESCRIBER_FLAGS,
    .version = "1",
    .description = "test describer",
    .kind = TONEHOST_KIND_DESCRIBER,
    .create = create,
    .destroy = destroy,
    .describe = describe,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
