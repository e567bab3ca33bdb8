/* UTF-8 decoding and the streaming normaliser shared by every extractor. */
#include <string.h>

#include "common/extract_norm.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8, written for every invalid byte. */
static const char replacement[] = "\xEF\xBF\xBD";

int
cv_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    unsigned char lead = s[0];
    unsigned char lo = 0x80;   /* allowed range of the second byte (Unicode 15, table 3-7) */
    unsigned char hi = 0xBF;
    int           need;
    uint32_t      value;
    int           i;

    if (lead < 0x80) {
        *cp = lead;
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 2;
        value = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 3;
        value = lead & 0x0F;
        if (lead == 0xE0) {
            lo = 0xA0;      /* below is an overlong form */
        } else if (lead == 0xED) {
            hi = 0x9F;      /* above are the UTF-16 surrogates */
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 4;
        value = lead & 0x07;
        if (lead == 0xF0) {
            lo = 0x90;      /* below is an overlong form */
        } else if (lead == 0xF4) {
            hi = 0x8F;      /* above is past U+10FFFF */
        }
    } else {
        return 0;           /* continuation byte, C0/C1 overlong lead, or F5-FF */
    }

    for (i = 1; i < need; i++) {
        if ((size_t)i >= avail) {
            return -1;
        }
        if (s[i] < lo || s[i] > hi) {
            return 0;
        }
        value = (value << 6) | (s[i] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = value;
    return need;
}

int
cv_utf8_validate(const unsigned char *data, size_t len, size_t *bad_offset)
{
    size_t   i = 0;
    uint32_t cp;
    int      n;

    while (i < len) {
        /* ASCII runs are the common case: skip them without decoding. */
        if (data[i] < 0x80) {
            i++;
            continue;
        }
        n = cv_utf8_decode(data + i, len - i, &cp);
        if (n <= 0) {
            if (bad_offset != NULL) {
                *bad_offset = i;
            }
            return 0;
        }
        i += (size_t)n;
    }
    return 1;
}

void
cv_extract_norm_init(struct cv_extract_norm *norm, struct cv_buf *out)
{
    memset(norm, 0, sizeof(*norm));
    norm->out = out;
}

/* Writes the line ends and indentation waiting before a visible character. */
static enum cv_err
flush_pending(struct cv_extract_norm *norm)
{
    enum cv_err rc;

    if (!norm->has_text) {
        /* Leading blank lines and spaces are trimmed. */
        norm->newline_count = 0;
        norm->space_len = 0;
        return CV_OK;
    }
    if (norm->newline_count > 0) {
        rc = cv_buf_append(norm->out, "\n\n", norm->newline_count >= 2 ? 2 : 1);
        if (rc != CV_OK) {
            return rc;
        }
        norm->newline_count = 0;
    }
    if (norm->space_len > 0) {
        rc = cv_buf_append(norm->out, norm->space, norm->space_len);
        if (rc != CV_OK) {
            return rc;
        }
        norm->space_len = 0;
    }
    return CV_OK;
}

static enum cv_err
put_visible(struct cv_extract_norm *norm, const char *bytes, size_t len)
{
    enum cv_err rc;

    rc = flush_pending(norm);
    if (rc != CV_OK) {
        return rc;
    }
    rc = cv_buf_append(norm->out, bytes, len);
    if (rc != CV_OK) {
        return rc;
    }
    norm->has_text = 1;
    return CV_OK;
}

static void
put_newlines(struct cv_extract_norm *norm, int count)
{
    norm->space_len = 0;    /* trailing spaces of the line end here */
    if (norm->newline_count < 2) {
        norm->newline_count += count;
    }
}

static void
put_space(struct cv_extract_norm *norm, char c)
{
    if (norm->space_len < sizeof(norm->space)) {
        norm->space[norm->space_len++] = c;
    }
}

/* Returns 1 for the Unicode space separators (general category Zs) other than U+0020. */
static int
is_unicode_space(uint32_t cp)
{
    return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* Handles one decoded character that is not printable ASCII. */
static enum cv_err
put_char(struct cv_extract_norm *norm, uint32_t cp, const unsigned char *bytes, size_t len)
{
    int after_cr = norm->after_cr;

    norm->after_cr = 0;
    switch (cp) {
    case '\n':
        if (!after_cr) {
            put_newlines(norm, 1);
        }
        return CV_OK;
    case '\r':
        norm->after_cr = 1;
        put_newlines(norm, 1);
        return CV_OK;
    case '\v':
    case 0x85:     /* NEL */
    case 0x2028:   /* LINE SEPARATOR */
        put_newlines(norm, 1);
        return CV_OK;
    case '\f':     /* page break */
    case 0x2029:   /* PARAGRAPH SEPARATOR */
        put_newlines(norm, 2);
        return CV_OK;
    case ' ':
    case '\t':
        put_space(norm, (char)cp);
        return CV_OK;
    case 0xFEFF:   /* byte order mark or zero-width no-break space */
    case 0xFFFE:
    case 0xFFFF:
        return CV_OK;
    default:
        break;
    }
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
        return CV_OK;   /* C0 and C1 controls and DEL */
    }
    if (is_unicode_space(cp)) {
        put_space(norm, ' ');
        return CV_OK;
    }
    return put_visible(norm, (const char *)bytes, len);
}

/* Writes U+FFFD for each of count invalid bytes. */
static enum cv_err
put_invalid(struct cv_extract_norm *norm, size_t count)
{
    enum cv_err rc = CV_OK;

    norm->after_cr = 0;
    while (count-- > 0 && rc == CV_OK) {
        rc = put_visible(norm, replacement, sizeof(replacement) - 1);
    }
    return rc;
}

/*
 * Completes the sequence cut at the end of the previous piece with the first bytes of
 * data, and stores in *consumed how many bytes of data it used. An invalid result gives
 * one U+FFFD per byte, the same as when the sequence had arrived in one piece.
 */
static enum cv_err
finish_partial(struct cv_extract_norm *norm, const unsigned char *data, size_t len,
               size_t *consumed)
{
    unsigned char seq[4];
    size_t        have = norm->partial_len;
    size_t        take;
    uint32_t      cp;
    int           n;

    take = sizeof(seq) - have < len ? sizeof(seq) - have : len;
    memcpy(seq, norm->partial, have);
    memcpy(seq + have, data, take);
    n = cv_utf8_decode(seq, have + take, &cp);
    if (n == -1) {
        /* Still cut, so the piece was shorter than the rest of the sequence. */
        memcpy(norm->partial, seq, have + take);
        norm->partial_len = have + take;
        *consumed = take;
        return CV_OK;
    }
    norm->partial_len = 0;
    if (n == 0) {
        *consumed = 0;
        return put_invalid(norm, have);
    }
    *consumed = (size_t)n - have;
    return put_char(norm, cp, seq, (size_t)n);
}

enum cv_err
cv_extract_norm_feed(struct cv_extract_norm *norm, const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t               i = 0;
    size_t               run;
    uint32_t             cp;
    int                  n;
    enum cv_err          rc = CV_OK;

    if (norm->partial_len > 0) {
        rc = finish_partial(norm, s, len, &i);
    }
    while (rc == CV_OK && i < len) {
        /* Printable ASCII is most of any text: copy it in runs. */
        run = 0;
        while (i + run < len && s[i + run] > 0x20 && s[i + run] < 0x7F) {
            run++;
        }
        if (run > 0) {
            norm->after_cr = 0;
            rc = put_visible(norm, data + i, run);
            i += run;
            continue;
        }

        if (s[i] < 0x80) {
            rc = put_char(norm, s[i], s + i, 1);
            i++;
            continue;
        }
        n = cv_utf8_decode(s + i, len - i, &cp);
        if (n == -1) {
            memcpy(norm->partial, s + i, len - i);
            norm->partial_len = len - i;
            break;
        }
        if (n == 0) {
            rc = put_invalid(norm, 1);
            i++;
            continue;
        }
        rc = put_char(norm, cp, s + i, (size_t)n);
        i += (size_t)n;
    }
    return rc;
}

enum cv_err
cv_extract_norm_newline(struct cv_extract_norm *norm)
{
    return cv_extract_norm_feed(norm, "\n", 1);
}

enum cv_err
cv_extract_norm_finish(struct cv_extract_norm *norm)
{
    enum cv_err rc;

    rc = put_invalid(norm, norm->partial_len);
    norm->partial_len = 0;
    norm->newline_count = 0;
    norm->space_len = 0;
    return rc;
}
