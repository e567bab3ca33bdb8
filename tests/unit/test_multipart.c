/*
 * Unit tests for the multipart/form-data parser, the MIME parameter reader and the file
 * name sanitiser. Every body row runs with the whole body in one feed, with 1-byte feeds
 * and with several other chunkings, and all runs must give the same events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/mime_param.h"
#include "fcgi/multipart.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A string literal and its length, NUL bytes included. */
#define BYTES(s) s, sizeof(s) - 1

#define CT_DEFAULT "multipart/form-data; boundary=XyZ"
#define SPACES_8  "        "
#define SPACES_64 SPACES_8 SPACES_8 SPACES_8 SPACES_8 SPACES_8 SPACES_8 SPACES_8 SPACES_8
#define CD(name) "Content-Disposition: form-data; name=\"" name "\""

/* Chunk sizes every body row runs with; 0 is the whole body in one feed. The sizes
 * around 74 put chunk edges inside a delimiter line of the 3-byte test boundary and of
 * a 70-byte one. */
static const size_t chunk_sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 11, 16, 73, 74, 75, 76, 4096 };

/* A chunking that changes size at every feed, from a fixed pseudo-random sequence. */
#define CHUNK_VARYING ((size_t)-1)

#define RECORD_CONTENT_MAX (1024 * 1024)

struct expect_part {
    const char *name;
    const char *filename;      /* NULL: no filename parameter was sent */
    const char *content_type;  /* NULL means "" */
    const char *content;
    size_t      content_len;
};

struct body_case {
    const char         *label;
    const char         *content_type;  /* NULL: CT_DEFAULT */
    const char         *body;
    size_t              body_len;
    enum cv_err         rc;             /* from the first failing feed, or finish */
    const char         *errmsg;         /* NULL means "" */
    size_t              part_count;     /* parts that reached on_part_end */
    struct expect_part  parts[4];       /* the first parts; later ones are not checked */
};

/* Events of one parse, as the callbacks saw them. */
struct record {
    struct api_multipart_part parts[API_MULTIPART_PARTS_MAX];
    size_t                    begin_count;
    size_t                    end_count;
    size_t                    content_start[API_MULTIPART_PARTS_MAX];
    size_t                    content_len[API_MULTIPART_PARTS_MAX];
    char                     *content;      /* all parts' content, back to back */
    size_t                    content_used;
    bool                      is_open;      /* between on_part_begin and on_part_end */
    bool                      is_out_of_order;
    enum cv_err               begin_rc;     /* what on_part_begin returns */
};

static enum cv_err
record_begin(void *ctx, const struct api_multipart_part *part)
{
    struct record *rec = ctx;

    if (rec->is_open || rec->begin_count == API_MULTIPART_PARTS_MAX) {
        rec->is_out_of_order = true;
        return CV_EINTERNAL;
    }
    rec->parts[rec->begin_count] = *part;
    rec->content_start[rec->begin_count] = rec->content_used;
    rec->content_len[rec->begin_count] = 0;
    rec->begin_count++;
    rec->is_open = true;
    return rec->begin_rc;
}

static enum cv_err
record_data(void *ctx, const char *data, size_t len)
{
    struct record *rec = ctx;

    if (!rec->is_open || len == 0 || len > RECORD_CONTENT_MAX - rec->content_used) {
        rec->is_out_of_order = true;
        return CV_EINTERNAL;
    }
    memcpy(rec->content + rec->content_used, data, len);
    rec->content_used += len;
    rec->content_len[rec->begin_count - 1] += len;
    return CV_OK;
}

static enum cv_err
record_end(void *ctx)
{
    struct record *rec = ctx;

    if (!rec->is_open) {
        rec->is_out_of_order = true;
        return CV_EINTERNAL;
    }
    rec->is_open = false;
    rec->end_count++;
    return CV_OK;
}

static const struct api_multipart_callbacks record_callbacks = {
    .on_part_begin = record_begin,
    .on_part_data = record_data,
    .on_part_end = record_end,
};

static void
record_init(struct record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->content = malloc(RECORD_CONTENT_MAX);
    assert_non_null(rec->content);
}

static void
record_cleanup(struct record *rec)
{
    free(rec->content);
    rec->content = NULL;
}

/* Returns the size of the next feed for the given chunking. */
static size_t
next_chunk(size_t chunk, uint32_t *seed, size_t left)
{
    size_t n;

    if (chunk == 0) {
        return left;
    }
    if (chunk == CHUNK_VARYING) {
        *seed = *seed * 1103515245u + 12345u;
        n = 1 + (*seed >> 16) % 97;
    } else {
        n = chunk;
    }
    return n < left ? n : left;
}

/* Parses body with the given chunking into rec and returns the final code. */
static enum cv_err
parse_body(const char *content_type, const char *body, size_t body_len, size_t chunk,
           struct record *rec, char *errmsg, size_t errmsg_size)
{
    struct api_multipart *mp = NULL;
    char                  errbuf[256];
    size_t                off = 0;
    size_t                n;
    uint32_t              seed = 7;
    enum cv_err           rc;

    rc = api_multipart_new(content_type, &record_callbacks, rec, &mp, errbuf, sizeof(errbuf));
    if (rc != CV_OK) {
        fail_msg("cannot create parser for \"%s\": %s", content_type, errbuf);
    }
    while (off < body_len) {
        n = next_chunk(chunk, &seed, body_len - off);
        rc = api_multipart_feed(mp, body + off, n);
        if (rc != CV_OK) {
            break;
        }
        off += n;
    }
    if (rc == CV_OK) {
        rc = api_multipart_finish(mp);
    } else {
        /* A failure is final. */
        assert_int_equal(api_multipart_feed(mp, "x", 1), rc);
    }
    snprintf(errmsg, errmsg_size, "%s", api_multipart_errmsg(mp));
    api_multipart_free(mp);
    return rc;
}

