/*
 * Unit tests for worker/llm/breaker.c and worker/llm/ratelimit.c: circuit transitions
 * on a fake clock, one trial at a time while half-open, and the token bucket's waits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "worker/llm/breaker.h"
#include "worker/llm/ratelimit.h"

static void
test_breaker_opens_after_threshold(void **state)
{
    struct wk_breaker     breaker;
    enum wk_breaker_state before;
    int                   i;

    (void)state;
    assert_int_equal(wk_breaker_init(&breaker, 3, 1000), CV_OK);
    for (i = 0; i < 2; i++) {
        assert_int_equal(wk_breaker_allow(&breaker, 0), WK_BREAKER_PASS);
        assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, &before),
                         WK_BREAKER_CLOSED);
    }
    assert_int_equal(wk_breaker_allow(&breaker, 0), WK_BREAKER_PASS);
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 10, &before),
                     WK_BREAKER_OPEN);
    assert_int_equal(before, WK_BREAKER_CLOSED);
    assert_int_equal(wk_breaker_allow(&breaker, 500), WK_BREAKER_REFUSE);
    assert_int_equal(wk_breaker_allow(&breaker, 1009), WK_BREAKER_REFUSE);
    wk_breaker_cleanup(&breaker);
}

static void
test_breaker_success_resets_count(void **state)
{
    struct wk_breaker breaker;

    (void)state;
    assert_int_equal(wk_breaker_init(&breaker, 2, 1000), CV_OK);
    (void)wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, NULL);
    (void)wk_breaker_record(&breaker, WK_BREAKER_PASS, 1, 0, NULL);
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, NULL),
                     WK_BREAKER_CLOSED);
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, NULL),
                     WK_BREAKER_OPEN);
    wk_breaker_cleanup(&breaker);
}

static void
test_breaker_half_open_single_trial(void **state)
{
    struct wk_breaker     breaker;
    enum wk_breaker_state before;

    (void)state;
    assert_int_equal(wk_breaker_init(&breaker, 1, 1000), CV_OK);
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, NULL),
                     WK_BREAKER_OPEN);

    /* After the cooldown exactly one caller gets the trial. */
    assert_int_equal(wk_breaker_allow(&breaker, 1000), WK_BREAKER_TRIAL);
    assert_int_equal(wk_breaker_allow(&breaker, 1001), WK_BREAKER_REFUSE);
    assert_int_equal(wk_breaker_allow(&breaker, 5000), WK_BREAKER_REFUSE);

    /* A failed trial reopens the circuit for a new cooldown. */
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_TRIAL, 0, 5000, &before),
                     WK_BREAKER_OPEN);
    assert_int_equal(before, WK_BREAKER_HALF_OPEN);
    assert_int_equal(wk_breaker_allow(&breaker, 5999), WK_BREAKER_REFUSE);
    assert_int_equal(wk_breaker_allow(&breaker, 6000), WK_BREAKER_TRIAL);

    /* A successful trial closes it. */
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_TRIAL, 1, 6100, &before),
                     WK_BREAKER_CLOSED);
    assert_int_equal(wk_breaker_allow(&breaker, 6101), WK_BREAKER_PASS);
    wk_breaker_cleanup(&breaker);
}

static void
test_breaker_late_results_ignored(void **state)
{
    struct wk_breaker breaker;

    (void)state;
    assert_int_equal(wk_breaker_init(&breaker, 1, 1000), CV_OK);
    assert_int_equal(wk_breaker_allow(&breaker, 0), WK_BREAKER_PASS);
    assert_int_equal(wk_breaker_allow(&breaker, 0), WK_BREAKER_PASS);
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 0, 0, NULL),
                     WK_BREAKER_OPEN);
    /* The second call, sent while closed, ends after the circuit opened. */
    assert_int_equal(wk_breaker_record(&breaker, WK_BREAKER_PASS, 1, 10, NULL),
                     WK_BREAKER_OPEN);
    assert_int_equal(wk_breaker_allow(&breaker, 999), WK_BREAKER_REFUSE);
    wk_breaker_cleanup(&breaker);
}

