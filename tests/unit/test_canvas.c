/*
 * test_canvas.c: unit tests of the off-screen canvas: clipping, sanitizing,
 * wide characters, ellipsis, ASCII mode, boxes, meters, sparklines, text out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/canvas.h"

/* The canvas rendered as text (caller frees). */
static char *text_of(const Canvas *c)
{
	char *t = canvas_to_text(c);
	assert_non_null(t);
	return t;
}

/* Setting cells clips outside the grid; to_text trims trailing spaces. */
static void test_set_clip_text(void **state)
{
	(void)state;
	Canvas *c = canvas_new(5, 2, false);
	assert_non_null(c);
	canvas_set(c, 0, 0, 'a', EL_TITLE);
	canvas_set(c, 4, 1, 'z', EL_DEFAULT);
	canvas_set(c, 5, 0, 'X', EL_DEFAULT);
	canvas_set(c, -1, 0, 'X', EL_DEFAULT);
	canvas_set(c, 0, 2, 'X', EL_DEFAULT);
	canvas_set(c, 1, 0, 0x1b, EL_DEFAULT);   /* a control becomes U+FFFD, never ESC */
	char *t = text_of(c);
	assert_string_equal(t, "a\xEF\xBF\xBD\n    z\n");
	free(t);
	assert_int_equal(canvas_cell(c, 0, 0)->el, EL_TITLE);
	assert_null(canvas_cell(c, 5, 0));
	assert_int_equal(canvas_resize(c, 3, 1), 0);
	t = text_of(c);
	assert_string_equal(t, "\n");
	free(t);
	assert_int_equal(canvas_resize(c, -1, 1), -1);
	canvas_free(c);
	canvas_free(NULL);
}

/* Text is sanitized (escape sequences vanish) and clipped to maxw and to the edge. */
static void test_text_sanitized_clipped(void **state)
{
	(void)state;
	Canvas *c = canvas_new(10, 1, false);
	int n = canvas_text(c, 0, 0, 20, EL_DEFAULT, "a\x1b[31mb\x1b]0;pwn\x07" "c\r\n");
	char *t = text_of(c);
	assert_string_equal(t, "abc\n");
	free(t);
	assert_true(n >= 3);
	canvas_clear(c, EL_DEFAULT);
	n = canvas_text(c, 7, 0, 20, EL_DEFAULT, "abcdef");
	assert_int_equal(n, 3);
	assert_int_equal(canvas_text(c, 10, 0, 5, EL_DEFAULT, "x"), 0);
	assert_int_equal(canvas_text(c, 0, 0, 5, EL_DEFAULT, NULL), 0);
	canvas_free(c);
}

/* Wide characters take two cells; one that would straddle the limit is not drawn. */
static void test_wide(void **state)
{
	(void)state;
	Canvas *c = canvas_new(6, 1, false);
	int n = canvas_text(c, 0, 0, 5, EL_DEFAULT, "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97");
	assert_int_equal(n, 4);
	assert_int_equal(canvas_cell(c, 1, 0)->cp, 0);
	assert_int_equal(canvas_cell(c, 4, 0)->cp, ' ');
	/* overwriting the right half of a wide char blanks its left half */
	canvas_set(c, 1, 0, 'x', EL_DEFAULT);
	assert_int_equal(canvas_cell(c, 0, 0)->cp, ' ');
	/* overwriting the left half blanks the right half */
	canvas_set(c, 2, 0, 'y', EL_DEFAULT);
	assert_int_equal(canvas_cell(c, 3, 0)->cp, ' ');
	char *t = text_of(c);
	assert_string_equal(t, " xy\n");
	free(t);
	canvas_free(c);
}

/* Ellipsis only when the text does not fit. */
static void test_ellipsis(void **state)
{
	(void)state;
	Canvas *c = canvas_new(12, 3, false);
	assert_int_equal(canvas_text_ellipsis(c, 0, 0, 5, EL_DEFAULT, "hello"), 5);
	assert_int_equal(canvas_text_ellipsis(c, 0, 1, 5, EL_DEFAULT, "hello!"), 5);
	assert_int_equal(canvas_text_ellipsis(c, 0, 2, 4, EL_DEFAULT,
	                                      "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97"), 3);
	char *t = text_of(c);
	assert_string_equal(t, "hello\nhell\xE2\x80\xA6\n\xE4\xB8\xAD\xE2\x80\xA6\n");
	free(t);
	assert_int_equal(canvas_cell(c, 4, 1)->el, EL_DIM);
	canvas_free(c);
}

