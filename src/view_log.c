/*
 * view_log.c: the Log view (5): messages, logs, acks, sent commands and
 * swarmtop's own notices from the line ring, newest at the bottom:
 * "HH:MM:SS runtime agent kind text", coloured by level / role / outcome;
 * filtered by runtime, agent and minimum level; the search text highlighted;
 * following the newest line (log_scroll 0) or scrolled back.
 *
 * Pure: reads the model; clamps ui->log_scroll. Per frame it visits only the
 * lines it skips while scrolled back and the lines it draws.
 */
#include <stdio.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/sanitize.h"
#include "swarmtop/view.h"

static const Element level_els[LOG_LEVEL_COUNT] = {
	[LOG_DEBUG] = EL_LOG_DEBUG, [LOG_INFO] = EL_LOG_INFO, [LOG_WARN] = EL_LOG_WARN,
	[LOG_ERROR] = EL_LOG_ERROR,
};

static const Element role_els[ROLE_COUNT] = {
	[ROLE_USER] = EL_ROLE_USER,     [ROLE_ASSISTANT] = EL_ROLE_ASSISTANT,
	[ROLE_SYSTEM] = EL_ROLE_SYSTEM, [ROLE_TOOL] = EL_ROLE_TOOL,
	[ROLE_OPERATOR] = EL_ROLE_OPERATOR,
};

static const Element ack_els[ACK_STATUS_COUNT] = {
	[ACK_ACCEPTED] = EL_CMD_PENDING, [ACK_APPLIED] = EL_CMD_OK, [ACK_REJECTED] = EL_CMD_FAILED,
};

/* The kind column text and the element of a line. */
static Element line_style(const ModelLine *l, const char **kind)
{
	int s = l->sub;
	switch (l->kind) {
	case LINE_MESSAGE:
		*kind = (unsigned)s < ROLE_COUNT ? message_role_names[s] : "msg";
		return (unsigned)s < ROLE_COUNT ? role_els[s] : EL_DEFAULT;
	case LINE_LOG:
		*kind = (unsigned)s < LOG_LEVEL_COUNT ? log_level_names[s] : "log";
		return (unsigned)s < LOG_LEVEL_COUNT ? level_els[s] : EL_DEFAULT;
	case LINE_ACK:
		*kind = "ack";
		return (unsigned)s < ACK_STATUS_COUNT ? ack_els[s] : EL_DEFAULT;
	case LINE_COMMAND:
		*kind = "cmd";
		return EL_CMD_PENDING;
	case LINE_LOCAL:
	default:
		*kind = "local";
		return (unsigned)s < LOG_LEVEL_COUNT && s >= LOG_WARN ? level_els[s] : EL_MESSAGE;
	}
}

/* True when a line passes the runtime, agent and level filters. */
static bool line_visible(const Model *m, const UiState *ui, const ModelLine *l)
{
	if (ui->runtime >= 0 && l->runtime != ui->runtime)
		return false;
	if ((l->kind == LINE_LOG || l->kind == LINE_LOCAL) && l->sub < ui->log_min_level)
		return false;
	if (ui->log_agent >= 0 && (size_t)ui->log_agent < m->nagents) {
		const ModelAgent *a = &m->agents[ui->log_agent];
		if (l->runtime != a->runtime || !l->agent || !a->id || strcmp(l->agent, a->id) != 0)
			return false;
	}
	return true;
}

/* Paint every case-insensitive occurrence of the search text within a row span. */
static void highlight(Canvas *c, int x, int y, int w, const char *needle)
{
	uint32_t want[UI_FILTER_MAX];
	int n = 0;
	size_t len = strlen(needle), i = 0;
	while (i < len && n < UI_FILTER_MAX) {
		uint32_t cp;
		i += (size_t)sanitize_utf8_decode(needle + i, len - i, &cp);
		want[n++] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	}
	if (n == 0)
		return;
	for (int s = x; s + n <= x + w && s + n <= c->w; s++) {
		int k = 0, col = s;
		while (k < n && col < x + w) {
			const Cell *ce = canvas_cell(c, col, y);
			if (!ce)
				break;
			if (ce->cp == 0) {   /* right half of a wide char */
				col++;
				continue;
			}
			uint32_t cp = ce->cp >= 'A' && ce->cp <= 'Z' ? ce->cp + 32 : ce->cp;
			if (cp != want[k])
				break;
			k++;
			col++;
		}
		if (k == n) {
			canvas_paint(c, s, y, col - s, EL_SEARCH_HIT);
			s = col - 1;
		}
	}
}

/* Agent display name for a line (the agent's name when known, else its id). */
static const char *line_agent(const Model *m, const ModelLine *l)
{
	if (!l->agent)
		return "";
	int a = model_find_agent(m, l->runtime, l->agent);
	if (a >= 0 && m->agents[a].name && *m->agents[a].name)
		return m->agents[a].name;
	return l->agent;
}

