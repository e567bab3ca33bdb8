/*
 * libFuzzer target for UTF-8 validation, the streaming normaliser and the text reader
 * (common/extract_norm.c, common/extract_text.c). Each input is normalised whole and
 * in two pieces, cut at a point taken from its first byte. The target aborts when the
 * two outputs differ or when an output breaks the normalisation rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/extract.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_TEXT_BYTES (1024 * 1024)

static void
check_text(const char *text, size_t len)
{
    size_t i;

    if (!cv_utf8_validate((const unsigned char *)text, len, NULL) || strlen(text) != len) {
        abort();
    }
    if (len > 0 && (strchr(" \t\n", text[0]) != NULL || strchr(" \t\n", text[len - 1]) != NULL)) {
        abort();
    }
    if (strstr(text, "\n\n\n") != NULL || strstr(text, " \n") != NULL) {
        abort();
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            abort();
        }
    }
}

/* Normalises input in two pieces, the first split bytes long; returns the text. */
static char *
normalise(const char *input, size_t len, size_t split, size_t *out_len)
{
    struct cv_buf          out;
    struct cv_extract_norm norm;
    enum cv_err            rc;

    cv_buf_init(&out, FUZZ_MAX_TEXT_BYTES * 2);
    cv_extract_norm_init(&norm, &out);
    rc = cv_extract_norm_feed(&norm, input, split);
    if (rc == CV_OK) {
        rc = cv_extract_norm_feed(&norm, input + split, len - split);
    }
    if (rc == CV_OK) {
        rc = cv_extract_norm_finish(&norm);
    }
    if (rc != CV_OK) {
        abort();   /* output is never more than 3 bytes per input byte */
    }
    *out_len = out.len;
    return cv_buf_take(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char   *input = (const char *)data;
    size_t        split = size > 0 ? (data[0] * size) / 256 : 0;
    size_t        whole_len;
    size_t        split_len;
    char         *whole;
    char         *pieces;
    struct cv_buf out;
    char          reason[256] = "";
    enum cv_err   rc;

    if (size > FUZZ_MAX_TEXT_BYTES / 2) {
        return 0;
    }
    whole = normalise(input, size, size, &whole_len);
    pieces = normalise(input, size, split, &split_len);
    if (whole == NULL || pieces == NULL || whole_len != split_len || strcmp(whole, pieces) != 0) {
        abort();
    }
    check_text(whole, whole_len);
    free(whole);
    free(pieces);

    /* The text reader accepts exactly the valid UTF-8 without NUL, after a BOM. */
    cv_buf_init(&out, FUZZ_MAX_TEXT_BYTES);
    rc = cv_extract_text(data, size, &out, reason, sizeof(reason));
    {
        size_t bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        int    acceptable = memchr(data + bom, '\0', size - bom) == NULL &&
                         cv_utf8_validate(data + bom, size - bom, NULL);

        if ((rc == CV_OK) != acceptable || (rc != CV_OK && rc != CV_EMEDIA)) {
            abort();
        }
    }
    if (rc == CV_OK) {
        check_text(out.data != NULL ? out.data : "", out.len);
    }
    cv_buf_cleanup(&out);
    return 0;
}
