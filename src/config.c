/*
 * config.c: parses the config file's text into a Config, key bindings and
 * prices. Each directive is a row in a table with its parser; a bad line is
 * reported (line number and reason) and skipped, never fatal.
 *
 * Pure: no I/O (the caller reads the file and prints the errors).
 */
#include "swarmtop/config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_WORDS 16

typedef struct ConfigLine {
	Config *c;
	Keymap *km;
	PriceTable *prices;
	char *w[CONFIG_WORDS];
	int nw;
	const char *rest;       /* the text after the directive word */
	size_t rest_len;
	char err[160];
	int line;
} ConfigLine;

typedef int (*DirectiveFn)(ConfigLine *l);

typedef struct Directive {
	const char *name;
	int min_words, max_words;   /* arguments after the directive */
	DirectiveFn fn;
	const char *usage;
} Directive;

/* Defaults: no runtimes, theme "default", stuck 60 s, reason prompt on. */
void config_init(Config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->theme, sizeof(c->theme), "default");
	c->stuck_ms = 60000;
	c->reason_prompt = true;
}

/* Free what config owns. */
void config_free(Config *c)
{
	for (size_t i = 0; i < c->nruntimes; i++)
		free(c->runtimes[i]);
	c->nruntimes = 0;
}

/* Parse a duration like "10s", "250ms", "2m", "1h" (bare number: seconds). -1 if invalid. */
int64_t config_parse_duration(const char *s)
{
	static const struct { const char *suffix; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !isfinite(v) || v < 0 || v > 1e9)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0)
			return (int64_t)(v * units[i].ms);
	return -1;
}

/* Parse a count like "2000", "2k", "1.5M". -1 if invalid. */
int64_t config_parse_count(const char *s)
{
	static const struct { const char *suffix; double mul; } units[] = {
		{ "", 1 }, { "k", 1e3 }, { "K", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !isfinite(v) || v < 0 || v > 9e15)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0)
			return (int64_t)(v * units[i].mul);
	return -1;
}

/* Parse yes/no/true/false/on/off/1/0 into *out; false when it is none of them. */
static bool config_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* runtime URL */
static int dir_runtime(ConfigLine *l)
{
	const char *u = l->w[1];
	if (strncmp(u, "ws://", 5) != 0 && strncmp(u, "wss://", 6) != 0) {
		snprintf(l->err, sizeof(l->err), "runtime URL must start with ws:// or wss://: '%.80s'", u);
		return -1;
	}
	if (l->c->nruntimes >= CONFIG_MAX_RUNTIMES) {
		snprintf(l->err, sizeof(l->err), "too many runtimes (at most %d)", CONFIG_MAX_RUNTIMES);
		return -1;
	}
	char *dup = strdup(u);
	if (dup == NULL) {
		snprintf(l->err, sizeof(l->err), "out of memory");
		return -1;
	}
	l->c->runtimes[l->c->nruntimes++] = dup;
	return 0;
}

/* theme NAME */
static int dir_theme(ConfigLine *l)
{
	const char *n = l->w[1];
	for (const char *p = n; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			snprintf(l->err, sizeof(l->err), "theme name may use letters, digits, - and _: '%.60s'", n);
			return -1;
		}
	}
	snprintf(l->c->theme, sizeof(l->c->theme), "%s", n);
	return 0;
}

/* read-only yes|no */
static int dir_read_only(ConfigLine *l)
{
	if (!config_bool(l->w[1], &l->c->read_only)) {
		snprintf(l->err, sizeof(l->err), "read-only takes yes or no, not '%.40s'", l->w[1]);
		return -1;
	}
	return 0;
}

/* stuck DURATION */
static int dir_stuck(ConfigLine *l)
{
	int64_t ms = config_parse_duration(l->w[1]);
	if (ms <= 0) {
		snprintf(l->err, sizeof(l->err), "stuck takes a duration like 60s or 2m, not '%.40s'", l->w[1]);
		return -1;
	}
	l->c->stuck_ms = ms;
	return 0;
}

/* reason prompt|never */
static int dir_reason(ConfigLine *l)
{
	if (strcmp(l->w[1], "prompt") == 0)
		l->c->reason_prompt = true;
	else if (strcmp(l->w[1], "never") == 0)
		l->c->reason_prompt = false;
	else {
		snprintf(l->err, sizeof(l->err), "reason takes prompt or never, not '%.40s'", l->w[1]);
		return -1;
	}
	return 0;
}

