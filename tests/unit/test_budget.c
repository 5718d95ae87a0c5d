/*
 * test_budget.c: budgets against a model built from events: spend in USD
 * (billed + priced estimate, unpriced tokens flagged, never invented) and
 * tokens, scopes (all, runtime, agent), levels at 80 % and 100 %, the rolling
 * hour, and the countdown state machine (start, fire once, cancel, reset when
 * back under, no action when steering is impossible, policy warn).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarmtop/budget.h"
#include "swarmtop/config.h"
#include "swarmtop/model.h"
#include "swarmtop/view.h"

#define T0 1700000000000LL

typedef struct Fx {
	Model *m;
	int64_t seq[2];
	PriceTable prices;
} Fx;

/* A model with two runtimes and a price table: test-model costs $1 / $2 per million. */
static int fx_setup(void **state)
{
	static Fx f;
	static const char prices[] = "test/test-model 1 2\n";
	memset(&f, 0, sizeof(f));
	f.m = model_new();
	prices_init(&f.prices);
	prices_parse(&f.prices, prices, strlen(prices), NULL, NULL);
	const char *ids[2] = {"rt-a", "rt-b"};
	for (int i = 0; i < 2; i++) {
		int rt = model_add_runtime(f.m, ids[i], T0);
		Event ev = {.type = EV_HELLO};
		ev.u.hello = (EvHello){.proto = 1, .id = ids[i], .instance = "i-1", .name = ids[i]};
		model_apply(f.m, rt, &ev, T0, NULL);
	}
	*state = &f;
	return 0;
}

/* Free the fixture. */
static int fx_teardown(void **state)
{
	Fx *f = *state;
	model_free(f->m);
	prices_free(&f->prices);
	return 0;
}

/* Usage on runtime rt for agent ag: in/out tokens, billed cost (<= 0: unbilled). */
static void usage(Fx *f, int rt, const char *ag, const char *model, int64_t in, int64_t out,
                  double cost, int64_t t)
{
	Event ev = {.type = EV_USAGE};
	ev.u.usage = (EvUsage){.agent = ag,
	                       .provider = "test",
	                       .model = model,
	                       .input_tokens = in,
	                       .output_tokens = out,
	                       .cost_usd = cost > 0 ? cost : 0,
	                       .has = cost > 0 ? HAS_COST : 0};
	ev.seq = ++f->seq[rt];
	ev.ts = t;
	model_apply(f->m, rt, &ev, t, NULL);
}

/* An agent on runtime rt. */
static void agent(Fx *f, int rt, const char *id, int64_t t)
{
	Event ev = {.type = EV_AGENT};
	ev.u.agent = (EvAgent){.id = id, .name = id, .status = AGENT_WORKING, .has = HAS_STATUS};
	ev.seq = ++f->seq[rt];
	ev.ts = t;
	model_apply(f->m, rt, &ev, t, NULL);
}

/* A budget over scope/target with a USD and/or token limit. */
static Budget mk(BudgetScope scope, const char *target, double usd, int64_t tokens,
                 BudgetPolicy policy)
{
	Budget b;
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "b");
	b.scope = scope;
	snprintf(b.target, sizeof(b.target), "%s", target ? target : "");
	b.usd = usd;
	b.tokens = tokens;
	b.policy = policy;
	b.countdown_ms = 10000;
	return b;
}

/* USD is billed plus the priced estimate; unpriced tokens add nothing but are flagged. */
static void test_spend_usd(void **state)
{
	Fx *f = *state;
	usage(f, 0, "a1", "test-model", 1000000, 0, 0, T0); /* estimate $1 */
	usage(f, 0, "a1", "test-model", 0, 0, 0.5, T0);     /* billed $0.50 */
	Budget b = mk(BUDGET_ALL, NULL, 10, 0, BUDGET_WARN);
	double usd;
	int64_t tok;
	bool unp = true;
	budget_spend(&b, f->m, &f->prices, &usd, &tok, &unp);
	assert_float_equal(usd, 1.5, 1e-9);
	assert_int_equal(tok, 1000000);
	assert_false(unp);
	usage(f, 0, "a1", "mystery-model", 5000000, 0, 0, T0);
	budget_spend(&b, f->m, &f->prices, &usd, &tok, &unp);
	assert_float_equal(usd, 1.5, 1e-9); /* no made-up cost */
	assert_true(unp);
	assert_int_equal(tok, 6000000);
	/* Without a price table everything unbilled is unpriced. */
	budget_spend(&b, f->m, NULL, &usd, &tok, &unp);
	assert_float_equal(usd, 0.5, 1e-9); /* billed only */
	assert_true(unp);
}

