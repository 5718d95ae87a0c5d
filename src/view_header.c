/*
 * view_header.c: the header band: the name and badges (DEMO, REPLAY,
 * READ-ONLY), every runtime with its connection state, the clock; totals
 * (agents by state, tokens/s with a sparkline, billed and estimated cost);
 * the replay position bar; per-core meters laid out in columns.
 *
 * Pure: reads the model and UiState, draws into the canvas; sizes itself to
 * the width and returns the rows it used.
 */
#include <stdio.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/proto.h"
#include "swarmtop/view.h"

/* Text and element for a runtime's connection state. */
static Element conn_text(const ModelRuntime *rt, int64_t now, char *buf, size_t cap)
{
	const char *why = rt->conn_reason ? rt->conn_reason : "";
	switch (rt->conn) {
	case CONN_CONNECTED:
		/* foreign dialects: no steering, and AG-UI streams cannot resume */
		snprintf(buf, cap, "%s", rt->dialect == DIALECT_AGUI ? "AG-UI: no resume" :
		                         rt->dialect == DIALECT_OTLP ? "OTLP: read-only" : "connected");
		return EL_CONN_OK;
	case CONN_REPLAY:
		snprintf(buf, cap, "replay");
		return EL_CONN_OK;
	case CONN_CONNECTING:
		snprintf(buf, cap, "connecting");
		return EL_CONN_WARN;
	case CONN_RECONNECTING: {
		int64_t s = (rt->retry_at_ms - now + 999) / 1000;
		snprintf(buf, cap, "reconnecting in %llds", (long long)(s > 0 ? s : 0));
		return EL_CONN_WARN;
	}
	case CONN_AUTH_FAILED:
		snprintf(buf, cap, "auth failed%s%.200s", *why ? ": " : "", why);
		return EL_CONN_BAD;
	case CONN_PROTOCOL_ERROR:
		snprintf(buf, cap, "protocol error%s%.200s", *why ? ": " : "", why);
		return EL_CONN_BAD;
	case CONN_CLOSED:
	default:
		snprintf(buf, cap, "closed%s%.200s", *why ? ": " : "", why);
		return EL_CONN_BAD;
	}
}

/* The display name of a runtime. */
static const char *rt_name(const ModelRuntime *rt)
{
	if (rt->name && *rt->name)
		return rt->name;
	if (rt->id && *rt->id)
		return rt->id;
	return rt->url ? rt->url : "?";
}

/* Draw a badge " TEXT " and return its width plus a space. */
static int badge(Canvas *c, int x, int y, int maxw, Element el, const char *text)
{
	int n = (int)strlen(text) + 2;
	if (n > maxw)
		return 0;
	canvas_set(c, x, y, ' ', el);
	canvas_text(c, x + 1, y, n - 2, el, text);
	canvas_set(c, x + n - 1, y, ' ', el);
	return n + 1;
}

/* Line 1: name, badges, runtimes, clock. */
static void draw_line1(const Model *m, const UiState *ui, Rect r, Canvas *c)
{
	int y = r.y, x = r.x, end = r.x + r.w;
	char clock[64];
	fmt_clock(clock, sizeof clock, ui->now_ms);
	int cw = (int)strlen(clock);
	if (r.w >= 40) {
		canvas_text(c, end - cw, y, cw, EL_HEADER_LABEL, clock);
		end -= cw + 2;
	}
	x += canvas_text(c, x, y, end - x, EL_HEADER_LABEL, "swarmtop") + 1;
	if (ui->replay)
		x += badge(c, x, y, end - x, EL_REPLAY, "REPLAY");
	else if (ui->demo)
		x += badge(c, x, y, end - x, EL_DEMO, "DEMO");
	if (ui->read_only)
		x += badge(c, x, y, end - x, EL_READONLY, "READ-ONLY");
	x += 1;
	for (size_t i = 0; i < m->nruntimes; i++) {
		const ModelRuntime *rt = &m->runtimes[i];
		char st[256];
		Element el = conn_text(rt, ui->now_ms, st, sizeof st);
		const char *name = rt_name(rt);
		int need = 2 + canvas_text_width(name, c->ascii) + 1 + (int)strlen(st);
		int left = end - x;
		bool last = i + 1 == m->nruntimes;
		if (!last && need + 10 > left) {
			canvas_printf(c, x, y, left, EL_DIM, "+%zu more", m->nruntimes - i);
			break;
		}
		if (left < 8)
			break;
		canvas_set(c, x, y, canvas_glyph(c, GLYPH_BULLET), el);
		x += 2;
		x += canvas_text_ellipsis(c, x, y, end - x, EL_HEADER, name) + 1;
		x += canvas_text_ellipsis(c, x, y, end - x, el, st) + 2;
	}
	if (m->nruntimes == 0)
		canvas_text(c, x, y, end - x, EL_DIM, "no runtimes");
}

