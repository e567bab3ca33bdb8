/*
 * Offset tracking. Every added offset is either unfinished or finished, and offsets
 * are added in increasing order. So the sorted unfinished ones and the last offset
 * added are enough to know the commit position. It is the lowest unfinished offset,
 * or the last added plus one when all are finished. Memory stays bounded by the
 * pool's capacity however long one slow job holds back the finished ones behind it.
 */
#include <stdlib.h>
#include <string.h>

#include "worker/offsets.h"

struct part {
    int32_t  partition;
    uint64_t epoch;
    int64_t *pending;      /* owned, sorted ascending, pending_count used */
    size_t   pending_count;
    int64_t  last_added;   /* -1 = nothing added in this assignment */
    int64_t  committed;    /* -1 = nothing committed in this assignment */
};

struct wk_offsets {
    struct part *parts;        /* owned, part_count used */
    size_t       part_count;
    size_t       part_cap;
    size_t       max_pending;
};

struct wk_offsets *
wk_offsets_new(size_t max_pending)
{
    struct wk_offsets *offsets;

    if (max_pending == 0) {
        return NULL;
    }
    offsets = calloc(1, sizeof(*offsets));
    if (offsets == NULL) {
        return NULL;
    }
    offsets->max_pending = max_pending;
    return offsets;
}

void
wk_offsets_free(struct wk_offsets *offsets)
{
    size_t i;

    if (offsets == NULL) {
        return;
    }
    for (i = 0; i < offsets->part_count; i++) {
        free(offsets->parts[i].pending);
    }
    free(offsets->parts);
    free(offsets);
}

static struct part *
find_part(const struct wk_offsets *offsets, int32_t partition)
{
    size_t i;

    for (i = 0; i < offsets->part_count; i++) {
        if (offsets->parts[i].partition == partition) {
            return &offsets->parts[i];
        }
    }
    return NULL;
}

enum cv_err
wk_offsets_assign(struct wk_offsets *offsets, int32_t partition, uint64_t epoch)
{
    struct part *part;
    struct part *grown;
    size_t       cap;

    part = find_part(offsets, partition);
    if (part == NULL) {
        if (offsets->part_count == WK_OFFSETS_PARTITIONS_MAX) {
            return CV_ENOMEM;
        }
        if (offsets->part_count == offsets->part_cap) {
            cap = offsets->part_cap == 0 ? 8 : offsets->part_cap * 2;
            grown = realloc(offsets->parts, cap * sizeof(*grown));
            if (grown == NULL) {
                return CV_ENOMEM;
            }
            offsets->parts = grown;
            offsets->part_cap = cap;
        }
        part = &offsets->parts[offsets->part_count];
        memset(part, 0, sizeof(*part));
        part->pending = calloc(offsets->max_pending, sizeof(*part->pending));
        if (part->pending == NULL) {
            return CV_ENOMEM;
        }
        part->partition = partition;
        offsets->part_count++;
    }
    part->epoch = epoch;
    part->pending_count = 0;
    part->last_added = -1;
    part->committed = -1;
    return CV_OK;
}

void
wk_offsets_revoke(struct wk_offsets *offsets, int32_t partition)
{
    struct part *part;
    size_t       index;

    part = find_part(offsets, partition);
    if (part == NULL) {
        return;
    }
    free(part->pending);
    index = (size_t)(part - offsets->parts);
    offsets->part_count--;
    if (index != offsets->part_count) {
        offsets->parts[index] = offsets->parts[offsets->part_count];
    }
}

int
wk_offsets_is_assigned(const struct wk_offsets *offsets, int32_t partition, uint64_t *epoch)
{
    const struct part *part = find_part(offsets, partition);

    if (part == NULL) {
        return 0;
    }
    if (epoch != NULL) {
        *epoch = part->epoch;
    }
    return 1;
}

enum cv_err
wk_offsets_add(struct wk_offsets *offsets, int32_t partition, int64_t offset)
{
    struct part *part = find_part(offsets, partition);

    if (part == NULL) {
        return CV_ENOTFOUND;
    }
    if (offset < 0 || offset <= part->last_added) {
        return CV_EINVAL;
    }
    if (part->pending_count == offsets->max_pending) {
        return CV_ENOMEM;
    }
    part->pending[part->pending_count++] = offset;
    part->last_added = offset;
    return CV_OK;
}

enum cv_err
wk_offsets_done(struct wk_offsets *offsets, int32_t partition, uint64_t epoch, int64_t offset)
{
    struct part *part = find_part(offsets, partition);
    size_t       lo;
    size_t       hi;
    size_t       mid;

    if (part == NULL || part->epoch != epoch) {
        return CV_ENOTFOUND;
    }
    lo = 0;
    hi = part->pending_count;
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (part->pending[mid] < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == part->pending_count || part->pending[lo] != offset) {
        return CV_ENOTFOUND;
    }
    memmove(&part->pending[lo], &part->pending[lo + 1],
            (part->pending_count - lo - 1) * sizeof(*part->pending));
    part->pending_count--;
    return CV_OK;
}

int
wk_offsets_committable(const struct wk_offsets *offsets, int32_t partition, int64_t *next)
{
    const struct part *part = find_part(offsets, partition);
    int64_t            position;

    if (part == NULL || part->last_added < 0) {
        return 0;
    }
    position = part->pending_count > 0 ? part->pending[0] : part->last_added + 1;
    if (position <= part->committed) {
        return 0;
    }
    *next = position;
    return 1;
}

void
wk_offsets_mark_committed(struct wk_offsets *offsets, int32_t partition, int64_t next)
{
    struct part *part = find_part(offsets, partition);

    if (part != NULL && next > part->committed) {
        part->committed = next;
    }
}

size_t
wk_offsets_pending(const struct wk_offsets *offsets, int32_t partition)
{
    const struct part *part = find_part(offsets, partition);

    return part != NULL ? part->pending_count : 0;
}

int
wk_offsets_oldest_pending(const struct wk_offsets *offsets, int32_t partition,
                          int64_t *offset)
{
    const struct part *part = find_part(offsets, partition);

    if (part == NULL || part->pending_count == 0) {
        return 0;
    }
    *offset = part->pending[0];
    return 1;
}

size_t
wk_offsets_partitions(const struct wk_offsets *offsets, int32_t *out, size_t max)
{
    size_t i;

    for (i = 0; i < offsets->part_count && i < max; i++) {
        out[i] = offsets->parts[i].partition;
    }
    return offsets->part_count;
}