/* key ACTION KEY */
static int dir_key(ConfigLine *l)
{
	if (l->km == NULL)
		return 0;
	return keymap_bind(l->km, l->w[1], l->w[2], l->err, sizeof(l->err));
}

/* Report a price error from prices_parse into the line. */
static void dir_price_err(int line, const char *msg, void *ctx)
{
	ConfigLine *l = ctx;
	(void)line;
	snprintf(l->err, sizeof(l->err), "price: %s", msg);
}

/* price PROVIDER/MODEL IN OUT [CACHE_READ [CACHE_WRITE]] */
static int dir_price(ConfigLine *l)
{
	if (l->prices == NULL)
		return 0;
	l->err[0] = '\0';
	int n = prices_parse(l->prices, l->rest, l->rest_len, dir_price_err, l);
	if (n != 1 && l->err[0] == '\0')
		snprintf(l->err, sizeof(l->err), "price needs MODEL INPUT OUTPUT (USD per million tokens)");
	return n == 1 ? 0 : -1;
}

/* otlp HOST:PORT */
static int dir_otlp(ConfigLine *l)
{
	snprintf(l->c->otlp, sizeof(l->c->otlp), "%s", l->w[1]);
	return 0;
}

/* One key=value option of a budget line. */
static int budget_option(ConfigLine *l, Budget *b, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL) {
		snprintf(l->err, sizeof(l->err), "budget option '%.40s' is not key=value", kv);
		return -1;
	}
	size_t kl = (size_t)(eq - kv);
	const char *v = eq + 1;
	if (kl == 5 && strncmp(kv, "agent", 5) == 0) {
		b->scope = BUDGET_AGENT;
		snprintf(b->target, sizeof(b->target), "%s", v);
	} else if (kl == 7 && strncmp(kv, "runtime", 7) == 0) {
		b->scope = BUDGET_RUNTIME;
		snprintf(b->target, sizeof(b->target), "%s", v);
	} else if (kl == 3 && strncmp(kv, "usd", 3) == 0) {
		char *end;
		b->usd = strtod(v, &end);
		if (end == v || *end || !(b->usd > 0) || !isfinite(b->usd)) {
			snprintf(l->err, sizeof(l->err), "budget usd must be a positive number, not '%.30s'", v);
			return -1;
		}
	} else if (kl == 6 && strncmp(kv, "tokens", 6) == 0) {
		b->tokens = config_parse_count(v);
		if (b->tokens <= 0) {
			snprintf(l->err, sizeof(l->err), "budget tokens must be a positive count, not '%.30s'", v);
			return -1;
		}
	} else if (kl == 3 && strncmp(kv, "per", 3) == 0) {
		if (strcmp(v, "hour") == 0)
			b->per_hour = true;
		else if (strcmp(v, "session") == 0)
			b->per_hour = false;
		else {
			snprintf(l->err, sizeof(l->err), "budget per= takes session or hour, not '%.30s'", v);
			return -1;
		}
	} else if (kl == 6 && strncmp(kv, "policy", 6) == 0) {
		if (strcmp(v, "warn") == 0)
			b->policy = BUDGET_WARN;
		else if (strcmp(v, "pause") == 0)
			b->policy = BUDGET_PAUSE;
		else {
			snprintf(l->err, sizeof(l->err), "budget policy= takes warn or pause, not '%.30s'", v);
			return -1;
		}
	} else if (kl == 9 && strncmp(kv, "countdown", 9) == 0) {
		b->countdown_ms = config_parse_duration(v);
		if (b->countdown_ms < 0) {
			snprintf(l->err, sizeof(l->err), "budget countdown= takes a duration, not '%.30s'", v);
			return -1;
		}
	} else {
		snprintf(l->err, sizeof(l->err), "unknown budget option '%.*s'", (int)kl, kv);
		return -1;
	}
	return 0;
}

