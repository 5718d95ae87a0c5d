/*
 * test_cli.c: command-line parsing (cli.c), runtime URL parsing and the reconnect
 * backoff (conn.c). Links the program minus main.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarmtop/cli.h"
#include "swarmtop/conn.h"

/* Writable copies of the words (argv must be char **; the options point into them). */
static char words[32][128];

/* Put word w at argv[i] (a writable copy). */
static char *word(int i, const char *w)
{
	snprintf(words[i], sizeof(words[i]), "%s", w);
	return words[i];
}

/* Parse a NULL-terminated list of words; returns cli_parse's result, code in *code. */
static int parse(CliOptions *o, int *code, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, code);
	argv[argc] = word(argc, "swarmtop");
	argc++;
	const char *w;
	while ((w = va_arg(ap, const char *)) && argc < 31) {
		argv[argc] = word(argc, w);
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, code);
}

static void test_defaults(void **state)
{
	(void)state;
	CliOptions o;
	int code = -1;
	setenv("XDG_STATE_HOME", "/tmp/xdgstate", 1);
	unsetenv("SWARMTOP_TOKEN");
	unsetenv("NO_COLOR");
	assert_int_equal(parse(&o, &code, NULL), 0);
	assert_int_equal(o.cmd, CMD_DASHBOARD);
	assert_string_equal(o.db, "/tmp/xdgstate/swarmtop/swarmtop.db");
	assert_false(o.db_given);
	assert_null(o.token);
	assert_false(o.no_color);
	assert_int_equal(o.max_message, 1u << 20);
	assert_int_equal(o.nargs, 0);
	cli_free(&o);
}

static void test_record_options(void **state)
{
	(void)state;
	CliOptions o;
	int code = -1;
	unsetenv("SWARMTOP_TOKEN");
	assert_int_equal(parse(&o, &code, "--db", "/x/y.db", "record", "ws://a:1/p", "--token=t0k",
	                       "--max-message", "4M", "--insecure", "wss://b/q", NULL),
	                 0);
	assert_int_equal(o.cmd, CMD_RECORD);
	assert_string_equal(o.db, "/x/y.db");
	assert_true(o.db_given);
	assert_string_equal(o.token, "t0k");
	assert_int_equal(o.max_message, 4u << 20);
	assert_true(o.insecure);
	assert_int_equal(o.nargs, 2);
	assert_string_equal(o.args[0], "ws://a:1/p");
	assert_string_equal(o.args[1], "wss://b/q");
	cli_free(&o);
}

static void test_env(void **state)
{
	(void)state;
	CliOptions o;
	int code = -1;
	setenv("SWARMTOP_TOKEN", "from-env", 1);
	setenv("NO_COLOR", "1", 1);
	assert_int_equal(parse(&o, &code, "tail", "--json", "ws://h", NULL), 0);
	assert_string_equal(o.token, "from-env");
	assert_true(o.no_color);
	assert_true(o.json);
	cli_free(&o);
	/* The command line wins over the environment. */
	assert_int_equal(parse(&o, &code, "tail", "--token", "cli", "ws://h", NULL), 0);
	assert_string_equal(o.token, "cli");
	cli_free(&o);
	unsetenv("SWARMTOP_TOKEN");
	unsetenv("NO_COLOR");
}

static void test_ctl_and_export(void **state)
{
	(void)state;
	CliOptions o;
	int code = -1;
	assert_int_equal(parse(&o, &code, "ctl", "ws://h", "inject", "--agent", "a1", "--text",
	                       "hello there", "--reason", "why", NULL),
	                 0);
	assert_int_equal(o.cmd, CMD_CTL);
	assert_string_equal(o.agent, "a1");
	assert_string_equal(o.text, "hello there");
	assert_string_equal(o.reason, "why");
	assert_string_equal(o.args[1], "inject");
	cli_free(&o);
	assert_int_equal(parse(&o, &code, "export", "3", "--format", "jsonl", NULL), 0);
	assert_int_equal(o.cmd, CMD_EXPORT);
	assert_string_equal(o.args[0], "3");
	cli_free(&o);
	/* demo keeps its own argv */
	assert_int_equal(parse(&o, &code, "demo", "--port", "0", "--seed", "1", NULL), 0);
	assert_int_equal(o.cmd, CMD_DEMO);
	assert_int_equal(o.sub_argc, 5);
	assert_string_equal(o.sub_argv[0], "demo");
	assert_string_equal(o.sub_argv[2], "0");
	cli_free(&o);
}

