/* The step table; the parameter keys come from worker/evaluation.c. */
#include "worker/llm/step.h"

const struct wk_step_def wk_steps[WK_STEP_COUNT] = {
    {"cv", wk_cv_params, WK_CV_PARAM_COUNT, "cv_feedback"},
    {"project", wk_project_params, WK_PROJECT_PARAM_COUNT, "project_feedback"},
    {"summary", NULL, 0, "overall_summary"},
};
