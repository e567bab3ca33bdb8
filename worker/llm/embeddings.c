/* Embeddings requests and strict reading of their replies. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "worker/llm/embeddings.h"
#include "worker/llm/failure.h"
#include "worker/llm/http.h"
#include "worker/llm/text.h"

static enum cv_err
write_request(struct cv_buf *out, const char *model, const char *const *texts, size_t count)
{
    size_t      i;
    enum cv_err rc;

    cv_buf_reset(out);
    rc = cv_buf_append_str(out, "{\"model\":");
    if (rc == CV_OK) {
        rc = wk_json_append_string(out, model, strlen(model));
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, ",\"input\":[");
    }
    for (i = 0; i < count && rc == CV_OK; i++) {
        if (i > 0) {
            rc = cv_buf_append_str(out, ",");
        }
        if (rc == CV_OK) {
            rc = wk_json_append_string(out, texts[i],
                                       wk_text_cut_len(texts[i], strlen(texts[i]),
                                                       WK_EMBED_INPUT_MAX_LEN));
        }
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, "]}");
    }
    return rc;
}

/* Checks one vector: numbers only, finite, and dimensions equal to *dims (set if 0). */
static int
is_valid_vector(const cJSON *vector, int *dims)
{
    const cJSON *value;
    int          count;

    if (!cJSON_IsArray(vector)) {
        return 0;
    }
    count = cJSON_GetArraySize(vector);
    if (count == 0 || count > WK_EMBED_DIMENSIONS_MAX || (*dims != 0 && count != *dims)) {
        return 0;
    }
    cJSON_ArrayForEach(value, vector) {
        if (!cJSON_IsNumber(value) || !isfinite(value->valuedouble)) {
            return 0;
        }
    }
    *dims = count;
    return 1;
}

/* Points slots[index] at each entry of "data", checking indexes and vectors. */
static enum cv_err
collect_vectors(cJSON *doc, size_t count, cJSON **slots, char *errbuf, size_t errbuf_len)
{
    cJSON       *data;
    cJSON       *entry;
    const cJSON *index;
    int          dims = 0;
    size_t       at;
    size_t       seen = 0;

    data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    if (!cJSON_IsArray(data) || (size_t)cJSON_GetArraySize(data) != count) {
        (void)snprintf(errbuf, errbuf_len, "embeddings reply has no \"data\" array of %zu "
                                           "entries", count);
        return CV_EUPSTREAM;
    }
    cJSON_ArrayForEach(entry, data) {
        index = cJSON_GetObjectItemCaseSensitive(entry, "index");
        /* Without an index the entries are in input order. */
        at = seen;
        if (cJSON_IsNumber(index)) {
            at = index->valuedouble >= 0 && index->valuedouble < (double)count
                     ? (size_t)index->valuedouble
                     : count;
        }
        if (at >= count || slots[at] != NULL ||
            !is_valid_vector(cJSON_GetObjectItemCaseSensitive(entry, "embedding"), &dims)) {
            (void)snprintf(errbuf, errbuf_len, "embeddings reply entry %zu is invalid", seen);
            return CV_EUPSTREAM;
        }
        slots[at] = entry;
        seen++;
    }
    return CV_OK;
}

enum cv_err
wk_embed(const struct wk_embedder *embedder, const char *const *texts, size_t count,
         cJSON **vectors, char *errbuf, size_t errbuf_len)
{
    struct wk_http_request  req;
    struct wk_http_response resp;
    struct wk_llm_verdict   verdict;
    cJSON                  *slots[WK_EMBED_BATCH_MAX] = {NULL};
    cJSON                  *doc = NULL;
    cJSON                  *list = NULL;
    size_t                  i;
    enum cv_err             rc;

    *vectors = NULL;
    if (count == 0 || count > WK_EMBED_BATCH_MAX) {
        (void)snprintf(errbuf, errbuf_len, "cannot embed %zu texts in one request", count);
        return CV_EINVAL;
    }
    rc = write_request(embedder->request, embedder->model, texts, count);
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len, "could not build the embeddings request");
        return rc == CV_ETOOLARGE ? CV_EINVAL : rc;
    }

    memset(&req, 0, sizeof(req));
    req.url = embedder->url;
    req.headers = embedder->headers;
    req.body = embedder->request->data;
    req.body_len = embedder->request->len;
    req.connect_timeout_ms = embedder->connect_timeout_ms;
    req.timeout_ms = embedder->timeout_ms;
    req.cancel = embedder->cancel;
    rc = wk_http_post(embedder->curl, &req, embedder->reply, &resp);
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len, "could not set up the embeddings request");
        return rc;
    }
    verdict = wk_llm_classify(resp.curl_code, resp.status, resp.is_too_large);
    if (verdict.code != WK_LLM_OK) {
        (void)snprintf(errbuf, errbuf_len, "embeddings request failed (%s): HTTP %ld %s",
                       wk_llm_code_name(verdict.code), resp.status, resp.error);
        return wk_llm_code_err(verdict.code);
    }

    doc = cJSON_ParseWithLength(embedder->reply->data, embedder->reply->len);
    if (doc == NULL) {
        (void)snprintf(errbuf, errbuf_len, "embeddings reply is not JSON");
        return CV_EUPSTREAM;
    }
    rc = collect_vectors(doc, count, slots, errbuf, errbuf_len);
    if (rc != CV_OK) {
        goto out;
    }
    list = cJSON_CreateArray();
    if (list == NULL) {
        rc = CV_ENOMEM;
        goto out;
    }
    for (i = 0; i < count; i++) {
        /* ownership of each vector moves from the reply's tree to list, in input order */
        cJSON_AddItemToArray(list, cJSON_DetachItemFromObjectCaseSensitive(slots[i],
                                                                           "embedding"));
    }
    *vectors = list;
    rc = CV_OK;
out:
    cJSON_Delete(doc);
    return rc;
}
