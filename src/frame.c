/*
 * frame.c: composes a full screen from the views: header band, tab bar,
 * body, dialog, status/prompt line, key bar. Below 80x24 it draws a clear
 * "terminal too small" message instead of a garbled layout.
 *
 * Pure: no I/O. (The one static, frame_top, remembers where the body started
 * so that mouse clicks can be mapped; it is only written here.)
 */
#include "swarmtop/frame.h"

#include <stdio.h>
#include <string.h>

static int frame_top = 3;

typedef void (*BodyFn)(const Model *m, UiState *ui, Rect r, Canvas *c);

static const BodyFn frame_bodies[VIEW_COUNT] = {
	[VIEW_AGENTS] = view_agents_draw,
	[VIEW_GRAPH] = view_graph_draw,
	[VIEW_TOKENS] = view_tokens_draw,
	[VIEW_CORES] = view_cores_draw,
	[VIEW_LOG] = view_log_draw,
	[VIEW_COMMANDS] = view_commands_draw,
	[VIEW_HELP] = NULL,
};

static const char *const frame_tab_labels[VIEW_COUNT] = {
	[VIEW_AGENTS] = "Agents", [VIEW_GRAPH] = "Graph", [VIEW_TOKENS] = "Tokens",
	[VIEW_CORES] = "Cores",   [VIEW_LOG] = "Log",     [VIEW_COMMANDS] = "Commands",
	[VIEW_HELP] = "Help",
};

/* Row of the body's first line for the last frame drawn. */
int frame_body_top(void)
{
	return frame_top;
}

/* The tab bar: " 1 Agents  2 Graph ..." with the current view highlighted. */
static void frame_tabs(const UiState *ui, int y, Canvas *c)
{
	int x = 0;
	canvas_fill(c, (Rect){ 0, y, c->w, 1 }, ' ', EL_BORDER);
	for (int v = 0; v < VIEW_HELP; v++) {
		char label[32];
		int n = snprintf(label, sizeof(label), " %d %s ", v + 1, frame_tab_labels[v]);
		if (x + n > c->w)
			break;
		Element el = ui->view == (ViewId)v ? EL_SELECTED : EL_DIM;
		canvas_text(c, x, y, n, el, label);
		canvas_text(c, x + 1, y, 1, ui->view == (ViewId)v ? EL_SELECTED : EL_KEY, label + 1);
		x += n + 1;
	}
	/* The rest of the line: a rule. */
	for (; x < c->w; x++)
		canvas_set(c, x, y, canvas_glyph(c, GLYPH_HLINE), EL_BORDER);
}

/* The key bar: "F1 Help  / Filter ..." from the actions that have a bar label. */
static void frame_keybar(const Keymap *km, const UiState *ui, int y, Canvas *c)
{
	int x = 0;
	canvas_fill(c, (Rect){ 0, y, c->w, 1 }, ' ', EL_KEY_TEXT);
	for (int a = 1; a < ACT_COUNT && x < c->w; a++) {
		const ActionInfo *ai = &action_table[a];
		char kn[16];
		if (ai->bar == NULL || km->keys[a][0] == 0)
			continue;
		if (ai->scope == SCOPE_REPLAY && !ui->replay)
			continue;
		if (ai->steering && (ui->read_only || ui->replay))
			continue;
		keymap_key_name(km->keys[a][0], kn, sizeof(kn));
		int kw = (int)strlen(kn), lw = (int)strlen(ai->bar);
		if (x + kw + lw + 2 > c->w)
			break;
		canvas_text(c, x, y, kw, EL_KEY, kn);
		canvas_text(c, x + kw, y, lw + 1, EL_KEY_TEXT, ai->bar);
		x += kw + lw + 2;
	}
	if (ui->read_only && x + 10 < c->w)
		canvas_text(c, c->w - 10, y, 10, EL_READONLY, "READ-ONLY");
}

/* The status line (messages, command life) or the open prompt. Returns the cursor column. */
static int frame_status(const UiState *ui, const FrameInput *in, int y, Canvas *c)
{
	canvas_fill(c, (Rect){ 0, y, c->w, 1 }, ' ', EL_DEFAULT);
	if (in->prompt) {
		int lw = canvas_text(c, 0, y, c->w, EL_PROMPT, in->prompt->label);
		int room = c->w - lw - 1;
		int col = prompt_cursor_col(in->prompt);
		/* Scroll the text left when the cursor would leave the screen. */
		const char *s = in->prompt->buf;
		int skip = col > room ? col - room : 0;
		while (skip > 0 && *s) {
			s++;
			while ((*s & 0xC0) == 0x80)
				s++;
			skip--;
			col--;
		}
		canvas_text(c, lw, y, room, EL_DEFAULT, s);
		return lw + col;
	}
	if (ui->status_msg)
		canvas_text_ellipsis(c, 0, y, c->w, ui->status_is_error ? EL_ERROR : EL_MESSAGE,
		                     ui->status_msg);
	return -1;
}

