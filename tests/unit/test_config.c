/* test_config.c: the config parser and the key table: directives, bad lines
 * with line numbers, budgets, key rebinding and duplicate refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "swarmtop/config.h"
#include "swarmtop/keymap.h"
#include "testutil.h"

static void test_good_config(void **state)
{
	(void)state;
	const char *text =
		"# comment\n"
		"runtime ws://127.0.0.1:7700/swarmtop\n"
		"runtime wss://gpu-7:7700/swarmtop   # trailing comment\n"
		"\n"
		"theme colorblind\n"
		"read-only yes\n"
		"stuck 90s\n"
		"reason never\n"
		"key pause P\n"
		"budget team usd=5 policy=pause countdown=3s\n"
		"budget coder agent=coder tokens=2M per=hour\n";
	Config c;
	Keymap km;
	Errs e = { 0 };
	config_init(&c);
	keymap_default(&km);
	assert_int_equal(config_parse(&c, &km, NULL, text, strlen(text), test_on_err, &e), 0);
	assert_int_equal(c.nruntimes, 2);
	assert_string_equal(c.runtimes[1], "wss://gpu-7:7700/swarmtop");
	assert_string_equal(c.theme, "colorblind");
	assert_true(c.read_only);
	assert_false(c.reason_prompt);
	assert_int_equal(c.stuck_ms, 90000);
	assert_int_equal(keymap_lookup(&km, SCOPE_LIST, 'P'), ACT_PAUSE);
	assert_int_equal(keymap_lookup(&km, SCOPE_LIST, 'p'), ACT_NONE);
	assert_int_equal(c.nbudgets, 2);
	assert_int_equal(c.budgets[0].policy, BUDGET_PAUSE);
	assert_int_equal(c.budgets[0].countdown_ms, 3000);
	assert_true(c.budgets[0].usd > 4.99 && c.budgets[0].usd < 5.01);
	assert_int_equal(c.budgets[1].scope, BUDGET_AGENT);
	assert_string_equal(c.budgets[1].target, "coder");
	assert_int_equal(c.budgets[1].tokens, 2000000);
	assert_true(c.budgets[1].per_hour);
	config_free(&c);
}

static void test_bad_lines_reported_rest_loads(void **state)
{
	(void)state;
	const char *text =
		"runtime http://nope\n"          /* 1 */
		"theme default\n"                /* 2 ok */
		"stuck soon\n"                   /* 3 */
		"frobnicate 3\n"                 /* 4 */
		"key pause x\n"                  /* 5: x is cancel */
		"key nosuch p\n"                 /* 6 */
		"budget b\n"                     /* 7 */
		"read-only maybe\n"              /* 8 */
		"runtime ws://ok:1/x\n";         /* 9 ok */
	Config c;
	Keymap km;
	Errs e = { 0 };
	config_init(&c);
	keymap_default(&km);
	assert_int_equal(config_parse(&c, &km, NULL, text, strlen(text), test_on_err, &e), 7);
	assert_int_equal(e.n, 7);
	int want[] = { 1, 3, 4, 5, 6, 7, 8 };
	for (int i = 0; i < 7; i++)
		assert_int_equal(e.lines[i], want[i]);
	assert_non_null(strstr(e.msgs[0], "ws://"));
	assert_non_null(strstr(e.msgs[2], "frobnicate"));
	assert_non_null(strstr(e.msgs[3], "already bound to 'cancel'"));
	assert_non_null(strstr(e.msgs[4], "unknown action"));
	assert_int_equal(c.nruntimes, 1);
	assert_int_equal(keymap_lookup(&km, SCOPE_LIST, 'p'), ACT_PAUSE);
	config_free(&c);
}

static void test_durations_and_counts(void **state)
{
	(void)state;
	assert_int_equal(config_parse_duration("250ms"), 250);
	assert_int_equal(config_parse_duration("10"), 10000);
	assert_int_equal(config_parse_duration("2m"), 120000);
	assert_int_equal(config_parse_duration("1h"), 3600000);
	assert_int_equal(config_parse_duration("-1s"), -1);
	assert_int_equal(config_parse_duration("5 years"), -1);
	assert_int_equal(config_parse_count("1.5M"), 1500000);
	assert_int_equal(config_parse_count("2k"), 2000);
	assert_int_equal(config_parse_count("x"), -1);
}

static void test_keymap_defaults_are_safe(void **state)
{
	(void)state;
	Keymap km;
	keymap_default(&km);
	/* No steering verb on a control key (Ctrl-D, Ctrl-K, ...). */
	for (int a = 1; a < ACT_COUNT; a++) {
		if (!action_table[a].steering)
			continue;
		for (int i = 0; i < KEYMAP_KEYS_PER_ACTION; i++)
			assert_false(km.keys[a][i] > 0 && km.keys[a][i] < 32);
	}
	/* Every action has a name and help text; names are unique. */
	for (int a = 1; a < ACT_COUNT; a++) {
		assert_non_null(action_table[a].name);
		assert_true(strlen(action_table[a].help) > 0);
		assert_int_equal(keymap_action_by_name(action_table[a].name), a);
	}
	/* Scope precedence: graph pans with k, lists move up with k; replay Space plays. */
	assert_int_equal(keymap_lookup(&km, SCOPE_GRAPH, 'k'), ACT_PAN_UP);
	assert_int_equal(keymap_lookup(&km, SCOPE_LIST, 'k'), ACT_UP);
	assert_int_equal(keymap_lookup(&km, SCOPE_REPLAY, ' '), ACT_REPLAY_PLAY);
	assert_int_equal(keymap_lookup(&km, SCOPE_LIST, ' '), ACT_TAG);
	assert_int_equal(keymap_lookup(&km, SCOPE_LOG, 'f'), ACT_FOLLOW);
}

static void test_key_names(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(keymap_key_parse("C-x"), 24);
	assert_int_equal(keymap_key_parse("PgDn"), KEYC_PGDN);
	assert_int_equal(keymap_key_parse("F5"), KEYC_F5);
	assert_int_equal(keymap_key_parse("Space"), ' ');
	assert_int_equal(keymap_key_parse("p"), 'p');
	assert_int_equal(keymap_key_parse("Hyper-Q"), -1);
	assert_string_equal(keymap_key_name(KEYC_PGDN, buf, sizeof(buf)), "PgDn");
	assert_string_equal(keymap_key_name(3, buf, sizeof(buf)), "C-c");
	assert_string_equal(keymap_key_name('x', buf, sizeof(buf)), "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_bad_lines_reported_rest_loads),
		cmocka_unit_test(test_durations_and_counts),
		cmocka_unit_test(test_keymap_defaults_are_safe),
		cmocka_unit_test(test_key_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
