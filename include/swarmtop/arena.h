/*
 * arena.h: a bump allocator for short-lived, many-small-piece memory (one
 * decoded message, one frame). Reset frees everything at once and keeps the
 * first block, so steady state allocates nothing.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_ARENA_H
#define SWARMTOP_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
	ArenaBlock *head;     /* current block (newest first) */
	size_t block_size;    /* default size of new blocks */
	size_t used_total;    /* bytes handed out since the last reset */
} Arena;

/* Prepare an arena whose blocks are at least block_size bytes. */
void arena_init(Arena *a, size_t block_size);

/* Allocate n bytes aligned for any type; NULL only when malloc fails. */
void *arena_alloc(Arena *a, size_t n);

/* Copy n bytes of s into the arena and NUL-terminate them. */
char *arena_strndup(Arena *a, const char *s, size_t n);

/* Forget every allocation; keep one block for reuse. */
void arena_reset(Arena *a);

/* Free every block. */
void arena_free(Arena *a);

#endif
