/*
 * Structured logging: one logfmt line per event on stderr, written with a single
 * write(2) of at most CV_LOG_LINE_MAX bytes so lines from several processes sharing a
 * pipe never interleave. Keys come in a fixed order: ts, level, prog, pid, [tid], event,
 * req_id, job_id, then the caller's fields, then err and msg.
 * Never pass secrets, connection strings or document, prompt or completion text.
 */
#ifndef CV_LOG_H
#define CV_LOG_H

#include <stddef.h>

#include "common/err.h"

/* PIPE_BUF on Linux: a write of at most this many bytes to a pipe is atomic. */
#define CV_LOG_LINE_MAX 4096

enum cv_log_level {
    CV_LOG_DEBUG = 0,
    CV_LOG_INFO,
    CV_LOG_WARN,
    CV_LOG_ERROR
};

/* Ids that every line of one request or job carries; NULL fields are left out. */
struct cv_logctx {
    const char *req_id;   /* borrowed */
    const char *job_id;   /* borrowed */
};

/* Lines below this level are skipped before their arguments are formatted. */
extern enum cv_log_level cv_log_level_min;

/*
 * Sets the program name and minimum level for the whole process. with_tid adds the
 * kernel thread id to each line (for the threaded worker). Call once in main().
 */
void cv_log_open(const char *prog, enum cv_log_level level_min, int with_tid);

/* Parses "debug", "info", "warn" or "error". Returns CV_EINVAL for anything else. */
enum cv_err cv_log_parse_level(const char *name, enum cv_log_level *out);

/*
 * Writes one line. fmt formats the event's own fields ("status=%d dur_ms=%ld"), and
 * any control character it produces is escaped. A string field that may hold spaces or
 * quotes must go through cv_log_quote(). rc other than CV_OK adds err=<name>; a
 * non-NULL msg adds msg="..." quoted and escaped. Thread-safe; never blocks on a lock.
 */
void cv_log_emit(enum cv_log_level level, const struct cv_logctx *lc, const char *event,
                 enum cv_err rc, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Writes src into dst as a logfmt quoted value ("a \"b\"\n"), cut to fit dst_len with
 * a trailing "..." inside the quotes when it does not. Returns dst.
 */
char *cv_log_quote(char *dst, size_t dst_len, const char *src);

#define cv_log_debug(lc, event, ...)                                                 \
    do {                                                                             \
        if (cv_log_level_min <= CV_LOG_DEBUG) {                                      \
            cv_log_emit(CV_LOG_DEBUG, (lc), (event), CV_OK, NULL, __VA_ARGS__);      \
        }                                                                            \
    } while (0)
#define cv_log_info(lc, event, ...) \
    cv_log_emit(CV_LOG_INFO, (lc), (event), CV_OK, NULL, __VA_ARGS__)
#define cv_log_warn(lc, event, rc, msg, ...) \
    cv_log_emit(CV_LOG_WARN, (lc), (event), (rc), (msg), __VA_ARGS__)
#define cv_log_error(lc, event, rc, msg, ...) \
    cv_log_emit(CV_LOG_ERROR, (lc), (event), (rc), (msg), __VA_ARGS__)

#endif
