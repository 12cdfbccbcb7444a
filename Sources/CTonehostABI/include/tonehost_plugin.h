/*
 * tonehost_plugin.h — the whole contract between the tonehost host and its plugins.
 *
 * A plugin is a shared object (.so) that exports exactly two symbols:
 *
 *   const uint32_t tonehost_plugin_abi_version;            (data)
 *   const tonehost_plugin *tonehost_plugin_entry(void);    (function)
 *
 * Use TONEHOST_PLUGIN_DEFINE_ABI_VERSION once in the plugin to define the first.
 * The host reads `tonehost_plugin_abi_version` with dlsym() BEFORE calling anything in the
 * library; if it differs from the host's TONEHOST_ABI_VERSION the library is refused with a
 * message naming the file, the version the plugin was built for and the one the host speaks.
 * Only then is `tonehost_plugin_entry` called; it returns a pointer to a static, immutable
 * descriptor that must stay valid for the life of the process (the host never dlclose()s).
 *
 * Naming: `tonehost_plugin_*` / fields of `tonehost_plugin` are implemented by the plugin;
 * `tonehost_host_*` / fields of `tonehost_host_api` and `tonehost_call_api` are offered by the host.
 *
 * --------------------------------------------------------------------------------------------
 * Conventions (read these once, they hold for every function below)
 * --------------------------------------------------------------------------------------------
 * Strings   All strings are NUL-terminated UTF-8. Strings the host passes in are borrowed: valid
 *           only until the function they were passed to returns (copy what you need to keep,
 *           e.g. for a TONEHOST_PENDING call). Strings the plugin passes to a host callback are
 *           copied by the host before the callback returns. No memory ever changes owner across
 *           the boundary: nobody frees what the other side allocated.
 * Structs   Every struct that may grow starts with `struct_size` (sizeof as the writer was
 *           compiled). Readers must check `struct_size` before touching a field added later.
 *           New fields are only ever appended. This is how the ABI grows without breaking old
 *           plugins; TONEHOST_ABI_VERSION changes only for incompatible changes.
 * Kinds     One plugin = one kind (describer, tone selector, tone, llm, retriever, embedder). It
 *           fills the one operation pointer of its kind and leaves the others NULL.
 * Config    `create` receives the manifest's [config] table as a JSON object (UTF-8, "{}" when
 *           empty), with ${VAR} / ${VAR:-default} references already expanded by the host.
 *           For tone plugins the host adds "tone_category" (the category this instance
 *           serves) when the table does not set it, so one library can serve several tones.
 *           For tone selectors the host adds "tone_cues": the [cues] of every tone manifest,
 *           {"teen_friendly": {"en": ["teenager", ...], "zh": ["青少年", ...],
 *           "precedence": "first"|"last"}}, so a rule-based selector can choose tones it was
 *           not built with.
 * Testing   `tonehost plugins test LIB` checks a library against these rules (UTF-8, large
 *           inputs, concurrency, cancellation and deadlines, error messages).
 * No header A plain C function can be a plugin too, with no tonehost symbols: see the
 *           manifest's [simple] table in the README ("Writing a plugin").
 * Errors    Operations return a tonehost_status. On failure, call `call_api->fail(call, status,
 *           message)` first with a message a person can act on; a negative return without a
 *           message is reported as "plugin returned <status>".
 * Threads   `create` and `destroy` run on a host-owned thread, never concurrently with any other
 *           call on the same instance. Operations run on host-owned worker threads that exist to
 *           be blocked: a plugin may do blocking I/O inside an operation. The host calls one
 *           instance from several threads at once unless the descriptor sets
 *           TONEHOST_FLAG_SERIALIZED, in which case the host never runs two operation
 *           functions of that instance at the same time (a TONEHOST_PENDING call counts as
 *           finished, for this rule, once its function has returned). Host callbacks (tonehost_host_api, tonehost_call_api) are thread-safe and
 *           may be called from any thread, including threads the plugin created.
 * Deadlines Every operation carries a deadline. `call_api->remaining_ms(call)` tells how much
 *           time is left (UINT64_MAX = none). When the deadline passes, or the client goes away,
 *           the call is cancelled: `is_cancelled` returns 1 and `emit*` return non-zero. The host
 *           stops waiting at once; it ignores anything the plugin delivers afterwards, so a
 *           plugin that notices late wastes only its own time. A plugin should check
 *           `is_cancelled` (or the return of `emit*`) between units of work and return
 *           TONEHOST_ERR_CANCELLED.
 * Async     An operation may return TONEHOST_PENDING instead of finishing synchronously; it then
 *           owns the call until it calls `call_api->complete(call, status)` exactly once, from
 *           any thread. Until `complete`, the call and its callbacks stay valid; after it, the
 *           plugin must not touch the call again. A synchronous return (anything but PENDING)
 *           completes the call implicitly.
 */
