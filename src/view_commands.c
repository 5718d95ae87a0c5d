/*
 * view_commands.c: the Commands view: this session's audit trail from
 * model->commands, newest first: time, who, runtime, target, action, state,
 * reason and the runtime's error (or the injected text).
 *
 * Pure: reads the model; clamps ui->commands_scroll; ui->rows gets command
 * indexes in the order drawn.
 */
#include <stdio.h>
#include <string.h>

#include "swarmtop/fmt.h"
#include "swarmtop/view.h"

static const struct {
	const char *title;
	int w;   /* 0: the rest */
} ccols[] = {
	{"TIME", 8}, {"WHO", 16}, {"TARGET", 22}, {"ACTION", 7}, {"STATE", 10}, {"REASON", 24},
	{"ERROR / TEXT", 0},
};

#define NCCOLS (sizeof ccols / sizeof ccols[0])

/* Column widths for a width: WHO and REASON shrink first. */
static void clayout(int w, int *cw)
{
	for (size_t i = 0; i < NCCOLS; i++)
		cw[i] = ccols[i].w;
	if (w < 120) {
		cw[1] = 10;
		cw[5] = 14;
	}
	int used = 0;
	for (size_t i = 0; i + 1 < NCCOLS; i++)
		used += cw[i] + 1;
	cw[NCCOLS - 1] = w - used > 0 ? w - used : 0;
}

/* Draw the Commands view. */
void view_commands_draw(const Model *m, UiState *ui, Rect r, Canvas *c)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	int cw[NCCOLS];
	clayout(r.w, cw);
	canvas_fill(c, (Rect){r.x, r.y, r.w, 1}, ' ', EL_TITLE);
	int x = r.x;
	for (size_t i = 0; i < NCCOLS; i++) {
		canvas_text(c, x, r.y, cw[i], EL_TITLE, ccols[i].title);
		x += cw[i] + 1;
	}
	ui->nrows = 0;
	int body = r.h - 1;
	if (m->ncommands == 0) {
		if (body > 0)
			canvas_text(c, r.x + 1, r.y + 1 + body / 2, r.w - 2, EL_DIM,
			            "no commands sent this session");
		return;
	}
	for (size_t i = m->ncommands; i > 0; i--)
		view_rows_push(ui, (int)(i - 1));
	int maxscroll = (int)m->ncommands - body;
	if (ui->commands_scroll > maxscroll)
		ui->commands_scroll = maxscroll;
	if (ui->commands_scroll < 0)
		ui->commands_scroll = 0;
	for (int k = 0; k < body; k++) {
		size_t row = (size_t)ui->commands_scroll + (size_t)k;
		if (row >= m->ncommands)
			break;
		const ModelCommand *cmd = &m->commands[m->ncommands - 1 - row];
		int y = r.y + 1 + k;
		char buf[192];
		x = r.x;
		fmt_clock(buf, sizeof buf, cmd->sent_ms);
		canvas_text(c, x, y, cw[0], EL_DIM, buf);
		x += cw[0] + 1;
		canvas_text_ellipsis(c, x, y, cw[1], cmd->who && !strncmp(cmd->who, "budget:", 7) ?
		                     EL_BUDGET_WARN : EL_DEFAULT, cmd->who ? cmd->who : "?");
		x += cw[1] + 1;
		const char *kind = (unsigned)cmd->target_kind < TARGET_KIND_COUNT ?
		                   target_kind_names[cmd->target_kind] : "?";
		if (cmd->target_kind == TARGET_RUNTIME || !cmd->target || !*cmd->target)
			snprintf(buf, sizeof buf, "%s", kind);
		else
			snprintf(buf, sizeof buf, "%s %.128s", kind, cmd->target);
		canvas_text_ellipsis(c, x, y, cw[2], EL_DEFAULT, buf);
		x += cw[2] + 1;
		canvas_text(c, x, y, cw[3], EL_HEADER_LABEL,
		            (unsigned)cmd->action < ACTION_COUNT ? command_action_names[cmd->action]
		                                                 : "?");
		x += cw[3] + 1;
		canvas_text(c, x, y, cw[4], view_cmd_el(cmd->state),
		            (unsigned)cmd->state < CMD_STATE_COUNT ? cmd_state_names[cmd->state] : "?");
		x += cw[4] + 1;
		canvas_text_ellipsis(c, x, y, cw[5], EL_DIM, cmd->reason ? cmd->reason : "");
		x += cw[5] + 1;
		if (cmd->error)
			canvas_text_ellipsis(c, x, y, cw[6], EL_CMD_FAILED, cmd->error);
		else if (cmd->text)
			canvas_text_ellipsis(c, x, y, cw[6], EL_ROLE_OPERATOR, cmd->text);
	}
}
