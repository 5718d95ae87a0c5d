/*
 * test_fmt.c: unit tests of fmt (counts, money, durations, clock, bytes,
 * percentages, meters and sparklines), including edges and truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/fmt.h"

#define CHECK(call, want)                                                                          \
	do {                                                                                       \
		char b_[64];                                                                       \
		int n_ = call;                                                                     \
		assert_string_equal(b_, want);                                                     \
		assert_int_equal(n_, (int)strlen(want));                                           \
	} while (0)

/* Counts stay within five characters and round sensibly. */
static void test_count(void **state)
{
	(void)state;
	CHECK(fmt_count(b_, sizeof b_, 0), "0");
	CHECK(fmt_count(b_, sizeof b_, 999), "999");
	CHECK(fmt_count(b_, sizeof b_, 1000), "1.0k");
	CHECK(fmt_count(b_, sizeof b_, 1234), "1.2k");
	CHECK(fmt_count(b_, sizeof b_, 12345), "12.3k");
	CHECK(fmt_count(b_, sizeof b_, 123456), "123k");
	CHECK(fmt_count(b_, sizeof b_, 999999), "1.0M");
	CHECK(fmt_count(b_, sizeof b_, 3400000), "3.4M");
	CHECK(fmt_count(b_, sizeof b_, 7000000000LL), "7.0G");
	CHECK(fmt_count(b_, sizeof b_, -1500), "-1.5k");
	CHECK(fmt_count(b_, sizeof b_, INT64_MAX), "9.2E");
	CHECK(fmt_count(b_, sizeof b_, INT64_MIN), "-9.2E");
	for (int64_t n = 1; n < INT64_MAX / 7; n = n * 7 + 3) {
		char b[32];
		assert_true(fmt_count(b, sizeof b, n) <= 5);
	}
}

/* Money: precision by magnitude, estimates marked with '~'. */
static void test_usd(void **state)
{
	(void)state;
	CHECK(fmt_usd(b_, sizeof b_, 0.0, false), "$0.00");
	CHECK(fmt_usd(b_, sizeof b_, -3.0, false), "$0.00");
	CHECK(fmt_usd(b_, sizeof b_, 0.0042, false), "$0.0042");
	CHECK(fmt_usd(b_, sizeof b_, 0.042, false), "$0.042");
	CHECK(fmt_usd(b_, sizeof b_, 1.2, true), "~$1.20");
	CHECK(fmt_usd(b_, sizeof b_, 0.45, true), "~$0.45");
	CHECK(fmt_usd(b_, sizeof b_, 1.234, false), "$1.23");
	CHECK(fmt_usd(b_, sizeof b_, 123.4, false), "$123");
	CHECK(fmt_usd(b_, sizeof b_, 12345.0, false), "$12.3k");
	CHECK(fmt_usd(b_, sizeof b_, 2.5e6, true), "~$2.5M");
	CHECK(fmt_usd(b_, sizeof b_, 0.0 / 0.0, false), "$0.00");
}

/* Durations: two units, zero-padded second unit. */
static void test_duration(void **state)
{
	(void)state;
	CHECK(fmt_duration(b_, sizeof b_, -5), "0s");
	CHECK(fmt_duration(b_, sizeof b_, 999), "0s");
	CHECK(fmt_duration(b_, sizeof b_, 59999), "59s");
	CHECK(fmt_duration(b_, sizeof b_, 723000), "12m03s");
	CHECK(fmt_duration(b_, sizeof b_, (3 * 3600 + 4 * 60 + 5) * 1000LL), "3h04m");
	CHECK(fmt_duration(b_, sizeof b_, (2 * 86400 + 3 * 3600) * 1000LL), "2d03h");
	CHECK(fmt_duration(b_, sizeof b_, 123 * 86400000LL), "123d");
}

/* Clock: UTC time of day, also for instants before the epoch. */
static void test_clock(void **state)
{
	(void)state;
	CHECK(fmt_clock(b_, sizeof b_, 0), "00:00:00");
	CHECK(fmt_clock(b_, sizeof b_, 1700000000123LL), "22:13:20");
	CHECK(fmt_clock(b_, sizeof b_, -1000), "23:59:59");
}

/* Bytes and percentages. */
static void test_bytes_percent(void **state)
{
	(void)state;
	CHECK(fmt_bytes(b_, sizeof b_, 512), "512B");
	CHECK(fmt_bytes(b_, sizeof b_, 1229), "1.2K");
	CHECK(fmt_bytes(b_, sizeof b_, 34 * 1024 * 1024), "34M");
	CHECK(fmt_bytes(b_, sizeof b_, -1), "0B");
	CHECK(fmt_percent(b_, sizeof b_, 0.421), "42.1%");
	CHECK(fmt_percent(b_, sizeof b_, 1.0), "100%");
	CHECK(fmt_percent(b_, sizeof b_, -0.5), "0.0%");
	CHECK(fmt_percent(b_, sizeof b_, 50.0), "999%");
}

/* Bars: clamped, and any non-zero load shows at least one cell. */
static void test_bar_fill(void **state)
{
	(void)state;
	assert_int_equal(fmt_bar_fill(0.0, 10), 0);
	assert_int_equal(fmt_bar_fill(0.001, 10), 1);
	assert_int_equal(fmt_bar_fill(0.5, 10), 5);
	assert_int_equal(fmt_bar_fill(2.0, 10), 10);
	assert_int_equal(fmt_bar_fill(-1.0, 10), 0);
	assert_int_equal(fmt_bar_fill(0.5, 0), 0);
	assert_int_equal(fmt_bar_fill(0.0 / 0.0, 10), 0);
}

/* Meters have an exact width and carry the percentage on the right. */
static void test_meter(void **state)
{
	(void)state;
	CHECK(fmt_meter(b_, sizeof b_, 0.421, 20), "[||||||||     42.1%]");
	CHECK(fmt_meter(b_, sizeof b_, 0.0, 10), "[    0.0%]");
	CHECK(fmt_meter(b_, sizeof b_, 1.0, 8), "[||100%]");
	CHECK(fmt_meter(b_, sizeof b_, 0.5, 5), "[|| ]");
	CHECK(fmt_meter(b_, 4, 0.5, 10), "");
	CHECK(fmt_meter(b_, sizeof b_, 0.5, 1), "");
}

/* Sparklines: eighth blocks scaled to the max, ASCII fallback, truncation to cap. */
static void test_spark(void **state)
{
	(void)state;
	double v[] = {0, 1, 2, 4, 8};
	CHECK(fmt_spark(b_, sizeof b_, v, 5, 0, false), " \u2581\u2582\u2584\u2588");
	CHECK(fmt_spark(b_, sizeof b_, v, 5, 0, true), " .:=%");
	CHECK(fmt_spark(b_, sizeof b_, v, 5, 16, false), " \u2581\u2581\u2582\u2584");
	CHECK(fmt_spark(b_, 5, v, 5, 0, false), " \u2581");
	assert_int_equal(fmt_spark_level(0.0, 10.0), 0);
	assert_int_equal(fmt_spark_level(0.01, 10.0), 1);
	assert_int_equal(fmt_spark_level(10.0, 10.0), 8);
	assert_int_equal(fmt_spark_level(20.0, 10.0), 8);
	assert_int_equal(fmt_spark_level(5.0, 0.0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),    cmocka_unit_test(test_usd),
		cmocka_unit_test(test_duration), cmocka_unit_test(test_clock),
		cmocka_unit_test(test_bytes_percent), cmocka_unit_test(test_bar_fill),
		cmocka_unit_test(test_meter),    cmocka_unit_test(test_spark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
