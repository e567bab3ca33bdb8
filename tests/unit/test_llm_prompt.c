/*
 * Unit tests for worker/llm/prompt.c: loading the shipped templates (from PROMPTS_DIR,
 * default "prompts" under the current folder), rejecting broken ones written to a
 * temporary folder, and rendering placeholders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "worker/llm/prompt.h"

/* Valid template texts of a minimal version "t1". */
static const char system_text[] = "System {{nonce}}.";
static const char cv_text[] =
    "{{job_title}} {{job_context}} {{rubric}} {{cv}} \"technical_skills\" "
    "\"experience_level\" \"relevant_achievements\" \"cultural_fit\" \"cv_feedback\"";
static const char project_text[] =
    "{{brief_context}} {{rubric}} {{project}} \"correctness\" \"code_quality\" "
    "\"resilience\" \"documentation\" \"creativity\" \"project_feedback\"";
static const char summary_text[] = "{{cv_result}} {{project_result}} \"overall_summary\"";
static const char repair_text[] = "Fix: {{problems}}.";

static void
write_file(const char *dir, const char *name, const char *text)
{
    char  path[512];
    FILE *fp;

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Writes a complete valid set into a new temporary folder; returns its path. */
static char *
make_prompt_dir(void)
{
    char *dir;

    dir = strdup("/tmp/cv-prompt-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    write_file(dir, "VERSION", "t1\n");
    write_file(dir, "system_t1.txt", system_text);
    write_file(dir, "cv_t1.txt", cv_text);
    write_file(dir, "project_t1.txt", project_text);
    write_file(dir, "summary_t1.txt", summary_text);
    write_file(dir, "repair_t1.txt", repair_text);
    return dir;
}

static void
remove_prompt_dir(char *dir)
{
    static const char *const names[] = {"VERSION", "system_t1.txt", "cv_t1.txt",
                                        "project_t1.txt", "summary_t1.txt", "repair_t1.txt"};
    char                     path[512];
    size_t                   i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)unlink(path);   /* a test may have removed it already */
    }
    (void)rmdir(dir);
    free(dir);
}

static void
test_prompt_shipped_load(void **state)
{
    struct wk_prompts prompts;
    const char       *dir = getenv("PROMPTS_DIR");
    char              errbuf[512];

    (void)state;
    if (dir == NULL) {
        dir = "prompts";
    }
    if (wk_prompts_load(dir, &prompts, errbuf, sizeof(errbuf)) != CV_OK) {
        print_error("loading \"%s\": %s\n", dir, errbuf);
        fail();
    }
    assert_true(prompts.version[0] != '\0');
    assert_int_equal(strlen(prompts.sha256), 64);
    wk_prompts_cleanup(&prompts);
}

static void
test_prompt_render(void **state)
{
    struct wk_prompts prompts;
    struct cv_buf     out;
    const char       *values[WK_VAR_COUNT] = {NULL};
    char              errbuf[512];
    char             *dir = make_prompt_dir();

    (void)state;
    assert_int_equal(wk_prompts_load(dir, &prompts, errbuf, sizeof(errbuf)), CV_OK);
    assert_string_equal(prompts.version, "t1");

    cv_buf_init(&out, 4096);
    values[WK_VAR_NONCE] = "abc";
    assert_int_equal(wk_prompt_render(&prompts, WK_PROMPT_SYSTEM, values, &out), CV_OK);
    assert_string_equal(out.data, "System abc.");

    /* A value that looks like a placeholder is copied as it is, never expanded. */
    cv_buf_reset(&out);
    values[WK_VAR_PROBLEMS] = "{{nonce}} and {{cv}}";
    assert_int_equal(wk_prompt_render(&prompts, WK_PROMPT_REPAIR, values, &out), CV_OK);
    assert_string_equal(out.data, "Fix: {{nonce}} and {{cv}}.");

    /* A NULL value renders as nothing. */
    cv_buf_reset(&out);
    values[WK_VAR_PROBLEMS] = NULL;
    assert_int_equal(wk_prompt_render(&prompts, WK_PROMPT_REPAIR, values, &out), CV_OK);
    assert_string_equal(out.data, "Fix: .");

    /* The buffer's maximum bounds the rendering. */
    cv_buf_cleanup(&out);
    cv_buf_init(&out, 4);
    values[WK_VAR_PROBLEMS] = "long problem text";
    assert_int_equal(wk_prompt_render(&prompts, WK_PROMPT_REPAIR, values, &out), CV_ETOOLARGE);

    cv_buf_cleanup(&out);
    wk_prompts_cleanup(&prompts);
    remove_prompt_dir(dir);
}

