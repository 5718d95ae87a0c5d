/*
 * view_agents.c: the Agents view (1): one row per agent across runtimes, as
 * a tree by parent agent; agents needing attention (failed, input-required,
 * stuck) first and marked; sort by any column; filter by substring ('!'
 * inverts); selection, tags, steering marks; columns dropped by priority to
 * fit the width.
 *
 * Pure: reads the model, writes only ui->rows / ui->nrows and clamps
 * ui->agents_scroll so that the key handlers act on what was drawn.
 * Per frame cost: one sort of the visible agents (n log n) and one pass over
 * the usage rows for cost estimates; no per-task work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/view.h"

#define FILTER_MSG_BYTES 512   /* a filter looks at this much of a last message */
#define TREE_MAX_INDENT 8      /* deeper levels are drawn at this indentation */

/* Per-row extras the draw needs beyond the agent index. */
typedef struct RowMeta {
	int depth;
	uint64_t lastmask;   /* bit d: the ancestor (or self) at depth d is a last child */
	int attn;            /* 0 none, else 1 + attention rank */
} RowMeta;

typedef struct SortCtx {
	const Model *m;
	const UiState *ui;
	const double *est;
} SortCtx;

/* Attention rank: 1 failed, 2 input-required, 3 stuck; 0 none. */
static int attention(const ModelAgent *a, const UiState *ui)
{
	if (a->status == AGENT_FAILED)
		return 1;
	if (a->status == AGENT_INPUT_REQUIRED)
		return 2;
	if (model_agent_stuck(a, ui->now_ms, ui->stuck_ms))
		return 3;
	return 0;
}

static const int state_rank[AGENT_STATUS_COUNT] = {
	[AGENT_FAILED] = 0,  [AGENT_INPUT_REQUIRED] = 1, [AGENT_WORKING] = 2,
	[AGENT_PAUSED] = 3,  [AGENT_IDLE] = 4,           [AGENT_COMPLETED] = 5,
	[AGENT_CANCELED] = 6,
};

/* The name an agent is shown by. */
static const char *agent_label(const ModelAgent *a)
{
	return a->name && *a->name ? a->name : (a->id ? a->id : "?");
}

/* The current task's name, or NULL. */
static const char *task_label(const Model *m, const ModelAgent *a)
{
	if (a->current_task < 0 || (size_t)a->current_task >= m->ntasks)
		return NULL;
	const ModelTask *t = &m->tasks[a->current_task];
	return t->name && *t->name ? t->name : t->id;
}

