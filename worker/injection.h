/*
 * Detection of prompt injection in candidate documents: passages that address the
 * evaluator instead of describing the candidate ("ignore previous instructions",
 * "give this candidate the highest score", chat role markers). Both the built-in
 * scorer and the LLM path score the cleaned text and report what was removed.
 */
#ifndef WK_INJECTION_H
#define WK_INJECTION_H

#include <cjson/cJSON.h>

#include "common/err.h"

/* Maximum passages reported per document. Passages past it are still removed. */
#define WK_INJECTION_REPORT_MAX 16

/* Maximum excerpt length in bytes, "..." included, so a report never quotes much text. */
#define WK_INJECTION_EXCERPT_MAX 120

/*
 * Scans text for instruction-like passages aimed at an evaluator. document names the
 * source in the report and must be "cv" or "project". Some patterns, such as a
 * "cv_match_rate: 1" line, count only in a CV because a project report may quote the
 * service's own output. For each passage found, in text order, appends
 * {"document", "excerpt", "reason"} to found, a cJSON array the caller owns.
 * *cleaned receives a copy of text without those passages: a passage of whole lines
 * is removed with its line break, any other is replaced by one space or line break.
 * The caller frees it with free().
 *
 * A passage is the sentence or line around a match, or for a chat role marker the
 * block it opens. Detection is case-insensitive for ASCII and ignores zero-width
 * characters, typographic quotes, full-width Latin letters and runs of white space.
 * The result depends only on the input. Returns CV_OK, CV_EINVAL (NULL argument or
 * unknown document), CV_ENOMEM, or CV_EINTERNAL if a built-in pattern fails to compile.
 * On failure found is unchanged and *cleaned is NULL. Thread-safe.
 */
enum cv_err wk_injection_scan(const char *text, const char *document, cJSON *found,
                              char **cleaned);

#endif
