/*
 * Unit tests for worker/offsets.c: each case is a script of tracker operations with the
 * result expected from each step, so a failure names the case and the step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "worker/offsets.h"

enum op_kind {
    OP_END = 0,
    OP_ASSIGN,      /* partition, epoch */
    OP_REVOKE,      /* partition */
    OP_ADD,         /* partition, offset -> rc */
    OP_DONE,        /* partition, epoch, offset -> rc */
    OP_COMMIT,      /* partition -> has (0/1), position; marks it committed when has */
    OP_PENDING      /* partition -> count */
};

struct op {
    enum op_kind kind;
    int32_t      partition;
    uint64_t     epoch;
    int64_t      offset;     /* ADD, DONE: the offset; COMMIT: expected position */
    int          expect;     /* ADD, DONE: enum cv_err; COMMIT: has; PENDING: count */
};

struct offsets_case {
    const char *name;
    size_t      max_pending;
    struct op   ops[24];
};

static const struct offsets_case cases[] = {
    {"in-order completion commits each step", 4,
     {{OP_ASSIGN, 0, 1, 0, 0},
      {OP_ADD, 0, 0, 10, CV_OK},
      {OP_ADD, 0, 0, 11, CV_OK},
      {OP_COMMIT, 0, 0, 10, 1},
      {OP_DONE, 0, 1, 10, CV_OK},
      {OP_COMMIT, 0, 0, 11, 1},
      {OP_DONE, 0, 1, 11, CV_OK},
      {OP_COMMIT, 0, 0, 12, 1},
      {OP_COMMIT, 0, 0, 0, 0},
      {OP_END, 0, 0, 0, 0}}},
    {"a slow first job holds the commit back", 4,
     {{OP_ASSIGN, 3, 7, 0, 0},
      {OP_ADD, 3, 0, 5, CV_OK},
      {OP_ADD, 3, 0, 6, CV_OK},
      {OP_ADD, 3, 0, 7, CV_OK},
      {OP_DONE, 3, 7, 6, CV_OK},
      {OP_DONE, 3, 7, 7, CV_OK},
      {OP_COMMIT, 3, 0, 5, 1},
      {OP_COMMIT, 3, 0, 0, 0},
      {OP_PENDING, 3, 0, 0, 1},
      {OP_DONE, 3, 7, 5, CV_OK},
      {OP_COMMIT, 3, 0, 8, 1},
      {OP_PENDING, 3, 0, 0, 0},
      {OP_END, 0, 0, 0, 0}}},
    {"finished jobs behind a slow one need no room", 2,
     {{OP_ASSIGN, 1, 1, 0, 0},
      {OP_ADD, 1, 0, 0, CV_OK},
      {OP_ADD, 1, 0, 1, CV_OK},
      {OP_DONE, 1, 1, 1, CV_OK},
      {OP_ADD, 1, 0, 2, CV_OK},
      {OP_DONE, 1, 1, 2, CV_OK},
      {OP_ADD, 1, 0, 3, CV_OK},
      {OP_ADD, 1, 0, 4, CV_ENOMEM},
      {OP_COMMIT, 1, 0, 0, 1},
      {OP_DONE, 1, 1, 0, CV_OK},
      {OP_COMMIT, 1, 0, 3, 1},
      {OP_END, 0, 0, 0, 0}}},
    {"gaps in offsets are committed past", 4,
     {{OP_ASSIGN, 2, 1, 0, 0},
      {OP_ADD, 2, 0, 100, CV_OK},
      {OP_ADD, 2, 0, 104, CV_OK},
      {OP_DONE, 2, 1, 100, CV_OK},
      {OP_COMMIT, 2, 0, 104, 1},
      {OP_DONE, 2, 1, 104, CV_OK},
      {OP_COMMIT, 2, 0, 105, 1},
      {OP_END, 0, 0, 0, 0}}},
    {"offsets must increase", 4,
     {{OP_ASSIGN, 0, 1, 0, 0},
      {OP_ADD, 0, 0, 5, CV_OK},
      {OP_ADD, 0, 0, 5, CV_EINVAL},
      {OP_ADD, 0, 0, 4, CV_EINVAL},
      {OP_ADD, 0, 0, -1, CV_EINVAL},
      {OP_PENDING, 0, 0, 0, 1},
      {OP_END, 0, 0, 0, 0}}},
    {"unknown partition and offset are rejected", 4,
     {{OP_ADD, 9, 0, 1, CV_ENOTFOUND},
      {OP_DONE, 9, 0, 1, CV_ENOTFOUND},
      {OP_COMMIT, 9, 0, 0, 0},
      {OP_ASSIGN, 9, 1, 0, 0},
      {OP_ADD, 9, 0, 1, CV_OK},
      {OP_DONE, 9, 1, 2, CV_ENOTFOUND},
      {OP_DONE, 9, 1, 1, CV_OK},
      {OP_DONE, 9, 1, 1, CV_ENOTFOUND},
      {OP_END, 0, 0, 0, 0}}},
    {"completion from an old assignment is ignored", 4,
     {{OP_ASSIGN, 0, 1, 0, 0},
      {OP_ADD, 0, 0, 20, CV_OK},
      {OP_REVOKE, 0, 0, 0, 0},
      {OP_DONE, 0, 1, 20, CV_ENOTFOUND},
      {OP_ASSIGN, 0, 2, 0, 0},
      {OP_ADD, 0, 0, 20, CV_OK},
      {OP_DONE, 0, 1, 20, CV_ENOTFOUND},
      {OP_COMMIT, 0, 0, 20, 1},
      {OP_DONE, 0, 2, 20, CV_OK},
      {OP_COMMIT, 0, 0, 21, 1},
      {OP_END, 0, 0, 0, 0}}},
    {"reassignment resets the commit position", 4,
     {{OP_ASSIGN, 4, 1, 0, 0},
      {OP_ADD, 4, 0, 50, CV_OK},
      {OP_DONE, 4, 1, 50, CV_OK},
      {OP_COMMIT, 4, 0, 51, 1},
      {OP_ASSIGN, 4, 2, 0, 0},
      {OP_COMMIT, 4, 0, 0, 0},
      {OP_ADD, 4, 0, 40, CV_OK},
      {OP_DONE, 4, 2, 40, CV_OK},
      {OP_COMMIT, 4, 0, 41, 1},
      {OP_END, 0, 0, 0, 0}}},
    {"partitions are independent", 4,
     {{OP_ASSIGN, 0, 1, 0, 0},
      {OP_ASSIGN, 1, 1, 0, 0},
      {OP_ADD, 0, 0, 1, CV_OK},
      {OP_ADD, 1, 0, 1, CV_OK},
      {OP_DONE, 1, 1, 1, CV_OK},
      {OP_COMMIT, 1, 0, 2, 1},
      {OP_COMMIT, 0, 0, 1, 1},
      {OP_REVOKE, 1, 0, 0, 0},
      {OP_PENDING, 0, 0, 0, 1},
      {OP_DONE, 0, 1, 1, CV_OK},
      {OP_COMMIT, 0, 0, 2, 1},
      {OP_END, 0, 0, 0, 0}}},
};

