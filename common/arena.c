/* Region allocator: a chain of blocks, bump allocation inside each. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

/* Large enough that a typical request fits in one block. */
#define ARENA_BLOCK_LEN ((size_t)16 * 1024)

struct cv_arena_block {
    struct cv_arena_block *next;
    size_t                 cap;   /* bytes usable in data */
    size_t                 off;   /* bytes used in data */
    alignas(max_align_t) unsigned char data[];
};

void
cv_arena_init(struct cv_arena *arena, size_t max_len)
{
    arena->head = NULL;
    arena->used_len = 0;
    arena->max_len = max_len;
}

void *
cv_arena_alloc(struct cv_arena *arena, size_t len)
{
    struct cv_arena_block *block;
    size_t                 aligned;
    size_t                 cap;
    void                  *out;

    if (len == 0) {
        len = 1;
    }
    if (len > SIZE_MAX - alignof(max_align_t)) {
        return NULL;
    }
    aligned = (len + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (aligned > arena->max_len || arena->used_len > arena->max_len - aligned) {
        return NULL;
    }

    block = arena->head;
    if (block == NULL || block->cap - block->off < aligned) {
        cap = aligned > ARENA_BLOCK_LEN ? aligned : ARENA_BLOCK_LEN;
        block = malloc(sizeof(*block) + cap);
        if (block == NULL) {
            return NULL;
        }
        block->cap = cap;
        block->off = 0;
        block->next = arena->head;
        arena->head = block;
    }

    out = block->data + block->off;
    block->off += aligned;
    arena->used_len += aligned;
    return out;
}

char *
cv_arena_strndup(struct cv_arena *arena, const char *str, size_t len)
{
    char *out;

    if (len == SIZE_MAX) {
        return NULL;
    }
    out = cv_arena_alloc(arena, len + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, str, len);
    out[len] = '\0';
    return out;
}

char *
cv_arena_strdup(struct cv_arena *arena, const char *str)
{
    return cv_arena_strndup(arena, str, strlen(str));
}

void
cv_arena_reset(struct cv_arena *arena)
{
    struct cv_arena_block *block;
    struct cv_arena_block *next;

    if (arena->head == NULL) {
        return;
    }

    /* Keep the oldest block: it is the one every request starts in. */
    block = arena->head;
    while (block->next != NULL) {
        next = block->next;
        free(block);
        block = next;
    }
    arena->used_len = 0;
    if (block->cap != ARENA_BLOCK_LEN) {
        /* An oversized block served one large request; do not keep it for all. */
        free(block);
        arena->head = NULL;
        return;
    }
    block->off = 0;
    arena->head = block;
}

void
cv_arena_cleanup(struct cv_arena *arena)
{
    struct cv_arena_block *block;
    struct cv_arena_block *next;

    for (block = arena->head; block != NULL; block = next) {
        next = block->next;
        free(block);
    }
    arena->head = NULL;
    arena->used_len = 0;
}
