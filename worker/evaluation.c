/* Parameter tables, validation, totals and the stored JSON form of a result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/evaluation.h"

const struct wk_param_def wk_cv_params[WK_CV_PARAM_COUNT] = {
    {"technical_skills", "Technical skills match", 0.40},
    {"experience_level", "Experience level", 0.25},
    {"relevant_achievements", "Relevant achievements", 0.20},
    {"cultural_fit", "Cultural and collaboration fit", 0.15},
};

const struct wk_param_def wk_project_params[WK_PROJECT_PARAM_COUNT] = {
    {"correctness", "Correctness (prompt design, chaining, RAG)", 0.30},
    {"code_quality", "Code quality and structure", 0.25},
    {"resilience", "Resilience and error handling", 0.20},
    {"documentation", "Documentation and explanation", 0.15},
    {"creativity", "Creativity and bonus", 0.10},
};

void
wk_eval_result_cleanup(struct wk_eval_result *result)
{
    size_t i;

    for (i = 0; i < WK_CV_PARAM_COUNT; i++) {
        free(result->cv[i].reason);
    }
    for (i = 0; i < WK_PROJECT_PARAM_COUNT; i++) {
        free(result->project[i].reason);
    }
    free(result->cv_feedback);
    free(result->project_feedback);
    free(result->overall_summary);
    cJSON_Delete(result->suspicious);
    cJSON_Delete(result->provenance);
    memset(result, 0, sizeof(*result));
}

static int
is_blank(const char *text)
{
    if (text == NULL) {
        return 1;
    }
    for (; *text != '\0'; text++) {
        if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r') {
            return 0;
        }
    }
    return 1;
}

static enum cv_err
check_group(const struct wk_param_score *scores, const struct wk_param_def *defs,
            size_t count, char *errbuf, size_t errbuf_len)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (scores[i].score < 1 || scores[i].score > 5) {
            (void)snprintf(errbuf, errbuf_len, "score of \"%s\" is %d, expected 1..5",
                           defs[i].key, scores[i].score);
            return CV_EINVAL;
        }
        if (is_blank(scores[i].reason)) {
            (void)snprintf(errbuf, errbuf_len, "reason of \"%s\" is missing", defs[i].key);
            return CV_EINVAL;
        }
    }
    return CV_OK;
}

enum cv_err
wk_eval_result_validate(const struct wk_eval_result *result, char *errbuf, size_t errbuf_len)
{
    enum cv_err rc;

    rc = check_group(result->cv, wk_cv_params, WK_CV_PARAM_COUNT, errbuf, errbuf_len);
    if (rc != CV_OK) {
        return rc;
    }
    rc = check_group(result->project, wk_project_params, WK_PROJECT_PARAM_COUNT, errbuf,
                     errbuf_len);
    if (rc != CV_OK) {
        return rc;
    }
    if (is_blank(result->cv_feedback)) {
        (void)snprintf(errbuf, errbuf_len, "cv_feedback is missing");
        return CV_EINVAL;
    }
    if (is_blank(result->project_feedback)) {
        (void)snprintf(errbuf, errbuf_len, "project_feedback is missing");
        return CV_EINVAL;
    }
    if (is_blank(result->overall_summary)) {
        (void)snprintf(errbuf, errbuf_len, "overall_summary is missing");
        return CV_EINVAL;
    }
    return CV_OK;
}

static double
weighted_mean(const struct wk_param_score *scores, const struct wk_param_def *defs,
              size_t count)
{
    double sum = 0.0;
    size_t i;

    for (i = 0; i < count; i++) {
        sum += defs[i].weight * (double)scores[i].score;
    }
    return sum;
}

/* Rounds to a fixed number of decimals so stored totals compare and print stably. */
static double
round_to(double value, double scale)
{
    return round(value * scale) / scale;
}

double
wk_eval_cv_match_rate(const struct wk_eval_result *result)
{
    return round_to(weighted_mean(result->cv, wk_cv_params, WK_CV_PARAM_COUNT) / 5.0, 1000.0);
}

double
wk_eval_project_score(const struct wk_eval_result *result)
{
    return round_to(weighted_mean(result->project, wk_project_params, WK_PROJECT_PARAM_COUNT),
                    100.0);
}

static cJSON *
scores_to_json(const struct wk_param_score *scores, const struct wk_param_def *defs,
               size_t count)
{
    cJSON  *group;
    cJSON  *item;
    size_t  i;

    group = cJSON_CreateObject();
    if (group == NULL) {
        return NULL;
    }
    for (i = 0; i < count; i++) {
        item = cJSON_AddObjectToObject(group, defs[i].key);
        if (item == NULL || cJSON_AddNumberToObject(item, "score", scores[i].score) == NULL ||
            cJSON_AddNumberToObject(item, "weight", defs[i].weight) == NULL ||
            cJSON_AddStringToObject(item, "reason", scores[i].reason) == NULL) {
            cJSON_Delete(group);
            return NULL;
        }
    }
    return group;
}

cJSON *
wk_eval_result_to_json(const struct wk_eval_result *result)
{
    cJSON *root;
    cJSON *part;

    root = cJSON_CreateObject();
    if (root == NULL) {
        return NULL;
    }
    if (cJSON_AddNumberToObject(root, "cv_match_rate", wk_eval_cv_match_rate(result)) == NULL ||
        cJSON_AddStringToObject(root, "cv_feedback", result->cv_feedback) == NULL ||
        cJSON_AddNumberToObject(root, "project_score", wk_eval_project_score(result)) == NULL ||
        cJSON_AddStringToObject(root, "project_feedback", result->project_feedback) == NULL ||
        cJSON_AddStringToObject(root, "overall_summary", result->overall_summary) == NULL) {
        goto fail;
    }

    part = scores_to_json(result->cv, wk_cv_params, WK_CV_PARAM_COUNT);
    if (part == NULL) {
        goto fail;
    }
    /* ownership of part moves to root */
    cJSON_AddItemToObject(root, "cv_scores", part);
    part = scores_to_json(result->project, wk_project_params, WK_PROJECT_PARAM_COUNT);
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(root, "project_scores", part);

    part = result->suspicious != NULL ? cJSON_Duplicate(result->suspicious, 1)
                                      : cJSON_CreateArray();
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(root, "suspicious_passages", part);

    part = result->provenance != NULL ? cJSON_Duplicate(result->provenance, 1)
                                      : cJSON_CreateObject();
    if (part == NULL) {
        goto fail;
    }
    cJSON_AddItemToObject(root, "provenance", part);
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}
