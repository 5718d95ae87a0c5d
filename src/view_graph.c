/*
 * view_graph.c: the Graph view (2): the live task DAG of a runtime or agent.
 *
 * Owns drawing the layout that taskgraph computes: node boxes with a status
 * glyph and colour, edges merged into box-drawing junctions with arrowheads,
 * the selected node kept in view (auto-pan until the operator pans), the
 * details pane (or a one-line footer on narrow screens), the title with
 * counts by status, the tree/list fallback, and the helpers the key handlers
 * use on what was drawn (n/N, neighbours, mouse hit).
 *
 * The layout is cached here across frames (one graph view per process) and
 * rebuilt only when the structure changes, so a status change recolours a
 * node and never moves it. Only what is visible is drawn: layers are found
 * by binary search on x, nodes by binary search on y.
 *
 * Pure: no I/O, no clock (ui->now_ms is the time to draw at). Never writes
 * the model; writes only the UiState fields it owns (sel_task when unset or
 * gone, pan_x/pan_y for auto-pan and clamping, rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/canvas.h"
#include "swarmtop/model.h"
#include "swarmtop/sanitize.h"
#include "swarmtop/taskgraph.h"
#include "swarmtop/view.h"

#define VG_PANE_W     36   /* details pane width, columns */
#define VG_PANE_MIN_W 100  /* narrower areas get a footer line instead */
#define VG_MARGIN     2    /* auto-pan keeps this many cells around the selection */
#define VG_WRAP_MAX   4096 /* bytes of a text field shown in the pane */

/* Line bits in the edge grid. */
enum {
	LN_U = 1,
	LN_D = 2,
	LN_L = 4,
	LN_R = 8,
	LN_BACK = 16, /* part of an edge reversed to break a cycle */
	LN_HOT = 32,  /* touches the selected node */
	LN_ARROW_R = 64,
	LN_ARROW_L = 128,
	LN_SUB = 256, /* part of a parent -> sub-step line (drawn dotted and dim) */
	LN_DEP = 512, /* part of a dependency line (wins over LN_SUB in a shared cell) */
};

typedef struct StatusLook {
	Element el;   /* glyph and label colour */
	Element box;  /* box border colour */
	Element name; /* task name colour */
	uint32_t glyph;
	char ascii;
	const char *label;
} StatusLook;

static const StatusLook looks[TASK_STATUS_COUNT] = {
        [TASK_SUBMITTED] = {EL_STATUS_SUBMITTED, EL_BORDER, EL_DEFAULT, 0x25CB, 'o', "submitted"},
        [TASK_WORKING] = {EL_STATUS_WORKING, EL_STATUS_WORKING, EL_DEFAULT, 0x25CF, '*', "working"},
        [TASK_INPUT_REQUIRED] = {EL_STATUS_INPUT, EL_STATUS_INPUT, EL_DEFAULT, '?', '?', "input"},
        [TASK_PAUSED] = {EL_STATUS_PAUSED, EL_STATUS_PAUSED, EL_DEFAULT, 0x2016, '=', "paused"},
        [TASK_COMPLETED] = {EL_STATUS_COMPLETED, EL_DIM, EL_DIM, 0x2713, '+', "done"},
        [TASK_FAILED] = {EL_STATUS_FAILED, EL_STATUS_FAILED, EL_DEFAULT, 0x2717, 'x', "failed"},
        [TASK_CANCELED] = {EL_STATUS_CANCELED, EL_DIM, EL_DIM, 0x2298, '/', "canceled"},
        [TASK_REJECTED] = {EL_STATUS_REJECTED, EL_DIM, EL_DIM, 0x2297, '!', "rejected"},
};

/* Title counts, attention first. */
static const TaskStatus count_order[TASK_STATUS_COUNT] = {
        TASK_FAILED,    TASK_INPUT_REQUIRED, TASK_WORKING,  TASK_PAUSED,
        TASK_SUBMITTED, TASK_COMPLETED,      TASK_CANCELED, TASK_REJECTED,
};

/* Edge glyphs by U/D/L/R mask: rounded corners, tees, cross. */
static const uint32_t line_uni[16] = {
        [0] = ' ',
        [LN_U] = 0x2502,
        [LN_D] = 0x2502,
        [LN_U | LN_D] = 0x2502,
        [LN_L] = 0x2500,
        [LN_R] = 0x2500,
        [LN_L | LN_R] = 0x2500,
        [LN_R | LN_D] = 0x256D,
        [LN_L | LN_D] = 0x256E,
        [LN_U | LN_R] = 0x2570,
        [LN_U | LN_L] = 0x256F,
        [LN_U | LN_D | LN_R] = 0x251C,
        [LN_U | LN_D | LN_L] = 0x2524,
        [LN_L | LN_R | LN_D] = 0x252C,
        [LN_L | LN_R | LN_U] = 0x2534,
        [LN_U | LN_D | LN_L | LN_R] = 0x253C,
};
static const char line_ascii[16] = {
        [0] = ' ',
        [LN_U] = '|',
        [LN_D] = '|',
        [LN_U | LN_D] = '|',
        [LN_L] = '-',
        [LN_R] = '-',
        [LN_L | LN_R] = '-',
        [LN_R | LN_D] = '+',
        [LN_L | LN_D] = '+',
        [LN_U | LN_R] = '+',
        [LN_U | LN_L] = '+',
        [LN_U | LN_D | LN_R] = '+',
        [LN_U | LN_D | LN_L] = '+',
        [LN_L | LN_R | LN_D] = '+',
        [LN_L | LN_R | LN_U] = '+',
        [LN_U | LN_D | LN_L | LN_R] = '+',
};

typedef enum BoxStyle { BOX_PLAIN, BOX_SELECTED, BOX_SUMMARY, BOX_STYLE_COUNT } BoxStyle;

