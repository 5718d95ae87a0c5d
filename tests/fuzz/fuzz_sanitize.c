/*
 * fuzz_sanitize.c: libFuzzer target for sanitize. The first input byte picks
 * the flags and the column limit; the rest is the hostile text. The output
 * must hold the terminal-safety invariant (no C0 except kept LF, no DEL, no C1,
 * valid UTF-8, no bidi/zero-width), stay within the width and buffer, and be a
 * fixed point (sanitizing it again changes nothing). Built by run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless out (n bytes) is terminal-safe. */
static void check_safe(const char *out, size_t n, unsigned flags)
{
	size_t i = 0;

	if (strlen(out) != n)
		abort();
	while (i < n) {
		uint32_t cp;
		int k = sanitize_utf8_decode(out + i, n - i, &cp);
		if (k == 1 && cp == 0xFFFD)
			abort();                                   /* invalid UTF-8 */
		if (cp == '\n' && (flags & SANITIZE_KEEP_NEWLINES)) {
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
			abort();
		if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
		    (cp >= 0x200B && cp <= 0x200F) || cp == 0x061C || cp == 0x2060 || cp == 0xFEFF)
			abort();
		if ((flags & SANITIZE_ASCII) && cp >= 0x80)
			abort();
		i += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512], again[512];
	size_t n, m;
	unsigned flags;
	int cols, w, w2;
	size_t cap;

	if (size == 0)
		return 0;
	flags = data[0] & 3;
	cols = (data[0] >> 2) == 63 ? -1 : (int)(data[0] >> 2);
	cap = 1 + (size_t)data[0] * 2;        /* 1..511 bytes: exercises the byte cap too */
	data++, size--;
	w = sanitize_text((const char *)data, size, out, cap, cols, flags, &n);
	if (n >= cap || (cols >= 0 && w > cols) || w < 0)
		abort();
	check_safe(out, n, flags);
	if (!(flags & SANITIZE_KEEP_NEWLINES)) {
		if (!sanitize_is_clean(out, n) || sanitize_width(out) != w)
			abort();
		w2 = sanitize_text(out, n, again, sizeof(again), -1, flags, &m);
		if (w2 != w || m != n || memcmp(out, again, n) != 0)
			abort();
	}
	/* is_clean agrees with sanitize_text on the raw input. */
	if (size < sizeof(out) - 1 && sanitize_is_clean((const char *)data, size)) {
		w2 = sanitize_text((const char *)data, size, again, sizeof(again), -1, 0, &m);
		if (m != size || memcmp(again, data, size) != 0)
			abort();
	}
	return 0;
}