#ifndef TONEHOST_PLUGIN_H
#define TONEHOST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes. Bumped only for incompatible changes. */
#define TONEHOST_ABI_VERSION 1u

/** Symbol names the host looks up with dlsym(). */
#define TONEHOST_PLUGIN_ABI_VERSION_SYMBOL "tonehost_plugin_abi_version"
#define TONEHOST_PLUGIN_ENTRY_SYMBOL "tonehost_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define TONEHOST_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define TONEHOST_PLUGIN_EXPORT
#endif

/** Put this once in a plugin's C source to export the ABI version it was built against. */
#define TONEHOST_PLUGIN_DEFINE_ABI_VERSION \
    TONEHOST_PLUGIN_EXPORT const uint32_t tonehost_plugin_abi_version = TONEHOST_ABI_VERSION

/* ------------------------------------------------------------------------------------------ */
/* Status codes                                                                                */
/* ------------------------------------------------------------------------------------------ */
typedef int32_t tonehost_status;
#define TONEHOST_OK 0                      /**< finished; everything was delivered */
#define TONEHOST_PENDING 1                 /**< will finish later with call_api->complete() */
#define TONEHOST_ERR_INVALID_ARGUMENT (-1) /**< the request cannot be served as given */
#define TONEHOST_ERR_UNAVAILABLE (-2)      /**< a backend is down or unreachable */
#define TONEHOST_ERR_TIMEOUT (-3)          /**< a backend did not answer in time */
#define TONEHOST_ERR_CANCELLED (-4)        /**< the call was cancelled (deadline or client) */
#define TONEHOST_ERR_BAD_RESPONSE (-5)     /**< a backend answered with something unusable */
#define TONEHOST_ERR_INTERNAL (-6)         /**< a bug or resource failure in the plugin */
#define TONEHOST_ERR_CONFIG (-7)           /**< the [config] table is invalid (create only) */

/* ------------------------------------------------------------------------------------------ */
/* Kinds and flags                                                                              */
/* ------------------------------------------------------------------------------------------ */
typedef enum tonehost_kind {
    TONEHOST_KIND_DESCRIBER = 1,     /**< describes the visitor of a session (VLM, simulator) */
    TONEHOST_KIND_TONE_SELECTOR = 2, /**< maps a description to a tone category name */
    TONEHOST_KIND_TONE = 3,          /**< rewrites text in ONE tone category */
    TONEHOST_KIND_LLM = 4,           /**< generates an answer, streamed */
    TONEHOST_KIND_RETRIEVER = 5,     /**< finds passages for a query */
    /* ---- appended ---- */
    TONEHOST_KIND_EMBEDDER = 6       /**< turns texts into vectors (see embed) */
} tonehost_kind;

/** The host never runs two operation functions of one instance at the same time. */
#define TONEHOST_FLAG_SERIALIZED (1u << 0)
/** Tone plugins: convert sentence by sentence (see convert_tone). Without it the host hands
 *  over the whole answer in one call once generation has finished. */