typedef struct BoxGlyphs {
	uint32_t tl, tr, bl, br, h, v;
} BoxGlyphs;

static const BoxGlyphs box_uni[BOX_STYLE_COUNT] = {
        [BOX_PLAIN] = {0x256D, 0x256E, 0x2570, 0x256F, 0x2500, 0x2502},
        [BOX_SELECTED] = {0x250F, 0x2513, 0x2517, 0x251B, 0x2501, 0x2503},
        [BOX_SUMMARY] = {0x256D, 0x256E, 0x2570, 0x256F, 0x2504, 0x2506},
};
static const BoxGlyphs box_ascii[BOX_STYLE_COUNT] = {
        [BOX_PLAIN] = {'+', '+', '+', '+', '-', '|'},
        [BOX_SELECTED] = {'#', '#', '#', '#', '=', '#'},
        [BOX_SUMMARY] = {'+', '+', '+', '+', '.', ':'},
};

/* What the view remembers between frames. */
typedef struct GraphCache {
	TaskGraph g;
	bool ready;
	int last_sel, last_pan_x, last_pan_y;
	bool drawn;       /* a frame was drawn: last_* are meaningful */
	bool user_panned; /* the operator moved the view: no auto-pan until selection moves */
	Rect area;        /* the graph area of the last frame (screen) */
	int pan_x, pan_y;
	bool list;      /* the last frame was the list */
	uint16_t *lines; /* edge grid of the graph area */
	size_t lines_cap;
} GraphCache;

static GraphCache gc;

/* The edge grid in graph coordinates, clipped to the viewport. */
typedef struct Lines {
	uint16_t *bits;
	int x0, y0, w, h; /* graph-space viewport */
} Lines;

/* Mark a horizontal run x0..x1 at row y. */
static void ln_h(Lines *ln, int x0, int x1, int y, uint16_t extra)
{
	int a, b;

	if (x0 > x1) {
		int t = x0;

		x0 = x1;
		x1 = t;
	}
	if (y < ln->y0 || y >= ln->y0 + ln->h)
		return;
	a = x0 > ln->x0 ? x0 : ln->x0;
	b = x1 < ln->x0 + ln->w - 1 ? x1 : ln->x0 + ln->w - 1;
	for (int x = a; x <= b; x++)
		ln->bits[(size_t)(y - ln->y0) * (size_t)ln->w + (size_t)(x - ln->x0)] |=
		        (uint16_t)((x > x0 ? LN_L : 0) | (x < x1 ? LN_R : 0) | extra);
}

/* Mark a vertical run y0..y1 at column x. */
static void ln_v(Lines *ln, int x, int y0, int y1, uint16_t extra)
{
	int a, b;

	if (y0 > y1) {
		int t = y0;

		y0 = y1;
		y1 = t;
	}
	if (x < ln->x0 || x >= ln->x0 + ln->w)
		return;
	a = y0 > ln->y0 ? y0 : ln->y0;
	b = y1 < ln->y0 + ln->h - 1 ? y1 : ln->y0 + ln->h - 1;
	for (int y = a; y <= b; y++)
		ln->bits[(size_t)(y - ln->y0) * (size_t)ln->w + (size_t)(x - ln->x0)] |=
		        (uint16_t)((y > y0 ? LN_U : 0) | (y < y1 ? LN_D : 0) | extra);
}

/* Mark one cell with flags only. */
static void ln_mark(Lines *ln, int x, int y, uint16_t extra)
{
	if (x < ln->x0 || x >= ln->x0 + ln->w || y < ln->y0 || y >= ln->y0 + ln->h)
		return;
	ln->bits[(size_t)(y - ln->y0) * (size_t)ln->w + (size_t)(x - ln->x0)] |= extra;
}

/* Status glyph of a task in this canvas's mode. */
static uint32_t status_glyph(const Canvas *c, TaskStatus s)
{
	return c->ascii ? (uint32_t)looks[s].ascii : looks[s].glyph;
}

/* Set a cell if it lies inside clip. */
static void put(Canvas *c, Rect clip, int x, int y, uint32_t cp, Element el)
{
	if (x < clip.x || y < clip.y || x >= clip.x + clip.w || y >= clip.y + clip.h)
		return;
	canvas_set(c, x, y, cp, el);
}

/* Draw untrusted text at (x, y) in at most maxw columns, clipped to clip on both sides. */
static void clip_text(Canvas *c, Rect clip, int x, int y, int maxw, Element el, const char *s)
{
	int lo = x > clip.x ? x : clip.x,
	    hi = x + maxw < clip.x + clip.w ? x + maxw : clip.x + clip.w;
	char buf[TG_BOX_W_MAX * 8 + 16];
	size_t len = 0, i = 0;
	int col = 0;

	if (!s || y < clip.y || y >= clip.y + clip.h || lo >= hi)
		return;
	if (lo == x && hi == x + maxw) {
		canvas_text_ellipsis(c, x, y, maxw, el, s);
		return;
	}
	sanitize_text(s, strlen(s), buf, sizeof buf, maxw, c->ascii ? SANITIZE_ASCII : 0, &len);
	while (i < len) {
		uint32_t cp;
		int k = sanitize_utf8_decode(buf + i, len - i, &cp), cw = sanitize_cp_width(cp);
		char one[8];

		if (cw > 0 && x + col >= lo && x + col + cw <= hi) {
			memcpy(one, buf + i, (size_t)k);
			one[k] = '\0';
			canvas_text(c, x + col, y, cw, el, one);
		} else if (cw > 0) {
			for (int j = 0; j < cw; j++)
				put(c, clip, x + col + j, y, ' ', el);
		}
		col += cw > 0 ? cw : 0;
		i += (size_t)k;
	}
}

