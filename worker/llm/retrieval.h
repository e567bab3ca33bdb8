/*
 * Retrieval of the reference passages each step is grounded on. Four rankings run in
 * one round trip: the job description against the CV, the rubric against the CV
 * parameters, the case-study brief against the project report, and the rubric against
 * the project parameters. By default the rank is PostgreSQL full-text search
 * (ts_rank_cd times the section weight). With an embeddings endpoint it is the cosine
 * similarity of stored vectors times the weight, and full text again when the endpoint
 * fails.
 */
#ifndef WK_LLM_RETRIEVAL_H
#define WK_LLM_RETRIEVAL_H

#include <stddef.h>

#include <libpq-fe.h>

#include "common/db.h"
#include "common/err.h"
#include "worker/llm/documents.h"
#include "worker/llm/embeddings.h"

enum wk_ref_query {
    WK_REF_CV_JOB = 0,          /* job description passages for the CV step */
    WK_REF_CV_RUBRIC,           /* rubric passages for the CV step */
    WK_REF_PROJECT_BRIEF,       /* case-study brief passages for the project step */
    WK_REF_PROJECT_RUBRIC,      /* rubric passages for the project step */
    WK_REF_QUERY_COUNT
};

/* Maximum query text sent to PostgreSQL, in bytes. A longer CV is ranked on its start. */
#define WK_REF_QUERY_MAX_LEN 65536

struct wk_passage_hit {
    long long   id;        /* kb_passages.id */
    const char *section;   /* borrowed from the result set */
    const char *body;      /* borrowed from the result set */
    double      score;
};

struct wk_retrieval {
    PGresult              *res;                          /* owned, the hits point into it */
    struct wk_passage_hit *hits;                         /* owned array, grouped by query */
    size_t                 first[WK_REF_QUERY_COUNT];    /* index of a query's first hit */
    size_t                 count[WK_REF_QUERY_COUNT];    /* hits of a query, best first */
    const char            *method;                       /* "full_text" or "embeddings" */
    char                   note[256];  /* why embeddings were not used, "" otherwise */
};

struct wk_retrieval_request {
    const struct wk_job_documents *docs;                       /* borrowed */
    const char                    *queries[WK_REF_QUERY_COUNT];  /* borrowed texts */
    long                           top_k;                      /* hits per query */
    const struct wk_embedder      *embedder;  /* borrowed, NULL = full text only */
};

/*
 * Runs the four rankings into out (zeroed by the call). When embedder is set, first
 * stores vectors for passages that lack one from the configured model. Returns CV_OK,
 * CV_ENOTFOUND when a document has no passages, a cv_db_exec() error with the text in
 * errbuf, or CV_ENOMEM. Release out with wk_retrieval_cleanup(). Blocks on db and on
 * the embeddings endpoint.
 */
enum cv_err wk_retrieve(struct cv_db *db, const struct wk_retrieval_request *req,
                        struct wk_retrieval *out, char *errbuf, size_t errbuf_len);

/* Frees what out owns and zeroes it. A zeroed struct is a no-op. */
void wk_retrieval_cleanup(struct wk_retrieval *out);

#endif
