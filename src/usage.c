/*
 * usage.c: token counters (saturating), one-second rate rings, and the price
 * table: parsing the price-file text, finding a model's price, estimating cost.
 *
 * Accounting is inclusive: cache_read and cache_write are parts of input, and
 * reasoning is part of output (priced as output). A model with no price has
 * no estimate; nothing here invents one.
 *
 * Pure: no I/O, no clock (time is a parameter), no printing: parse errors go
 * to the caller's callback.
 */
#include "swarmtop/usage.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a + b for non-negative counters, saturating at INT64_MAX; negatives count as 0. */
static int64_t sat_add(int64_t a, int64_t b)
{
	if (a < 0)
		a = 0;
	if (b < 0)
		b = 0;
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Add b into a (saturating at INT64_MAX). */
void tokens_add(Tokens *a, const Tokens *b)
{
	a->input = sat_add(a->input, b->input);
	a->output = sat_add(a->output, b->output);
	a->cache_read = sat_add(a->cache_read, b->cache_read);
	a->cache_write = sat_add(a->cache_write, b->cache_write);
	a->reasoning = sat_add(a->reasoning, b->reasoning);
}

/* input + output. */
int64_t tokens_total(const Tokens *t)
{
	return sat_add(t->input, t->output);
}

/* Whole seconds of a millisecond time, rounding towards minus infinity. */
static int64_t rate_sec(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
}

/* Bucket index holding second sec, or -1 when that second is not kept. */
static int rate_slot(const RateRing *r, int64_t sec)
{
	if (sec > r->head_sec || sec <= r->head_sec - RATE_BUCKETS)
		return -1;
	int64_t back = r->head_sec - sec;
	return (int)((r->head + RATE_BUCKETS - back) % RATE_BUCKETS);
}

/* bucket + n, saturating at UINT32_MAX; n < 0 counts as 0. */
static uint32_t rate_sat_add(uint32_t bucket, int64_t n)
{
	if (n <= 0)
		return bucket;
	return n >= (int64_t)(UINT32_MAX - bucket) ? UINT32_MAX : bucket + (uint32_t)n;
}

/* Count n at time now_ms (a bucket saturates at UINT32_MAX). Time going backwards lands in the oldest bucket still kept. */
void rate_add(RateRing *r, int64_t now_ms, int64_t n)
{
	int64_t sec = rate_sec(now_ms);

	if (sec > r->head_sec) {
		/* Time advanced: zero the buckets of the seconds skipped over. */
		int64_t step = sec - r->head_sec;
		if (step >= RATE_BUCKETS || step < 0) {
			memset(r->v, 0, sizeof(r->v));
			r->head = 0;
		} else {
			for (int64_t i = 0; i < step; i++) {
				r->head = (r->head + 1) % RATE_BUCKETS;
				r->v[r->head] = 0;
			}
		}
		r->head_sec = sec;
	}
	int slot = rate_slot(r, sec);
	if (slot < 0)   /* further back than the ring reaches: the oldest bucket */
		slot = (r->head + 1) % RATE_BUCKETS;
	r->v[slot] = rate_sat_add(r->v[slot], n);
}

/* Count of second sec (0 when not kept). */
static uint32_t rate_at(const RateRing *r, int64_t sec)
{
	int slot = rate_slot(r, sec);
	return slot < 0 ? 0 : r->v[slot];
}

/* Add src's counts into dst, second by second. */
void rate_merge(RateRing *dst, const RateRing *src)
{
	for (int64_t sec = src->head_sec - RATE_BUCKETS + 1; sec <= src->head_sec; sec++) {
		uint32_t v = rate_at(src, sec);
		if (v > 0)
			rate_add(dst, sec * 1000, v);
	}
}

/* Average per second over the last window_s full seconds before now_ms. */
double rate_per_sec(const RateRing *r, int64_t now_ms, int window_s)
{
	if (window_s <= 0)
		return 0.0;
	if (window_s > RATE_BUCKETS)
		window_s = RATE_BUCKETS;
	int64_t now = rate_sec(now_ms);
	double sum = 0.0;
	for (int i = 1; i <= window_s; i++)
		sum += (double)rate_at(r, now - i);
	return sum / window_s;
}

/* The last n one-second counts, oldest first, ending at now_ms (n <= RATE_BUCKETS). */
void rate_series(const RateRing *r, int64_t now_ms, double *out, int n)
{
	if (n > RATE_BUCKETS)
		n = RATE_BUCKETS;
	int64_t now = rate_sec(now_ms);
	for (int i = 0; i < n; i++)
		out[i] = (double)rate_at(r, now - (n - 1 - i));
}

/* Empty table. */
void prices_init(PriceTable *t)
{
	t->v = NULL;
	t->n = 0;
	t->cap = 0;
	t->memo = NULL;
}

/* prices_find's memo: open addressing over (provider, model) pairs, emptied when it is
 * half full or the table changes. A slot's key is "provider\0model\0" (malloc'd). */
#define PRICE_MEMO_SLOTS 512

typedef struct PriceMemoSlot {
	uint64_t hash;
	char *key;           /* NULL: empty slot */
	size_t plen;         /* provider length within key */
	long idx;            /* index into the table's v, or -1: no price */
} PriceMemoSlot;

struct PriceMemo {
	size_t used;
	PriceMemoSlot slot[PRICE_MEMO_SLOTS];
};

/* Empty the memo (keeps its allocation). */
static void prices_memo_clear(PriceMemo *mm)
{
	if (mm == NULL)
		return;
	for (size_t i = 0; i < PRICE_MEMO_SLOTS; i++) {
		free(mm->slot[i].key);
		mm->slot[i].key = NULL;
	}
	mm->used = 0;
}

/* Free the table. */
void prices_free(PriceTable *t)
{
	prices_memo_clear(t->memo);
	free(t->memo);
	free(t->v);
	prices_init(t);
}

#define PRICE_LINE_MAX 512
#define PRICE_FIELDS   5
#define PRICE_WHY_MAX  128

/* Parse a price: a finite, non-negative decimal number. Returns 0 or -1. */
static int price_number(const char *s, double *out)
{
	char *end;
	if (!(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -1;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Store p in t, replacing an entry with the same provider and model. Returns 0 or -1. */
static int prices_store(PriceTable *t, const Price *p)
{
	prices_memo_clear(t->memo);
	if (t->memo == NULL)
		t->memo = calloc(1, sizeof(*t->memo)); /* NULL: prices_find scans every time */
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].provider, p->provider) == 0 &&
		    strcmp(t->v[i].model, p->model) == 0) {
			t->v[i] = *p;
			return 0;
		}
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		Price *nv = realloc(t->v, nc * sizeof(*nv));
		if (nv == NULL)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = *p;
	return 0;
}

/* Parse one line (NUL-terminated, comment stripped) into p. NULL, or why it is bad
 * (a constant, or written into why of PRICE_WHY_MAX bytes). */
static const char *price_line(char *line, Price *p, bool *blank, char *why)
{
	char *f[PRICE_FIELDS + 1];
	int nf = 0;
	static const char *const field_names[PRICE_FIELDS] = {
		"model", "input price", "output price", "cache_read price", "cache_write price",
	};

	for (char *s = line; *s != '\0';) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (nf == PRICE_FIELDS + 1)
			break;
		f[nf++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	*blank = nf == 0;
	if (nf == 0)
		return NULL;
	if (nf < 3)
		return "expected 'provider/model input output [cache_read [cache_write]]'";
	if (nf > PRICE_FIELDS)
		return "too many fields (at most model and 4 prices)";

	memset(p, 0, sizeof(*p));
	const char *name = f[0], *slash = strchr(name, '/');
	const char *model = slash ? slash + 1 : name;
	size_t plen = slash ? (size_t)(slash - name) : 0;
	if (slash != NULL && plen == 0)
		return "empty provider before '/'";
	if (*model == '\0')
		return "empty model name";
	if (plen >= sizeof(p->provider))
		return "provider name too long";
	if (strlen(model) >= sizeof(p->model))
		return "model name too long";
	const char *star = strchr(model, '*');
	if (star != NULL && star[1] != '\0')
		return "'*' is only allowed at the end of a model name";
	for (const char *c = name; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "control character in model name";
	memcpy(p->provider, name, plen);
	p->provider[plen] = '\0';
	strcpy(p->model, model);

	double v[PRICE_FIELDS - 1] = {0};
	for (int i = 1; i < nf; i++) {
		if (price_number(f[i], &v[i - 1]) != 0) {
			snprintf(why, PRICE_WHY_MAX,
			         "bad %s '%.24s': expected a non-negative number", field_names[i],
			         f[i]);
			return why;
		}
	}
	p->input = v[0];
	p->output = v[1];
	p->cache_read = nf > 3 ? v[2] : v[0];
	p->cache_write = nf > 4 ? v[3] : v[0];
	return NULL;
}

/* Parse price-file text: lines "provider/model input output [cache_read [cache_write]]"
 * or "model input output ..."; '#' comments. Later lines override earlier ones for the
 * same key. Bad lines are skipped; for each, err_cb(line_no, message, ctx) is called.
 * Returns the number of prices loaded. */
int prices_parse(PriceTable *t, const char *text, size_t len,
                 void (*err_cb)(int line, const char *msg, void *ctx), void *ctx)
{
	int loaded = 0, line_no = 0;
	size_t i = 0;

	if (text == NULL)
		return 0;
	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i;
		if (i < len)
			i++;   /* the newline */
		line_no++;
		if (end > start && text[end - 1] == '\r')
			end--;
		const char *hash = memchr(text + start, '#', end - start);
		if (hash != NULL)
			end = (size_t)(hash - text);
		if (memchr(text + start, '\0', end - start) != NULL) {
			if (err_cb)
				err_cb(line_no, "NUL byte in line", ctx);
			continue;
		}
		char buf[PRICE_LINE_MAX];
		if (end - start >= sizeof(buf)) {
			if (err_cb)
				err_cb(line_no, "line too long", ctx);
			continue;
		}
		memcpy(buf, text + start, end - start);
		buf[end - start] = '\0';

		Price p;
		bool blank;
		char whybuf[PRICE_WHY_MAX];
		const char *why = price_line(buf, &p, &blank, whybuf);
		if (blank)
			continue;
		if (why != NULL) {
			if (err_cb)
				err_cb(line_no, why, ctx);
			continue;
		}
		if (prices_store(t, &p) != 0) {
			if (err_cb)
				err_cb(line_no, "out of memory", ctx);
			continue;
		}
		loaded++;
	}
	return loaded;
}

/* True when a and b are equal ignoring ASCII case. */
static bool eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

/* Length of the prefix before '*' when pattern p matches model m as a prefix, else -1. */
static long prefix_match(const char *p, const char *m)
{
	size_t n = strlen(p);
	if (n == 0 || p[n - 1] != '*')
		return -1;
	n--;
	for (size_t i = 0; i < n; i++)
		if (m[i] == '\0' || tolower((unsigned char)p[i]) != tolower((unsigned char)m[i]))
			return -1;
	return (long)n;
}

/* Search the whole table for provider/model (see prices_find). */
static const Price *prices_scan(const PriceTable *t, const char *provider, const char *model)
{
	/* Ranks, best first: exact+provider, exact+any, prefix+provider, prefix+any;
	 * among prefixes the longest wins. With no provider given, provider-less entries
	 * rank above entries of some provider. */
	const Price *best = NULL;
	int best_rank = 99;
	long best_len = -1;

	if (t == NULL || model == NULL || *model == '\0')
		return NULL;
	bool have_prov = provider != NULL && *provider != '\0';
	for (size_t i = 0; i < t->n; i++) {
		const Price *p = &t->v[i];
		int prov_rank;
		if (p->provider[0] == '\0')
			prov_rank = have_prov ? 1 : 0;
		else if (have_prov && eq_nocase(p->provider, provider))
			prov_rank = 0;
		else if (!have_prov)
			prov_rank = 1;
		else
			continue;
		int rank;
		long len = 0;
		if (eq_nocase(p->model, model)) {
			rank = prov_rank;
		} else {
			len = prefix_match(p->model, model);
			if (len < 0)
				continue;
			rank = 2 + prov_rank;
		}
		if (rank < best_rank || (rank == best_rank && len > best_len)) {
			best = p;
			best_rank = rank;
			best_len = len;
		}
	}
	return best;
}

/* Estimated USD for tokens at price p. */
double prices_cost(const Price *p, const Tokens *t)
{
	if (p == NULL || t == NULL)
		return 0.0;
	double cr = t->cache_read > 0 ? (double)t->cache_read : 0.0;
	double cw = t->cache_write > 0 ? (double)t->cache_write : 0.0;
	double in = t->input > 0 ? (double)t->input : 0.0;
	double out = t->output > 0 ? (double)t->output : 0.0;
	double uncached = in - cr - cw;
	if (uncached < 0)
		uncached = 0;
	return (uncached * p->input + cr * p->cache_read + cw * p->cache_write +
	        out * p->output) / 1e6;
}

/* FNV-1a of provider, a NUL, and model; the provider's length in *plen. */
static uint64_t prices_memo_hash(const char *provider, const char *model, size_t *plen)
{
	uint64_t h = 1469598103934665603ull;
	const char *c = provider;
	for (; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	*plen = (size_t)(c - provider);
	h *= 1099511628211ull;
	for (c = model; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return h;
}

/* Find the price for provider/model (exact before prefix; provider-specific before any). */
const Price *prices_find(const PriceTable *t, const char *provider, const char *model)
{
	if (t == NULL || model == NULL || *model == '\0')
		return NULL;
	if (provider == NULL)
		provider = "";
	PriceMemo *mm = t->memo;  /* allocated with the first price (prices_store) */
	if (mm == NULL)
		return prices_scan(t, provider, model);
	size_t plen;
	uint64_t h = prices_memo_hash(provider, model, &plen);
	size_t i = (size_t)h & (PRICE_MEMO_SLOTS - 1);
	for (;; i = (i + 1) & (PRICE_MEMO_SLOTS - 1)) {
		PriceMemoSlot *s = &mm->slot[i];
		if (s->key == NULL)
			break;
		if (s->hash == h && s->plen == plen && memcmp(s->key, provider, plen) == 0 &&
		    strcmp(s->key + plen + 1, model) == 0)
			return s->idx < 0 ? NULL : &t->v[s->idx];
	}
	const Price *p = prices_scan(t, provider, model);
	if (mm->used >= PRICE_MEMO_SLOTS / 2) {
		prices_memo_clear(mm);
		i = (size_t)h & (PRICE_MEMO_SLOTS - 1);
	}
	size_t mlen = strlen(model);
	char *key = malloc(plen + mlen + 2);
	if (key == NULL)
		return p;
	memcpy(key, provider, plen + 1);
	memcpy(key + plen + 1, model, mlen + 1);
	mm->slot[i] = (PriceMemoSlot){.hash = h, .key = key, .plen = plen,
	                              .idx = p ? (long)(p - t->v) : -1};
	mm->used++;
	return p;
}
