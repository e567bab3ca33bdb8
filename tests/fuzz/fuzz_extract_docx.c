/*
 * libFuzzer target for the DOCX reader (common/extract_docx.c): the input is a zip
 * archive handed to cv_extract_docx() with small limits. The target aborts when a
 * success yields text that breaks the normalisation rules, or a failure has no reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/extract.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits keep one run fast; the code paths are the same as with the defaults. */
static const struct cv_extract_limits fuzz_limits = {
    .max_pages = 10,
    .timeout_ms = 5000,
    .max_text_bytes = 1024 * 1024,
    .docx_max_entries = 200,
    .docx_max_uncompressed_bytes = 4 * 1024 * 1024,
};

/* Aborts unless text is what the normaliser promises. */
static void
check_text(const char *text, size_t len)
{
    size_t i;

    if (len == 0) {
        return;
    }
    if (!cv_utf8_validate((const unsigned char *)text, len, NULL) || strlen(text) != len) {
        abort();
    }
    if (text[0] == ' ' || text[0] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\n' ||
        strstr(text, "\n\n\n") != NULL) {
        abort();
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_buf out;
    char          reason[256] = "";
    enum cv_err   rc;

    (void)cv_extract_detect(data, size); /* must not crash on any zip-like input */

    cv_buf_init(&out, fuzz_limits.max_text_bytes);
    rc = cv_extract_docx(data, size, &fuzz_limits, cv_clock_mono_ms() + fuzz_limits.timeout_ms,
                         &out, reason, sizeof(reason));
    if (rc == CV_OK) {
        check_text(out.data != NULL ? out.data : "", out.len);
    } else if (reason[0] == '\0' && rc != CV_ENOMEM) {
        abort();
    }
    cv_buf_cleanup(&out);
    return 0;
}
