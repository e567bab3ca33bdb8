/*
 * libFuzzer target for the DOCX reader (common/extract_docx.c), run with small limits.
 * An input whose first byte is odd is the XML of word/document.xml: the target stores
 * it in a valid zip first, so mutations reach the XML walker instead of failing the
 * zip checksum. Any other input is the zip archive itself. The target aborts when a
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

static const char content_types[] =
    "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"/>";

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

static uint32_t
crc32_of(const unsigned char *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t   i;
    int      bit;

    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void
put16(struct cv_buf *zip, unsigned value)
{
    unsigned char b[2] = { (unsigned char)value, (unsigned char)(value >> 8) };

    (void)cv_buf_append(zip, b, sizeof(b)); /* the buffer is sized for the whole archive */
}

static void
put32(struct cv_buf *zip, uint32_t value)
{
    put16(zip, value & 0xFFFF);
    put16(zip, value >> 16);
}

/* Appends a stored entry's local header and data; returns its offset. */
static uint32_t
add_entry(struct cv_buf *zip, const char *name, const unsigned char *data, size_t len)
{
    uint32_t offset = (uint32_t)zip->len;

    put32(zip, 0x04034b50);
    put16(zip, 20);
    put16(zip, 0);
    put16(zip, 0);   /* stored */
    put16(zip, 0);
    put16(zip, 0);
    put32(zip, crc32_of(data, len));
    put32(zip, (uint32_t)len);
    put32(zip, (uint32_t)len);
    put16(zip, (unsigned)strlen(name));
    put16(zip, 0);
    (void)cv_buf_append(zip, name, strlen(name));
    (void)cv_buf_append(zip, data, len);
    return offset;
}

static void
add_central(struct cv_buf *zip, const char *name, const unsigned char *data, size_t len,
            uint32_t offset)
{
    put32(zip, 0x02014b50);
    put16(zip, 20);
    put16(zip, 20);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0);
    put32(zip, crc32_of(data, len));
    put32(zip, (uint32_t)len);
    put32(zip, (uint32_t)len);
    put16(zip, (unsigned)strlen(name));
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 0);
    put32(zip, 0);
    put32(zip, offset);
    (void)cv_buf_append(zip, name, strlen(name));
}

/* Builds a two-entry stored zip: [Content_Types].xml and word/document.xml = xml. */
static void
wrap_document(const unsigned char *xml, size_t len, struct cv_buf *zip)
{
    const unsigned char *types = (const unsigned char *)content_types;
    size_t               types_len = sizeof(content_types) - 1;
    uint32_t             types_at;
    uint32_t             doc_at;
    uint32_t             central_at;

    types_at = add_entry(zip, "[Content_Types].xml", types, types_len);
    doc_at = add_entry(zip, "word/document.xml", xml, len);
    central_at = (uint32_t)zip->len;
    add_central(zip, "[Content_Types].xml", types, types_len, types_at);
    add_central(zip, "word/document.xml", xml, len, doc_at);
    put32(zip, 0x06054b50);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, 2);
    put16(zip, 2);
    put32(zip, (uint32_t)zip->len - central_at);
    put32(zip, central_at);
    put16(zip, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_buf out;
    struct cv_buf zip;
    char          reason[256] = "";
    enum cv_err   rc;

    cv_buf_init(&zip, size + 512);
    if (size > 0 && (data[0] & 1) != 0) {
        wrap_document(data + 1, size - 1, &zip);
        data = (const uint8_t *)zip.data;
        size = zip.len;
    }
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
    cv_buf_cleanup(&zip);
    return 0;
}
