/*
 * test_sanitize.c: terminal safety of untrusted text. Every file of the
 * escape corpus (tests/fixtures/escapes) must come out with no control byte,
 * no C1 code point, no bidi or zero-width character and valid UTF-8, and the
 * known cases must come out exactly as expected. Also display widths (CJK,
 * emoji, combining) and truncation at column and buffer boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <cmocka.h>

#include "swarmtop/sanitize.h"
#include "testutil.h"

/* Assert that s (n bytes) is terminal-safe: the invariant sanitize_text promises. */
static void assert_safe(const char *name, const char *s, size_t n, bool keep_nl)
{
	static const char *const banned[] = {
		"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",
		"\xe2\x80\x8e", "\xe2\x80\x8f", "\xd8\x9c",
		"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0", "\xef\xbb\xbf",
		"\xe2\x80\xa8", "\xe2\x80\xa9",
	};
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		if ((u[i] < 0x20 && !(keep_nl && u[i] == '\n')) || u[i] == 0x7f)
			fail_msg("%s: control byte 0x%02x at %zu", name, u[i], i);
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			fail_msg("%s: encoded C1 U+00%02X at %zu", name, u[i + 1], i);
	}
	for (size_t b = 0; b < sizeof(banned) / sizeof(banned[0]); b++)
		if (memmem(s, n, banned[b], strlen(banned[b])) != NULL)
			fail_msg("%s: banned sequence %zu survived", name, b);
	/* Valid UTF-8 throughout: every invalid byte became U+FFFD. */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int k = sanitize_utf8_decode(s + i, n - i, &cp);
		if (k == 1 && cp == 0xFFFD)
			fail_msg("%s: invalid UTF-8 at %zu", name, i);
		if (cp >= 0x80 && cp <= 0x9f)
			fail_msg("%s: C1 at %zu", name, i);
		i += (size_t)k;
	}
	assert_int_equal(strlen(s), n);
}

/* Sanitize a NUL-terminated string with no width limit; returns a static buffer. */
static const char *san(const char *in, unsigned flags)
{
	static char out[4096];
	size_t n;
	sanitize_text(in, strlen(in), out, sizeof(out), -1, flags, &n);
	assert_int_equal(strlen(out), n);
	return out;
}

typedef struct Expect {
	const char *file, *want;
} Expect;

static const Expect expected[] = {
	{ "csi_colour.bin", "ok RED done" },
	{ "csi_cursor.bin", "ab" },
	{ "csi_21t.bin", "title?end" },
	{ "osc0_title.bin", "xy" },
	{ "osc2_title_st.bin", "xy" },
	{ "osc8_link.bin", "click me" },
	{ "osc52_clipboard.bin", "copy!" },
	{ "dcs.bin", "ab" },
	{ "apc.bin", "ab" },
	{ "pm_sos.bin", "ab" },
	{ "c1_raw.bin",
	  "a\xef\xbf\xbd" "31mb\xef\xbf\xbd" "0;tc\xef\xbf\xbdx\xef\xbf\xbd" "d\xef\xbf\xbd" "e" },
	{ "c1_utf8.bin", "abcde" },
	{ "bel.bin", "dingdong" },
	{ "bs.bin", "safeevil" },
	{ "cr_overwrite.bin", "rm -rf /ls -la   " },
	{ "bidi_rlo.bin", "invoicetxt.exe" },
	{ "bidi_isolates.bin", "abc" },
	{ "zero_width.bin", "password" },
	{ "esc_at_end.bin", "trailing" },
	{ "unterminated_osc.bin", "before" },
	{ "nul_del.bin", "abc" },
	{ "tabs_newlines.bin", "a b c d" },
	{ "esc_two_byte.bin", "abcde" },
	{ "line_separators.bin", "a b c" },
	{ "tags.bin", "ab" },
};

/* Each escape corpus file sanitizes to exactly the expected visible text. */
static void test_corpus_expected(void **state)
{
	char out[1024];
	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		size_t len, n;
		char *in = test_fixture("escapes", expected[i].file, &len);
		sanitize_text(in, len, out, sizeof(out), -1, 0, &n);
		if (strcmp(out, expected[i].want) != 0)
			fail_msg("%s: got \"%s\"", expected[i].file, out);
		assert_safe(expected[i].file, out, n, false);
		free(in);
	}
}

