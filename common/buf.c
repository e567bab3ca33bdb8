/* Bounded growable buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void
cv_buf_init(struct cv_buf *buf, size_t max_len)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max_len = max_len;
}

void
cv_buf_cleanup(struct cv_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void
cv_buf_reset(struct cv_buf *buf)
{
    buf->len = 0;
    if (buf->data != NULL) {
        buf->data[0] = '\0';
    }
}

/* Makes room for extra more bytes plus the terminator. */
static enum cv_err
reserve(struct cv_buf *buf, size_t extra)
{
    size_t  need;
    size_t  cap;
    char   *data;

    if (extra > buf->max_len || buf->len > buf->max_len - extra) {
        return CV_ETOOLARGE;
    }
    need = buf->len + extra + 1;
    if (need <= buf->cap) {
        return CV_OK;
    }

    cap = buf->cap < 64 ? 64 : buf->cap;
    while (cap < need) {
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    }
    /* Never allocate past what max_len can use. */
    if (cap > buf->max_len + 1) {
        cap = buf->max_len + 1;
    }

    data = realloc(buf->data, cap);
    if (data == NULL) {
        return CV_ENOMEM;
    }
    buf->data = data;
    buf->cap = cap;
    return CV_OK;
}

enum cv_err
cv_buf_append(struct cv_buf *buf, const void *data, size_t len)
{
    enum cv_err rc;

    rc = reserve(buf, len);
    if (rc != CV_OK) {
        return rc;
    }
    if (len > 0) {
        memcpy(buf->data + buf->len, data, len);
    }
    buf->len += len;
    buf->data[buf->len] = '\0';
    return CV_OK;
}

enum cv_err
cv_buf_append_str(struct cv_buf *buf, const char *str)
{
    return cv_buf_append(buf, str, strlen(str));
}

enum cv_err
cv_buf_vprintf(struct cv_buf *buf, const char *fmt, va_list ap)
{
    va_list     ap2;
    int         n;
    enum cv_err rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return CV_EINVAL;
    }

    rc = reserve(buf, (size_t)n);
    if (rc != CV_OK) {
        return rc;
    }
    (void)vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap); /* size checked above */
    buf->len += (size_t)n;
    return CV_OK;
}

enum cv_err
cv_buf_printf(struct cv_buf *buf, const char *fmt, ...)
{
    va_list     ap;
    enum cv_err rc;

    va_start(ap, fmt);
    rc = cv_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return rc;
}

char *
cv_buf_take(struct cv_buf *buf)
{
    char *out;

    if (buf->data == NULL) {
        return strdup("");
    }
    out = buf->data;
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    return out;
}
