/*
 * Resolution of a job's reference documents, and storage of inline ones. A default
 * document is recognised by comparing the whole text in SQL, which needs no knowledge
 * of how the caller resolved the text. The thread's cache of text digests saves that
 * round trip for the texts it has seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/passage.h"
#include "common/sha256.h"
#include "worker/llm/documents.h"

static const char *const kind_names[WK_DOC_KIND_COUNT] = {
    "job_description", "case_study_brief", "scoring_rubric",
};

/* Stored documents whose text is one of the job's; the job's own rows win over defaults. */
static const char resolve_sql[] =
    "SELECT kind, id, is_default FROM kb_documents"
    " WHERE (is_default OR job_id = $1::uuid)"
    "   AND ((kind = 'job_description' AND body = $2)"
    "     OR (kind = 'case_study_brief' AND body = $3)"
    "     OR (kind = 'scoring_rubric' AND body = $4))"
    " ORDER BY is_default";

static const char insert_document_sql[] =
    "INSERT INTO kb_documents (id, kind, title, body, sha256, is_default, job_id)"
    " VALUES ($1, $2, $3, $4, $5, false, $6::uuid)"
    " ON CONFLICT (id) DO NOTHING RETURNING id";

/* All passages of one document in one statement, from a JSON array. */
static const char insert_passages_sql[] =
    "INSERT INTO kb_passages (document_id, ordinal, section, weight, body)"
    " SELECT $1, (p->>'ordinal')::int, p->>'section', (p->>'weight')::real, p->>'body'"
    "   FROM jsonb_array_elements($2::jsonb) AS p";

const char *
wk_doc_kind_name(enum wk_doc_kind kind)
{
    return kind >= 0 && kind < WK_DOC_KIND_COUNT ? kind_names[kind] : "unknown";
}

static const char *
text_of(const struct wk_eval_input *in, int kind)
{
    switch (kind) {
    case WK_DOC_JOB_DESCRIPTION:
        return in->job_description;
    case WK_DOC_CASE_STUDY_BRIEF:
        return in->case_study_brief;
    default:
        return in->scoring_rubric;
    }
}

/* Builds [{"ordinal","section","weight","body"}, ...] for insert_passages_sql. */
static char *
passages_json(const struct cv_passage_doc *doc)
{
    cJSON  *list;
    cJSON  *item;
    char   *text = NULL;
    size_t  i;

    list = cJSON_CreateArray();
    if (list == NULL) {
        return NULL;
    }
    for (i = 0; i < doc->count; i++) {
        item = cJSON_CreateObject();
        if (item == NULL) {
            goto out;
        }
        /* ownership of item moves to list */
        cJSON_AddItemToArray(list, item);
        if (cJSON_AddNumberToObject(item, "ordinal", doc->passages[i].ordinal) == NULL ||
            cJSON_AddStringToObject(item, "section", doc->passages[i].section) == NULL ||
            cJSON_AddNumberToObject(item, "weight", doc->passages[i].weight) == NULL ||
            cJSON_AddStringToObject(item, "body", doc->passages[i].body) == NULL) {
            goto out;
        }
    }
    text = cJSON_PrintUnformatted(list);
out:
    cJSON_Delete(list);
    return text;
}

/* Splits and stores the job's own text of kind, unless a concurrent run already did. */
static enum cv_err
store_inline(struct cv_db *db, const struct wk_eval_input *in, int kind, const char *id,
             char *errbuf, size_t errbuf_len)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 0};
    struct cv_passage_doc  doc;
    char                   digest[CV_SHA256_HEX_LEN];
    char                   split_error[256];
    const char            *text = text_of(in, kind);
    const char            *title;
    const char            *params[6];
    char                  *json = NULL;
    PGresult              *res = NULL;
    enum cv_err            rc;

    memset(&doc, 0, sizeof(doc));
    rc = cv_sha256_hex(text, strlen(text), digest);
    if (rc != CV_OK) {
        return rc;
    }
    rc = cv_passage_split(text, strlen(text), &opts, &doc, split_error, sizeof(split_error));
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len, "cannot split the job's %s: %s", kind_names[kind],
                       split_error);
        return rc;
    }
    if (doc.count == 0) {
        (void)snprintf(errbuf, errbuf_len, "the job's %s has no text", kind_names[kind]);
        rc = CV_EINVAL;
        goto out;
    }
    title = doc.title[0] != '\0' ? doc.title : in->job_title != NULL ? in->job_title
                                                                    : kind_names[kind];

    params[0] = id;
    params[1] = kind_names[kind];
    params[2] = title;
    params[3] = text;
    params[4] = digest;
    params[5] = in->job_id;
    rc = cv_db_begin(db);
    if (rc == CV_OK) {
        rc = cv_db_exec(db, insert_document_sql, 6, params, &res);
    }
    if (rc == CV_OK && PQntuples(res) == 1) {
        json = passages_json(&doc);
        if (json == NULL) {
            rc = CV_ENOMEM;
        } else {
            params[1] = json;
            rc = cv_db_exec(db, insert_passages_sql, 2, params, NULL);
        }
    }
    if (rc == CV_OK) {
        rc = cv_db_commit(db);
    }
    if (rc != CV_OK) {
        if (rc != CV_ENOMEM) {
            (void)snprintf(errbuf, errbuf_len, "could not store the job's %s: %s",
                           kind_names[kind], cv_db_errmsg(db));
        }
        cv_db_rollback(db);
    }