/* Every corpus file, every flag and width: output is terminal-safe and a fixed point. */
static void test_corpus_invariants(void **state)
{
	char path[512], out[1024];
	DIR *d;
	struct dirent *e;
	int files = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/escapes", FIXTURES);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len, n;
		char *in;
		if (e->d_name[0] == '.')
			continue;
		in = test_fixture("escapes", e->d_name, &len);
		for (unsigned flags = 0; flags < 4; flags++) {
			for (int cols = -1; cols < 12; cols++) {
				int w = sanitize_text(in, len, out, sizeof(out), cols, flags, &n);
				assert_safe(e->d_name, out, n, flags & SANITIZE_KEEP_NEWLINES);
				assert_true(cols < 0 || w <= cols);
				if (flags & SANITIZE_ASCII)
					for (size_t i = 0; i < n; i++)
						assert_true((unsigned char)out[i] < 0x80);
				/* Output is a fixed point: clean, unchanged by a second pass. */
				if (!(flags & SANITIZE_KEEP_NEWLINES)) {
					char again[1024];
					size_t m;
					assert_true(sanitize_is_clean(out, n));
					sanitize_text(out, n, again, sizeof(again), -1, flags, &m);
					assert_int_equal(m, n);
					assert_memory_equal(again, out, n);
					assert_int_equal(sanitize_width(out), w);
				}
			}
		}
		/* The raw input is never "clean" (each file carries something hostile). */
		assert_false(sanitize_is_clean(in, len));
		free(in);
		files++;
	}
	closedir(d);
	assert_true(files >= 20);
}

/* The payloads of swallowed sequences (titles, URLs, clipboard data) never appear. */
static void test_payloads_gone(void **state)
{
	static const struct {
		const char *file, *payload;
	} cases[] = {
		{ "osc0_title.bin", "pwned" }, { "osc2_title_st.bin", "pwned" },
		{ "osc8_link.bin", "evil.example" }, { "osc52_clipboard.bin", "cm0g" },
		{ "osc52_clipboard.bin", "52;" }, { "csi_21t.bin", "21t" }, { "dcs.bin", "$r" },
		{ "apc.bin", "f=100" }, { "csi_colour.bin", "31;1m" }, { "c1_utf8.bin", "title" },
		{ "unterminated_osc.bin", "swallows" },
	};
	char out[1024];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *in = test_fixture("escapes", cases[i].file, &len);
		sanitize_text(in, len, out, sizeof(out), -1, 0, NULL);
		if (strstr(out, cases[i].payload) != NULL)
			fail_msg("%s: payload \"%s\" survived", cases[i].file, cases[i].payload);
		free(in);
	}
}

/* Newlines, tabs, aborted and nested sequences; ordinary text passes unchanged. */
static void test_controls(void **state)
{
	(void)state;
	assert_string_equal(san("a\nb", 0), "a b");
	assert_string_equal(san("a\nb", SANITIZE_KEEP_NEWLINES), "a\nb");
	assert_string_equal(san("a\r\nb", SANITIZE_KEEP_NEWLINES), "a\nb");
	assert_string_equal(san("a\tb", SANITIZE_KEEP_NEWLINES), "a b");
	assert_string_equal(san("\x1b[31mred", SANITIZE_KEEP_NEWLINES), "red");
	/* A CSI aborted by a control byte loses only the introducer. */
	assert_string_equal(san("\x1b[31\nm", 0), " m");
	/* ESC followed by a non-ASCII character drops the ESC only. */
	assert_string_equal(san("\x1b\xc3\xa9", 0), "\xc3\xa9");
	/* An OSC ended by a new ESC: the second sequence is handled on its own. */
	assert_string_equal(san("a\x1b]0;t\x1b[1mb", 0), "ab");
	/* Encoded C1 ST ends an OSC; CAN aborts one. */
	assert_string_equal(san("a\x1b]0;t\xc2\x9c" "b", 0), "ab");
	assert_string_equal(san("a\x1b]0;t\x18" "b", 0), "ab");
	/* Printable ASCII and ordinary Unicode pass through unchanged. */
	assert_string_equal(san("Hello, world! ~{}[]", 0), "Hello, world! ~{}[]");
	assert_string_equal(san("caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80", 0),
	                    "caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80");
	assert_string_equal(san("\xef\xbf\xbd", 0), "\xef\xbf\xbd");   /* a real U+FFFD stays */
	assert_string_equal(san("soft\xc2\xadhyphen", 0), "soft\xc2\xadhyphen");
}

