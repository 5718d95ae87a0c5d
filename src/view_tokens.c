/*
 * view_tokens.c: the Tokens view (3): usage by agent, or by provider/model
 * (ui->tokens_by_model): input, output, cache read, cache write, reasoning,
 * calls, a tokens/s sparkline over the last minute, and cost with billed and
 * estimated kept apart ("no price" for models the price table lacks, never a
 * made-up cost); a totals row at the bottom.
 *
 * Pure: reads the model; clamps ui->tokens_scroll; writes ui->rows (agent
 * indexes, or the first usage row of each model group).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/view.h"

#define SPARK_SECONDS 60

typedef struct TokRow {
	const char *label, *sub;   /* agent name / provider, model */
	int index;                 /* agent index, or first usage row */
	Tokens tokens;
	uint64_t calls;
	double billed, est;
	bool unpriced;
	double series[SPARK_SECONDS];
} TokRow;

typedef enum TCol {
	T_NAME, T_SUB, T_INPUT, T_OUTPUT, T_CREAD, T_CWRITE, T_REASON, T_CALLS, T_RATE, T_COST,
	T_COUNT
} TCol;

typedef struct TColDef {
	const char *title;
	int min, max, drop;
	bool right;
} TColDef;

static const TColDef tcols[T_COUNT] = {
	[T_NAME] = {"AGENT", 12, 28, 0, false},   [T_SUB] = {"MODEL", 12, 32, 3, false},
	[T_INPUT] = {"INPUT", 6, 7, 0, true},     [T_OUTPUT] = {"OUTPUT", 6, 7, 0, true},
	[T_CREAD] = {"CACHE R", 7, 7, 4, true},   [T_CWRITE] = {"CACHE W", 7, 7, 5, true},
	[T_REASON] = {"REASON", 6, 7, 6, true},   [T_CALLS] = {"CALLS", 5, 6, 7, true},
	[T_RATE] = {"TOKENS/S", 8, 62, 2, false}, [T_COST] = {"COST", 9, 15, 0, true},
};

/* Lay columns out for width w (0 width = dropped). */
static void tlayout(int w, bool by_model, int *cw, int *cx)
{
	bool on[T_COUNT];
	for (int i = 0; i < T_COUNT; i++)
		on[i] = true;
	for (;;) {
		int sum = 0;
		for (int i = 0; i < T_COUNT; i++)
			if (on[i])
				sum += tcols[i].min + 1;
		if (sum <= w)
			break;
		int worst = -1;
		for (int i = 0; i < T_COUNT; i++)
			if (on[i] && tcols[i].drop && (worst < 0 || tcols[i].drop > tcols[worst].drop))
				worst = i;
		if (worst < 0)
			break;
		on[worst] = false;
	}
	(void)by_model;
	int used = 0;
	for (int i = 0; i < T_COUNT; i++) {
		cw[i] = on[i] ? tcols[i].min : 0;
		used += on[i] ? cw[i] + 1 : 0;
	}
	int spare = w - used;
	static const TCol grow[] = {T_NAME, T_SUB, T_COST, T_INPUT, T_OUTPUT, T_RATE};
	for (size_t g = 0; g < sizeof grow / sizeof grow[0] && spare > 0; g++) {
		TCol ci = grow[g];
		if (!on[ci])
			continue;
		int add = tcols[ci].max - cw[ci];
		if (add > spare)
			add = spare;
		cw[ci] += add;
		spare -= add;
	}
	int x = 0;
	for (int i = 0; i < T_COUNT; i++) {
		cx[i] = x;
		if (cw[i])
			x += cw[i] + 1;
	}
}

/* Add one usage row's series into out. */
static void add_series(const RateRing *r, int64_t now, double *out)
{
	double s[SPARK_SECONDS];
	rate_series(r, now, s, SPARK_SECONDS);
	for (int i = 0; i < SPARK_SECONDS; i++)
		out[i] += s[i];
}