/* Compare two doubles for sorting. */
static int cmp_d(double a, double b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

/* Compare two strings, NULL first. */
static int cmp_s(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Order agents by the sort column, then name, then index. */
static int cmp_agents(const void *pa, const void *pb, void *pctx)
{
	const SortCtx *k = pctx;
	int ia = *(const int *)pa, ib = *(const int *)pb;
	const ModelAgent *a = &k->m->agents[ia], *b = &k->m->agents[ib];
	int r = 0;
	switch (k->ui->sort_col) {
	case ACOL_STATE:
		r = state_rank[a->status % AGENT_STATUS_COUNT] -
		    state_rank[b->status % AGENT_STATUS_COUNT];
		break;
	case ACOL_TASK:
		r = cmp_s(task_label(k->m, a), task_label(k->m, b));
		break;
	case ACOL_TOKENS:
		r = cmp_d((double)tokens_total(&a->tokens), (double)tokens_total(&b->tokens));
		break;
	case ACOL_COST:
		r = cmp_d(a->billed_usd + k->est[ia], b->billed_usd + k->est[ib]);
		break;
	case ACOL_CPU:
		r = cmp_d(a->cpu, b->cpu);
		break;
	case ACOL_AGE:
		r = cmp_d((double)b->created_ms, (double)a->created_ms);
		break;
	case ACOL_MESSAGE:
		r = cmp_d((double)b->last_message_ms, (double)a->last_message_ms);
		break;
	case ACOL_NAME:
	default:
		break;
	}
	if (k->ui->sort_desc)
		r = -r;
	if (r == 0)
		r = cmp_s(agent_label(a), agent_label(b));
	if (r == 0)
		r = ia - ib;
	return r;
}

/* True when agent a passes the filter. */
static bool agent_matches(const Model *m, const UiState *ui, const ModelAgent *a)
{
	if (ui->runtime >= 0 && a->runtime != ui->runtime)
		return false;
	const char *f = ui->filter;
	bool invert = f[0] == '!';
	if (invert)
		f++;
	if (!*f)
		return true;
	bool hit = view_contains(a->name, f, EVENT_NAME_MAX) ||
	           view_contains(a->id, f, EVENT_ID_MAX) ||
	           view_contains(task_label(m, a), f, EVENT_NAME_MAX) ||
	           view_contains(a->last_message, f, FILTER_MSG_BYTES);
	return hit != invert;
}

typedef struct Build {
	int *order;        /* visible agents in sort order */
	int *kids;         /* children, grouped by parent (counting sort) */
	int *kid_start;    /* nagents + 1 offsets into kids */
	unsigned char *flag; /* bit0 visible-in-tree, bit1 visited */
	RowMeta *meta;     /* per row */
	int *stack;
	RowMeta *smeta;
	double *est;
	unsigned char *unpriced;
} Build;

/* Free build scratch. */
static void build_free(Build *b)
{
	free(b->order);
	free(b->kids);
	free(b->kid_start);
	free(b->flag);
	free(b->meta);
	free(b->stack);
	free(b->smeta);
	free(b->est);
	free(b->unpriced);
}

/* Push a row with its meta. */
static void emit(UiState *ui, Build *b, int idx, RowMeta rm)
{
	if (view_rows_push(ui, idx) == 0)
		b->meta[ui->nrows - 1] = rm;
}

/* Depth-first walk from one root, emitting rows. */
static void walk(UiState *ui, Build *b, int root, RowMeta rm)
{
	size_t sp = 0;
	b->stack[sp] = root;
	b->smeta[sp++] = rm;
	b->flag[root] |= 2;
	while (sp > 0) {
		sp--;
		int n = b->stack[sp];
		RowMeta cur = b->smeta[sp];
		emit(ui, b, n, cur);
		int lo = b->kid_start[n], hi = b->kid_start[n + 1];
		/* push in reverse so the first child pops first */
		bool last = true;
		for (int k = hi - 1; k >= lo; k--) {
			int ch = b->kids[k];
			if (b->flag[ch] & 2)
				continue;
			b->flag[ch] |= 2;
			int d = cur.depth + 1;
			uint64_t mask = cur.lastmask;
			if (d > 0 && d < 64 && last)
				mask |= (uint64_t)1 << d;
			b->stack[sp] = ch;
			b->smeta[sp++] = (RowMeta){d, mask, 0};
			last = false;
		}
	}
}

/* Build ui->rows (and b->meta) for the current model and UI state. */
static size_t build_rows(const Model *m, UiState *ui, Build *b)
{
	memset(b, 0, sizeof *b);
	ui->nrows = 0;
	size_t n = m->nagents;
	if (n == 0)
		return 0;
	b->order = malloc(n * sizeof *b->order);
	b->kids = malloc(n * sizeof *b->kids);
	b->kid_start = calloc(n + 2, sizeof *b->kid_start);
	b->flag = calloc(n, 1);
	b->meta = calloc(n, sizeof *b->meta);
	b->stack = malloc(n * sizeof *b->stack);
	b->smeta = malloc(n * sizeof *b->smeta);
	b->est = malloc(n * sizeof *b->est);
	b->unpriced = malloc(n);
	if (!b->order || !b->kids || !b->kid_start || !b->flag || !b->meta || !b->stack ||
	    !b->smeta || !b->est || !b->unpriced)
		return 0;
	view_estimates(m, ui, b->est, b->unpriced, NULL);
	size_t nv = 0;
	for (size_t i = 0; i < n; i++)
		if (agent_matches(m, ui, &m->agents[i]))
			b->order[nv++] = (int)i;
	SortCtx k = {m, ui, b->est};
	qsort_r(b->order, nv, sizeof *b->order, cmp_agents, &k);
	/* attention rows first, by rank, each rank in sort order */
	for (int rank = 1; rank <= 3; rank++)
		for (size_t i = 0; i < nv; i++) {
			int a = b->order[i];
			if (attention(&m->agents[a], ui) == rank)
				emit(ui, b, a, (RowMeta){0, 0, rank});
		}
	for (size_t i = 0; i < nv; i++)
		if (!attention(&m->agents[b->order[i]], ui))
			b->flag[b->order[i]] = 1;
	/* children grouped by parent, in sort order (counting sort) */
	for (size_t i = 0; i < nv; i++) {
		int a = b->order[i], p = m->agents[a].parent_idx;
		if ((b->flag[a] & 1) && p >= 0 && (size_t)p < n && p != a && (b->flag[p] & 1))
			b->kid_start[p + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		b->kid_start[i + 1] += b->kid_start[i];
	int *fill = b->stack;   /* borrowed as a cursor per parent before the walk */
	for (size_t i = 0; i < n; i++)
		fill[i] = b->kid_start[i];
	for (size_t i = 0; i < nv; i++) {
		int a = b->order[i], p = m->agents[a].parent_idx;
		if ((b->flag[a] & 1) && p >= 0 && (size_t)p < n && p != a && (b->flag[p] & 1))
			b->kids[fill[p]++] = a;
	}
	for (size_t i = 0; i < nv; i++) {
		int a = b->order[i], p = m->agents[a].parent_idx;
		bool root = p < 0 || (size_t)p >= n || p == a || !(b->flag[p] & 1);
		if ((b->flag[a] & 1) && root && !(b->flag[a] & 2))
			walk(ui, b, a, (RowMeta){0, 0, 0});
	}
	/* parent cycles leave agents unreached: show them as roots */
	for (size_t i = 0; i < nv; i++) {
		int a = b->order[i];
		if ((b->flag[a] & 1) && !(b->flag[a] & 2))
			walk(ui, b, a, (RowMeta){0, 0, 0});
	}
	return ui->nrows;
}

/* The ordered rows the Agents view shows. */
size_t view_agents_rows(const Model *m, UiState *ui)
{
	Build b;
	size_t n = build_rows(m, ui, &b);
	build_free(&b);
	return n;
}

typedef enum Col {
	C_MARK, C_STATE, C_AGENT, C_TASK, C_TOKENS, C_COST, C_CPU, C_AGE, C_MSG, C_COUNT
} Col;

typedef struct ColDef {
	const char *title;
	int min, max;      /* width */
	int drop;          /* 0 never dropped; higher drops first */
	bool right;
	int acol;          /* AgentColumn for the sort mark, -1 none */
} ColDef;

static const ColDef cols[C_COUNT] = {
	[C_MARK] = {"", 2, 2, 0, false, -1},
	[C_STATE] = {"STATE", 8, 8, 0, false, ACOL_STATE},
	[C_AGENT] = {"AGENT", 14, 32, 0, false, ACOL_NAME},
	[C_TASK] = {"TASK", 12, 28, 2, false, ACOL_TASK},
	[C_TOKENS] = {"TOKENS", 6, 6, 3, true, ACOL_TOKENS},
	[C_COST] = {"COST", 8, 14, 1, true, ACOL_COST},
	[C_CPU] = {"CPU%", 5, 5, 4, true, ACOL_CPU},
	[C_AGE] = {"AGE", 6, 6, 5, true, ACOL_AGE},
	[C_MSG] = {"LAST MESSAGE", 16, 100000, 0, false, ACOL_MESSAGE},
};

#define MSG_WANT 36   /* the message column gets this much before names grow */

/* Lay the columns out for width w: widths (0 = dropped) and x offsets. */
static void layout(int w, int *cw, int *cx)
{
	bool on[C_COUNT];
	for (int i = 0; i < C_COUNT; i++)
		on[i] = true;
	for (;;) {
		int sum = 0;
		for (int i = 0; i < C_COUNT; i++)
			if (on[i])
				sum += cols[i].min + 1;
		if (sum <= w)
			break;
		int worst = -1;
		for (int i = 0; i < C_COUNT; i++)
			if (on[i] && cols[i].drop && (worst < 0 || cols[i].drop > cols[worst].drop))
				worst = i;
		if (worst < 0)
			break;
		on[worst] = false;
	}
	int used = 0;
	for (int i = 0; i < C_COUNT; i++) {
		cw[i] = on[i] ? cols[i].min : 0;
		used += on[i] ? cw[i] + 1 : 0;
	}
	int spare = w - used;
	int give = spare - (MSG_WANT - cols[C_MSG].min);
	static const Col grow[] = {C_AGENT, C_TASK, C_COST};
	for (size_t g = 0; g < sizeof grow / sizeof grow[0] && give > 0; g++) {
		Col ci = grow[g];
		if (!on[ci])
			continue;
		int add = cols[ci].max - cw[ci];
		if (add > give)
			add = give;
		cw[ci] += add;
		give -= add;
		spare -= add;
	}
	if (spare > 0)
		cw[C_MSG] += spare;
	int x = 0;
	for (int i = 0; i < C_COUNT; i++) {
		cx[i] = x;
		if (cw[i])
			x += cw[i] + 1;
	}
}

/* Draw a right- or left-aligned cell. */
static void cell(Canvas *c, int x, int y, int w, bool right, Element el, const char *s)
{
	int tw = canvas_text_width(s, c->ascii);
	if (right && tw < w)
		x += w - tw;
	canvas_text_ellipsis(c, x, y, w, el, s);
}

/* The steering mark for an agent's newest command; returns columns drawn. */
static int steering_mark(const Model *m, const UiState *ui, const ModelAgent *a, Canvas *c,
                         int x, int y, int w)
{
	if (a->last_command < 0 || (size_t)a->last_command >= m->ncommands)
		return 0;
	const ModelCommand *cmd = &m->commands[a->last_command];
	const char *act = (unsigned)cmd->action < ACTION_COUNT ? command_action_names[cmd->action]
	                                                       : "?";
	const char *glyph, *tail = "";
	switch (cmd->state) {
	case CMD_SENT:
	case CMD_ACCEPTED:
		glyph = c->ascii ? ">" : "\u00bb";
		break;
	case CMD_APPLIED:
		if (ui->now_ms - cmd->acked_ms > 5000)
			return 0;
		glyph = c->ascii ? "+" : "\u2713";
		break;
	case CMD_REJECTED:
		glyph = c->ascii ? "x" : "\u2717";
		tail = " rejected";
		break;
	case CMD_UNANSWERED:
		glyph = c->ascii ? "x" : "\u2717";
		tail = " unanswered";
		break;
	default:
		glyph = c->ascii ? "x" : "\u2717";
		tail = " refused";
		break;
	}
	char buf[64];
	snprintf(buf, sizeof buf, "%s %s%s", glyph, act, tail);
	int n = canvas_text(c, x, y, w, view_cmd_el(cmd->state), buf);
	return n ? n + 1 : 0;
}

/* Draw the tree prefix for a row; returns columns used. */
static int tree_prefix(Canvas *c, int x, int y, int w, const RowMeta *rm)
{
	int d = rm->depth;
	if (d <= 0)
		return 0;
	int levels = d > TREE_MAX_INDENT ? TREE_MAX_INDENT : d;
	if (levels * 2 > w - 6)
		levels = (w - 6) / 2;
	if (levels <= 0)
		return 0;
	int col = 0;
	for (int l = d - levels + 1; l < d; l++) {
		bool last = l < 64 && (rm->lastmask >> l & 1);
		canvas_set(c, x + col, y, last ? ' ' : canvas_glyph(c, GLYPH_TREE_PIPE), EL_EDGE);
		canvas_set(c, x + col + 1, y, ' ', EL_EDGE);
		col += 2;
	}
	bool last = d < 64 && (rm->lastmask >> d & 1);
	canvas_set(c, x + col, y, canvas_glyph(c, last ? GLYPH_TREE_LAST : GLYPH_TREE_MID), EL_EDGE);
	canvas_set(c, x + col + 1, y, canvas_glyph(c, GLYPH_HLINE), EL_EDGE);
	return col + 2;
}

/* Draw one agent row. */
static void draw_row(const Model *m, const UiState *ui, Canvas *c, int x0, int y, const int *cw,
                     const int *cx, int idx, const RowMeta *rm, const Build *b)
{
	const ModelAgent *a = &m->agents[idx];
	char buf[64];
	bool stuck = rm->attn == 3;
	Element sel = stuck ? EL_STATUS_STUCK : view_agent_status_el(a->status);
	bool tagged = ui->tagged_agents && (size_t)idx < ui->ntagged_cap && ui->tagged_agents[idx];
	if (tagged)
		canvas_set(c, x0 + cx[C_MARK], y, '*', EL_TAGGED);
	if (rm->attn)
		canvas_set(c, x0 + cx[C_MARK] + 1, y, '!', sel);
	cell(c, x0 + cx[C_STATE], y, cw[C_STATE], false, sel,
	     stuck ? "stuck" : view_agent_status_label(a->status));
	int px = tree_prefix(c, x0 + cx[C_AGENT], y, cw[C_AGENT], rm);
	canvas_text_ellipsis(c, x0 + cx[C_AGENT] + px, y, cw[C_AGENT] - px,
	                     tagged ? EL_TAGGED : EL_DEFAULT, agent_label(a));
	if (cw[C_TASK]) {
		const char *t = task_label(m, a);
		cell(c, x0 + cx[C_TASK], y, cw[C_TASK], false, t ? EL_DEFAULT : EL_DIM, t ? t : "-");
	}
	if (cw[C_TOKENS]) {
		fmt_count(buf, sizeof buf, tokens_total(&a->tokens));
		cell(c, x0 + cx[C_TOKENS], y, cw[C_TOKENS], true, EL_DEFAULT, buf);
	}
	if (cw[C_COST])
		view_draw_cost(c, x0 + cx[C_COST], y, cw[C_COST], a->billed_usd, b->est[idx],
		               b->unpriced[idx]);
	if (cw[C_CPU]) {
		fmt_percent(buf, sizeof buf, a->cpu);
		Element el = a->cpu >= 0.8 ? EL_METER_HIGH : (a->cpu >= 0.5 ? EL_METER_MID :
		             (a->cpu > 0.0 ? EL_DEFAULT : EL_DIM));
		cell(c, x0 + cx[C_CPU], y, cw[C_CPU], true, el, buf);
	}
	if (cw[C_AGE]) {
		fmt_duration(buf, sizeof buf, ui->now_ms - a->created_ms);
		cell(c, x0 + cx[C_AGE], y, cw[C_AGE], true, EL_DIM, buf);
	}
	int mx = x0 + cx[C_MSG];
	int used = steering_mark(m, ui, a, c, mx, y, cw[C_MSG]);
	if (a->last_message)
		canvas_text_ellipsis(c, mx + used, y, cw[C_MSG] - used, EL_DIM, a->last_message);
}

/* Draw a line of text centred in r. */
static void centred(Canvas *c, Rect r, Element el, const char *s)
{
	int w = canvas_text_width(s, c->ascii);
	if (w > r.w)
		w = r.w;
	canvas_text_ellipsis(c, r.x + (r.w - w) / 2, r.y + r.h / 2, r.w, el, s);
}

/* Number of runtimes connected (or replaying). */
static size_t connected(const Model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nruntimes; i++)
		if (m->runtimes[i].conn == CONN_CONNECTED || m->runtimes[i].conn == CONN_REPLAY)
			n++;
	return n;
}

/* Draw the column header row with the sort mark. */
static void draw_titles(const UiState *ui, Canvas *c, Rect r, const int *cw, const int *cx)
{
	canvas_fill(c, (Rect){r.x, r.y, r.w, 1}, ' ', EL_TITLE);
	for (int i = 0; i < C_COUNT; i++) {
		if (!cw[i] || !cols[i].title[0])
			continue;
		char t[32];
		bool sorted = cols[i].acol == (int)ui->sort_col;
		const char *mark = !sorted ? "" : (c->ascii ? (ui->sort_desc ? "v" : "^") :
		                   (ui->sort_desc ? "\u25bc" : "\u25b2"));
		snprintf(t, sizeof t, "%s%s", cols[i].title, mark);
		cell(c, r.x + cx[i], r.y, cw[i], cols[i].right, EL_TITLE, t);
	}
}

/* Draw the Agents view. */
void view_agents_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	Build b;
	size_t n = build_rows(m, ui, &b);
	int cw[C_COUNT], cx[C_COUNT];
	layout(r.w, cw, cx);
	draw_titles(ui, c, r, cw, cx);
	Rect body = {r.x, r.y + 1, r.w, r.h - 1};
	if (n == 0) {
		char msg[256];
		if (m->nagents == 0) {
			size_t k = connected(m);
			if (k == 0)
				snprintf(msg, sizeof msg, "waiting for agents%s (no runtime connected)",
				         c->ascii ? "..." : "\u2026");
			else
				snprintf(msg, sizeof msg, "waiting for agents%s (connected to %zu runtime%s)",
				         c->ascii ? "..." : "\u2026", k, k == 1 ? "" : "s");
		} else {
			snprintf(msg, sizeof msg, "no agent matches the filter \"%.100s\" (%zu agents)",
			         ui->filter, m->nagents);
		}
		if (body.h > 0)
			centred(c, body, EL_DIM, msg);
		build_free(&b);
		return;
	}
	/* keep the selection visible */
	int selrow = -1;
	for (size_t i = 0; i < n; i++)
		if (ui->rows[i] == ui->sel_agent) {
			selrow = (int)i;
			break;
		}
	if (selrow >= 0) {
		if (selrow < ui->agents_scroll)
			ui->agents_scroll = selrow;
		if (selrow >= ui->agents_scroll + body.h)
			ui->agents_scroll = selrow - body.h + 1;
	}
	int maxscroll = (int)n - body.h;
	if (ui->agents_scroll > maxscroll)
		ui->agents_scroll = maxscroll;
	if (ui->agents_scroll < 0)
		ui->agents_scroll = 0;
	for (int row = 0; row < body.h; row++) {
		size_t i = (size_t)ui->agents_scroll + (size_t)row;
		if (i >= n)
			break;
		int y = body.y + row;
		draw_row(m, ui, c, r.x, y, cw, cx, ui->rows[i], &b.meta[i], &b);
		BudgetLevel bl = ui->nbudgets ? budget_agent_level(ui->budgets, ui->nbudgets, m,
		                                                   ui->rows[i])
		                              : BLEVEL_OK;
		if ((int)i == selrow)
			canvas_paint(c, r.x, y, r.w, EL_SELECTED);
		else if (bl == BLEVEL_OVER)
			canvas_paint(c, r.x, y, r.w, EL_ALARM);
		/* The budget mark: '$' at 80 %, on the alarm colour past 100 %. */
		Element mark = bl == BLEVEL_OVER ? EL_ALARM : EL_BUDGET_WARN;
		if (bl != BLEVEL_OK)
			canvas_set(c, r.x + cx[C_MARK], y, '$', (int)i == selrow ? EL_SELECTED : mark);
	}
	if ((int)n > body.h) {
		char pos[48];
		snprintf(pos, sizeof pos, " %d-%d/%zu ", ui->agents_scroll + 1,
		         ui->agents_scroll + body.h, n);
		int pw = (int)strlen(pos);
		canvas_text(c, r.x + r.w - pw, r.y, pw, EL_TITLE, pos);
	}
	build_free(&b);
}
