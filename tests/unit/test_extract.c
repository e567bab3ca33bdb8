/*
 * Unit tests for common/extract*.c: type detection, UTF-8 validation, normalisation,
 * and every limit and error code of the PDF, DOCX and text extractors, over the
 * fixtures in tests/data/extract (made by make-fixtures.py there) and samples/.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/extract.h"
#include "common/extract_formats.h"
#include "common/extract_norm.h"

/* Repository root, found from the test binary's path ($(BUILD)/tests/test_extract). */
static char repo_root[PATH_MAX] = ".";

static const struct cv_extract_limits default_limits = {
    .max_pages = 100,
    .timeout_ms = 15000,
    .max_text_bytes = 2 * 1024 * 1024,
    .docx_max_entries = 2000,
    .docx_max_uncompressed_bytes = 100 * 1024 * 1024,
};

static unsigned char *
read_repo_file(const char *relative, size_t *len)
{
    char           path[PATH_MAX + 256];
    FILE          *fp;
    unsigned char *data;
    long           size;

    snprintf(path, sizeof(path), "%s/%s", repo_root, relative);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        fail_msg("cannot open fixture %s", path);
    }
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *len = (size_t)size;
    return data;
}

static unsigned char *
read_fixture(const char *name, size_t *len)
{
    char relative[256];

    snprintf(relative, sizeof(relative), "tests/data/extract/%s", name);
    return read_repo_file(relative, len);
}

/* Runs cv_extract() on a fixture; the caller cleans result up. */
static enum cv_err
extract_fixture(const char *name, const struct cv_extract_limits *limits,
                struct cv_extract_result *result, char *reason, size_t reason_len)
{
    unsigned char *data;
    size_t         len;
    enum cv_err    rc;

    data = read_fixture(name, &len);
    rc = cv_extract(data, len, limits, result, reason, reason_len);
    free(data);
    return rc;
}

/* ---- detection ---- */

struct detect_case {
    const char   *label;
    const char   *data;
    size_t        len;     /* 0 = strlen(data) */
    enum cv_media expected;
};

#define BYTES(s) s, sizeof(s) - 1