#define TONEHOST_FLAG_TONE_STREAMING (1u << 1)
/** Operations only compute: they never sleep, wait for I/O or for locks held long by others.
 *  The host then calls them on the thread that asks (no hand-over to another thread) or on a
 *  small fixed set of threads (about two per core), never on its elastic pool for blocking
 *  calls, so a burst of quick calls creates no threads. The deadline then holds through
 *  `is_cancelled` and the emit functions (they report cancellation once it has passed), not
 *  through a timer. A call that waits (sleeps, reads, takes a contended lock) for more than
 *  20 ms breaks the promise: the host logs it and treats the instance's later calls as
 *  blocking ones. `warmup` is exempt: it always runs
 *  on a thread that may block. */
#define TONEHOST_FLAG_NONBLOCKING (1u << 2)

/* ------------------------------------------------------------------------------------------ */
/* Host services, handed to the plugin at create                                               */
/* ------------------------------------------------------------------------------------------ */
typedef enum tonehost_log_level {
    TONEHOST_LOG_TRACE = 0,
    TONEHOST_LOG_DEBUG = 1,
    TONEHOST_LOG_INFO = 2,
    TONEHOST_LOG_WARNING = 3,
    TONEHOST_LOG_ERROR = 4
} tonehost_log_level;

typedef struct tonehost_host_api tonehost_host_api;
struct tonehost_host_api {
    uint32_t struct_size;
    /** TONEHOST_ABI_VERSION of the host. */
    uint32_t abi_version;
    /** Opaque; pass the api pointer back to the functions below. */
    void *host_data;
    /** Writes one log line labelled with the plugin's manifest name. Any thread. Never log
     *  secrets: the host does not scrub plugin messages. */
    void (*log)(const tonehost_host_api *host, tonehost_log_level level, const char *message);
    /** Returns an optional host service by versioned id (e.g. TONEHOST_HOST_EXT_LLM), or NULL
     *  when this host does not offer it. The returned table lives as long as the instance.
     *  Any thread. Always check for NULL. */
    const void *(*get_extension)(const tonehost_host_api *host, const char *extension_id);
};

/* ------------------------------------------------------------------------------------------ */
/* Per-call context: how results come back                                                     */
/* ------------------------------------------------------------------------------------------ */
/** Opaque host object for one operation call. */
typedef struct tonehost_call tonehost_call;

/** A retrieved passage; every string may be "" but never NULL. */
typedef struct tonehost_passage {
    uint32_t struct_size;
    const char *id;       /**< stable id within the retriever */
    const char *title;
    const char *content;  /**< the text handed to the LLM */
    const char *source;   /**< file, URL or "" */
    const char *language; /**< "en", "zh-TW" or "" when unknown */
    double score;         /**< higher is better; only comparable within one retriever */
} tonehost_passage;

