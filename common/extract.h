/*
 * Text extraction from uploaded documents. The type is detected from content (magic
 * bytes, zip entries), never from the file name or a declared Content-Type. PDF text
 * comes from an in-process PDF library, DOCX text from libzip and libxml2, and plain
 * text and Markdown are validated as UTF-8.
 */
#ifndef CV_EXTRACT_H
#define CV_EXTRACT_H

#include <stddef.h>

#include "common/err.h"

enum cv_media {
    CV_MEDIA_UNKNOWN = 0,
    CV_MEDIA_PDF,
    CV_MEDIA_DOCX,
    CV_MEDIA_TEXT,
    CV_MEDIA_MARKDOWN
};

struct cv_extract_limits {
    long   max_pages;                   /* PDF pages read before CV_ETOOLARGE */
    long   timeout_ms;                  /* wall time for one document */
    size_t max_text_bytes;              /* extracted text kept before CV_ETOOLARGE */
    long   docx_max_entries;            /* zip entries allowed in a DOCX */
    size_t docx_max_uncompressed_bytes; /* inflated size allowed for one DOCX part */
};

struct cv_extract_result {
    enum cv_media media;
    char         *text;        /* owned, NUL-terminated UTF-8; free with cv_extract_result_cleanup */
    size_t        text_len;    /* bytes, excluding the NUL */
    int           page_count;  /* PDF pages, 0 for other types */
};

/* Detects the media type of data from its content alone. */
enum cv_media cv_extract_detect(const unsigned char *data, size_t len);

/* Returns the MIME type stored for media ("application/pdf", ...), or NULL for unknown. */
const char *cv_media_mime(enum cv_media media);

/*
 * Extracts the text of a document. Returns:
 *   CV_OK          result filled, text has at least one non-space character
 *   CV_EMEDIA      not a PDF, DOCX, UTF-8 text or Markdown document
 *   CV_EUNREADABLE a detected type with no extractable text (scanned, empty, encrypted
 *                  without text access, damaged beyond reading)
 *   CV_ETOOLARGE   page, entry, inflated-size or text limit passed
 *   CV_ETIMEOUT    the time limit passed
 *   CV_ENOMEM
 * On any failure result holds nothing to free and errbuf has a reason fit for a client
 * (it never quotes document text). Not thread-safe for PDF if the library is not; see
 * extract.c.
 */
enum cv_err cv_extract(const unsigned char *data, size_t len,
                       const struct cv_extract_limits *limits,
                       struct cv_extract_result *result, char *errbuf, size_t errbuf_len);

/* Frees the text of a result; a zeroed result is a no-op. */
void cv_extract_result_cleanup(struct cv_extract_result *result);

#endif