/* Draw the Log view. */
void view_log_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	bool multi = m->nruntimes > 1;
	int rtw = multi ? (r.w >= 160 ? 16 : 10) : 0;
	int agw = r.w >= 160 ? 20 : 12;
	int kw = 9;
	/* title row with the mode on the right */
	canvas_fill(c, (Rect){r.x, r.y, r.w, 1}, ' ', EL_TITLE);
	canvas_text(c, r.x, r.y, 8, EL_TITLE, "TIME");
	int x = r.x + 9;
	if (multi) {
		canvas_text(c, x, r.y, rtw, EL_TITLE, "RUNTIME");
		x += rtw + 1;
	}
	canvas_text(c, x, r.y, agw, EL_TITLE, "AGENT");
	x += agw + 1;
	canvas_text(c, x, r.y, kw, EL_TITLE, "KIND");
	x += kw + 1;
	canvas_text(c, x, r.y, r.x + r.w - x, EL_TITLE, "TEXT");
	char mode[160];
	if (ui->log_scroll > 0)
		snprintf(mode, sizeof mode, " scrolled back %d%s%.40s ", ui->log_scroll,
		         ui->log_search[0] ? "  /" : "", ui->log_search);
	else
		snprintf(mode, sizeof mode, " following%s%.40s ", ui->log_search[0] ? "  /" : "",
		         ui->log_search);
	int mw = canvas_text_width(mode, c->ascii);
	if (mw < r.w / 2)
		canvas_text(c, r.x + r.w - mw, r.y, mw, EL_TITLE, mode);
	int body = r.h - 1;
	if (body <= 0)
		return;
	if (m->nlines == 0) {
		canvas_text(c, r.x + 1, r.y + 1 + body / 2, r.w - 2, EL_DIM, "no messages yet");
		return;
	}
	/* walk back from the newest: skip log_scroll visible lines, then fill bottom-up */
	size_t i = m->nlines;
	int skipped = 0;
	int ybottom = r.y + r.h - 1;
	const ModelLine *shown[512];
	int ns = 0;
	while (i > 0 && ns < body && ns < 512) {
		const ModelLine *l = model_line(m, --i);
		if (!l || !line_visible(m, ui, l))
			continue;
		if (skipped < ui->log_scroll) {
			skipped++;
			continue;
		}
		shown[ns++] = l;
	}
	if (skipped < ui->log_scroll)   /* scrolled past the oldest: clamp */
		ui->log_scroll = skipped;
	if (ns < body && ui->log_scroll > 0) {
		/* not a full screen above the scroll point: pull it down and redo cheaply */
		ui->log_scroll = ui->log_scroll - (body - ns) > 0 ? ui->log_scroll - (body - ns) : 0;
	}
	for (int k = 0; k < ns; k++) {
		const ModelLine *l = shown[k];
		int y = ybottom - k;
		char buf[32];
		const char *kind;
		Element el = line_style(l, &kind);
		fmt_clock(buf, sizeof buf, l->ts);
		int cx = r.x;
		canvas_text(c, cx, y, 8, EL_DIM, buf);
		cx += 9;
		if (multi) {
			const ModelRuntime *rt = (size_t)l->runtime < m->nruntimes ?
			                         &m->runtimes[l->runtime] : NULL;
			const char *rn = !rt ? "?" : (rt->name && *rt->name ? rt->name :
			                  (rt->id ? rt->id : (rt->url ? rt->url : "?")));
			canvas_text_ellipsis(c, cx, y, rtw, EL_DIM, rn);
			cx += rtw + 1;
		}
		canvas_text_ellipsis(c, cx, y, agw, EL_DEFAULT, line_agent(m, l));
		cx += agw + 1;
		canvas_text(c, cx, y, kw, el, kind);
		cx += kw + 1;
		Element tel = (l->kind == LINE_MESSAGE && l->sub == ROLE_ASSISTANT) ? EL_DEFAULT : el;
		canvas_text_ellipsis(c, cx, y, r.x + r.w - cx, tel, l->text ? l->text : "");
		if (ui->log_search[0])
			highlight(c, cx, y, r.x + r.w - cx, ui->log_search);
	}
}

/* The log_scroll that puts the next line matching the search at the bottom of the view: dir > 0
 * looks further back (older), dir < 0 forward (newer). -1 when no line matches that way. */
int view_log_find(const Model *m, const UiState *ui, int dir)
{
	int k = 0, best = -1;

	if (!ui->log_search[0])
		return -1;
	for (size_t i = m->nlines; i > 0; i--) {
		const ModelLine *l = model_line(m, i - 1);
		if (!l || !line_visible(m, ui, l))
			continue;
		if (l->text && view_contains(l->text, ui->log_search, MODEL_LINE_TEXT_MAX)) {
			if (dir > 0 && k > ui->log_scroll)
				return k;
			if (dir < 0 && k < ui->log_scroll)
				best = k;
		}
		if (dir < 0 && k >= ui->log_scroll)
			break;
		k++;
	}
	return best;
}
