/*
 * Unit tests for worker/llm/reply.c: cutting the JSON object out of code fences and
 * prose, and the strict checks of every step's reply. Each row gives a reply and
 * either the scores it must yield or a fragment the problem list must contain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "worker/evaluation.h"
#include "worker/llm/reply.h"

/* The members of a valid CV reply, without the braces. */
#define GOOD_CV_MEMBERS                                                                  \
    "\"technical_skills\":{\"score\":4,\"reason\":\"Go and PostgreSQL\"},"               \
    "\"experience_level\":{\"score\":3,\"reason\":\"three years\"},"                     \
    "\"relevant_achievements\":{\"score\":5,\"reason\":\"cut latency by half\"},"        \
    "\"cultural_fit\":{\"score\":2,\"reason\":\"little evidence\"},"                     \
    "\"cv_feedback\":\"Strong backend skills.\""
#define GOOD_CV "{" GOOD_CV_MEMBERS "}"

struct reply_case {
    const char  *name;
    enum wk_step step;
    const char  *content;
    int          is_truncated;
    int          is_valid;
    int          scores[5];        /* expected when valid */
    const char  *problem;          /* fragment expected in the problems when invalid */
};

static const struct reply_case reply_cases[] = {
    {"plain object", WK_STEP_CV, GOOD_CV, 0, 1, {4, 3, 5, 2}, NULL},
    {"json code fence", WK_STEP_CV, "```json\n" GOOD_CV "\n```", 0, 1, {4, 3, 5, 2}, NULL},
    {"bare code fence", WK_STEP_CV, "```\n" GOOD_CV "\n```\n", 0, 1, {4, 3, 5, 2}, NULL},
    {"prose before and after", WK_STEP_CV,
     "Here is my evaluation:\n" GOOD_CV "\nLet me know if you need more.", 0, 1,
     {4, 3, 5, 2}, NULL},
    {"prose with braces first", WK_STEP_CV, "Format {like this}: " GOOD_CV, 0, 1,
     {4, 3, 5, 2}, NULL},
    {"fence then prose", WK_STEP_CV, "Sure.\n```json\n" GOOD_CV "\n```\nDone.", 0, 1,
     {4, 3, 5, 2}, NULL},
    {"fence with prose only, object after", WK_STEP_CV, "```\nnot json\n```\n" GOOD_CV, 0, 1,
     {4, 3, 5, 2}, NULL},
    {"braces inside strings", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"uses } and { in \\\"text\\\"\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 1, {4, 3, 5, 2}, NULL},
    {"extra total ignored", WK_STEP_CV,
     "{\"total\":9.7," GOOD_CV_MEMBERS "}", 0, 1, {4, 3, 5, 2}, NULL},
    {"integral float accepted", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4.0,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":1,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":1,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":5,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 1, {4, 1, 1, 5}, NULL},
    {"truncated but complete", WK_STEP_CV, GOOD_CV, 1, 1, {4, 3, 5, 2}, NULL},
    {"project step", WK_STEP_PROJECT,
     "{\"correctness\":{\"score\":5,\"reason\":\"r\"},\"code_quality\":{\"score\":4,"
     "\"reason\":\"r\"},\"resilience\":{\"score\":3,\"reason\":\"r\"},"
     "\"documentation\":{\"score\":2,\"reason\":\"r\"},\"creativity\":{\"score\":1,"
     "\"reason\":\"r\"},\"project_feedback\":\"f\"}",
     0, 1, {5, 4, 3, 2, 1}, NULL},
    {"summary step", WK_STEP_SUMMARY, "{\"overall_summary\":\"Good. Gaps. Hire.\"}", 0, 1,
     {0}, NULL},

    {"empty reply", WK_STEP_CV, "", 0, 0, {0}, "contains no JSON object"},
    {"prose only", WK_STEP_CV, "I cannot evaluate this candidate.", 0, 0, {0},
     "contains no JSON object"},
    {"cut off object", WK_STEP_CV, "{\"technical_skills\":{\"score\":4,\"reason\":\"Go an", 1,
     0, {0}, "cut off at the max_tokens limit"},
    {"unclosed object", WK_STEP_CV, "{\"technical_skills\":{\"score\":4", 0, 0, {0},
     "ends before its closing brace"},
    {"not json", WK_STEP_CV, "{technical_skills: 4}", 0, 0, {0}, "no valid JSON object"},
    {"array instead of object", WK_STEP_CV, "[1,2,3]", 0, 0, {0}, "contains no JSON object"},
    {"missing parameter", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"cultural_fit\" is missing"},
    {"score of seven", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":7,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills.score\" is 7, outside the range 1 to 5"},
    {"score of zero", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":0,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills.score\" is 0"},
    {"negative score", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":-2,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "is -2, outside the range"},
    {"fractional score", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":3.5,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "must be an integer from 1 to 5, got 3.5"},
    {"score as string", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":\"4\",\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "got a string"},
    {"score null", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":null,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "got null"},
    {"score boolean", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":true,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "got a boolean"},
    {"score missing", WK_STEP_CV,
     "{\"technical_skills\":{\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills.score\" is missing"},
    {"flat score", WK_STEP_CV,
     "{\"technical_skills\":4,"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills\" must be an object"},
    {"blank reason", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"  \"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills.reason\" is empty"},
    {"reason not a string", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":[\"a\"]},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills.reason\" must be a string, got an array"},
    {"feedback missing", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"}}",
     0, 0, {0}, "\"cv_feedback\" is missing"},
    {"feedback empty", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"\"}",
     0, 0, {0}, "\"cv_feedback\" is empty"},
    {"duplicate key", WK_STEP_CV,
     "{\"technical_skills\":{\"score\":4,\"reason\":\"r\"},"
     "\"technical_skills\":{\"score\":1,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills\" appears 2 times"},
    {"key case differs", WK_STEP_CV,
     "{\"Technical_Skills\":{\"score\":4,\"reason\":\"r\"},"
     "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
     "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
     "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
     0, 0, {0}, "\"technical_skills\" is missing"},
    {"every problem listed", WK_STEP_CV, "{\"cv_feedback\":\"f\"}", 0, 0, {0},
     "\"technical_skills\" is missing; \"experience_level\" is missing; "
     "\"relevant_achievements\" is missing; \"cultural_fit\" is missing"},
    {"cv reply for project step", WK_STEP_PROJECT, GOOD_CV, 0, 0, {0},
     "\"correctness\" is missing"},
    {"summary missing", WK_STEP_SUMMARY, "{\"summary\":\"x\"}", 0, 0, {0},
     "\"overall_summary\" is missing"},
    {"summary not a string", WK_STEP_SUMMARY, "{\"overall_summary\":5}", 0, 0, {0},
     "must be a string, got a number"},
    {"object with trailing garbage only", WK_STEP_SUMMARY, "{\"overall_summary\":\"x\"", 0, 0,
     {0}, "ends before its closing brace"},
};

static void
test_reply_table(void **state)
{
    const struct reply_case *c;
    struct wk_eval_result    result;
    char                     problems[1024];
    size_t                   i;
    size_t                   j;
    enum cv_err              rc;

    (void)state;
    for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
        c = &reply_cases[i];
        memset(&result, 0, sizeof(result));
        problems[0] = '\0';
        rc = wk_reply_parse(c->step, c->content, strlen(c->content), c->is_truncated, &result,
                            problems, sizeof(problems));
        if ((rc == CV_OK) != c->is_valid) {
            print_error("case \"%s\": rc %d, problems: %s\n", c->name, rc, problems);
            fail();
        }
        if (!c->is_valid) {
            if (strstr(problems, c->problem) == NULL) {
                print_error("case \"%s\": problems \"%s\" lack \"%s\"\n", c->name, problems,
                            c->problem);
                fail();
            }
            /* nothing may be stored from a rejected reply */
            assert_null(result.cv_feedback);
            assert_null(result.project_feedback);
            assert_null(result.overall_summary);
            assert_int_equal(result.cv[0].score, 0);
            assert_int_equal(result.project[0].score, 0);
            continue;
        }
        if (c->step == WK_STEP_CV) {
            for (j = 0; j < WK_CV_PARAM_COUNT; j++) {
                assert_int_equal(result.cv[j].score, c->scores[j]);
                assert_non_null(result.cv[j].reason);
            }
            assert_non_null(result.cv_feedback);
        } else if (c->step == WK_STEP_PROJECT) {
            for (j = 0; j < WK_PROJECT_PARAM_COUNT; j++) {
                assert_int_equal(result.project[j].score, c->scores[j]);
            }
            assert_non_null(result.project_feedback);
        } else {
            assert_non_null(result.overall_summary);
        }
        wk_eval_result_cleanup(&result);
    }
}

static void
test_reply_reason_one_line(void **state)
{
    static const char content[] =
        "{\"technical_skills\":{\"score\":4,\"reason\":\"  line one\\nline two\\t \"},"
        "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
        "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
        "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},"
        "\"cv_feedback\":\"\\n First paragraph.\\n\\nSecond. \"}";
    struct wk_eval_result result;
    char                  problems[256];

    (void)state;
    memset(&result, 0, sizeof(result));
    assert_int_equal(wk_reply_parse(WK_STEP_CV, content, strlen(content), 0, &result, problems,
                                    sizeof(problems)),
                     CV_OK);
    assert_string_equal(result.cv[0].reason, "line one line two");
    assert_string_equal(result.cv_feedback, "First paragraph.\n\nSecond.");
    wk_eval_result_cleanup(&result);
}

static void
test_reply_reason_too_long(void **state)
{
    char                  content[WK_REPLY_REASON_MAX_LEN + 512];
    char                  reason[WK_REPLY_REASON_MAX_LEN + 2];
    struct wk_eval_result result;
    char                  problems[256];

    (void)state;
    memset(reason, 'a', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    (void)snprintf(content, sizeof(content),
                   "{\"technical_skills\":{\"score\":4,\"reason\":\"%s\"},"
                   "\"experience_level\":{\"score\":3,\"reason\":\"r\"},"
                   "\"relevant_achievements\":{\"score\":5,\"reason\":\"r\"},"
                   "\"cultural_fit\":{\"score\":2,\"reason\":\"r\"},\"cv_feedback\":\"f\"}",
                   reason);
    memset(&result, 0, sizeof(result));
    assert_int_equal(wk_reply_parse(WK_STEP_CV, content, strlen(content), 0, &result, problems,
                                    sizeof(problems)),
                     CV_EINVAL);
    assert_non_null(strstr(problems, "bytes long"));
}

static void
test_reply_problems_bounded(void **state)
{
    struct wk_eval_result result;
    char                  problems[40];

    (void)state;
    memset(&result, 0, sizeof(result));
    assert_int_equal(wk_reply_parse(WK_STEP_CV, "{}", 2, 0, &result, problems,
                                    sizeof(problems)),
                     CV_EINVAL);
    assert_true(strlen(problems) < sizeof(problems));
    assert_non_null(strstr(problems, "technical_skills"));
}

static void
test_extract_range(void **state)
{
    static const char content[] = "Result:\n```json\n{\"a\": {\"b\": 1}}\n```\n";
    const char       *start = NULL;
    size_t            len = 0;
    char              problems[128];

    (void)state;
    assert_int_equal(wk_reply_extract(content, strlen(content), &start, &len, problems,
                                      sizeof(problems)),
                     CV_OK);
    assert_int_equal(len, strlen("{\"a\": {\"b\": 1}}"));
    assert_memory_equal(start, "{\"a\": {\"b\": 1}}", len);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_table),
        cmocka_unit_test(test_reply_reason_one_line),
        cmocka_unit_test(test_reply_reason_too_long),
        cmocka_unit_test(test_reply_problems_bounded),
        cmocka_unit_test(test_extract_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
