/*
 * The built-in scorer: a deterministic, offline evaluator that scores a CV against a
 * job description and a project report against a case-study brief by the evidence it
 * finds in their text. It is the default evaluator, so the service works without any
 * LLM provider, and the LLM chain's last fallback.
 */
#ifndef WK_SCORER_H
#define WK_SCORER_H

#include "common/err.h"
#include "worker/evaluation.h"

/*
 * Version of the scoring rules, stored in the provenance of every result. Change it
 * with any change that can alter a score or a feedback text.
 */
#define WK_SCORER_VERSION "1.0.0"

/*
 * Evaluates in into out, which must be zeroed. Prompt injection is removed from both
 * documents first (see worker/injection.h) and reported in out->suspicious, so an
 * injected CV scores exactly like the same CV without the injection. The rubric
 * weights are the fixed ones of worker/evaluation.h: in->scoring_rubric and
 * in->job_title are not read. Text in any language or script is accepted; without
 * evidence the scores are low.
 *
 * The same input always gives the same result, byte for byte: nothing depends on the
 * time, the locale, randomness or memory addresses. Returns CV_OK, CV_EINVAL when
 * in, out or one of its four texts is NULL, CV_ENOMEM, or CV_EINTERNAL when injection
 * detection cannot run. On failure out may hold partial results, which the caller
 * releases with wk_eval_result_cleanup(). Thread-safe; uses no network or files.
 */
enum cv_err wk_scorer_evaluate(const struct wk_eval_input *in, struct wk_eval_result *out);

#endif
