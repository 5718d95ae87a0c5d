/*
 * test_usage.c: unit tests of usage: saturating token sums, rate rings
 * (windows, series, time jumps both ways), price-file parsing with its error
 * reports, price lookup order, inclusive cost accounting, and the shipped
 * default table (docs/prices) parsing cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/usage.h"
#include "testutil.h"

/* Sums saturate at INT64_MAX instead of wrapping; negatives never subtract. */
static void test_tokens_add(void **state)
{
	(void)state;
	Tokens a = {.input = 10, .output = 5, .cache_read = 1, .cache_write = 2, .reasoning = 3};
	Tokens b = {.input = 1, .output = 1, .cache_read = 1, .cache_write = 1, .reasoning = 1};
	tokens_add(&a, &b);
	assert_int_equal(a.input, 11);
	assert_int_equal(a.output, 6);
	assert_int_equal(a.cache_read, 2);
	assert_int_equal(a.cache_write, 3);
	assert_int_equal(a.reasoning, 4);
	assert_int_equal(tokens_total(&a), 17);
	Tokens big = {.input = INT64_MAX - 1, .output = INT64_MAX};
	tokens_add(&big, &b);
	assert_true(big.input == INT64_MAX);
	assert_true(big.output == INT64_MAX);
	assert_true(tokens_total(&big) == INT64_MAX);
	Tokens neg = {.input = -5};
	Tokens c = {.input = 3};
	tokens_add(&c, &neg);
	assert_int_equal(c.input, 3);
}

/* Counts land in one-second buckets; the rate is over full seconds before now. */
static void test_rate_window(void **state)
{
	RateRing r;
	(void)state;
	memset(&r, 0, sizeof r);
	int64_t t0 = 1764300000000LL;
	rate_add(&r, t0, 100);
	rate_add(&r, t0 + 500, 100);   /* same second */
	rate_add(&r, t0 + 1000, 300);  /* next second */
	/* At t0+2000: the last two full seconds hold 200 and 300. */
	assert_float_equal(rate_per_sec(&r, t0 + 2000, 2), 250.0, 1e-9);
	assert_float_equal(rate_per_sec(&r, t0 + 2000, 1), 300.0, 1e-9);
	assert_float_equal(rate_per_sec(&r, t0 + 2000, 10), 50.0, 1e-9);
	/* The current, partial second is not in the window. */
	assert_float_equal(rate_per_sec(&r, t0 + 1000, 1), 200.0, 1e-9);
	assert_float_equal(rate_per_sec(&r, t0 + 2000, 0), 0.0, 1e-9);
	double s[4];
	rate_series(&r, t0 + 2000, s, 4);
	assert_float_equal(s[0], 0, 1e-9);
	assert_float_equal(s[1], 200, 1e-9);
	assert_float_equal(s[2], 300, 1e-9);
	assert_float_equal(s[3], 0, 1e-9);
	/* Reading far in the future: everything has aged out. */
	assert_float_equal(rate_per_sec(&r, t0 + 1000000, 60), 0.0, 1e-9);
}

/* rate_merge adds the source's seconds into the destination, wherever their heads are. */
static void test_rate_merge(void **state)
{
	(void)state;
	RateRing a = {0}, b = {0};
	double out[5];
	rate_add(&a, 100000, 4);       /* second 100 */
	rate_add(&a, 102000, 6);       /* second 102 */
	rate_add(&b, 101000, 10);      /* second 101 */
	rate_add(&b, 103000, 1);       /* second 103: b is ahead of a */
	rate_merge(&a, &b);
	rate_series(&a, 104000, out, 5);  /* seconds 100..104 */
	assert_true(out[0] == 4 && out[1] == 10 && out[2] == 6 && out[3] == 1 && out[4] == 0);
	RateRing empty = {0};
	rate_merge(&a, &empty);
	rate_series(&a, 104000, out, 5);
	assert_true(out[0] == 4 && out[1] == 10 && out[2] == 6 && out[3] == 1);
}