static void
test_prompt_digest_tracks_content(void **state)
{
    struct wk_prompts first;
    struct wk_prompts second;
    char              errbuf[512];
    char             *dir = make_prompt_dir();

    (void)state;
    assert_int_equal(wk_prompts_load(dir, &first, errbuf, sizeof(errbuf)), CV_OK);
    write_file(dir, "repair_t1.txt", "Please fix: {{problems}}.");
    assert_int_equal(wk_prompts_load(dir, &second, errbuf, sizeof(errbuf)), CV_OK);
    assert_string_equal(first.version, second.version);
    assert_string_not_equal(first.sha256, second.sha256);
    wk_prompts_cleanup(&first);
    wk_prompts_cleanup(&second);
    remove_prompt_dir(dir);
}

struct broken_case {
    const char *name;
    const char *file;        /* file to overwrite, or to remove when text is NULL */
    const char *text;
    enum cv_err rc;
    const char *message;     /* fragment expected in errbuf */
};

static const struct broken_case broken_cases[] = {
    {"missing version", "VERSION", NULL, CV_ENOTFOUND, "VERSION"},
    {"empty version", "VERSION", "\n", CV_EINVAL, "one version name"},
    {"bad version name", "VERSION", "../x\n", CV_EINVAL, "invalid character"},
    {"missing template", "summary_t1.txt", NULL, CV_ENOTFOUND, "summary_t1.txt"},
    {"unknown placeholder", "system_t1.txt", "Hi {{name}}", CV_EINVAL, "is unknown"},
    {"placeholder not allowed", "repair_t1.txt", "{{problems}} {{cv}}", CV_EINVAL,
     "not available in this template"},
    {"unclosed placeholder", "repair_t1.txt", "{{problems}} {{cv", CV_EINVAL,
     "without a closing"},
    {"required placeholder missing", "cv_t1.txt",
     "{{job_context}} {{rubric}} \"technical_skills\" \"experience_level\" "
     "\"relevant_achievements\" \"cultural_fit\" \"cv_feedback\"",
     CV_EINVAL, "{{cv}} is missing"},
    {"reply key missing", "project_t1.txt",
     "{{brief_context}} {{rubric}} {{project}} \"correctness\" \"code_quality\" "
     "\"resilience\" \"documentation\" \"project_feedback\"",
     CV_EINVAL, "\"creativity\""},
    {"summary key missing", "summary_t1.txt", "{{cv_result}} {{project_result}}", CV_EINVAL,
     "\"overall_summary\""},
};

static void
test_prompt_broken_table(void **state)
{
    const struct broken_case *c;
    struct wk_prompts         prompts;
    char                      errbuf[512];
    char                      path[512];
    char                     *dir;
    enum cv_err               rc;
    size_t                    i;

    (void)state;
    for (i = 0; i < sizeof(broken_cases) / sizeof(broken_cases[0]); i++) {
        c = &broken_cases[i];
        dir = make_prompt_dir();
        if (c->text == NULL) {
            (void)snprintf(path, sizeof(path), "%s/%s", dir, c->file);
            assert_int_equal(unlink(path), 0);
        } else {
            write_file(dir, c->file, c->text);
        }
        errbuf[0] = '\0';
        rc = wk_prompts_load(dir, &prompts, errbuf, sizeof(errbuf));
        if (rc != c->rc || strstr(errbuf, c->message) == NULL) {
            print_error("case \"%s\": rc %d, message \"%s\"\n", c->name, rc, errbuf);
            fail();
        }
        /* a failed load leaves nothing to release */
        assert_null(prompts.templates[WK_PROMPT_SYSTEM].source);
        remove_prompt_dir(dir);
    }
}

static void
test_prompt_file_too_large(void **state)
{
    struct wk_prompts prompts;
    char              errbuf[512];
    char             *big;
    char             *dir = make_prompt_dir();

    (void)state;
    big = malloc(WK_PROMPT_FILE_MAX_LEN + 2);
    assert_non_null(big);
    memset(big, 'x', WK_PROMPT_FILE_MAX_LEN + 1);
    big[WK_PROMPT_FILE_MAX_LEN + 1] = '\0';
    write_file(dir, "system_t1.txt", big);
    free(big);
    assert_int_equal(wk_prompts_load(dir, &prompts, errbuf, sizeof(errbuf)), CV_EINVAL);
    assert_non_null(strstr(errbuf, "larger than"));
    remove_prompt_dir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prompt_shipped_load),
        cmocka_unit_test(test_prompt_render),
        cmocka_unit_test(test_prompt_digest_tracks_content),
        cmocka_unit_test(test_prompt_broken_table),
        cmocka_unit_test(test_prompt_file_too_large),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
