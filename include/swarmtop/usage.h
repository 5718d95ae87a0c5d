/*
 * usage.h: token counters, sliding-window rates, and cost estimates from a
 * price table.
 *
 * Accounting is inclusive (spec, usage event): cache_read and cache_write are
 * parts of input; reasoning is part of output. Billed cost (cost_usd on the
 * wire) and estimated cost (price table) are kept apart and never summed
 * silently; a model with no price has no estimate, never a made-up one.
 *
 * Pure: no I/O, no clock (time is a parameter).
 */
#ifndef SWARMTOP_USAGE_H
#define SWARMTOP_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Tokens {
	int64_t input, output, cache_read, cache_write, reasoning;
} Tokens;

/* Add b into a (saturating at INT64_MAX). */
void tokens_add(Tokens *a, const Tokens *b);

/* input + output. */
int64_t tokens_total(const Tokens *t);

#define RATE_BUCKETS 120   /* one-second buckets: two minutes of history */

/* Per-second counts over the last RATE_BUCKETS seconds. A bucket is 32-bit and saturates at
 * UINT32_MAX (4.29e9 per second is far above any token rate; every agent and usage row holds a
 * ring, so 64-bit buckets cost ~1 MB at 1 000 agents). Totals are kept elsewhere in 64 bits. */
typedef struct RateRing {
	int64_t head_sec;              /* the second that bucket[head] counts */
	int head;
	uint32_t v[RATE_BUCKETS];
} RateRing;

/* Count n at time now_ms (a bucket saturates at UINT32_MAX; n < 0 counts as 0). Time going
 * backwards lands in the oldest bucket still kept. */
void rate_add(RateRing *r, int64_t now_ms, int64_t n);

/* Add src's counts into dst, second by second. */
void rate_merge(RateRing *dst, const RateRing *src);

/* Average per second over the last window_s full seconds before now_ms. */
double rate_per_sec(const RateRing *r, int64_t now_ms, int window_s);

/* The last n one-second counts, oldest first, ending at now_ms (n <= RATE_BUCKETS). */
void rate_series(const RateRing *r, int64_t now_ms, double *out, int n);

/* Prices in USD per million tokens. */
typedef struct Price {
	char provider[64];   /* "" matches any provider */
	char model[128];     /* exact model name, or a prefix ending in '*' */
	double input, output, cache_read, cache_write;
} Price;

typedef struct PriceMemo PriceMemo;

typedef struct PriceTable {
	Price *v;
	size_t n, cap;
	PriceMemo *memo;     /* prices_find's answers by (provider, model); owned, may be NULL */
} PriceTable;

/* Empty table. */
void prices_init(PriceTable *t);

/* Free the table. */
void prices_free(PriceTable *t);

/* Parse price-file text: lines "provider/model input output [cache_read [cache_write]]"
 * or "model input output ..."; '#' comments. Later lines override earlier ones for the
 * same key. Bad lines are skipped; for each, err_cb(line_no, message, ctx) is called.
 * Returns the number of prices loaded. */
int prices_parse(PriceTable *t, const char *text, size_t len,
                 void (*err_cb)(int line, const char *msg, void *ctx), void *ctx);

/* Find the price for provider/model (exact before prefix; provider-specific before any).
 * Answers are memoised in the table (a hash lookup after the first search of a pair);
 * prices_parse and prices_free drop the memo. Not thread-safe: one thread per table. */
const Price *prices_find(const PriceTable *t, const char *provider, const char *model);

/* Estimated USD for tokens at price p. */
double prices_cost(const Price *p, const Tokens *t);

#endif
