/*
 * Unit tests for worker/prefetch.c: the ring of waiting tasks (order, capacity, wrap,
 * dropping a partition, oldest timestamp), the watermarks, and the pause decision as a
 * table of held counts, so a failure names the row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "worker/prefetch.h"

/* Returns a message task of partition at offset, with a timestamp of ts_ms. */
static struct wk_task
make_task(int32_t partition, int64_t offset, int64_t ts_ms)
{
    struct wk_task task;

    memset(&task, 0, sizeof(task));
    task.source = WK_TASK_MESSAGE;
    task.partition = partition;
    task.offset = offset;
    task.epoch = 1;
    task.message_ts_ms = ts_ms;
    (void)snprintf(task.job_id, sizeof(task.job_id), "job-%d-%lld", (int)partition,
                   (long long)offset);
    return task;
}

/* Appends a task of partition at offset and checks that the queue took it. */
static void
push_ok(struct wk_prefetch *prefetch, int32_t partition, int64_t offset, int64_t ts_ms)
{
    struct wk_task task = make_task(partition, offset, ts_ms);

    if (wk_prefetch_push(prefetch, &task) != CV_OK) {
        fail_msg("push of partition %d offset %lld was rejected with %zu of %zu queued",
                 (int)partition, (long long)offset, wk_prefetch_count(prefetch),
                 wk_prefetch_capacity(prefetch));
    }
}

/* Pops the oldest task and checks it is partition at offset. */
static void
expect_pop(struct wk_prefetch *prefetch, int32_t partition, int64_t offset)
{
    const struct wk_task *task = wk_prefetch_peek(prefetch);

    assert_non_null(task);
    if (task->partition != partition || task->offset != offset) {
        fail_msg("popped partition %d offset %lld, expected partition %d offset %lld",
                 (int)task->partition, (long long)task->offset, (int)partition,
                 (long long)offset);
    }
    wk_prefetch_pop(prefetch);
}

