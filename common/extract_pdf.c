/*
 * PDF text through poppler-glib, run in a forked child process. The child opens the
 * document from the caller's memory (shared copy-on-write, never copied), sends each
 * page's text back over a pipe, and ends with a status frame. The parent normalises the
 * text as it arrives and kills the child when the deadline passes, so a page that keeps
 * poppler busy for minutes (docs/pdf-extraction.md measures one) costs the caller no
 * more than the time limit. A crash inside poppler ends only the child, and the child's
 * memory is capped. The parent process never calls poppler.
 *
 * Forking a threaded process (cv-api has librdkafka's threads) is safe here because the
 * child only runs code the parent never enters, and glibc keeps malloc usable after fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poppler.h>

#include "common/clock.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

/*
 * Address space the child may add to what it inherits. poppler needs under 70 MiB for
 * every corpus PDF in docs/pdf-extraction.md. A document that needs more than this
 * fails instead of pushing the host into swap.
 */
#define PDF_CHILD_MAX_MEMORY_BYTES (1024L * 1024 * 1024)

/* Bytes read from the pipe at a time. */
#define PDF_READ_CHUNK 65536

/* Frames from child to parent: a kind byte, a 4-byte length in host order, the payload. */
#define FRAME_TEXT 'T'
#define FRAME_END  'E'
#define FRAME_HEAD 5

/* Payload of the final frame. */
struct pdf_end {
    int32_t rc;            /* enum cv_err */
    int32_t page_count;
    char    reason[200];   /* client-safe reason when rc != CV_OK */
};

/* ---- child ---- */

static void
drop_glib_message(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)data;
}

/* Writes all of len bytes or ends the child: a parent that stopped reading has given up. */
static void
write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    ssize_t     n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            _exit(1);
        }
        p += n;
        len -= (size_t)n;
    }
}

static void
write_frame(int fd, char kind, const void *payload, uint32_t len)
{
    char head[FRAME_HEAD];

    head[0] = kind;
    memcpy(head + 1, &len, sizeof(len));
    write_all(fd, head, sizeof(head));
    write_all(fd, payload, len);
}

static void
end_child(int fd, enum cv_err rc, int page_count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

static void
end_child(int fd, enum cv_err rc, int page_count, const char *fmt, ...)
{
    struct pdf_end end;
    va_list        ap;

    memset(&end, 0, sizeof(end));
    end.rc = rc;
    end.page_count = page_count;
    va_start(ap, fmt);
    (void)vsnprintf(end.reason, sizeof(end.reason), fmt, ap); /* a cut reason is still a reason */
    va_end(ap);
    write_frame(fd, FRAME_END, &end, sizeof(end));
    _exit(0);
}

/*
 * Limits the child's address space to what it inherited plus PDF_CHILD_MAX_MEMORY_BYTES.
 * The inherited part can be large and untouched: glibc reserves 64 MiB per thread arena
 * and each thread stack is reserved whole, so a fixed limit would fail in a threaded
 * parent. On any failure the child runs without the cap.
 */
static void
cap_memory(void)
{
    struct rlimit lim;
    unsigned long pages = 0;
    long          page_size = sysconf(_SC_PAGESIZE);
    FILE         *fp;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* Sanitizers reserve terabytes of shadow memory as needed, so the cap is off. */
    return;
#endif
    fp = fopen("/proc/self/statm", "r");
    if (fp == NULL) {
        return;
    }
    if (fscanf(fp, "%lu", &pages) != 1 || page_size <= 0) {
        fclose(fp);
        return;
    }
    fclose(fp);

    lim.rlim_cur = (rlim_t)pages * (rlim_t)page_size + PDF_CHILD_MAX_MEMORY_BYTES;
    lim.rlim_max = lim.rlim_cur;
    (void)setrlimit(RLIMIT_AS, &lim); /* on failure the child runs without the cap */
}

/* Leaves the child with stdin, stdout and stderr on /dev/null and fd 3 = out. */
static void
isolate_child(int fd)
{
    sigset_t all;
    int      devnull;

    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* best effort: the parent also kills on time out */

    /* The parent's handlers and mask must not keep a stop signal from ending the child. */
    (void)signal(SIGPIPE, SIG_DFL); /* SIG_DFL for a valid signal number cannot fail */
    (void)signal(SIGTERM, SIG_DFL);
    (void)signal(SIGINT, SIG_DFL);
    (void)signal(SIGHUP, SIG_DFL);
    (void)sigfillset(&all);
    (void)sigprocmask(SIG_UNBLOCK, &all, NULL); /* fails only for an invalid "how" */

    g_log_set_default_handler(drop_glib_message, NULL);

    /* The pipe moves to fd 3 first, in case the parent had closed stdio and it is below. */
    if (fd != 3 && dup2(fd, 3) != 3) {
        _exit(1);
    }
    /*
     * poppler and GLib write warnings to stderr, and ours is one logfmt line per event.
     * stdin may be the FastCGI listening socket, which the child must not keep open.
     */
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        (void)dup2(devnull, STDIN_FILENO); /* on failure the fd just stays as inherited */
        (void)dup2(devnull, STDOUT_FILENO);
        (void)dup2(devnull, STDERR_FILENO);
    }

    /* The child needs none of the parent's other sockets or files. */
    (void)close_range(4, ~0U, 0); /* with these arguments it fails only on kernels before 5.9 */

    cap_memory();
}

