/*
 * Unit tests for common/passage.c: headings, weight markers, fences, packing and
 * cutting, plain text without headings, limits, and the shipped knowledge-base files
 * (read from KB_DIR, default "kb" under the current folder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/passage.h"

struct expected_passage {
    const char *section;
    const char *body;
    double      weight;
};

struct split_case {
    const char                   *name;
    const char                   *text;
    size_t                        max_len;
    const char                   *title;
    size_t                        count;
    const struct expected_passage passages[6];
};

static const struct split_case split_cases[] = {
    {"title, sections and weights",
     "# Doc\nintro line\n\n## First {weight=2}\npara one\n\npara two\n## Second\ntext\n",
     1200, "Doc", 3,
     {{"Doc", "intro line", 1.0},
      {"First", "para one\n\npara two", 2.0},
      {"Second", "text", 1.0}}},
    {"plain text without headings", "hello world\nsame paragraph\n\n\nsecond paragraph", 1200,
     "", 1, {{"", "hello world\nsame paragraph\n\nsecond paragraph", 1.0}}},
    {"blank text", " \n\t\n\n", 1200, "", 0, {{NULL, NULL, 0}}},
    {"empty text", "", 1200, "", 0, {{NULL, NULL, 0}}},
    {"crlf line endings", "# T\r\n\r\n## S\r\nline one\r\nline two\r\n", 1200, "T", 1,
     {{"S", "line one\nline two", 1.0}}},
    {"paragraphs over max_len stay apart",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 64, "",
     2,
     {{"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1.0},
      {"", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1.0}}},
    {"fenced code keeps hashes and blank lines",
     "## S\n```\n# not a heading\n\ncode\n```\nafter", 1200, "", 1,
     {{"S", "```\n# not a heading\n\ncode\n```\n\nafter", 1.0}}},
    {"hashtag is not a heading", "#hashtag line\n## C#\nbody", 1200, "", 2,
     {{"", "#hashtag line", 1.0}, {"C#", "body", 1.0}}},
    {"closing hashes dropped", "## Name ##\nbody", 1200, "", 1, {{"Name", "body", 1.0}}},
    {"subheading stays in section", "## S\nfirst\n### Sub\nsecond", 1200, "", 1,
     {{"S", "first\n\n### Sub\nsecond", 1.0}}},
    {"late level-one heading is a section", "intro\n# Later\nbody", 1200, "", 2,
     {{"", "intro", 1.0}, {"Later", "body", 1.0}}},
    {"weight with decimals", "## S {weight=0.125}\nbody", 1200, "", 1,
     {{"S", "body", 0.125}}},
    {"weight at maximum", "## S {weight=10}\nbody", 1200, "", 1, {{"S", "body", 10.0}}},
    {"malformed marker kept when lenient", "## S {weight=abc}\nbody", 1200, "", 1,
     {{"S {weight=abc}", "body", 1.0}}},
    {"heading without body", "## Empty\n## Full\nbody", 1200, "", 1,
     {{"Full", "body", 1.0}}},
};

static void
test_split_table(void **state)
{
    struct cv_passage_opts opts;
    struct cv_passage_doc  doc;
    char                   errbuf[256];
    size_t                 i;
    size_t                 j;
    enum cv_err            rc;

    (void)state;
    for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const struct split_case *c = &split_cases[i];

        print_message("case: %s\n", c->name);
        opts.max_len = c->max_len;
        opts.is_strict = 0;
        memset(&doc, 0, sizeof(doc));
        rc = cv_passage_split(c->text, strlen(c->text), &opts, &doc, errbuf, sizeof(errbuf));
        assert_int_equal(rc, CV_OK);
        assert_string_equal(doc.title, c->title);
        assert_int_equal(doc.count, c->count);
        for (j = 0; j < c->count; j++) {
            assert_string_equal(doc.passages[j].section, c->passages[j].section);
            assert_string_equal(doc.passages[j].body, c->passages[j].body);
            assert_true(doc.passages[j].weight == c->passages[j].weight);
            assert_int_equal(doc.passages[j].ordinal, (int)j);
        }
        cv_passage_doc_cleanup(&doc);
    }
}

static const char *const bad_markers[] = {
    "## S {weight=abc}\nx", "## S {weight=0}\nx",      "## S {weight=10.001}\nx",
    "## S {weight=1.2345}\nx", "## S {weight=}\nx",    "## S {weight=1.}\nx",
    "## S {weight=.5}\nx",    "## S {weight=-1}\nx",   "## S {weight=1e3}\nx",
};

static void
test_strict_rejects_bad_markers(void **state)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 1};
    struct cv_passage_doc  doc;
    char                   errbuf[256];
    size_t                 i;
    enum cv_err            rc;

    (void)state;
    for (i = 0; i < sizeof(bad_markers) / sizeof(bad_markers[0]); i++) {
        print_message("marker: %s\n", bad_markers[i]);
        memset(&doc, 0, sizeof(doc));
        rc = cv_passage_split(bad_markers[i], strlen(bad_markers[i]), &opts, &doc, errbuf,
                              sizeof(errbuf));
        assert_int_equal(rc, CV_EINVAL);
        assert_non_null(strstr(errbuf, "line 1"));
        assert_null(doc.passages);
        assert_null(doc.title);
        assert_int_equal(doc.count, 0);
    }
}

/* Appends the white-space separated words of text to out, one space after each. */
static void
append_words(struct cv_buf *out, const char *text)
{
    const char *p = text;
    size_t      n;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\n') {
            p++;
        }
        n = strcspn(p, " \n");
        if (n > 0) {
            assert_int_equal(cv_buf_append(out, p, n), CV_OK);
            assert_int_equal(cv_buf_append(out, " ", 1), CV_OK);
        }
        p += n;
    }
}

