/*
 * libFuzzer target for type detection and cv_extract() on every type but PDF (a PDF
 * would fork a poppler child per input, which is far too slow for fuzzing). The target
 * aborts when detection changes between two calls, when an undetected input is not
 * CV_EMEDIA with a reason, or when cv_extract() disagrees with the detected type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cv_extract_limits fuzz_limits = {
    .max_pages = 10,
    .timeout_ms = 5000,
    .max_text_bytes = 1024 * 1024,
    .docx_max_entries = 200,
    .docx_max_uncompressed_bytes = 4 * 1024 * 1024,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_extract_result result;
    char                     reason[256] = "";
    enum cv_media            media = cv_extract_detect(data, size);
    enum cv_err              rc;

    if (cv_extract_detect(data, size) != media) {
        abort();
    }
    if ((cv_media_mime(media) == NULL) != (media == CV_MEDIA_UNKNOWN)) {
        abort();
    }
    if (media == CV_MEDIA_PDF) {
        return 0;
    }

    rc = cv_extract(data, size, &fuzz_limits, &result, reason, sizeof(reason));
    if (media == CV_MEDIA_UNKNOWN && (rc != CV_EMEDIA || reason[0] == '\0')) {
        abort();
    }
    if (rc == CV_OK && (result.media != media || result.text == NULL || result.text_len == 0 ||
                        strlen(result.text) != result.text_len)) {
        abort();
    }
    if (rc != CV_OK && (result.text != NULL || reason[0] == '\0')) {
        abort();
    }
    cv_extract_result_cleanup(&result);
    return 0;
}
