/* Tiny helpers for the test plugins: read flat keys out of the config JSON the host hands over.
 * (A real plugin would use a JSON parser; these configs are flat and written by the tests.) */
#ifndef TEST_PLUGIN_UTIL_H
#define TEST_PLUGIN_UTIL_H
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include "tonehost_plugin.h"

static inline const char *cfg_find(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    return p;
}

static inline long cfg_int(const char *json, const char *key, long fallback) {
    const char *p = cfg_find(json, key);
    if (!p) return fallback;
    if (*p == '"') p++;
    return strtol(p, NULL, 10);
}

/* Copies a string value (no escapes beyond \" and \\ and \/) into out. */
static inline void cfg_str(const char *json, const char *key, char *out, size_t size, const char *fallback) {
    const char *p = cfg_find(json, key);
    size_t n = 0;
    if (!p || *p != '"') {
        snprintf(out, size, "%s", fallback);
        return;
    }
    p++;
    while (*p && *p != '"' && n + 1 < size) {
        if (*p == '\\' && p[1]) p++;
        out[n++] = *p++;
    }
    out[n] = 0;
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Sleeps, waking every 10 ms to honour cancellation; returns 1 when cancelled. */
static inline int sleep_ms_cancellable(tonehost_call *call, const tonehost_call_api *api, long ms) {
    while (ms > 0) {
        if (api->is_cancelled(call)) return 1;
        long step = ms < 10 ? ms : 10;
        sleep_ms(step);
        ms -= step;
    }
    return api->is_cancelled(call);
}

static inline void append_line(const char *path, const char *line) {
    if (!path[0]) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "%s\n", line);
    fclose(f);
}

static inline int emit_str(tonehost_call *call, const tonehost_call_api *api, const char *s) {
    return api->emit(call, s, strlen(s));
}
#endif
