/* Request parameters, path resolution and body reading over libfcgi streams. */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "fcgi/request.h"

/* Size of the stack buffer that body reads go through. */
#define READ_CHUNK_LEN 16384

void
api_request_init(struct api_request *req, FCGX_Request *fcgx, const struct api_server *srv,
                 struct cv_arena *arena)
{
    const char *method;

    memset(req, 0, sizeof(*req));
    req->fcgx = fcgx;
    req->srv = srv;
    req->arena = arena;
    cv_buf_init(&req->res.headers, API_HEADERS_MAX);
    cv_buf_init(&req->res.body, API_BODY_MAX);
    req->res.cache_control = "no-store";

    api_request_choose_id(api_request_param(req, "REQUEST_ID"), req->req_id);
    req->lc.req_id = req->req_id;
    method = api_request_param(req, "REQUEST_METHOD");
    req->method = method != NULL ? method : "";
    req->is_head = strcmp(req->method, "HEAD") == 0;
}

void
api_request_cleanup(struct api_request *req)
{
    cv_buf_cleanup(&req->res.headers);
    cv_buf_cleanup(&req->res.body);
}

void
api_request_choose_id(const char *param, char out[API_REQUEST_ID_SIZE])
{
    size_t len;

    if (param != NULL && cv_id_is_request_id(param)) {
        len = strlen(param); /* at most 64: cv_id_is_request_id() checked */
        memcpy(out, param, len + 1);
        return;
    }
    cv_id_new_request_id(out);
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int
has_control(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* Decodes percent-escapes of the len bytes at src into dst (at least len + 1 bytes). */
static enum cv_err
percent_decode(const char *src, size_t len, char *dst, size_t *dst_len)
{
    size_t i;
    size_t n = 0;
    int    hi;
    int    lo;

    for (i = 0; i < len; i++) {
        if (src[i] != '%') {
            dst[n++] = src[i];
            continue;
        }
        if (i + 2 >= len) {
            return CV_EINVAL;
        }
        hi = hex_value(src[i + 1]);
        lo = hex_value(src[i + 2]);
        if (hi < 0 || lo < 0) {
            return CV_EINVAL;
        }
        dst[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    dst[n] = '\0';
    *dst_len = n;
    return CV_OK;
}

enum cv_err
api_request_resolve_path(const char *document_uri, const char *request_uri,
                         const char *script_name, const char *path_info,
                         struct cv_arena *arena, const char **path)
{
    const char *raw = NULL;
    size_t      raw_len = 0;
    char       *copy;
    size_t      len;
    size_t      i;

    *path = NULL;

    /* The raw request line shows what a decoded parameter may have lost at a NUL. */
    if (request_uri != NULL) {
        raw = request_uri;
        raw_len = strcspn(request_uri, "?#");
        if (has_control(raw, raw_len)) {
            return CV_EINVAL;
        }
        for (i = 0; i + 2 < raw_len; i++) {
            if (raw[i] == '%' && raw[i + 1] == '0' && raw[i + 2] == '0') {
                return CV_EINVAL;
            }
        }
    }

    if (document_uri != NULL && document_uri[0] != '\0') {
        len = strlen(document_uri);
        if (len > API_PATH_MAX) {
            return CV_ETOOLARGE;
        }
        copy = cv_arena_strndup(arena, document_uri, len);
    } else if (raw != NULL && raw_len > 0) {
        if (raw_len > 3 * (size_t)API_PATH_MAX) {
            return CV_ETOOLARGE;
        }
        copy = cv_arena_alloc(arena, raw_len + 1);
        if (copy != NULL && percent_decode(raw, raw_len, copy, &len) != CV_OK) {
            return CV_EINVAL;
        }
    } else {
        script_name = script_name != NULL ? script_name : "";
        path_info = path_info != NULL ? path_info : "";
        len = strlen(script_name) + strlen(path_info);
        if (len > API_PATH_MAX) {
            return CV_ETOOLARGE;
        }
        copy = cv_arena_alloc(arena, len + 1);
        if (copy != NULL) {
            memcpy(copy, script_name, strlen(script_name));
            memcpy(copy + strlen(script_name), path_info, strlen(path_info) + 1);
        }
    }
    if (copy == NULL) {
        return CV_ENOMEM;
    }

    len = strlen(copy);
    if (len > API_PATH_MAX) {
        return CV_ETOOLARGE;
    }
    if (copy[0] != '/' || has_control(copy, len)) {
        return CV_EINVAL;
    }
    *path = copy;
    return CV_OK;
}

bool
api_request_media_type_is(const char *content_type, const char *type)
{
    size_t len;

    if (content_type == NULL) {
        return false;
    }
    while (*content_type == ' ' || *content_type == '\t') {
        content_type++;
    }
    len = strcspn(content_type, ";");
    while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t')) {
        len--;
    }
    return len == strlen(type) && strncasecmp(content_type, type, len) == 0;
}

const char *
api_request_param(const struct api_request *req, const char *name)
{
    if (req->fcgx == NULL) {
        return NULL;
    }
    return FCGX_GetParam(name, req->fcgx->envp);
}

enum cv_err
api_request_content_length(const struct api_request *req, uint64_t *len)
{
    const char *text;
    uint64_t    value = 0;
    size_t      i;

    *len = 0;
    text = api_request_param(req, "CONTENT_LENGTH");
    if (text == NULL || text[0] == '\0') {
        return CV_OK;
    }
    for (i = 0; text[i] != '\0'; i++) {
        if (text[i] < '0' || text[i] > '9' || i == 19) {
            return CV_EINVAL; /* 19 digits always fit in 64 bits */
        }
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *len = value;
    return CV_OK;
}

enum cv_err
api_request_read(struct api_request *req, char *buf, size_t len, size_t *got)
{
    int n;

    *got = 0;
    if (req->fcgx == NULL || len == 0) {
        return CV_OK;
    }
    if (len > INT_MAX) {
        len = INT_MAX;
    }
    n = FCGX_GetStr(buf, (int)len, req->fcgx->in);
    if (n < 0 || FCGX_GetError(req->fcgx->in) != 0) {
        return CV_EUNAVAIL;
    }
    *got = (size_t)n;
    req->bytes_in += (uint64_t)n;
    return CV_OK;
}

enum cv_err
api_request_read_body(struct api_request *req, struct cv_buf *body)
{
    char        chunk[READ_CHUNK_LEN];
    size_t      got;
    enum cv_err rc;

    for (;;) {
        rc = api_request_read(req, chunk, sizeof(chunk), &got);
        if (rc != CV_OK) {
            return rc;
        }
        if (got == 0) {
            return CV_OK;
        }
        rc = cv_buf_append(body, chunk, got);
        if (rc != CV_OK) {
            return rc;
        }
    }
}

void
api_request_drain(struct api_request *req, uint64_t max_len)
{
    char     chunk[READ_CHUNK_LEN];
    size_t   got;
    uint64_t left = max_len;

    while (left > 0) {
        if (api_request_read(req, chunk, left < sizeof(chunk) ? (size_t)left : sizeof(chunk),
                             &got) != CV_OK ||
            got == 0) {
            return;
        }
        left -= got;
    }
}