/* Count agents by status (and stuck ones) over the selected runtime or all. */
static void count_states(const Model *m, const UiState *ui, size_t *n, size_t *stuck)
{
	memset(n, 0, sizeof(size_t) * AGENT_STATUS_COUNT);
	*stuck = 0;
	for (size_t i = 0; i < m->nagents; i++) {
		const ModelAgent *a = &m->agents[i];
		if ((unsigned)a->status < AGENT_STATUS_COUNT)
			n[a->status]++;
		if (model_agent_stuck(a, ui->now_ms, ui->stuck_ms))
			(*stuck)++;
	}
}

typedef struct Part {
	const char *label;
	AgentStatus st;
	bool always;
} Part;

static const Part state_parts[] = {
	{"working", AGENT_WORKING, true},  {"input", AGENT_INPUT_REQUIRED, true},
	{"failed", AGENT_FAILED, true},    {"paused", AGENT_PAUSED, true},
	{"idle", AGENT_IDLE, false},       {"canceled", AGENT_CANCELED, false},
	{"done", AGENT_COMPLETED, true},
};

/* Line 2: agents by state, tokens/s, cost; returns the column after the last text. */
static int draw_totals(const Model *m, const UiState *ui, Rect r, Canvas *c)
{
	int y = r.y, x = r.x, end = r.x + r.w;
	size_t n[AGENT_STATUS_COUNT], stuck;
	count_states(m, ui, n, &stuck);
	char buf[64];
	/* cost first computed so the right side can be reserved */
	bool unpriced = false;
	double est = view_estimates(m, ui, NULL, NULL, &unpriced);
	x += canvas_text(c, x, y, end - x, EL_HEADER_LABEL, "agents") + 1;
	snprintf(buf, sizeof buf, "%zu", m->nagents);
	x += canvas_text(c, x, y, end - x, EL_HEADER, buf) + 2;
	bool first = true;
	for (size_t i = 0; i < sizeof state_parts / sizeof state_parts[0]; i++) {
		const Part *p = &state_parts[i];
		size_t v = n[p->st];
		if (!p->always && v == 0)
			continue;
		if (r.w < 100 && !p->always)
			continue;
		if (!first)
			x += canvas_text(c, x, y, end - x, EL_DIM, c->ascii ? " . " : " \u00b7 ");
		first = false;
		x += canvas_text(c, x, y, end - x, EL_DIM, p->label) + 1;
		x += canvas_printf(c, x, y, end - x, v ? view_agent_status_el(p->st) : EL_DIM,
		                   "%zu", v);
	}
	if (stuck) {
		x += canvas_text(c, x, y, end - x, EL_DIM, c->ascii ? " . " : " \u00b7 ");
		x += canvas_printf(c, x, y, end - x, EL_STATUS_STUCK, "stuck %zu", stuck);
	}
	x += 3;
	/* tokens/s over 10 s, and a sparkline of the last 30 s when there is room */
	double rate = rate_per_sec(&m->rate, ui->now_ms, 10);
	fmt_count(buf, sizeof buf, (int64_t)(rate + 0.5));
	if (end - x >= 16) {
		x += canvas_text(c, x, y, end - x, EL_HEADER_LABEL, "tok/s") + 1;
		x += canvas_text(c, x, y, end - x, EL_HEADER, buf) + 1;
		int sw = r.w >= 160 ? 30 : (r.w >= 120 ? 20 : 10);
		if (end - x >= sw + 24) {
			double series[30];
			rate_series(&m->rate, ui->now_ms, series, 30);
			canvas_spark(c, x, y, sw, EL_SPARK, series, 30, 0);
			x += sw;
		}
		x += 3;
	}
	/* cost: billed and estimated apart */
	if (end - x >= 12) {
		x += canvas_text(c, x, y, end - x, EL_HEADER_LABEL, "cost") + 1;
		char b[32], e[32];
		fmt_usd(b, sizeof b, m->billed_usd, false);
		x += canvas_text(c, x, y, end - x, EL_COST_BILLED, b);
		if (est > 0.0) {
			fmt_usd(e, sizeof e, est, true);
			x += canvas_text(c, x, y, end - x, EL_DIM, " + ");
			x += canvas_text(c, x, y, end - x, EL_COST_ESTIMATED, e);
			x += canvas_text(c, x, y, end - x, EL_DIM, " est");
		}
		if (unpriced)
			x += canvas_text(c, x + 1, y, end - x - 1, EL_NO_PRICE, "+ no price") + 1;
	}
	return x;
}

