/*
 * The outcome of evaluating one candidate, shared by the built-in scorer and the LLM
 * chain, and its JSON form as stored in results.result. Totals are always computed
 * here from the parameter scores, never taken from an evaluator.
 */
#ifndef WK_EVALUATION_H
#define WK_EVALUATION_H

#include <cjson/cJSON.h>

#include "common/err.h"

/* CV parameters, in the order of wk_cv_params[]. */
enum wk_cv_param {
    WK_CV_TECHNICAL_SKILLS = 0,   /* weight 0.40 */
    WK_CV_EXPERIENCE_LEVEL,       /* weight 0.25 */
    WK_CV_RELEVANT_ACHIEVEMENTS,  /* weight 0.20 */
    WK_CV_CULTURAL_FIT,           /* weight 0.15 */
    WK_CV_PARAM_COUNT
};

/* Project-report parameters, in the order of wk_project_params[]. */
enum wk_project_param {
    WK_PROJECT_CORRECTNESS = 0,   /* weight 0.30 */
    WK_PROJECT_CODE_QUALITY,      /* weight 0.25 */
    WK_PROJECT_RESILIENCE,        /* weight 0.20 */
    WK_PROJECT_DOCUMENTATION,     /* weight 0.15 */
    WK_PROJECT_CREATIVITY,        /* weight 0.10 */
    WK_PROJECT_PARAM_COUNT
};

struct wk_param_def {
    const char *key;      /* JSON key, e.g. "technical_skills" */
    const char *title;    /* human label, e.g. "Technical skills match" */
    double      weight;   /* fraction of its group, the group sums to 1 */
};

extern const struct wk_param_def wk_cv_params[WK_CV_PARAM_COUNT];
extern const struct wk_param_def wk_project_params[WK_PROJECT_PARAM_COUNT];

struct wk_param_score {
    int   score;   /* 1..5; 0 = not set */
    char *reason;  /* owned, one line */
};

/* What an evaluator reads. All strings borrowed; optional ones may be NULL. */
struct wk_eval_input {
    const char *job_id;
    const char *cv_text;
    const char *project_text;
    const char *job_title;          /* NULL = the knowledge base's */
    const char *job_description;    /* resolved text, never NULL */
    const char *case_study_brief;   /* resolved text, never NULL */
    const char *scoring_rubric;     /* resolved text, never NULL */
};

struct wk_eval_result {
    struct wk_param_score cv[WK_CV_PARAM_COUNT];
    struct wk_param_score project[WK_PROJECT_PARAM_COUNT];
    char  *cv_feedback;        /* owned */
    char  *project_feedback;   /* owned */
    char  *overall_summary;    /* owned, 3-5 sentences */
    cJSON *suspicious;         /* owned array of detected injection passages, may be NULL */
    cJSON *provenance;         /* owned object: how the result was made, may be NULL */
};

/* Frees every owned member and zeroes the struct. A zeroed result is a no-op. */
void wk_eval_result_cleanup(struct wk_eval_result *result);

/*
 * Checks that every parameter has a score in 1..5 and a non-empty reason, and that the
 * three feedback texts are non-empty. Returns CV_EINVAL with the first problem in errbuf.
 */
enum cv_err wk_eval_result_validate(const struct wk_eval_result *result, char *errbuf,
                                    size_t errbuf_len);

/* Weighted mean of the CV scores divided by 5, in [0.2, 1]. Requires a valid result. */
double wk_eval_cv_match_rate(const struct wk_eval_result *result);

/* Weighted mean of the project scores, in [1, 5]. Requires a valid result. */
double wk_eval_project_score(const struct wk_eval_result *result);

/*
 * Builds the JSON stored in results.result: cv_match_rate, cv_feedback, project_score,
 * project_feedback, overall_summary, cv_scores, project_scores, suspicious_passages and
 * provenance. Returns NULL on ENOMEM. The caller frees it with cJSON_Delete().
 */
cJSON *wk_eval_result_to_json(const struct wk_eval_result *result);

#endif
