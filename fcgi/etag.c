/* Strong entity tags and If-None-Match matching. */
#include <string.h>

#include "common/sha256.h"
#include "fcgi/etag.h"

enum cv_err
api_etag_compute(const void *body, size_t len, char out[API_ETAG_SIZE])
{
    char        hex[CV_SHA256_HEX_LEN];
    enum cv_err rc;

    rc = cv_sha256_hex(body, len, hex);
    if (rc != CV_OK) {
        return rc;
    }
    /* 128 bits of the digest are plenty to tell two versions of one job apart. */
    out[0] = '"';
    memcpy(out + 1, hex, API_ETAG_SIZE - 3);
    out[API_ETAG_SIZE - 2] = '"';
    out[API_ETAG_SIZE - 1] = '\0';
    return CV_OK;
}

static const char *
skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return p;
}

/* etagc of RFC 9110 section 8.8.3: %x21 / %x23-7E / obs-text. */
static bool
is_etagc(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

bool
api_etag_none_match(const char *header, const char *etag)
{
    const char *p;
    const char *opaque;
    size_t      etag_len;
    size_t      opaque_len;

    if (header == NULL) {
        return false;
    }
    p = skip_ows(header);
    if (*p == '*') {
        return *skip_ows(p + 1) == '\0';
    }

    /* Compare the opaque tags with their quotes, so a W/ prefix on ours is skipped too. */
    if (strncmp(etag, "W/", 2) == 0) {
        etag += 2;
    }
    etag_len = strlen(etag);
    for (;;) {
        /* The list rule of RFC 9110 section 5.6.1 allows empty elements. */
        while (*p == ',' || *p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            return false;
        }
        if (strncmp(p, "W/", 2) == 0) {
            p += 2;
        }
        if (*p != '"') {
            return false;
        }
        opaque = p;
        p++;
        while (is_etagc((unsigned char)*p)) {
            p++;
        }
        if (*p != '"') {
            return false;
        }
        p++;
        opaque_len = (size_t)(p - opaque);
        if (opaque_len == etag_len && memcmp(opaque, etag, etag_len) == 0) {
            return true;
        }
        p = skip_ows(p);
        if (*p != ',' && *p != '\0') {
            return false;
        }
    }
}
