/*
 * budget.c: budgets evaluated against the model (spend in USD and tokens per
 * session or rolling hour, ok / warn / over) and the countdown state machine
 * before an automatic pause. See budget.h for the rules.
 *
 * Pure: no I/O, no clock (time is a parameter), never writes the model, never
 * sends anything (the caller acts on BACT_FIRE).
 */
#include "swarmtop/budget.h"

#include <stdio.h>
#include <string.h>

#include "swarmtop/fmt.h"

const char *const budget_level_names[BLEVEL_COUNT] = {
        [BLEVEL_OK] = "ok",
        [BLEVEL_WARN] = "warn",
        [BLEVEL_OVER] = "over",
};

const char *const budget_cd_names[BCD_COUNT] = {
        [BCD_IDLE] = "idle",
        [BCD_RUNNING] = "running",
        [BCD_CANCELED] = "canceled",
        [BCD_FIRED] = "fired",
};

/* Bind state s to budget b, everything zero. */
void budget_init(BudgetState *s, const Budget *b)
{
	memset(s, 0, sizeof(*s));
	s->b = b;
}

/* True when usage row u (of model m) is in budget b's scope. */
static bool budget_covers_usage(const Budget *b, const Model *m, const ModelUsage *u)
{
	switch (b->scope) {
	case BUDGET_RUNTIME: {
		const char *id = u->runtime >= 0 && (size_t)u->runtime < m->nruntimes
		                         ? m->runtimes[u->runtime].id
		                         : NULL;
		return id != NULL && strcmp(id, b->target) == 0;
	}
	case BUDGET_AGENT:
		return u->agent != NULL && strcmp(u->agent, b->target) == 0;
	default:
		return true;
	}
}

/* Cumulative spend of budget b's scope in model m. */
void budget_spend(const Budget *b, const Model *m, const PriceTable *prices, double *usd,
                  int64_t *tokens, bool *unpriced)
{
	double sum = 0.0;
	int64_t tok = 0;
	bool unp = false;

	for (size_t i = 0; i < m->nusage; i++) {
		const ModelUsage *u = &m->usage[i];
		if (!budget_covers_usage(b, m, u))
			continue;
		sum += u->billed_usd;
		int64_t t = tokens_total(&u->tokens);
		tok = t > INT64_MAX - tok ? INT64_MAX : tok + t;
		if (tokens_total(&u->unbilled) == 0)
			continue;
		const Price *p = prices ? prices_find(prices, u->provider, u->model) : NULL;
		if (p)
			sum += prices_cost(p, &u->unbilled);
		else
			unp = true;
	}
	*usd = sum;
	*tokens = tok;
	if (unpriced)
		*unpriced = unp;
}

/* Remember the cumulative spend for the minute of now_ms (first evaluation in it wins) and
 * return the cumulative spend at the start of the rolling hour (0 before any history). */
static void budget_hour_base(BudgetState *s, int64_t now_ms, double usd, int64_t tokens,
                             double *base_usd, int64_t *base_tokens)
{
	int64_t min = now_ms / 60000 + 1; /* +1: 0 marks an empty slot */
	int slot = (int)(min % BUDGET_HOUR_SLOTS);

	if (s->slot_min[slot] != min) {
		s->slot_min[slot] = min;
		s->slot_usd[slot] = usd;
		s->slot_tokens[slot] = tokens;
	}
	/* The oldest sample no older than 60 minutes. */
	int best = -1;
	for (int i = 0; i < BUDGET_HOUR_SLOTS; i++) {
		if (s->slot_min[i] == 0 || s->slot_min[i] < min - 60 || s->slot_min[i] > min)
			continue;
		if (best < 0 || s->slot_min[i] < s->slot_min[best])
			best = i;
	}
	/* History younger than an hour: everything since the start counts. */
	bool full = false;
	for (int i = 0; i < BUDGET_HOUR_SLOTS; i++)
		if (s->slot_min[i] != 0 && s->slot_min[i] <= min - 60)
			full = true;
	if (best < 0 || !full) {
		*base_usd = 0.0;
		*base_tokens = 0;
		return;
	}
	*base_usd = s->slot_usd[best];
	*base_tokens = s->slot_tokens[best];
}