static void test_usage_errors(void **state)
{
	(void)state;
	CliOptions o;
	int code = -1;
	static const char *const bad[][6] = {
	        {"record", NULL},                                  /* no URL */
	        {"ctl", "ws://h", NULL},                           /* no action */
	        {"ctl", "ws://h", "pause", "--agent", "a", NULL},  /* fine: control row */
	        {"record", "--json", "ws://h", NULL},              /* option of another command */
	        {"--bogus", NULL},                                 /* unknown option */
	        {"record", "ws://h", "--db", NULL},                /* missing value */
	        {"record", "ws://h", "--max-message", "10", NULL}, /* below 1 MiB */
	        {"record", "ws://h", "--max-message", "2X", NULL}, /* malformed */
	        {"sessions", "extra", NULL},                       /* too many */
	        {"export", "1", "--format", "csv", NULL},          /* unknown format */
	        {"--insecure=yes", NULL},                          /* flag with a value */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = {word(0, "swarmtop")};
		int argc = 1;
		for (int j = 0; bad[i][j]; j++) {
			argv[argc] = word(argc, bad[i][j]);
			argc++;
		}
		int r = cli_parse(argc, argv, &o, &code);
		if (i == 2) {
			assert_int_equal(r, 0);
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(code, EXIT_USAGE);
		}
		cli_free(&o);
	}
	/* --help and --version exit 0 */
	assert_int_equal(parse(&o, &code, "--version", NULL), -1);
	assert_int_equal(code, 0);
	cli_free(&o);
}

static void test_urls(void **state)
{
	(void)state;
	ConnUrl u;
	char err[256];
	assert_int_equal(conn_parse_url("ws://127.0.0.1:7701/swarmtop", &u, err, sizeof(err)), 0);
	assert_false(u.tls);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 7701);
	assert_string_equal(u.path, "/swarmtop");
	assert_int_equal(conn_parse_url("WSS://example.com", &u, err, sizeof(err)), 0);
	assert_true(u.tls);
	assert_int_equal(u.port, 7700);
	assert_string_equal(u.path, "/swarmtop");
	assert_int_equal(conn_parse_url("ws://[::1]:9/a/b?x=1", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9);
	assert_string_equal(u.path, "/a/b?x=1");
	static const char *const bad[] = {
	        "http://h/",     "ws://",          "ws://:80/",  "ws://h:0/",
	        "ws://h:65536/", "ws://h:12a/",    "ws://[::1/", "ws://h h/",
	        "ws://user@h/",  "ws://h/\x1b[2J", "h:80",       "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(conn_parse_url(bad[i], &u, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\x1b') == NULL ? NULL : err + 0);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	int64_t prev_max = 0;
	for (unsigned a = 0; a < 40; a++) {
		int64_t lo = conn_backoff_ms(a, 0xffffffffu), hi = conn_backoff_ms(a, 0);
		for (uint32_t r = 0; r < 1000; r += 37) {
			int64_t d = conn_backoff_ms(a, r * 2654435761u);
			assert_true(d >= CONN_BACKOFF_MIN_MS * 3 / 4);
			assert_true(d <= CONN_BACKOFF_MAX_MS);
		}
		assert_true(lo <= hi);
		assert_true(hi >= prev_max); /* grows until the cap */
		prev_max = hi;
	}
	assert_int_equal(conn_backoff_ms(0, 0), CONN_BACKOFF_MIN_MS);
	assert_int_equal(conn_backoff_ms(30, 0), CONN_BACKOFF_MAX_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_record_options),
	        cmocka_unit_test(test_env),          cmocka_unit_test(test_ctl_and_export),
	        cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_urls),
	        cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
