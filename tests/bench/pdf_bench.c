/*
 * Compares poppler-glib and MuPDF text extraction against pdftotext on real PDFs:
 * wall time, peak RSS, the slowest single page, and word agreement with pdftotext.
 * Each engine runs in its own exec'd child, so RSS and start-up cost are measured the
 * same way for all three. Built and run by tests/bench/pdf-compare.sh, never by tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mupdf/fitz.h>
#include <poppler.h>

#define BENCH_MAX_FILES 256
#define BENCH_RUNS_MAX  9

enum engine {
    ENGINE_PDFTOTEXT = 0,
    ENGINE_POPPLER,
    ENGINE_MUPDF,
    ENGINE_COUNT
};

static const char *const engine_names[ENGINE_COUNT] = { "pdftotext", "poppler", "mupdf" };

/* What one child run reports: times in ms, RSS in KiB. */
struct run {
    double wall_ms;       /* fork to exit, including start-up */
    double max_page_ms;   /* slowest page, libraries only */
    long   max_rss_kib;
    int    page_count;
    int    exit_code;     /* 0 = text, 2 = no text, 3 = open failed, other = crash */
    char   status[64];    /* engine's own short status word */
};

static const char *self_path;

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
    FILE          *fp;
    unsigned char *data = NULL;
    long           size;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return NULL;
    }
    data = malloc((size_t)size + 1);
    if (data != NULL && fread(data, 1, (size_t)size, fp) != (size_t)size) {
        free(data);
        data = NULL;
    }
    fclose(fp);
    *len = (size_t)size;
    return data;
}

/* ---- child side: one engine, one file, text to out_path, stats on stdout ---- */

static void
drop_glib_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain;
    (void)level;
    (void)message;
    (void)user;
}

static int
child_poppler(const unsigned char *data, size_t len, FILE *out, int *pages, double *max_page_ms,
              const char **status)
{
    GBytes          *bytes;
    PopplerDocument *doc;
    GError          *error = NULL;
    int              i;
    int              has_text = 0;

    g_log_set_default_handler(drop_glib_log, NULL);
    bytes = g_bytes_new_static(data, len);
    doc = poppler_document_new_from_bytes(bytes, NULL, &error);
    if (doc == NULL) {
        *status = error != NULL && error->code == POPPLER_ERROR_ENCRYPTED ? "encrypted"
                                                                          : "open-failed";
        return 3;
    }
    *pages = poppler_document_get_n_pages(doc);
    for (i = 0; i < *pages; i++) {
        double       t0 = now_ms();
        PopplerPage *page = poppler_document_get_page(doc, i);
        char        *text;

        if (page == NULL) {
            continue;
        }
        text = poppler_page_get_text(page);
        if (text != NULL) {
            fputs(text, out);
            fputc('\f', out);
            has_text |= strspn(text, " \t\r\n\f") != strlen(text);
        }
        g_free(text);
        g_object_unref(page);
        if (now_ms() - t0 > *max_page_ms) {
            *max_page_ms = now_ms() - t0;
        }
    }
    g_object_unref(doc);
    g_bytes_unref(bytes);
    *status = has_text ? "ok" : "no-text";
    return has_text ? 0 : 2;
}

static void
drop_fz_message(void *user, const char *message)
{
    (void)user;
    (void)message;
}

/* Set by the watchdog thread of the abort test; MuPDF polls it inside fz_run_page. */
static fz_cookie bench_cookie;
static long      abort_after_ms;