static const struct detect_case detect_cases[] = {
    { "pdf header", BYTES("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"), CV_MEDIA_PDF },
    { "pdf header after junk", BYTES("Subject: cv\r\n\r\n%PDF-1.4\n%\xE2\xE3\xCF\xD3\n"),
      CV_MEDIA_PDF },
    { "text quoting a pdf header", BYTES("Notes\nA PDF starts with %PDF-1.7 and a comment.\n"),
      CV_MEDIA_TEXT },
    { "pdf marker without version", BYTES("%PDF-x is how a PDF starts\n"), CV_MEDIA_TEXT },
    { "pdf body without header", BYTES("1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
      CV_MEDIA_UNKNOWN },
    { "pdf body with binary comment", BYTES("%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n"),
      CV_MEDIA_UNKNOWN },
    { "ole compound file", BYTES("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0"), CV_MEDIA_UNKNOWN },
    { "png image", BYTES("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"), CV_MEDIA_UNKNOWN },
    { "jpeg image", BYTES("\xFF\xD8\xFF\xE0\0\x10JFIF"), CV_MEDIA_UNKNOWN },
    { "gif image", BYTES("GIF89a\x01\0\x01\0"), CV_MEDIA_UNKNOWN },
    { "utf-16le with bom", BYTES("\xFF\xFEH\0i\0"), CV_MEDIA_UNKNOWN },
    { "utf-16be with bom", BYTES("\xFE\xFF\0H\0i"), CV_MEDIA_UNKNOWN },
    { "utf-16le without bom", BYTES("H\0i\0 \0t\0"), CV_MEDIA_UNKNOWN },
    { "utf-32le with bom", BYTES("\xFF\xFE\0\0H\0\0\0"), CV_MEDIA_UNKNOWN },
    { "rtf", BYTES("{\\rtf1\\ansi Hello}"), CV_MEDIA_UNKNOWN },
    { "empty zip", BYTES("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), CV_MEDIA_UNKNOWN },
    { "empty data", "", 0, CV_MEDIA_TEXT },
    { "plain text", BYTES("Dana Reyes\nBackend engineer\n"), CV_MEDIA_TEXT },
    { "text with bom", BYTES("\xEF\xBB\xBF" "Dana Reyes\n"), CV_MEDIA_TEXT },
    { "text with one escape", BYTES("colour \x1B[0m reset\n"), CV_MEDIA_TEXT },
    { "many control characters", BYTES("\x01\x02\x03\x04\x05\x06\x07\x08\x0E\x0F ab"),
      CV_MEDIA_UNKNOWN },
    { "nul byte", BYTES("text\0more"), CV_MEDIA_UNKNOWN },
    { "overlong slash", BYTES("a\xC0\xAF"), CV_MEDIA_UNKNOWN },
    { "surrogate", BYTES("a\xED\xA0\x80"), CV_MEDIA_UNKNOWN },
    { "above U+10FFFF", BYTES("a\xF4\x90\x80\x80"), CV_MEDIA_UNKNOWN },
    { "cut sequence", BYTES("abc\xE2\x82"), CV_MEDIA_UNKNOWN },
    { "latin-1 text", BYTES("Jos\xE9 Garc\xED" "a"), CV_MEDIA_UNKNOWN },
    { "cjk text", BYTES("\xE5\xBC\xA0\xE4\xB8\x89 software engineer"), CV_MEDIA_TEXT },
    { "bullets only", BYTES("Skills\n- C\n- SQL\n- Kafka\n"), CV_MEDIA_TEXT },
    { "heading and link", BYTES("# Dana\n\nSee [site](https://example.org)\n"), CV_MEDIA_MARKDOWN },
    { "heading and bullets", BYTES("# Dana\n- C\n- SQL\n"), CV_MEDIA_MARKDOWN },
    { "setext and spans", BYTES("Dana\n====\n\nUses `make` and **C**\n"), CV_MEDIA_MARKDOWN },
    { "table", BYTES("| a | b |\n|---|---|\n| 1 | 2 |\n\n## Notes\n"), CV_MEDIA_MARKDOWN },
    { "fenced hashes", BYTES("```\n# not a heading\n# nor this\n```\n"), CV_MEDIA_TEXT },
    { "fence and heading", BYTES("# Build\n```\nmake\n```\n"), CV_MEDIA_MARKDOWN },
    { "hash without space", BYTES("#1 priority\n#2 priority\n"), CV_MEDIA_TEXT },
};

static void
test_detect_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++) {
        const struct detect_case *c = &detect_cases[i];
        enum cv_media             got;

        got = cv_extract_detect((const unsigned char *)c->data, c->len);
        if (got != c->expected) {
            fail_msg("detect \"%s\": got %s, expected %s", c->label, cv_media_name(got),
                     cv_media_name(c->expected));
        }
    }
}

static void
test_detect_fixtures(void **state)
{
    static const struct {
        const char   *name;
        enum cv_media expected;
    } cases[] = {
        { "structure.docx", CV_MEDIA_DOCX },
        { "strict.docx", CV_MEDIA_DOCX },
        { "truncated.docx", CV_MEDIA_DOCX },
        { "no_main_part.docx", CV_MEDIA_UNKNOWN },
        { "sheet.xlsx", CV_MEDIA_UNKNOWN },
        { "text.odt", CV_MEDIA_UNKNOWN },
        { "text.pdf", CV_MEDIA_PDF },
        { "damaged.pdf", CV_MEDIA_PDF },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t         len;
        unsigned char *data = read_fixture(cases[i].name, &len);
        enum cv_media  got = cv_extract_detect(data, len);

        free(data);
        if (got != cases[i].expected) {
            fail_msg("detect %s: got %s, expected %s", cases[i].name, cv_media_name(got),
                     cv_media_name(cases[i].expected));
        }
    }
}

/* The MIME types must be exactly the ones the uploads.media_type CHECK accepts. */
static void
test_mime_matches_schema(void **state)
{
    static const enum cv_media media[] = { CV_MEDIA_PDF, CV_MEDIA_DOCX, CV_MEDIA_TEXT,
                                           CV_MEDIA_MARKDOWN };
    size_t                     len;
    char                      *sql = (char *)read_repo_file("sql/0001_init.sql", &len);
    char                       quoted[128];
    size_t                     i;

    (void)state;
    sql[len] = '\0';
    for (i = 0; i < sizeof(media) / sizeof(media[0]); i++) {
        const char *mime = cv_media_mime(media[i]);

        assert_non_null(mime);
        snprintf(quoted, sizeof(quoted), "'%s'", mime);
        if (strstr(sql, quoted) == NULL) {
            fail_msg("%s is not in the media_type CHECK of sql/0001_init.sql", quoted);
        }
    }
    assert_null(cv_media_mime(CV_MEDIA_UNKNOWN));
    assert_string_equal(cv_media_mime(CV_MEDIA_PDF), "application/pdf");
    assert_string_equal(cv_media_mime(CV_MEDIA_TEXT), "text/plain");
    assert_string_equal(cv_media_mime(CV_MEDIA_MARKDOWN), "text/markdown");
    free(sql);
}

/* ---- UTF-8 and normalisation ---- */

static void
test_utf8_boundaries(void **state)
{
    static const struct {
        const char *bytes;
        int         valid;
    } cases[] = {
        { "\x7F", 1 }, { "\xC2\x80", 1 }, { "\xDF\xBF", 1 }, { "\xE0\xA0\x80", 1 },
        { "\xED\x9F\xBF", 1 }, { "\xEE\x80\x80", 1 }, { "\xEF\xBF\xBF", 1 },
        { "\xF0\x90\x80\x80", 1 }, { "\xF4\x8F\xBF\xBF", 1 },
        { "\x80", 0 }, { "\xC0\x80", 0 }, { "\xC1\xBF", 0 }, { "\xE0\x9F\xBF", 0 },
        { "\xED\xA0\x80", 0 }, { "\xED\xBF\xBF", 0 }, { "\xF0\x8F\xBF\xBF", 0 },
        { "\xF4\x90\x80\x80", 0 }, { "\xF5\x80\x80\x80", 0 }, { "\xFF", 0 },
        { "\xE2\x82", 0 }, { "\xC3\x28", 0 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t bad = 99;
        int    got = cv_utf8_validate((const unsigned char *)cases[i].bytes,
                                      strlen(cases[i].bytes), &bad);

        if (got != cases[i].valid) {
            fail_msg("utf8 row %zu: got %d, expected %d", i, got, cases[i].valid);
        }
        if (!got) {
            assert_int_equal(bad, 0);
        }
    }
}

struct norm_case {
    const char *input;
    const char *expected;
};

static const struct norm_case norm_cases[] = {
    { "  a  \r\n\r\n\r\n\r\nb\t \n", "a\n\nb" },
    { "a\x01" "b\x7F" "c", "abc" },
    { "a\xC2\x85" "b", "a\nb" },
    { "a\xC2\x90" "b", "ab" },
    { "y\xEF\xBB\xBFx", "yx" },
    { "a\xC2\xA0" "b\xE3\x80\x80" "c", "a b c" },
    { "a\xE2\x80\xA8" "b", "a\nb" },
    { "a\xE2\x80\xA9" "b", "a\n\nb" },
    { "page one\fpage two", "page one\n\npage two" },
    { "a\xFF" "b", "a\xEF\xBF\xBD" "b" },
    { "a\xE2\x82" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b" },
    { "a\n    indented\n", "a\n    indented" },
    { "cell\tcell\t\n", "cell\tcell" },
    { "a\rb", "a\nb" },
    { "\n\n\t  lead", "lead" },
    { "\xE5\xBC\xA0\xE4\xB8\x89", "\xE5\xBC\xA0\xE4\xB8\x89" },
    { "   \n\t\r\n", "" },
};

static char *
normalise(const char *input, size_t split, size_t max_len, enum cv_err *rc)
{
    struct cv_buf          out;
    struct cv_extract_norm norm;
    size_t                 len = strlen(input);

    cv_buf_init(&out, max_len);
    cv_extract_norm_init(&norm, &out);
    *rc = cv_extract_norm_feed(&norm, input, split);
    if (*rc == CV_OK) {
        *rc = cv_extract_norm_feed(&norm, input + split, len - split);
    }
    if (*rc == CV_OK) {
        *rc = cv_extract_norm_finish(&norm);
    }
    return cv_buf_take(&out);
}

/* Every row gives the same output however the input is cut into two pieces. */
static void
test_normalise_table(void **state)
{
    size_t i;
    size_t split;

    (void)state;
    for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
        size_t len = strlen(norm_cases[i].input);

        for (split = 0; split <= len; split++) {
            enum cv_err rc;
            char       *got = normalise(norm_cases[i].input, split, 4096, &rc);

            assert_int_equal(rc, CV_OK);
            if (strcmp(got, norm_cases[i].expected) != 0) {
                fail_msg("normalise row %zu split %zu: got \"%s\", expected \"%s\"", i, split, got,
                         norm_cases[i].expected);
            }
            free(got);
        }
    }
}

static void
test_normalise_space_run_cut(void **state)
{
    char        input[200];
    char        expected[100];
    enum cv_err rc;
    char       *got;

    (void)state;
    memset(input, ' ', sizeof(input));
    input[0] = 'a';
    memcpy(input + 150, "b", 2);
    memset(expected, ' ', sizeof(expected));
    expected[0] = 'a';
    memcpy(expected + 1 + CV_EXTRACT_NORM_SPACE_MAX, "b", 2);

    got = normalise(input, 0, 4096, &rc);
    assert_int_equal(rc, CV_OK);
    assert_string_equal(got, expected);
    free(got);
}

static void
test_normalise_output_limit(void **state)
{
    enum cv_err rc;
    char       *got;

    (void)state;
    got = normalise("0123456789abcdef", 5, 10, &rc);
    assert_int_equal(rc, CV_ETOOLARGE);
    free(got);
}

/* ---- text ---- */

static enum cv_err
extract_bytes(const char *data, size_t len, const struct cv_extract_limits *limits,
              struct cv_extract_result *result, char *reason, size_t reason_len)
{
    return cv_extract((const unsigned char *)data, len, limits, result, reason, reason_len);
}

static void
test_text_bom_stripped(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_bytes(BYTES("\xEF\xBB\xBF  Dana Reyes \n\n\n\nC, SQL\n"),
                                   &default_limits, &result, reason, sizeof(reason)), CV_OK);
    assert_int_equal(result.media, CV_MEDIA_TEXT);
    assert_string_equal(result.text, "Dana Reyes\n\nC, SQL");
    assert_int_equal(result.text_len, strlen(result.text));
    assert_int_equal(result.page_count, 0);
    cv_extract_result_cleanup(&result);
    assert_null(result.text);
}

static void
test_text_markdown_kept(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_bytes(BYTES("# Dana\n\n- C\n- SQL\n"), &default_limits, &result,
                                   reason, sizeof(reason)), CV_OK);
    assert_int_equal(result.media, CV_MEDIA_MARKDOWN);
    assert_string_equal(result.text, "# Dana\n\n- C\n- SQL");
    cv_extract_result_cleanup(&result);
}

