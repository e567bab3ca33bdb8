/*
 * UTF-8 text helpers of the LLM path: JSON string escaping straight into a bounded
 * buffer, and cutting at a character boundary. Request bodies are built on every call,
 * and appending escaped strings to a reused buffer avoids building a cJSON tree and
 * printing it, which would allocate and copy each prompt twice.
 */
#ifndef WK_LLM_TEXT_H
#define WK_LLM_TEXT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/*
 * Appends text[0..len) as a quoted JSON string. Control characters, quotes and
 * backslashes are escaped. Bytes that are not valid UTF-8 become U+FFFD, because
 * providers reject a body that is not UTF-8 and candidate documents may contain any
 * bytes. Returns CV_OK or the error of cv_buf_append(), after which buf may contain
 * part of the string.
 */
enum cv_err wk_json_append_string(struct cv_buf *buf, const char *text, size_t len);

/*
 * Returns the largest length not above max_len at which len bytes of text can be cut
 * without splitting a UTF-8 sequence: len itself when it fits.
 */
size_t wk_text_cut_len(const char *text, size_t len, size_t max_len);

#endif
