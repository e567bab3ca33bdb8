/*
 * One JSON POST over a thread's reused libcurl handle, so that connections to a
 * provider stay open between calls. The reply body is read into a bounded buffer, and
 * the status, the Retry-After header and the transport error are returned for the
 * caller to classify. Redirects are not followed: a bearer key must never be sent to
 * a host other than the configured one.
 */
#ifndef WK_LLM_HTTP_H
#define WK_LLM_HTTP_H

#include <stdatomic.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"

struct wk_http_request {
    const char        *url;                  /* borrowed */
    struct curl_slist *headers;              /* borrowed, Content-Type and Authorization */
    const char        *body;                 /* borrowed JSON */
    size_t             body_len;
    long               connect_timeout_ms;
    long               timeout_ms;           /* whole call, connect included */
    const atomic_int  *cancel;               /* borrowed, non-zero aborts; NULL = none */
};

struct wk_http_response {
    CURLcode curl_code;             /* CURLE_OK when an HTTP response was read;
                                       CURLE_ABORTED_BY_CALLBACK when cancelled */
    long     status;                /* HTTP status, 0 when none arrived */
    int      is_too_large;          /* the body passed the buffer's maximum */
    int64_t  retry_after_ms;        /* from Retry-After, -1 = absent or invalid */
    int64_t  latency_ms;            /* of the whole call */
    char     error[CURL_ERROR_SIZE];  /* curl's text for curl_code, "" when none */
};

/*
 * Sends req with curl and reads the reply into body, which is reset first and keeps
 * its maximum. Blocks for at most req->timeout_ms, or about a second after
 * *req->cancel becomes non-zero. Returns CV_OK when the call ran,
 * whatever its outcome (see resp), or CV_ENOMEM / CV_EINTERNAL when curl could not be
 * set up. Not thread-safe for one curl handle.
 */
enum cv_err wk_http_post(CURL *curl, const struct wk_http_request *req, struct cv_buf *body,
                         struct wk_http_response *resp);

#endif
