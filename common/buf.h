/*
 * Growable byte buffer with a hard maximum. Request bodies, extracted text, LLM replies
 * and Kafka payloads all pass through one, so a runaway input fails with CV_ETOOLARGE
 * instead of growing the process. The contents are always NUL-terminated.
 */
#ifndef CV_BUF_H
#define CV_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

struct cv_buf {
    char   *data;      /* owned, NUL-terminated when non-NULL */
    size_t  len;       /* bytes used, excluding the terminator */
    size_t  cap;       /* bytes allocated */
    size_t  max_len;   /* bytes, the most len may ever reach */
};

/* Initialises an empty buffer that may grow to max_len bytes. Allocates nothing. */
void cv_buf_init(struct cv_buf *buf, size_t max_len);

/* Frees the contents and leaves an empty buffer with the same maximum. */
void cv_buf_cleanup(struct cv_buf *buf);

/* Empties the buffer but keeps its allocation. */
void cv_buf_reset(struct cv_buf *buf);

/*
 * Appends len bytes. Returns CV_ETOOLARGE when the result would pass max_len and
 * CV_ENOMEM when allocation fails; in both cases the buffer is unchanged.
 */
enum cv_err cv_buf_append(struct cv_buf *buf, const void *data, size_t len);

/* Appends a NUL-terminated string, with the same results as cv_buf_append(). */
enum cv_err cv_buf_append_str(struct cv_buf *buf, const char *str);

/* Appends formatted text, with the same results as cv_buf_append(). */
enum cv_err cv_buf_printf(struct cv_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum cv_err cv_buf_vprintf(struct cv_buf *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Moves the contents out: the caller frees the returned string with free(). The buffer
 * is left empty. Returns an empty heap string for an empty buffer, NULL only on ENOMEM.
 */
char *cv_buf_take(struct cv_buf *buf);

#endif
