/*
 * Region allocator for data that lives exactly as long as one request. Everything is
 * released by one cv_arena_reset() at the end of the request; there is no per-object
 * free. A maximum bounds the total so one request cannot exhaust the responder.
 */
#ifndef CV_ARENA_H
#define CV_ARENA_H

#include <stddef.h>

struct cv_arena_block;

struct cv_arena {
    struct cv_arena_block *head;      /* owned chain, newest first */
    size_t                 used_len;  /* bytes handed out since the last reset */
    size_t                 max_len;   /* bytes, the most used_len may reach */
};

/* Initialises an empty arena. Allocates nothing. */
void cv_arena_init(struct cv_arena *arena, size_t max_len);

/*
 * Returns len bytes aligned for any type, valid until the next reset or cleanup.
 * Returns NULL when max_len would be passed or malloc fails.
 */
void *cv_arena_alloc(struct cv_arena *arena, size_t len);

/* Returns a copy of len bytes of str plus a NUL, or NULL as cv_arena_alloc(). */
char *cv_arena_strndup(struct cv_arena *arena, const char *str, size_t len);

/* Returns a copy of a NUL-terminated string, or NULL as cv_arena_alloc(). */
char *cv_arena_strdup(struct cv_arena *arena, const char *str);

/* Releases everything handed out; keeps the first block for the next request. */
void cv_arena_reset(struct cv_arena *arena);

/* Releases all memory. The arena may be initialised again. */
void cv_arena_cleanup(struct cv_arena *arena);

#endif