/* A duration in milliseconds as "850ms", "12.3s", "4m05s", "2h13m", "3d04h". */
static void fmt_dur(char *buf, size_t cap, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, cap, "%dms", (int)ms);
	else if (ms < 60000)
		snprintf(buf, cap, "%d.%ds", (int)(ms / 1000), (int)(ms % 1000 / 100));
	else if (ms < 3600000)
		snprintf(buf, cap, "%dm%02ds", (int)(ms / 60000), (int)(ms % 60000 / 1000));
	else if (ms < 86400000)
		snprintf(buf, cap, "%dh%02dm", (int)(ms / 3600000), (int)(ms % 3600000 / 60000));
	else
		snprintf(buf, cap, "%lldd%02dh", (long long)(ms / 86400000),
		         (int)(ms % 86400000 / 3600000));
}

/* "Now" on the runtime's clock: its last event time advanced by wall time since then. */
static int64_t runtime_now(const Model *m, const ModelTask *t, int64_t now_ms)
{
	const ModelRuntime *r;

	if (t->runtime < 0 || (size_t)t->runtime >= m->nruntimes)
		return now_ms;
	r = &m->runtimes[t->runtime];
	if (r->last_ts <= 0 || r->last_event_ms <= 0)
		return now_ms;
	return r->last_ts + (now_ms > r->last_event_ms ? now_ms - r->last_event_ms : 0);
}

/* How long a task ran (or has been running); false when it never started. */
static bool task_duration(const Model *m, const ModelTask *t, int64_t now_ms, int64_t *ms)
{
	if (t->started_ts <= 0)
		return false;
	if (t->ended_ts > 0 && t->ended_ts >= t->started_ts)
		*ms = t->ended_ts - t->started_ts;
	else if (task_status_is_final(t->status))
		return false;
	else
		*ms = runtime_now(m, t, now_ms) - t->started_ts;
	return true;
}

/* A task's label: its name, else its id. */
static const char *task_label(const ModelTask *t)
{
	return t->name && t->name[0] ? t->name : t->id ? t->id : "?";
}

/* Make sure ui->rows can hold n entries. */
static bool rows_reserve(UiState *ui, size_t n)
{
	int *r;

	if (ui->rows_cap >= n)
		return true;
	r = realloc(ui->rows, sizeof *r * (n ? n : 1));
	if (!r)
		return false;
	ui->rows = r;
	ui->rows_cap = n;
	return true;
}

/* Publish the tasks in display order into ui->rows. */
static void publish_rows(const TaskGraph *g, UiState *ui, bool list)
{
	size_t n = list ? (size_t)g->nrows : (size_t)g->norder;

	ui->nrows = 0;
	if (!rows_reserve(ui, n))
		return;
	if (list)
		for (size_t i = 0; i < n; i++)
			ui->rows[i] = g->rows[i].task;
	else if (n)
		memcpy(ui->rows, g->order, sizeof *ui->rows * n);
	ui->nrows = n;
}

/* Bring the cached layout up to date for the UI's runtime, agent and collapse setting. */
static const TaskGraph *graph_for(const Model *m, const UiState *ui)
{
	if (!gc.ready) {
		taskgraph_init(&gc.g);
		gc.ready = true;
	}
	if (taskgraph_update(&gc.g, m, ui->runtime, ui->graph_agent, ui->collapse_done) < 0)
		return NULL;
	return &gc.g;
}

/* Keep pan inside [0, extent - view] (never negative). */
static int clamp_pan(int pan, int extent, int view)
{
	int max = extent - view + VG_MARGIN;

	if (pan > max)
		pan = max;
	return pan < 0 ? 0 : pan;
}

/* Shift pan so that [a, b) shows inside a view of size n: the least shift when it is partly
 * visible, centred when it is off screen (a jump, like vim's zz). */
static int pan_to_show(int pan, int a, int b, int n)
{
	if (b <= pan || a >= pan + n)
		return (a + b) / 2 - n / 2;
	if (b - a + 2 * VG_MARGIN > n)
		return a - VG_MARGIN;
	if (a - VG_MARGIN < pan)
		return a - VG_MARGIN;
	if (b + VG_MARGIN > pan + n)
		return b + VG_MARGIN - n;
	return pan;
}

/* Update the user-panned flag from what the operator did since the last frame. */
static void track_pan(UiState *ui)
{
	if (gc.drawn && ui->sel_task != gc.last_sel)
		gc.user_panned = false;
	else if (gc.drawn && (ui->pan_x != gc.last_pan_x || ui->pan_y != gc.last_pan_y))
		gc.user_panned = true;
}

/* Remember what this frame showed. */
static void remember(UiState *ui, Rect area, bool list)
{
	gc.drawn = true;
	gc.last_sel = ui->sel_task;
	gc.last_pan_x = ui->pan_x;
	gc.last_pan_y = ui->pan_y;
	gc.area = area;
	gc.pan_x = ui->pan_x;
	gc.pan_y = ui->pan_y;
	gc.list = list;
}