/* budget NAME [agent=ID|runtime=ID] usd=X|tokens=N [per=..] [policy=..] [countdown=..] */
static int dir_budget(ConfigLine *l)
{
	Budget b = { .scope = BUDGET_ALL, .policy = BUDGET_WARN, .countdown_ms = 10000 };

	if (l->c->nbudgets >= CONFIG_MAX_BUDGETS) {
		snprintf(l->err, sizeof(l->err), "too many budgets (at most %d)", CONFIG_MAX_BUDGETS);
		return -1;
	}
	snprintf(b.name, sizeof(b.name), "%s", l->w[1]);
	for (int i = 2; i < l->nw; i++)
		if (budget_option(l, &b, l->w[i]) < 0)
			return -1;
	if (b.usd <= 0 && b.tokens <= 0) {
		snprintf(l->err, sizeof(l->err), "budget %s needs usd=AMOUNT or tokens=COUNT", b.name);
		return -1;
	}
	l->c->budgets[l->c->nbudgets++] = b;
	return 0;
}

static const Directive directives[] = {
	{ "runtime", 1, 1, dir_runtime, "runtime ws://HOST:PORT/PATH" },
	{ "theme", 1, 1, dir_theme, "theme NAME" },
	{ "read-only", 1, 1, dir_read_only, "read-only yes|no" },
	{ "stuck", 1, 1, dir_stuck, "stuck DURATION" },
	{ "reason", 1, 1, dir_reason, "reason prompt|never" },
	{ "key", 2, 2, dir_key, "key ACTION KEY" },
	{ "price", 3, 5, dir_price, "price [PROVIDER/]MODEL INPUT OUTPUT [CACHE_READ [CACHE_WRITE]]" },
	{ "otlp", 1, 1, dir_otlp, "otlp HOST:PORT" },
	{ "budget", 2, CONFIG_WORDS - 1, dir_budget, "budget NAME [agent=ID|runtime=ID] usd=X|tokens=N ..." },
};

/* Split a line (modified in place) into words; returns the count or -1 when too many. */
static int config_split(char *s, char **w)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0' || *s == '#')
			break;
		if (n == CONFIG_WORDS)
			return -1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

/* Parse one line (NUL-terminated, writable). Returns 0 or -1 with l->err set. */
static int config_line(ConfigLine *l, char *s)
{
	const char *orig = s;
	char copy[1024];

	snprintf(copy, sizeof(copy), "%s", orig);
	l->nw = config_split(s, l->w);
	if (l->nw < 0) {
		snprintf(l->err, sizeof(l->err), "too many words (at most %d)", CONFIG_WORDS);
		return -1;
	}
	if (l->nw == 0)
		return 0;
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		const Directive *d = &directives[i];
		if (strcmp(d->name, l->w[0]) != 0)
			continue;
		if (l->nw - 1 < d->min_words || l->nw - 1 > d->max_words) {
			snprintf(l->err, sizeof(l->err), "usage: %s", d->usage);
			return -1;
		}
		/* The text after the directive word, for directives that reparse it. */
		const char *r = strstr(copy, d->name) + strlen(d->name);
		char *hash = strchr(copy, '#');
		if (hash)
			*hash = '\0';
		l->rest = r;
		l->rest_len = strlen(r);
		return d->fn(l);
	}
	snprintf(l->err, sizeof(l->err), "unknown setting '%.40s'", l->w[0]);
	return -1;
}

/* Make an error message safe to print: control and non-ASCII bytes (the message may quote
 * the line) become '?', so a hostile config file cannot reach the terminal through it. */
static void config_clean_err(char *msg)
{
	for (unsigned char *p = (unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
}

/* Parse config text into c, key bindings into km and prices into prices. */
int config_parse(Config *c, Keymap *km, PriceTable *prices, const char *text, size_t len,
                 void (*err_cb)(int line, const char *msg, void *ctx), void *ctx)
{
	ConfigLine l = { .c = c, .km = km, .prices = prices };
	char buf[1024];
	int bad = 0, line = 0;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		line++;
		l.line = line;
		l.err[0] = '\0';
		if (j - i >= sizeof(buf)) {
			snprintf(l.err, sizeof(l.err), "line longer than %zu bytes", sizeof(buf) - 1);
		} else {
			memcpy(buf, text + i, j - i);
			buf[j - i] = '\0';
			if (memchr(buf, '\0', j - i) != NULL)
				snprintf(l.err, sizeof(l.err), "line contains a NUL byte");
			else if (config_line(&l, buf) == 0)
				l.err[0] = '\0';
			else if (l.err[0] == '\0')
				snprintf(l.err, sizeof(l.err), "invalid line");
		}
		if (l.err[0] != '\0') {
			bad++;
			config_clean_err(l.err);
			if (err_cb)
				err_cb(line, l.err, ctx);
		}
		i = j + 1;
	}
	return bad;
}