typedef struct tonehost_call_api tonehost_call_api;
struct tonehost_call_api {
    uint32_t struct_size;
    /** Delivers text: the description (describer), the category name (tone selector), a chunk
     *  of output (tone, llm). Chunks are concatenated in order. `text` need not be
     *  NUL-terminated; `len` is in bytes and chunks may split a UTF-8 sequence. Returns 0 to
     *  continue, non-zero when the call is cancelled (stop working and return). Any thread. */
    int (*emit)(tonehost_call *call, const char *text, size_t len);
    /** Delivers one passage (retriever). Same return convention as emit. Any thread. */
    int (*emit_passage)(tonehost_call *call, const tonehost_passage *passage);
    /** Records why the call failed; call before returning/completing with a negative status. */
    void (*fail)(tonehost_call *call, tonehost_status status, const char *message);
    /** 1 once the call is cancelled (deadline passed or client gone), else 0. */
    int (*is_cancelled)(tonehost_call *call);
    /** Milliseconds until the deadline; 0 when passed; UINT64_MAX when there is none. */
    uint64_t (*remaining_ms)(tonehost_call *call);
    /** Finishes a call that returned TONEHOST_PENDING. Exactly once. Any thread. */
    void (*complete)(tonehost_call *call, tonehost_status status);
    /* ---- appended (check struct_size before calling) ---- */
    /** Delivers the vector of text number `index` of an embed request (embedder): `dimension`
     *  floats, copied before the call returns. Every text gets exactly one vector, all of the
     *  same dimension; they may come in any order. Same return convention as emit. Any thread. */
    int (*emit_vector)(tonehost_call *call, size_t index, const float *values, size_t dimension);
    /** Calls `callback(context)` exactly once when the call ends, however it ends — the plugin
     *  returned or completed it, its deadline passed, or the host cancelled it (the client went
     *  away) — or at once, before returning, if it already has. Any thread; the callback may run
     *  inside the plugin's own `complete`. For a PENDING operation: stop the work it started (an
     *  HTTP transfer, a timer) the moment the host gives up, instead of polling `is_cancelled`.
     *  The callback must not block. Check struct_size before calling (hosts before it lack it). */
    void (*on_end)(tonehost_call *call, void (*callback)(void *context), void *context);
};

/* ------------------------------------------------------------------------------------------ */
/* Requests, one per kind. All strings borrowed for the duration of the operation call.        */
/* ------------------------------------------------------------------------------------------ */
typedef struct tonehost_describe_request {
    uint32_t struct_size;
    const char *session_id;   /**< the kiosk session; "default" when the client sent none */
    const char *image_base64; /**< a camera frame (JPEG/PNG, base64) or "" */
} tonehost_describe_request;

typedef struct tonehost_select_request {
    uint32_t struct_size;
    const char *user_description; /**< never empty: the host skips selection for "" */
    const char *language;         /**< language of the question: "en" or "zh-TW" */
    const char *const *categories; /**< tone categories with a loaded plugin */
    size_t category_count;
} tonehost_select_request;
/* Emit exactly one category name. A name outside `categories` is treated as casual_friendly. */

typedef struct tonehost_tone_request {
    uint32_t struct_size;
    const char *text;             /**< the answer, or one segment of it (see below) */
    const char *user_description; /**< "" when unknown */
    const char *user_msg;         /**< the visitor's question */
    const char *language;         /**< "en" or "zh-TW" */
    int32_t first_message;        /**< 1 when the session has no history: greeting allowed */
    /** With TONEHOST_FLAG_TONE_STREAMING the host calls convert_tone once per sentence as the
     *  answer is generated (segment_index 0, 1, 2, …, is_final 0) and then once more with
     *  is_final 1 and the remaining text, which may be "" (a chance to add a closing line).
     *  Without the flag there is exactly one call: segment_index 0, is_final 1, whole answer. */
    uint32_t segment_index;
    int32_t is_final;
    const char *session_id;
    /* ---- appended (check struct_size before reading) ---- */
    /** The per-answer state `tone_stream_begin` returned for this answer (NULL when the plugin
     *  has no tone_stream_begin, or for a conversion outside an answer stream). Every segment of
     *  one answer carries the same pointer; two answers never share one, even in one session. */
    void *stream;
} tonehost_tone_request;

typedef struct tonehost_message {
    const char *role;    /**< "system", "user" or "assistant" */
    const char *content;
} tonehost_message;

