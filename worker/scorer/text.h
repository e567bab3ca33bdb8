/*
 * Term search for the built-in scorer: a document with an ASCII lower-case copy, and
 * matching of the small term language the lexicon tables use. Bytes outside ASCII are
 * compared as they are, so any script can be searched but only ASCII folds case.
 */
#ifndef WK_SCORER_TEXT_H
#define WK_SCORER_TEXT_H

#include <stddef.h>

#include "common/err.h"

/* Returned by wk_text_find() when there is no match. */
#define WK_TEXT_NONE ((size_t)-1)

struct wk_text {
    const char *orig;        /* borrowed, NUL-terminated */
    char       *lower;       /* owned, orig with A-Z lowered, same length */
    size_t      len;         /* bytes */
    size_t      word_count;  /* runs of non-space bytes */
};

/* Fills text from s, which must outlive it. Returns CV_OK or CV_ENOMEM. */
enum cv_err wk_text_init(struct wk_text *text, const char *s);

/* Frees the lower-case copy. A zeroed text is a no-op. */
void wk_text_cleanup(struct wk_text *text);

/*
 * Finds the first match, at or after byte from, of any alternative in terms. Term
 * language:
 *   "a|b"    alternatives, tried in order; the earliest match wins
 *   "node"   matches "node", "Node" or "NODE" as a whole word
 *   "=Go"    matches only the case written ("Go") or all upper case ("GO")
 *   "test*"  matches words starting with "test"
 *   "a b"    a space, '-' or '_' matches a run of spaces, line breaks, '-' and '_'
 * A word boundary is an ASCII letter or digit on neither side, checked only where the
 * term itself starts or ends with a letter or digit. Returns the offset or
 * WK_TEXT_NONE, and the match length in *match_len when that is not NULL.
 */
size_t wk_text_find(const struct wk_text *text, const char *terms, size_t from,
                    size_t *match_len);

/* Returns whether any alternative of terms occurs in text. */
int wk_text_has(const struct wk_text *text, const char *terms);

/* Returns whether any alternative of terms occurs in text[start, end). */
int wk_text_has_in(const struct wk_text *text, const char *terms, size_t start, size_t end);

/*
 * Returns the length of the first alternative of terms that matches exactly at byte
 * pos, with the boundary rules of wk_text_find(), or 0 when none does.
 */
size_t wk_text_match_at(const struct wk_text *text, const char *terms, size_t pos);

/* Returns whether c is an ASCII letter or digit. */
int wk_is_alnum(char c);

/* Returns whether c is ASCII white space. */
int wk_is_space(char c);

#endif