struct error_case {
    const char *label;
    const char *data;
    size_t      len;
    enum cv_err expected;
    const char *reason_part;   /* must appear in the reason */
};

static const struct error_case text_error_cases[] = {
    { "empty", "", 0, CV_EUNREADABLE, "empty" },
    { "whitespace only", BYTES("  \n\t\r\n \xC2\xA0 "), CV_EUNREADABLE, "whitespace" },
    { "bom only", BYTES("\xEF\xBB\xBF"), CV_EUNREADABLE, "empty" },
    { "controls only", BYTES("\x01\n\x02"), CV_EUNREADABLE, "empty" },
    { "nul byte", BYTES("Dana\0Reyes"), CV_EMEDIA, "NUL byte at offset 4" },
    { "invalid utf-8", BYTES("Jos\xE9"), CV_EMEDIA, "offset 3" },
    { "overlong", BYTES("ab\xC0\xAF"), CV_EMEDIA, "not valid UTF-8" },
    { "surrogate", BYTES("\xED\xB0\x80"), CV_EMEDIA, "not valid UTF-8" },
    { "above U+10FFFF", BYTES("\xF7\xBF\xBF\xBF"), CV_EMEDIA, "not valid UTF-8" },
    { "utf-16", BYTES("\xFF\xFEH\0i\0"), CV_EMEDIA, "UTF-16" },
    { "ole", BYTES("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"), CV_EMEDIA, "OLE" },
    { "png", BYTES("\x89PNG\r\n\x1A\n\0\0"), CV_EMEDIA, "PNG image" },
    { "pdf without header", BYTES("1 0 obj\n<<>>\nendobj\n"), CV_EMEDIA, "%PDF- header" },
};