/* Advancing time zeroes skipped buckets; a far jump clears all; going back is bounded. */
static void test_rate_jumps(void **state)
{
	RateRing r;
	(void)state;
	memset(&r, 0, sizeof r);
	int64_t t0 = 5000000;
	for (int i = 0; i < RATE_BUCKETS; i++)
		rate_add(&r, t0 + i * 1000, 1);
	int64_t end = t0 + RATE_BUCKETS * 1000;
	assert_float_equal(rate_per_sec(&r, end, RATE_BUCKETS), 1.0, 1e-9);
	/* Ten seconds later, ten old buckets are reused and zeroed. */
	rate_add(&r, end + 9000, 0);
	assert_float_equal(rate_per_sec(&r, end + 10000, 10), 0.0, 1e-9);
	assert_float_equal(rate_per_sec(&r, end + 10000, 20), 0.5, 1e-9);
	/* A jump of a day clears everything. */
	rate_add(&r, end + 86400000LL, 7);
	assert_float_equal(rate_per_sec(&r, end + 86401000LL, RATE_BUCKETS), 7.0 / RATE_BUCKETS,
	                   1e-9);
	/* Backwards within the ring: the count goes to that second. */
	rate_add(&r, end + 86400000LL - 3000, 4);
	double s[5];
	rate_series(&r, end + 86400000LL, s, 5);
	assert_float_equal(s[1], 4, 1e-9);
	assert_float_equal(s[4], 7, 1e-9);
	/* Backwards beyond the ring (or to a negative time): the oldest bucket still kept. */
	rate_add(&r, 0, 9);
	rate_add(&r, -123456, 1);
	double all[RATE_BUCKETS];
	rate_series(&r, end + 86400000LL, all, RATE_BUCKETS);
	assert_float_equal(all[0], 10, 1e-9);
	/* Out-of-range arguments are bounded. */
	assert_float_equal(rate_per_sec(&r, end + 86400000LL, 100000),
	                   rate_per_sec(&r, end + 86400000LL, RATE_BUCKETS), 1e-9);
	/* Saturation in a bucket: 32-bit buckets stop at UINT32_MAX (a per-second count). */
	rate_add(&r, end + 86400000LL, INT64_MAX);
	rate_series(&r, end + 86400000LL, s, 1);
	assert_float_equal(s[0], (double)UINT32_MAX, 0.5);
	rate_add(&r, end + 86400000LL, 5);
	rate_series(&r, end + 86400000LL, s, 1);
	assert_float_equal(s[0], (double)UINT32_MAX, 0.5);
	/* Just below the limit still adds exactly; a negative count adds nothing. */
	rate_add(&r, end + 86401000LL, (int64_t)UINT32_MAX - 1);
	rate_add(&r, end + 86401000LL, -40);
	rate_series(&r, end + 86401000LL, s, 1);
	assert_float_equal(s[0], (double)UINT32_MAX - 1, 0.5);
	rate_add(&r, end + 86401000LL, 1);
	rate_series(&r, end + 86401000LL, s, 1);
	assert_float_equal(s[0], (double)UINT32_MAX, 0.5);
}

/* Good lines load (comments, blanks, CRLF); each bad line reports its number and why. */
static void test_prices_parse(void **state)
{
	(void)state;
	const char *text = "# header\n"                           /* 1 */
	                   "openai/gpt-5 1.25 10 0.125 1.25\n"     /* 2 */
	                   "\n"                                    /* 3 */
	                   "gpt-4o 2.5 10   # trailing comment\r\n" /* 4 */
	                   "bad-line 1\n"                          /* 5 */
	                   "x/y 1 2 3 4 5\n"                       /* 6 */
	                   "m -1 2\n"                              /* 7 */
	                   "m 1 abc\n"                             /* 8 */
	                   "/m 1 2\n"                              /* 9 */
	                   "a*b 1 2\n"                             /* 10 */
	                   "m nan 2\n"                             /* 11 */
	                   "claude-* 3 15 0.3 3.75\n"              /* 12 */
	                   "gpt-4o 3 12";                          /* 13: overrides 4, no newline */
	PriceTable t;
	Errs e = {0};
	prices_init(&t);
	int n = prices_parse(&t, text, strlen(text), test_on_err, &e);
	assert_int_equal(n, 4);
	assert_int_equal(t.n, 3);
	assert_int_equal(e.n, 7);
	int want[] = {5, 6, 7, 8, 9, 10, 11};
	for (int i = 0; i < 7; i++)
		assert_int_equal(e.lines[i], want[i]);
	assert_non_null(strstr(e.msgs[0], "expected"));
	assert_non_null(strstr(e.msgs[1], "too many"));
	assert_non_null(strstr(e.msgs[2], "input price"));
	assert_non_null(strstr(e.msgs[3], "output price"));
	assert_non_null(strstr(e.msgs[4], "provider"));
	assert_non_null(strstr(e.msgs[5], "'*'"));

	const Price *p = prices_find(&t, "openai", "gpt-5");
	assert_non_null(p);
	assert_string_equal(p->provider, "openai");
	assert_float_equal(p->cache_read, 0.125, 1e-12);
	p = prices_find(&t, "azure", "gpt-4o");
	assert_non_null(p);
	assert_float_equal(p->input, 3, 1e-12);         /* the later line won */
	assert_float_equal(p->cache_read, 3, 1e-12);    /* omitted: defaults to input */
	assert_float_equal(p->cache_write, 3, 1e-12);

	/* NUL bytes and over-long lines are reported, not read past. */
	Errs e2 = {0};
	char weird[700];
	memset(weird, 'a', sizeof weird);
	weird[sizeof weird - 1] = '\n';
	assert_int_equal(prices_parse(&t, weird, sizeof weird, test_on_err, &e2), 0);
	assert_int_equal(prices_parse(&t, "m 1\0 2\n", 7, test_on_err, &e2), 0);
	assert_int_equal(e2.n, 2);
	assert_non_null(strstr(e2.msgs[0], "too long"));
	assert_non_null(strstr(e2.msgs[1], "NUL"));
	/* No callback: still safe. */
	assert_int_equal(prices_parse(&t, "bad\n", 4, NULL, NULL), 0);
	assert_int_equal(prices_parse(&t, NULL, 10, NULL, NULL), 0);
	prices_free(&t);
}