/* Order rows by total tokens, largest first, then label. */
static int cmp_rows(const void *pa, const void *pb)
{
	const TokRow *a = pa, *b = pb;
	int64_t ta = tokens_total(&a->tokens), tb = tokens_total(&b->tokens);
	if (ta != tb)
		return ta > tb ? -1 : 1;
	int r = strcmp(a->label ? a->label : "", b->label ? b->label : "");
	if (r == 0)
		r = strcmp(a->sub ? a->sub : "", b->sub ? b->sub : "");
	return r ? r : a->index - b->index;
}

/* Rows by agent; returns the count. */
static size_t rows_by_agent(const Model *m, const UiState *ui, TokRow *rows)
{
	size_t n = 0;
	double *est = calloc(m->nagents ? m->nagents : 1, sizeof *est);
	unsigned char *unp = calloc(m->nagents ? m->nagents : 1, 1);
	uint64_t *calls = calloc(m->nagents ? m->nagents : 1, sizeof *calls);
	if (!est || !unp || !calls)
		goto out;
	view_estimates(m, ui, est, unp, NULL);
	for (size_t i = 0; i < m->nusage; i++) {
		const ModelUsage *u = &m->usage[i];
		int a = u->agent ? model_find_agent(m, u->runtime, u->agent) : -1;
		if (a >= 0)
			calls[a] += u->calls;
	}
	for (size_t i = 0; i < m->nagents; i++) {
		const ModelAgent *a = &m->agents[i];
		if (ui->runtime >= 0 && a->runtime != ui->runtime)
			continue;
		TokRow *r = &rows[n++];
		memset(r, 0, sizeof *r);
		r->label = a->name && *a->name ? a->name : a->id;
		r->sub = a->model;
		r->index = (int)i;
		r->tokens = a->tokens;
		r->calls = calls[i];
		r->billed = a->billed_usd;
		r->est = est[i];
		r->unpriced = unp[i];
	}
out:
	free(est);
	free(unp);
	free(calls);
	return n;
}

/* Rows by provider/model (usage rows grouped); returns the count. */
static size_t rows_by_model(const Model *m, const UiState *ui, TokRow *rows)
{
	size_t n = 0;
	StrMap map;
	strmap_init(&map);
	for (size_t i = 0; i < m->nusage; i++) {
		const ModelUsage *u = &m->usage[i];
		if (ui->runtime >= 0 && u->runtime != ui->runtime)
			continue;
		char key[512];
		int kl = snprintf(key, sizeof key, "%.200s\x1f%.200s", u->provider ? u->provider : "",
		                  u->model ? u->model : "");
		int g = strmap_get(&map, key, (size_t)kl);
		if (g < 0) {
			g = (int)n++;
			if (strmap_put(&map, key, (size_t)kl, g) != 0) {
				n--;
				continue;
			}
			memset(&rows[g], 0, sizeof rows[g]);
			rows[g].label = u->model && *u->model ? u->model : "(unknown model)";
			rows[g].sub = u->provider;
			rows[g].index = (int)i;
		}
		TokRow *r = &rows[g];
		add_series(&u->rate, ui->now_ms, r->series);   /* per model: summed over its rows */
		tokens_add(&r->tokens, &u->tokens);
		r->calls += u->calls;
		r->billed += u->billed_usd;
		bool any = u->unbilled.input || u->unbilled.output || u->unbilled.cache_read ||
		           u->unbilled.cache_write || u->unbilled.reasoning;
		if (any) {
			const Price *p = ui->prices ? prices_find(ui->prices, u->provider, u->model) : NULL;
			if (p)
				r->est += prices_cost(p, &u->unbilled);
			else
				r->unpriced = true;
		}
	}
	strmap_free(&map);
	return n;
}