static void
test_breaker_state_names(void **state)
{
    (void)state;
    assert_string_equal(wk_breaker_state_name(WK_BREAKER_CLOSED), "closed");
    assert_string_equal(wk_breaker_state_name(WK_BREAKER_OPEN), "open");
    assert_string_equal(wk_breaker_state_name(WK_BREAKER_HALF_OPEN), "half_open");
}

static void
test_ratelimit_unlimited(void **state)
{
    struct wk_ratelimit limit;
    int64_t             wait_ms;
    int                 i;

    (void)state;
    assert_int_equal(wk_ratelimit_init(&limit, 0, 0), CV_OK);
    for (i = 0; i < 1000; i++) {
        assert_int_equal(wk_ratelimit_reserve(&limit, 0, 0, &wait_ms), CV_OK);
        assert_int_equal(wait_ms, 0);
    }
    wk_ratelimit_cleanup(&limit);
}

static void
test_ratelimit_burst_then_spacing(void **state)
{
    struct wk_ratelimit limit;
    int64_t             wait_ms;
    int                 i;

    (void)state;
    assert_int_equal(wk_ratelimit_init(&limit, 10, 0), CV_OK);

    /* A full bucket lets one second's worth through at once. */
    for (i = 0; i < 10; i++) {
        assert_int_equal(wk_ratelimit_reserve(&limit, 0, 100000, &wait_ms), CV_OK);
        assert_int_equal(wait_ms, 0);
    }
    /* Then reservations queue 100 ms apart, in arrival order. */
    for (i = 1; i <= 5; i++) {
        assert_int_equal(wk_ratelimit_reserve(&limit, 0, 100000, &wait_ms), CV_OK);
        assert_int_equal(wait_ms, 100 * i);
    }
    /* 600 ms pay back the debt of five and earn one token; the next caller waits. */
    assert_int_equal(wk_ratelimit_reserve(&limit, 600, 100000, &wait_ms), CV_OK);
    assert_int_equal(wait_ms, 0);
    assert_int_equal(wk_ratelimit_reserve(&limit, 600, 100000, &wait_ms), CV_OK);
    assert_int_equal(wait_ms, 100);
    wk_ratelimit_cleanup(&limit);
}

static void
test_ratelimit_deadline(void **state)
{
    struct wk_ratelimit limit;
    int64_t             wait_ms;

    (void)state;
    assert_int_equal(wk_ratelimit_init(&limit, 1, 0), CV_OK);
    assert_int_equal(wk_ratelimit_reserve(&limit, 0, 0, &wait_ms), CV_OK);

    /* The next slot is a second away: too late for a 500 ms budget, so nothing is taken. */
    assert_int_equal(wk_ratelimit_reserve(&limit, 0, 500, &wait_ms), CV_ETIMEOUT);
    assert_int_equal(wait_ms, 1000);
    assert_int_equal(wk_ratelimit_reserve(&limit, 0, 1000, &wait_ms), CV_OK);
    assert_int_equal(wait_ms, 1000);
    wk_ratelimit_cleanup(&limit);
}

static void
test_ratelimit_refill_capped(void **state)
{
    struct wk_ratelimit limit;
    int64_t             wait_ms;
    int                 i;

    (void)state;
    assert_int_equal(wk_ratelimit_init(&limit, 2, 0), CV_OK);
    /* An hour idle refills no more than the burst of two. */
    for (i = 0; i < 2; i++) {
        assert_int_equal(wk_ratelimit_reserve(&limit, 3600000, 10000, &wait_ms), CV_OK);
        assert_int_equal(wait_ms, 0);
    }
    assert_int_equal(wk_ratelimit_reserve(&limit, 3600000, 10000, &wait_ms), CV_OK);
    assert_int_equal(wait_ms, 500);
    wk_ratelimit_cleanup(&limit);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breaker_opens_after_threshold),
        cmocka_unit_test(test_breaker_success_resets_count),
        cmocka_unit_test(test_breaker_half_open_single_trial),
        cmocka_unit_test(test_breaker_late_results_ignored),
        cmocka_unit_test(test_breaker_state_names),
        cmocka_unit_test(test_ratelimit_unlimited),
        cmocka_unit_test(test_ratelimit_burst_then_spacing),
        cmocka_unit_test(test_ratelimit_deadline),
        cmocka_unit_test(test_ratelimit_refill_capped),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
