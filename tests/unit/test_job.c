/*
 * Unit tests for wk_job_decide() in worker/job.c, the one mapping from a step's result
 * to what happens to the job. Each row is a step result and the expected decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "worker/job.h"

struct decide_case {
    const char        *name;
    enum wk_job_step   step;
    enum cv_err        rc;
    int                attempts;
    long               max_attempts;
    int                is_deadline_passed;
    int                is_cancelled;
    const char        *detail;
    enum wk_job_action action;
    const char        *error_code;   /* NULL = none expected */
};

static const struct decide_case cases[] = {
    {"evaluation ok completes", WK_JOB_STEP_EVALUATE, CV_OK, 1, 3, 0, 0, "",
     WK_JOB_ACTION_COMPLETE, NULL},
    {"cancelled run leaves row", WK_JOB_STEP_EVALUATE, CV_OK, 1, 3, 0, 1, "",
     WK_JOB_ACTION_LEAVE, NULL},
    {"cancelled wins over deadline", WK_JOB_STEP_EVALUATE, CV_ETIMEOUT, 1, 3, 1, 1, "",
     WK_JOB_ACTION_LEAVE, NULL},
    {"late success fails on deadline", WK_JOB_STEP_EVALUATE, CV_OK, 1, 3, 1, 0, "",
     WK_JOB_ACTION_FAIL, "deadline_exceeded"},
    {"timeout past deadline is final", WK_JOB_STEP_EVALUATE, CV_ETIMEOUT, 1, 3, 1, 0, "",
     WK_JOB_ACTION_FAIL, "deadline_exceeded"},
    {"upstream down retries", WK_JOB_STEP_EVALUATE, CV_EUNAVAIL, 1, 3, 0, 0, "",
     WK_JOB_ACTION_RETRY, "evaluator_unavailable"},
    {"upstream timeout retries", WK_JOB_STEP_EVALUATE, CV_ETIMEOUT, 2, 3, 0, 0, "",
     WK_JOB_ACTION_RETRY, "evaluator_timeout"},
    {"retry keeps evaluator code", WK_JOB_STEP_EVALUATE, CV_EUNAVAIL, 1, 3, 0, 0,
     "provider_rate_limited", WK_JOB_ACTION_RETRY, "provider_rate_limited"},
    {"last attempt exhausts", WK_JOB_STEP_EVALUATE, CV_EUNAVAIL, 3, 3, 0, 0, "",
     WK_JOB_ACTION_FAIL, "attempts_exhausted"},
    {"attempts past maximum exhaust", WK_JOB_STEP_LOAD, CV_ETIMEOUT, 5, 3, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "attempts_exhausted"},
    {"evaluator rejection fails", WK_JOB_STEP_EVALUATE, CV_EUPSTREAM, 1, 3, 0, 0, "",
     WK_JOB_ACTION_FAIL, "evaluator_failed"},
    {"evaluator code is kept", WK_JOB_STEP_EVALUATE, CV_EUPSTREAM, 1, 3, 0, 0,
     "invalid_evaluation", WK_JOB_ACTION_FAIL, "invalid_evaluation"},
    {"evaluator null detail", WK_JOB_STEP_EVALUATE, CV_EINVAL, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "evaluator_failed"},
    {"evaluator out of memory", WK_JOB_STEP_EVALUATE, CV_ENOMEM, 1, 3, 0, 0, "",
     WK_JOB_ACTION_FAIL, "evaluator_failed"},
    {"missing cv upload", WK_JOB_STEP_LOAD, CV_ENOTFOUND, 1, 3, 0, 0, "cv upload",
     WK_JOB_ACTION_FAIL, "upload_missing"},
    {"missing project upload", WK_JOB_STEP_LOAD, CV_ENOTFOUND, 1, 3, 0, 0, "project upload",
     WK_JOB_ACTION_FAIL, "upload_missing"},
    {"missing default rubric", WK_JOB_STEP_LOAD, CV_ENOTFOUND, 1, 3, 0, 0,
     "default scoring_rubric", WK_JOB_ACTION_FAIL, "kb_missing"},
    {"vanished job row", WK_JOB_STEP_LOAD, CV_ENOTFOUND, 1, 3, 0, 0, "job",
     WK_JOB_ACTION_LEAVE, NULL},
    {"database down on load retries", WK_JOB_STEP_LOAD, CV_EUNAVAIL, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_RETRY, "database_unavailable"},
    {"statement timeout on load", WK_JOB_STEP_LOAD, CV_ETIMEOUT, 2, 3, 0, 0, NULL,
     WK_JOB_ACTION_RETRY, "database_timeout"},
    {"load internal error fails", WK_JOB_STEP_LOAD, CV_EINTERNAL, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "load_failed"},
    {"database down on store retries", WK_JOB_STEP_STORE, CV_EUNAVAIL, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_RETRY, "database_unavailable"},
    {"store data error fails", WK_JOB_STEP_STORE, CV_EINVAL, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "store_failed"},
    {"store conflict fails", WK_JOB_STEP_STORE, CV_ECONFLICT, 1, 3, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "store_failed"},
    {"single attempt allowed", WK_JOB_STEP_STORE, CV_EUNAVAIL, 1, 1, 0, 0, NULL,
     WK_JOB_ACTION_FAIL, "attempts_exhausted"},
};

static void
test_job_decide_table(void **state)
{
    struct wk_job_decision    got;
    const struct decide_case *tc;
    size_t                    i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tc = &cases[i];
        got = wk_job_decide(tc->step, tc->rc, tc->attempts, tc->max_attempts,
                            tc->is_deadline_passed, tc->is_cancelled, tc->detail);
        if (got.action != tc->action) {
            fail_msg("case \"%s\": action %d, expected %d", tc->name, got.action, tc->action);
        }
        if (tc->error_code == NULL && got.error_code != NULL) {
            fail_msg("case \"%s\": error code \"%s\", expected none", tc->name, got.error_code);
        }
        if (tc->error_code != NULL &&
            (got.error_code == NULL || strcmp(got.error_code, tc->error_code) != 0)) {
            fail_msg("case \"%s\": error code \"%s\", expected \"%s\"", tc->name,
                     got.error_code != NULL ? got.error_code : "(none)", tc->error_code);
        }
    }
}

static void
test_job_outcome_names(void **state)
{
    (void)state;
    assert_string_equal(wk_job_outcome_name(WK_JOB_COMPLETED), "completed");
    assert_string_equal(wk_job_outcome_name(WK_JOB_SKIPPED), "skipped");
    assert_string_equal(wk_job_outcome_name(WK_JOB_ABANDONED), "abandoned");
    assert_string_equal(wk_job_outcome_name(WK_JOB_OUTCOME_COUNT), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_decide_table),
        cmocka_unit_test(test_job_outcome_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
