/* JSON string escaping with UTF-8 repair, and cutting at character boundaries. */
#include <stdint.h>

#include "worker/llm/text.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[] = "\xef\xbf\xbd";

/*
 * Returns the length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one:
 * overlong forms, surrogates and code points above U+10FFFF are invalid (RFC 3629).
 */
static size_t
utf8_sequence_len(const unsigned char *p, size_t avail)
{
    uint32_t cp;
    size_t   len;
    size_t   i;

    if (p[0] < 0x80) {
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > avail) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

enum cv_err
wk_json_append_string(struct cv_buf *buf, const char *text, size_t len)
{
    static const char    hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *run = p;
    const unsigned char *end = p + len;
    char                 esc[7];
    size_t               seq;
    enum cv_err          rc;

    rc = cv_buf_append(buf, "\"", 1);
    while (rc == CV_OK && p < end) {
        seq = utf8_sequence_len(p, (size_t)(end - p));
        if (seq > 1 || (seq == 1 && *p >= 0x20 && *p != '"' && *p != '\\')) {
            p += seq;
            continue;
        }

        /* Flush the run of plain bytes, then write the escape for *p. */
        rc = cv_buf_append(buf, run, (size_t)(p - run));
        if (rc != CV_OK) {
            break;
        }
        if (seq == 0) {
            rc = cv_buf_append(buf, replacement, sizeof(replacement) - 1);
        } else if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            rc = cv_buf_append(buf, esc, 2);
        } else if (*p == '\n') {
            rc = cv_buf_append(buf, "\\n", 2);
        } else if (*p == '\t') {
            rc = cv_buf_append(buf, "\\t", 2);
        } else if (*p == '\r') {
            rc = cv_buf_append(buf, "\\r", 2);
        } else {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            rc = cv_buf_append(buf, esc, 6);
        }
        p++;
        run = p;
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(buf, run, (size_t)(p - run));
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(buf, "\"", 1);
    }
    return rc;
}

size_t
wk_text_cut_len(const char *text, size_t len, size_t max_len)
{
    if (len <= max_len) {
        return len;
    }
    len = max_len;
    while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80) {
        len--;
    }
    return len;
}