out:
    PQclear(res);
    free(json);
    cv_passage_doc_cleanup(&doc);
    return rc;
}

/* Fills docs from cache when every text's digest is remembered; returns 1 if so. */
static int
resolve_from_cache(const struct wk_doc_cache *cache,
                   char digests[WK_DOC_KIND_COUNT][CV_SHA256_HEX_LEN],
                   struct wk_job_documents *docs)
{
    int k;

    for (k = 0; k < WK_DOC_KIND_COUNT; k++) {
        if (strcmp(cache->digests[k], digests[k]) != 0) {
            return 0;
        }
    }
    for (k = 0; k < WK_DOC_KIND_COUNT; k++) {
        memcpy(docs->ids[k], cache->ids[k], sizeof(docs->ids[k]));
        docs->is_inline[k] = 0;
    }
    return 1;
}

enum cv_err
wk_documents_resolve(struct cv_db *db, const struct wk_eval_input *in,
                     struct wk_doc_cache *cache, struct wk_job_documents *docs,
                     char *errbuf, size_t errbuf_len)
{
    char        digests[WK_DOC_KIND_COUNT][CV_SHA256_HEX_LEN];
    const char *params[4];
    PGresult   *res = NULL;
    const char *kind;
    int         row;
    int         k;
    enum cv_err rc;

    memset(docs, 0, sizeof(*docs));
    for (k = 0; k < WK_DOC_KIND_COUNT; k++) {
        if (text_of(in, k) == NULL || text_of(in, k)[0] == '\0') {
            (void)snprintf(errbuf, errbuf_len, "the job's %s is empty", kind_names[k]);
            return CV_EINVAL;
        }
        rc = cv_sha256_hex(text_of(in, k), strlen(text_of(in, k)), digests[k]);
        if (rc != CV_OK) {
            return rc;
        }
    }
    if (cache != NULL && resolve_from_cache(cache, digests, docs)) {
        return CV_OK;
    }

    params[0] = in->job_id;
    params[1] = in->job_description;
    params[2] = in->case_study_brief;
    params[3] = in->scoring_rubric;
    rc = cv_db_exec(db, resolve_sql, 4, params, &res);
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len, "could not look up reference documents: %s",
                       cv_db_errmsg(db));
        return rc;
    }
    for (row = 0; row < PQntuples(res); row++) {
        kind = PQgetvalue(res, row, 0);
        for (k = 0; k < WK_DOC_KIND_COUNT; k++) {
            if (strcmp(kind, kind_names[k]) == 0 && docs->ids[k][0] == '\0') {
                (void)snprintf(docs->ids[k], sizeof(docs->ids[k]), "%s",
                               PQgetvalue(res, row, 1));
                docs->is_inline[k] = strcmp(PQgetvalue(res, row, 2), "t") != 0;
                if (cache != NULL && !docs->is_inline[k]) {
                    memcpy(cache->digests[k], digests[k], sizeof(cache->digests[k]));
                    memcpy(cache->ids[k], docs->ids[k], sizeof(cache->ids[k]));
                }
            }
        }
    }
    PQclear(res);

    for (k = 0; k < WK_DOC_KIND_COUNT; k++) {
        if (docs->ids[k][0] != '\0') {
            continue;
        }
        (void)snprintf(docs->ids[k], sizeof(docs->ids[k]), "job/%s/%s", in->job_id,
                       kind_names[k]);
        docs->is_inline[k] = 1;
        rc = store_inline(db, in, k, docs->ids[k], errbuf, errbuf_len);
        if (rc != CV_OK) {
            return rc;
        }
    }
    return CV_OK;
}