static void
run_case(const struct offsets_case *tc)
{
    struct wk_offsets *offsets;
    const struct op   *op;
    int64_t            position;
    int                has;
    size_t             step;
    int                rc;

    offsets = wk_offsets_new(tc->max_pending);
    assert_non_null(offsets);
    for (step = 0; tc->ops[step].kind != OP_END; step++) {
        op = &tc->ops[step];
        switch (op->kind) {
        case OP_ASSIGN:
            rc = wk_offsets_assign(offsets, op->partition, op->epoch);
            if (rc != CV_OK) {
                fail_msg("case \"%s\" step %zu: assign returned %d", tc->name, step, rc);
            }
            break;
        case OP_REVOKE:
            wk_offsets_revoke(offsets, op->partition);
            break;
        case OP_ADD:
            rc = wk_offsets_add(offsets, op->partition, op->offset);
            if (rc != op->expect) {
                fail_msg("case \"%s\" step %zu: add returned %d, expected %d", tc->name, step,
                         rc, op->expect);
            }
            break;
        case OP_DONE:
            rc = wk_offsets_done(offsets, op->partition, op->epoch, op->offset);
            if (rc != op->expect) {
                fail_msg("case \"%s\" step %zu: done returned %d, expected %d", tc->name,
                         step, rc, op->expect);
            }
            break;
        case OP_COMMIT:
            position = -7;
            has = wk_offsets_committable(offsets, op->partition, &position);
            if (has != op->expect || (has && position != op->offset)) {
                fail_msg("case \"%s\" step %zu: committable %d at %lld, expected %d at %lld",
                         tc->name, step, has, (long long)position, op->expect,
                         (long long)op->offset);
            }
            if (has) {
                wk_offsets_mark_committed(offsets, op->partition, position);
            }
            break;
        case OP_PENDING:
            if (wk_offsets_pending(offsets, op->partition) != (size_t)op->expect) {
                fail_msg("case \"%s\" step %zu: %zu pending, expected %d", tc->name, step,
                         wk_offsets_pending(offsets, op->partition), op->expect);
            }
            break;
        case OP_END:
            break;
        }
    }
    wk_offsets_free(offsets);
}