/* Draw the edges of the visible part of the graph into the canvas. */
static void draw_edges(const TaskGraph *g, Canvas *c, Rect area, int px, int py, int sel_node)
{
	size_t need = (size_t)area.w * (size_t)area.h;
	Lines ln = {.x0 = px, .y0 = py, .w = area.w, .h = area.h};
	int l0 = taskgraph_layer_at(g, px);

	if (need == 0 || l0 < 0)
		return;
	if (gc.lines_cap < need) {
		uint16_t *b = realloc(gc.lines, need * sizeof *b);

		if (!b)
			return;
		gc.lines = b;
		gc.lines_cap = need;
	}
	ln.bits = gc.lines;
	memset(ln.bits, 0, need * sizeof *ln.bits);
	for (int l = l0; l < g->nlayers && g->layer_x[l] < px + area.w; l++) {
		int entry = l + 1 < g->nlayers ? g->layer_x[l + 1] : 0;

		/* virtual nodes: the edge passes straight through the layer */
		for (int k = taskgraph_layer_first(g, l, py);
		     k < g->layer_start[l + 1] && g->nodes[g->by_layer[k]].y < py + area.h; k++) {
			const TgNode *nd = &g->nodes[g->by_layer[k]];
			const TgEdge *e;

			if (nd->kind != TG_NODE_VIRTUAL)
				continue;
			e = &g->edges[nd->edge];
			ln_h(&ln, nd->x - 1, nd->x + nd->w, nd->y,
			     (uint16_t)((e->back ? LN_BACK : 0) | (e->sub ? LN_SUB : LN_DEP) |
			               (e->from == sel_node || e->to == sel_node ? LN_HOT : 0)));
		}
		for (int r = g->run_start[l]; r < g->run_start[l + 1]; r++)
			ln_v(&ln, g->runs[r].x, g->runs[r].y0, g->runs[r].y1,
			     g->runs[r].sub ? LN_SUB : LN_DEP);
		for (int k = g->seg_start[l]; k < g->seg_start[l + 1]; k++) {
			const TgSeg *s = &g->segs[k];
			const TgNode *f = &g->nodes[s->from], *t = &g->nodes[s->to];
			const TgEdge *e = &g->edges[s->edge];
			int sy = f->kind == TG_NODE_VIRTUAL ? f->y : f->y + 1;
			int ty = t->kind == TG_NODE_VIRTUAL ? t->y : t->y + 1;
			int ex = f->kind == TG_NODE_VIRTUAL ? g->layer_x[l] + g->layer_w[l]
			                                    : f->x + f->w;
			uint16_t fl =
			        (uint16_t)((e->back ? LN_BACK : 0) | (e->sub ? LN_SUB : LN_DEP) |
			                  (e->from == sel_node || e->to == sel_node ? LN_HOT : 0));

			if (sy == ty) {
				ln_h(&ln, ex, entry - 1, sy, fl);
			} else {
				ln_h(&ln, ex, s->track, sy, fl);
				ln_h(&ln, s->track, entry - 1, ty, fl);
				if (fl & (LN_BACK | LN_HOT))
					ln_v(&ln, s->track, sy, ty, fl);
			}
			if (s->last && !e->back && !e->sub)
				ln_mark(&ln, entry - 1, ty, LN_ARROW_R);
			if (s->first && e->back)
				ln_mark(&ln, ex, sy, LN_ARROW_L);
		}
	}
	for (int y = 0; y < area.h; y++) {
		const uint16_t *row = ln.bits + (size_t)y * (size_t)area.w;

		for (int x = 0; x < area.w; x++) {
			uint16_t b = row[x];
			bool sub = (b & LN_SUB) && !(b & LN_DEP);
			uint32_t cp;
			Element el;

			if (!(b & ~(LN_SUB | LN_DEP)))
				continue;
			if (b & LN_ARROW_R)
				cp = c->ascii ? '>' : 0x25B6;
			else if (b & LN_ARROW_L)
				cp = c->ascii ? '<' : 0x25C0;
			else if (sub && (b & 15) && !(b & (LN_U | LN_D)))
				cp = c->ascii ? '.' : 0x2504; /* dotted: a sub-step, not a dependency */
			else if (sub && (b & 15) && !(b & (LN_L | LN_R)))
				cp = c->ascii ? ':' : 0x2506;
			else
				cp = c->ascii ? (uint32_t)line_ascii[b & 15] : line_uni[b & 15];
			el = (b & LN_HOT)    ? EL_HEADER_LABEL
			     : (b & LN_BACK) ? EL_ALARM
			     : sub           ? EL_DIM
			                     : EL_EDGE;
			canvas_set(c, area.x + x, area.y + y, cp, el);
		}
	}
}

/* Draw one node box at screen (sx, sy), clipped to area. */
static void draw_node(const Model *m, const TgNode *nd, Canvas *c, Rect area, int sx, int sy,
                      bool selected)
{
	const ModelTask *t = &m->tasks[nd->task];
	TaskStatus st = nd->kind == TG_NODE_SUMMARY ? TASK_COMPLETED : t->status;
	const StatusLook *lk = &looks[st];
	BoxStyle bs = selected                      ? BOX_SELECTED
	              : nd->kind == TG_NODE_SUMMARY ? BOX_SUMMARY
	                                            : BOX_PLAIN;
	const BoxGlyphs *bg = c->ascii ? &box_ascii[bs] : &box_uni[bs];
	Element bel = selected ? EL_HEADER_LABEL : lk->box; /* a bold outline, no fill */
	int w = nd->w, inner = w - 4, mid = sy + 1;
	char att[24] = "", fold[16] = "";
	int attw = 0, fw = 0, right;

	for (int x = 1; x < w - 1; x++) {
		put(c, area, sx + x, sy, bg->h, bel);
		put(c, area, sx + x, sy + 2, bg->h, bel);
		put(c, area, sx + x, mid, ' ', selected ? EL_SELECTED : EL_DEFAULT);
	}
	put(c, area, sx, sy, bg->tl, bel);
	put(c, area, sx + w - 1, sy, bg->tr, bel);
	put(c, area, sx, sy + 2, bg->bl, bel);
	put(c, area, sx + w - 1, sy + 2, bg->br, bel);
	put(c, area, sx, mid, bg->v, bel);
	put(c, area, sx + w - 1, mid, bg->v, bel);
	put(c, area, sx + 2, mid, status_glyph(c, st), selected ? EL_SELECTED : lk->el);
	if (nd->kind == TG_NODE_SUMMARY) {
		char label[32];

		snprintf(label, sizeof label, "%d done", nd->count);
		clip_text(c, area, sx + 4, mid, inner - 2,
		          selected ? EL_SELECTED : EL_STATUS_COMPLETED, label);
		return;
	}
	if (t->attempt > 1) {
		attw = snprintf(att, sizeof att, "%s%lld", c->ascii ? "r" : "\xe2\x86\xbb",
		                (long long)t->attempt);
		attw = attw - (c->ascii ? 0 : 2); /* the arrow is 3 bytes, 1 column */
		if (attw > inner - 4)
			attw = 0;
	}
	if (nd->nfolded > 0) {
		/* completed sub-steps folded in by collapse: "+3", left of the attempt */
		fw = snprintf(fold, sizeof fold, "+%d", nd->nfolded);
		if (fw + (attw ? attw + 1 : 0) > inner - 4)
			fw = 0;
	}
	right = (attw ? attw + 1 : 0) + (fw ? fw + 1 : 0);
	clip_text(c, area, sx + 4, mid, inner - 2 - right, selected ? EL_SELECTED : lk->name,
	          task_label(t));
	if (fw)
		clip_text(c, area, sx + w - 2 - (attw ? attw + 1 : 0) - fw, mid, fw,
		          selected ? EL_SELECTED : EL_DIM, fold);
	if (attw)
		clip_text(c, area, sx + w - 2 - attw, mid, attw,
		          selected ? EL_SELECTED : EL_STATUS_FAILED, att);
}

