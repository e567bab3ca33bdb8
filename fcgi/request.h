/*
 * One FastCGI request as the handlers see it: its parameters, its body read with
 * limits, and the response being built. Also the per-process resources that every
 * handler borrows. Everything a request allocates comes from req->arena or is freed by
 * the handler before it returns.
 */
#ifndef API_REQUEST_H
#define API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/db.h"
#include "common/id.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/queue.h"
#include "fcgi/route.h"

/* Longest decoded path accepted; a longer one gets 414. */
#define API_PATH_MAX 2048

/* Bytes of a request id plus its NUL: cv_id_is_request_id() accepts up to 64. */
#define API_REQUEST_ID_SIZE 65

/* Bytes of extra header lines one response may carry. */
#define API_HEADERS_MAX 4096

/* Bytes of one response body; the largest is a result with its feedback texts. */
#define API_BODY_MAX ((size_t)16 * 1024 * 1024)

/* Resources of one responder process, created in main() and borrowed by handlers. */
struct api_server {
    const struct cv_config *cfg;
    struct cv_db           *db;       /* one connection, reconnected lazily */
    struct cv_queue        *queue;    /* one Kafka producer */
    struct cv_metrics      *metrics;  /* this process's slot of the shared counters */
};

struct api_response {
    int            status;          /* 0 until a handler sets it */
    const char    *content_type;    /* static, NULL when there is no body */
    const char    *cache_control;   /* static */
    struct cv_buf  headers;         /* extra "Name: value\r\n" lines, owned */
    struct cv_buf  body;            /* owned */
    const char    *error_code;      /* static JSON error code, NULL on success */
    enum cv_err    log_rc;          /* class of the failure, for err= in the log line */
    char           log_msg[512];    /* failure detail for the log line, "" when none */
};

struct api_request {
    FCGX_Request            *fcgx;         /* borrowed, NULL in unit tests */
    const struct api_server *srv;          /* borrowed */
    struct cv_arena         *arena;        /* borrowed, reset after the request */
    char                     req_id[API_REQUEST_ID_SIZE];
    struct cv_logctx         lc;           /* points at req_id */
    const char              *method;       /* borrowed parameter, "" when absent */
    const char              *path;         /* decoded path without query, arena */
    const struct api_route  *route;        /* matched route, NULL when none */
    const char              *route_param;  /* the {id} segment, arena, NULL when none */
    bool                     is_head;      /* HEAD: the response has no body */
    uint64_t                 bytes_in;     /* body bytes read */
    uint64_t                 bytes_out;    /* response bytes written */
    char                     cv_id[CV_UUID_LEN];       /* created ids for the log, "" */
    char                     project_id[CV_UUID_LEN];
    char                     job_id[CV_UUID_LEN];
    struct api_response      res;
};

/*
 * Prepares req for one accepted FastCGI request: empty response buffers, the request
 * id, method and is_head. fcgx may be NULL in tests. Allocates nothing.
 */
void api_request_init(struct api_request *req, FCGX_Request *fcgx,
                      const struct api_server *srv, struct cv_arena *arena);

/* Frees the response buffers. req->arena is reset by the caller. */
void api_request_cleanup(struct api_request *req);

/*
 * Writes the request id to use into out: the web server's REQUEST_ID parameter when
 * cv_id_is_request_id() accepts it, else 32 new random hex digits.
 */
void api_request_choose_id(const char *param, char out[API_REQUEST_ID_SIZE]);

/*
 * Works out the request path from the FastCGI parameters, each of which may be NULL:
 * DOCUMENT_URI (nginx, decoded, no query) first, else the path part of REQUEST_URI with
 * percent-escapes decoded, else SCRIPT_NAME followed by PATH_INFO. The raw REQUEST_URI
 * is also checked because a decoded %00 would silently cut the other parameters.
 * Stores an arena copy in *path. Returns CV_EINVAL for a NUL or other control
 * character, a malformed escape or a path not starting with '/', CV_ETOOLARGE for a
 * path longer than API_PATH_MAX, CV_ENOMEM when the arena is full.
 */
enum cv_err api_request_resolve_path(const char *document_uri, const char *request_uri,
                                     const char *script_name, const char *path_info,
                                     struct cv_arena *arena, const char **path);

/*
 * Returns true when the media type of the Content-Type value content_type (the part
 * before any ';', without surrounding white space) equals type, ignoring ASCII case.
 */
bool api_request_media_type_is(const char *content_type, const char *type);

/* Returns the FastCGI parameter name, or NULL when absent; valid until the request ends. */
const char *api_request_param(const struct api_request *req, const char *name);

/*
 * Parses CONTENT_LENGTH into *len: 0 when absent or empty. Returns CV_EINVAL when it is
 * not a plain decimal number.
 */
enum cv_err api_request_content_length(const struct api_request *req, uint64_t *len);

/*
 * Reads up to len body bytes into buf and stores the count in *got; *got < len only at
 * the end of the body. Returns CV_EUNAVAIL when the connection to the web server failed.
 */
enum cv_err api_request_read(struct api_request *req, char *buf, size_t len, size_t *got);

/*
 * Reads the whole body into body. Returns CV_ETOOLARGE as soon as it would pass
 * body->max_len, or a failure of api_request_read() or cv_buf_append().
 */
enum cv_err api_request_read_body(struct api_request *req, struct cv_buf *body);

/*
 * Reads and discards what is left of the body, up to max_len bytes, so the web server
 * can finish sending it before the response arrives.
 */
void api_request_drain(struct api_request *req, uint64_t max_len);

#endif
