/*
 * Entry point of the built-in scorer: removes injected passages, gathers evidence,
 * scores the nine rubric parameters and writes the feedback and provenance.
 */
#include <stdlib.h>
#include <string.h>

#include "worker/injection.h"
#include "worker/scorer/evidence.h"
#include "worker/scorer/feedback.h"
#include "worker/scorer/score.h"
#include "worker/scorer/scorer.h"

static cJSON *
make_provenance(void)
{
    cJSON *provenance;

    provenance = cJSON_CreateObject();
    if (provenance == NULL || cJSON_AddStringToObject(provenance, "path", "builtin") == NULL ||
        cJSON_AddStringToObject(provenance, "evaluator", "builtin-scorer") == NULL ||
        cJSON_AddStringToObject(provenance, "version", WK_SCORER_VERSION) == NULL) {
        cJSON_Delete(provenance);
        return NULL;
    }
    return provenance;
}

enum cv_err
wk_scorer_evaluate(const struct wk_eval_input *in, struct wk_eval_result *out)
{
    struct wk_cv_evidence      cv_ev;
    struct wk_project_evidence project_ev;
    char                      *cv_clean = NULL;
    char                      *project_clean = NULL;
    enum cv_err                rc;

    if (in == NULL || out == NULL || in->cv_text == NULL || in->project_text == NULL ||
        in->job_description == NULL || in->case_study_brief == NULL) {
        return CV_EINVAL;
    }

    /* Score what the candidate wrote, not the instructions it gives the evaluator. */
    out->suspicious = cJSON_CreateArray();
    if (out->suspicious == NULL) {
        return CV_ENOMEM;
    }
    rc = wk_injection_scan(in->cv_text, "cv", out->suspicious, &cv_clean);
    if (rc == CV_OK) {
        rc = wk_injection_scan(in->project_text, "project", out->suspicious, &project_clean);
    }

    if (rc == CV_OK) {
        rc = wk_evidence_cv(in->job_description, cv_clean, &cv_ev);
    }
    if (rc == CV_OK) {
        rc = wk_evidence_project(in->case_study_brief, project_clean, &project_ev);
    }
    if (rc == CV_OK) {
        rc = wk_score_cv(&cv_ev, out);
    }
    if (rc == CV_OK) {
        rc = wk_score_project(&project_ev, out);
    }
    if (rc == CV_OK) {
        rc = wk_feedback_cv(&cv_ev, out, &out->cv_feedback);
    }
    if (rc == CV_OK) {
        rc = wk_feedback_project(&project_ev, out, &out->project_feedback);
    }
    if (rc == CV_OK) {
        rc = wk_feedback_summary(out, cJSON_GetArraySize(out->suspicious),
                                 &out->overall_summary);
    }
    if (rc == CV_OK) {
        out->provenance = make_provenance();
        rc = out->provenance != NULL ? CV_OK : CV_ENOMEM;
    }

    free(cv_clean);
    free(project_clean);
    return rc;
}