/* Scopes: an agent budget sees only that agent, a runtime budget only that runtime. */
static void test_scopes(void **state)
{
	Fx *f = *state;
	usage(f, 0, "a1", "test-model", 100, 100, 0, T0);
	usage(f, 0, "a2", "test-model", 1000, 0, 0, T0);
	usage(f, 1, "a1", "test-model", 10000, 0, 0, T0);
	double usd;
	int64_t tok;
	Budget ag = mk(BUDGET_AGENT, "a2", 0, 100, BUDGET_WARN);
	budget_spend(&ag, f->m, &f->prices, &usd, &tok, NULL);
	assert_int_equal(tok, 1000);
	Budget a1 = mk(BUDGET_AGENT, "a1", 0, 100, BUDGET_WARN);
	budget_spend(&a1, f->m, &f->prices, &usd, &tok, NULL);
	assert_int_equal(tok, 10200); /* the same id in both runtimes */
	Budget rb = mk(BUDGET_RUNTIME, "rt-b", 0, 100, BUDGET_WARN);
	budget_spend(&rb, f->m, &f->prices, &usd, &tok, NULL);
	assert_int_equal(tok, 10000);
	Budget nobody = mk(BUDGET_RUNTIME, "rt-zzz", 0, 100, BUDGET_WARN);
	budget_spend(&nobody, f->m, &f->prices, &usd, &tok, NULL);
	assert_int_equal(tok, 0);
	Budget all = mk(BUDGET_ALL, NULL, 0, 100, BUDGET_WARN);
	budget_spend(&all, f->m, &f->prices, &usd, &tok, NULL);
	assert_int_equal(tok, 11200);
}

/* Levels: under 80 % ok, from 80 % warn, from 100 % over; the larger limit fraction wins. */
static void test_levels(void **state)
{
	Fx *f = *state;
	Budget b = mk(BUDGET_AGENT, "a1", 0, 1000, BUDGET_WARN);
	BudgetState s;
	budget_init(&s, &b);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OK);
	usage(f, 0, "a1", "test-model", 799, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OK);
	usage(f, 0, "a1", "test-model", 1, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_WARN);
	assert_float_equal(s.fraction, 0.8, 1e-9);
	usage(f, 0, "a1", "test-model", 200, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OVER);
	/* Both limits: USD far under, tokens over -> over; description names the binding one. */
	Budget both = mk(BUDGET_AGENT, "a1", 100, 1000, BUDGET_WARN);
	budget_init(&s, &both);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OVER);
	char buf[64];
	budget_describe(&s, buf, sizeof(buf));
	assert_string_equal(buf, "1.0k of 1.0k tokens");
	Budget usd = mk(BUDGET_AGENT, "a1", 0.001, 0, BUDGET_WARN);
	budget_init(&s, &usd);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OVER);
	budget_describe(&s, buf, sizeof(buf));
	assert_non_null(strstr(buf, " of $"));
	/* Agent rows: covered agents get the level, others stay ok. */
	agent(f, 0, "a1", T0);
	agent(f, 0, "a9", T0);
	agent(f, 1, "a9", T0);
	int a1 = model_find_agent(f->m, 0, "a1"), a9 = model_find_agent(f->m, 0, "a9");
	int b9 = model_find_agent(f->m, 1, "a9");
	assert_true(a1 >= 0 && a9 >= 0 && b9 >= 0);
	assert_true(budget_covers_agent(&usd, f->m, a1));
	assert_int_equal(budget_agent_level(&s, 1, f->m, a1), BLEVEL_OVER);
	assert_int_equal(budget_agent_level(&s, 1, f->m, a9), BLEVEL_OK);
	Budget rb = mk(BUDGET_RUNTIME, "rt-b", 0, 1, BUDGET_WARN);
	assert_true(budget_covers_agent(&rb, f->m, b9));
	assert_false(budget_covers_agent(&rb, f->m, a9));
	assert_false(budget_covers_agent(&usd, f->m, -1));
	assert_false(budget_covers_agent(&usd, f->m, 100000));
}

