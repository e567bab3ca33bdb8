/*
 * Passage ranking in PostgreSQL. The full-text query of a long text is the OR of its
 * lexemes, built in SQL so that the stemming is PostgreSQL's own. Passages that match
 * nothing still follow in document order, so a step always gets top_k passages when
 * the document has that many.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "worker/llm/retrieval.h"
#include "worker/llm/text.h"

static const char full_text_sql[] =
    "SELECT q.n, h.id, h.section, h.body, h.score"
    "  FROM jsonb_to_recordset($1::jsonb) AS q(n int, doc text, query text)"
    "  CROSS JOIN LATERAL ("
    "    SELECT to_tsquery('simple', string_agg(l, ' | ')) AS tsq"
    "      FROM unnest(tsvector_to_array(to_tsvector('english', q.query))) AS l"
    "     WHERE l ~ '^[[:alnum:]]+$') AS t"
    "  CROSS JOIN LATERAL ("
    "    SELECT p.id, p.section, p.body, p.ordinal,"
    "           coalesce(ts_rank_cd(p.tsv, t.tsq), 0) * p.weight AS score"
    "      FROM kb_passages AS p"
    "     WHERE p.document_id = q.doc"
    "     ORDER BY score DESC, p.ordinal"
    "     LIMIT $2::int) AS h"
    " ORDER BY q.n, h.score DESC, h.ordinal";

static const char vector_sql[] =
    "SELECT q.n, h.id, h.section, h.body, h.score"
    "  FROM (SELECT (x->>'n')::int AS n, x->>'doc' AS doc,"
    "               ARRAY(SELECT jsonb_array_elements_text(x->'vec')::real) AS vec"
    "          FROM jsonb_array_elements($1::jsonb) AS x) AS q"
    "  CROSS JOIN LATERAL ("
    "    SELECT p.id, p.section, p.body, p.ordinal,"
    "           coalesce(cv_cosine_similarity(p.embedding, q.vec), -1) * p.weight AS score"
    "      FROM kb_passages AS p"
    "     WHERE p.document_id = q.doc"
    "     ORDER BY score DESC, p.ordinal"
    "     LIMIT $2::int) AS h"
    " ORDER BY q.n, h.score DESC, h.ordinal";

/* At most 512 passages get vectors per job, so that one job never embeds a whole large
 * knowledge base. The jobs that follow embed the rest. */
static const char missing_vectors_sql[] =
    "SELECT id, section || E'\\n' || body FROM kb_passages"
    " WHERE document_id = ANY($1::text[])"
    "   AND (embedding IS NULL OR embedding_model IS DISTINCT FROM $2)"
    " ORDER BY id LIMIT 512";

static const char store_vectors_sql[] =
    "UPDATE kb_passages AS p SET embedding = v.vec, embedding_model = $2"
    "  FROM (SELECT (x->>'id')::bigint AS id,"
    "               ARRAY(SELECT jsonb_array_elements_text(x->'vec')::real) AS vec"
    "          FROM jsonb_array_elements($1::jsonb) AS x) AS v"
    " WHERE p.id = v.id";

/* Which document each query ranks. */
static const enum wk_doc_kind query_docs[WK_REF_QUERY_COUNT] = {
    [WK_REF_CV_JOB] = WK_DOC_JOB_DESCRIPTION,
    [WK_REF_CV_RUBRIC] = WK_DOC_SCORING_RUBRIC,
    [WK_REF_PROJECT_BRIEF] = WK_DOC_CASE_STUDY_BRIEF,
    [WK_REF_PROJECT_RUBRIC] = WK_DOC_SCORING_RUBRIC,
};

void
wk_retrieval_cleanup(struct wk_retrieval *out)
{
    PQclear(out->res);
    free(out->hits);
    memset(out, 0, sizeof(*out));
}

/*
 * Builds the query list of full_text_sql, [{"n", "doc", "query"}], or with vectors
 * that of vector_sql, [{"n", "doc", "vec"}], taking the vectors out of their array.
 * Returns a heap string, or NULL on ENOMEM.
 */
