/* Test retriever: two fixed passages. Config: fail (1: fail every call), delay_ms, echo_vector (1:
 * first a passage titled "query vector" telling what vector the host handed over). */
#include <stdio.h>
#include <stddef.h>
#include "test_plugin_util.h"

TONEHOST_PLUGIN_DEFINE_ABI_VERSION;

typedef struct { long fail, delay_ms, echo_vector; } retriever;

static void *create(const tonehost_host_api *host, const char *config, char *error, size_t error_size) {
    (void)host; (void)error; (void)error_size;
    retriever *r = calloc(1, sizeof *r);
    r->fail = cfg_int(config, "fail", 0);
    r->delay_ms = cfg_int(config, "delay_ms", 0);
    r->echo_vector = cfg_int(config, "echo_vector", 0);
    return r;
}

static void destroy(void *instance) { free(instance); }

static tonehost_status retrieve(void *instance, const tonehost_retrieve_request *request, tonehost_call *call,
                                const tonehost_call_api *api) {
    retriever *r = instance;
    if (sleep_ms_cancellable(call, api, r->delay_ms)) return TONEHOST_ERR_CANCELLED;
    if (r->fail) {
        api->fail(call, TONEHOST_ERR_UNAVAILABLE, "index offline (test)");
        return TONEHOST_ERR_UNAVAILABLE;
    }
    if (r->echo_vector) {
        /* The appended fields, read only when the host's request reaches them. */
        char text[256];
        if (request->struct_size >= offsetof(tonehost_retrieve_request, vector_model) + sizeof(request->vector_model) &&
            request->query_vector && request->vector_dimension > 0) {
            double sum = 0;
            for (uint32_t i = 0; i < request->vector_dimension; i++) sum += request->query_vector[i];
            snprintf(text, sizeof text, "model=%s dimension=%u first=%.4f sum=%.4f", request->vector_model ? request->vector_model : "",
                     request->vector_dimension, request->query_vector[0], sum);
        } else {
            snprintf(text, sizeof text, "no vector");
        }
        tonehost_passage v = {sizeof(tonehost_passage), "vector", "query vector", text, "test", "en", 3.0};
        if (api->emit_passage(call, &v)) return TONEHOST_ERR_CANCELLED;
    }
    tonehost_passage a = {sizeof(tonehost_passage), "p1", "ITRI overview", "ITRI was founded in 1973.", "test", "en", 2.0};
    tonehost_passage b = {sizeof(tonehost_passage), "p2", "工研院簡介", "工研院成立於1973年。", "test", "zh-TW", 1.0};
    if (request->top_k >= 1 && api->emit_passage(call, &a)) return TONEHOST_ERR_CANCELLED;
    if (request->top_k >= 2 && api->emit_passage(call, &b)) return TONEHOST_ERR_CANCELLED;
    return TONEHOST_OK;
}

static const tonehost_plugin plugin = {
    .abi_version = TONEHOST_ABI_VERSION,
    .struct_size = sizeof(tonehost_plugin),
    .id = "test.retriever",
    .version = "1",
    .description = "test retriever",
    .kind = TONEHOST_KIND_RETRIEVER,
    .create = create,
    .destroy = destroy,
    .retrieve = retrieve,
};

TONEHOST_PLUGIN_EXPORT const tonehost_plugin *tonehost_plugin_entry(void) { return &plugin; }
