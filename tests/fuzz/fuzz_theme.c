/*
 * fuzz_theme.c: libFuzzer target for the theme parser. Any bytes go to
 * theme_parse over the default theme; error messages must be one printable
 * line, the element count must be in range, every colour must be a palette
 * index, -1 (default) or an RGB value, and theme_reduce_color must map each
 * into the smaller palettes. Built by run.sh with ASan+UBSan; not part of the
 * normal build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless an error message is a short, printable, single line. */
static void fz_err(int line, const char *msg, void *ctx)
{
	(void)ctx;
	if (line < 1 || msg == NULL || strlen(msg) > 4096)
		abort();
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

/* Abort unless c is a valid colour and reduces into each palette. */
static void fz_color(int32_t c)
{
	if (c < -1 || (c > 255 && !THEME_IS_RGB(c)) || c > THEME_RGB(255, 255, 255))
		abort();
	static const int palettes[] = {8, 16, 256};
	for (size_t i = 0; i < sizeof(palettes) / sizeof(palettes[0]); i++) {
		int32_t r = theme_reduce_color(c, palettes[i]);
		if (r < -1 || r >= palettes[i])
			abort();
	}
}

/* Parse the input as a theme file and check the result's invariants. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Theme t;
	theme_default(&t);
	int n = theme_parse(&t, (const char *)data, size, fz_err, NULL);
	if (n < 0)
		abort();
	if (memchr(t.name, '\0', sizeof(t.name)) == NULL)
		abort();
	for (int e = 0; e < EL_COUNT; e++) {
		fz_color(t.style[e].fg);
		fz_color(t.style[e].bg);
	}
	return 0;
}