static void
check_error_case(const struct error_case *c, const struct cv_extract_limits *limits)
{
    struct cv_extract_result result;
    char                     reason[256];
    enum cv_err              rc;

    rc = extract_bytes(c->data, c->len, limits, &result, reason, sizeof(reason));
    if (rc != c->expected) {
        fail_msg("%s: got %s (%s), expected %s", c->label, cv_strerror(rc), reason,
                 cv_strerror(c->expected));
    }
    if (strstr(reason, c->reason_part) == NULL) {
        fail_msg("%s: reason \"%s\" lacks \"%s\"", c->label, reason, c->reason_part);
    }
    assert_null(result.text);
    assert_int_equal(result.text_len, 0);
}

static void
test_text_errors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(text_error_cases) / sizeof(text_error_cases[0]); i++) {
        check_error_case(&text_error_cases[i], &default_limits);
    }
}

static void
test_text_direct_rejects_nul(void **state)
{
    struct cv_buf out;
    char          reason[128];

    (void)state;
    cv_buf_init(&out, 1024);
    assert_int_equal(cv_extract_text((const unsigned char *)"ab\0c", 4, &out, reason,
                                     sizeof(reason)), CV_EMEDIA);
    assert_non_null(strstr(reason, "offset 2"));
    assert_int_equal(cv_extract_text((const unsigned char *)"\xEF\xBB\xBF" "a\xC0", 5, &out,
                                     reason, sizeof(reason)), CV_EMEDIA);
    assert_non_null(strstr(reason, "offset 4"));
    cv_buf_cleanup(&out);
}

