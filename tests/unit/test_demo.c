/*
 * test_demo.c: unit tests of the demo runtime's embedding API and option
 * parser: defaults, demo_start on port 0 reports a real listening port,
 * a second demo on a taken port fails with a message, demo_stop joins
 * everything (ASan checks nothing leaks), and usage errors exit 2.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "swarmtop/demo.h"

/* True when something accepts TCP connections on 127.0.0.1:port. */
static int listening(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* The documented defaults. */
static void test_defaults(void **state)
{
	DemoOptions o;

	(void)state;
	demo_options_init(&o);
	assert_string_equal(o.host, "127.0.0.1");
	assert_int_equal(o.port, 7700);
	assert_int_equal(o.agents, 8);
	assert_int_equal(o.retain, 10000);
	assert_true(o.rate < 0);
	assert_null(o.token);
	assert_null(o.instance);
	assert_true(o.speed == 1.0);
}

/* Port 0 picks a free port that really listens; a second demo on it fails. */
static void test_start_stop(void **state)
{
	DemoOptions o;
	char err[200] = "";
	int port = 0, port2 = -1;
	Demo *d, *d2;

	(void)state;
	demo_options_init(&o);
	o.port = 0;
	o.quiet = true;
	o.speed = 20;
	o.seed = 42;
	d = demo_start(&o, &port, err, sizeof(err));
	assert_non_null(d);
	assert_true(port > 0 && port < 65536);
	assert_true(listening(port));
	o.port = port;
	d2 = demo_start(&o, &port2, err, sizeof(err));
	assert_null(d2);
	assert_non_null(strstr(err, "cannot listen"));
	usleep(200 * 1000);
	demo_stop(d);
	demo_stop(NULL);
}

/* Flood mode starts and stops cleanly too (its thread may be waiting). */
static void test_flood_start_stop(void **state)
{
	DemoOptions o;
	char err[200];
	int port = 0;
	Demo *d;

	(void)state;
	demo_options_init(&o);
	o.port = 0;
	o.quiet = true;
	o.rate = 0;
	o.retain = 100;
	d = demo_start(&o, &port, err, sizeof(err));
	assert_non_null(d);
	usleep(100 * 1000);
	demo_stop(d);
}

/* Run demo_main on writable copies of up to three arguments after "demo". */
static int run_demo_main(const char *a, const char *b, const char *c)
{
	const char *in[] = {"demo", a, b, c};
	char *argv[5] = {0};
	int argc = 0, rc;

	for (int i = 0; i < 4 && in[i]; i++)
		argv[argc++] = strdup(in[i]);
	rc = demo_main(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return rc;
}

/* Usage errors: exit status 2, nothing started. */
static void test_usage_errors(void **state)
{
	FILE *saved = stdout;

	(void)state;
	assert_int_equal(run_demo_main("--port", "70000", NULL), 2);
	assert_int_equal(run_demo_main("--agents", "lots", NULL), 2);
	assert_int_equal(run_demo_main("--agents", "1", NULL), 2);
	assert_int_equal(run_demo_main("--frobnicate", NULL, NULL), 2);
	assert_int_equal(run_demo_main("--seed", NULL, NULL), 2);
	assert_int_equal(run_demo_main("stray", NULL, NULL), 2);
	assert_int_equal(run_demo_main("--instance", "", NULL), 2);
	assert_int_equal(run_demo_main("--rate", "-5", NULL), 2);
	stdout = fopen("/dev/null", "w");
	assert_int_equal(run_demo_main("--help", NULL, NULL), 0);
	fclose(stdout);
	stdout = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_start_stop),
		cmocka_unit_test(test_flood_start_stop),
		cmocka_unit_test(test_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
