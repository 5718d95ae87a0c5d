/*
 * view_cores.c: the Cores view (4): one meter per logical CPU with a history
 * graph (sparkline of the per-core history ring), then the thread table
 * (TID, NAME, CORE, CPU%, AGENT, TASK) of the selected runtime, or of every
 * runtime grouped under a title line when ui->runtime == -1. Python
 * runtimes say whether they are free-threaded or have a GIL.
 *
 * Pure: reads the model; clamps ui->threads_scroll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/view.h"

/* Sample i (oldest first) of core k's history ring. */
static double hist_sample(const ModelRuntime *rt, size_t k, int i)
{
	int idx = (rt->hist_head - rt->hist_len + i + 2 * MODEL_CORE_HISTORY) % MODEL_CORE_HISTORY;
	return rt->core_hist[k * MODEL_CORE_HISTORY + (size_t)idx];
}

/* Runtime display name. */
static const char *rt_label(const ModelRuntime *rt)
{
	return rt->name && *rt->name ? rt->name : (rt->id ? rt->id : (rt->url ? rt->url : "?"));
}

/* Title line for a runtime: name, language, GIL badge, cores and threads. */
static void runtime_title(const ModelRuntime *rt, Canvas *c, int x, int y, int w)
{
	canvas_fill(c, (Rect){x, y, w, 1}, ' ', EL_HEADER);
	int end = x + w;
	x += canvas_text_ellipsis(c, x, y, w / 2, EL_HEADER_LABEL, rt_label(rt)) + 2;
	if (rt->lang) {
		char lang[80];
		snprintf(lang, sizeof lang, "%.20s%s%.40s", rt->lang, rt->lang_version ? " " : "",
		         rt->lang_version ? rt->lang_version : "");
		x += canvas_text(c, x, y, end - x, EL_HEADER, lang) + 2;
	}
	if (rt->lang && strcmp(rt->lang, "python") == 0 && (rt->has & HAS_FREE_THREADED)) {
		const char *b = rt->free_threaded ? "free-threaded" : "GIL";
		x += canvas_printf(c, x, y, end - x, rt->free_threaded ? EL_CONN_OK : EL_CONN_WARN,
		                   "[%s]", b) + 2;
	}
	canvas_printf(c, x, y, end - x, EL_DIM, "%zu cores  %zu threads", rt->ncores,
	              rt->nthreads);
}

/* Meters with history for one runtime; returns rows used (at most max_rows). */
static int draw_core_rows(const ModelRuntime *rt, Canvas *c, Rect r, int max_rows)
{
	size_t nc = rt->ncores;
	if (nc == 0 || max_rows <= 0)
		return 0;
	int ncols = 1;
	while ((size_t)ncols * (size_t)max_rows < nc && r.w / (ncols + 1) >= 24)
		ncols++;
	int rows = (int)((nc + (size_t)ncols - 1) / (size_t)ncols);
	if (rows > max_rows)
		rows = max_rows;
	int colw = r.w / ncols;
	int digits = nc > 100 ? 3 : (nc > 10 ? 2 : 1);
	int mw = colw >= 60 ? 24 : (colw - digits - 2) / 2;
	if (mw < 8)
		mw = colw - digits - 2;
	double hist[MODEL_CORE_HISTORY];
	for (size_t k = 0; k < nc && k < (size_t)rows * (size_t)ncols; k++) {
		int x = r.x + (int)(k / (size_t)rows) * colw, y = r.y + (int)(k % (size_t)rows);
		canvas_printf(c, x, y, digits, EL_HEADER_LABEL, "%*zu", digits, k);
		canvas_meter(c, x + digits, y, mw, rt->cores_now[k], EL_DIM);
		int hw = colw - digits - mw - 2;
		if (hw > 0 && rt->core_hist && rt->hist_len > 0) {
			int n = rt->hist_len;
			for (int i = 0; i < n; i++)
				hist[i] = hist_sample(rt, k, i);
			canvas_spark(c, x + digits + mw + 1, y, hw, EL_SPARK, hist, n, 1.0);
		}
	}
	return rows;
}

/* Order threads by CPU, busiest first, then tid. */
static int cmp_threads(const void *pa, const void *pb)
{
	const ModelThread *a = *(const ModelThread *const *)pa, *b = *(const ModelThread *const *)pb;
	if (a->cpu != b->cpu)
		return a->cpu > b->cpu ? -1 : 1;
	return a->tid < b->tid ? -1 : (a->tid > b->tid);
}

typedef struct Line {
	int rt;                  /* runtime index */
	const ModelThread *t;    /* NULL: the runtime's title line */
} Line;

static const struct {
	const char *title;
	int w;
	bool right;
} thcols[] = {
	{"TID", 8, true}, {"NAME", 20, false}, {"CORE", 4, true}, {"CPU%", 6, true},
	{"AGENT", 20, false}, {"TASK", 0, false},
};

