/*
 * test_procstat.c: unit tests of the /proc readers behind the demo's
 * `threads` events: task stat lines with hostile comm names (spaces,
 * parentheses), truncated lines, per-core utilization from two samples
 * (including counters that go backwards), and reads of this process's own
 * /proc entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "swarmtop/procstat.h"

/* A stat line with fields 14 (utime) = 70, 15 (stime) = 30 and 39 (processor) = 3. */
#define STAT_TAIL " S 1 1 1 0 -1 4194560 100 0 0 0 70 30 0 0 20 0 7 0 12345 1000 200 " \
		  "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n"

/* The comm may hold spaces and parentheses: parsing starts after the last ')'. */
static void test_parse_hostile_comm(void **state)
{
	const char *line = "4242 (st (x) y) z)" STAT_TAIL;
	ProcThread t;

	(void)state;
	assert_int_equal(procstat_parse_thread(line, strlen(line), &t), 0);
	assert_int_equal(t.ticks, 100);
	assert_int_equal(t.core, 3);
}

/* Lines without a comm or with too few fields are rejected. */
static void test_parse_rejects_garbage(void **state)
{
	const char *no_paren = "4242 comm S 1 1 1";
	const char *short_line = "4242 (w) S 1 1 1 0 -1 4194560 100 0 0 0 70 30";
	const char *huge = "1 (a) S 1 1 1 0 -1 1 1 0 0 0 1234567890123456789012345678901234567 1";
	ProcThread t;

	(void)state;
	assert_int_equal(procstat_parse_thread(no_paren, strlen(no_paren), &t), -1);
	assert_int_equal(procstat_parse_thread(short_line, strlen(short_line), &t), -1);
	assert_int_equal(procstat_parse_thread(huge, strlen(huge), &t), -1);
	assert_int_equal(procstat_parse_thread("", 0, &t), -1);
}

/* Utilization is busy delta over total delta, clamped, 0 when counters go back. */
static void test_core_util(void **state)
{
	static ProcCores a, b;
	double out[4];
	int n;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.n = b.n = 3;
	a.total[0] = 100, a.busy[0] = 50, b.total[0] = 200, b.busy[0] = 125;   /* 0.75 */
	a.total[1] = 100, a.busy[1] = 10, b.total[1] = 100, b.busy[1] = 10;    /* idle tick */
	a.total[2] = 500, a.busy[2] = 400, b.total[2] = 100, b.busy[2] = 50;   /* reset */
	n = procstat_core_util(&a, &b, out, 4);
	assert_int_equal(n, 3);
	assert_true(out[0] > 0.749 && out[0] < 0.751);
	assert_true(out[1] == 0.0);
	assert_true(out[2] == 0.0);
	assert_int_equal(procstat_core_util(&a, &b, out, 2), 2);
}

/* This machine's /proc: cores found, and this very thread is readable. */
static void test_real_proc(void **state)
{
	static ProcCores c;
	ProcThread t;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	(void)state;
	assert_int_equal(procstat_read_cores(&c), 0);
	assert_true(c.n >= 1);
	assert_true(c.total[0] >= c.busy[0]);
	assert_int_equal(procstat_read_thread(tid, &t), 0);
	assert_true(t.core >= 0 && t.core < c.n);
	assert_int_equal(procstat_read_thread(-5, &t), -1);
	assert_true(procstat_ticks_per_sec() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hostile_comm),
		cmocka_unit_test(test_parse_rejects_garbage),
		cmocka_unit_test(test_core_util),
		cmocka_unit_test(test_real_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