/* ASCII mode: glyphs and text are pure ASCII. */
static void test_ascii(void **state)
{
	(void)state;
	Canvas *c = canvas_new(12, 4, true);
	canvas_box(c, (Rect){0, 0, 12, 3}, EL_BORDER, "t\xC3\xA9st");
	canvas_set(c, 0, 3, 0x2588, EL_DEFAULT);
	canvas_text_ellipsis(c, 1, 3, 3, EL_DEFAULT, "\xE4\xB8\xAD\xE6\x96\x87xyz");
	char *t = text_of(c);
	for (const char *p = t; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	assert_string_equal(t, "+ t?st ----+\n|          |\n+----------+\n???~\n");
	free(t);
	assert_int_equal(canvas_glyph(c, GLYPH_TREE_LAST), '`');
	assert_int_equal(canvas_glyph(c, GLYPH_COUNT), '?');
	canvas_free(c);
}

/* Boxes with a title in Unicode mode. */
static void test_box(void **state)
{
	(void)state;
	Canvas *c = canvas_new(10, 3, false);
	canvas_box(c, (Rect){0, 0, 10, 3}, EL_BORDER, "Log");
	char *t = text_of(c);
	assert_string_equal(t, "\xE2\x94\x8C Log \xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x90\n"
	                       "\xE2\x94\x82        \xE2\x94\x82\n"
	                       "\xE2\x94\x94\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
	                       "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x98\n");
	free(t);
	assert_int_equal(canvas_cell(c, 2, 0)->el, EL_TITLE);
	canvas_box(c, (Rect){0, 0, 1, 1}, EL_BORDER, NULL);   /* too small: nothing */
	canvas_free(c);
}

/* Meters: exact width, fill elements graded by position, percentage in the text element. */
static void test_meter(void **state)
{
	(void)state;
	Canvas *c = canvas_new(22, 1, false);
	canvas_meter(c, 0, 0, 22, 0.95, EL_DIM);
	char *t = text_of(c);
	assert_string_equal(t, "[|||||||||||||||95.0%]\n");
	free(t);
	assert_int_equal(canvas_cell(c, 1, 0)->el, EL_METER_LOW);
	assert_int_equal(canvas_cell(c, 12, 0)->el, EL_METER_MID);
	assert_int_equal(canvas_cell(c, 18, 0)->el, EL_METER_HIGH);
	assert_int_equal(canvas_cell(c, 20, 0)->el, EL_DIM);   /* beyond the fill */
	canvas_clear(c, EL_DEFAULT);
	canvas_meter(c, 0, 0, 10, 0.0, EL_DIM);
	assert_int_equal(canvas_cell(c, 2, 0)->el, EL_METER_EMPTY);
	canvas_free(c);
}

/* Sparklines keep the newest values, right-aligned. */
static void test_spark(void **state)
{
	(void)state;
	Canvas *c = canvas_new(4, 2, false);
	double v[] = {100, 0, 1, 2, 4};
	canvas_spark(c, 0, 0, 4, EL_SPARK, v, 5, 0);
	canvas_spark(c, 0, 1, 4, EL_SPARK, v + 3, 2, 4);
	char *t = text_of(c);
	assert_string_equal(t, " \xE2\x96\x82\xE2\x96\x84\xE2\x96\x88\n"
	                       "  \xE2\x96\x84\xE2\x96\x88\n");
	free(t);
	assert_int_equal(canvas_cell(c, 3, 0)->el, EL_SPARK);
	canvas_free(c);
}

/* printf text goes through the sanitizer too; paint changes only elements. */
static void test_printf_paint(void **state)
{
	(void)state;
	Canvas *c = canvas_new(10, 1, false);
	canvas_printf(c, 0, 0, 10, EL_DEFAULT, "%s=%d", "a\x1b[2Jb", 5);
	canvas_paint(c, -2, 0, 5, EL_SELECTED);
	char *t = text_of(c);
	assert_string_equal(t, "ab=5\n");
	free(t);
	assert_int_equal(canvas_cell(c, 2, 0)->el, EL_SELECTED);
	assert_int_equal(canvas_cell(c, 3, 0)->el, EL_DEFAULT);
	assert_int_equal(canvas_text_width("\xE4\xB8\xAD" "a", false), 3);
	assert_int_equal(canvas_text_width("\xE4\xB8\xAD" "a", true), 2);
	canvas_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_clip_text), cmocka_unit_test(test_text_sanitized_clipped),
		cmocka_unit_test(test_wide),          cmocka_unit_test(test_ellipsis),
		cmocka_unit_test(test_ascii),         cmocka_unit_test(test_box),
		cmocka_unit_test(test_meter),         cmocka_unit_test(test_spark),
		cmocka_unit_test(test_printf_paint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
