/*
 * The three steps of the LLM chain and what each must return: the CV step scores the
 * four CV parameters, the project step the five report parameters, and the summary
 * step writes the overall summary from the first two.
 */
#ifndef WK_LLM_STEP_H
#define WK_LLM_STEP_H

#include <stddef.h>

#include "worker/evaluation.h"

enum wk_step {
    WK_STEP_CV = 0,
    WK_STEP_PROJECT,
    WK_STEP_SUMMARY,
    WK_STEP_COUNT
};

struct wk_step_def {
    const char                 *name;          /* "cv", "project", "summary" */
    const struct wk_param_def  *params;        /* scored parameters, NULL for summary */
    size_t                      param_count;
    const char                 *text_key;      /* required free-text field of the reply */
};

extern const struct wk_step_def wk_steps[WK_STEP_COUNT];

#endif