/* The runtime whose cores the header shows: the selected one, or the first with cores. */
static const ModelRuntime *cores_runtime(const Model *m, const UiState *ui)
{
	if (ui->runtime >= 0 && (size_t)ui->runtime < m->nruntimes)
		return &m->runtimes[ui->runtime];
	for (size_t i = 0; i < m->nruntimes; i++)
		if (m->runtimes[i].ncores > 0)
			return &m->runtimes[i];
	return NULL;
}

/* Python runtime badge text ("python 3.14 free-threaded" / "python 3.13 GIL"), or "". */
static void python_badge(const ModelRuntime *rt, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!rt->lang || strcmp(rt->lang, "python") != 0)
		return;
	const char *gil = !(rt->has & HAS_FREE_THREADED) ? "" :
	                  (rt->free_threaded ? " free-threaded" : " GIL");
	snprintf(buf, cap, "python%s%.16s%s", rt->lang_version ? " " : "",
	         rt->lang_version ? rt->lang_version : "", gil);
}

/* Per-core meters in columns; returns rows used. */
static int draw_meters(const ModelRuntime *rt, Rect r, Canvas *c)
{
	size_t nc = rt->ncores;
	if (nc == 0 || r.h <= 0 || r.w < 16)
		return 0;
	int digits = nc > 1000 ? 4 : (nc > 100 ? 3 : (nc > 10 ? 2 : 1));
	int maxcols = r.w / (digits + 12);
	if (maxcols < 1)
		maxcols = 1;
	int ncols = r.w >= 160 ? 4 : 2;
	if ((size_t)ncols > nc)
		ncols = (int)nc;
	while ((size_t)ncols * (size_t)r.h < nc && ncols < maxcols)
		ncols++;
	int rows = (int)((nc + (size_t)ncols - 1) / (size_t)ncols);
	bool cut = rows > r.h;
	if (cut)
		rows = r.h;
	int colw = r.w / ncols;
	size_t shown = (size_t)rows * (size_t)ncols;
	/* column-major: core i is in column i / rows, row i % rows */
	size_t i = 0;
	for (int col = 0; col < ncols && i < nc; col++) {
		for (int row = 0; row < rows && i < nc; row++, i++) {
			int x = r.x + col * colw, y = r.y + row;
			int mw = colw - digits - 1;
			if (cut && i + 1 == shown) {
				canvas_printf(c, x, y, colw - 1, EL_DIM, "+%zu cores", nc - i);
				return rows;
			}
			canvas_printf(c, x, y, digits, EL_HEADER_LABEL, "%*zu", digits, i);
			canvas_meter(c, x + digits, y, mw, rt->cores_now[i], EL_DIM);
		}
	}
	return rows;
}

