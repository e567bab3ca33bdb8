/*
 * Entity tags of GET /v1/result/{id}: a strong tag over the exact body bytes, and the
 * If-None-Match evaluation of RFC 9110 section 13.1.2.
 */
#ifndef API_ETAG_H
#define API_ETAG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Bytes of an entity tag with its quotes and NUL: 32 hex digits of SHA-256. */
#define API_ETAG_SIZE 35

/* Writes "\"<hex>\"" for len bytes of body into out. Returns CV_ENOMEM if hashing fails. */
enum cv_err api_etag_compute(const void *body, size_t len, char out[API_ETAG_SIZE]);

/*
 * Returns true when the If-None-Match value header matches etag, so the response is a
 * 304: it is "*", or a list holding etag under the weak comparison (a W/ prefix on
 * either side is ignored). A malformed value matches nothing, so the client gets the
 * full response. header may be NULL.
 */
bool api_etag_none_match(const char *header, const char *etag);

#endif