static char *
query_params(const struct wk_retrieval_request *req, cJSON *vectors)
{
    cJSON  *list;
    cJSON  *item;
    char   *query;
    char   *text = NULL;
    size_t  len;
    int     n;

    list = cJSON_CreateArray();
    if (list == NULL) {
        return NULL;
    }
    for (n = 0; n < WK_REF_QUERY_COUNT; n++) {
        item = cJSON_CreateObject();
        if (item == NULL) {
            goto out;
        }
        /* ownership of item moves to list */
        cJSON_AddItemToArray(list, item);
        if (cJSON_AddNumberToObject(item, "n", n) == NULL ||
            cJSON_AddStringToObject(item, "doc", req->docs->ids[query_docs[n]]) == NULL) {
            goto out;
        }
        if (vectors != NULL) {
            /* ownership of the vector moves to item */
            cJSON_AddItemToObject(item, "vec", cJSON_DetachItemFromArray(vectors, 0));
            continue;
        }
        len = strlen(req->queries[n]);
        query = strndup(req->queries[n],
                        wk_text_cut_len(req->queries[n], len, WK_REF_QUERY_MAX_LEN));
        if (query == NULL || cJSON_AddStringToObject(item, "query", query) == NULL) {
            free(query);
            goto out;
        }
        free(query);
    }
    text = cJSON_PrintUnformatted(list);
out:
    cJSON_Delete(list);
    return text;
}

/* Stores vectors for the passages of the job's documents that lack one from the
 * configured model. */
static enum cv_err
embed_passages(struct cv_db *db, const struct wk_retrieval_request *req, char *errbuf,
               size_t errbuf_len)
{
    const struct wk_embedder *embedder = req->embedder;
    char                      doc_array[3 * WK_DOC_ID_LEN + 16];
    const char               *params[2];
    const char               *texts[WK_EMBED_BATCH_MAX];
    PGresult                 *res = NULL;
    cJSON                    *vectors = NULL;
    cJSON                    *rows = NULL;
    cJSON                    *row;
    char                     *json = NULL;
    int                       total;
    int                       start;
    int                       i;
    enum cv_err               rc;

    /* Document ids are "default/<kind>" or "job/<uuid>/<kind>": no quotes to escape. */
    (void)snprintf(doc_array, sizeof(doc_array), "{\"%s\",\"%s\",\"%s\"}", req->docs->ids[0],
                   req->docs->ids[1], req->docs->ids[2]);
    params[0] = doc_array;
    params[1] = embedder->model;
    rc = cv_db_exec(db, missing_vectors_sql, 2, params, &res);
    if (rc != CV_OK) {
        (void)snprintf(errbuf, errbuf_len, "could not list passages without vectors: %s",
                       cv_db_errmsg(db));
        return rc;
    }
    total = PQntuples(res);

    for (start = 0; start < total && rc == CV_OK; start += WK_EMBED_BATCH_MAX) {
        for (i = 0; start + i < total && i < WK_EMBED_BATCH_MAX; i++) {
            texts[i] = PQgetvalue(res, start + i, 1);
        }
        rc = wk_embed(embedder, texts, (size_t)i, &vectors, errbuf, errbuf_len);
        if (rc != CV_OK) {
            break;
        }
        rows = cJSON_CreateArray();
        for (i = 0; rows != NULL && start + i < total && i < WK_EMBED_BATCH_MAX; i++) {
            row = cJSON_CreateObject();
            if (row == NULL) {
                rc = CV_ENOMEM;
                break;
            }
            /* ownership of row moves to rows, and of the vector to row */
            cJSON_AddItemToArray(rows, row);
            if (cJSON_AddRawToObject(row, "id", PQgetvalue(res, start + i, 0)) == NULL) {
                rc = CV_ENOMEM;
                break;
            }
            cJSON_AddItemToObject(row, "vec", cJSON_DetachItemFromArray(vectors, 0));
        }
        json = rows != NULL && rc == CV_OK ? cJSON_PrintUnformatted(rows) : NULL;
        if (json == NULL) {
            rc = CV_ENOMEM;
        } else {
            params[0] = json;
            rc = cv_db_exec(db, store_vectors_sql, 2, params, NULL);
            if (rc != CV_OK) {
                (void)snprintf(errbuf, errbuf_len, "could not store passage vectors: %s",
                               cv_db_errmsg(db));
            }
        }
        free(json);
        json = NULL;
        cJSON_Delete(rows);
        rows = NULL;
        cJSON_Delete(vectors);
        vectors = NULL;
    }
    PQclear(res);
    return rc;
}