/* per=hour: spend older than the rolling hour drops out; younger history counts whole. */
static void test_rolling_hour(void **state)
{
	Fx *f = *state;
	Budget b = mk(BUDGET_ALL, NULL, 0, 1000, BUDGET_WARN);
	b.per_hour = true;
	BudgetState s;
	budget_init(&s, &b);
	usage(f, 0, "a1", "test-model", 900, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.tokens, 900); /* history younger than an hour counts whole */
	assert_int_equal(s.level, BLEVEL_WARN);
	for (int min = 1; min <= 30; min++)
		budget_eval(&s, f->m, &f->prices, T0 + min * 60000LL);
	usage(f, 0, "a1", "test-model", 50, 0, 0, T0 + 30 * 60000LL);
	budget_eval(&s, f->m, &f->prices, T0 + 30 * 60000LL + 1);
	assert_int_equal(s.tokens, 950);
	/* 61 minutes later the first 900 are out of the window. */
	for (int min = 31; min <= 62; min++)
		budget_eval(&s, f->m, &f->prices, T0 + min * 60000LL);
	assert_true(s.tokens <= 50);
	assert_int_equal(s.level, BLEVEL_OK);
	/* A long silence (no evaluations) leaves no stale base: nothing spent lately. */
	budget_eval(&s, f->m, &f->prices, T0 + 500 * 60000LL);
	budget_eval(&s, f->m, &f->prices, T0 + 561 * 60000LL);
	assert_int_equal(s.tokens, 0);
}

/* Countdown: starts when over, fires once at the deadline, then stays quiet. */
static void test_countdown_fires_once(void **state)
{
	Fx *f = *state;
	Budget b = mk(BUDGET_AGENT, "a1", 0, 100, BUDGET_PAUSE);
	BudgetState s;
	budget_init(&s, &b);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(budget_step(&s, T0, true), BACT_NONE);
	assert_int_equal(s.cd, BCD_IDLE);
	usage(f, 0, "a1", "test-model", 100, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0 + 1000);
	assert_int_equal(budget_step(&s, T0 + 1000, true), BACT_STARTED);
	assert_int_equal(s.cd, BCD_RUNNING);
	assert_int_equal(s.started_ms, T0 + 1000);
	assert_int_equal(s.deadline_ms, T0 + 11000);
	assert_int_equal(budget_seconds_left(&s, T0 + 1000), 10);
	assert_int_equal(budget_seconds_left(&s, T0 + 3500), 8);
	assert_int_equal(budget_step(&s, T0 + 10999, true), BACT_NONE);
	assert_int_equal(budget_step(&s, T0 + 11000, true), BACT_FIRE);
	assert_int_equal(s.cd, BCD_FIRED);
	assert_int_equal(budget_seconds_left(&s, T0 + 11000), 0);
	assert_int_equal(budget_step(&s, T0 + 60000, true), BACT_NONE);
	assert_false(budget_cancel(&s)); /* nothing running */
}

/* Cancel: nothing is fired for this crossing; back under the limit resets for the next. */
static void test_countdown_cancel_and_reset(void **state)
{
	Fx *f = *state;
	Budget b = mk(BUDGET_ALL, NULL, 0, 100, BUDGET_PAUSE);
	b.per_hour = true;
	BudgetState s;
	budget_init(&s, &b);
	usage(f, 0, "a1", "test-model", 150, 0, 0, T0);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(budget_step(&s, T0, true), BACT_STARTED);
	assert_true(budget_cancel(&s));
	assert_int_equal(s.cd, BCD_CANCELED);
	for (int64_t t = T0; t < T0 + 30 * 60000LL; t += 60000)
		assert_int_equal(budget_step(&s, t, true), BACT_NONE);
	/* The hour rolls over: back under -> reset; a new crossing starts a new countdown. */
	for (int min = 1; min <= 62; min++)
		budget_eval(&s, f->m, &f->prices, T0 + min * 60000LL);
	assert_int_equal(s.level, BLEVEL_OK);
	assert_int_equal(budget_step(&s, T0 + 62 * 60000LL, true), BACT_RESET);
	assert_int_equal(s.cd, BCD_IDLE);
	usage(f, 0, "a1", "test-model", 200, 0, 0, T0 + 63 * 60000LL);
	budget_eval(&s, f->m, &f->prices, T0 + 63 * 60000LL);
	assert_int_equal(budget_step(&s, T0 + 63 * 60000LL, true), BACT_STARTED);
}