/* Exact before prefix, longest prefix, provider-specific before provider-less; unknown: NULL. */
static void test_prices_find(void **state)
{
	(void)state;
	const char *text = "gpt-4o 2.5 10\n"
	                   "gpt-4o* 9 9\n"
	                   "gpt-4o-mini* 0.15 0.6\n"
	                   "azure/gpt-4o 3 11\n"
	                   "ollama/* 0 0\n"
	                   "claude-sonnet-4* 3 15\n";
	PriceTable t;
	prices_init(&t);
	assert_int_equal(prices_parse(&t, text, strlen(text), NULL, NULL), 6);
	assert_float_equal(prices_find(&t, "openai", "gpt-4o")->input, 2.5, 1e-12);
	assert_float_equal(prices_find(&t, "azure", "gpt-4o")->input, 3, 1e-12);
	assert_float_equal(prices_find(&t, NULL, "gpt-4o")->input, 2.5, 1e-12);
	assert_float_equal(prices_find(&t, "", "GPT-4o")->input, 2.5, 1e-12);
	assert_float_equal(prices_find(&t, "openai", "gpt-4o-2024-08-06")->input, 9, 1e-12);
	assert_float_equal(prices_find(&t, "openai", "gpt-4o-mini-2024")->input, 0.15, 1e-12);
	assert_float_equal(prices_find(&t, "ollama", "llama3.2")->input, 0, 1e-12);
	assert_non_null(prices_find(&t, "anthropic", "claude-sonnet-4-20250514"));
	assert_null(prices_find(&t, "openai", "gpt-9-unknown"));
	assert_null(prices_find(&t, "anthropic", "claude-sonnet-3"));
	assert_null(prices_find(&t, "openai", NULL));
	assert_null(prices_find(&t, "openai", ""));
	assert_null(prices_find(NULL, "openai", "gpt-4o"));
	prices_free(&t);
}

/* The memo answers like a full search: repeated lookups, a later prices_parse overriding
 * or adding prices, and more distinct (provider, model) pairs than the memo holds. */
