/*
 * strmap.h: an open-addressing hash map from byte-string keys to int values
 * (indexes into the owner's arrays). Keys are copied. Deletion is not needed
 * by the model (it rebuilds on snapshot), so there is none: clear rebuilds.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_STRMAP_H
#define SWARMTOP_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct StrMapSlot {
	char *key;        /* NULL: empty */
	size_t klen;
	uint32_t hash;
	int value;
} StrMapSlot;

typedef struct StrMap {
	StrMapSlot *slots;
	size_t cap;       /* power of two */
	size_t count;
} StrMap;

/* Prepare an empty map. */
void strmap_init(StrMap *m);

/* Free the keys and slots. */
void strmap_free(StrMap *m);

/* Remove every key, keeping the slot array. */
void strmap_clear(StrMap *m);

/* Value for key, or -1. */
int strmap_get(const StrMap *m, const char *key, size_t klen);

/* Set key to value (insert or overwrite). Returns 0, or -1 when out of memory. */
int strmap_put(StrMap *m, const char *key, size_t klen, int value);

/* FNV-1a hash of len bytes (exposed for tests and other tables). */
uint32_t strmap_hash(const char *key, size_t len);

#endif