static void
run_child(const unsigned char *data, size_t len, const struct cv_extract_limits *limits,
          int64_t deadline_ms, int fd)
{
    GBytes          *bytes;
    PopplerDocument *doc;
    GError          *error = NULL;
    int              page_count;
    int              i;

    isolate_child(fd);
    fd = 3;

    bytes = g_bytes_new_static(data, len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &error);
    if (doc == NULL) {
        if (error != NULL && error->domain == POPPLER_ERROR &&
            error->code == POPPLER_ERROR_ENCRYPTED) {
            end_child(fd, CV_EUNREADABLE, 0, "PDF is encrypted and needs a password to open");
        }
        end_child(fd, CV_EUNREADABLE, 0, "PDF is damaged beyond repair");
    }

    page_count = poppler_document_get_n_pages(doc);
    if (page_count <= 0) {
        end_child(fd, CV_EUNREADABLE, 0, "PDF has no pages");
    }
    if (page_count > limits->max_pages) {
        end_child(fd, CV_ETOOLARGE, page_count, "PDF has %d pages, more than the limit of %ld",
                  page_count, limits->max_pages);
    }

    for (i = 0; i < page_count; i++) {
        PopplerPage *page;
        char        *text;

        if (cv_clock_mono_ms() >= deadline_ms) {
            end_child(fd, CV_ETIMEOUT, page_count,
                      "text extraction passed the limit of %ld ms after %d of %d pages",
                      limits->timeout_ms, i, page_count);
        }
        page = poppler_document_get_page(doc, i);
        if (page == NULL) {
            continue;   /* a broken page loses its own text only, as in pdftotext */
        }
        text = poppler_page_get_text(page);
        if (text != NULL) {
            size_t text_len = strlen(text);

            if (text_len > UINT32_MAX - 1) {
                text_len = UINT32_MAX - 1;
            }
            write_frame(fd, FRAME_TEXT, text, (uint32_t)text_len);
        }
        /* Pages end a paragraph, so the last line of one never joins the next's first. */
        write_frame(fd, FRAME_TEXT, "\f", 1);
        g_free(text);
        g_object_unref(page);
    }
    end_child(fd, CV_OK, page_count, "%s", "");
}

/* ---- parent ---- */

/* Parser state over the byte stream from the child. */
struct frame_reader {
    unsigned char  head[FRAME_HEAD];
    size_t         head_len;      /* header bytes read so far */
    char           kind;          /* kind of the frame being read, 0 = in a header */
    size_t         left;          /* payload bytes still to come */
    struct pdf_end end;
    size_t         end_len;       /* bytes of end read so far */
    int            has_end;
};

/* Consumes len bytes from the child: text goes to norm, the final frame to reader->end. */
static enum cv_err
consume(struct frame_reader *reader, struct cv_extract_norm *norm, const char *data, size_t len)
{
    size_t      take;
    uint32_t    frame_len;
    enum cv_err rc;

    while (len > 0) {
        if (reader->kind == 0) {
            take = FRAME_HEAD - reader->head_len < len ? FRAME_HEAD - reader->head_len : len;
            memcpy(reader->head + reader->head_len, data, take);
            reader->head_len += take;
            data += take;
            len -= take;
            if (reader->head_len < FRAME_HEAD) {
                break;
            }
            memcpy(&frame_len, reader->head + 1, sizeof(frame_len));
            reader->kind = (char)reader->head[0];
            reader->left = frame_len;
            reader->head_len = 0;
            if ((reader->kind != FRAME_TEXT && reader->kind != FRAME_END) ||
                (reader->kind == FRAME_END && frame_len != sizeof(reader->end))) {
                return CV_EINTERNAL;
            }
            continue;
        }

        take = reader->left < len ? reader->left : len;
        if (reader->kind == FRAME_TEXT) {
            rc = cv_extract_norm_feed(norm, data, take);
            if (rc != CV_OK) {
                return rc;
            }
        } else {
            memcpy((char *)&reader->end + reader->end_len, data, take);
            reader->end_len += take;
        }
        data += take;
        len -= take;
        reader->left -= take;
        if (reader->left == 0) {
            reader->has_end |= reader->kind == FRAME_END;
            reader->kind = 0;
        }
    }
    return CV_OK;
}