static void
check_part(const struct record *rec, size_t i, const struct expect_part *want, size_t chunk)
{
    const struct api_multipart_part *got = &rec->parts[i];
    const char                      *content = rec->content + rec->content_start[i];

    if (strcmp(got->name, want->name) != 0) {
        fail_msg("chunk %zu: part %zu name \"%s\", expected \"%s\"", chunk, i, got->name,
                 want->name);
    }
    if (got->has_filename != (want->filename != NULL)) {
        fail_msg("chunk %zu: part %zu has_filename %d", chunk, i, got->has_filename);
    }
    if (want->filename != NULL && strcmp(got->filename, want->filename) != 0) {
        fail_msg("chunk %zu: part %zu filename \"%s\", expected \"%s\"", chunk, i,
                 got->filename, want->filename);
    }
    if (strcmp(got->content_type, want->content_type != NULL ? want->content_type : "") != 0) {
        fail_msg("chunk %zu: part %zu content type \"%s\"", chunk, i, got->content_type);
    }
    if (rec->content_len[i] != want->content_len ||
        memcmp(content, want->content, want->content_len) != 0) {
        fail_msg("chunk %zu: part %zu content \"%.*s\" (%zu bytes), expected %zu bytes", chunk,
                 i, (int)rec->content_len[i], content, rec->content_len[i], want->content_len);
    }
}

/* Fails unless two parses saw exactly the same events. */
static void
check_same_events(const struct record *a, const struct record *b, size_t chunk)
{
    size_t i;

    if (a->begin_count != b->begin_count || a->end_count != b->end_count ||
        a->content_used != b->content_used || a->is_open != b->is_open) {
        fail_msg("chunk %zu: %zu/%zu parts and %zu bytes differ from the whole-body feed",
                 chunk, b->begin_count, b->end_count, b->content_used);
    }
    for (i = 0; i < a->begin_count; i++) {
        if (memcmp(&a->parts[i], &b->parts[i], sizeof(a->parts[i])) != 0 ||
            a->content_len[i] != b->content_len[i]) {
            fail_msg("chunk %zu: part %zu differs from the whole-body feed", chunk, i);
        }
    }
    if (memcmp(a->content, b->content, a->content_used) != 0) {
        fail_msg("chunk %zu: content differs from the whole-body feed", chunk);
    }
}

static void
check_body_case(const struct body_case *bc, size_t chunk, const struct record *whole)
{
    struct record  rec;
    char           errmsg[256];
    const char    *want_errmsg = bc->errmsg != NULL ? bc->errmsg : "";
    const char    *ct = bc->content_type != NULL ? bc->content_type : CT_DEFAULT;
    enum cv_err    rc;
    size_t         i;

    record_init(&rec);
    rc = parse_body(ct, bc->body, bc->body_len, chunk, &rec, errmsg, sizeof(errmsg));
    if (rc != bc->rc) {
        fail_msg("chunk %zu: returned %s (\"%s\"), expected %s", chunk, cv_strerror(rc), errmsg,
                 cv_strerror(bc->rc));
    }
    if (strcmp(errmsg, want_errmsg) != 0) {
        fail_msg("chunk %zu: message \"%s\", expected \"%s\"", chunk, errmsg, want_errmsg);
    }
    if (rec.is_out_of_order) {
        fail_msg("chunk %zu: callbacks out of order", chunk);
    }
    if (rec.end_count != bc->part_count) {
        fail_msg("chunk %zu: %zu complete parts, expected %zu", chunk, rec.end_count,
                 bc->part_count);
    }
    /* Generated rows list fewer expectations than parts; a NULL name ends the list. */
    for (i = 0; i < bc->part_count && i < ARRAY_LEN(bc->parts) && bc->parts[i].name != NULL;
         i++) {
        check_part(&rec, i, &bc->parts[i], chunk);
    }
    if (whole != NULL) {
        check_same_events(whole, &rec, chunk);
    }
    record_cleanup(&rec);
}

/* Runs one row with every chunking and compares each run with the whole-body feed. */
static void
run_body_case(const struct body_case *bc)
{
    struct record  whole;
    char           errmsg[256];
    const char    *ct = bc->content_type != NULL ? bc->content_type : CT_DEFAULT;
    size_t         i;

    check_body_case(bc, 0, NULL);
    record_init(&whole);
    (void)parse_body(ct, bc->body, bc->body_len, 0, &whole, errmsg, sizeof(errmsg));
    for (i = 1; i < ARRAY_LEN(chunk_sizes); i++) {
        check_body_case(bc, chunk_sizes[i], &whole);
    }
    check_body_case(bc, CHUNK_VARYING, &whole);
    record_cleanup(&whole);
}

static void
test_body_row(void **state)
{
    run_body_case(*state);
}

#define PART(...) { __VA_ARGS__ }