static void
test_long_paragraph_cut_between_words(void **state)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_MIN, 0};
    struct cv_passage_doc  doc = {0};
    struct cv_buf          text;
    struct cv_buf          joined;
    struct cv_buf          expected;
    char                   errbuf[256];
    size_t                 i;

    (void)state;
    cv_buf_init(&text, 1 << 16);
    cv_buf_init(&joined, 1 << 16);
    cv_buf_init(&expected, 1 << 16);
    for (i = 0; i < 60; i++) {
        assert_int_equal(cv_buf_printf(&text, "word%zu%s", i, i % 7 == 6 ? ". " : " "), CV_OK);
    }

    assert_int_equal(cv_passage_split(text.data, text.len, &opts, &doc, errbuf, sizeof(errbuf)),
                     CV_OK);
    assert_true(doc.count > 1);
    for (i = 0; i < doc.count; i++) {
        assert_true(strlen(doc.passages[i].body) <= opts.max_len);
        append_words(&joined, doc.passages[i].body);
    }
    append_words(&expected, text.data);
    assert_string_equal(joined.data, expected.data);

    cv_passage_doc_cleanup(&doc);
    cv_buf_cleanup(&text);
    cv_buf_cleanup(&joined);
    cv_buf_cleanup(&expected);
}

static void
test_cut_respects_utf8(void **state)
{
    struct cv_passage_opts opts = {65, 0};
    struct cv_passage_doc  doc = {0};
    struct cv_buf          text;
    char                   errbuf[256];
    size_t                 total = 0;
    size_t                 i;

    (void)state;
    cv_buf_init(&text, 4096);
    for (i = 0; i < 300; i++) {
        assert_int_equal(cv_buf_append_str(&text, "\xc3\xa9"), CV_OK); /* U+00E9, no spaces */
    }

    assert_int_equal(cv_passage_split(text.data, text.len, &opts, &doc, errbuf, sizeof(errbuf)),
                     CV_OK);
    for (i = 0; i < doc.count; i++) {
        size_t len = strlen(doc.passages[i].body);

        assert_true(len <= opts.max_len);
        assert_int_equal(len % 2, 0);
        assert_int_equal((unsigned char)doc.passages[i].body[0], 0xc3);
        total += len;
    }
    assert_int_equal(total, text.len);
    cv_passage_doc_cleanup(&doc);
    cv_buf_cleanup(&text);
}

static void
test_nul_bytes_become_spaces(void **state)
{
    static const char      text[] = "## S\nab\0cd\n\0\nnext";
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 0};
    struct cv_passage_doc  doc = {0};
    char                   errbuf[256];

    (void)state;
    assert_int_equal(cv_passage_split(text, sizeof(text) - 1, &opts, &doc, errbuf, sizeof(errbuf)),
                     CV_OK);
    assert_int_equal(doc.count, 1);
    assert_string_equal(doc.passages[0].body, "ab cd\n\nnext");
    cv_passage_doc_cleanup(&doc);
}

static void
test_too_many_passages(void **state)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_MIN, 0};
    struct cv_passage_doc  doc = {0};
    struct cv_buf          text;
    char                   errbuf[256];
    size_t                 i;

    (void)state;
    cv_buf_init(&text, 1 << 20);
    for (i = 0; i <= CV_PASSAGE_COUNT_MAX; i++) {
        assert_int_equal(cv_buf_append_str(&text, "a paragraph of forty bytes, more or less\n\n"),
                         CV_OK);
    }
    assert_int_equal(cv_passage_split(text.data, text.len, &opts, &doc, errbuf, sizeof(errbuf)),
                     CV_ETOOLARGE);
    assert_null(doc.passages);
    assert_int_equal(doc.count, 0);
    assert_non_null(strstr(errbuf, "passages"));
    cv_buf_cleanup(&text);
}