typedef struct tonehost_llm_request {
    uint32_t struct_size;
    /** What the text is for: "answer" (RAG answer), "tone", "select", "rewrite" or a
     *  plugin-defined purpose. */
    const char *purpose;
    /** A ready chat prompt: the host has already fenced passages and the question into it.
     *  Model-backed plugins send these messages as they are. */
    const tonehost_message *messages;
    size_t message_count;
    /** The raw material behind the prompt, for plugins that work without a model (an
     *  extractive answerer ranks these passages against the question). */
    const char *question;
    const char *language; /**< language the answer must be in: "en" or "zh-TW" */
    const tonehost_passage *passages;
    size_t passage_count;
    double temperature; /**< < 0 means "plugin default" */
    int32_t max_tokens; /**< <= 0 means "plugin default" */
    /* ---- appended (check struct_size before reading) ---- */
    /** The size of one element of `messages` and of `passages` as the host laid them out: index
     *  with these, not with your own sizeof, so elements that grew in a newer host still work
     *  (e.g. `(const tonehost_passage *)((const char *)passages + i * passage_stride)`). When
     *  struct_size does not reach these fields, the strides are the ABI-1 sizes. */
    size_t message_stride;
    size_t passage_stride;
} tonehost_llm_request;

typedef struct tonehost_retrieve_request {
    uint32_t struct_size;
    const char *query;
    const char *language; /**< language of the question; a preference, not a filter */
    uint32_t top_k;       /**< emit at most this many passages, best first */
    /* ---- appended (check struct_size before reading) ---- */
    /** With an embedder configured, the host embeds the query (purpose "query") before calling
     *  the retriever: `query_vector` holds `vector_dimension` floats made by the model named
     *  `vector_model` (what the embedder emitted, e.g. "ollama:bge-m3"). Without one, NULL, 0
     *  and "". A retriever may use the vector (dense or hybrid ranking) or ignore it. */
    const float *query_vector;
    uint32_t vector_dimension;
    const char *vector_model;
} tonehost_retrieve_request;

/** Embedder: one vector per text. Emit the model's identity once with `emit` (e.g.
 *  "ollama:bge-m3"; stores use it to tell vectors of different models apart) and each vector
 *  with `emit_vector(call, index, values, dimension)`. */
typedef struct tonehost_embed_request {
    uint32_t struct_size;
    /** "query" (a question to search with) or "document" (a passage to be found); asymmetric
     *  models (e5, bge with instructions) embed the two differently. */
    const char *purpose;
    const char *const *texts;
    size_t text_count;
} tonehost_embed_request;

/* ------------------------------------------------------------------------------------------ */
/* The plugin descriptor                                                                        */
/* ------------------------------------------------------------------------------------------ */
typedef struct tonehost_plugin tonehost_plugin;
struct tonehost_plugin {
    /** Must equal TONEHOST_ABI_VERSION; checked again after the entry call. */
    uint32_t abi_version;
    uint32_t struct_size;
    const char *id;          /**< reverse-DNS id, e.g. "org.example.tone.teen" */
    const char *version;     /**< the plugin's own version, free text */
    const char *description; /**< one line for `tonehost plugins list` */
    tonehost_kind kind;
    uint32_t flags;          /**< TONEHOST_FLAG_* */
    /** Tone plugins: the category they implement, e.g. "teen_friendly". A manifest's
     *  `tone_category` overrides it (so one library can serve several categories). */
    const char *tone_category;

    /** Creates an instance. `config_json` is the manifest's [config] table as JSON. On failure
     *  write a NUL-terminated reason into `error` (at most error_size bytes) and return NULL.
     *  `host` stays valid until destroy. */
    void *(*create)(const tonehost_host_api *host, const char *config_json, char *error,
                    size_t error_size);
    /** Destroys an instance once no call on it is running or pending. */
    void (*destroy)(void *instance);

