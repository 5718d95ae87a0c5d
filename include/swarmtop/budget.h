/*
 * budget.h: budgets from the config (Config.budgets) evaluated against the
 * model, and the countdown before an automatic pause.
 *
 * Spend is what the model knows: USD = billed (cost_usd on the wire) plus the
 * estimate from the price table for unbilled tokens (tokens with no price add
 * nothing and set `unpriced`: the USD figure is then a lower bound); tokens
 * are input + output. Scopes: every runtime, one runtime (by id), one agent
 * (by id, in any runtime; its sub-agents have budgets of their own).
 *
 * per=hour is a rolling window kept honestly simple: one sample of the
 * cumulative spend per minute, so "the last hour" is 60 to 61 minutes, and it
 * counts spend as swarmtop observed it (history replayed at connect counts at
 * the time it arrived).
 *
 * The countdown is a small state machine: IDLE -> RUNNING when a pause budget
 * goes over; RUNNING -> FIRED at the deadline (the caller sends the pause,
 * once); RUNNING -> CANCELED by the operator; any of them -> IDLE when the
 * spend drops back under the limit (a rolling hour can), so a new crossing
 * starts a new countdown.
 *
 * Pure: no I/O, no clock (now_ms is a parameter), never writes the model.
 */
#ifndef SWARMTOP_BUDGET_H
#define SWARMTOP_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/config.h"
#include "swarmtop/model.h"
#include "swarmtop/usage.h"

#define BUDGET_WARN_AT    0.8 /* fraction of the limit that raises the warning mark */
#define BUDGET_HOUR_SLOTS 61  /* minute samples of the rolling hour (+1: the current) */

typedef enum BudgetLevel {
	BLEVEL_OK,
	BLEVEL_WARN, /* >= 80 % */
	BLEVEL_OVER, /* >= 100 % */
	BLEVEL_COUNT
} BudgetLevel;

extern const char *const budget_level_names[BLEVEL_COUNT];

typedef enum BudgetCd {
	BCD_IDLE,
	BCD_RUNNING,
	BCD_CANCELED, /* the operator stopped it; nothing is sent for this crossing */
	BCD_FIRED,    /* the deadline passed; the pause went out */
	BCD_COUNT
} BudgetCd;

extern const char *const budget_cd_names[BCD_COUNT];

/* What budget_step asks the caller to do. */
typedef enum BudgetAct {
	BACT_NONE,
	BACT_STARTED, /* a countdown began: say so */
	BACT_FIRE,    /* send the pause now (once) */
	BACT_RESET,   /* back under the limit: a countdown or its result was cleared */
	BACT_COUNT
} BudgetAct;

typedef struct BudgetState {
	const Budget *b; /* the config's budget (not owned) */
	/* the latest evaluation */
	double usd; /* spent in the window (session or hour) */
	int64_t tokens;
	bool unpriced;   /* some tokens in scope have no price: usd is a lower bound */
	double fraction; /* the larger of usd/limit and tokens/limit */
	BudgetLevel level;
	/* rolling hour: cumulative spend sampled at the first evaluation of each minute */
	int64_t slot_min[BUDGET_HOUR_SLOTS]; /* minute number, 0 = empty */
	double slot_usd[BUDGET_HOUR_SLOTS];
	int64_t slot_tokens[BUDGET_HOUR_SLOTS];
	/* countdown */
	BudgetCd cd;
	int64_t started_ms, deadline_ms;
} BudgetState;

/* Bind state s to budget b, everything zero. */
void budget_init(BudgetState *s, const Budget *b);

/* Cumulative spend of budget b's scope in model m: USD (billed + priced estimate) and
 * tokens; *unpriced (may be NULL) set when some unbilled tokens in scope have no price. */
void budget_spend(const Budget *b, const Model *m, const PriceTable *prices, double *usd,
                  int64_t *tokens, bool *unpriced);

/* Evaluate s at now_ms: spend in its window, fraction, level. */
void budget_eval(BudgetState *s, const Model *m, const PriceTable *prices, int64_t now_ms);

/* Advance the countdown after budget_eval. can_act: steering is possible (not read-only,
 * not replay); a pause budget that cannot act only warns. Returns what the caller must do. */
BudgetAct budget_step(BudgetState *s, int64_t now_ms, bool can_act);

/* The operator cancels a running countdown. Returns true when one was running. */
bool budget_cancel(BudgetState *s);

/* Whole seconds left on a running countdown (rounded up), else 0. */
int budget_seconds_left(const BudgetState *s, int64_t now_ms);

/* True when budget b covers agent index a of model m. */
bool budget_covers_agent(const Budget *b, const Model *m, int a);

/* The highest level among the n budgets covering agent a. */
BudgetLevel budget_agent_level(const BudgetState *s, size_t n, const Model *m, int a);

/* Format the limit and the spend for display, e.g. "$5.02 of $5.00" or "1.2M of 1M tok". */
void budget_describe(const BudgetState *s, char *buf, size_t cap);

#endif
