/*
 * test_strmap.c: unit tests of strmap: insert/overwrite/get, binary keys,
 * growth past the 70 % load limit, forced collisions, clear and reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/strmap.h"

/* FNV-1a matches its published test vectors. */
static void test_hash_vectors(void **state)
{
	(void)state;
	assert_int_equal(strmap_hash("", 0), 0x811c9dc5u);
	assert_int_equal(strmap_hash("a", 1), 0xe40c292cu);
	assert_int_equal(strmap_hash("foobar", 6), 0xbf9cf968u);
}

/* Get on an empty map, put, overwrite, and keys that differ only by length. */
static void test_basic(void **state)
{
	StrMap m;
	(void)state;
	strmap_init(&m);
	assert_int_equal(strmap_get(&m, "x", 1), -1);
	assert_int_equal(strmap_put(&m, "alpha", 5, 1), 0);
	assert_int_equal(strmap_put(&m, "alp", 3, 2), 0);
	assert_int_equal(strmap_get(&m, "alpha", 5), 1);
	assert_int_equal(strmap_get(&m, "alp", 3), 2);
	assert_int_equal(strmap_get(&m, "alph", 4), -1);
	assert_int_equal(strmap_put(&m, "alpha", 5, 7), 0);
	assert_int_equal(strmap_get(&m, "alpha", 5), 7);
	assert_int_equal(m.count, 2);
	/* Keys are bytes: embedded NUL and \x1f separators are part of them. */
	assert_int_equal(strmap_put(&m, "a\0b", 3, 9), 0);
	assert_int_equal(strmap_get(&m, "a\0b", 3), 9);
	assert_int_equal(strmap_get(&m, "a\0c", 3), -1);
	/* The key is copied: changing the caller's buffer changes nothing. */
	char buf[8] = "key";
	assert_int_equal(strmap_put(&m, buf, 3, 5), 0);
	buf[0] = 'X';
	assert_int_equal(strmap_get(&m, "key", 3), 5);
	assert_int_equal(strmap_get(&m, buf, 3), -1);
	strmap_free(&m);
	assert_null(m.slots);
}

/* Growth keeps load at or below 70 % and every key findable. */
static void test_growth(void **state)
{
	StrMap m;
	char k[32];
	(void)state;
	strmap_init(&m);
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(k, sizeof k, "task-%d", i);
		assert_int_equal(strmap_put(&m, k, (size_t)n, i), 0);
		assert_true(m.count * 10 <= m.cap * 7);
		assert_int_equal(m.cap & (m.cap - 1), 0);
	}
	assert_int_equal(m.count, 50000);
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(k, sizeof k, "task-%d", i);
		assert_int_equal(strmap_get(&m, k, (size_t)n), i);
	}
	assert_int_equal(strmap_get(&m, "task-50000", 10), -1);
	strmap_free(&m);
}

/* Many keys with the same home slot still resolve (linear probing wraps around). */
static void test_collisions(void **state)
{
	StrMap m;
	char keys[200][16];
	int nk = 0;
	(void)state;
	strmap_init(&m);
	strmap_put(&m, "seed", 4, 0); /* cap 16 */
	size_t mask = 15;
	/* Find keys whose hash lands on the last slot, so probing must wrap. */
	for (int i = 0; nk < 8 && i < 100000; i++) {
		int n = snprintf(keys[nk], sizeof keys[nk], "c%d", i);
		if ((strmap_hash(keys[nk], (size_t)n) & mask) == mask)
			nk++;
	}
	assert_int_equal(nk, 8);
	for (int i = 0; i < nk; i++)
		assert_int_equal(strmap_put(&m, keys[i], strlen(keys[i]), 100 + i), 0);
	for (int i = 0; i < nk; i++)
		assert_int_equal(strmap_get(&m, keys[i], strlen(keys[i])), 100 + i);
	assert_int_equal(strmap_get(&m, "seed", 4), 0);
	strmap_free(&m);
}

/* Clear removes every key but keeps the slots for reuse. */
static void test_clear(void **state)
{
	StrMap m;
	(void)state;
	strmap_init(&m);
	strmap_clear(&m); /* on an empty map: nothing happens */
	for (int i = 0; i < 100; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "%d", i);
		strmap_put(&m, k, (size_t)n, i);
	}
	size_t cap = m.cap;
	strmap_clear(&m);
	assert_int_equal(m.count, 0);
	assert_int_equal(m.cap, cap);
	assert_int_equal(strmap_get(&m, "5", 1), -1);
	assert_int_equal(strmap_put(&m, "5", 1, 55), 0);
	assert_int_equal(strmap_get(&m, "5", 1), 55);
	strmap_free(&m);
	strmap_free(&m); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors), cmocka_unit_test(test_basic),
		cmocka_unit_test(test_growth),       cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
