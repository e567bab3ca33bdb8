/*
 * The evaluation chain: retrieval, then the CV step, the project step and the summary
 * step, each rendered from the versioned prompts and run through the providers, and
 * finally the provenance record. The candidate's documents enter the prompts only
 * between delimiters carrying a random per-job nonce, so a document cannot close its
 * own block and speak as the instructions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "worker/llm/documents.h"
#include "worker/llm/failover.h"
#include "worker/llm/llm.h"
#include "worker/llm/provenance.h"
#include "worker/llm/retrieval.h"
#include "worker/llm/state.h"
#include "worker/llm/text.h"

/*
 * Maximum part of a candidate document put in a prompt, in bytes. It is an estimate of
 * 16k tokens, some 25 pages of CV, inside the context window of current models. Longer
 * text is cut at a character boundary, and the cut is recorded in the provenance.
 */
#define CANDIDATE_MAX_LEN 65536

/*
 * Time kept back from the job deadline, in milliseconds, so that the chain ends with
 * its own error code while the job runner still has time to store the outcome before
 * its deadline check calls the run late.
 */
#define DEADLINE_MARGIN_MS 500

/* Length of the delimiter nonce in hex digits, plus its NUL. */
#define NONCE_LEN 17

/* Everything one evaluation carries between its phases. */
struct run {
    struct wk_llm           *llm;
    struct wk_llm_thread    *thread;
    const struct wk_llm_job *job;
    struct wk_job_documents  docs;
    struct wk_retrieval      retrieval;
    struct wk_step_record    steps[WK_STEP_COUNT];
    char                     nonce[NONCE_LEN];
    int                      is_cv_cut;
    int                      is_project_cut;
};

/* Writes a candidate document between its nonce-marked delimiters into out. */
static enum cv_err
write_document(struct cv_buf *out, const char *label, const char *text, const char *nonce,
               int *is_cut)
{
    size_t      full_len = strlen(text);
    size_t      len = wk_text_cut_len(text, full_len, CANDIDATE_MAX_LEN);
    enum cv_err rc;

    *is_cut = len < full_len;
    cv_buf_reset(out);
    rc = cv_buf_printf(out, "<<<BEGIN %s %s>>>\n", label, nonce);
    if (rc == CV_OK) {
        rc = cv_buf_append(out, text, len);
    }
    if (rc == CV_OK && *is_cut) {
        rc = cv_buf_printf(out, "\n[the document continues for %zu more bytes, not shown]",
                           full_len - len);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(out, "\n<<<END %s %s>>>", label, nonce);
    }
    return rc;
}

/* Writes the hits of one retrieval query as numbered passages into out. */
static enum cv_err
write_passages(struct cv_buf *out, const struct wk_retrieval *retrieval, int query)
{
    const struct wk_passage_hit *hit;
    size_t                       i;
    enum cv_err                  rc = CV_OK;

    cv_buf_reset(out);
    for (i = 0; i < retrieval->count[query] && rc == CV_OK; i++) {
        hit = &retrieval->hits[retrieval->first[query] + i];
        rc = cv_buf_printf(out, "%s[passage %lld, section \"%s\"]\n%s\n", i > 0 ? "\n" : "",
                           hit->id, hit->section, hit->body);
    }
    return rc;
}