/* ASCII mode turns non-ASCII into ? and drops combining marks. */
static void test_ascii_mode(void **state)
{
	(void)state;
	assert_string_equal(san("h\xc3\xa9llo", SANITIZE_ASCII), "h?llo");
	assert_string_equal(san("\xe6\xbc\xa2", SANITIZE_ASCII), "?");
	assert_string_equal(san("e\xcc\x81", SANITIZE_ASCII), "e");     /* combining: dropped */
	assert_string_equal(san("a\xffz", SANITIZE_ASCII), "a?z");
	assert_string_equal(san("a\x1b[1mb\xe2\x80\xae", SANITIZE_ASCII), "ab");
}

/* Code point and string widths: controls, combining, CJK, Hangul, fullwidth, emoji. */
static void test_widths(void **state)
{
	(void)state;
	assert_int_equal(sanitize_cp_width('a'), 1);
	assert_int_equal(sanitize_cp_width(0x1b), -1);
	assert_int_equal(sanitize_cp_width(0x7f), -1);
	assert_int_equal(sanitize_cp_width(0x9b), -1);
	assert_int_equal(sanitize_cp_width(0x0301), 0);     /* combining acute */
	assert_int_equal(sanitize_cp_width(0x200b), 0);
	assert_int_equal(sanitize_cp_width(0x6f22), 2);     /* CJK */
	assert_int_equal(sanitize_cp_width(0xac00), 2);     /* Hangul syllable */
	assert_int_equal(sanitize_cp_width(0xff21), 2);     /* fullwidth A */
	assert_int_equal(sanitize_cp_width(0x1f600), 2);    /* emoji */
	assert_int_equal(sanitize_cp_width(0x1f680), 2);
	assert_int_equal(sanitize_cp_width(0x20000), 2);    /* CJK extension B */
	assert_int_equal(sanitize_cp_width(0x00e9), 1);
	assert_int_equal(sanitize_cp_width(0x0416), 1);     /* Cyrillic */
	assert_int_equal(sanitize_cp_width(0x2500), 1);     /* box drawing */
	assert_int_equal(sanitize_width("abc"), 3);
	assert_int_equal(sanitize_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);
	assert_int_equal(sanitize_width("\xf0\x9f\x98\x80!"), 3);
	assert_int_equal(sanitize_width("e\xcc\x81"), 1);
	assert_int_equal(sanitize_width(""), 0);
	assert_int_equal(sanitize_width(NULL), 0);
}

/* Truncation by columns and by bytes never splits a code point or a wide character. */
static void test_truncation(void **state)
{
	char out[64];
	size_t n;
	const char *cjk = "ab\xe6\xbc\xa2\xe5\xad\x97" "c";   /* a b 漢 字 c: 1+1+2+2+1 */
	(void)state;
	/* Wide characters never straddle the limit. */
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, sizeof(out), 3, 0, &n), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, sizeof(out), 4, 0, &n), 4);
	assert_string_equal(out, "ab\xe6\xbc\xa2");
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, sizeof(out), 7, 0, &n), 7);
	assert_int_equal(n, strlen(cjk));
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, sizeof(out), 0, 0, &n), 0);
	assert_string_equal(out, "");
	/* Emoji are two columns too. */
	assert_int_equal(sanitize_text("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8, out, sizeof(out), 3,
	                               0, &n), 2);
	assert_int_equal(n, 4);
	/* Combining marks after the last character that fits are kept with it. */
	assert_int_equal(sanitize_text("e\xcc\x81x", 4, out, sizeof(out), 1, 0, &n), 1);
	assert_string_equal(out, "e\xcc\x81");
	/* The byte capacity never splits a code point and always leaves the NUL. */
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, 5, -1, 0, &n), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sanitize_text(cjk, strlen(cjk), out, 6, -1, 0, &n), 4);
	assert_int_equal(n, 5);
	assert_int_equal(sanitize_text("abc", 3, out, 1, -1, 0, &n), 0);
	assert_string_equal(out, "");
	assert_int_equal(sanitize_text("abc", 3, NULL, 0, -1, 0, &n), 0);
	assert_int_equal(n, 0);
	/* Input length is respected (not NUL-terminated input). */
	assert_int_equal(sanitize_text("abcdef", 3, out, sizeof(out), -1, 0, &n), 3);
	assert_string_equal(out, "abc");
	/* Replacement characters count one column and are not split either. */
	assert_int_equal(sanitize_text("\xff\xff", 2, out, 4, -1, 0, &n), 1);
	assert_int_equal(n, 3);
}