static void
test_text_limit(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];
    char                     text[3000];

    (void)state;
    memset(text, 'w', sizeof(text));
    limits.max_text_bytes = 1024;
    assert_int_equal(extract_bytes(text, sizeof(text), &limits, &result, reason, sizeof(reason)),
                     CV_ETOOLARGE);
    assert_non_null(strstr(reason, "1024"));
    assert_null(result.text);

    limits.max_text_bytes = sizeof(text);
    assert_int_equal(extract_bytes(text, sizeof(text), &limits, &result, reason, sizeof(reason)),
                     CV_OK);
    assert_int_equal(result.text_len, sizeof(text));
    cv_extract_result_cleanup(&result);
}

static void
test_lock_file_named(void **state)
{
    unsigned char            lock[162];
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    memset(lock, 0, sizeof(lock));
    lock[0] = 4;
    memcpy(lock + 1, "Dana", 4);
    lock[54] = 4;
    memcpy(lock + 56, "D\0a\0n\0a\0", 8);
    assert_int_equal(cv_extract_detect(lock, sizeof(lock)), CV_MEDIA_UNKNOWN);
    assert_int_equal(cv_extract(lock, sizeof(lock), &default_limits, &result, reason,
                                sizeof(reason)), CV_EMEDIA);
    assert_non_null(strstr(reason, "lock file"));
}

static void
test_invalid_arguments(void **state)
{
    struct cv_extract_result result;
    char                     reason[128];

    (void)state;
    assert_int_equal(cv_extract((const unsigned char *)"a", 1, NULL, &result, reason,
                                sizeof(reason)), CV_EINVAL);
    assert_int_equal(cv_extract(NULL, 5, &default_limits, &result, reason, sizeof(reason)),
                     CV_EINVAL);
    assert_int_equal(cv_extract((const unsigned char *)"a", 1, &default_limits, NULL, reason,
                                sizeof(reason)), CV_EINVAL);
    /* errbuf is optional. */
    assert_int_equal(cv_extract((const unsigned char *)"", 0, &default_limits, &result, NULL, 0),
                     CV_EUNREADABLE);
    cv_extract_result_cleanup(NULL);
}

/* ---- DOCX ---- */

static void
test_docx_structure(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_fixture("structure.docx", &default_limits, &result, reason,
                                     sizeof(reason)), CV_OK);
    assert_int_equal(result.media, CV_MEDIA_DOCX);
    /*
     * Headers first (two identical ones written once, a missing one skipped), then the
     * body with its tab, break, table rows and a single copy of the text box, then the
     * footnote and the footer. Deleted text and field codes are left out.
     */
    assert_string_equal(result.text,
                        "Dana Reyes, dana@example.org\n"
                        "\n"
                        "Dana Reyes\n"
                        "Name:\tDana\n"
                        "Second line\n"
                        "Tracked change\n"
                        "example.org\n"
                        "Well-known\n"
                        "Year\tRole\tTeam\n"
                        "2021\tBackend engineer on call\n"
                        "Boxed skills: C, PostgreSQL\n"
                        "\n"
                        "Last paragraph\n"
                        "\n"
                        "A footnote\n"
                        "\n"
                        "Page footer");
    assert_int_equal(result.page_count, 0);
    cv_extract_result_cleanup(&result);
}

static void
test_docx_strict_namespaces(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_fixture("strict.docx", &default_limits, &result, reason,
                                     sizeof(reason)), CV_OK);
    assert_string_equal(result.text, "Strict namespace text\nSecond paragraph");
    cv_extract_result_cleanup(&result);
}

