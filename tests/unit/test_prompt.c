/* test_prompt.c: the line editor: insertion, movement by code point, kills,
 * paste with newlines, Enter/Esc, UTF-8 safety. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "swarmtop/keymap.h"
#include "swarmtop/prompt.h"

static void type(Prompt *p, const char *s)
{
	for (; *s; s++)
		prompt_key(p, (unsigned char)*s);
}

static void test_edit_keys(void **state)
{
	(void)state;
	Prompt p;
	prompt_open(&p, "inject> ", NULL);
	type(&p, "use the EU list");
	assert_string_equal(p.buf, "use the EU list");
	prompt_key(&p, KEY_CTRL('w'));
	assert_string_equal(p.buf, "use the EU ");
	prompt_key(&p, KEYC_HOME);
	prompt_key(&p, KEYC_DELETE);
	assert_string_equal(p.buf, "se the EU ");
	prompt_key(&p, KEYC_END);
	prompt_key(&p, KEYC_LEFT);
	prompt_key(&p, KEY_CTRL('u'));
	assert_string_equal(p.buf, " ");
	prompt_key(&p, KEYC_BACKSPACE);
	prompt_key(&p, KEYC_BACKSPACE);
	assert_string_equal(p.buf, " ");
	assert_int_equal(prompt_key(&p, KEYC_ENTER), PROMPT_DONE);
	assert_int_equal(prompt_key(&p, KEYC_ESC), PROMPT_CANCELED);
}

static void test_utf8_by_code_point(void **state)
{
	(void)state;
	Prompt p;
	prompt_open(&p, ":", NULL);
	prompt_key(&p, 0x4E2D);  /* 中 */
	prompt_key(&p, 'a');
	assert_string_equal(p.buf, "\xE4\xB8\xAD" "a");
	assert_int_equal(prompt_cursor_col(&p), 3);
	prompt_key(&p, KEYC_LEFT);
	prompt_key(&p, KEYC_LEFT);
	assert_int_equal(p.cur, 0);
	prompt_key(&p, KEYC_DELETE);
	assert_string_equal(p.buf, "a");
	/* Controls and C1 never enter the buffer. */
	prompt_key(&p, KEYC_F5);
	prompt_key(&p, 0x85);
	prompt_key(&p, 7);
	assert_string_equal(p.buf, "a");
}

static void test_paste_keeps_newlines_as_spaces(void **state)
{
	(void)state;
	Prompt p;
	prompt_open(&p, "inject> ", "x");
	prompt_key(&p, KEYC_PASTE_START);
	type(&p, "line one");
	assert_int_equal(prompt_key(&p, KEYC_ENTER), PROMPT_EDITING);
	type(&p, "two");
	prompt_key(&p, KEYC_PASTE_END);
	assert_string_equal(p.buf, "xline one two");
	assert_int_equal(prompt_key(&p, KEYC_ENTER), PROMPT_DONE);
}

static void test_full_buffer_is_bounded(void **state)
{
	(void)state;
	Prompt p;
	prompt_open(&p, ":", NULL);
	for (int i = 0; i < PROMPT_MAX * 2; i++)
		prompt_key(&p, 'z');
	assert_true(p.len < PROMPT_MAX);
	assert_int_equal(strlen(p.buf), p.len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_keys),
		cmocka_unit_test(test_utf8_by_code_point),
		cmocka_unit_test(test_paste_keeps_newlines_as_spaces),
		cmocka_unit_test(test_full_buffer_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
