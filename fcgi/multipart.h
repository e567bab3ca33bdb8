/*
 * Streaming multipart/form-data parser (RFC 7578, with the body grammar of RFC 2046
 * section 5.1.1). Bytes arrive in chunks of any size through api_multipart_feed(); part
 * headers are parsed as they complete and part content is passed to callbacks without
 * being buffered whole. The parser itself allocates nothing after init.
 */
#ifndef API_MULTIPART_H
#define API_MULTIPART_H

#include <stddef.h>

#include "common/err.h"

/* RFC 2046 limits a boundary to 70 characters. */
#define API_MULTIPART_BOUNDARY_MAX 70

/* Headers of one part, as far as this service uses them. */
struct api_multipart_part {
    char name[128];          /* form field name from Content-Disposition */
    char filename[256];      /* sanitised UTF-8 base name, "" when none was sent */
    char content_type[128];  /* declared type, informational only */
};

struct api_multipart_callbacks {
    /* A part's headers are complete. Return CV_OK to go on; anything else stops the
     * parse and is returned from api_multipart_feed(). */
    enum cv_err (*on_part_begin)(void *ctx, const struct api_multipart_part *part);
    /* The next len bytes of the current part's content. */
    enum cv_err (*on_part_data)(void *ctx, const char *data, size_t len);
    /* The current part's content is complete. */
    enum cv_err (*on_part_end)(void *ctx);
};

/* Opaque parser state lives in the caller's storage; see multipart.c for fields. */
struct api_multipart;

/*
 * Allocates a parser for a body whose Content-Type header is content_type (the boundary
 * parameter may be quoted). Returns NULL with a reason in errbuf when the header is not
 * multipart/form-data or has no valid boundary, or on ENOMEM.
 */
struct api_multipart *api_multipart_new(const char *content_type,
                                        const struct api_multipart_callbacks *callbacks,
                                        void *ctx, char *errbuf, size_t errbuf_len);

/* Frees the parser. NULL is a no-op. */
void api_multipart_free(struct api_multipart *mp);

/*
 * Parses the next chunk. Returns CV_OK, CV_EINVAL for malformed input (reason in
 * api_multipart_errmsg()), or whatever a callback returned. After a failure the parser
 * rejects further input.
 */
enum cv_err api_multipart_feed(struct api_multipart *mp, const char *data, size_t len);

/*
 * Declares the end of the body. Returns CV_EINVAL when the closing boundary was never
 * seen, CV_OK otherwise. Bytes after the closing boundary (the epilogue) are ignored.
 */
enum cv_err api_multipart_finish(struct api_multipart *mp);

/* Returns the reason of the last CV_EINVAL, "" if none. Valid until the parser is freed. */
const char *api_multipart_errmsg(const struct api_multipart *mp);

/*
 * Sanitises a client file name into dst: decoded already, it keeps the part after the
 * last '/' or '\\', drops control characters and invalid UTF-8, and cuts to fit.
 * Exposed for tests.
 */
void api_multipart_sanitize_filename(const char *src, size_t src_len, char *dst,
                                     size_t dst_len);

#endif