/* Reads the ranked rows of res into out's hit arrays. */
static enum cv_err
collect_hits(PGresult *res, struct wk_retrieval *out)
{
    size_t rows = (size_t)PQntuples(res);
    size_t i;
    int    n;

    out->hits = calloc(rows > 0 ? rows : 1, sizeof(*out->hits));
    if (out->hits == NULL) {
        return CV_ENOMEM;
    }
    for (i = 0; i < rows; i++) {
        n = (int)strtol(PQgetvalue(res, (int)i, 0), NULL, 10);
        if (n < 0 || n >= WK_REF_QUERY_COUNT) {
            return CV_EINTERNAL;
        }
        if (out->count[n] == 0) {
            out->first[n] = i;
        }
        out->count[n]++;
        out->hits[i].id = strtoll(PQgetvalue(res, (int)i, 1), NULL, 10);
        out->hits[i].section = PQgetvalue(res, (int)i, 2);
        out->hits[i].body = PQgetvalue(res, (int)i, 3);
        out->hits[i].score = strtod(PQgetvalue(res, (int)i, 4), NULL);
    }
    out->res = res;
    return CV_OK;
}

/* Ranks by embeddings. Returns CV_OK, or an error whose text goes into out->note. */
static enum cv_err
rank_by_vectors(struct cv_db *db, const struct wk_retrieval_request *req, PGresult **res,
                char *note, size_t note_len)
{
    char        top_k[24];
    const char *params[2];
    const char *texts[WK_REF_QUERY_COUNT];
    cJSON      *vectors = NULL;
    char       *json = NULL;
    int         n;
    enum cv_err rc;

    rc = embed_passages(db, req, note, note_len);
    if (rc != CV_OK) {
        return rc;
    }
    for (n = 0; n < WK_REF_QUERY_COUNT; n++) {
        texts[n] = req->queries[n];
    }
    rc = wk_embed(req->embedder, texts, WK_REF_QUERY_COUNT, &vectors, note, note_len);
    if (rc != CV_OK) {
        return rc;
    }
    json = query_params(req, vectors);
    cJSON_Delete(vectors);
    if (json == NULL) {
        return CV_ENOMEM;
    }
    (void)snprintf(top_k, sizeof(top_k), "%ld", req->top_k);
    params[0] = json;
    params[1] = top_k;
    rc = cv_db_exec(db, vector_sql, 2, params, res);
    if (rc != CV_OK) {
        (void)snprintf(note, note_len, "could not rank passages by similarity: %s",
                       cv_db_errmsg(db));
    }
    free(json);
    return rc;
}

enum cv_err
wk_retrieve(struct cv_db *db, const struct wk_retrieval_request *req,
            struct wk_retrieval *out, char *errbuf, size_t errbuf_len)
{
    char        top_k[24];
    const char *params[2];
    PGresult   *res = NULL;
    char       *json = NULL;
    int         n;
    enum cv_err rc;

    memset(out, 0, sizeof(*out));
    out->method = "full_text";

    if (req->embedder != NULL) {
        rc = rank_by_vectors(db, req, &res, out->note, sizeof(out->note));
        if (rc == CV_OK) {
            out->method = "embeddings";
        } else if (rc == CV_ENOMEM) {
            return rc;
        }
    }

    if (res == NULL) {
        json = query_params(req, NULL);
        if (json == NULL) {
            return CV_ENOMEM;
        }
        (void)snprintf(top_k, sizeof(top_k), "%ld", req->top_k);
        params[0] = json;
        params[1] = top_k;
        rc = cv_db_exec(db, full_text_sql, 2, params, &res);
        free(json);
        if (rc != CV_OK) {
            (void)snprintf(errbuf, errbuf_len, "could not rank reference passages: %s",
                           cv_db_errmsg(db));
            return rc;
        }
    }

    rc = collect_hits(res, out);
    if (rc != CV_OK) {
        PQclear(res);
        wk_retrieval_cleanup(out);
        return rc;
    }
    for (n = 0; n < WK_REF_QUERY_COUNT; n++) {
        if (out->count[n] == 0) {
            (void)snprintf(errbuf, errbuf_len, "reference document \"%s\" has no passages",
                           req->docs->ids[query_docs[n]]);
            wk_retrieval_cleanup(out);
            return CV_ENOTFOUND;
        }
    }
    return CV_OK;
}