    /* Operations: fill the one that matches `kind`, leave the others NULL. */
    tonehost_status (*describe)(void *instance, const tonehost_describe_request *request,
                                tonehost_call *call, const tonehost_call_api *call_api);
    tonehost_status (*select_tone)(void *instance, const tonehost_select_request *request,
                                   tonehost_call *call, const tonehost_call_api *call_api);
    tonehost_status (*convert_tone)(void *instance, const tonehost_tone_request *request,
                                    tonehost_call *call, const tonehost_call_api *call_api);
    tonehost_status (*generate)(void *instance, const tonehost_llm_request *request,
                                tonehost_call *call, const tonehost_call_api *call_api);
    tonehost_status (*retrieve)(void *instance, const tonehost_retrieve_request *request,
                                tonehost_call *call, const tonehost_call_api *call_api);
    /** Optional (may be NULL): make the backend ready (load a model, open a connection) and
     *  emit one line saying what was warmed. Same rules as an operation. */
    tonehost_status (*warmup)(void *instance, tonehost_call *call,
                              const tonehost_call_api *call_api);
    /** Optional (may be NULL): an optional feature of this instance by versioned id (e.g.
     *  TONEHOST_EXT_DESCRIPTION_POOL), or NULL when it has none. The returned table must live
     *  as long as the instance. Any thread. */
    const void *(*get_extension)(void *instance, const char *extension_id);

    /* ---- appended (the host reads these only when struct_size covers them) ---- */
    /** Optional, tone plugins with TONEHOST_FLAG_TONE_STREAMING: per-answer state. The host
     *  calls `tone_stream_begin` before the first segment of each answer (with that first
     *  request) and passes what it returns as `request->stream` with every segment of the
     *  answer; after the last segment (or when the answer is cancelled or fails) it calls
     *  `tone_stream_end` once with it. Neither may block; both may run on any host thread,
     *  concurrently for different answers. Plugins without them keep working (ABI 1). */
    void *(*tone_stream_begin)(void *instance, const tonehost_tone_request *first);
    void (*tone_stream_end)(void *instance, void *stream);
    /** Embedder (TONEHOST_KIND_EMBEDDER): see tonehost_embed_request. The host sends batches of
     *  at most the manifest's `batch_size` texts (default 32). */
    tonehost_status (*embed)(void *instance, const tonehost_embed_request *request,
                             tonehost_call *call, const tonehost_call_api *call_api);
};

/* ------------------------------------------------------------------------------------------ */
/* Host extensions (services a plugin may fetch with host->get_extension)                      */
/* ------------------------------------------------------------------------------------------ */
/** The host's LLM service: plugins (an LLM-driven tone, a tone selector…) reach the LLM
 *  backend the operator configured without embedding an HTTP client or knowing which backend
 *  it is. Served by the llm manifest with role = "service", else the answering llm. */
#define TONEHOST_HOST_EXT_LLM "tonehost.llm.v1"
typedef void (*tonehost_text_fn)(void *context, const char *text, size_t len);
typedef void (*tonehost_chat_done_fn)(void *context, tonehost_status status, const char *error);
typedef struct tonehost_host_llm {
    uint32_t struct_size;
    /** Runs one chat completion and blocks the calling thread until it ends. Call it only from
     *  inside an operation, passing that operation's `call`: its deadline and cancellation
     *  apply. Not from a TONEHOST_FLAG_NONBLOCKING operation (use `chat_start`): there it
     *  returns TONEHOST_ERR_INVALID_ARGUMENT at once, with the reason in `error`. Generated text arrives through `on_text(context, …)` as it is produced, possibly
     *  from another thread, never after `chat` returns. On failure, writes a NUL-terminated
     *  reason into `error` and returns a negative status (TONEHOST_ERR_UNAVAILABLE when no LLM
     *  is configured). `temperature` < 0 means the backend's default. */
    tonehost_status (*chat)(const tonehost_host_api *host, tonehost_call *call, const char *purpose,
                            const tonehost_message *messages, size_t message_count, double temperature,
                            tonehost_text_fn on_text, void *context, char *error, size_t error_size);
    /* ---- appended: check struct_size before use (older hosts lack it) ---- */
    /** Starts one chat completion and returns at once, holding no thread while the LLM works:
     *  for a TONEHOST_FLAG_NONBLOCKING operation, which returns TONEHOST_PENDING and completes
     *  its call from `on_done`. Same arguments and rules as `chat` (pass the operation's `call`:
     *  its deadline and cancellation apply to the chat). Text arrives through
     *  `on_text(context, …)`, then `on_done(context, status, error)` is called exactly once from
     *  a host thread — `error` is NULL on success, else a NUL-terminated reason (borrowed) —
     *  and neither is called again. `on_done` may run before `chat_start` returns. Returns
     *  TONEHOST_OK when the chat started; a negative status when it could not start, in which
     *  case neither callback is ever called (TONEHOST_ERR_UNAVAILABLE: no LLM configured). */
    tonehost_status (*chat_start)(const tonehost_host_api *host, tonehost_call *call, const char *purpose,
                                  const tonehost_message *messages, size_t message_count, double temperature,
                                  tonehost_text_fn on_text, tonehost_chat_done_fn on_done, void *context);
} tonehost_host_llm;