/* The decoder accepts valid UTF-8 and refuses overlongs, surrogates and truncation. */
static void test_utf8_decode(void **state)
{
	uint32_t cp;
	(void)state;
	assert_int_equal(sanitize_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(sanitize_utf8_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(sanitize_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(sanitize_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	/* Overlong, surrogate, above U+10FFFF, truncated, stray continuation, bad lead. */
	static const char *const bad[] = {
		"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xe6\xbc", "\x80", "\xbf", "\xf8\x88\x80\x80\x80", "\xff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sanitize_utf8_decode(bad[i], strlen(bad[i]), &cp), 1);
		assert_int_equal(cp, 0xFFFD);
	}
	assert_int_equal(sanitize_utf8_decode("\xe6\xbc\xa2", 2, &cp), 1);  /* len respected */
	assert_int_equal(sanitize_utf8_decode("", 0, &cp), 1);
	assert_int_equal(cp, 0xFFFD);
}

/* sanitize_utf8_cut never splits a sequence and never backs off past one. */
static void test_utf8_cut(void **state)
{
	(void)state;
	const char *s = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  /* a b é € 😀 */
	size_t len = strlen(s);
	assert_int_equal(sanitize_utf8_cut(s, len, 100), len);
	assert_int_equal(sanitize_utf8_cut(s, len, 2), 2);   /* before é */
	assert_int_equal(sanitize_utf8_cut(s, len, 3), 2);   /* inside é */
	assert_int_equal(sanitize_utf8_cut(s, len, 4), 4);   /* after é */
	assert_int_equal(sanitize_utf8_cut(s, len, 6), 4);   /* inside € */
	assert_int_equal(sanitize_utf8_cut(s, len, 10), 7);  /* inside 😀 */
	assert_int_equal(sanitize_utf8_cut(s, len, 0), 0);
	/* Stray continuation bytes: at most four bytes are given back. */
	const char *bad = "x\x80\x80\x80\x80\x80\x80";
	assert_int_equal(sanitize_utf8_cut(bad, strlen(bad), 6), 2);
	/* sanitize_prec: the same cut as a "%.*s" precision. */
	assert_int_equal(sanitize_prec(s, 3), 2);
	assert_int_equal(sanitize_prec(s, 100), (int)len);
	assert_int_equal(sanitize_prec(s, -1), 0);
}

/* sanitize_is_clean is true only for text sanitize_text would leave unchanged. */
static void test_is_clean(void **state)
{
	(void)state;
	assert_true(sanitize_is_clean("hello world", 11));
	assert_true(sanitize_is_clean("\xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80", 11));
	assert_true(sanitize_is_clean("", 0));
	assert_false(sanitize_is_clean("a\tb", 3));
	assert_false(sanitize_is_clean("a\nb", 3));
	assert_false(sanitize_is_clean("a\x1b", 2));
	assert_false(sanitize_is_clean("a\x7f", 2));
	assert_false(sanitize_is_clean("\xc2\x9b", 2));
	assert_false(sanitize_is_clean("\xe2\x80\xae", 3));
	assert_false(sanitize_is_clean("\xe2\x80\x8b", 3));
	assert_false(sanitize_is_clean("\xff", 1));
	assert_false(sanitize_is_clean("ab\0c", 4));
}

/* Run the sanitize suite. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_expected),
		cmocka_unit_test(test_corpus_invariants),
		cmocka_unit_test(test_payloads_gone),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_ascii_mode),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_is_clean),
		cmocka_unit_test(test_utf8_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
