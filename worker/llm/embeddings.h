/*
 * Calls to an OpenAI-compatible embeddings endpoint (POST {base}/embeddings), for
 * retrieval by cosine similarity when EMBEDDINGS_BASE_URL is set.
 */
#ifndef WK_LLM_EMBEDDINGS_H
#define WK_LLM_EMBEDDINGS_H

#include <stdatomic.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"

/* Most inputs sent in one request; larger sets are sent in several. */
#define WK_EMBED_BATCH_MAX 64

/* Maximum input sent, in bytes. Longer texts are cut at a character boundary, because
 * embedding models take a few thousand tokens at most. */
#define WK_EMBED_INPUT_MAX_LEN 8000

/* Largest vector accepted, in dimensions. */
#define WK_EMBED_DIMENSIONS_MAX 8192

struct wk_embedder {
    CURL              *curl;                /* borrowed, the thread's handle */
    const char        *url;                 /* borrowed, {base}/embeddings */
    struct curl_slist *headers;             /* borrowed */
    const char        *model;               /* borrowed */
    long               connect_timeout_ms;
    long               timeout_ms;
    struct cv_buf     *request;             /* borrowed scratch buffer */
    struct cv_buf     *reply;               /* borrowed scratch buffer, bounded */
    const atomic_int  *cancel;              /* borrowed, non-zero aborts; NULL = none */
};

/*
 * Embeds count texts (count <= WK_EMBED_BATCH_MAX) in one request. On CV_OK *vectors
 * is a new cJSON array of count arrays of numbers, in input order and of equal
 * dimensions, which the caller frees with cJSON_Delete(). On failure errbuf contains
 * the reason. Returns CV_EUNAVAIL or CV_ETIMEOUT when the endpoint failed, CV_EUPSTREAM
 * when it rejected the request or replied with something else, CV_ENOMEM. Blocks for
 * at most embedder->timeout_ms.
 */
enum cv_err wk_embed(const struct wk_embedder *embedder, const char *const *texts,
                     size_t count, cJSON **vectors, char *errbuf, size_t errbuf_len);

#endif
