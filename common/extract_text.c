/*
 * Plain text and Markdown: strict UTF-8 validation, then the shared normalisation.
 * Markdown is kept as written; its markup is meaningful to a reader and to an LLM.
 */
#include <string.h>

#include "common/extract_formats.h"
#include "common/extract_norm.h"

enum cv_err
cv_extract_text(const unsigned char *data, size_t len, struct cv_buf *out, char *errbuf,
                size_t errbuf_len)
{
    struct cv_extract_norm norm;
    const unsigned char   *nul;
    size_t                 bom_len = 0;
    size_t                 bad = 0;
    enum cv_err            rc;

    /* Offsets in reasons count from the start of the upload, BOM included. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        bom_len = 3;
        data += bom_len;
        len -= bom_len;
    }
    nul = len > 0 ? memchr(data, '\0', len) : NULL;
    if (nul != NULL) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "text contains a NUL byte at offset %zu",
                               bom_len + (size_t)(nul - data));
    }
    if (!cv_utf8_validate(data, len, &bad)) {
        return cv_extract_fail(CV_EMEDIA, errbuf, errbuf_len,
                               "text is not valid UTF-8 (invalid byte at offset %zu)",
                               bom_len + bad);
    }

    cv_extract_norm_init(&norm, out);
    rc = cv_extract_norm_feed(&norm, (const char *)data, len);
    if (rc == CV_OK) {
        rc = cv_extract_norm_finish(&norm);
    }
    if (rc == CV_ETOOLARGE) {
        return cv_extract_fail(rc, errbuf, errbuf_len, "text is longer than the limit of %zu bytes",
                               out->max_len);
    }
    return rc;
}
