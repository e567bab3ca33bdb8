/*
 * Per-partition tracking of consumed Kafka offsets whose jobs are still running, so
 * the consumer commits only up to the lowest offset that is not finished yet: a crash
 * then redelivers every unfinished message and no finished one is skipped twice.
 * Pure bookkeeping with no Kafka or thread calls; the consumer thread alone uses it.
 */
#ifndef WK_OFFSETS_H
#define WK_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Maximum number of partitions one consumer tracks at once. */
#define WK_OFFSETS_PARTITIONS_MAX 1024

struct wk_offsets;

/*
 * Allocates a tracker with room for max_pending unfinished offsets per partition. The
 * pool's capacity bounds how many can be unfinished. Returns NULL on ENOMEM or
 * when max_pending is 0. Free it with wk_offsets_free().
 */
struct wk_offsets *wk_offsets_new(size_t max_pending);

/* Frees the tracker. NULL is a no-op. */
void wk_offsets_free(struct wk_offsets *offsets);

/*
 * Starts tracking partition under a new epoch, dropping whatever an earlier
 * assignment left. Completions carrying another epoch are ignored from then on, so a
 * job that finishes after its partition moved away and came back cannot mark the new
 * assignment's message done. Returns CV_ENOMEM when WK_OFFSETS_PARTITIONS_MAX
 * partitions are tracked already.
 */
enum cv_err wk_offsets_assign(struct wk_offsets *offsets, int32_t partition, uint64_t epoch);

/* Stops tracking partition. Unknown partitions are a no-op. */
void wk_offsets_revoke(struct wk_offsets *offsets, int32_t partition);

/* Returns 1 when partition is tracked, and its epoch in *epoch when epoch is not NULL. */
int wk_offsets_is_assigned(const struct wk_offsets *offsets, int32_t partition,
                           uint64_t *epoch);

/*
 * Records that the message at offset was consumed and its work started. Offsets of a
 * partition must be added in increasing order (gaps are fine: compaction and
 * transaction markers leave them). Returns CV_ENOTFOUND for an untracked partition,
 * CV_EINVAL for an offset not above the last one added, CV_ENOMEM when max_pending
 * offsets are unfinished already. Nothing changes on failure.
 */
enum cv_err wk_offsets_add(struct wk_offsets *offsets, int32_t partition, int64_t offset);

/*
 * Marks the message at offset finished. Returns CV_ENOTFOUND when the partition is
 * not tracked, epoch is not the current one, or offset is not pending; nothing changes
 * then.
 */
enum cv_err wk_offsets_done(struct wk_offsets *offsets, int32_t partition, uint64_t epoch,
                            int64_t offset);

/*
 * Stores in *next the offset to commit for partition: the lowest unfinished offset,
 * or one past the highest finished offset when none is unfinished. Returns 1 when
 * that position is ahead of the last one marked committed, 0 when there is nothing
 * new to commit or the partition is not tracked.
 */
int wk_offsets_committable(const struct wk_offsets *offsets, int32_t partition,
                           int64_t *next);

/* Records that *next from wk_offsets_committable() was committed. */
void wk_offsets_mark_committed(struct wk_offsets *offsets, int32_t partition, int64_t next);

/* Returns the number of unfinished offsets of partition; 0 when it is not tracked. */
size_t wk_offsets_pending(const struct wk_offsets *offsets, int32_t partition);

/*
 * Stores the lowest unfinished offset of partition in *offset and returns 1. Returns 0
 * and leaves *offset unchanged when there is none or the partition is not tracked.
 */
int wk_offsets_oldest_pending(const struct wk_offsets *offsets, int32_t partition,
                              int64_t *offset);

/* Returns the number of tracked partitions and writes up to max of them to out. */
size_t wk_offsets_partitions(const struct wk_offsets *offsets, int32_t *out, size_t max);

#endif