static void *
watchdog(void *arg)
{
    struct timespec ts;

    (void)arg;
    ts.tv_sec = abort_after_ms / 1000;
    ts.tv_nsec = (abort_after_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    bench_cookie.abort = 1;
    return NULL;
}

static int
child_mupdf(const unsigned char *data, size_t len, FILE *out, int *pages, double *max_page_ms,
            const char **status)
{
    fz_context  *ctx;
    fz_document *doc = NULL;
    fz_stream   *stm = NULL;
    /* volatile: these change inside fz_try and are read after a longjmp from fz_throw. */
    volatile int has_text = 0;
    volatile int rc = 0;
    volatile int i;

    ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (ctx == NULL) {
        *status = "no-context";
        return 3;
    }
    fz_set_warning_callback(ctx, drop_fz_message, NULL);
    fz_set_error_callback(ctx, drop_fz_message, NULL);
    fz_var(doc);
    fz_var(stm);
    fz_try(ctx) {
        fz_register_document_handlers(ctx);
        stm = fz_open_memory(ctx, data, len);
        doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
        if (fz_needs_password(ctx, doc) && !fz_authenticate_password(ctx, doc, "")) {
            *status = "encrypted";
            rc = 3;
        } else {
            *pages = fz_count_pages(ctx, doc);
        }
    }
    fz_catch(ctx) {
        *status = "open-failed";
        rc = 3;
    }
    for (i = 0; rc == 0 && i < *pages && !bench_cookie.abort; i++) {
        double          t0 = now_ms();
        fz_page        *page = NULL;
        fz_stext_page  *stext = NULL;
        fz_device      *dev = NULL;
        fz_buffer      *buf = NULL;
        fz_stext_options opts = { 0 };

        fz_var(page);
        fz_var(stext);
        fz_var(dev);
        fz_var(buf);
        fz_try(ctx) {
            unsigned char *text;
            size_t         text_len;

            page = fz_load_page(ctx, doc, i);
            stext = fz_new_stext_page(ctx, fz_bound_page(ctx, page));
            dev = fz_new_stext_device(ctx, stext, &opts);
            fz_run_page(ctx, page, dev, fz_identity, &bench_cookie);
            fz_close_device(ctx, dev);
            buf = fz_new_buffer_from_stext_page(ctx, stext);
            text_len = fz_buffer_storage(ctx, buf, &text);
            fwrite(text, 1, text_len, out);
            fputc('\f', out);
            has_text |= text_len > 0 && strspn((char *)text, " \t\r\n\f") < text_len;
        }
        fz_always(ctx) {
            fz_drop_buffer(ctx, buf);
            fz_drop_device(ctx, dev);
            fz_drop_stext_page(ctx, stext);
            fz_drop_page(ctx, page);
        }
        fz_catch(ctx) {
            /* A broken page loses its own text only, as in pdftotext. */
        }
        if (now_ms() - t0 > *max_page_ms) {
            *max_page_ms = now_ms() - t0;
        }
    }
    fz_drop_document(ctx, doc);
    fz_drop_stream(ctx, stm);
    fz_drop_context(ctx);
    if (rc != 0) {
        return rc;
    }
    if (bench_cookie.abort) {
        *status = "aborted";
        return 0;
    }
    *status = has_text ? "ok" : "no-text";
    return has_text ? 0 : 2;
}

/* argv: --child ENGINE FILE OUT [ABORT_MS]; prints "pages max_page_ms status". */
static int
child_main(int argc, char **argv)
{
    unsigned char *data;
    size_t         len = 0;
    FILE          *out;
    int            pages = 0;
    double         max_page_ms = 0;
    const char    *status = "?";
    pthread_t      tid;
    int            rc;

    if (argc < 5) {
        return 64;
    }
    data = read_file(argv[3], &len);
    out = fopen(argv[4], "w");
    if (data == NULL || out == NULL) {
        return 65;
    }
    if (argc > 5) {
        abort_after_ms = atol(argv[5]);
        if (pthread_create(&tid, NULL, watchdog, NULL) != 0) {
            return 66;
        }
    }
    if (strcmp(argv[2], "poppler") == 0) {
        rc = child_poppler(data, len, out, &pages, &max_page_ms, &status);
    } else {
        rc = child_mupdf(data, len, out, &pages, &max_page_ms, &status);
    }
    fclose(out);
    free(data);
    printf("%d %.3f %s\n", pages, max_page_ms, status);
    fflush(stdout);
    _exit(rc);
}

/* ---- parent side ---- */

/* Runs argv to completion; fills wall time, RSS and exit code, and the child's stdout line. */
static int
run_child(char *const argv[], struct run *run)
{
    int           fds[2];
    pid_t         pid;
    int           wstatus;
    struct rusage ru;
    double        t0;
    char          line[256] = "";
    ssize_t       n;
    size_t        used = 0;

    if (pipe(fds) != 0) {
        return -1;
    }
    t0 = now_ms();
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(fds[1], 1);
        dup2(devnull, 2);
        close(fds[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    while (used < sizeof(line) - 1) {
        n = read(fds[0], line + used, sizeof(line) - 1 - used);
        if (n <= 0) {
            break;
        }
        used += (size_t)n;
    }
    line[used] = '\0';
    close(fds[0]);
    if (wait4(pid, &wstatus, 0, &ru) != pid) {
        return -1;
    }
    run->wall_ms = now_ms() - t0;
    run->max_rss_kib = ru.ru_maxrss;
    run->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    run->page_count = 0;
    run->max_page_ms = 0;
    snprintf(run->status, sizeof(run->status), "%s", run->exit_code == 0 ? "ok" : "failed");
    if (line[0] != '\0') {
        sscanf(line, "%d %lf %63s", &run->page_count, &run->max_page_ms, run->status);
    }
    return 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits text into whitespace-separated words, sorted; returns the count. */
static size_t
split_words(char *text, char ***words_out)
{
    size_t  count = 0;
    size_t  cap = 1024;
    char  **words = malloc(cap * sizeof(*words));
    char   *p = text;

    while (words != NULL && *p != '\0') {
        p += strspn(p, " \t\r\n\f\v");
        if (*p == '\0') {
            break;
        }
        if (count == cap) {
            char **grown = realloc(words, 2 * cap * sizeof(*words));

            if (grown == NULL) {
                break;
            }
            words = grown;
            cap *= 2;
        }
        words[count++] = p;
        p += strcspn(p, " \t\r\n\f\v");
        if (*p != '\0') {
            *p++ = '\0';
        }
    }
    if (words != NULL) {
        qsort(words, count, sizeof(*words), cmp_str);
    }
    *words_out = words;
    return count;
}

/*
 * Word agreement of out_path with the baseline words: the F1 score of the multiset
 * intersection (2 * common / (ours + theirs)), 1.0 when both are empty.
 */
static double
word_agreement(char **base, size_t base_count, const char *out_path)
{
    size_t  len;
    char   *text = (char *)read_file(out_path, &len);
    char  **words = NULL;
    size_t  count;
    size_t  i = 0;
    size_t  j = 0;
    size_t  common = 0;
    double  f1;

    if (text == NULL) {
        return 0;
    }
    text[len] = '\0';
    count = split_words(text, &words);
    while (i < base_count && j < count) {
        int c = strcmp(base[i], words[j]);

        if (c == 0) {
            common++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    f1 = base_count + count == 0 ? 1.0 : 2.0 * (double)common / (double)(base_count + count);
    free(words);
    free(text);
    return f1;
}

static const char *
base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dir = slash;

    if (slash == NULL) {
        return path;
    }
    /* Keep the folder: "cv/x.pdf" reads better than "x.pdf". */
    while (dir > path && dir[-1] != '/') {
        dir--;
    }
    return dir;
}

static void
usage(void)
{
    fprintf(stderr, "usage: pdf_bench [-n RUNS] [-s STRESS.pdf]... [-a ABORT_MS ABORT.pdf] "
                    "FILE.pdf...\n");
}

/* Runs every engine runs times on file; fills best[] (median wall time) and agree[]. */
static int
measure(const char *file, int runs, char out[][512], struct run best[], double agree[],
        size_t *base_count)
{
    double  walls[BENCH_RUNS_MAX];
    char  **base_words = NULL;
    size_t  base_len;
    char   *base_text;
    int     e;
    int     r;

    for (e = 0; e < ENGINE_COUNT; e++) {
        char *pdftotext_argv[] = { "pdftotext", "-q", "-enc", "UTF-8", (char *)file, out[e], NULL };
        char *lib_argv[] = { (char *)self_path, "--child", (char *)engine_names[e], (char *)file,
                             out[e], NULL };

        memset(&best[e], 0, sizeof(best[e]));
        for (r = 0; r < runs; r++) {
            struct run run;

            if (run_child(e == ENGINE_PDFTOTEXT ? pdftotext_argv : lib_argv, &run) != 0) {
                perror("run_child");
                return -1;
            }
            walls[r] = run.wall_ms;
            if (r == 0) {
                best[e] = run;
            } else if (run.max_rss_kib > best[e].max_rss_kib) {
                best[e].max_rss_kib = run.max_rss_kib;
            }
        }
        /* The median of the runs, so one scheduling hiccup does not count. */
        qsort(walls, (size_t)runs, sizeof(walls[0]), cmp_double);
        best[e].wall_ms = walls[runs / 2];
    }

    base_text = (char *)read_file(out[ENGINE_PDFTOTEXT], &base_len);
    if (base_text == NULL) {
        base_text = calloc(1, 1);
        base_len = 0;
    }
    if (base_text == NULL) {
        return -1;
    }
    base_text[base_len] = '\0';
    *base_count = split_words(base_text, &base_words);
    agree[ENGINE_PDFTOTEXT] = 1.0;
    for (e = ENGINE_POPPLER; e < ENGINE_COUNT; e++) {
        agree[e] = word_agreement(base_words, *base_count, out[e]);
    }
    free(base_words);
    free(base_text);
    return 0;
}

static void
print_row(const char *file, const struct run best[], const double agree[])
{
    printf("%-44.44s %5d | %8.1f | %8.1f %5.2f %7.1f | %8.1f %5.2f %7.1f | %4ld %4ld %4ld | "
           "%5.3f %5.3f | %s/%s\n",
           base_name(file), best[ENGINE_POPPLER].page_count, best[ENGINE_PDFTOTEXT].wall_ms,
           best[ENGINE_POPPLER].wall_ms,
           best[ENGINE_POPPLER].wall_ms / best[ENGINE_PDFTOTEXT].wall_ms,
           best[ENGINE_POPPLER].max_page_ms, best[ENGINE_MUPDF].wall_ms,
           best[ENGINE_MUPDF].wall_ms / best[ENGINE_PDFTOTEXT].wall_ms,
           best[ENGINE_MUPDF].max_page_ms,
           best[ENGINE_PDFTOTEXT].max_rss_kib / 1024, best[ENGINE_POPPLER].max_rss_kib / 1024,
           best[ENGINE_MUPDF].max_rss_kib / 1024, agree[ENGINE_POPPLER], agree[ENGINE_MUPDF],
           best[ENGINE_POPPLER].status, best[ENGINE_MUPDF].status);
    fflush(stdout);
}

static void
print_header(void)
{
    printf("%-44s %5s | %8s | %8s %5s %7s | %8s %5s %7s | %4s %4s %4s | %5s %5s | %s\n",
           "file", "pages", "pdftotxt", "poppler", "ratio", "maxpage", "mupdf", "ratio",
           "maxpage", "rssT", "rssP", "rssM", "agP", "agM", "status P/M");
}

int
main(int argc, char **argv)
{
    int         runs = 3;
    const char *abort_file = NULL;
    const char *stress[4];
    int         stress_count = 0;
    long        abort_ms = 0;
    char        tmpdir[] = "/tmp/pdf_bench.XXXXXX";
    char        out[ENGINE_COUNT][512];
    int         argi = 1;
    double      sum_ms[ENGINE_COUNT] = { 0 };
    double      sum_agree[ENGINE_COUNT] = { 0 };
    double      worst_page_ms[ENGINE_COUNT] = { 0 };
    long        peak_rss[ENGINE_COUNT] = { 0 };
    long        total_pages = 0;
    int         scored = 0;
    int         e;
    int         k;

    self_path = argv[0];
    if (argc > 1 && strcmp(argv[1], "--child") == 0) {
        return child_main(argc, argv);
    }
    while (argi < argc && argv[argi][0] == '-') {
        if (strcmp(argv[argi], "-n") == 0 && argi + 1 < argc) {
            runs = atoi(argv[argi + 1]);
            argi += 2;
        } else if (strcmp(argv[argi], "-s") == 0 && argi + 1 < argc && stress_count < 4) {
            stress[stress_count++] = argv[argi + 1];
            argi += 2;
        } else if (strcmp(argv[argi], "-a") == 0 && argi + 2 < argc) {
            abort_ms = atol(argv[argi + 1]);
            abort_file = argv[argi + 2];
            argi += 3;
        } else {
            usage();
            return 64;
        }
    }
    if (runs < 1 || runs > BENCH_RUNS_MAX || argi >= argc || argc - argi > BENCH_MAX_FILES) {
        usage();
        return 64;
    }
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    for (e = 0; e < ENGINE_COUNT; e++) {
        snprintf(out[e], sizeof(out[e]), "%s/%s.txt", tmpdir, engine_names[e]);
    }

    print_header();
    for (; argi < argc; argi++) {
        struct run best[ENGINE_COUNT];
        double     agree[ENGINE_COUNT];
        size_t     base_count;

        if (measure(argv[argi], runs, out, best, agree, &base_count) != 0) {
            return 1;
        }
        print_row(argv[argi], best, agree);
        for (e = 0; e < ENGINE_COUNT; e++) {
            sum_ms[e] += best[e].wall_ms;
            if (best[e].max_page_ms > worst_page_ms[e]) {
                worst_page_ms[e] = best[e].max_page_ms;
            }
            if (best[e].max_rss_kib > peak_rss[e]) {
                peak_rss[e] = best[e].max_rss_kib;
            }
        }
        /* Agreement is averaged over files where pdftotext found words. */
        if (base_count > 0) {
            for (e = ENGINE_POPPLER; e < ENGINE_COUNT; e++) {
                sum_agree[e] += agree[e];
            }
            scored++;
        }
        total_pages += best[ENGINE_POPPLER].page_count;
    }

    printf("\ntotals over the files above, %ld pages (median of %d runs per engine and file):\n",
           total_pages, runs);
    for (e = 0; e < ENGINE_COUNT; e++) {
        printf("  %-9s total %8.1f ms  ratio %5.2f  per page %6.2f ms  slowest page %7.1f ms  "
               "peak RSS %4ld MiB",
               engine_names[e], sum_ms[e], sum_ms[e] / sum_ms[ENGINE_PDFTOTEXT],
               total_pages > 0 ? sum_ms[e] / (double)total_pages : 0.0, worst_page_ms[e],
               peak_rss[e] / 1024);
        if (e != ENGINE_PDFTOTEXT && scored > 0) {
            printf("  mean word agreement %.3f over %d files", sum_agree[e] / scored, scored);
        }
        printf("\n");
    }

    if (stress_count > 0) {
        printf("\ngenerated stress files (not in the totals):\n");
        print_header();
    }
    for (k = 0; k < stress_count; k++) {
        struct run best[ENGINE_COUNT];
        double     agree[ENGINE_COUNT];
        size_t     base_count;

        if (measure(stress[k], runs, out, best, agree, &base_count) != 0) {
            return 1;
        }
        print_row(stress[k], best, agree);
    }

    if (abort_file != NULL) {
        char       ms[32];
        char      *abort_argv[] = { (char *)self_path, "--child", "mupdf", (char *)abort_file,
                                    out[ENGINE_MUPDF], ms, NULL };
        struct run run;

        snprintf(ms, sizeof(ms), "%ld", abort_ms);
        if (run_child(abort_argv, &run) == 0) {
            printf("\nmupdf fz_cookie abort after %ld ms on %s: process wall %.1f ms, "
                   "peak RSS %ld MiB, status %s\n", abort_ms, base_name(abort_file), run.wall_ms,
                   run.max_rss_kib / 1024, run.status);
        }
        run.max_rss_kib = 0;
        abort_argv[5] = NULL;
        if (run_child(abort_argv, &run) == 0) {
            printf("mupdf without abort on %s: process wall %.1f ms, peak RSS %ld MiB, status %s\n",
                   base_name(abort_file), run.wall_ms, run.max_rss_kib / 1024, run.status);
        }
    }

    for (e = 0; e < ENGINE_COUNT; e++) {
        unlink(out[e]);
    }
    rmdir(tmpdir);
    return 0;
}
