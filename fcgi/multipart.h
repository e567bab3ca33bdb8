/*
 * Streaming multipart/form-data parser (RFC 7578, with the body grammar of RFC 2046
 * section 5.1.1). Bytes arrive in chunks of any size through api_multipart_feed(). Part
 * headers are parsed as they complete, and part content goes to callbacks unbuffered.
 * The parser allocates nothing after api_multipart_new(). Checking which fields arrived,
 * and how often, is left to the caller.
 */
#ifndef API_MULTIPART_H
#define API_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* RFC 2046 limits a boundary to 70 characters. */
#define API_MULTIPART_BOUNDARY_MAX 70

/*
 * Bytes of header lines one part may carry, line endings and the blank line included.
 * Browsers send about 150; the limit keeps the line buffer fixed.
 */
#define API_MULTIPART_HEADERS_MAX 8192

/* Parts one body may carry. The upload form has two fields; the rest is headroom. */
#define API_MULTIPART_PARTS_MAX 16

/* Headers of one part, as far as this service uses them. */
struct api_multipart_part {
    char name[128];          /* form field name from Content-Disposition, never "" */
    char filename[256];      /* sanitised UTF-8 base name, "" when none was sent */
    bool has_filename;       /* a filename or filename* parameter was present */
    char content_type[128];  /* declared type, cut to fit, informational only */
};

/*
 * Each callback may be NULL. A callback that returns anything but CV_OK stops the parse,
 * and api_multipart_feed() returns that code.
 */
struct api_multipart_callbacks {
    /* The headers of a part are complete. part stays valid until the next part begins
     * or the parser is freed. */
    enum cv_err (*on_part_begin)(void *ctx, const struct api_multipart_part *part);
    /* The next len bytes of the current part's content; len is never 0. */
    enum cv_err (*on_part_data)(void *ctx, const char *data, size_t len);
    /* The content of the current part is complete. */
    enum cv_err (*on_part_end)(void *ctx);
};

/* Opaque parser state, allocated by api_multipart_new(). */
struct api_multipart;

/*
 * Allocates a parser for a body whose Content-Type header value is content_type, and
 * stores it in *mpp; the caller frees it with api_multipart_free(). The callbacks are
 * copied; ctx is passed to them unchanged.
 * Returns CV_OK, CV_EMEDIA when the media type is not multipart/form-data, CV_EINVAL
 * when the header is malformed or has no valid boundary, or CV_ENOMEM. On failure *mpp
 * is NULL and errbuf (when not NULL) contains the reason.
 */
enum cv_err api_multipart_new(const char *content_type,
                              const struct api_multipart_callbacks *callbacks, void *ctx,
                              struct api_multipart **mpp, char *errbuf, size_t errbuf_size);

/* Frees the parser. NULL is a no-op. */
void api_multipart_free(struct api_multipart *mp);

/*
 * Parses the next len bytes of the body and calls the callbacks for what they complete.
 * Returns CV_OK, CV_EINVAL for malformed input (reason in api_multipart_errmsg()), or
 * whatever a callback returned. A failure is final: later calls return the same code.
 * Returns CV_EINTERNAL when called after api_multipart_finish().
 */
enum cv_err api_multipart_feed(struct api_multipart *mp, const char *data, size_t len);

/*
 * Declares the end of the body. Returns CV_OK when the closing boundary was seen,
 * CV_EINVAL when it was not, or the earlier failure of api_multipart_feed(). Bytes after
 * the closing boundary (the epilogue) are ignored.
 */
enum cv_err api_multipart_finish(struct api_multipart *mp);

/*
 * Returns the reason of the failure that stopped the parse ("" if none), lower case
 * without a final period. Valid until the parser is freed.
 */
const char *api_multipart_errmsg(const struct api_multipart *mp);

/*
 * Writes a safe display form of the client file name src (src_len bytes, already
 * decoded) into dst. It keeps the part after the last '/' or '\\' and drops control
 * characters, Unicode bidirectional controls, invalid UTF-8, leading dots and spaces,
 * and trailing spaces. The result is cut at a character boundary to fit dst_size - 1
 * bytes. dst is NUL-terminated when dst_size > 0 and may be "" (for example for "..").
 */
void api_multipart_sanitize_filename(const char *src, size_t src_len, char *dst,
                                     size_t dst_size);

#endif
