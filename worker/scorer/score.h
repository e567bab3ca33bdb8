/*
 * Rubric scores from evidence: each parameter gets an integer 1-5 and a one-line
 * reason that names the evidence behind it. The thresholds live in score_cv.c and
 * score_project.c next to the rubric lines they implement.
 */
#ifndef WK_SCORER_SCORE_H
#define WK_SCORER_SCORE_H

#include "common/buf.h"
#include "common/err.h"
#include "worker/evaluation.h"
#include "worker/scorer/evidence.h"

/* Maximum length of one reason, in bytes. */
#define WK_REASON_MAX_LEN 400

/*
 * Fills result->cv[] (scores and owned reasons). A parameter already holding a reason
 * is not expected: the caller passes a zeroed result. Returns CV_OK or CV_ENOMEM.
 */
enum cv_err wk_score_cv(const struct wk_cv_evidence *ev, struct wk_eval_result *result);

/* Fills result->project[] like wk_score_cv(). Returns CV_OK or CV_ENOMEM. */
enum cv_err wk_score_project(const struct wk_project_evidence *ev,
                             struct wk_eval_result *result);

/* Returns the score for a count of signals: 0 -> 1, 1 -> 2, 2-3 -> 3, 4-5 -> 4, 6+ -> 5. */
int wk_score_from_count(int count);

/* Returns the score for a coverage percentage by the cut points low[0..3] (ascending). */
int wk_score_from_percent(int percent, const int low[4]);

/*
 * Finishes a parameter. rc is the result of building the reason in buf. When it is
 * CV_OK, sets param's score and moves the text of buf into its reason. Otherwise frees
 * buf and leaves param alone. Returns CV_OK, rc, or CV_ENOMEM.
 */
enum cv_err wk_score_set(struct wk_param_score *param, int score, struct cv_buf *buf,
                         enum cv_err rc);

#endif