static void
test_invalid_options(void **state)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_MIN - 1, 0};
    struct cv_passage_doc  doc = {0};
    char                   errbuf[256];

    (void)state;
    assert_int_equal(cv_passage_split("x", 1, &opts, &doc, errbuf, sizeof(errbuf)), CV_EINVAL);
    opts.max_len = CV_PASSAGE_MAX_LEN_DEFAULT;
    assert_int_equal(cv_passage_split(NULL, 0, &opts, &doc, errbuf, sizeof(errbuf)), CV_EINVAL);
    assert_int_equal(cv_passage_split("x", 1, NULL, &doc, errbuf, sizeof(errbuf)), CV_EINVAL);
}

static void
test_long_section_name_cut(void **state)
{
    struct cv_passage_opts opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 0};
    struct cv_passage_doc  doc = {0};
    struct cv_buf          text;
    char                   errbuf[256];
    size_t                 i;

    (void)state;
    cv_buf_init(&text, 4096);
    assert_int_equal(cv_buf_append_str(&text, "## "), CV_OK);
    for (i = 0; i < 150; i++) {
        assert_int_equal(cv_buf_append_str(&text, "\xc3\xa9"), CV_OK);
    }
    assert_int_equal(cv_buf_append_str(&text, "\nbody"), CV_OK);
    assert_int_equal(cv_passage_split(text.data, text.len, &opts, &doc, errbuf, sizeof(errbuf)),
                     CV_OK);
    assert_int_equal(doc.count, 1);
    assert_int_equal(strlen(doc.passages[0].section), CV_PASSAGE_SECTION_MAX_LEN);
    cv_passage_doc_cleanup(&doc);
    cv_buf_cleanup(&text);
}

static char *
read_kb_file(const char *name, size_t *len_out)
{
    const char *dir = getenv("KB_DIR");
    char        path[1024];
    FILE       *fp;
    char       *data;
    long        size;

    (void)snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "kb", name);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        fail_msg("cannot open \"%s\": run the test from the repository root or set KB_DIR", path);
    }
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size > 0);
    rewind(fp);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
    data[size] = '\0';
    fclose(fp);
    *len_out = (size_t)size;
    return data;
}

static void
test_kb_files_split_strictly_and_stably(void **state)
{
    static const char *const names[] = {"job_description.md", "case_study_brief.md",
                                        "scoring_rubric.md"};
    struct cv_passage_opts   opts = {CV_PASSAGE_MAX_LEN_DEFAULT, 1};
    struct cv_passage_doc    first;
    struct cv_passage_doc    second;
    char                     errbuf[256];
    size_t                   len;
    size_t                   i;
    size_t                   j;
    char                    *text;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        print_message("file: %s\n", names[i]);
        text = read_kb_file(names[i], &len);
        memset(&first, 0, sizeof(first));
        memset(&second, 0, sizeof(second));
        assert_int_equal(cv_passage_split(text, len, &opts, &first, errbuf, sizeof(errbuf)),
                         CV_OK);
        assert_int_equal(cv_passage_split(text, len, &opts, &second, errbuf, sizeof(errbuf)),
                         CV_OK);
        assert_true(first.title[0] != '\0');
        assert_true(first.count >= 5);
        assert_int_equal(first.count, second.count);
        for (j = 0; j < first.count; j++) {
            assert_true(first.passages[j].section[0] != '\0');
            assert_true(strlen(first.passages[j].body) <= opts.max_len);
            assert_true(first.passages[j].weight > 0.0);
            assert_string_equal(first.passages[j].section, second.passages[j].section);
            assert_string_equal(first.passages[j].body, second.passages[j].body);
            assert_true(first.passages[j].weight == second.passages[j].weight);
        }
        cv_passage_doc_cleanup(&first);
        cv_passage_doc_cleanup(&second);
        free(text);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_strict_rejects_bad_markers),
        cmocka_unit_test(test_long_paragraph_cut_between_words),
        cmocka_unit_test(test_cut_respects_utf8),
        cmocka_unit_test(test_nul_bytes_become_spaces),
        cmocka_unit_test(test_too_many_passages),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_long_section_name_cut),
        cmocka_unit_test(test_kb_files_split_strictly_and_stably),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
