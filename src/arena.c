/*
 * arena.c: the bump allocator. Blocks are chained newest first; a request
 * larger than the block size gets a block of its own.
 */
#include "swarmtop/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
	ArenaBlock *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

#define ARENA_ALIGN (alignof(max_align_t))

/* Prepare an arena whose blocks are at least block_size bytes. */
void arena_init(Arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 4096;
	a->used_total = 0;
}

/* Allocate n bytes aligned for any type; NULL only when malloc fails. */
void *arena_alloc(Arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	ArenaBlock *b = a->head;

	if (need < n)
		return NULL;
	if (b == NULL || b->size - b->used < need) {
		size_t size = need > a->block_size ? need : a->block_size;
		if (size > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used_total += need;
	return p;
}

/* Copy n bytes of s into the arena and NUL-terminate them. */
char *arena_strndup(Arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Forget every allocation; keep one block for reuse. */
void arena_reset(Arena *a)
{
	ArenaBlock *b = a->head, *keep = NULL;

	/* Keep the first block of the default size; free the rest. */
	while (b != NULL) {
		ArenaBlock *next = b->next;
		if (keep == NULL && b->size == a->block_size)
			keep = b;
		else
			free(b);
		b = next;
	}
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
	a->used_total = 0;
}

/* Free every block. */
void arena_free(Arena *a)
{
	ArenaBlock *b = a->head;
	while (b != NULL) {
		ArenaBlock *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used_total = 0;
}