/* Evaluate s at now_ms: spend in its window, fraction, level. */
void budget_eval(BudgetState *s, const Model *m, const PriceTable *prices, int64_t now_ms)
{
	double usd;
	int64_t tokens;
	const Budget *b = s->b;

	budget_spend(b, m, prices, &usd, &tokens, &s->unpriced);
	if (b->per_hour) {
		double bu;
		int64_t bt;
		budget_hour_base(s, now_ms, usd, tokens, &bu, &bt);
		usd = usd - bu > 0 ? usd - bu : 0.0;
		tokens = tokens - bt > 0 ? tokens - bt : 0;
	}
	s->usd = usd;
	s->tokens = tokens;
	double f = 0.0;
	if (b->usd > 0)
		f = usd / b->usd;
	if (b->tokens > 0 && (double)tokens / (double)b->tokens > f)
		f = (double)tokens / (double)b->tokens;
	s->fraction = f;
	s->level = f >= 1.0 ? BLEVEL_OVER : f >= BUDGET_WARN_AT ? BLEVEL_WARN : BLEVEL_OK;
}

/* Advance the countdown after budget_eval. */
BudgetAct budget_step(BudgetState *s, int64_t now_ms, bool can_act)
{
	if (s->level != BLEVEL_OVER) {
		if (s->cd == BCD_IDLE)
			return BACT_NONE;
		s->cd = BCD_IDLE;
		s->started_ms = s->deadline_ms = 0;
		return BACT_RESET;
	}
	if (s->b->policy != BUDGET_PAUSE || !can_act)
		return BACT_NONE;
	switch (s->cd) {
	case BCD_IDLE:
		s->cd = BCD_RUNNING;
		s->started_ms = now_ms;
		s->deadline_ms = now_ms + (s->b->countdown_ms > 0 ? s->b->countdown_ms : 0);
		if (now_ms < s->deadline_ms)
			return BACT_STARTED;
		s->cd = BCD_FIRED;
		return BACT_FIRE;
	case BCD_RUNNING:
		if (now_ms < s->deadline_ms)
			return BACT_NONE;
		s->cd = BCD_FIRED;
		return BACT_FIRE;
	default:
		return BACT_NONE; /* canceled or fired: nothing more for this crossing */
	}
}

/* The operator cancels a running countdown. */
bool budget_cancel(BudgetState *s)
{
	if (s->cd != BCD_RUNNING)
		return false;
	s->cd = BCD_CANCELED;
	return true;
}

/* Whole seconds left on a running countdown (rounded up), else 0. */
int budget_seconds_left(const BudgetState *s, int64_t now_ms)
{
	if (s->cd != BCD_RUNNING || now_ms >= s->deadline_ms)
		return 0;
	return (int)((s->deadline_ms - now_ms + 999) / 1000);
}

/* True when budget b covers agent index a of model m. */
bool budget_covers_agent(const Budget *b, const Model *m, int a)
{
	if (a < 0 || (size_t)a >= m->nagents)
		return false;
	const ModelAgent *ag = &m->agents[a];
	if (b->scope == BUDGET_AGENT)
		return ag->id != NULL && strcmp(ag->id, b->target) == 0;
	if (b->scope == BUDGET_RUNTIME) {
		const char *id = ag->runtime >= 0 && (size_t)ag->runtime < m->nruntimes
		                         ? m->runtimes[ag->runtime].id
		                         : NULL;
		return id != NULL && strcmp(id, b->target) == 0;
	}
	return true;
}

/* The highest level among the n budgets covering agent a. */
BudgetLevel budget_agent_level(const BudgetState *s, size_t n, const Model *m, int a)
{
	BudgetLevel best = BLEVEL_OK;
	for (size_t i = 0; i < n; i++)
		if (s[i].level > best && budget_covers_agent(s[i].b, m, a))
			best = s[i].level;
	return best;
}

/* Format the spend against the limit, e.g. "$5.02 of $5.00" or "1.2M of 1M tokens". */
void budget_describe(const BudgetState *s, char *buf, size_t cap)
{
	char a[32], b[32];
	const Budget *bg = s->b;
	bool by_usd = bg->usd > 0 && (bg->tokens <= 0 ||
	                              s->usd / bg->usd >= (double)s->tokens / (double)bg->tokens);

	if (by_usd) {
		fmt_usd(a, sizeof(a), s->usd, false);
		fmt_usd(b, sizeof(b), bg->usd, false);
		snprintf(buf, cap, "%s%s of %s%s", a, s->unpriced ? "+" : "", b,
		         bg->per_hour ? "/hour" : "");
	} else {
		fmt_count(a, sizeof(a), s->tokens);
		fmt_count(b, sizeof(b), bg->tokens);
		snprintf(buf, cap, "%s of %s tokens%s", a, b, bg->per_hour ? "/hour" : "");
	}
}