/* Draw the visible nodes. */
static void draw_nodes(const Model *m, const TaskGraph *g, Canvas *c, Rect area, int px, int py,
                       int sel_node)
{
	int l0 = taskgraph_layer_at(g, px);

	if (l0 < 0)
		return;
	for (int l = l0; l < g->nlayers && g->layer_x[l] < px + area.w; l++) {
		for (int k = taskgraph_layer_first(g, l, py);
		     k < g->layer_start[l + 1] && g->nodes[g->by_layer[k]].y < py + area.h; k++) {
			int v = g->by_layer[k];
			const TgNode *nd = &g->nodes[v];

			if (nd->kind == TG_NODE_VIRTUAL || nd->x + nd->w <= px)
				continue;
			draw_node(m, nd, c, area, area.x + nd->x - px, area.y + nd->y - py,
			          v == sel_node);
		}
	}
}

/* Wrap sanitized text into lines of at most w columns; draws at most max lines. */
static int draw_wrapped(Canvas *c, int x, int y, int w, int max, Element el, const char *s)
{
	static char buf[VG_WRAP_MAX + 8];
	size_t len = 0, i = 0;
	int lines = 0;

	if (!s || w <= 0 || max <= 0)
		return 0;
	sanitize_text(s, strlen(s), buf, sizeof buf, -1, c->ascii ? SANITIZE_ASCII : 0, &len);
	while (i < len && lines < max) {
		size_t start = i, brk = 0, j = i;
		int col = 0;

		while (j < len) {
			uint32_t cp;
			int k = sanitize_utf8_decode(buf + j, len - j, &cp),
			    cw = sanitize_cp_width(cp);

			if (cw < 0)
				cw = 0;
			if (col + cw > w)
				break;
			if (cp == ' ')
				brk = j;
			col += cw;
			j += (size_t)k;
		}
		if (j < len && brk > start)
			j = brk;
		if (lines == max - 1 && j < len) {
			canvas_text_ellipsis(c, x, y + lines, w, el, buf + start);
		} else {
			char save = buf[j];

			buf[j] = '\0';
			canvas_text(c, x, y + lines, w, el, buf + start);
			buf[j] = save;
		}
		lines++;
		i = j;
		while (i < len && buf[i] == ' ')
			i++;
	}
	return lines;
}

/* One "label value" row of the details pane. */
static void pane_row(Canvas *c, int x, int y, int w, const char *label, Element el, const char *v)
{
	canvas_text(c, x, y, 8, EL_DIM, label);
	canvas_text_ellipsis(c, x + 8, y, w - 8, el, v ? v : "-");
}