/* Draw one thread row. */
static void draw_thread(Canvas *c, int x, int y, int w, const ModelThread *t)
{
	char buf[32];
	int cx = x, end = x + w;
	snprintf(buf, sizeof buf, "%lld", (long long)t->tid);
	canvas_text(c, cx + 8 - (int)strlen(buf), y, 8, EL_DIM, buf);
	cx += 9;
	canvas_text_ellipsis(c, cx, y, 20, EL_DEFAULT, t->name ? t->name : "");
	cx += 21;
	if (t->core >= 0)
		snprintf(buf, sizeof buf, "%lld", (long long)t->core);
	else
		snprintf(buf, sizeof buf, "-");
	canvas_text(c, cx + 4 - (int)strlen(buf), y, 4, EL_DEFAULT, buf);
	cx += 5;
	int n = fmt_percent(buf, sizeof buf, t->cpu);
	Element el = t->cpu >= 0.8 ? EL_METER_HIGH : (t->cpu >= 0.5 ? EL_METER_MID :
	             (t->cpu > 0 ? EL_DEFAULT : EL_DIM));
	canvas_text(c, cx + 6 - n, y, 6, el, buf);
	cx += 7;
	int aw = end - cx > 40 ? 20 : (end - cx) / 2;
	if (aw > 0)
		canvas_text_ellipsis(c, cx, y, aw, EL_DEFAULT, t->agent ? t->agent : "");
	cx += aw + 1;
	if (end - cx > 0)
		canvas_text_ellipsis(c, cx, y, end - cx, EL_DIM, t->task ? t->task : "");
}

/* Draw the Cores view. */
void view_cores_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	const ModelRuntime *sel = NULL;
	if (ui->runtime >= 0 && (size_t)ui->runtime < m->nruntimes)
		sel = &m->runtimes[ui->runtime];
	else
		for (size_t i = 0; i < m->nruntimes && !sel; i++)
			if (m->runtimes[i].ncores > 0)
				sel = &m->runtimes[i];
	if (!sel || (sel->ncores == 0 && sel->nthreads == 0)) {
		canvas_text(c, r.x + 1, r.y + r.h / 2, r.w - 2, EL_DIM,
		            "no CPU samples yet (runtimes send a threads event about once a second)");
		return;
	}
	int y = r.y;
	runtime_title(sel, c, r.x, y++, r.w);
	int meter_rows = (r.h - 2) / 2;
	y += draw_core_rows(sel, c, (Rect){r.x, y, r.w, r.h}, meter_rows);
	if (y >= r.y + r.h)
		return;
	/* thread table */
	canvas_fill(c, (Rect){r.x, y, r.w, 1}, ' ', EL_TITLE);
	int cx = r.x;
	for (size_t i = 0; i < sizeof thcols / sizeof thcols[0]; i++) {
		int w = thcols[i].w ? thcols[i].w : r.x + r.w - cx;
		if (i == 4 && r.x + r.w - cx <= 40)
			w = (r.x + r.w - cx) / 2;
		int tw = (int)strlen(thcols[i].title);
		canvas_text(c, cx + (thcols[i].right ? w - tw : 0), y, w, EL_TITLE, thcols[i].title);
		cx += w + 1;
	}
	y++;
	/* lines: threads of the selected runtime, or every runtime grouped */
	size_t total = 0;
	for (size_t i = 0; i < m->nruntimes; i++)
		total += m->runtimes[i].nthreads + 1;
	Line *lines = malloc((total ? total : 1) * sizeof *lines);
	const ModelThread **tmp = NULL;
	size_t maxth = 0;
	for (size_t i = 0; i < m->nruntimes; i++)
		if (m->runtimes[i].nthreads > maxth)
			maxth = m->runtimes[i].nthreads;
	tmp = malloc((maxth ? maxth : 1) * sizeof(const ModelThread *));
	if (!lines || !tmp) {
		free(lines);
		free(tmp);
		return;
	}
	size_t n = 0;
	bool grouped = ui->runtime < 0 && m->nruntimes > 1;
	for (size_t i = 0; i < m->nruntimes; i++) {
		const ModelRuntime *rt = &m->runtimes[i];
		if (ui->runtime >= 0 ? (int)i != ui->runtime : (!grouped && rt != sel))
			continue;
		if (grouped)
			lines[n++] = (Line){(int)i, NULL};
		for (size_t k = 0; k < rt->nthreads; k++)
			tmp[k] = &rt->threads[k];
		qsort(tmp, rt->nthreads, sizeof(const ModelThread *), cmp_threads);
		for (size_t k = 0; k < rt->nthreads; k++)
			lines[n++] = (Line){(int)i, tmp[k]};
	}
	int body = r.y + r.h - y;
	int maxscroll = (int)n - body;
	if (ui->threads_scroll > maxscroll)
		ui->threads_scroll = maxscroll;
	if (ui->threads_scroll < 0)
		ui->threads_scroll = 0;
	for (int k = 0; k < body; k++) {
		size_t i = (size_t)ui->threads_scroll + (size_t)k;
		if (i >= n)
			break;
		if (lines[i].t)
			draw_thread(c, r.x, y + k, r.w, lines[i].t);
		else
			runtime_title(&m->runtimes[lines[i].rt], c, r.x, y + k, r.w);
	}
	if (n == 0 && body > 0)
		canvas_text(c, r.x + 1, y, r.w - 2, EL_DIM, "no threads reported");
	free(lines);
	free(tmp);
}