/* Draw one table row (labels, numbers, spark, cost). */
static void draw_trow(Canvas *c, int x0, int y, const int *cw, const int *cx, const TokRow *r,
                      Element el)
{
	char buf[32];
	if (cw[T_NAME])
		canvas_text_ellipsis(c, x0 + cx[T_NAME], y, cw[T_NAME], el, r->label ? r->label : "?");
	if (cw[T_SUB] && r->sub)
		canvas_text_ellipsis(c, x0 + cx[T_SUB], y, cw[T_SUB], EL_DIM, r->sub);
	const int64_t v[] = {
		[T_INPUT] = r->tokens.input,        [T_OUTPUT] = r->tokens.output,
		[T_CREAD] = r->tokens.cache_read,   [T_CWRITE] = r->tokens.cache_write,
		[T_REASON] = r->tokens.reasoning,   [T_CALLS] = (int64_t)r->calls,
	};
	for (int i = T_INPUT; i <= T_CALLS; i++) {
		if (!cw[i])
			continue;
		int n = fmt_count(buf, sizeof buf, v[i]);
		canvas_text(c, x0 + cx[i] + cw[i] - n, y, n, v[i] ? el : EL_DIM, buf);
	}
	if (cw[T_RATE]) {
		double now = 0.0;   /* tokens/s over the last 10 s */
		for (int i = SPARK_SECONDS - 10; i < SPARK_SECONDS; i++)
			now += r->series[i] / 10.0;
		int n = fmt_count(buf, sizeof buf, (int64_t)(now + 0.5));
		int sw = cw[T_RATE] - 6;
		if (sw > 0)
			canvas_spark(c, x0 + cx[T_RATE], y, sw, EL_SPARK, r->series, SPARK_SECONDS, 0);
		canvas_text(c, x0 + cx[T_RATE] + cw[T_RATE] - n, y, n, el, buf);
	}
	if (cw[T_COST])
		view_draw_cost(c, x0 + cx[T_COST], y, cw[T_COST], r->billed, r->est, r->unpriced);
}

/* The scope of a budget for display: "all", "runtime X", "agent Y". */
static void budget_scope(const Budget *b, char *buf, size_t cap)
{
	static const char *const words[BUDGET_SCOPE_COUNT] = {
		[BUDGET_ALL] = "all runtimes", [BUDGET_RUNTIME] = "runtime", [BUDGET_AGENT] = "agent",
	};
	snprintf(buf, cap, "%s%s%.60s", words[b->scope], b->scope == BUDGET_ALL ? "" : " ",
	         b->scope == BUDGET_ALL ? "" : b->target);
}

/* The budgets block: one line each (name, scope, bar, spend of limit, policy, state) under a
 * title line, at the bottom of r. Returns the rows used (0 without budgets). */
static int draw_budgets(const UiState *ui, Canvas *c, Rect r)
{
	int n = (int)ui->nbudgets, max = r.h / 3 - 1;
	if (n == 0 || max < 1)
		return 0;
	if (n > max)
		n = max;
	int y = r.y + r.h - n - 1;
	canvas_fill(c, (Rect){r.x, y, r.w, 1}, ' ', EL_TITLE);
	canvas_printf(c, r.x, y, r.w, EL_TITLE, "%-12s %-24s %-22s %-30s %s", "BUDGET", "SCOPE",
	              "", "SPENT", "POLICY");
	for (int i = 0; i < n; i++) {
		const BudgetState *bs = &ui->budgets[i];
		const Budget *b = bs->b;
		char scope[96], spent[64], state[64];
		int x = r.x, yy = y + 1 + i;
		Element el = bs->level == BLEVEL_OVER ? EL_ALARM
		             : bs->level == BLEVEL_WARN ? EL_BUDGET_WARN : EL_DEFAULT;
		budget_scope(b, scope, sizeof scope);
		budget_describe(bs, spent, sizeof spent);
		int left = budget_seconds_left(bs, ui->now_ms);
		if (bs->cd == BCD_RUNNING)
			snprintf(state, sizeof state, "pausing in %ds (b cancels)", left);
		else if (bs->cd == BCD_FIRED)
			snprintf(state, sizeof state, "paused by the budget");
		else if (bs->cd == BCD_CANCELED)
			snprintf(state, sizeof state, "over; auto-pause canceled");
		else
			snprintf(state, sizeof state, "%s%s",
			         b->policy == BUDGET_PAUSE ? "pause" : "warn",
			         bs->level == BLEVEL_OVER ? ": over" : bs->level == BLEVEL_WARN
			                                                   ? ": 80% reached" : "");
		if (bs->level != BLEVEL_OK)
			canvas_fill(c, (Rect){r.x, yy, r.w, 1}, ' ', el);
		canvas_text_ellipsis(c, x, yy, 12, bs->level == BLEVEL_OK ? EL_HEADER_LABEL : el,
		                     b->name);
		canvas_text_ellipsis(c, x + 13, yy, 24, el == EL_DEFAULT ? EL_DIM : el, scope);
		double f = bs->fraction > 1.0 ? 1.0 : bs->fraction;
		canvas_meter(c, x + 38, yy, 22, f, el == EL_DEFAULT ? EL_DIM : el);
		canvas_text_ellipsis(c, x + 61, yy, 30, el, spent);
		if (r.w > 93)
			canvas_text_ellipsis(c, x + 92, yy, r.w - 92, el, state);
	}
	return n + 1;
}

