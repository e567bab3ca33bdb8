/*
 * UTF-8 validation and the one text normalisation that every extractor's output goes
 * through. The normaliser is streaming: extractors feed it pieces as they read them,
 * and it writes the final text straight into a bounded buffer, so no raw copy of the
 * whole text is ever kept.
 */
#ifndef CV_EXTRACT_NORM_H
#define CV_EXTRACT_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Spaces and tabs kept in a row; a longer run is layout padding and is cut to this. */
#define CV_EXTRACT_NORM_SPACE_MAX 64

/*
 * Decodes one UTF-8 sequence at s, of which avail bytes are readable, and returns its
 * length (1-4) with the code point in *cp. Returns 0 for an invalid sequence: an
 * overlong form, a surrogate, a value above U+10FFFF or a stray continuation byte.
 * Returns -1 when the bytes so far are a valid prefix that avail cuts short.
 */
int cv_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);

/*
 * Returns 1 when data is entirely valid UTF-8, else 0 with the offset of the first
 * invalid or truncated sequence in *bad_offset (which may be NULL).
 */
int cv_utf8_validate(const unsigned char *data, size_t len, size_t *bad_offset);

/*
 * Normaliser state. What comes out is valid UTF-8 in which:
 *   - CR LF, CR, VT, NEL and U+2028 end a line; FF and U+2029 end a paragraph;
 *   - other C0 and C1 controls, DEL, U+FEFF and the noncharacters U+FFFE and U+FFFF
 *     are dropped, and every invalid byte becomes U+FFFD;
 *   - Unicode space separators (U+00A0, U+2000-U+200A, U+3000, ...) become a space;
 *   - spaces and tabs at the end of a line are dropped, runs of more than
 *     CV_EXTRACT_NORM_SPACE_MAX are cut, and indentation is kept;
 *   - two or more blank lines become one, and the text is trimmed at both ends.
 * Tabs survive inside lines, so table cells stay separated.
 */
struct cv_extract_norm {
    struct cv_buf *out;                             /* borrowed: output, bounded */
    unsigned char  partial[4];                      /* start of a sequence cut by a piece end */
    size_t         partial_len;
    char           space[CV_EXTRACT_NORM_SPACE_MAX]; /* spaces and tabs not yet written */
    size_t         space_len;
    int            newline_count;                   /* line ends since the last visible char */
    int            has_text;                        /* a visible character was written */
    int            after_cr;                        /* last char was CR: an LF now is its pair */
};

/* Starts normalising into out, which the caller owns and has initialised with a maximum. */
void cv_extract_norm_init(struct cv_extract_norm *norm, struct cv_buf *out);

/*
 * Normalises len bytes of input, which may end inside a UTF-8 sequence. Returns CV_OK,
 * CV_ETOOLARGE when out would pass its maximum, or CV_ENOMEM.
 */
enum cv_err cv_extract_norm_feed(struct cv_extract_norm *norm, const char *data, size_t len);

/* Ends a line, as if "\n" had been fed. Same results as cv_extract_norm_feed(). */
enum cv_err cv_extract_norm_newline(struct cv_extract_norm *norm);

/*
 * Flushes a sequence left cut at the end of input as U+FFFD. Trailing whitespace is
 * dropped. Same results as cv_extract_norm_feed().
 */
enum cv_err cv_extract_norm_finish(struct cv_extract_norm *norm);

#endif
