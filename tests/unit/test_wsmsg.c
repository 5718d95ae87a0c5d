/*
 * test_wsmsg.c: unit tests of wsmsg (WebSocket fragment reassembly): whole and
 * fragmented text messages, the cap exactly at and one byte over the limit (in one
 * fragment and across several), continuation without a start, a new start before the
 * final fragment, binary messages, empty messages and fragments, reuse after too-big,
 * reset, and the buffer bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/wsmsg.h"

#define F WSMSG_F_FIRST
#define L WSMSG_F_FINAL
#define B WSMSG_F_BINARY

/* Feed a NUL-terminated string as one fragment. */
static WsmsgResult feed(Wsmsg *r, const char *s, unsigned flags)
{
	return wsmsg_feed(r, s, strlen(s), flags);
}

/* The last delivered message equals want. */
static void assert_text(Wsmsg *r, const char *want)
{
	size_t n = 99;
	char *t = wsmsg_text(r, &n);
	assert_non_null(t);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(t, want, n);
	assert_int_equal(t[n], '\0');
}

/* One fragment that is first and final is a whole message. */
static void test_whole(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 100);
	assert_null(wsmsg_text(&r, NULL));
	assert_int_equal(feed(&r, "{\"a\":1}", F | L), WSMSG_TEXT);
	assert_text(&r, "{\"a\":1}");
	assert_int_equal(feed(&r, "second", F | L), WSMSG_TEXT);
	assert_text(&r, "second");
	assert_int_equal(r.st.texts, 2);
	wsmsg_free(&r);
}

/* Fragments join in order; the message is there only after the final one. */
static void test_fragments(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 100);
	assert_int_equal(feed(&r, "ab", F), WSMSG_MORE);
	assert_null(wsmsg_text(&r, NULL));
	assert_int_equal(feed(&r, "cd", 0), WSMSG_MORE);
	assert_int_equal(feed(&r, "", 0), WSMSG_MORE);
	assert_int_equal(feed(&r, "ef", L), WSMSG_TEXT);
	assert_text(&r, "abcdef");
	/* The binary flag on a continuation is ignored: the first fragment decides. */
	assert_int_equal(feed(&r, "x", F), WSMSG_MORE);
	assert_int_equal(feed(&r, "y", B | L), WSMSG_TEXT);
	assert_text(&r, "xy");
	/* Bytes are bytes: an embedded NUL is kept, the length says where it ends. */
	assert_int_equal(wsmsg_feed(&r, "a\0b", 3, F | L), WSMSG_TEXT);
	size_t n = 0;
	char *t = wsmsg_text(&r, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a\0b", 4);
	wsmsg_free(&r);
}

/* Exactly max bytes is accepted; max + 1 is too big, in one fragment or across several. */
static void test_cap(void **state)
{
	enum { MAX = 10000 };
	Wsmsg r;
	char *big = malloc(MAX + 1);
	(void)state;
	assert_non_null(big);
	memset(big, 'x', MAX + 1);
	wsmsg_init(&r, MAX);
	assert_int_equal(wsmsg_feed(&r, big, MAX, F | L), WSMSG_TEXT);
	assert_int_equal(r.len, MAX);
	assert_true(r.cap <= MAX + 1);
	assert_int_equal(wsmsg_feed(&r, big, MAX + 1, F | L), WSMSG_TOO_BIG);
	assert_null(r.buf); /* freed at once */
	assert_null(wsmsg_text(&r, NULL));
	/* Across fragments: MAX - 1 + 1 fits, MAX - 1 + 2 does not. */
	assert_int_equal(wsmsg_feed(&r, big, MAX - 1, F), WSMSG_MORE);
	assert_int_equal(wsmsg_feed(&r, big, 1, L), WSMSG_TEXT);
	assert_int_equal(r.len, MAX);
	assert_int_equal(wsmsg_feed(&r, big, MAX - 1, F), WSMSG_MORE);
	assert_int_equal(wsmsg_feed(&r, big, 2, 0), WSMSG_TOO_BIG);
	assert_int_equal(r.len, 0);
	assert_true(r.cap <= MAX + 1);
	assert_int_equal(r.st.too_big, 2);
	assert_int_equal(r.st.texts, 2);
	/* A cap of 0 takes only empty messages. */
	Wsmsg z;
	wsmsg_init(&z, 0);
	assert_int_equal(wsmsg_feed(&z, NULL, 0, F | L), WSMSG_TEXT);
	assert_text(&z, "");
	assert_int_equal(feed(&z, "a", F | L), WSMSG_TOO_BIG);
	assert_int_equal(z.cap, 0);
	wsmsg_free(&z);
	wsmsg_free(&r);
	free(big);
}

/* After too-big the rest of that message is dropped, then the next one works. */
static void test_reuse_after_too_big(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 4);
	assert_int_equal(feed(&r, "abc", F), WSMSG_MORE);
	assert_int_equal(feed(&r, "de", 0), WSMSG_TOO_BIG);
	assert_int_equal(feed(&r, "more", 0), WSMSG_MORE); /* dropped */
	assert_int_equal(feed(&r, "end", L), WSMSG_MORE);  /* dropped, ends the message */
	assert_null(wsmsg_text(&r, NULL));
	assert_int_equal(r.st.orphans, 0); /* skipped, not orphaned */
	assert_int_equal(feed(&r, "ok", F | L), WSMSG_TEXT);
	assert_text(&r, "ok");
	/* Too big on the final fragment: nothing to skip after it. */
	assert_int_equal(feed(&r, "toolong", F | L), WSMSG_TOO_BIG);
	assert_int_equal(feed(&r, "zz", F | L), WSMSG_TEXT);
	assert_text(&r, "zz");
	assert_int_equal(r.st.too_big, 2);
	wsmsg_free(&r);
}

