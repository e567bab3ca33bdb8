/*
 * Written feedback of the built-in scorer: the CV and project feedback, the overall
 * summary, and the lists of skill and signal names that reasons share. Every word
 * comes from the scorer's own tables and numbers, never from a document.
 */
#ifndef WK_SCORER_FEEDBACK_H
#define WK_SCORER_FEEDBACK_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "worker/evaluation.h"
#include "worker/scorer/evidence.h"

/* Maximum length of one feedback text, in bytes. */
#define WK_FEEDBACK_MAX_LEN 2048

/*
 * Appends the labels of the signals whose bit is set, as "a, b and c", at most
 * max_items of them followed by "and N more". Appends nothing for no bits.
 */
enum cv_err wk_list_signals(struct cv_buf *out, const struct wk_signal *signals, size_t count,
                            unsigned bits, size_t max_items);

/* Appends the names of the skills flagged in skills[], like wk_list_signals(). */
enum cv_err wk_list_skills(struct cv_buf *out, const unsigned char *skills, size_t max_items);

/* Appends the labels of the skill areas whose bit is set, like wk_list_signals(). */
enum cv_err wk_list_areas(struct cv_buf *out, unsigned areas);

/* Stores the CV feedback in *out, which the caller frees. Needs the CV scores set. */
enum cv_err wk_feedback_cv(const struct wk_cv_evidence *ev, const struct wk_eval_result *result,
                           char **out);

/* Stores the project feedback in *out, which the caller frees. Needs the project scores. */
enum cv_err wk_feedback_project(const struct wk_project_evidence *ev,
                                const struct wk_eval_result *result, char **out);

/*
 * Stores the overall summary in *out, which the caller frees: three or four sentences
 * naming strengths, gaps and a recommendation, plus a note when suspicious_count
 * passages were removed. Needs every score set.
 */
enum cv_err wk_feedback_summary(const struct wk_eval_result *result, int suspicious_count,
                                char **out);

#endif
