/*
 * test_theme.c: unit tests of themes: element names, built-in themes, the
 * theme-file parser (good lines, bad lines with line numbers, the rest still
 * loading), every shipped theme file in themes/, and colour reduction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/theme.h"
#include "testutil.h"

/* Read a shipped theme file (caller frees). */
static char *read_theme(const char *name, size_t *len)
{
	char file[256];
	snprintf(file, sizeof file, "%s.theme", name);
	return test_fixture("../../themes", file, len);
}

/* Every element has a unique, well-formed name. */
static void test_element_names(void **state)
{
	(void)state;
	for (int i = 0; i < EL_COUNT; i++) {
		assert_non_null(element_names[i]);
		for (const char *p = element_names[i]; *p; p++)
			assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz.-", *p));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(element_names[i], element_names[j]);
	}
	assert_string_equal(element_names[EL_STATUS_FAILED], "status.failed");
	assert_string_equal(element_names[EL_METER_HIGH], "meter.high");
}

/* Built-in themes: dark has colours for the states; mono has none. */
static void test_builtin(void **state)
{
	(void)state;
	Theme t;
	theme_default(&t);
	assert_string_equal(t.name, "default");
	assert_int_not_equal(t.style[EL_STATUS_FAILED].fg, THEME_COLOR_DEFAULT);
	assert_int_not_equal(t.style[EL_STATUS_FAILED].fg, t.style[EL_STATUS_WORKING].fg);
	assert_true(t.style[EL_STATUS_FAILED].attr & THEME_BOLD);
	theme_mono(&t);
	for (int i = 0; i < EL_COUNT; i++) {
		assert_int_equal(t.style[i].fg, THEME_COLOR_DEFAULT);
		assert_int_equal(t.style[i].bg, THEME_COLOR_DEFAULT);
	}
	assert_true(t.style[EL_SELECTED].attr & THEME_REVERSE);
	assert_int_not_equal(t.style[EL_STATUS_FAILED].attr, t.style[EL_STATUS_WORKING].attr);
}

/* Good lines set elements; bad lines report their line number and reason; the rest loads. */
static void test_parse(void **state)
{
	(void)state;
	const char *text = "# a comment\n"
	                   "\n"
	                   "status.failed  red  default bold underline\n"
	                   "meter.high  #FF5f5f\n"
	                   "nonsense.element red\n"
	                   "title bright-white 24 reverse   # trailing comment\n"
	                   "dim 256\n"
	                   "border\n"
	                   "task.working green blue blink\n"
	                   "spark 81 italic dim\n"
	                   "log.info \x1b[31m\n"
	                   "edge #12345g\n";
	Theme t;
	theme_default(&t);
	Errs e = {0};
	int n = theme_parse(&t, text, strlen(text), test_on_err, &e);
	assert_int_equal(n, 4);
	assert_int_equal(e.n, 6);
	int want_lines[] = {5, 7, 8, 9, 11, 12};
	for (int i = 0; i < 6; i++)
		assert_int_equal(e.lines[i], want_lines[i]);
	assert_non_null(strstr(e.msgs[0], "unknown element 'nonsense.element'"));
	assert_non_null(strstr(e.msgs[1], "bad colour '256'"));
	assert_non_null(strstr(e.msgs[2], "needs a foreground"));
	assert_non_null(strstr(e.msgs[3], "'blink'"));
	assert_non_null(strstr(e.msgs[4], "control byte"));
	assert_non_null(strstr(e.msgs[5], "bad colour '#12345g'"));
	assert_int_equal(t.style[EL_STATUS_FAILED].fg, 1);
	assert_int_equal(t.style[EL_STATUS_FAILED].bg, THEME_COLOR_DEFAULT);
	assert_int_equal(t.style[EL_STATUS_FAILED].attr, THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(t.style[EL_METER_HIGH].fg, THEME_RGB(0xff, 0x5f, 0x5f));
	assert_int_equal(t.style[EL_TITLE].fg, 15);
	assert_int_equal(t.style[EL_TITLE].bg, 24);
	assert_int_equal(t.style[EL_TITLE].attr, THEME_REVERSE);
	assert_int_equal(t.style[EL_SPARK].attr, THEME_ITALIC | THEME_DIM);
	/* a line whose element failed keeps the previous style */
	Theme d;
	theme_default(&d);
	assert_memory_equal(&t.style[EL_STATUS_WORKING], &d.style[EL_STATUS_WORKING], sizeof(Style));
	/* no callback, no crash; a very long line is reported, not overflowed */
	char *big = malloc(2000);
	memset(big, 'a', 1999);
	big[1999] = '\0';
	Errs e2 = {0};
	assert_int_equal(theme_parse(&t, big, 1999, test_on_err, &e2), 0);
	assert_int_equal(e2.n, 1);
	assert_int_equal(theme_parse(&t, big, 1999, NULL, NULL), 0);
	free(big);
}

/* Every shipped theme parses without an error and sets every element. */
static void test_shipped_themes(void **state)
{
	(void)state;
	const char *names[] = {"default", "light", "high-contrast", "mono", "colorblind"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t len;
		char *text = read_theme(names[i], &len);
		Theme t;
		theme_mono(&t);
		Errs e = {0};
		assert_int_equal(theme_parse(&t, text, len, test_on_err, &e), EL_COUNT);
		assert_int_equal(e.n, 0);
		if (strcmp(names[i], "default") == 0 || strcmp(names[i], "mono") == 0) {
			Theme b;
			if (names[i][0] == 'd')
				theme_default(&b);
			else
				theme_mono(&b);
			assert_memory_equal(t.style, b.style, sizeof t.style);
		}
		free(text);
	}
}

/* Colour reduction: RGB to 256 to 16 to 8; defaults untouched. */
static void test_reduce(void **state)
{
	(void)state;
	assert_int_equal(theme_reduce_color(THEME_COLOR_DEFAULT, 8), THEME_COLOR_DEFAULT);
	int32_t rgb = THEME_RGB(0xff, 0x5f, 0x5f);
	assert_int_equal(theme_reduce_color(rgb, 1 << 24), rgb);
	assert_int_equal(theme_reduce_color(rgb, 256), 203);
	assert_int_equal(theme_reduce_color(THEME_RGB(0x80, 0x80, 0x80), 256), 244);
	assert_int_equal(theme_reduce_color(THEME_RGB(0, 0, 0), 256), 16);
	assert_int_equal(theme_reduce_color(203, 256), 203);
	assert_int_equal(theme_reduce_color(203, 16), 9);
	assert_int_equal(theme_reduce_color(203, 8), 1);
	assert_int_equal(theme_reduce_color(9, 8), 1);
	assert_int_equal(theme_reduce_color(4, 8), 4);
	assert_int_equal(theme_reduce_color(rgb, 8), 1);
	assert_int_equal(theme_reduce_color(THEME_RGB(0, 0xc0, 0), 8), 2);
	assert_int_equal(theme_reduce_color(231, 8), 7);
	assert_int_equal(theme_reduce_color(5, 2), THEME_COLOR_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_element_names), cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_parse),         cmocka_unit_test(test_shipped_themes),
		cmocka_unit_test(test_reduce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
