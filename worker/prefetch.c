/*
 * The prefetch queue as a ring of task copies, and the watermark rule of the intake.
 * Tasks are plain values, so dropping one frees nothing.
 */
#include <stdlib.h>

#include "worker/prefetch.h"

struct wk_prefetch {
    struct wk_task *tasks;      /* owned ring of capacity entries (one when capacity is 0) */
    size_t          capacity;
    size_t          head;       /* index of the oldest task */
    size_t          count;
};

size_t
wk_prefetch_capacity_of(const struct cv_config *cfg)
{
    if (cfg->consumer_prefetch < 0) {
        return (size_t)cfg->consumer_max_concurrency * WK_PREFETCH_PER_THREAD;
    }
    return (size_t)cfg->consumer_prefetch;
}

struct wk_prefetch *
wk_prefetch_new(size_t capacity)
{
    struct wk_prefetch *prefetch;

    prefetch = calloc(1, sizeof(*prefetch));
    if (prefetch == NULL) {
        return NULL;
    }
    prefetch->tasks = calloc(capacity > 0 ? capacity : 1, sizeof(*prefetch->tasks));
    if (prefetch->tasks == NULL) {
        free(prefetch);
        return NULL;
    }
    prefetch->capacity = capacity;
    return prefetch;
}

void
wk_prefetch_free(struct wk_prefetch *prefetch)
{
    if (prefetch == NULL) {
        return;
    }
    free(prefetch->tasks);
    free(prefetch);
}

size_t
wk_prefetch_count(const struct wk_prefetch *prefetch)
{
    return prefetch->count;
}

size_t
wk_prefetch_capacity(const struct wk_prefetch *prefetch)
{
    return prefetch->capacity;
}

/* Returns the ring index of the i-th oldest task. */
static size_t
slot_of(const struct wk_prefetch *prefetch, size_t i)
{
    return (prefetch->head + i) % prefetch->capacity;
}

enum cv_err
wk_prefetch_push(struct wk_prefetch *prefetch, const struct wk_task *task)
{
    if (prefetch->count == prefetch->capacity) {
        return CV_EUNAVAIL;
    }
    prefetch->tasks[slot_of(prefetch, prefetch->count)] = *task;
    prefetch->count++;
    return CV_OK;
}

const struct wk_task *
wk_prefetch_peek(const struct wk_prefetch *prefetch)
{
    if (prefetch->count == 0) {
        return NULL;
    }
    return &prefetch->tasks[prefetch->head];
}

void
wk_prefetch_pop(struct wk_prefetch *prefetch)
{
    if (prefetch->count == 0) {
        return;
    }
    prefetch->head = (prefetch->head + 1) % prefetch->capacity;
    prefetch->count--;
}

size_t
wk_prefetch_drop_partition(struct wk_prefetch *prefetch, int32_t partition)
{
    size_t kept = 0;
    size_t i;

    /* Compact in place from the oldest end, so the kept tasks keep their order. */
    for (i = 0; i < prefetch->count; i++) {
        if (prefetch->tasks[slot_of(prefetch, i)].partition == partition) {
            continue;
        }
        if (kept != i) {
            prefetch->tasks[slot_of(prefetch, kept)] = prefetch->tasks[slot_of(prefetch, i)];
        }
        kept++;
    }
    i = prefetch->count - kept;
    prefetch->count = kept;
    return i;
}

size_t
wk_prefetch_clear(struct wk_prefetch *prefetch)
{
    size_t count = prefetch->count;

    prefetch->head = 0;
    prefetch->count = 0;
    return count;
}

int64_t
wk_prefetch_oldest_ts(const struct wk_prefetch *prefetch, int32_t partition)
{
    const struct wk_task *task;
    int64_t               oldest = -1;
    size_t                i;

    for (i = 0; i < prefetch->count; i++) {
        task = &prefetch->tasks[slot_of(prefetch, i)];
        if (task->partition == partition && task->message_ts_ms >= 0 &&
            (oldest < 0 || task->message_ts_ms < oldest)) {
            oldest = task->message_ts_ms;
        }
    }
    return oldest;
}

struct wk_prefetch_marks
wk_prefetch_marks_of(size_t pool_size, size_t capacity)
{
    struct wk_prefetch_marks marks;
    size_t                   gap = capacity / 4;

    marks.pause_at = pool_size + capacity;
    marks.resume_at = marks.pause_at - (gap > 0 ? gap : 1);
    return marks;
}

int
wk_prefetch_is_over(const struct wk_prefetch_marks *marks, size_t held, int was_over)
{
    if (held >= marks->pause_at) {
        return 1;
    }
    return was_over && held > marks->resume_at;
}