/* ------------------------------------------------------------------------------------------ */
/* Plugin extensions (optional features a plugin may offer through get_extension)             */
/* ------------------------------------------------------------------------------------------ */
/** Describers that pick from a fixed pool (simulators) can list it; the description server's
 *  GET /api/simulator/pool shows it. */
#define TONEHOST_EXT_DESCRIPTION_POOL "tonehost.description-pool.v1"
typedef struct tonehost_description_pool_ext {
    uint32_t struct_size;
    /** Emits every description of the pool: one `emit` call per whole description. Same
     *  rules as an operation. */
    tonehost_status (*list)(void *instance, tonehost_call *call, const tonehost_call_api *call_api);
} tonehost_description_pool_ext;

/** The host's embedder service: a plugin (a retriever seeding its store) embeds texts with the
 *  embedder the operator configured. Served by the active embedder manifest; absent (NULL)
 *  when none is configured. */
#define TONEHOST_HOST_EXT_EMBEDDER "tonehost.embedder.v1"
typedef void (*tonehost_vector_fn)(void *context, size_t index, const float *values, size_t dimension);
typedef struct tonehost_host_embedder {
    uint32_t struct_size;
    /** Embeds `count` texts and blocks the calling thread until done. Call it only from inside
     *  an operation, passing that operation's `call` (its deadline and cancellation apply).
     *  Vectors arrive through `on_vector` (any order, never after `embed` returns); the model's
     *  identity is written NUL-terminated into `model` (at most model_size bytes). On failure,
     *  writes a reason into `error` and returns a negative status. */
    tonehost_status (*embed)(const tonehost_host_api *host, tonehost_call *call, const char *purpose,
                             const char *const *texts, size_t count, tonehost_vector_fn on_vector, void *context,
                             char *model, size_t model_size, char *error, size_t error_size);
} tonehost_host_embedder;

/** Retrievers that own a store: the host's `POST /api/rag-llm/init` and the `rag_initialized`
 *  of `/health` go through these, so they stay true whichever retriever is active. */
#define TONEHOST_EXT_RETRIEVER_ADMIN "tonehost.retriever-admin.v1"
typedef struct tonehost_retriever_admin_ext {
    uint32_t struct_size;
    /** Emits one line saying what the retriever serves ("142 passages, vectors by
     *  ollama:bge-m3"). Returns TONEHOST_OK when it can answer questions, a negative status
     *  (with `fail`) when it cannot (empty store, collection missing, server down). Same rules
     *  as an operation. */
    tonehost_status (*status)(void *instance, tonehost_call *call, const tonehost_call_api *call_api);
    /** (Re)initialises: opens the store, seeds it when empty, checks the collection. Emits one
     *  line as `status` does. Same rules as an operation. */
    tonehost_status (*initialize)(void *instance, tonehost_call *call, const tonehost_call_api *call_api);
} tonehost_retriever_admin_ext;

/** The entry point. Returns a static descriptor; must not fail, allocate or block. */
typedef const tonehost_plugin *(*tonehost_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* TONEHOST_PLUGIN_H */
