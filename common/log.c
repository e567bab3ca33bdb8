/* logfmt lines on stderr; see log.h for the line format and its guarantees. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

enum cv_log_level cv_log_level_min = CV_LOG_INFO;

static const char *log_prog = "cv";
static int         log_with_tid;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
cv_log_open(const char *prog, enum cv_log_level level_min, int with_tid)
{
    log_prog = prog;
    cv_log_level_min = level_min;
    log_with_tid = with_tid;
}

enum cv_err
cv_log_parse_level(const char *name, enum cv_log_level *out)
{
    size_t i;

    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum cv_log_level)i;
            return CV_OK;
        }
    }
    return CV_EINVAL;
}

/*
 * Appends src to dst at *off with control characters escaped (and quotes and
 * backslashes too when in_quotes), keeping keep_free bytes of dst unused.
 * Returns 1 when all of src fit, 0 when it was cut.
 */
static int
append_escaped(char *dst, size_t dst_len, size_t *off, const char *src, int in_quotes,
               size_t keep_free)
{
    static const char    hex[] = "0123456789abcdef";
    const unsigned char *p;
    char                 esc[4];
    size_t               esc_len;

    for (p = (const unsigned char *)src; *p != '\0'; p++) {
        esc_len = 0;
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            esc[esc_len++] = '\\';
            esc[esc_len++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
        } else if (in_quotes && (*p == '"' || *p == '\\')) {
            esc[esc_len++] = '\\';
            esc[esc_len++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            esc[esc_len++] = '\\';
            esc[esc_len++] = 'x';
            esc[esc_len++] = hex[*p >> 4];
            esc[esc_len++] = hex[*p & 0xf];
        } else {
            esc[esc_len++] = (char)*p;
        }
        if (*off + esc_len + keep_free > dst_len) {
            return 0;
        }
        memcpy(dst + *off, esc, esc_len);
        *off += esc_len;
    }
    return 1;
}

char *
cv_log_quote(char *dst, size_t dst_len, const char *src)
{
    size_t off = 0;

    /* Room for the quotes, a "..." marker and the NUL. */
    if (dst_len < 6) {
        if (dst_len > 0) {
            dst[0] = '\0';
        }
        return dst;
    }
    dst[off++] = '"';
    if (!append_escaped(dst, dst_len, &off, src, 1, 5)) {
        memcpy(dst + off, "...", 3);
        off += 3;
    }
    dst[off++] = '"';
    dst[off] = '\0';
    return dst;
}

/* Appends " key=value" with value escaped; used for the ids every line carries. */
static void
append_id(char *line, size_t line_len, size_t *off, const char *key, const char *value)
{
    size_t key_len = strlen(key);

    if (*off + key_len + 2 > line_len) {
        return;
    }
    line[(*off)++] = ' ';
    memcpy(line + *off, key, key_len);
    *off += key_len;
    line[(*off)++] = '=';
    (void)append_escaped(line, line_len, off, value, 0, 1024); /* ids are short */
}

void
cv_log_emit(enum cv_log_level level, const struct cv_logctx *lc, const char *event,
            enum cv_err rc, const char *msg, const char *fmt, ...)
{
    char            line[CV_LOG_LINE_MAX];
    char            fields[CV_LOG_LINE_MAX];
    struct timespec now;
    struct tm       tm;
    size_t          off;
    size_t          keep_free;
    int             n;
    int             saved_errno;
    va_list         ap;

    if (level < cv_log_level_min) {
        return;
    }
    saved_errno = errno;

    (void)clock_gettime(CLOCK_REALTIME, &now); /* cannot fail for CLOCK_REALTIME */
    (void)gmtime_r(&now.tv_sec, &tm);          /* every time_t the clock returns fits */

    n = snprintf(line, sizeof(line),
                 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s prog=%s pid=%ld",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, now.tv_nsec / 1000000L, level_names[level], log_prog,
                 (long)getpid());
    off = (size_t)n;
    if (log_with_tid) {
        off += (size_t)snprintf(line + off, sizeof(line) - off, " tid=%ld", (long)gettid());
    }
    append_id(line, sizeof(line), &off, "event", event);
    if (lc != NULL && lc->req_id != NULL) {
        append_id(line, sizeof(line), &off, "req_id", lc->req_id);
    }
    if (lc != NULL && lc->job_id != NULL) {
        append_id(line, sizeof(line), &off, "job_id", lc->job_id);
    }

    /* Keep room for err, a message and the newline even when the fields are long. */
    keep_free = msg != NULL ? 640 : 64;

    va_start(ap, fmt);
    n = vsnprintf(fields, sizeof(fields), fmt, ap);
    va_end(ap);
    if (n > 0) {
        line[off++] = ' ';
        if (!append_escaped(line, sizeof(line), &off, fields, 0, keep_free) ||
            (size_t)n >= sizeof(fields)) {
            memcpy(line + off, " truncated=1", 12);
            off += 12;
        }
    }
    if (rc != CV_OK) {
        off += (size_t)snprintf(line + off, sizeof(line) - off, " err=%s", cv_strerror(rc));
    }
    if (msg != NULL) {
        memcpy(line + off, " msg=", 5);
        off += 5;
        (void)cv_log_quote(line + off, sizeof(line) - off - 1, msg);
        off += strlen(line + off);
    }
    line[off++] = '\n';

    /* One write; a short write is not retried because a second write could interleave. */
    if (write(STDERR_FILENO, line, off) < 0) {
        errno = saved_errno; /* nowhere left to report it */
    }
    errno = saved_errno;
}