/* A centred yes/no dialog whose default is No. */
static void frame_confirm(const FrameInput *in, Rect body, Canvas *c)
{
	int w = (int)strlen(in->confirm) + 6;
	if (w < 36)
		w = 36;
	if (w > body.w - 4)
		w = body.w - 4;
	Rect r = { body.x + (body.w - w) / 2, body.y + body.h / 2 - 3, w, 6 };
	canvas_fill(c, r, ' ', EL_DEFAULT);
	canvas_box(c, r, EL_ALARM, " Confirm ");
	canvas_text_ellipsis(c, r.x + 2, r.y + 1, r.w - 4, EL_DEFAULT, in->confirm);
	int bx = r.x + r.w / 2 - 9;
	canvas_text(c, bx, r.y + 3, 7, in->confirm_yes ? EL_ALARM : EL_DIM, " [Yes] ");
	canvas_text(c, bx + 10, r.y + 3, 6, in->confirm_yes ? EL_DIM : EL_SELECTED, " [No] ");
	canvas_text(c, r.x + 2, r.y + 4, r.w - 4, EL_DIM, "y/n, Tab, Enter; Esc = No");
}

/* The help body, generated from the action table and the current bindings. */
void view_help_draw(const Keymap *km, int scroll, Rect r, Canvas *c)
{
	static const char *const scope_titles[SCOPE_COUNT] = {
		[SCOPE_GLOBAL] = "Everywhere", [SCOPE_LIST] = "Lists (agents, tokens, cores, log)",
		[SCOPE_GRAPH] = "Graph view", [SCOPE_LOG] = "Log view", [SCOPE_REPLAY] = "Replay",
	};
	int y = r.y - scroll;
	canvas_text(c, r.x + 1, y++, r.w - 2, EL_TITLE,
	            "swarmtop keys (rebind in the config: key ACTION KEY)   Esc closes");
	for (int s = 0; s < SCOPE_COUNT; s++) {
		y++;
		if (y >= r.y && y < r.y + r.h)
			canvas_text(c, r.x + 1, y, r.w - 2, EL_HEADER_LABEL, scope_titles[s]);
		y++;
		for (int a = 1; a < ACT_COUNT; a++) {
			const ActionInfo *ai = &action_table[a];
			if (ai->scope != (KeyScope)s)
				continue;
			if (y >= r.y && y < r.y + r.h) {
				char keys[48] = "", kn[16];
				for (int i = 0; i < KEYMAP_KEYS_PER_ACTION && km->keys[a][i]; i++) {
					size_t l = strlen(keys);
					snprintf(keys + l, sizeof(keys) - l, "%s%s", i ? " " : "",
					         keymap_key_name(km->keys[a][i], kn, sizeof(kn)));
				}
				canvas_text(c, r.x + 3, y, 14, EL_KEY, keys);
				canvas_text(c, r.x + 18, y, 20, EL_DIM, ai->name);
				canvas_text_ellipsis(c, r.x + 38, y, r.w - 39, EL_DEFAULT, ai->help);
			}
			y++;
		}
	}
	y++;
	if (y >= r.y && y < r.y + r.h)
		canvas_text(c, r.x + 1, y, r.w - 2, EL_DIM,
		            ":agents :graph :tokens :cores :log :commands :theme NAME :reason TEXT "
		            ":pause all :resume all :cancel all :quit");
}

/* Draw everything. Returns the cursor column for an open prompt, else -1. */
int frame_draw(const Model *m, UiState *ui, const FrameInput *in, Canvas *c)
{
	canvas_clear(c, EL_DEFAULT);
	if (c->w < FRAME_MIN_W || c->h < FRAME_MIN_H) {
		char msg[96];
		snprintf(msg, sizeof(msg), "terminal too small: %dx%d (swarmtop needs %dx%d)", c->w, c->h,
		         FRAME_MIN_W, FRAME_MIN_H);
		int y = c->h / 2;
		canvas_text(c, 0, y > 0 ? y - 1 : 0, c->w, EL_ERROR, msg);
		canvas_text(c, 0, y, c->w, EL_DIM, "enlarge the window, or press q to quit");
		return -1;
	}
	int top = view_header_draw(m, ui, (Rect){ 0, 0, c->w, c->h / 3 }, c);
	frame_tabs(ui, top, c);
	frame_top = top + 1;
	Rect body = { 0, frame_top, c->w, c->h - frame_top - 2 };
	if (ui->view == VIEW_HELP)
		view_help_draw(in->km, in->help_scroll, body, c);
	else if (frame_bodies[ui->view])
		frame_bodies[ui->view](m, ui, body, c);
	if (in->confirm)
		frame_confirm(in, body, c);
	int col = frame_status(ui, in, c->h - 2, c);
	frame_keybar(in->km, ui, c->h - 1, c);
	return col;
}
