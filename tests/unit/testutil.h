/*
 * testutil.h: helpers the unit tests share: reading a file or fixture whole, comparing
 * rendered text with a golden file, collecting a parser's error callbacks, and checking
 * that a string is valid UTF-8.
 * Header-only (static inline), so a test pulls in only what it calls; failures go
 * through CMocka's assertions.
 */
#ifndef SWARMTOP_TESTUTIL_H
#define SWARMTOP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* All of stream f in a malloc'd NUL-terminated buffer, its length in *len; closes f. */
static inline char *test_read_stream(FILE *f, size_t *len)
{
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The whole of the file at path in a malloc'd NUL-terminated buffer; its length in *len. */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	return test_read_stream(f, len);
}

/* The fixture FIXTURES/dir/name, read whole (see test_read_file). */
static inline char *test_fixture(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", FIXTURES, dir, name);
	return test_read_file(path, len);
}

/* Compare text with FIXTURES/golden/<name>.txt, or rewrite it when UPDATE_GOLDEN is set. */
static inline void test_golden(const char *name, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/golden/%s.txt", FIXTURES, name);
	if (getenv("UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		return;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("missing golden file %s (run with UPDATE_GOLDEN=1)", path);
	size_t n;
	char *want = test_read_stream(f, &n);
	if (strcmp(want, text) != 0) {
		fprintf(stderr, "golden mismatch: %s\n--- want\n%s--- got\n%s", path, want, text);
		free(want);
		fail_msg("golden mismatch: %s", name);
	}
	free(want);
}

/* The errors a parser reported through test_on_err: how many, the first 16 lines and texts. */
typedef struct Errs {
	int n;
	int lines[16];
	char msgs[16][256];
} Errs;

/* A parse-error callback (config, theme, prices) that adds to the Errs at ctx. */
static inline void test_on_err(int line, const char *msg, void *ctx)
{
	Errs *e = ctx;
	if (e->n < 16) {
		e->lines[e->n] = line;
		snprintf(e->msgs[e->n], sizeof e->msgs[0], "%s", msg);
	}
	e->n++;
}

/* True when s is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static inline bool test_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t k = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 :
		           (*p & 0xF8) == 0xF0 ? 3 : 9;
		if (k == 9)
			return false;
		unsigned cp = k == 0 ? *p : *p & (0x3F >> k);
		for (size_t j = 1; j <= k; j++) {
			if ((p[j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[j] & 0x3F);
		}
		static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
		if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += k + 1;
	}
	return true;
}

#endif