/*
 * Reads the child's frames until its final frame, end of file or the deadline. Returns
 * CV_OK with reader->has_end telling whether the child finished, CV_ETIMEOUT, or the
 * normaliser's CV_ETOOLARGE or CV_ENOMEM.
 */
static enum cv_err
read_child(int fd, int64_t deadline_ms, struct frame_reader *reader, struct cv_extract_norm *norm)
{
    char         *chunk;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int64_t       left_ms;
    ssize_t       n;
    int           ready;
    enum cv_err   rc = CV_OK;

    chunk = malloc(PDF_READ_CHUNK);
    if (chunk == NULL) {
        return CV_ENOMEM;
    }
    while (!reader->has_end) {
        left_ms = deadline_ms - cv_clock_mono_ms();
        if (left_ms <= 0) {
            rc = CV_ETIMEOUT;
            break;
        }
        ready = poll(&pfd, 1, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            rc = CV_EINTERNAL;
            break;
        }
        if (ready == 0) {
            continue;   /* the deadline check at the top ends the loop */
        }
        n = read(fd, chunk, PDF_READ_CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;      /* end of file without a final frame: the child died */
        }
        rc = consume(reader, norm, chunk, (size_t)n);
        if (rc != CV_OK) {
            break;
        }
    }
    free(chunk);
    return rc;
}

/* Reaps the child, killing it first unless it has finished; returns its wait status. */
static int
reap_child(pid_t pid, int finished)
{
    int status = 0;

    if (!finished) {
        (void)kill(pid, SIGKILL); /* it may have exited already; waitpid reaps either way */
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return 0;   /* ECHILD: SIGCHLD is ignored and the kernel reaped it */
        }
    }
    return status;
}

enum cv_err
cv_extract_pdf(const unsigned char *data, size_t len, const struct cv_extract_limits *limits,
               int64_t deadline_ms, struct cv_buf *out, int *page_count, char *errbuf,
               size_t errbuf_len)
{
    struct frame_reader    reader;
    struct cv_extract_norm norm;
    int                    fds[2] = { -1, -1 };
    pid_t                  pid = -1;
    int                    status;
    int                    saved_errno;
    enum cv_err            rc;

    *page_count = 0;
    memset(&reader, 0, sizeof(reader));
    cv_extract_norm_init(&norm, out);

    if (pipe2(fds, O_CLOEXEC) != 0) {
        saved_errno = errno;
        return cv_extract_fail(CV_EUNAVAIL, errbuf, errbuf_len,
                               "could not create a pipe for the PDF reader: %s",
                               strerror(saved_errno));
    }
    pid = fork();
    if (pid < 0) {
        saved_errno = errno;
        rc = cv_extract_fail(CV_EUNAVAIL, errbuf, errbuf_len,
                             "could not start the PDF reader process: %s", strerror(saved_errno));
        goto out;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(data, len, limits, deadline_ms, fds[1]);
        _exit(1);
    }
    close(fds[1]);
    fds[1] = -1;

    rc = read_child(fds[0], deadline_ms, &reader, &norm);
    status = reap_child(pid, reader.has_end);
    pid = -1;

    if (rc == CV_ETIMEOUT) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len,
                             "text extraction passed the limit of %ld ms", limits->timeout_ms);
        goto out;
    }
    if (rc == CV_ETOOLARGE) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len,
                             "PDF text is longer than the limit of %zu bytes", out->max_len);
        goto out;
    }
    if (rc != CV_OK) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len, "could not read the PDF reader's output");
        goto out;
    }
    if (!reader.has_end) {
        /* The child died inside poppler: a crash, or the memory cap turned into an abort. */
        rc = cv_extract_fail(CV_EUNREADABLE, errbuf, errbuf_len,
                             "PDF reader stopped on this document (%s %d)",
                             WIFSIGNALED(status) ? "signal" : "exit status",
                             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        goto out;
    }

    reader.end.reason[sizeof(reader.end.reason) - 1] = '\0';
    *page_count = reader.end.page_count;
    rc = (enum cv_err)reader.end.rc;
    if (rc != CV_OK) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len, "%s", reader.end.reason);
        goto out;
    }
    rc = cv_extract_norm_finish(&norm);
    if (rc == CV_ETOOLARGE) {
        rc = cv_extract_fail(rc, errbuf, errbuf_len,
                             "PDF text is longer than the limit of %zu bytes", out->max_len);
    }
out:
    if (pid > 0) {
        (void)reap_child(pid, 0);
    }
    if (fds[0] >= 0) {
        close(fds[0]);
    }
    if (fds[1] >= 0) {
        close(fds[1]);
    }
    return rc;
}