/* The replay position bar: status text, then a bar with a cursor at replay_pos. */
static void draw_replay_bar(const UiState *ui, Rect r, Canvas *c)
{
	int x = r.x;
	if (ui->replay_status)
		x += canvas_text(c, x, r.y, r.w / 2, EL_REPLAY, ui->replay_status) + 1;
	int bw = r.x + r.w - x;
	if (bw < 4)
		return;
	double p = ui->replay_pos < 0 ? 0 : (ui->replay_pos > 1 ? 1 : ui->replay_pos);
	int at = (int)(p * (bw - 1) + 0.5);
	for (int i = 0; i < bw; i++) {
		uint32_t cp = c->ascii ? (i < at ? '=' : '-') : canvas_glyph(c, GLYPH_HLINE);
		canvas_set(c, x + i, r.y, cp, i < at ? EL_REPLAY : EL_DIM);
	}
	/* Marks: failures, gaps and operator commands where they happened. */
	static const struct {
		char ascii;
		uint32_t uni;
		Element el;
	} looks[UI_MARK_COUNT] = {
		[UI_MARK_FAILURE] = {'x', 0x2717, EL_STATUS_FAILED},
		[UI_MARK_GAP] = {':', 0x2506, EL_CONN_WARN},
		[UI_MARK_COMMAND] = {'*', 0x25C6, EL_ROLE_OPERATOR},
	};
	for (size_t i = 0; i < ui->nmarks && ui->mark_pos && ui->mark_kind; i++) {
		int k = ui->mark_kind[i];
		double f = ui->mark_pos[i];
		if (k < 0 || k >= UI_MARK_COUNT || !(f >= 0.0 && f <= 1.0))
			continue;
		canvas_set(c, x + (int)(f * (bw - 1) + 0.5), r.y,
		           c->ascii ? (uint32_t)looks[k].ascii : looks[k].uni, looks[k].el);
	}
	canvas_set(c, x + at, r.y, c->ascii ? '|' : canvas_glyph(c, GLYPH_BULLET), EL_REPLAY);
}

/* Draw the header band; returns rows used. */
int view_header_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.h <= 0 || r.w <= 0)
		return 0;
	canvas_fill(c, (Rect){r.x, r.y, r.w, 1}, ' ', EL_HEADER);
	draw_line1(m, ui, (Rect){r.x, r.y, r.w, 1}, c);
	int y = r.y + 1;
	if (ui->replay && y < r.y + r.h) {
		draw_replay_bar(ui, (Rect){r.x, y, r.w, 1}, c);
		y++;
	}
	int totals_end = r.x + r.w;
	if (y < r.y + r.h) {
		totals_end = draw_totals(m, ui, (Rect){r.x, y, r.w, 1}, c);
		y++;
	}
	const ModelRuntime *rt = cores_runtime(m, ui);
	if (rt && rt->ncores > 0 && y < r.y + r.h) {
		char py[96];
		python_badge(rt, py, sizeof py);
		int room = r.y + r.h - y;
		int cap = r.h / 6 > 1 ? r.h / 6 : 1;
		if (cap > room)
			cap = room;
		int used = draw_meters(rt, (Rect){r.x, y, r.w, cap}, c);
		if (py[0] && used > 0) {
			/* label the meters' owner on the totals line, right-aligned */
			char lab[192];
			snprintf(lab, sizeof lab, "%.80s %s", rt_name(rt), py);
			int lw = canvas_text_width(lab, c->ascii);
			if (r.x + r.w - lw >= totals_end + 2)
				canvas_text(c, r.x + r.w - lw, y - 1, lw, EL_DIM, lab);
		}
		y += used;
	}
	return y - r.y;
}