static const struct body_case body_cases[] = {
    /* Grammar, line endings, delimiters. */
    { "single field", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nhello\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("hello")) } },
    { "file and field", NULL,
      BYTES("--XyZ\r\n" CD("cv") "; filename=\"cv.pdf\"\r\nContent-Type: application/pdf\r\n"
            "\r\n%PDF-1.4\r\n--XyZ\r\n" CD("project") "\r\n\r\nreport\r\n--XyZ--\r\n"),
      CV_OK, NULL, 2,
      { PART("cv", "cv.pdf", "application/pdf", BYTES("%PDF-1.4")),
        PART("project", NULL, NULL, BYTES("report")) } },
    { "lf line endings", NULL,
      BYTES("--XyZ\n" CD("a") "\n\nline1\nline2\n--XyZ\n" CD("b") "\n\nx\n--XyZ--\n"),
      CV_OK, NULL, 2,
      { PART("a", NULL, NULL, BYTES("line1\nline2")), PART("b", NULL, NULL, BYTES("x")) } },
    { "lf body keeps crlf in content", NULL,
      BYTES("--XyZ\n" CD("a") "\n\nx\r\ny\r\n--XyZ--\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\ny\r")) } },
    { "lf header lines in crlf body", NULL,
      BYTES("--XyZ\r\n" CD("a") "\nContent-Type: text/plain\n\r\nhi\r\n--XyZ--"),
      CV_OK, NULL, 1, { PART("a", NULL, "text/plain", BYTES("hi")) } },
    { "lf delimiter line in crlf body", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nhi\r\n--XyZ\n" CD("b") "\r\n\r\n\r\n--XyZ--"),
      CV_OK, NULL, 2,
      { PART("a", NULL, NULL, BYTES("hi")), PART("b", NULL, NULL, BYTES("")) } },
    { "preamble and epilogue ignored", NULL,
      BYTES("preamble --XyZ\r\n\r\n--XyZX\r\n -XyZ\r\n--XyZ\r\n" CD("a")
            "\r\n\r\nbody\r\n--XyZ--\r\nepilogue\r\n--XyZ\r\n" CD("b") "\r\n\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("body")) } },
    { "preamble with lf lines", NULL,
      BYTES("junk\n--XyZ\n" CD("a") "\n\nv\n--XyZ--"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "leading crlf before first boundary", NULL,
      BYTES("\r\n--XyZ\r\n" CD("a") "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "transport padding", NULL,
      BYTES("--XyZ \t \r\n" CD("a") "\r\n\r\nv\r\n--XyZ\t\r\n" CD("b")
            "\r\n\r\nw\r\n--XyZ--  \r\n"),
      CV_OK, NULL, 2, { PART("a", NULL, NULL, BYTES("v")), PART("b", NULL, NULL, BYTES("w")) } },
    { "transport padding in lf body", NULL,
      BYTES("--XyZ  \n" CD("a") "\n\nv\n--XyZ \n" CD("b") "\n\nw\n--XyZ--"),
      CV_OK, NULL, 2, { PART("a", NULL, NULL, BYTES("v")), PART("b", NULL, NULL, BYTES("w")) } },
    { "close delimiter without line end", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nv\r\n--XyZ--"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "close delimiter only", NULL, BYTES("--XyZ--\r\n"), CV_OK, NULL, 0, { PART(NULL) } },
    { "quoted boundary with space", "multipart/form-data; boundary=\"a b:c\"",
      BYTES("--a b:c\r\n" CD("a") "\r\n\r\nv\r\n--a b:c--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "unquoted boundary with equals", "multipart/form-data; boundary=----=_Part_0_1.2",
      BYTES("------=_Part_0_1.2\r\n" CD("a") "\r\n\r\nv\r\n------=_Part_0_1.2--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "media type case and charset", "Multipart/Form-Data ; Charset=utf-8; BOUNDARY=XyZ",
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },

    /* Boundary-like bytes inside content. */
    { "boundary not at line start", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\na--XyZ b --XyZ--\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("a--XyZ b --XyZ--")) } },
    { "longer token after boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nx\r\n--XyZX\r\ny\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\n--XyZX\r\ny")) } },
    { "dash then other byte after boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nx\r\n--XyZ-y\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\n--XyZ-y")) } },
    { "boundary prefix in content", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nx\r\n--Xy\r\n--X\r\n-\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\n--Xy\r\n--X\r\n-")) } },
    { "lone cr before boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\na\r--XyZ\r\nb\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("a\r--XyZ\r\nb")) } },
    { "lone lf before boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\na\n--XyZ\r\nb\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("a\n--XyZ\r\nb")) } },
    { "padding then other byte", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nx\r\n--XyZ  y\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\n--XyZ  y")) } },
    { "cr without lf after boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nx\r\n--XyZ\ry\r\n--XyZ\r\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("x\r\n--XyZ\ry\r\n--XyZ\r")) } },
    { "cr runs before delimiter", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\n\r\r\r\n\r\n\r\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("\r\r\r\n\r\n\r")) } },
    { "binary content with nul bytes", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"b.bin\"\r\n\r\n"
            "\0\xff\r\0\n\r\r\n-\0--XyZ\0\r\n--XyZ--"),
      CV_OK, NULL, 1,
      { PART("f", "b.bin", NULL, BYTES("\0\xff\r\0\n\r\r\n-\0--XyZ\0")) } },
    { "content ending in crlf", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nline\r\n\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("line\r\n")) } },
    { "empty part", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\n\r\n--XyZ\r\n" CD("b") "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 2, { PART("a", NULL, NULL, BYTES("")), PART("b", NULL, NULL, BYTES("v")) } },
    { "empty part without content line", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\n--XyZ\r\n" CD("b") "\r\n\r\n--XyZ--\r\n"),
      CV_OK, NULL, 2, { PART("a", NULL, NULL, BYTES("")), PART("b", NULL, NULL, BYTES("")) } },
    { "content starting with boundary-like line", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\n--XyZz\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("--XyZz")) } },

    /* Part headers. */
    { "unknown headers ignored", NULL,
      BYTES("--XyZ\r\nX-Note: a: b\r\n" CD("a") "\r\nContent-Transfer-Encoding: 8bit\r\n"
            "\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v")) } },
    { "header names ignore case", NULL,
      BYTES("--XyZ\r\ncontent-disposition:form-data;name=a\r\nCONTENT-TYPE:text/x\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a", NULL, "text/x", BYTES("v")) } },
    { "content type cut to fit", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\nContent-Type: text/plain; x=\""
            "0123456789012345678901234567890123456789012345678901234567890123456789"
            "0123456789012345678901234567890123456789012345678901234567890123456789\"\r\n"
            "\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1,
      { PART("a", NULL,
             "text/plain; x=\"01234567890123456789012345678901234567890123456789012345678901234"
             "56789012345678901234567890123456789012345678901",
             BYTES("v")) } },
    { "unquoted name and filename", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=cv; filename=a.pdf\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("cv", "a.pdf", NULL, BYTES("v")) } },
    { "parameter names ignore case", NULL,
      BYTES("--XyZ\r\nContent-Disposition: Form-Data; NAME=\"x\"; FileName=\"y.txt\"\r\n\r\nv"
            "\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("x", "y.txt", NULL, BYTES("v")) } },
    { "unknown and empty parameters ignored", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data;; size=3 ; name = \"x\" ;\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("x", NULL, NULL, BYTES("v")) } },
    { "quoted filename with escapes", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"say \\\"hi\\\";.txt\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "say \"hi\";.txt", NULL, BYTES("v")) } },
    { "quoted name with semicolon", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=\"a;b\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("a;b", NULL, NULL, BYTES("v")) } },
    { "windows path filename", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"C:\\Users\\x\\cv.pdf\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "cv.pdf", NULL, BYTES("v")) } },
    { "path traversal filename", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"../../etc/passwd\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "passwd", NULL, BYTES("v")) } },
    { "dot dot filename", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"..\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "", NULL, BYTES("v")) } },
    { "empty filename", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"\"\r\nContent-Type: application/octet-stream\r\n"
            "\r\n\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "", "application/octet-stream", BYTES("")) } },
    { "utf-8 filename sent raw", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "r\xc3\xa9sum\xc3\xa9.pdf", NULL, BYTES("v")) } },
    { "extended filename utf-8", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''%e2%82%ac%20rates.pdf\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "\xe2\x82\xac rates.pdf", NULL, BYTES("v")) } },
    { "extended filename iso-8859-1", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=iso-8859-1'fr'caf%E9%20%A3.txt\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "caf\xc3\xa9 \xc2\xa3.txt", NULL, BYTES("v")) } },
    { "extended filename after plain", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"plain.pdf\"; filename*=UTF-8'en'ext.pdf\r\n\r\nv"
            "\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "ext.pdf", NULL, BYTES("v")) } },
    { "extended filename before plain", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''ext.pdf; filename=\"plain.pdf\"\r\n\r\nv"
            "\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "ext.pdf", NULL, BYTES("v")) } },
    { "extended filename unknown charset", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename=\"plain.pdf\"; filename*=KOI8-R''%c1.pdf\r\n\r\nv"
            "\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "plain.pdf", NULL, BYTES("v")) } },
    { "extended filename controls dropped", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''..%2F..%2Fa%00b%0d%0a%e2%80%ae.pdf\r\n\r\n"
            "v\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "ab.pdf", NULL, BYTES("v")) } },
    { "extended filename invalid utf-8", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''a%ff%c3.pdf\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_OK, NULL, 1, { PART("f", "a.pdf", NULL, BYTES("v")) } },

    /* Malformed bodies. */
    { "missing closing boundary", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nhello\r\n"),
      CV_EINVAL, "body ends before the closing boundary delimiter", 0, { PART(NULL) } },
    { "missing closing boundary after delimiter", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nhello\r\n--XyZ"),
      CV_EINVAL, "body ends before the closing boundary delimiter", 0, { PART(NULL) } },
    { "closing boundary with one dash", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nhello\r\n--XyZ-"),
      CV_EINVAL, "body ends before the closing boundary delimiter", 0, { PART(NULL) } },
    { "no boundary at all", NULL, BYTES("just text\r\n"),
      CV_EINVAL, "body ends before the first boundary delimiter", 0, { PART(NULL) } },
    { "empty body", NULL, BYTES(""),
      CV_EINVAL, "body ends before the first boundary delimiter", 0, { PART(NULL) } },
    { "body ends in headers", NULL, BYTES("--XyZ\r\n" CD("a") "\r\n"),
      CV_EINVAL, "body ends inside the headers of part 1", 0, { PART(NULL) } },
    { "garbage instead of headers", NULL,
      BYTES("--XyZ\r\nthis is not a header\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid header line", 0, { PART(NULL) } },
    { "space before header colon", NULL,
      BYTES("--XyZ\r\nContent-Disposition : form-data; name=a\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid header line", 0, { PART(NULL) } },
    { "empty header name", NULL,
      BYTES("--XyZ\r\n: x\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid header line", 0, { PART(NULL) } },
    { "folded header line", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a folded header line", 0, { PART(NULL) } },
    { "control character in header", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\nX-A: a\x01" "b\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a control character in a header line", 0, { PART(NULL) } },
    { "bare cr in header", NULL,
      BYTES("--XyZ\r\n" CD("a") "\rX-A: b\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a control character in a header line", 0, { PART(NULL) } },
    { "nul in header", NULL,
      BYTES("--XyZ\r\n" CD("a\0") "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a control character in a header line", 0, { PART(NULL) } },
    { "part without headers", NULL,
      BYTES("--XyZ\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has no Content-Disposition header", 0, { PART(NULL) } },
    { "part without content-disposition", NULL,
      BYTES("--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has no Content-Disposition header", 0, { PART(NULL) } },
    { "disposition not form-data", NULL,
      BYTES("--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a Content-Disposition that is not form-data", 0, { PART(NULL) } },
    { "disposition without type", NULL,
      BYTES("--XyZ\r\nContent-Disposition: ; name=\"a\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid Content-Disposition: missing type", 0, { PART(NULL) } },
    { "disposition without name", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; filename=\"a.pdf\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a Content-Disposition without a name", 0, { PART(NULL) } },
    { "empty name", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an empty name", 0, { PART(NULL) } },
    { "empty unquoted name", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid Content-Disposition: parameter value is empty", 0,
      { PART(NULL) } },
    { "name too long", NULL,
      BYTES("--XyZ\r\n" CD("0123456789012345678901234567890123456789012345678901234567890123"
                           "0123456789012345678901234567890123456789012345678901234567890123")
            "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has a name longer than 127 bytes", 0, { PART(NULL) } },
    { "two name parameters", NULL,
      BYTES("--XyZ\r\n" CD("a") "; name=\"b\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has two name parameters", 0, { PART(NULL) } },
    { "two filename parameters", NULL,
      BYTES("--XyZ\r\n" CD("a") "; filename=x; filename=y\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has two filename parameters", 0, { PART(NULL) } },
    { "two content-disposition headers", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n" CD("b") "\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has two Content-Disposition headers", 0, { PART(NULL) } },
    { "two content-type headers", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_EINVAL, "part 1 has two Content-Type headers", 0, { PART(NULL) } },
    { "unterminated quoted name", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=\"abc\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid Content-Disposition: unterminated quoted string", 0,
      { PART(NULL) } },
    { "parameter without value", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid Content-Disposition: parameter has no value", 0,
      { PART(NULL) } },
    { "missing semicolon", NULL,
      BYTES("--XyZ\r\nContent-Disposition: form-data; name=a b=c\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid Content-Disposition: expected ';' before a parameter",
      0, { PART(NULL) } },
    { "extended filename bad escape", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''a%zz.pdf\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL,
      "part 1 has an invalid filename* parameter: invalid percent-encoding in extended value",
      0, { PART(NULL) } },
    { "extended filename cut escape", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''a%4\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL,
      "part 1 has an invalid filename* parameter: invalid percent-encoding in extended value",
      0, { PART(NULL) } },
    { "extended filename raw space", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=\"UTF-8''a b.pdf\"\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL,
      "part 1 has an invalid filename* parameter: invalid character in extended value",
      0, { PART(NULL) } },
    { "extended filename without charset", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=''a.pdf\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 1 has an invalid filename* parameter: extended value has no charset",
      0, { PART(NULL) } },
    { "extended filename one quote", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8'a.pdf\r\n\r\nv\r\n--XyZ--\r\n"),
      CV_EINVAL,
      "part 1 has an invalid filename* parameter: extended value has no second quote after "
      "the language",
      0, { PART(NULL) } },
    { "two extended filenames", NULL,
      BYTES("--XyZ\r\n" CD("f") "; filename*=UTF-8''a; filename*=UTF-8''b\r\n\r\nv\r\n"
            "--XyZ--\r\n"),
      CV_EINVAL, "part 1 has two filename* parameters", 0, { PART(NULL) } },
    { "second part malformed", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nfirst\r\n--XyZ\r\nnonsense\r\n\r\n--XyZ--\r\n"),
      CV_EINVAL, "part 2 has an invalid header line", 1,
      { PART("a", NULL, NULL, BYTES("first")) } },
    { "padding at the limit", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nv\r\n--XyZ" SPACES_64 "\r\n" CD("b")
            "\r\n\r\n\r\n--XyZ--"),
      CV_OK, NULL, 2, { PART("a", NULL, NULL, BYTES("v")), PART("b", NULL, NULL, BYTES("")) } },
    { "padding over the limit", NULL,
      BYTES("--XyZ\r\n" CD("a") "\r\n\r\nv\r\n--XyZ" SPACES_64 " \r\n--XyZ--"),
      CV_OK, NULL, 1, { PART("a", NULL, NULL, BYTES("v\r\n--XyZ" SPACES_64 " ")) } },
};

/* Rows for api_multipart_new(). */
struct content_type_case {
    const char  *label;
    const char  *content_type;
    enum cv_err  rc;
    const char  *errmsg;
};

static const struct content_type_case content_type_cases[] = {
    { "content type missing", NULL, CV_EMEDIA, "request has no Content-Type header" },
    { "content type plain text", "text/plain", CV_EMEDIA,
      "media type \"text/plain\" is not multipart/form-data" },
    { "content type multipart mixed", "multipart/mixed; boundary=a", CV_EMEDIA,
      "media type \"multipart/mixed\" is not multipart/form-data" },
    { "content type empty", "", CV_EINVAL, "invalid Content-Type: missing media type" },
    { "content type no boundary", "multipart/form-data", CV_EINVAL,
      "Content-Type has no boundary parameter" },
    { "content type charset only", "multipart/form-data; charset=utf-8", CV_EINVAL,
      "Content-Type has no boundary parameter" },
    { "boundary empty quoted", "multipart/form-data; boundary=\"\"", CV_EINVAL,
      "boundary parameter is empty" },
    { "boundary empty bare", "multipart/form-data; boundary=", CV_EINVAL,
      "invalid Content-Type: parameter value is empty" },
    { "boundary of 70 characters",
      "multipart/form-data; boundary="
      "0123456789012345678901234567890123456789012345678901234567890123456789",
      CV_OK, "" },
    { "boundary of 71 characters",
      "multipart/form-data; boundary="
      "0123456789012345678901234567890123456789012345678901234567890123456789X",
      CV_EINVAL, "boundary is longer than 70 characters" },
    { "boundary ends with space", "multipart/form-data; boundary=\"ab \"", CV_EINVAL,
      "boundary ends with a space" },
    { "boundary with invalid character", "multipart/form-data; boundary=a@b", CV_EINVAL,
      "boundary contains a character RFC 2046 does not allow" },
    { "boundary with quote escape", "multipart/form-data; boundary=\"a\\\"b\"", CV_EINVAL,
      "boundary contains a character RFC 2046 does not allow" },
    { "boundary twice", "multipart/form-data; boundary=a; boundary=b", CV_EINVAL,
      "Content-Type has two boundary parameters" },
    { "content type missing semicolon", "multipart/form-data boundary=a", CV_EINVAL,
      "invalid Content-Type: expected ';' before a parameter" },
    { "content type parameter without value", "multipart/form-data; boundary=a; charset",
      CV_EINVAL, "invalid Content-Type: parameter has no value" },
    { "content type unterminated quote", "multipart/form-data; boundary=\"abc", CV_EINVAL,
      "invalid Content-Type: unterminated quoted string" },
    { "content type white space", "  multipart/form-data ;boundary=abc ; ", CV_OK, "" },
};

static void
test_content_type_row(void **state)
{
    const struct content_type_case *ct = *state;
    static char                     sentinel;
    struct api_multipart           *mp = (struct api_multipart *)(void *)&sentinel;
    char                            errbuf[128];
    enum cv_err                     rc;

    rc = api_multipart_new(ct->content_type, &record_callbacks, NULL, &mp, errbuf,
                           sizeof(errbuf));
    assert_int_equal(rc, ct->rc);
    assert_string_equal(errbuf, ct->errmsg);
    if (rc == CV_OK) {
        assert_non_null(mp);
    } else {
        assert_null(mp);
    }
    api_multipart_free(mp);
}

/* Rows for api_multipart_sanitize_filename(). */
struct filename_case {
    const char *label;
    const char *src;
    size_t      src_len;
    size_t      dst_size;
    const char *want;
};

static const struct filename_case filename_cases[] = {
    { "filename plain", BYTES("cv.pdf"), 256, "cv.pdf" },
    { "filename unix path", BYTES("/home/a/cv.pdf"), 256, "cv.pdf" },
    { "filename windows path", BYTES("C:\\dir\\cv.pdf"), 256, "cv.pdf" },
    { "filename mixed separators", BYTES("a\\b/c\\d.txt"), 256, "d.txt" },
    { "filename trailing slash", BYTES("dir/"), 256, "" },
    { "filename dot", BYTES("."), 256, "" },
    { "filename dot dot", BYTES("../.."), 256, "" },
    { "filename hidden", BYTES(".bashrc"), 256, "bashrc" },
    { "filename leading dots and spaces", BYTES(" . .. a.pdf"), 256, "a.pdf" },
    { "filename trailing spaces", BYTES("a.pdf   "), 256, "a.pdf" },
    { "filename inner spaces kept", BYTES("my cv.pdf"), 256, "my cv.pdf" },
    { "filename control characters", BYTES("a\x01\tb\x7f\r\n.pdf"), 256, "ab.pdf" },
    { "filename nul byte", BYTES("a\0b.pdf"), 256, "ab.pdf" },
    { "filename control before dot", BYTES("\x01.hidden"), 256, "hidden" },
    { "filename c1 control", BYTES("a\xc2\x85" "b"), 256, "ab" },
    { "filename bidi override", BYTES("cv\xe2\x80\xaegpj.exe"), 256, "cvgpj.exe" },
    { "filename bidi isolate", BYTES("a\xe2\x81\xa6" "b\xd8\x9c"), 256, "ab" },
    { "filename utf-8 kept", BYTES("\xe2\x82\xac \xf0\x9f\x98\x80.pdf"), 256,
      "\xe2\x82\xac \xf0\x9f\x98\x80.pdf" },
    { "filename invalid bytes", BYTES("\xff\xfeok\x80"), 256, "ok" },
    { "filename truncated sequence", BYTES("a\xe2\x82"), 256, "a" },
    { "filename overlong slash", BYTES("a\xc0\xaf" "b"), 256, "ab" },
    { "filename overlong three bytes", BYTES("a\xe0\x80\xaf" "b"), 256, "ab" },
    { "filename surrogate", BYTES("a\xed\xa0\x80" "b"), 256, "ab" },
    { "filename above unicode", BYTES("a\xf4\x90\x80\x80" "b"), 256, "ab" },
    { "filename highest code point", BYTES("\xf4\x8f\xbf\xbf"), 256, "\xf4\x8f\xbf\xbf" },
    { "filename cut at character", BYTES("ab\xe2\x82\xac"), 4, "ab" },
    { "filename cut exact fit", BYTES("ab\xe2\x82\xac"), 6, "ab\xe2\x82\xac" },
    { "filename cut then trailing space", BYTES("ab cd"), 4, "ab" },
    { "filename one byte buffer", BYTES("abc"), 1, "" },
    { "filename empty", BYTES(""), 256, "" },
};

static void
test_filename_row(void **state)
{
    const struct filename_case *fc = *state;
    char                        dst[300];

    memset(dst, 'Z', sizeof(dst));
    api_multipart_sanitize_filename(fc->src, fc->src_len, dst, fc->dst_size);
    assert_string_equal(dst, fc->want);
    assert_true(strlen(dst) < fc->dst_size);
}

static void
test_filename_zero_size(void **state)
{
    char dst[1] = { 'Z' };

    (void)state;
    api_multipart_sanitize_filename("abc", 3, dst, 0);
    assert_int_equal(dst[0], 'Z');
}

/* Builds and runs a body case whose text is made at run time. */
static void
run_generated(const char *body, size_t body_len, enum cv_err rc, const char *errmsg,
              size_t part_count, const struct expect_part *parts, size_t expect_count)
{
    struct body_case bc;
    size_t           i;

    memset(&bc, 0, sizeof(bc));
    bc.label = "generated";
    bc.body = body;
    bc.body_len = body_len;
    bc.rc = rc;
    bc.errmsg = errmsg;
    bc.part_count = part_count;
    for (i = 0; i < expect_count && i < ARRAY_LEN(bc.parts); i++) {
        bc.parts[i] = parts[i];
    }
    run_body_case(&bc);
}

/* Writes a part whose Content-Disposition line is padded so its headers are total bytes. */
static size_t
put_padded_part(char *out, size_t total)
{
    static const char head[] = "Content-Disposition: form-data; name=\"a\"; x=\"";
    static const char tail[] = "\"\r\n\r\n";
    size_t            fill = total - (sizeof(head) - 1) - (sizeof(tail) - 1);
    size_t            n = 0;

    memcpy(out, "--XyZ\r\n", 7);
    n += 7;
    memcpy(out + n, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memset(out + n, 'h', fill);
    n += fill;
    memcpy(out + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    memcpy(out + n, "v\r\n--XyZ--\r\n", 12);
    return n + 12;
}

static void
test_headers_at_limit(void **state)
{
    static char              body[API_MULTIPART_HEADERS_MAX + 64];
    static const struct expect_part want = { "a", NULL, NULL, BYTES("v") };
    size_t                   len;

    (void)state;
    len = put_padded_part(body, API_MULTIPART_HEADERS_MAX);
    run_generated(body, len, CV_OK, NULL, 1, &want, 1);
}

static void
test_headers_over_limit(void **state)
{
    static char body[API_MULTIPART_HEADERS_MAX + 64];
    size_t      len;

    (void)state;
    len = put_padded_part(body, API_MULTIPART_HEADERS_MAX + 1);
    run_generated(body, len, CV_EINVAL, "part 1 has headers longer than 8192 bytes", 0, NULL, 0);
}

/* Writes a body of count parts named p0, p1, ... each with content "c<i>". */
static size_t
put_parts(char *out, size_t out_size, size_t count)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < count; i++) {
        n += (size_t)snprintf(out + n, out_size - n,
                              "--XyZ\r\nContent-Disposition: form-data; name=\"p%zu\"\r\n\r\n"
                              "c%zu\r\n",
                              i, i);
    }
    n += (size_t)snprintf(out + n, out_size - n, "--XyZ--\r\n");
    return n;
}

static void
test_parts_at_limit(void **state)
{
    static char                     body[4096];
    static const struct expect_part want[] = {
        { "p0", NULL, NULL, BYTES("c0") },
        { "p1", NULL, NULL, BYTES("c1") },
    };
    size_t                          len;

    (void)state;
    len = put_parts(body, sizeof(body), API_MULTIPART_PARTS_MAX);
    run_generated(body, len, CV_OK, NULL, API_MULTIPART_PARTS_MAX, want, ARRAY_LEN(want));
}

static void
test_parts_over_limit(void **state)
{
    static char body[4096];
    size_t      len;

    (void)state;
    len = put_parts(body, sizeof(body), API_MULTIPART_PARTS_MAX + 1);
    run_generated(body, len, CV_EINVAL, "body has more than 16 parts", API_MULTIPART_PARTS_MAX,
                  NULL, 0);
}

/* A 300 KiB line with no line break, then a part full of CR, LF and near-delimiters. */
static void
test_long_lines(void **state)
{
    static const char  head[] = "--XyZ\r\n" CD("big") "\r\n\r\n";
    static const char  mid[] = "\r\n--XyZ\r\n" CD("odd") "\r\n\r\n";
    static const char  tail[] = "\r\n--XyZ--\r\n";
    const size_t       big_len = 300 * 1024;
    const size_t       odd_len = 20000;
    struct expect_part want[2];
    char              *body;
    char              *odd;
    size_t             len = 0;
    size_t             i;

    (void)state;
    body = malloc(big_len + odd_len + 256);
    assert_non_null(body);
    memcpy(body, head, sizeof(head) - 1);
    len += sizeof(head) - 1;
    memset(body + len, 'a', big_len);
    want[0] = (struct expect_part){ "big", NULL, NULL, body + len, big_len };
    len += big_len;
    memcpy(body + len, mid, sizeof(mid) - 1);
    len += sizeof(mid) - 1;

    /* "\r\n--XyZ" cut short or followed by a wrong byte, over and over. */
    odd = body + len;
    for (i = 0; i < odd_len; i++) {
        odd[i] = "\r\n--XyZ\r\n-XyZ"[i % 9 == 8 ? 11 : i % 9];
    }
    want[1] = (struct expect_part){ "odd", NULL, NULL, odd, odd_len };
    len += odd_len;
    memcpy(body + len, tail, sizeof(tail) - 1);
    len += sizeof(tail) - 1;

    run_generated(body, len, CV_OK, NULL, 2, want, 2);
    free(body);
}

/* A 70-character boundary, the longest RFC 2046 allows, split at every chunk size. */
static void
test_longest_boundary(void **state)
{
    static const char boundary[] =
        "0123456789012345678901234567890123456789012345678901234567890123456789";
    char              ct[128];
    char              body[512];
    struct record     rec;
    char              errmsg[128];
    size_t            len;
    size_t            chunk;
    enum cv_err       rc;

    (void)state;
    snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", boundary);
    len = (size_t)snprintf(body, sizeof(body),
                           "--%s\r\n" CD("a") "\r\n\r\nx\r\n--%sX\r\n--%.69s\r\n--%s--\r\n",
                           boundary, boundary, boundary, boundary);
    for (chunk = 0; chunk <= 80; chunk++) {
        record_init(&rec);
        rc = parse_body(ct, body, len, chunk, &rec, errmsg, sizeof(errmsg));
        assert_int_equal(rc, CV_OK);
        assert_int_equal(rec.end_count, 1);
        assert_int_equal(rec.content_len[0], 1 + 2 + 2 + 71 + 2 + 2 + 69);
        record_cleanup(&rec);
    }
}

static enum cv_err
refuse_data(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return CV_ETOOLARGE;
}

static void
test_callback_error_stops(void **state)
{
    static const char                     body[] =
        "--XyZ\r\n" CD("a") "\r\n\r\nvalue\r\n--XyZ--\r\n";
    static const struct api_multipart_callbacks cb = { .on_part_data = refuse_data };
    struct api_multipart                 *mp = NULL;

    (void)state;
    assert_int_equal(api_multipart_new(CT_DEFAULT, &cb, NULL, &mp, NULL, 0), CV_OK);
    assert_int_equal(api_multipart_feed(mp, body, sizeof(body) - 1), CV_ETOOLARGE);
    assert_string_equal(api_multipart_errmsg(mp), "part callback returned CV_ETOOLARGE");
    assert_int_equal(api_multipart_feed(mp, body, 1), CV_ETOOLARGE);
    assert_int_equal(api_multipart_finish(mp), CV_ETOOLARGE);
    api_multipart_free(mp);
}

static void
test_begin_callback_error(void **state)
{
    static const char body[] = "--XyZ\r\n" CD("a") "\r\n\r\nvalue\r\n--XyZ--\r\n";
    struct record     rec;
    char              errmsg[128];

    (void)state;
    record_init(&rec);
    rec.begin_rc = CV_ECONFLICT;
    assert_int_equal(parse_body(CT_DEFAULT, BYTES(body), 1, &rec, errmsg, sizeof(errmsg)),
                     CV_ECONFLICT);
    assert_string_equal(errmsg, "part callback returned CV_ECONFLICT");
    assert_int_equal(rec.content_used, 0);
    record_cleanup(&rec);
}

static void
test_null_callbacks(void **state)
{
    static const char     body[] = "--XyZ\r\n" CD("a") "\r\n\r\nvalue\r\n--XyZ--\r\n";
    struct api_multipart *mp = NULL;

    (void)state;
    assert_int_equal(api_multipart_new(CT_DEFAULT, NULL, NULL, &mp, NULL, 0), CV_OK);
    assert_int_equal(api_multipart_feed(mp, body, sizeof(body) - 1), CV_OK);
    assert_int_equal(api_multipart_finish(mp), CV_OK);
    assert_string_equal(api_multipart_errmsg(mp), "");
    api_multipart_free(mp);
}

static void
test_feed_after_finish(void **state)
{
    struct api_multipart *mp = NULL;

    (void)state;
    assert_int_equal(api_multipart_new(CT_DEFAULT, NULL, NULL, &mp, NULL, 0), CV_OK);
    assert_int_equal(api_multipart_feed(mp, BYTES("--XyZ--")), CV_OK);
    assert_int_equal(api_multipart_finish(mp), CV_OK);
    assert_int_equal(api_multipart_feed(mp, BYTES("x")), CV_EINTERNAL);
    assert_int_equal(api_multipart_finish(mp), CV_EINTERNAL);
    assert_int_equal(api_multipart_feed(mp, NULL, 0), CV_EINTERNAL);
    api_multipart_free(mp);
    api_multipart_free(NULL);
}

static void
test_mime_reader_value_too_long(void **state)
{
    static const char      value[] = "form-data; name=\"abcdef\"";
    struct api_mime_reader rd;
    struct api_mime_param  param;
    const char            *type;
    size_t                 type_len;
    char                   buf[6];

    (void)state;
    api_mime_reader_init(&rd, value, sizeof(value) - 1);
    assert_int_equal(api_mime_read_type(&rd, &type, &type_len), CV_OK);
    assert_int_equal(type_len, 9);
    assert_int_equal(api_mime_read_param(&rd, &param, buf, sizeof(buf)), CV_ETOOLARGE);
}

static void
test_mime_ext_value_bounds(void **state)
{
    char        dst[8];
    size_t      len = 0;
    const char *reason;

    (void)state;
    assert_int_equal(api_mime_decode_ext_value(BYTES("UTF-8''abcdefgh"), dst, sizeof(dst),
                                               &len, &reason),
                     CV_ETOOLARGE);
    assert_int_equal(api_mime_decode_ext_value(BYTES("UTF-8''abcdefg"), dst, sizeof(dst),
                                               &len, &reason),
                     CV_OK);
    assert_string_equal(dst, "abcdefg");
    assert_int_equal(api_mime_decode_ext_value(BYTES("ISO-8859-1''%ff%ff%ff%ff"), dst,
                                               sizeof(dst), &len, &reason),
                     CV_ETOOLARGE);
    assert_int_equal(api_mime_decode_ext_value(BYTES("x"), dst, sizeof(dst), &len, &reason),
                     CV_EINVAL);
    assert_string_equal(reason, "extended value has no charset");
    assert_int_equal(api_mime_decode_ext_value(BYTES("UTF-8''%"), dst, sizeof(dst), &len,
                                               &reason),
                     CV_EINVAL);
    assert_int_equal(api_mime_decode_ext_value(BYTES("UTF-8''"), dst, sizeof(dst), &len, &reason),
                     CV_OK);
    assert_int_equal(len, 0);
}

static const struct CMUnitTest single_tests[] = {
    cmocka_unit_test(test_filename_zero_size),
    cmocka_unit_test(test_headers_at_limit),
    cmocka_unit_test(test_headers_over_limit),
    cmocka_unit_test(test_parts_at_limit),
    cmocka_unit_test(test_parts_over_limit),
    cmocka_unit_test(test_long_lines),
    cmocka_unit_test(test_longest_boundary),
    cmocka_unit_test(test_callback_error_stops),
    cmocka_unit_test(test_begin_callback_error),
    cmocka_unit_test(test_null_callbacks),
    cmocka_unit_test(test_feed_after_finish),
    cmocka_unit_test(test_mime_reader_value_too_long),
    cmocka_unit_test(test_mime_ext_value_bounds),
};

#define TEST_COUNT                                                                        \
    (ARRAY_LEN(body_cases) + ARRAY_LEN(content_type_cases) + ARRAY_LEN(filename_cases) +  \
     ARRAY_LEN(single_tests))

int
main(void)
{
    static struct CMUnitTest tests[TEST_COUNT];
    size_t                   n = 0;
    size_t                   i;

    /* One cmocka test per table row, named after the row. */
    for (i = 0; i < ARRAY_LEN(body_cases); i++) {
        tests[n++] = (struct CMUnitTest){ body_cases[i].label, test_body_row, NULL, NULL,
                                          (void *)(uintptr_t)&body_cases[i] };
    }
    for (i = 0; i < ARRAY_LEN(content_type_cases); i++) {
        tests[n++] = (struct CMUnitTest){ content_type_cases[i].label, test_content_type_row,
                                          NULL, NULL,
                                          (void *)(uintptr_t)&content_type_cases[i] };
    }
    for (i = 0; i < ARRAY_LEN(filename_cases); i++) {
        tests[n++] = (struct CMUnitTest){ filename_cases[i].label, test_filename_row, NULL,
                                          NULL, (void *)(uintptr_t)&filename_cases[i] };
    }
    for (i = 0; i < ARRAY_LEN(single_tests); i++) {
        tests[n++] = single_tests[i];
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
