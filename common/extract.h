/*
 * Text extraction from uploaded documents. The type is detected from content (magic
 * bytes, zip entries), never from the file name or a declared Content-Type. PDF text
 * comes from poppler in a forked child process, DOCX text from libzip and libxml2, and
 * plain text and Markdown are validated as UTF-8. Every type's text goes through the
 * same normalisation (see extract_norm.h). docs/pdf-extraction.md explains the choices.
 */
#ifndef CV_EXTRACT_H
#define CV_EXTRACT_H

#include <stddef.h>

#include "common/err.h"

struct cv_config;

enum cv_media {
    CV_MEDIA_UNKNOWN = 0,
    CV_MEDIA_PDF,
    CV_MEDIA_DOCX,
    CV_MEDIA_TEXT,
    CV_MEDIA_MARKDOWN
};

struct cv_extract_limits {
    long   max_pages;                   /* PDF pages; more is CV_ETOOLARGE */
    long   timeout_ms;                  /* wall time for one document */
    size_t max_text_bytes;              /* normalised text bytes kept before CV_ETOOLARGE */
    long   docx_max_entries;            /* zip entries allowed in a DOCX */
    size_t docx_max_uncompressed_bytes; /* inflated bytes allowed for one DOCX part */
};

struct cv_extract_result {
    enum cv_media media;
    char         *text;        /* owned, NUL-terminated UTF-8; see cv_extract_result_cleanup */
    size_t        text_len;    /* bytes, excluding the NUL */
    int           page_count;  /* PDF pages, 0 for other types */
};

/*
 * Detects the media type of data from its content alone, in this order:
 *   PDF       "%PDF-<digit>.<digit>" at the start, or later within the first 1024
 *             bytes of data that is not valid UTF-8 text; data without that header
 *             is never a PDF here
 *   DOCX      a zip archive holding both "[Content_Types].xml" and "word/document.xml";
 *             a damaged archive counts when its local headers name both
 *   MARKDOWN  valid UTF-8 text that passes the Markdown test below
 *   TEXT      any other valid UTF-8 text, including empty data
 * Everything else is CV_MEDIA_UNKNOWN: other zip archives (xlsx, odt, epub, jar), OLE
 * files (.doc, password-protected Office files), images, UTF-16 or UTF-32 text, invalid
 * UTF-8, NUL bytes, and data with more than 1 control character per 100 bytes.
 *
 * Markdown test, over lines outside fenced code blocks: strong signs are ATX headings
 * ("# Title"), setext underlines, fence pairs, links or images ("[a](b)", "<https://..>")
 * and table delimiter rows ("|---|"); weak signs are list items, block quotes and
 * emphasis or code spans. Markdown means at least 2 strong signs, or 1 strong and 2
 * weak. Plain text with only bullets stays TEXT. Pure; thread-safe; never blocks.
 */
enum cv_media cv_extract_detect(const unsigned char *data, size_t len);

/*
 * Returns the MIME type stored for media, as the CHECK constraint on uploads.media_type
 * lists them ("application/pdf", ...), or NULL for CV_MEDIA_UNKNOWN.
 */
const char *cv_media_mime(enum cv_media media);

/* Returns a short lower-case name for logs and metrics ("pdf", "docx", "unknown"). */
const char *cv_media_name(enum cv_media media);

/* Fills limits from the EXTRACT_* and DOCX_* settings of cfg. */
void cv_extract_limits_from_config(struct cv_extract_limits *limits, const struct cv_config *cfg);

/*
 * Extracts the normalised text of a document. Returns:
 *   CV_OK          result filled, text has at least one non-space character
 *   CV_EMEDIA      not a PDF, DOCX, UTF-8 text or Markdown document
 *   CV_EUNREADABLE a detected type with no extractable text: empty, scanned or
 *                  image-only, encrypted with a user password, damaged beyond reading,
 *                  or a DOCX without its main part
 *   CV_ETOOLARGE   the page, zip entry, inflated-size or text limit was passed
 *   CV_ETIMEOUT    limits->timeout_ms passed
 *   CV_ENOMEM      an allocation failed
 *   CV_EUNAVAIL    the PDF child process could not be started (fork or pipe failed)
 *   CV_EINVAL      limits or result is NULL, or data is NULL with len > 0
 * On any failure result holds nothing to free and errbuf has a reason fit for a client:
 * it never quotes document text. data is only read, never copied whole.
 *
 * Blocks for up to limits->timeout_ms. A PDF is parsed in a forked child, which is
 * killed when the time limit passes, so a page that stalls the parser cannot hold the
 * caller; the calling process itself never runs poppler. Thread-safe, but see
 * extract_pdf.c for the cost of forking a threaded process.
 */
enum cv_err cv_extract(const unsigned char *data, size_t len,
                       const struct cv_extract_limits *limits,
                       struct cv_extract_result *result, char *errbuf, size_t errbuf_len);

/* Frees the text of a result and zeroes it; a zeroed result is a no-op. */
void cv_extract_result_cleanup(struct cv_extract_result *result);

#endif
