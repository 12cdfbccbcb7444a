/* A tone as a third party would write it with no tonehost header at all: plain C functions,
 * loaded through a manifest's [simple] table and called by the host through libffi. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char opener[64] = "Yo!";

/* int init(const char *config_json): reads {"opener": "..."} from the manifest's [config]. */
int plain_teen_init(const char *config_json) {
    const char *p = strstr(config_json, "\"opener\":\"");
    if (!p) return 0;
    p += strlen("\"opener\":\"");
    size_t n = strcspn(p, "\"");
    if (n >= sizeof opener) return 3; /* refuse: too long */
    memcpy(opener, p, n);
    opener[n] = 0;
    return 0;
}

char *plain_teen(const char *text, const char *language, const char *user_description, int is_final) {
    int zh = strcmp(language, "zh-TW") == 0;
    size_t n = strlen(text) + strlen(user_description) + 160;
    char *out = malloc(n);
    snprintf(out, n, "%s %s%s", opener, text, is_final ? (zh ? " 超酷的吧！" : " No cap, that's lit.") : "");
    return out;
}

void plain_teen_free(char *s) { free(s); }

/* A borrowed result (no free declared): static storage. */
char *plain_shout(const char *text) {
    static __thread char buf[4096];
    snprintf(buf, sizeof buf, "%s!!!", text);
    return buf;
}

/* Returns NULL: the host reports a failure and sends the text unconverted. */
char *plain_null(const char *text) { (void)text; return NULL; }

/* A tone selector: description -> category. */
char *plain_select(const char *user_description, const char *categories) {
    static char out[64];
    if (strstr(user_description, "skate") && strstr(categories, "teen_friendly")) strcpy(out, "teen_friendly");
    else strcpy(out, "casual_friendly");
    return out;
}

/* A describer: session id -> description. */
char *plain_describe(const char *session_id) {
    static __thread char out[256];
    snprintf(out, sizeof out, "a teenager with a skateboard (session %s)", session_id);
    return out;
}

/* A retriever: query -> JSON array of passages (malloc'd, freed with libc free). */
char *plain_retrieve(const char *query, int top_k) {
    char *out = malloc(512);
    snprintf(out, 512, "[{\"title\":\"Plain\",\"content\":\"ITRI was founded in 1973 (plain retriever, top %d, query: %.40s).\",\"source\":\"plain.c\"}]",
             top_k, strchr(query, '"') ? "quoted" : query);
    return out;
}