/* Draw the Tokens view. */
void view_tokens_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	size_t cap = (ui->tokens_by_model ? m->nusage : m->nagents) + 1;
	TokRow *rows = calloc(cap, sizeof *rows);
	if (!rows)
		return;
	size_t n = ui->tokens_by_model ? rows_by_model(m, ui, rows) : rows_by_agent(m, ui, rows);
	qsort(rows, n, sizeof *rows, cmp_rows);
	int cw[T_COUNT], cx[T_COUNT];
	tlayout(r.w, ui->tokens_by_model, cw, cx);
	canvas_fill(c, (Rect){r.x, r.y, r.w, 1}, ' ', EL_TITLE);
	for (int i = 0; i < T_COUNT; i++) {
		if (!cw[i])
			continue;
		const char *t = tcols[i].title;
		if (ui->tokens_by_model && i == T_NAME)
			t = "MODEL";
		else if (ui->tokens_by_model && i == T_SUB)
			t = "PROVIDER";
		int tw = (int)strlen(t);
		int x = r.x + cx[i] + (tcols[i].right && tw < cw[i] ? cw[i] - tw : 0);
		canvas_text(c, x, r.y, cw[i], EL_TITLE, t);
	}
	ui->nrows = 0;
	int brows = draw_budgets(ui, c, r);
	r.h -= brows;
	int body = r.h - 2;   /* title and totals */
	if (n == 0) {
		if (r.h > 2)
			canvas_text(c, r.x + 1, r.y + 1 + (r.h - 2) / 2, r.w - 2, EL_DIM,
			            "no token usage reported yet");
		free(rows);
		return;
	}
	TokRow tot;
	memset(&tot, 0, sizeof tot);
	tot.label = "TOTAL";
	for (size_t i = 0; i < n; i++) {
		TokRow *row = &rows[i];
		if (!ui->tokens_by_model) {
			const ModelAgent *a = &m->agents[row->index];
			rate_series(&a->rate, ui->now_ms, row->series, SPARK_SECONDS);
		}
		tokens_add(&tot.tokens, &row->tokens);
		tot.calls += row->calls;
		tot.billed += row->billed;
		tot.est += row->est;
		tot.unpriced |= row->unpriced;
		view_rows_push(ui, row->index);
	}
	rate_series(&m->rate, ui->now_ms, tot.series, SPARK_SECONDS);
	int maxscroll = (int)n - body;
	if (ui->tokens_scroll > maxscroll)
		ui->tokens_scroll = maxscroll;
	if (ui->tokens_scroll < 0)
		ui->tokens_scroll = 0;
	for (int k = 0; k < body; k++) {
		size_t i = (size_t)ui->tokens_scroll + (size_t)k;
		if (i >= n)
			break;
		draw_trow(c, r.x, r.y + 1 + k, cw, cx, &rows[i], EL_DEFAULT);
	}
	if (r.h >= 2) {
		int ty = r.y + r.h - 1;
		canvas_fill(c, (Rect){r.x, ty, r.w, 1}, ' ', EL_HEADER);
		draw_trow(c, r.x, ty, cw, cx, &tot, EL_HEADER_LABEL);
	}
	free(rows);
}
