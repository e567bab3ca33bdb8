/*
 * Backend table, selection, result validation, and the built-in scorer's adapter.
 * The LLM chain joins by adding its backend to the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/evaluator.h"
#include "worker/injection.h"
#include "worker/scorer/scorer.h"

struct wk_evaluator {
    const struct wk_evaluator_backend *backend;   /* static */
    void                              *state;     /* owned by backend */
};

/* Every backend of this build, by EVALUATOR value. */
static const struct wk_evaluator_backend *const backends[] = {
    &wk_builtin_backend,
    &wk_llm_backend,
};

static const struct wk_evaluator_backend *
find_backend(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        if (strcmp(backends[i]->name, name) == 0) {
            return backends[i];
        }
    }
    return NULL;
}

enum cv_err
wk_evaluator_new(const struct cv_config *cfg, struct wk_evaluator **out, char *errbuf,
                 size_t errbuf_len)
{
    struct wk_evaluator *evaluator;
    const char          *name = cfg->evaluator;
    enum cv_err          rc;

    *out = NULL;
    if (strcmp(name, "auto") == 0) {
        name = cv_config_llm_count(cfg) > 0 ? "llm" : "builtin";
    }
    if (strcmp(name, "builtin") != 0 && strcmp(name, "llm") != 0) {
        (void)snprintf(errbuf, errbuf_len,
                       "EVALUATOR: invalid value \"%s\": expected auto, builtin or llm",
                       cfg->evaluator);
        return CV_EINVAL;
    }
    evaluator = calloc(1, sizeof(*evaluator));
    if (evaluator == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return CV_ENOMEM;
    }
    evaluator->backend = find_backend(name);
    if (evaluator->backend == NULL) {
        (void)snprintf(errbuf, errbuf_len,
                       "cannot use evaluator \"%s\": this build does not include it; "
                       "set EVALUATOR=builtin or remove the LLM_* settings",
                       name);
        free(evaluator);
        return CV_EINVAL;
    }
    if (evaluator->backend->open != NULL) {
        rc = evaluator->backend->open(cfg, &evaluator->state, errbuf, errbuf_len);
        if (rc != CV_OK) {
            free(evaluator);
            return rc;
        }
    }
    *out = evaluator;
    return CV_OK;
}

void
wk_evaluator_free(struct wk_evaluator *evaluator)
{
    if (evaluator == NULL) {
        return;
    }
    if (evaluator->backend->close != NULL) {
        evaluator->backend->close(evaluator->state);
    }
    free(evaluator);
}

const char *
wk_evaluator_name(const struct wk_evaluator *evaluator)
{
    return evaluator->backend->name;
}

enum cv_err
wk_evaluator_thread_open(const struct wk_evaluator *evaluator, void **thread_state)
{
    *thread_state = NULL;
    if (evaluator->backend->thread_open == NULL) {
        return CV_OK;
    }
    return evaluator->backend->thread_open(evaluator->state, thread_state);
}

void
wk_evaluator_thread_close(const struct wk_evaluator *evaluator, void *thread_state)
{
    if (evaluator->backend->thread_close != NULL) {
        evaluator->backend->thread_close(evaluator->state, thread_state);
    }
}

/*
 * Removes injection passages from the CV and project texts into *cv and *project
 * (freed by the caller) and collects what was found into *found.
 */
static enum cv_err
clean_inputs(const struct wk_eval_input *in, char **cv, char **project, cJSON **found)
{
    enum cv_err rc;

    *found = cJSON_CreateArray();
    if (*found == NULL) {
        return CV_ENOMEM;
    }
    rc = wk_injection_scan(in->cv_text, "cv", *found, cv);
    if (rc == CV_OK) {
        rc = wk_injection_scan(in->project_text, "project", *found, project);
    }
    return rc;
}

enum cv_err
wk_evaluator_evaluate(const struct wk_evaluator *evaluator, const struct wk_eval_run *run,
                      const struct wk_eval_input *in, struct wk_eval_result *out,
                      struct wk_eval_error *err)
{
    struct wk_eval_input cleaned = *in;
    char                 reason[160];
    char                *cv = NULL;
    char                *project = NULL;
    cJSON               *found = NULL;
    enum cv_err          rc;

    err->code[0] = '\0';
    err->message[0] = '\0';
    rc = clean_inputs(in, &cv, &project, &found);
    if (rc != CV_OK) {
        (void)snprintf(err->message, sizeof(err->message),
                       "could not scan the documents for prompt injection: %s",
                       cv_strerror(rc));
        goto out;
    }
    cleaned.cv_text = cv;
    cleaned.project_text = project;

    rc = evaluator->backend->evaluate(evaluator->state, run, &cleaned, out, err);
    if (rc != CV_OK) {
        if (err->message[0] == '\0') {
            (void)snprintf(err->message, sizeof(err->message), "evaluator \"%s\" failed: %s",
                           evaluator->backend->name, cv_strerror(rc));
        }
        goto out;
    }
    cJSON_Delete(out->suspicious);
    /* ownership of found moves into out */
    out->suspicious = found;
    found = NULL;

    /* The totals are computed from these scores, so none may be missing or out of range. */
    if (wk_eval_result_validate(out, reason, sizeof(reason)) != CV_OK) {
        (void)snprintf(err->code, sizeof(err->code), "invalid_evaluation");
        (void)snprintf(err->message, sizeof(err->message),
                       "evaluator \"%s\" returned an invalid result: %s",
                       evaluator->backend->name, reason);
        rc = CV_EUPSTREAM;
    }
out:
    cJSON_Delete(found);
    free(project);
    free(cv);
    return rc;
}

/* The scorer is pure computation on a few documents: it needs no deadline or cancel. */
static enum cv_err
builtin_evaluate(void *state, const struct wk_eval_run *run, const struct wk_eval_input *in,
                 struct wk_eval_result *out, struct wk_eval_error *err)
{
    enum cv_err rc;

    (void)state;
    (void)run;
    rc = wk_scorer_evaluate(in, out);
    if (rc != CV_OK) {
        (void)snprintf(err->message, sizeof(err->message),
                       "built-in scorer failed: %s", cv_strerror(rc));
    }
    return rc;
}

const struct wk_evaluator_backend wk_builtin_backend = {
    .name = "builtin",
    .open = NULL,
    .close = NULL,
    .thread_open = NULL,
    .thread_close = NULL,
    .evaluate = builtin_evaluate,
};