static void
test_docx_zip_bomb_stopped(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.docx_max_uncompressed_bytes = 1024 * 1024;
    assert_int_equal(extract_fixture("bomb.docx", &limits, &result, reason, sizeof(reason)),
                     CV_ETOOLARGE);
    assert_non_null(strstr(reason, "word/document.xml inflates to more than the limit of 1048576"));
    assert_null(result.text);
}

/* bomb.docx declares 100 bytes for word/document.xml; the real 8 MiB are read all the same. */
static void
test_docx_declared_size_ignored(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.max_text_bytes = 16 * 1024 * 1024;
    assert_int_equal(extract_fixture("bomb.docx", &limits, &result, reason, sizeof(reason)), CV_OK);
    assert_true(result.text_len > 8 * 1024 * 1024);
    assert_memory_equal(result.text, "Start of a huge part\nxxx", 24);
    cv_extract_result_cleanup(&result);

    limits.max_text_bytes = 2 * 1024 * 1024;
    assert_int_equal(extract_fixture("bomb.docx", &limits, &result, reason, sizeof(reason)),
                     CV_ETOOLARGE);
    assert_non_null(strstr(reason, "longer than the limit of 2097152"));
}

/* libxml2's own limits, kept by leaving XML_PARSE_HUGE off, are document limits too. */
static void
test_docx_parser_limits(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.max_text_bytes = 16 * 1024 * 1024;
    assert_int_equal(extract_fixture("huge_text_node.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_ETOOLARGE);
    assert_non_null(strstr(reason, "a text run longer than 10 MB"));

    assert_int_equal(extract_fixture("deep_nesting.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_ETOOLARGE);
    assert_non_null(strstr(reason, "elements nested deeper than 256"));

    /* After those, a merely broken part is still unreadable, not too large, even when
     * its error message quotes a name that reads like a limit. */
    assert_int_equal(extract_fixture("bad_xml.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_EUNREADABLE);
    assert_non_null(strstr(reason, "not well-formed XML"));
    assert_int_equal(extract_fixture("limit_named_tag.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_EUNREADABLE);
    assert_non_null(strstr(reason, "not well-formed XML"));
}

static void
test_docx_entry_limit(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.docx_max_entries = 50;
    assert_int_equal(extract_fixture("many_entries.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_ETOOLARGE);
    assert_non_null(strstr(reason, "67 entries, more than the limit of 50"));

    limits.docx_max_entries = 67;
    assert_int_equal(extract_fixture("many_entries.docx", &limits, &result, reason,
                                     sizeof(reason)), CV_OK);
    assert_string_equal(result.text, "Few words");
    cv_extract_result_cleanup(&result);
}

static void
test_docx_errors(void **state)
{
    static const struct {
        const char *name;
        enum cv_err expected;
        const char *reason_part;
    } cases[] = {
        { "truncated.docx", CV_EUNREADABLE, "not a readable zip archive" },
        { "bad_xml.docx", CV_EUNREADABLE, "not well-formed XML" },
        { "billion_laughs.docx", CV_EUNREADABLE, "word/document.xml" },
        { "external_entity.docx", CV_EUNREADABLE, "document type declaration" },
        { "no_main_part.docx", CV_EMEDIA, "without word/document.xml" },
        { "sheet.xlsx", CV_EMEDIA, "xlsx" },
        { "text.odt", CV_EMEDIA, "odt" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cv_extract_result result;
        char                     reason[256];
        enum cv_err              rc;

        rc = extract_fixture(cases[i].name, &default_limits, &result, reason, sizeof(reason));
        if (rc != cases[i].expected) {
            fail_msg("%s: got %s (%s), expected %s", cases[i].name, cv_strerror(rc), reason,
                     cv_strerror(cases[i].expected));
        }
        if (strstr(reason, cases[i].reason_part) == NULL) {
            fail_msg("%s: reason \"%s\" lacks \"%s\"", cases[i].name, reason, cases[i].reason_part);
        }
        assert_null(result.text);
    }
}

/*
 * The DOCX reader rejects a zip without word/document.xml precisely, though cv_extract()
 * never passes it one.
 */
static void
test_docx_missing_main_part(void **state)
{
    struct cv_buf  out;
    char           reason[256];
    size_t         len;
    unsigned char *data = read_fixture("no_main_part.docx", &len);

    (void)state;
    cv_buf_init(&out, 1024);
    assert_int_equal(cv_extract_docx(data, len, &default_limits, cv_clock_mono_ms() + 5000, &out,
                                     reason, sizeof(reason)), CV_EUNREADABLE);
    assert_non_null(strstr(reason, "no word/document.xml part"));
    cv_buf_cleanup(&out);
    free(data);
}

static void
test_docx_deadline_passed(void **state)
{
    struct cv_buf  out;
    char           reason[256];
    size_t         len;
    unsigned char *data = read_fixture("structure.docx", &len);

    (void)state;
    cv_buf_init(&out, 1024 * 1024);
    assert_int_equal(cv_extract_docx(data, len, &default_limits, cv_clock_mono_ms() - 1, &out,
                                     reason, sizeof(reason)), CV_ETIMEOUT);
    assert_non_null(strstr(reason, "15000 ms"));
    cv_buf_cleanup(&out);
    free(data);
}

/* ---- PDF ---- */

static void
test_pdf_text(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_fixture("text.pdf", &default_limits, &result, reason, sizeof(reason)),
                     CV_OK);
    assert_int_equal(result.media, CV_MEDIA_PDF);
    assert_int_equal(result.page_count, 2);
    assert_string_equal(result.text, "Dana Reyes\nBackend engineer\n\nSecond page text");
    cv_extract_result_cleanup(&result);
}

static void
test_pdf_owner_only_encryption(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    assert_int_equal(extract_fixture("encrypted_owner.pdf", &default_limits, &result, reason,
                                     sizeof(reason)), CV_OK);
    assert_string_equal(result.text, "Dana Reyes\nBackend engineer\n\nSecond page text");
    cv_extract_result_cleanup(&result);
}

static void
test_pdf_errors(void **state)
{
    static const struct {
        const char *name;
        enum cv_err expected;
        const char *reason_part;
    } cases[] = {
        { "encrypted_user.pdf", CV_EUNREADABLE, "needs a password" },
        { "no_text.pdf", CV_EUNREADABLE, "no extractable text" },
        { "damaged.pdf", CV_EUNREADABLE, "damaged" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cv_extract_result result;
        char                     reason[256];
        enum cv_err              rc;

        rc = extract_fixture(cases[i].name, &default_limits, &result, reason, sizeof(reason));
        if (rc != cases[i].expected) {
            fail_msg("%s: got %s (%s), expected %s", cases[i].name, cv_strerror(rc), reason,
                     cv_strerror(cases[i].expected));
        }
        if (strstr(reason, cases[i].reason_part) == NULL) {
            fail_msg("%s: reason \"%s\" lacks \"%s\"", cases[i].name, reason, cases[i].reason_part);
        }
        assert_null(result.text);
    }
}

static void
test_pdf_page_limit(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.max_pages = 10;
    assert_int_equal(extract_fixture("many_pages.pdf", &limits, &result, reason, sizeof(reason)),
                     CV_ETOOLARGE);
    assert_string_equal(reason, "PDF has 12 pages, more than the limit of 10");

    limits.max_pages = 12;
    assert_int_equal(extract_fixture("many_pages.pdf", &limits, &result, reason, sizeof(reason)),
                     CV_OK);
    assert_int_equal(result.page_count, 12);
    assert_non_null(strstr(result.text, "Page 12"));
    cv_extract_result_cleanup(&result);
}

static void
test_pdf_text_limit(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];

    (void)state;
    limits.max_text_bytes = 10;
    assert_int_equal(extract_fixture("text.pdf", &limits, &result, reason, sizeof(reason)),
                     CV_ETOOLARGE);
    assert_non_null(strstr(reason, "limit of 10 bytes"));
    assert_null(result.text);
}

/*
 * The child's memory cap counts from what the process already has mapped: a worker
 * with many threads reserves gigabytes of address space it never touches.
 */
static void
test_pdf_large_parent_address_space(void **state)
{
    struct cv_extract_result result;
    char                     reason[256];
    size_t                   reserve_len = (size_t)3 * 1024 * 1024 * 1024;
    void                    *reserve;

    (void)state;
    reserve = mmap(NULL, reserve_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    assert_true(reserve != MAP_FAILED);
    assert_int_equal(extract_fixture("text.pdf", &default_limits, &result, reason, sizeof(reason)),
                     CV_OK);
    assert_int_equal(result.page_count, 2);
    cv_extract_result_cleanup(&result);
    assert_int_equal(munmap(reserve, reserve_len), 0);
}

/*
 * heavy_page.pdf keeps poppler inside its one page for a minute or more. The child is
 * killed at the deadline, so the call returns soon after it. The 10 s bound below only
 * catches a deadline that is not enforced at all.
 */
static void
test_pdf_timeout_inside_page(void **state)
{
    struct cv_extract_limits limits = default_limits;
    struct cv_extract_result result;
    char                     reason[256];
    int64_t                  start_ms;

    (void)state;
    limits.timeout_ms = 300;
    start_ms = cv_clock_mono_ms();
    assert_int_equal(extract_fixture("heavy_page.pdf", &limits, &result, reason, sizeof(reason)),
                     CV_ETIMEOUT);
    assert_true(cv_clock_mono_ms() - start_ms < 10000);
    assert_string_equal(reason, "text extraction passed the limit of 300 ms");
    assert_null(result.text);

    /* The killed child was reaped: no child process is left, not even a zombie. */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* ---- samples ---- */

static void
test_samples_extract(void **state)
{
    static const struct {
        const char   *path;
        enum cv_media media;
        const char   *phrase;
    } cases[] = {
        { "samples/cv.pdf", CV_MEDIA_PDF, "Backend Engineer" },
        { "samples/src/cv.md", CV_MEDIA_MARKDOWN, "Backend Engineer" },
        { "samples/project-report.docx", CV_MEDIA_DOCX, "retries" },
        { "samples/src/project-report.md", CV_MEDIA_MARKDOWN, "retries" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cv_extract_result result;
        char                     reason[256];
        size_t                   len;
        unsigned char           *data = read_repo_file(cases[i].path, &len);
        enum cv_err              rc;

        rc = cv_extract(data, len, &default_limits, &result, reason, sizeof(reason));
        free(data);
        if (rc != CV_OK) {
            fail_msg("%s: %s (%s)", cases[i].path, cv_strerror(rc), reason);
        }
        assert_int_equal(result.media, cases[i].media);
        if (strstr(result.text, cases[i].phrase) == NULL) {
            fail_msg("%s: text lacks \"%s\"", cases[i].path, cases[i].phrase);
        }
        cv_extract_result_cleanup(&result);
    }
}

static void
find_repo_root(const char *argv0)
{
    char  resolved[PATH_MAX];
    char  probe[PATH_MAX + 32];
    char *slash;
    int   up;

    if (realpath(argv0, resolved) == NULL) {
        return;
    }
    /* $(BUILD)/tests/test_extract: three levels up is the checkout. */
    for (up = 0; up < 3; up++) {
        slash = strrchr(resolved, '/');
        if (slash == NULL) {
            return;
        }
        *slash = '\0';
    }
    snprintf(probe, sizeof(probe), "%s/tests/data/extract", resolved);
    if (access(probe, R_OK) == 0) {
        snprintf(repo_root, sizeof(repo_root), "%s", resolved);
    }
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_table),
        cmocka_unit_test(test_detect_fixtures),
        cmocka_unit_test(test_mime_matches_schema),
        cmocka_unit_test(test_utf8_boundaries),
        cmocka_unit_test(test_normalise_table),
        cmocka_unit_test(test_normalise_space_run_cut),
        cmocka_unit_test(test_normalise_output_limit),
        cmocka_unit_test(test_text_bom_stripped),
        cmocka_unit_test(test_text_markdown_kept),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_text_direct_rejects_nul),
        cmocka_unit_test(test_text_limit),
        cmocka_unit_test(test_lock_file_named),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_docx_structure),
        cmocka_unit_test(test_docx_strict_namespaces),
        cmocka_unit_test(test_docx_zip_bomb_stopped),
        cmocka_unit_test(test_docx_declared_size_ignored),
        cmocka_unit_test(test_docx_parser_limits),
        cmocka_unit_test(test_docx_entry_limit),
        cmocka_unit_test(test_docx_errors),
        cmocka_unit_test(test_docx_missing_main_part),
        cmocka_unit_test(test_docx_deadline_passed),
        cmocka_unit_test(test_pdf_text),
        cmocka_unit_test(test_pdf_owner_only_encryption),
        cmocka_unit_test(test_pdf_errors),
        cmocka_unit_test(test_pdf_page_limit),
        cmocka_unit_test(test_pdf_text_limit),
        cmocka_unit_test(test_pdf_large_parent_address_space),
        cmocka_unit_test(test_pdf_timeout_inside_page),
        cmocka_unit_test(test_samples_extract),
    };

    (void)argc;
    find_repo_root(argv[0]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