static void test_prices_memo(void **state)
{
	(void)state;
	const char *text = "gpt-4o 2.5 10\nclaude* 3 15\n";
	PriceTable t;
	prices_init(&t);
	assert_null(prices_find(&t, "openai", "gpt-4o"));  /* empty table */
	assert_int_equal(prices_parse(&t, text, strlen(text), NULL, NULL), 2);
	for (int i = 0; i < 3; i++) {
		assert_float_equal(prices_find(&t, "openai", "gpt-4o")->input, 2.5, 1e-12);
		assert_float_equal(prices_find(&t, NULL, "gpt-4o")->input, 2.5, 1e-12);
		assert_null(prices_find(&t, "openai", "gpt-9"));
		assert_null(prices_find(&t, "openai", ""));
	}
	/* A provider-specific price and a new model parsed later replace memoised answers. */
	const char *more = "openai/gpt-4o 7 7\nopenai/gpt-9 1 2\n";
	assert_int_equal(prices_parse(&t, more, strlen(more), NULL, NULL), 2);
	assert_float_equal(prices_find(&t, "openai", "gpt-4o")->input, 7, 1e-12);
	assert_float_equal(prices_find(&t, "azure", "gpt-4o")->input, 2.5, 1e-12);
	assert_float_equal(prices_find(&t, "openai", "gpt-9")->output, 2, 1e-12);
	/* 2 000 distinct pairs (the memo empties itself when half full), then the first again. */
	char prov[32], model[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(prov, sizeof prov, "p%d", i % 7);
		snprintf(model, sizeof model, i % 2 ? "claude-%d" : "x-%d", i);
		const Price *p = prices_find(&t, prov, model);
		if (i % 2)
			assert_float_equal(p->output, 15, 1e-12);
		else
			assert_null(p);
	}
	assert_float_equal(prices_find(&t, "openai", "gpt-4o")->input, 7, 1e-12);
	prices_free(&t);
	assert_null(prices_find(&t, "openai", "gpt-4o"));
}

/* Cost is inclusive: cached tokens are carved out of input; reasoning is output. */
static void test_prices_cost(void **state)
{
	(void)state;
	Price p = {.input = 2, .output = 10, .cache_read = 0.5, .cache_write = 4};
	/* 1M input of which 600k cache read and 100k cache write; 1M output of which 200k
	 * reasoning: 300k*2 + 600k*0.5 + 100k*4 + 1M*10 = 0.6 + 0.3 + 0.4 + 10 = 11.3 USD. */
	Tokens t = {.input = 1000000, .output = 1000000, .cache_read = 600000,
	            .cache_write = 100000, .reasoning = 200000};
	assert_float_equal(prices_cost(&p, &t), 11.3, 1e-9);
	/* Inconsistent counts (cache > input): uncached input clamps at 0. */
	Tokens odd = {.input = 100, .cache_read = 1000000};
	assert_float_equal(prices_cost(&p, &odd), 0.5, 1e-9);
	Tokens zero = {0};
	assert_float_equal(prices_cost(&p, &zero), 0, 1e-12);
	assert_float_equal(prices_cost(NULL, &t), 0, 1e-12);
}

/* The shipped default table parses without a single error and covers the common models. */
static void test_default_table(void **state)
{
	(void)state;
	size_t len;
	char *buf = test_fixture("../../docs", "prices", &len);
	PriceTable t;
	Errs e = {0};
	prices_init(&t);
	assert_true(prices_parse(&t, buf, len, test_on_err, &e) > 20);
	if (e.n)
		fail_msg("docs/prices line %d: %s", e.lines[0], e.msgs[0]);
	static const char *const models[][2] = {
		{"openai", "gpt-5"},        {"openai", "gpt-5-mini"},
		{"openai", "gpt-4.1"},      {"openai", "gpt-4o"},
		{"openai", "gpt-4o-mini"},  {"openai", "o3"},
		{"openai", "o4-mini"},      {"anthropic", "claude-opus-4"},
		{"anthropic", "claude-sonnet-4"}, {"anthropic", "claude-3-5-haiku"},
		{"google", "gemini-2.5-pro"},     {"google", "gemini-2.5-flash"},
		{"groq", "llama-3.3-70b-versatile"}, {"mistral", "mistral-large-latest"},
	};
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
		const Price *p = prices_find(&t, models[i][0], models[i][1]);
		if (p == NULL)
			fail_msg("no price for %s/%s", models[i][0], models[i][1]);
		assert_true(p->output >= p->input);
	}
	/* Dated variants find their family; the mini is not priced as the big model. */
	assert_float_equal(prices_find(&t, "openai", "gpt-4o-mini-2024-07-18")->input, 0.15, 1e-9);
	assert_float_equal(prices_find(&t, "openai", "gpt-4o-2024-08-06")->input, 2.5, 1e-9);
	assert_null(prices_find(&t, "acme", "mystery-model-1"));
	prices_free(&t);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_add),   cmocka_unit_test(test_rate_window),
		cmocka_unit_test(test_rate_jumps),   cmocka_unit_test(test_rate_merge),   cmocka_unit_test(test_prices_parse),
		cmocka_unit_test(test_prices_find),  cmocka_unit_test(test_prices_memo),
		cmocka_unit_test(test_prices_cost),
		cmocka_unit_test(test_default_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