static void
test_offsets_cases(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i]);
    }
}

static void
test_offsets_zero_capacity(void **state)
{
    (void)state;
    assert_null(wk_offsets_new(0));
}

static void
test_offsets_oldest_and_list(void **state)
{
    struct wk_offsets *offsets;
    int32_t            parts[4];
    int64_t            oldest = -1;
    uint64_t           epoch = 0;

    (void)state;
    offsets = wk_offsets_new(8);
    assert_non_null(offsets);
    assert_int_equal(wk_offsets_oldest_pending(offsets, 0, &oldest), 0);
    assert_int_equal(wk_offsets_assign(offsets, 5, 3), CV_OK);
    assert_int_equal(wk_offsets_assign(offsets, 2, 3), CV_OK);
    assert_int_equal(wk_offsets_is_assigned(offsets, 5, &epoch), 1);
    assert_int_equal(epoch, 3);
    assert_int_equal(wk_offsets_is_assigned(offsets, 4, NULL), 0);
    assert_int_equal(wk_offsets_add(offsets, 5, 30), CV_OK);
    assert_int_equal(wk_offsets_add(offsets, 5, 31), CV_OK);
    assert_int_equal(wk_offsets_done(offsets, 5, 3, 30), CV_OK);
    assert_int_equal(wk_offsets_oldest_pending(offsets, 5, &oldest), 1);
    assert_int_equal(oldest, 31);
    assert_int_equal(wk_offsets_partitions(offsets, parts, 4), 2);
    assert_true((parts[0] == 5 && parts[1] == 2) || (parts[0] == 2 && parts[1] == 5));
    wk_offsets_free(offsets);
}

static void
test_offsets_partition_limit(void **state)
{
    struct wk_offsets *offsets;
    int32_t            i;

    (void)state;
    offsets = wk_offsets_new(1);
    assert_non_null(offsets);
    for (i = 0; i < WK_OFFSETS_PARTITIONS_MAX; i++) {
        assert_int_equal(wk_offsets_assign(offsets, i, 1), CV_OK);
    }
    assert_int_equal(wk_offsets_assign(offsets, WK_OFFSETS_PARTITIONS_MAX, 1), CV_ENOMEM);
    assert_int_equal(wk_offsets_assign(offsets, 0, 2), CV_OK);
    wk_offsets_free(offsets);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_cases),
        cmocka_unit_test(test_offsets_zero_capacity),
        cmocka_unit_test(test_offsets_oldest_and_list),
        cmocka_unit_test(test_offsets_partition_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
