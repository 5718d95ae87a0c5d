/*
 * strmap.c: the open-addressing hash map behind the model's id lookups.
 * Linear probing over a power-of-two slot array, FNV-1a hashes cached in the
 * slots, growth to double size at 70 % load. Keys are copied on insert.
 *
 * Pure: no I/O, no clock. Must not print or abort: out of memory is a return value.
 */
#include "swarmtop/strmap.h"

#include <stdlib.h>
#include <string.h>

#define STRMAP_MIN_CAP 16

/* FNV-1a hash of len bytes (exposed for tests and other tables). */
uint32_t strmap_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

/* Prepare an empty map. */
void strmap_init(StrMap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

/* Free the keys and slots. */
void strmap_free(StrMap *m)
{
	strmap_clear(m);
	free(m->slots);
	strmap_init(m);
}

/* Remove every key, keeping the slot array. */
void strmap_clear(StrMap *m)
{
	for (size_t i = 0; i < m->cap && m->count > 0; i++) {
		if (m->slots[i].key != NULL) {
			free(m->slots[i].key);
			m->slots[i].key = NULL;
			m->count--;
		}
	}
	m->count = 0;
}

/* The slot holding key, or the empty slot where it would go. cap must be > 0. */
static StrMapSlot *strmap_probe(const StrMapSlot *slots, size_t cap, const char *key,
                                size_t klen, uint32_t h)
{
	size_t mask = cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const StrMapSlot *s = &slots[i];
		if (s->key == NULL)
			return (StrMapSlot *)(uintptr_t)s;
		if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
			return (StrMapSlot *)(uintptr_t)s;
	}
}

/* Value for key, or -1. */
int strmap_get(const StrMap *m, const char *key, size_t klen)
{
	if (m->count == 0)
		return -1;
	const StrMapSlot *s = strmap_probe(m->slots, m->cap, key, klen, strmap_hash(key, klen));
	return s->key != NULL ? s->value : -1;
}

/* Move every key into a slot array of newcap slots. Returns 0 or -1. */
static int strmap_grow(StrMap *m, size_t newcap)
{
	StrMapSlot *ns = calloc(newcap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		StrMapSlot *o = &m->slots[i];
		if (o->key != NULL)
			*strmap_probe(ns, newcap, o->key, o->klen, o->hash) = *o;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = newcap;
	return 0;
}

/* Set key to value (insert or overwrite). Returns 0, or -1 when out of memory. */
int strmap_put(StrMap *m, const char *key, size_t klen, int value)
{
	uint32_t h = strmap_hash(key, klen);

	if (m->cap > 0) {
		StrMapSlot *s = strmap_probe(m->slots, m->cap, key, klen, h);
		if (s->key != NULL) {
			s->value = value;
			return 0;
		}
	}
	/* A new key: keep the load at or under 70 % after inserting it. */
	if ((m->count + 1) * 10 > m->cap * 7) {
		size_t nc = m->cap ? m->cap * 2 : STRMAP_MIN_CAP;
		if (nc < m->cap || strmap_grow(m, nc) != 0)
			return -1;
	}
	char *k = malloc(klen + 1);
	if (k == NULL)
		return -1;
	memcpy(k, key, klen);
	k[klen] = '\0';
	StrMapSlot *s = strmap_probe(m->slots, m->cap, key, klen, h);
	s->key = k;
	s->klen = klen;
	s->hash = h;
	s->value = value;
	m->count++;
	return 0;
}