/* Writes one finished step's scores, reasons, feedback and total as JSON into out. */
static enum cv_err
write_step_result(struct cv_buf *out, const struct wk_eval_result *result, enum wk_step step)
{
    const struct wk_step_def    *def = &wk_steps[step];
    const struct wk_param_score *scores = step == WK_STEP_CV ? result->cv : result->project;
    cJSON                       *root;
    cJSON                       *item;
    char                        *text = NULL;
    size_t                       i;
    enum cv_err                  rc = CV_ENOMEM;

    root = cJSON_CreateObject();
    if (root == NULL) {
        return CV_ENOMEM;
    }
    for (i = 0; i < def->param_count; i++) {
        item = cJSON_AddObjectToObject(root, def->params[i].key);
        if (item == NULL || cJSON_AddNumberToObject(item, "score", scores[i].score) == NULL ||
            cJSON_AddStringToObject(item, "reason", scores[i].reason) == NULL) {
            goto out;
        }
    }
    if (cJSON_AddStringToObject(root, def->text_key,
                                step == WK_STEP_CV ? result->cv_feedback
                                                   : result->project_feedback) == NULL) {
        goto out;
    }
    item = step == WK_STEP_CV
               ? cJSON_AddNumberToObject(root, "cv_match_rate", wk_eval_cv_match_rate(result))
               : cJSON_AddNumberToObject(root, "project_score", wk_eval_project_score(result));
    if (item == NULL) {
        goto out;
    }
    text = cJSON_PrintUnformatted(root);
    if (text == NULL) {
        goto out;
    }
    cv_buf_reset(out);
    rc = cv_buf_append_str(out, text);
out:
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

/* Renders the user message of step into the thread's user slot. */
static enum cv_err
render_step(struct run *run, enum wk_step step, const struct wk_eval_result *out)
{
    struct wk_llm_thread       *thread = run->thread;
    const struct wk_eval_input *in = run->job->in;
    const char                 *values[WK_VAR_COUNT] = {NULL};
    enum wk_prompt_kind         kind;
    enum cv_err                 rc;

    values[WK_VAR_NONCE] = run->nonce;
    values[WK_VAR_JOB_TITLE] = in->job_title != NULL ? in->job_title : "";
    switch (step) {
    case WK_STEP_CV:
        kind = WK_PROMPT_CV;
        rc = write_passages(&thread->slots[WK_SLOT_CONTEXT_A], &run->retrieval, WK_REF_CV_JOB);
        if (rc == CV_OK) {
            rc = write_passages(&thread->slots[WK_SLOT_CONTEXT_B], &run->retrieval,
                                WK_REF_CV_RUBRIC);
        }
        if (rc == CV_OK) {
            rc = write_document(&thread->slots[WK_SLOT_DOCUMENT], "CANDIDATE_CV", in->cv_text,
                                run->nonce, &run->is_cv_cut);
        }
        values[WK_VAR_JOB_CONTEXT] = thread->slots[WK_SLOT_CONTEXT_A].data;
        values[WK_VAR_RUBRIC] = thread->slots[WK_SLOT_CONTEXT_B].data;
        values[WK_VAR_CV] = thread->slots[WK_SLOT_DOCUMENT].data;
        break;
    case WK_STEP_PROJECT:
        kind = WK_PROMPT_PROJECT;
        rc = write_passages(&thread->slots[WK_SLOT_CONTEXT_A], &run->retrieval,
                            WK_REF_PROJECT_BRIEF);
        if (rc == CV_OK) {
            rc = write_passages(&thread->slots[WK_SLOT_CONTEXT_B], &run->retrieval,
                                WK_REF_PROJECT_RUBRIC);
        }
        if (rc == CV_OK) {
            rc = write_document(&thread->slots[WK_SLOT_DOCUMENT], "PROJECT_REPORT",
                                in->project_text, run->nonce, &run->is_project_cut);
        }
        values[WK_VAR_BRIEF_CONTEXT] = thread->slots[WK_SLOT_CONTEXT_A].data;
        values[WK_VAR_RUBRIC] = thread->slots[WK_SLOT_CONTEXT_B].data;
        values[WK_VAR_PROJECT] = thread->slots[WK_SLOT_DOCUMENT].data;
        break;
    default:
        kind = WK_PROMPT_SUMMARY;
        rc = write_passages(&thread->slots[WK_SLOT_CONTEXT_A], &run->retrieval, WK_REF_CV_JOB);
        if (rc == CV_OK) {
            rc = write_step_result(&thread->slots[WK_SLOT_RESULT_A], out, WK_STEP_CV);
        }
        if (rc == CV_OK) {
            rc = write_step_result(&thread->slots[WK_SLOT_RESULT_B], out, WK_STEP_PROJECT);
        }
        values[WK_VAR_JOB_CONTEXT] = thread->slots[WK_SLOT_CONTEXT_A].data;
        values[WK_VAR_CV_RESULT] = thread->slots[WK_SLOT_RESULT_A].data;
        values[WK_VAR_PROJECT_RESULT] = thread->slots[WK_SLOT_RESULT_B].data;
        break;
    }
    if (rc != CV_OK) {
        return rc;
    }
    cv_buf_reset(&thread->slots[WK_SLOT_USER]);
    return wk_prompt_render(&run->llm->prompts, kind, values, &thread->slots[WK_SLOT_USER]);
}

/* Frees the scores and texts a partly finished chain set, leaving the rest of out. */
static void
clear_scores(struct wk_eval_result *out)
{
    size_t i;

    for (i = 0; i < WK_CV_PARAM_COUNT; i++) {
        free(out->cv[i].reason);
        out->cv[i].reason = NULL;
        out->cv[i].score = 0;
    }
    for (i = 0; i < WK_PROJECT_PARAM_COUNT; i++) {
        free(out->project[i].reason);
        out->project[i].reason = NULL;
        out->project[i].score = 0;
    }
    free(out->cv_feedback);
    free(out->project_feedback);
    free(out->overall_summary);
    out->cv_feedback = NULL;
    out->project_feedback = NULL;
    out->overall_summary = NULL;
}

/* Renders the system message, shared by the three steps, into the thread's slot. */
static enum cv_err
render_system(struct run *run)
{
    const char *values[WK_VAR_COUNT] = {NULL};

    values[WK_VAR_NONCE] = run->nonce;
    cv_buf_reset(&run->thread->slots[WK_SLOT_SYSTEM]);
    return wk_prompt_render(&run->llm->prompts, WK_PROMPT_SYSTEM, values,
                            &run->thread->slots[WK_SLOT_SYSTEM]);
}

static enum cv_err
fail_with(struct wk_llm_error *err, enum wk_llm_code code, int is_retryable,
          const char *message)
{
    err->code = code;
    err->is_retryable = is_retryable;
    (void)snprintf(err->message, sizeof(err->message), "%s", message);
    return wk_llm_code_err(code);
}

/* Resolves the documents and retrieves the passages of every step. */
static enum cv_err
retrieve(struct run *run, struct cv_db *db, struct wk_llm_error *err)
{
    struct wk_retrieval_request req;
    struct wk_embedder          embedder;
    const struct cv_config     *cfg = run->llm->cfg;
    char                        errbuf[WK_LLM_MESSAGE_LEN];
    enum cv_err                 rc;

    rc = wk_documents_resolve(db, run->job->in, &run->thread->doc_cache, &run->docs, errbuf,
                              sizeof(errbuf));
    if (rc == CV_OK) {
        memset(&req, 0, sizeof(req));
        req.docs = &run->docs;
        req.queries[WK_REF_CV_JOB] = run->job->in->cv_text;
        req.queries[WK_REF_CV_RUBRIC] = "CV scoring: technical skills match, experience "
                                        "level, relevant achievements, cultural and "
                                        "collaboration fit";
        req.queries[WK_REF_PROJECT_BRIEF] = run->job->in->project_text;
        req.queries[WK_REF_PROJECT_RUBRIC] = "Project scoring: correctness, code quality and "
                                             "structure, resilience and error handling, "
                                             "documentation and explanation, creativity and "
                                             "bonus";
        req.top_k = cfg->retrieval_top_k;
        if (run->llm->embeddings_url != NULL) {
            embedder.curl = run->thread->curl;
            embedder.url = run->llm->embeddings_url;
            embedder.headers = run->thread->embeddings_headers;
            embedder.model = cfg->embeddings_model;
            embedder.connect_timeout_ms = cfg->llm_connect_timeout_ms;
            embedder.timeout_ms = cfg->llm_timeout_ms;
            embedder.request = &run->thread->request;
            embedder.reply = &run->thread->reply;
            embedder.cancel = run->job->cancel;
            req.embedder = &embedder;
        }
        rc = wk_retrieve(db, &req, &run->retrieval, errbuf, sizeof(errbuf));
    }
    if (rc == CV_OK) {
        if (run->retrieval.note[0] != '\0') {
            cv_log_warn(run->job->lc, "llm.retrieval", CV_EUNAVAIL, run->retrieval.note,
                        "method=%s fallback=full_text", "embeddings");
        }
        return CV_OK;
    }

    switch (rc) {
    case CV_ENOMEM:
        return fail_with(err, WK_LLM_INTERNAL, 0, "out of memory during retrieval");
    case CV_ENOTFOUND:
        return fail_with(err, WK_LLM_KNOWLEDGE_BASE_MISSING, 0, errbuf);
    case CV_EINVAL:
        return fail_with(err, WK_LLM_INTERNAL, 0, errbuf);
    default:
        return fail_with(err, WK_LLM_DATABASE_UNAVAILABLE, 1, errbuf);
    }
}

/* Checks the arguments every phase relies on. */
static int
is_valid_input(const struct wk_llm_job *job)
{
    const struct wk_eval_input *in = job->in;

    return in != NULL && in->job_id != NULL && in->cv_text != NULL &&
           in->project_text != NULL && in->job_description != NULL &&
           in->case_study_brief != NULL && in->scoring_rubric != NULL;
}

enum cv_err
wk_llm_evaluate(struct wk_llm *llm, struct wk_llm_thread *thread, struct cv_db *db,
                const struct wk_llm_job *job, struct wk_eval_result *out,
                struct wk_llm_error *err)
{
    struct run                 run;
    struct wk_provenance_input prov;
    cJSON                     *record;
    int64_t                    started_ms = cv_clock_mono_ms();
    char                       detail[WK_LLM_MESSAGE_LEN];
    int                        step;
    enum cv_err                rc;

    memset(err, 0, sizeof(*err));
    if (!is_valid_input(job)) {
        return fail_with(err, WK_LLM_INTERNAL, 0, "evaluation input is incomplete");
    }
    memset(&run, 0, sizeof(run));
    run.llm = llm;
    run.thread = thread;
    run.job = job;
    (void)snprintf(run.nonce, sizeof(run.nonce), "%016" PRIx64, wk_prng_next(&thread->prng));

    rc = retrieve(&run, db, err);
    if (rc != CV_OK) {
        goto out;
    }

    rc = render_system(&run);
    for (step = 0; step < WK_STEP_COUNT && rc == CV_OK; step++) {
        rc = render_step(&run, (enum wk_step)step, out);
        if (rc != CV_OK) {
            break;
        }
        rc = wk_failover_run_step(llm, thread, (enum wk_step)step, job,
                                  job->deadline_ms - DEADLINE_MARGIN_MS, out, &run.steps[step],
                                  err);
        if (rc != CV_OK) {
            /* The step comes first, so a message cut to fit jobs.error_message keeps it. */
            memcpy(detail, err->message, sizeof(detail));
            (void)snprintf(err->message, sizeof(err->message), "step %s: %.*s",
                           wk_steps[step].name, (int)(sizeof(err->message) - 16), detail);
            goto out;
        }
    }
    if (rc != CV_OK) {
        rc = fail_with(err, WK_LLM_INTERNAL, 0, "cannot render a prompt: message too large or "
                                                "out of memory");
        goto out;
    }

    prov.llm = llm;
    prov.steps = run.steps;
    prov.retrieval = &run.retrieval;
    prov.docs = &run.docs;
    prov.is_cv_cut = run.is_cv_cut;
    prov.is_project_cut = run.is_project_cut;
    prov.latency_ms = cv_clock_mono_ms() - started_ms;
    record = wk_provenance_build(&prov);
    if (record == NULL) {
        rc = fail_with(err, WK_LLM_INTERNAL, 0, "out of memory building the provenance");
        goto out;
    }
    cJSON_Delete(out->provenance);
    /* ownership of record moves to out */
    out->provenance = record;
out:
    if (rc != CV_OK) {
        clear_scores(out);
    }
    wk_retrieval_cleanup(&run.retrieval);
    return rc;
}
