/*
 * The per-format extractors behind cv_extract(), one per file (extract_pdf.c,
 * extract_docx.c, extract_text.c). Other modules call cv_extract(); these are exposed
 * for it, for the unit tests and for the fuzz targets.
 *
 * Each one writes the normalised text into out, whose maximum is the text limit, and
 * returns the codes listed at cv_extract(), with a client-safe reason in errbuf on
 * failure. deadline_ms is on cv_clock_mono_ms(). None checks that out ends non-empty:
 * cv_extract() does that once for every type.
 */
#ifndef CV_EXTRACT_FORMATS_H
#define CV_EXTRACT_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/extract.h"

/* Extracts UTF-8 text or Markdown: optional BOM stripped, NUL or invalid UTF-8 is CV_EMEDIA. */
enum cv_err cv_extract_text(const unsigned char *data, size_t len, struct cv_buf *out,
                            char *errbuf, size_t errbuf_len);

/* Extracts a DOCX: see extract_docx.c for the parts read and the order. */
enum cv_err cv_extract_docx(const unsigned char *data, size_t len,
                            const struct cv_extract_limits *limits, int64_t deadline_ms,
                            struct cv_buf *out, char *errbuf, size_t errbuf_len);

/* Extracts a PDF in a forked child; stores the page count in *page_count. */
enum cv_err cv_extract_pdf(const unsigned char *data, size_t len,
                           const struct cv_extract_limits *limits, int64_t deadline_ms,
                           struct cv_buf *out, int *page_count, char *errbuf,
                           size_t errbuf_len);

/* Formats a failure reason into errbuf (which may be NULL) and returns rc. */
enum cv_err cv_extract_fail(enum cv_err rc, char *errbuf, size_t errbuf_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