static void
test_prefetch_keeps_arrival_order(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(3);

    (void)state;
    assert_non_null(prefetch);
    assert_null(wk_prefetch_peek(prefetch));
    push_ok(prefetch, 0, 10, -1);
    push_ok(prefetch, 1, 5, -1);
    push_ok(prefetch, 0, 11, -1);
    assert_int_equal(wk_prefetch_count(prefetch), 3);
    assert_string_equal(wk_prefetch_peek(prefetch)->job_id, "job-0-10");

    expect_pop(prefetch, 0, 10);
    expect_pop(prefetch, 1, 5);
    expect_pop(prefetch, 0, 11);
    assert_int_equal(wk_prefetch_count(prefetch), 0);
    assert_null(wk_prefetch_peek(prefetch));
    wk_prefetch_pop(prefetch); /* empty: no-op */
    assert_int_equal(wk_prefetch_count(prefetch), 0);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_rejects_push_when_full(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(2);
    struct wk_task      task;

    (void)state;
    assert_non_null(prefetch);
    push_ok(prefetch, 0, 1, -1);
    push_ok(prefetch, 0, 2, -1);
    task = make_task(0, 3, -1);
    assert_int_equal(wk_prefetch_push(prefetch, &task), CV_EUNAVAIL);
    assert_int_equal(wk_prefetch_count(prefetch), 2);
    expect_pop(prefetch, 0, 1);
    expect_pop(prefetch, 0, 2);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_capacity_zero_is_always_full(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(0);
    struct wk_task      task = make_task(0, 1, 5);

    (void)state;
    assert_non_null(prefetch);
    assert_int_equal(wk_prefetch_capacity(prefetch), 0);
    assert_int_equal(wk_prefetch_push(prefetch, &task), CV_EUNAVAIL);
    assert_null(wk_prefetch_peek(prefetch));
    assert_int_equal(wk_prefetch_drop_partition(prefetch, 0), 0);
    assert_int_equal(wk_prefetch_oldest_ts(prefetch, 0), -1);
    assert_int_equal(wk_prefetch_clear(prefetch), 0);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_wraps_around(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(3);
    int64_t             next_in = 0;
    int64_t             next_out = 0;
    int                 round;

    (void)state;
    assert_non_null(prefetch);
    /* Keep two or three tasks waiting while the head walks the ring several times. */
    for (round = 0; round < 10; round++) {
        while (wk_prefetch_count(prefetch) < 3) {
            push_ok(prefetch, 2, next_in++, -1);
        }
        expect_pop(prefetch, 2, next_out++);
    }
    assert_int_equal(wk_prefetch_count(prefetch), 2);
    expect_pop(prefetch, 2, next_out++);
    expect_pop(prefetch, 2, next_out++);
    assert_int_equal(next_out, next_in);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_drop_partition_keeps_others(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(4);

    (void)state;
    assert_non_null(prefetch);
    /* Move the head off index 0 first, so the compaction crosses the ring's end. */
    push_ok(prefetch, 9, 0, -1);
    push_ok(prefetch, 9, 1, -1);
    expect_pop(prefetch, 9, 0);
    expect_pop(prefetch, 9, 1);

    push_ok(prefetch, 1, 7, -1);
    push_ok(prefetch, 3, 4, -1);
    push_ok(prefetch, 1, 8, -1);
    push_ok(prefetch, 2, 1, -1);

    assert_int_equal(wk_prefetch_drop_partition(prefetch, 1), 2);
    assert_int_equal(wk_prefetch_drop_partition(prefetch, 5), 0);
    assert_int_equal(wk_prefetch_count(prefetch), 2);
    expect_pop(prefetch, 3, 4);
    expect_pop(prefetch, 2, 1);

    /* The freed room is usable again. */
    push_ok(prefetch, 4, 1, -1);
    assert_int_equal(wk_prefetch_clear(prefetch), 1);
    assert_int_equal(wk_prefetch_count(prefetch), 0);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_oldest_timestamp_per_partition(void **state)
{
    struct wk_prefetch *prefetch = wk_prefetch_new(4);

    (void)state;
    assert_non_null(prefetch);
    push_ok(prefetch, 0, 1, 3000);
    push_ok(prefetch, 0, 2, 2000); /* producer clocks may disagree: the minimum wins */
    push_ok(prefetch, 1, 1, -1);
    push_ok(prefetch, 2, 1, 500);

    assert_int_equal(wk_prefetch_oldest_ts(prefetch, 0), 2000);
    assert_int_equal(wk_prefetch_oldest_ts(prefetch, 1), -1);
    assert_int_equal(wk_prefetch_oldest_ts(prefetch, 2), 500);
    assert_int_equal(wk_prefetch_oldest_ts(prefetch, 3), -1);
    wk_prefetch_free(prefetch);
}

static void
test_prefetch_capacity_follows_concurrency(void **state)
{
    struct cv_config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.consumer_max_concurrency = 24;
    cfg.consumer_prefetch = -1;
    assert_int_equal(wk_prefetch_capacity_of(&cfg), 24 * WK_PREFETCH_PER_THREAD);
    cfg.consumer_prefetch = 0;
    assert_int_equal(wk_prefetch_capacity_of(&cfg), 0);
    cfg.consumer_prefetch = 100;
    assert_int_equal(wk_prefetch_capacity_of(&cfg), 100);
}

/* One row: pool size and capacity, then held counts in turn with the expected verdict. */
struct marks_case {
    const char *name;
    size_t      pool_size;
    size_t      capacity;
    size_t      pause_at;
    size_t      resume_at;
    size_t      held[8];
    int         expect_over[8];
    size_t      step_count;
};

static const struct marks_case marks_cases[] = {
    {"no prefetch pauses on a full pool and resumes on one free slot", 4, 0, 4, 3,
     {3, 4, 4, 3, 4}, {0, 1, 1, 0, 1}, 5},
    {"prefetch of one resumes once it is empty", 4, 1, 5, 4,
     {4, 5, 4, 3}, {0, 1, 0, 0}, 4},
    {"pauses at pool plus prefetch", 2, 2, 4, 3,
     {0, 2, 3, 4, 3}, {0, 0, 0, 1, 0}, 5},
    {"stays paused until a quarter has moved on", 8, 8, 16, 14,
     {16, 15, 14, 13, 15, 16}, {1, 1, 0, 0, 0, 1}, 6},
    {"default prefetch at 64 threads", 64, 256, 320, 256,
     {320, 257, 256, 319}, {1, 1, 0, 0}, 4},
    {"a drop from full to empty resumes at once", 4, 16, 20, 16,
     {20, 0, 19}, {1, 0, 0}, 3},
};

static void
test_prefetch_marks_table(void **state)
{
    const struct marks_case *tc;
    struct wk_prefetch_marks marks;
    size_t                   row;
    size_t                   step;
    int                      is_over;

    (void)state;
    for (row = 0; row < sizeof(marks_cases) / sizeof(marks_cases[0]); row++) {
        tc = &marks_cases[row];
        marks = wk_prefetch_marks_of(tc->pool_size, tc->capacity);
        if (marks.pause_at != tc->pause_at || marks.resume_at != tc->resume_at) {
            fail_msg("case \"%s\": marks %zu/%zu, expected %zu/%zu", tc->name,
                     marks.pause_at, marks.resume_at, tc->pause_at, tc->resume_at);
        }
        is_over = 0;
        for (step = 0; step < tc->step_count; step++) {
            is_over = wk_prefetch_is_over(&marks, tc->held[step], is_over);
            if (is_over != tc->expect_over[step]) {
                fail_msg("case \"%s\" step %zu: held %zu gave %d, expected %d", tc->name,
                         step, tc->held[step], is_over, tc->expect_over[step]);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_keeps_arrival_order),
        cmocka_unit_test(test_prefetch_rejects_push_when_full),
        cmocka_unit_test(test_prefetch_capacity_zero_is_always_full),
        cmocka_unit_test(test_prefetch_wraps_around),
        cmocka_unit_test(test_prefetch_drop_partition_keeps_others),
        cmocka_unit_test(test_prefetch_oldest_timestamp_per_partition),
        cmocka_unit_test(test_prefetch_capacity_follows_concurrency),
        cmocka_unit_test(test_prefetch_marks_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