/* A continuation with no message started is dropped and counted. */
static void test_orphan(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 100);
	assert_int_equal(feed(&r, "lost", 0), WSMSG_MORE);
	assert_int_equal(feed(&r, "lost", L), WSMSG_MORE);
	assert_null(wsmsg_text(&r, NULL));
	assert_int_equal(r.st.orphans, 2);
	/* And after a complete message, a stray final is an orphan too. */
	assert_int_equal(feed(&r, "a", F | L), WSMSG_TEXT);
	assert_int_equal(feed(&r, "b", L), WSMSG_MORE);
	assert_null(wsmsg_text(&r, NULL));
	assert_int_equal(r.st.orphans, 3);
	assert_int_equal(feed(&r, "c", F | L), WSMSG_TEXT);
	assert_text(&r, "c");
	wsmsg_free(&r);
}

/* A first fragment while a text message is open abandons the open one. */
static void test_new_start_before_final(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 100);
	assert_int_equal(feed(&r, "old", F), WSMSG_MORE);
	assert_int_equal(feed(&r, "new", F), WSMSG_MORE);
	assert_int_equal(feed(&r, "er", L), WSMSG_TEXT);
	assert_text(&r, "newer");
	assert_int_equal(r.st.abandoned, 1);
	/* A binary start abandons it too. */
	assert_int_equal(feed(&r, "old", F), WSMSG_MORE);
	assert_int_equal(feed(&r, "bin", F | B | L), WSMSG_BINARY);
	assert_int_equal(r.st.abandoned, 2);
	assert_int_equal(feed(&r, "tail", L), WSMSG_MORE); /* orphan: the old one is gone */
	assert_int_equal(r.st.orphans, 1);
	wsmsg_free(&r);
}

/* Binary messages are ignored and counted once; their continuations are dropped. */
static void test_binary(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 4);
	assert_int_equal(feed(&r, "\x01\x02", F | B | L), WSMSG_BINARY);
	assert_null(wsmsg_text(&r, NULL));
	/* A fragmented binary message larger than the cap: one BINARY, no TOO_BIG. */
	assert_int_equal(feed(&r, "1234", F | B), WSMSG_BINARY);
	assert_int_equal(feed(&r, "5678", 0), WSMSG_MORE);
	assert_int_equal(feed(&r, "9", B | L), WSMSG_MORE);
	assert_int_equal(r.st.binary, 2);
	assert_int_equal(r.st.too_big, 0);
	assert_int_equal(r.st.orphans, 0);
	assert_null(r.buf); /* nothing was buffered */
	assert_int_equal(feed(&r, "t", F | L), WSMSG_TEXT);
	assert_text(&r, "t");
	wsmsg_free(&r);
}

/* Empty messages and empty fragments: delivered as "" with length 0. */
static void test_empty(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, 100);
	assert_int_equal(wsmsg_feed(&r, NULL, 0, F | L), WSMSG_TEXT);
	assert_text(&r, "");
	assert_int_equal(wsmsg_feed(&r, NULL, 0, F), WSMSG_MORE);
	assert_int_equal(wsmsg_feed(&r, NULL, 0, 0), WSMSG_MORE);
	assert_int_equal(wsmsg_feed(&r, NULL, 0, L), WSMSG_TEXT);
	assert_text(&r, "");
	assert_int_equal(r.st.texts, 2);
	wsmsg_free(&r);
}

/* Reset drops a partial message (a new connection) and frees a large buffer. */
static void test_reset(void **state)
{
	Wsmsg r;
	size_t big = WSMSG_KEEP_MAX * 2;
	char *b = calloc(1, big);
	(void)state;
	assert_non_null(b);
	wsmsg_init(&r, big);
	assert_int_equal(feed(&r, "half", F), WSMSG_MORE);
	wsmsg_reset(&r);
	assert_int_equal(feed(&r, "rest", L), WSMSG_MORE); /* orphan after the reset */
	assert_int_equal(r.st.orphans, 1);
	assert_int_equal(feed(&r, "small", F | L), WSMSG_TEXT);
	wsmsg_reset(&r);
	assert_null(wsmsg_text(&r, NULL));
	assert_non_null(r.buf); /* a small buffer is kept for the next message */
	assert_int_equal(wsmsg_feed(&r, b, big, F | L), WSMSG_TEXT);
	assert_true(r.cap > WSMSG_KEEP_MAX && r.cap <= big + 1);
	/* The next fragment (or a reset) lets the big buffer go. */
	assert_int_equal(feed(&r, "x", F), WSMSG_MORE);
	assert_true(r.cap <= WSMSG_KEEP_MAX);
	wsmsg_reset(&r);
	wsmsg_free(&r);
	assert_null(r.buf);
	free(b);
}

/* A huge max is clamped so max + 1 cannot overflow. */
static void test_huge_max(void **state)
{
	Wsmsg r;
	(void)state;
	wsmsg_init(&r, SIZE_MAX);
	assert_int_equal(r.max, WSMSG_MAX_CAP);
	assert_int_equal(feed(&r, "a", F), WSMSG_MORE);
	assert_int_equal(wsmsg_feed(&r, "b", SIZE_MAX, L), WSMSG_TOO_BIG);
	wsmsg_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whole),
	        cmocka_unit_test(test_fragments),
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_reuse_after_too_big),
	        cmocka_unit_test(test_orphan),
	        cmocka_unit_test(test_new_start_before_final),
	        cmocka_unit_test(test_binary),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_reset),
	        cmocka_unit_test(test_huge_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