/* The details pane for the selected task (or summary). */
static void draw_pane(const Model *m, const TaskGraph *g, UiState *ui, Canvas *c, Rect p)
{
	int x = p.x + 2, w = p.w - 3, y = p.y, bottom = p.y + p.h;
	int node = taskgraph_node_of(g, ui->sel_task);
	const ModelTask *t;
	char buf[128], d1[32];
	int64_t ms;

	for (int yy = p.y; yy < bottom; yy++)
		canvas_set(c, p.x, yy, canvas_glyph(c, GLYPH_VLINE), EL_BORDER);
	if (node < 0) {
		canvas_text(c, x, y, w, EL_DIM, "no task selected");
		return;
	}
	t = &m->tasks[ui->sel_task];
	if (g->nodes[node].kind == TG_NODE_SUMMARY) {
		int shown = 0;

		snprintf(buf, sizeof buf, "%d completed tasks", g->nodes[node].count);
		canvas_text(c, x, y++, w, EL_TITLE, buf);
		canvas_text(c, x, y++, w, EL_DIM, "(collapsed: finished work)");
		y++;
		for (size_t i = 0; i < g->ntasks_model && y < bottom; i++) {
			if (g->node_of_task[i] != node)
				continue;
			if (shown++ >= 12 || y == bottom - 1) {
				canvas_set(c, x, y++, canvas_glyph(c, GLYPH_ELLIPSIS), EL_DIM);
				break;
			}
			canvas_set(c, x, y, status_glyph(c, TASK_COMPLETED), EL_STATUS_COMPLETED);
			canvas_text_ellipsis(c, x + 2, y++, w - 2, EL_DIM,
			                     task_label(&m->tasks[i]));
		}
		return;
	}
	y += draw_wrapped(c, x, y, w, 2, EL_TITLE, task_label(t));
	if (y < bottom)
		pane_row(c, x, y++, w, "id", EL_DEFAULT, t->id);
	if (y < bottom)
		pane_row(c, x, y++, w, "agent", EL_DEFAULT,
		         t->agent >= 0 && (size_t)t->agent < m->nagents && m->agents[t->agent].name
		                 ? m->agents[t->agent].name
		                 : t->agent_id);
	if (y < bottom)
		pane_row(c, x, y++, w, "kind", EL_DEFAULT, t->kind);
	if (y < bottom) {
		canvas_text(c, x, y, 8, EL_DIM, "status");
		canvas_set(c, x + 8, y, status_glyph(c, t->status), looks[t->status].el);
		canvas_text(c, x + 10, y++, w - 10, looks[t->status].el,
		            task_status_names[t->status]);
	}
	if (y < bottom) {
		snprintf(buf, sizeof buf, "%lld%s", (long long)(t->attempt > 1 ? t->attempt : 1),
		         t->attempt > 1 ? " (retried)" : "");
		pane_row(c, x, y++, w, "attempt", t->attempt > 1 ? EL_STATUS_FAILED : EL_DEFAULT,
		         buf);
	}
	if (y < bottom && t->started_ts > 0) {
		fmt_dur(d1, sizeof d1, runtime_now(m, t, ui->now_ms) - t->started_ts);
		snprintf(buf, sizeof buf, "%s ago", d1);
		pane_row(c, x, y++, w, "started", EL_DEFAULT, buf);
	}
	if (y < bottom && t->ended_ts > 0 && task_status_is_final(t->status)) {
		fmt_dur(d1, sizeof d1, runtime_now(m, t, ui->now_ms) - t->ended_ts);
		snprintf(buf, sizeof buf, "%s ago", d1);
		pane_row(c, x, y++, w, "ended", EL_DEFAULT, buf);
	}
	if (y < bottom && task_duration(m, t, ui->now_ms, &ms)) {
		fmt_dur(d1, sizeof d1, ms);
		pane_row(c, x, y++, w, task_status_is_final(t->status) ? "took" : "running",
		         EL_DEFAULT, d1);
	}
	if (y < bottom && t->parent)
		pane_row(c, x, y++, w, "parent", EL_DEFAULT, t->parent);
	if (y < bottom && (t->ndeps > 0 || g->nodes[node].self_dep)) {
		snprintf(buf, sizeof buf, "%zu%s%s", t->ndeps,
		         g->nodes[node].nmissing ? " (some unknown)" : "",
		         g->nodes[node].in_cycle ? " cycle" : "");
		pane_row(c, x, y++, w, "deps", g->nodes[node].in_cycle ? EL_ALARM : EL_DEFAULT,
		         buf);
		for (size_t d = 0; d < t->ndeps && y < bottom; d++) {
			int j = t->deps[d] ? model_find_task(m, t->runtime, t->deps[d]) : -1;

			if (d >= 5 && t->ndeps > 6) {
				snprintf(buf, sizeof buf, "+%zu more", t->ndeps - d);
				canvas_text(c, x + 2, y++, w - 2, EL_DIM, buf);
				break;
			}
			if (j >= 0) {
				canvas_set(c, x + 2, y, status_glyph(c, m->tasks[j].status),
				           looks[m->tasks[j].status].el);
				canvas_text_ellipsis(c, x + 4, y++, w - 4, EL_DEFAULT,
				                     task_label(&m->tasks[j]));
			} else {
				canvas_text(c, x + 2, y, 2, EL_ALARM, "?");
				snprintf(buf, sizeof buf, "%.100s (unknown)",
				         t->deps[d] ? t->deps[d] : "");
				canvas_text_ellipsis(c, x + 4, y++, w - 4, EL_DIM, buf);
			}
		}
	}
	if (y + 1 < bottom && t->error && t->error[0]) {
		canvas_text(c, x, y++, w, EL_STATUS_FAILED, "error");
		y += draw_wrapped(c, x + 2, y, w - 2, bottom - y > 4 ? 4 : bottom - y,
		                  EL_STATUS_FAILED, t->error);
	}
	if (y + 1 < bottom && t->input && t->input[0]) {
		canvas_text(c, x, y++, w, EL_DIM, "input");
		y += draw_wrapped(c, x + 2, y, w - 2, bottom - y > 3 ? 3 : bottom - y, EL_DEFAULT,
		                  t->input);
	}
	if (y + 1 < bottom && t->output && t->output[0]) {
		canvas_text(c, x, y++, w, EL_DIM, "output");
		draw_wrapped(c, x + 2, y, w - 2, bottom - y > 3 ? 3 : bottom - y, EL_DEFAULT,
		             t->output);
	}
}

