/*
 * config.h: the config file ($XDG_CONFIG_HOME/swarmtop/config).
 *
 * One setting per line, '#' comments:
 *
 *     runtime ws://127.0.0.1:7700/swarmtop     runtimes to connect to (repeatable)
 *     theme   colorblind                       theme name (themes/NAME.theme)
 *     read-only yes                            remove every steering verb
 *     stuck   60s                              working with no event this long = stuck
 *     reason  prompt|never                     ask for a reason on destructive verbs
 *     key     pause P                          rebind an action (see `?`)
 *     price   openai/gpt-5 1.25 10 0.125       USD per million: input output [cache-read [cache-write]]
 *     budget  NAME agent=ID|runtime=ID|all usd=5|tokens=2M [per=session|hour] [policy=warn|pause] [countdown=10s]
 *
 * A bad line is reported with file, line number and what is wrong; the rest
 * still loads.
 *
 * Pure: parses text; the caller reads the file.
 */
#ifndef SWARMTOP_CONFIG_H
#define SWARMTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/keymap.h"
#include "swarmtop/usage.h"

#define CONFIG_MAX_RUNTIMES 256
#define CONFIG_MAX_BUDGETS  64

typedef enum BudgetScope {
	BUDGET_ALL,
	BUDGET_RUNTIME,
	BUDGET_AGENT,
	BUDGET_SCOPE_COUNT
} BudgetScope;

typedef enum BudgetPolicy {
	BUDGET_WARN,
	BUDGET_PAUSE,
	BUDGET_POLICY_COUNT
} BudgetPolicy;

typedef struct Budget {
	char name[64];
	BudgetScope scope;
	char target[129];       /* runtime id or agent id */
	double usd;             /* 0: no USD limit */
	int64_t tokens;         /* 0: no token limit */
	bool per_hour;          /* rolling hour instead of the session */
	BudgetPolicy policy;
	int64_t countdown_ms;
} Budget;

typedef struct Config {
	char *runtimes[CONFIG_MAX_RUNTIMES];
	size_t nruntimes;
	char theme[64];
	bool read_only;
	bool reason_prompt;     /* ask for a reason on destructive verbs */
	int64_t stuck_ms;
	char otlp[128];
	Budget budgets[CONFIG_MAX_BUDGETS];
	size_t nbudgets;
} Config;

/* Defaults: no runtimes, theme "default", stuck 60 s, reason prompt on. */
void config_init(Config *c);

/* Free what config owns. */
void config_free(Config *c);

/* Parse config text into c, key bindings into km and prices into prices (either may be NULL).
 * For each bad line err_cb(line, message, ctx) is called. Returns the number of bad lines. */
int config_parse(Config *c, Keymap *km, PriceTable *prices, const char *text, size_t len,
                 void (*err_cb)(int line, const char *msg, void *ctx), void *ctx);

/* Parse a duration like "10s", "250ms", "2m", "1h" (bare number: seconds). -1 if invalid. */
int64_t config_parse_duration(const char *s);

/* Parse a count like "2000", "2k", "1.5M". -1 if invalid. */
int64_t config_parse_count(const char *s);

#endif
