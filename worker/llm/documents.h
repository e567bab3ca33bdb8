/*
 * The reference documents one job is evaluated against. For each kind (job
 * description, case-study brief, rubric) the job uses the default knowledge-base
 * document when its text is the default's, and otherwise its own inline text. An
 * inline text is split into passages and stored under "job/<job id>/<kind>" on first
 * use, so that retrieval treats both alike.
 */
#ifndef WK_LLM_DOCUMENTS_H
#define WK_LLM_DOCUMENTS_H

#include "common/db.h"
#include "common/err.h"
#include "common/sha256.h"
#include "worker/evaluation.h"

enum wk_doc_kind {
    WK_DOC_JOB_DESCRIPTION = 0,
    WK_DOC_CASE_STUDY_BRIEF,
    WK_DOC_SCORING_RUBRIC,
    WK_DOC_KIND_COUNT
};

/* Maximum document id length, NUL included: "job/" + UUID + "/case_study_brief". */
#define WK_DOC_ID_LEN 80

struct wk_job_documents {
    char ids[WK_DOC_KIND_COUNT][WK_DOC_ID_LEN];     /* kb_documents.id per kind */
    int  is_inline[WK_DOC_KIND_COUNT];              /* the job's own text, not the default */
};

/*
 * Default documents recognised earlier by one thread, by the SHA-256 of their text. A
 * job whose texts all have a remembered digest needs no lookup. A changed default has
 * a new digest, so it misses and is looked up again; document ids never change.
 */
struct wk_doc_cache {
    char digests[WK_DOC_KIND_COUNT][CV_SHA256_HEX_LEN];   /* "" = nothing remembered */
    char ids[WK_DOC_KIND_COUNT][WK_DOC_ID_LEN];
};

/* Returns the kb_documents.kind of kind ("job_description"). */
const char *wk_doc_kind_name(enum wk_doc_kind kind);

/*
 * Resolves the documents of in (job id and the three reference texts) into docs,
 * storing inline ones that are not stored yet. cache (may be NULL) is consulted first
 * and learns the defaults found; it belongs to the calling thread. Returns CV_OK; CV_EINVAL when a text is
 * blank; a cv_db_exec() error (CV_EUNAVAIL, CV_ETIMEOUT, ...) with the text in errbuf;
 * CV_ENOMEM. Blocks on db, which must not be inside a transaction: storing an inline
 * document commits its own.
 */
enum cv_err wk_documents_resolve(struct cv_db *db, const struct wk_eval_input *in,
                                 struct wk_doc_cache *cache, struct wk_job_documents *docs,
                                 char *errbuf, size_t errbuf_len);

#endif
