/*
 * Reading a model's reply: the JSON object is cut out of code fences and surrounding
 * prose, parsed, and checked strictly against what the step requests. Scores must be
 * integers from 1 to 5; nothing is clamped, rounded, coerced from a string or filled
 * in. When a reply fails, the problems are listed in words the repair request can
 * quote back to the model.
 */
#ifndef WK_LLM_REPLY_H
#define WK_LLM_REPLY_H

#include <stddef.h>

#include "common/err.h"
#include "worker/evaluation.h"
#include "worker/llm/step.h"

/* Maximum reason length of one parameter, in bytes. The prompt requests one line. */
#define WK_REPLY_REASON_MAX_LEN 1000

/* Maximum feedback or summary length, in bytes. */
#define WK_REPLY_TEXT_MAX_LEN 6000

/*
 * Finds the JSON object in content: inside the first code fence whose body starts with
 * "{", else the first "{" from which a balanced object can be read, skipping prose
 * before and after. Sets *start and *len to the object's bytes inside content.
 * Returns CV_OK, or CV_EINVAL with a problem text in problems when there is none.
 */
enum cv_err wk_reply_extract(const char *content, size_t content_len, const char **start,
                             size_t *len, char *problems, size_t problems_len);

/*
 * Parses and validates the reply content of step. is_truncated is set when the
 * provider stopped at the token limit (finish_reason "length"). A reply that still
 * validates is accepted. On CV_OK the step's fields of out are set (scores and reasons plus
 * cv_feedback, project_feedback or overall_summary); they must be unset on entry.
 * On CV_EINVAL out is unchanged and problems lists every problem found, separated by
 * "; ". Returns CV_ENOMEM when allocation fails. Thread-safe.
 */
enum cv_err wk_reply_parse(enum wk_step step, const char *content, size_t content_len,
                           int is_truncated, struct wk_eval_result *out, char *problems,
                           size_t problems_len);

#endif