/* A one-line summary of the selection for narrow screens. */
static void draw_footer(const Model *m, const TaskGraph *g, UiState *ui, Canvas *c, Rect f)
{
	int node = taskgraph_node_of(g, ui->sel_task), x = f.x;
	const ModelTask *t;
	char buf[96], d1[32];
	int64_t ms;

	if (node < 0)
		return;
	t = &m->tasks[ui->sel_task];
	if (g->nodes[node].kind == TG_NODE_SUMMARY) {
		snprintf(buf, sizeof buf, "%d completed tasks (collapsed)", g->nodes[node].count);
		canvas_text(c, x, f.y, f.w, EL_DIM, buf);
		return;
	}
	canvas_set(c, x, f.y, status_glyph(c, t->status), looks[t->status].el);
	x += 2;
	x += canvas_text_ellipsis(c, x, f.y, f.w / 3, EL_TITLE, task_label(t));
	x += canvas_text(c, x, f.y, f.x + f.w - x, looks[t->status].el, "  ");
	x += canvas_text(c, x, f.y, f.x + f.w - x, looks[t->status].el,
	                 task_status_names[t->status]);
	if (t->attempt > 1) {
		snprintf(buf, sizeof buf, "  attempt %lld", (long long)t->attempt);
		x += canvas_text(c, x, f.y, f.x + f.w - x, EL_STATUS_FAILED, buf);
	}
	if (task_duration(m, t, ui->now_ms, &ms)) {
		fmt_dur(d1, sizeof d1, ms);
		snprintf(buf, sizeof buf, "  %s", d1);
		x += canvas_text(c, x, f.y, f.x + f.w - x, EL_DIM, buf);
	}
	if (t->error && t->error[0] && x + 4 < f.x + f.w) {
		x += canvas_text(c, x, f.y, f.x + f.w - x, EL_DIM, "  ");
		canvas_text_ellipsis(c, x, f.y, f.x + f.w - x, EL_STATUS_FAILED, t->error);
	}
}

/* The title line: runtime, agent filter, counts by status, mode markers. */
static void draw_title(const Model *m, const TaskGraph *g, const UiState *ui, Canvas *c, Rect r,
                       bool list)
{
	int counts[TASK_STATUS_COUNT] = {0}, x = r.x, end = r.x + r.w;
	const char *rt = "all runtimes";
	char buf[96];

	for (size_t i = 0; i < m->ntasks; i++)
		if (taskgraph_node_of(g, (int)i) >= 0)
			counts[m->tasks[i].status]++;
	if (ui->runtime >= 0 && (size_t)ui->runtime < m->nruntimes) {
		const ModelRuntime *rr = &m->runtimes[ui->runtime];

		rt = rr->name ? rr->name : rr->id ? rr->id : rr->url ? rr->url : "runtime";
	}
	x += canvas_text(c, x, r.y, end - x, EL_TITLE, "Tasks ");
	x += canvas_text_ellipsis(c, x, r.y, (end - x) / 3, EL_TITLE, rt);
	if (ui->graph_agent >= 0 && (size_t)ui->graph_agent < m->nagents) {
		const ModelAgent *a = &m->agents[ui->graph_agent];

		x += canvas_text(c, x, r.y, end - x, EL_DIM, " / ");
		x += canvas_text_ellipsis(c, x, r.y, (end - x) / 3, EL_TITLE,
		                          a->name ? a->name : a->id);
	}
	x += 2;
	{
		const char *marks[3];
		int nm = 0, full = 0;
		bool compact;

		if (g->nback)
			marks[nm++] = "cycle";
		if (ui->collapse_done && !list)
			marks[nm++] = "collapsed";
		if (list)
			marks[nm++] = g->too_large ? "list (graph too large)" : "list";
		for (int i = nm - 1; i >= 0; i--) {
			int w = (int)strlen(marks[i]) + 2;

			if (end - w - 1 < x)
				break;
			end -= w;
			canvas_set(c, end, r.y, '[', EL_DIM);
			canvas_text(c, end + 1, r.y, w - 2, EL_TITLE, marks[i]);
			canvas_set(c, end + w - 1, r.y, ']', EL_DIM);
			end--;
		}
		for (int k = 0; k < TASK_STATUS_COUNT; k++)
			if (counts[count_order[k]])
				full += 2 +
				        snprintf(buf, sizeof buf, "%d %s", counts[count_order[k]],
				                 looks[count_order[k]].label) +
				        2;
		compact = x + full > end;
		for (int k = 0; k < TASK_STATUS_COUNT; k++) {
			TaskStatus s = count_order[k];
			int n;

			if (!counts[s])
				continue;
			n = compact ? snprintf(buf, sizeof buf, "%d", counts[s])
			            : snprintf(buf, sizeof buf, "%d %s", counts[s], looks[s].label);
			if (x + (compact ? 1 : 2) + n > end)
				break;
			canvas_set(c, x, r.y, status_glyph(c, s), looks[s].el);
			x += compact ? 1 : 2;
			x += canvas_text(c, x, r.y, end - x, looks[s].el, buf) + (compact ? 1 : 2);
		}
	}
}

/* The tree/list fallback: an indented list by parent (else first dep). */
static void draw_list(const Model *m, const TaskGraph *g, UiState *ui, Canvas *c, Rect a)
{
	int sel_row = -1, top;

	for (int i = 0; i < g->nrows; i++)
		if (g->rows[i].task == ui->sel_task)
			sel_row = i;
	if (!gc.user_panned && sel_row >= 0)
		ui->pan_y = pan_to_show(ui->pan_y, sel_row, sel_row + 1, a.h);
	ui->pan_x = 0;
	ui->pan_y = clamp_pan(ui->pan_y, g->nrows, a.h);
	top = ui->pan_y;
	for (int y = 0; y < a.h && top + y < g->nrows; y++) {
		const TgRow *row = &g->rows[top + y];
		const ModelTask *t = &m->tasks[row->task];
		int x = a.x, sy = a.y + y, depth = row->depth, right = a.x + a.w;
		bool sel = row->task == ui->sel_task;
		char buf[32], att[24] = "";
		int64_t ms;

		for (int d = 1; d < depth && d < TG_TREE_DEPTH_MAX && x + 2 < right; d++, x += 2)
			if (row->more & (1u << d))
				canvas_set(c, x, sy, canvas_glyph(c, GLYPH_TREE_PIPE), EL_EDGE);
		if (depth > 0 && x + 2 < right) {
			canvas_set(c, x, sy,
			           canvas_glyph(c, row->last ? GLYPH_TREE_LAST : GLYPH_TREE_MID),
			           EL_EDGE);
			canvas_set(c, x + 1, sy, canvas_glyph(c, GLYPH_HLINE), EL_EDGE);
			x += 2;
		}
		canvas_set(c, x + 1, sy, status_glyph(c, t->status), looks[t->status].el);
		buf[0] = '\0';
		if (task_duration(m, t, ui->now_ms, &ms))
			fmt_dur(buf, sizeof buf, ms);
		if (t->attempt > 1)
			snprintf(att, sizeof att, "%s%lld", c->ascii ? "r" : "\xe2\x86\xbb",
			         (long long)t->attempt);
		if (right - 18 > x + 3) {
			canvas_text(c, right - 8, sy, 8, EL_DIM, buf);
			canvas_text(c, right - 14, sy, 5, EL_STATUS_FAILED, att);
			right -= 15;
		}
		canvas_text_ellipsis(c, x + 3, sy, right - x - 3, looks[t->status].name,
		                     task_label(t));
		if (sel)
			canvas_paint(c, a.x, sy, a.w, EL_SELECTED);
	}
}

