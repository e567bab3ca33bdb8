/*
 * Sanitising of client file names from multipart parts. The result is display metadata
 * only: no file is ever created under this name.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fcgi/multipart.h"

/*
 * Returns the length (1-4) of the well-formed UTF-8 character at s and stores its code
 * point, or returns 0 when the bytes are not one (RFC 3629 section 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF).
 */
static size_t
decode_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t   need;
    size_t   i;
    uint32_t value;
    uint8_t  min2 = 0x80;  /* allowed range of the second byte */
    uint8_t  max2 = 0xbf;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2;
        value = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3;
        value = s[0] & 0x0f;
        min2 = s[0] == 0xe0 ? 0xa0 : 0x80;
        max2 = s[0] == 0xed ? 0x9f : 0xbf;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4;
        value = s[0] & 0x07;
        min2 = s[0] == 0xf0 ? 0x90 : 0x80;
        max2 = s[0] == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len < need || s[1] < min2 || s[1] > max2) {
        return 0;
    }
    for (i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        value = value << 6 | (s[i] & 0x3f);
    }
    *cp = value;
    return need;
}

/*
 * Returns whether the code point is dropped: C0 and C1 controls, DEL, and the Unicode
 * Bidi_Control characters that can make "gpj.exe" display as "exe.jpg".
 */
static bool
is_dropped(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
        return true;
    }
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

void
api_multipart_sanitize_filename(const char *src, size_t src_len, char *dst, size_t dst_size)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t               start = 0;
    size_t               i;
    size_t               k;
    size_t               n;
    size_t               out = 0;
    uint32_t             cp;

    if (dst_size == 0) {
        return;
    }

    /* Base name: browsers on Windows and old clients send whole paths. */
    for (i = 0; i < src_len; i++) {
        if (s[i] == '/' || s[i] == '\\') {
            start = i + 1;
        }
    }

    for (i = start; i < src_len; i += n) {
        n = decode_utf8(s + i, src_len - i, &cp);
        if (n == 0) {
            n = 1;  /* drop one byte of the invalid sequence and resynchronise */
            continue;
        }
        if (is_dropped(cp)) {
            continue;
        }
        /* No hidden names, no "." or "..": leading dots and spaces go. */
        if (out == 0 && (cp == '.' || cp == ' ')) {
            continue;
        }
        if (n > dst_size - 1 - out) {
            break;
        }
        for (k = 0; k < n; k++) {
            dst[out++] = (char)s[i + k];
        }
    }

    while (out > 0 && dst[out - 1] == ' ') {
        out--;
    }
    dst[out] = '\0';
}