/* No countdown when steering is impossible, for policy warn, or with countdown=0 (at once). */
static void test_countdown_policies(void **state)
{
	Fx *f = *state;
	usage(f, 0, "a1", "test-model", 500, 0, 0, T0);
	Budget w = mk(BUDGET_ALL, NULL, 0, 100, BUDGET_WARN);
	BudgetState s;
	budget_init(&s, &w);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(s.level, BLEVEL_OVER);
	assert_int_equal(budget_step(&s, T0, true), BACT_NONE);
	assert_int_equal(s.cd, BCD_IDLE);
	Budget p = mk(BUDGET_ALL, NULL, 0, 100, BUDGET_PAUSE);
	budget_init(&s, &p);
	budget_eval(&s, f->m, &f->prices, T0);
	assert_int_equal(budget_step(&s, T0, false), BACT_NONE); /* read-only or replay */
	assert_int_equal(s.cd, BCD_IDLE);
	p.countdown_ms = 0;
	assert_int_equal(budget_step(&s, T0, true), BACT_FIRE);
	assert_int_equal(s.cd, BCD_FIRED);
}

/* Hostile numbers: huge token counts saturate instead of overflowing. */
static void test_saturation(void **state)
{
	Fx *f = *state;
	usage(f, 0, "a1", "test-model", INT64_MAX / 2, INT64_MAX / 2, 0, T0);
	usage(f, 0, "a2", "test-model", INT64_MAX / 2, INT64_MAX / 2, 0, T0);
	Budget b = mk(BUDGET_ALL, NULL, 0, 1000, BUDGET_WARN);
	double usd;
	int64_t tok;
	budget_spend(&b, f->m, &f->prices, &usd, &tok, NULL);
	assert_true(tok > 0);
	assert_int_equal(budget_level_names[BLEVEL_OVER][0], 'o');
	assert_string_equal(budget_cd_names[BCD_CANCELED], "canceled");
}

/* The Tokens view draws a budget block: over budgets with their countdown, ok ones plain;
 * the Agents view marks covered rows with '$'. */
static void test_views_show_budgets(void **state)
{
	Fx *f = *state;
	agent(f, 0, "a1", T0);
	agent(f, 0, "a2", T0);
	usage(f, 0, "a1", "test-model", 2000, 0, 0, T0);
	Budget over = mk(BUDGET_AGENT, "a1", 0, 1000, BUDGET_PAUSE);
	snprintf(over.name, sizeof(over.name), "team");
	Budget ok = mk(BUDGET_RUNTIME, "rt-a", 0, 1000000, BUDGET_WARN);
	snprintf(ok.name, sizeof(ok.name), "calm");
	BudgetState bs[2];
	budget_init(&bs[0], &over);
	budget_init(&bs[1], &ok);
	for (int i = 0; i < 2; i++) {
		budget_eval(&bs[i], f->m, &f->prices, T0);
		budget_step(&bs[i], T0, true);
	}
	UiState ui;
	ui_state_init(&ui);
	ui.now_ms = T0 + 3000;
	ui.prices = &f->prices;
	ui.budgets = bs;
	ui.nbudgets = 2;
	Canvas *c = canvas_new(120, 30, false);
	view_tokens_draw(f->m, &ui, (Rect){0, 0, 120, 30}, c);
	char *text = canvas_to_text(c);
	assert_non_null(strstr(text, "BUDGET"));
	assert_non_null(strstr(text, "team"));
	assert_non_null(strstr(text, "agent a1"));
	assert_non_null(strstr(text, "2.0k of 1.0k tokens"));
	assert_non_null(strstr(text, "pausing in 7s (b cancels)"));
	assert_non_null(strstr(text, "runtime rt-a"));
	free(text);
	canvas_clear(c, EL_DEFAULT);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 120, 30}, c);
	text = canvas_to_text(c);
	const char *l1 = strstr(text, "\n$ ");
	assert_non_null(l1);
	assert_non_null(strstr(l1, "a1"));
	assert_true(strstr(l1 + 1, "\n$ ") == NULL); /* a2 is not covered */
	free(text);
	canvas_free(c);
	ui_state_free(&ui);
}

/* Run the suite. */
int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	        T(test_spend_usd),
	        T(test_scopes),
	        T(test_levels),
	        T(test_rolling_hour),
	        T(test_countdown_fires_once),
	        T(test_countdown_cancel_and_reset),
	        T(test_countdown_policies),
	        T(test_saturation),
	        T(test_views_show_budgets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