/* The body of the Graph view. */
void view_graph_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	const TaskGraph *g;
	Rect area, pane = {0, 0, 0, 0}, foot = {0, 0, 0, 0};
	bool list;
	int sel_node;

	if (r.w <= 0 || r.h <= 0)
		return;
	canvas_fill(c, r, ' ', EL_DEFAULT);
	g = graph_for(m, ui);
	if (!g) {
		canvas_text(c, r.x, r.y, r.w, EL_ERROR, "task graph: out of memory");
		return;
	}
	list = ui->graph_list || g->too_large;
	draw_title(m, g, ui, c, r, list);
	if (g->nreal == 0) {
		ui->nrows = 0;
		canvas_text(c, r.x + (r.w > 12 ? (r.w - 12) / 2 : 0), r.y + r.h / 2, r.w, EL_DIM,
		            "no tasks yet");
		remember(ui, r, list);
		return;
	}
	area = (Rect){r.x, r.y + 1, r.w, r.h - 1};
	if (area.w >= VG_PANE_MIN_W) {
		pane = (Rect){area.x + area.w - VG_PANE_W, area.y, VG_PANE_W, area.h};
		area.w -= VG_PANE_W + 1;
	} else if (area.h > 4) {
		foot = (Rect){area.x, area.y + area.h - 1, area.w, 1};
		area.h -= 1;
	}
	if (taskgraph_node_of(g, ui->sel_task) < 0)
		ui->sel_task = taskgraph_find(g, m, -1, 1, ~0u, list);
	track_pan(ui);
	publish_rows(g, ui, list);
	if (list) {
		draw_list(m, g, ui, c, area);
	} else {
		sel_node = taskgraph_node_of(g, ui->sel_task);
		if (!gc.user_panned && sel_node >= 0) {
			const TgNode *s = &g->nodes[sel_node];

			ui->pan_x = pan_to_show(ui->pan_x, s->x, s->x + s->w, area.w);
			ui->pan_y = pan_to_show(ui->pan_y, s->y, s->y + s->h, area.h);
		}
		ui->pan_x = clamp_pan(ui->pan_x, g->width, area.w);
		ui->pan_y = clamp_pan(ui->pan_y, g->height, area.h);
		draw_edges(g, c, area, ui->pan_x, ui->pan_y, sel_node);
		draw_nodes(m, g, c, area, ui->pan_x, ui->pan_y, sel_node);
	}
	if (pane.w > 0)
		draw_pane(m, g, ui, c, pane);
	else if (foot.w > 0)
		draw_footer(m, g, ui, c, foot);
	remember(ui, area, list);
}

/* The next/previous task in display order whose status is in mask, or -1. */
int view_graph_find(const Model *m, const UiState *ui, int dir, unsigned status_mask)
{
	const TaskGraph *g = graph_for(m, ui);

	if (!g)
		return -1;
	return taskgraph_find(g, m, ui->sel_task, dir, status_mask, ui->graph_list);
}

/* The nearest task from the selection in direction (dx, dy), or -1. */
int view_graph_neighbour(const Model *m, const UiState *ui, int dx, int dy)
{
	const TaskGraph *g = graph_for(m, ui);
	int n;

	if (!g)
		return -1;
	if (ui->graph_list || g->too_large) {
		for (int i = 0; i < g->nrows; i++)
			if (g->rows[i].task == ui->sel_task) {
				int j = i + (dy ? dy : dx);

				return j >= 0 && j < g->nrows ? g->rows[j].task : -1;
			}
		return -1;
	}
	n = taskgraph_neighbour(g, taskgraph_node_of(g, ui->sel_task), dx, dy);
	return n >= 0 ? g->nodes[n].task : -1;
}

/* The task drawn at screen cell (x, y) in the last frame, or -1. */
int view_graph_task_at(const Model *m, const UiState *ui, int x, int y)
{
	const TaskGraph *g = graph_for(m, ui);
	int n;

	if (!g || !gc.drawn || x < gc.area.x || y < gc.area.y || x >= gc.area.x + gc.area.w ||
	    y >= gc.area.y + gc.area.h)
		return -1;
	if (gc.list) {
		int i = gc.pan_y + (y - gc.area.y);

		return i >= 0 && i < g->nrows ? g->rows[i].task : -1;
	}
	n = taskgraph_node_at(g, gc.pan_x + x - gc.area.x, gc.pan_y + y - gc.area.y);
	return n >= 0 ? g->nodes[n].task : -1;
}

/* Forget the cached layout and the pan memory. */
void view_graph_release(void)
{
	if (gc.ready)
		taskgraph_free(&gc.g);
	free(gc.lines);
	memset(&gc, 0, sizeof gc);
}
