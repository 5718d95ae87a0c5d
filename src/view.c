/*
 * view.c: view names, UiState lifetime, and the helpers every view shares:
 * status/command elements and labels, cost estimates from the price table,
 * the scratch row list, substring matching, the cost cell.
 *
 * Pure: no I/O, no clock (ui->now_ms is the time to draw at). Views read the
 * model and never change it.
 */
#include "swarmtop/view.h"

#include <stdlib.h>
#include <string.h>

#include "swarmtop/fmt.h"

const char *const view_names[VIEW_COUNT] = {
	[VIEW_AGENTS] = "agents", [VIEW_GRAPH] = "graph",       [VIEW_TOKENS] = "tokens",
	[VIEW_CORES] = "cores",   [VIEW_LOG] = "log",           [VIEW_COMMANDS] = "commands",
	[VIEW_HELP] = "help",
};

/* Zero a UiState and set the defaults. */
void ui_state_init(UiState *ui)
{
	memset(ui, 0, sizeof *ui);
	ui->view = VIEW_AGENTS;
	ui->runtime = -1;
	ui->sel_agent = -1;
	ui->sort_col = ACOL_NAME;
	ui->stuck_ms = 60000;
	ui->sel_task = -1;
	ui->graph_agent = -1;
	ui->log_follow = true;
	ui->log_min_level = LOG_DEBUG;
	ui->log_agent = -1;
}

/* Free the rows and tags a UiState owns. */
void ui_state_free(UiState *ui)
{
	free(ui->rows);
	free(ui->tagged_agents);
	ui->rows = NULL;
	ui->tagged_agents = NULL;
	ui->nrows = ui->rows_cap = ui->ntagged_cap = 0;
}

static const Element agent_status_els[AGENT_STATUS_COUNT] = {
	[AGENT_IDLE] = EL_STATUS_IDLE,         [AGENT_WORKING] = EL_STATUS_WORKING,
	[AGENT_INPUT_REQUIRED] = EL_STATUS_INPUT, [AGENT_PAUSED] = EL_STATUS_PAUSED,
	[AGENT_COMPLETED] = EL_STATUS_COMPLETED, [AGENT_FAILED] = EL_STATUS_FAILED,
	[AGENT_CANCELED] = EL_STATUS_CANCELED,
};

static const char *const agent_status_labels[AGENT_STATUS_COUNT] = {
	[AGENT_IDLE] = "idle",     [AGENT_WORKING] = "working", [AGENT_INPUT_REQUIRED] = "input",
	[AGENT_PAUSED] = "paused", [AGENT_COMPLETED] = "done",  [AGENT_FAILED] = "failed",
	[AGENT_CANCELED] = "canceled",
};

static const Element task_status_els[TASK_STATUS_COUNT] = {
	[TASK_SUBMITTED] = EL_STATUS_SUBMITTED, [TASK_WORKING] = EL_STATUS_WORKING,
	[TASK_INPUT_REQUIRED] = EL_STATUS_INPUT, [TASK_PAUSED] = EL_STATUS_PAUSED,
	[TASK_COMPLETED] = EL_STATUS_COMPLETED, [TASK_FAILED] = EL_STATUS_FAILED,
	[TASK_CANCELED] = EL_STATUS_CANCELED,   [TASK_REJECTED] = EL_STATUS_REJECTED,
};

static const Element cmd_els[CMD_STATE_COUNT] = {
	[CMD_SENT] = EL_CMD_PENDING,   [CMD_ACCEPTED] = EL_CMD_PENDING, [CMD_APPLIED] = EL_CMD_OK,
	[CMD_REJECTED] = EL_CMD_FAILED, [CMD_UNANSWERED] = EL_CMD_FAILED,
	[CMD_REFUSED] = EL_CMD_FAILED,
};

/* Element of an agent status. */
Element view_agent_status_el(AgentStatus s)
{
	return (unsigned)s < AGENT_STATUS_COUNT ? agent_status_els[s] : EL_DEFAULT;
}

/* Element of a task status. */
Element view_task_status_el(TaskStatus s)
{
	return (unsigned)s < TASK_STATUS_COUNT ? task_status_els[s] : EL_DEFAULT;
}

/* Element of a command state. */
Element view_cmd_el(CmdState s)
{
	return (unsigned)s < CMD_STATE_COUNT ? cmd_els[s] : EL_DEFAULT;
}

/* Short label of an agent status. */
const char *view_agent_status_label(AgentStatus s)
{
	return (unsigned)s < AGENT_STATUS_COUNT ? agent_status_labels[s] : "?";
}

/* True when a Tokens has any token. */
static bool tokens_any(const Tokens *t)
{
	return t->input || t->output || t->cache_read || t->cache_write || t->reasoning;
}

/* Estimated cost of unbilled tokens per agent, in one pass over the usage rows. */
double view_estimates(const Model *m, const UiState *ui, double *est, unsigned char *unpriced,
                      bool *any_unpriced)
{
	double total = 0.0;
	bool anyu = false;
	if (est)
		for (size_t i = 0; i < m->nagents; i++)
			est[i] = 0.0;
	if (unpriced && m->nagents)
		memset(unpriced, 0, m->nagents);
	for (size_t i = 0; i < m->nusage; i++) {
		const ModelUsage *u = &m->usage[i];
		if (!tokens_any(&u->unbilled))
			continue;
		const Price *p = ui->prices ? prices_find(ui->prices, u->provider, u->model) : NULL;
		int a = (est || unpriced) && u->agent ? model_find_agent(m, u->runtime, u->agent) : -1;
		if (!p) {
			anyu = true;
			if (unpriced && a >= 0)
				unpriced[a] = 1;
			continue;
		}
		double c = prices_cost(p, &u->unbilled);
		total += c;
		if (est && a >= 0)
			est[a] += c;
	}
	if (any_unpriced)
		*any_unpriced = anyu;
	return total;
}

/* Append one index to ui->rows. */
int view_rows_push(UiState *ui, int idx)
{
	if (ui->nrows == ui->rows_cap) {
		size_t cap = ui->rows_cap ? ui->rows_cap * 2 : 256;
		int *r = realloc(ui->rows, cap * sizeof *r);
		if (!r)
			return -1;
		ui->rows = r;
		ui->rows_cap = cap;
	}
	ui->rows[ui->nrows++] = idx;
	return 0;
}

/* ASCII lower case of one byte. */
static unsigned char lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
}

/* Case-insensitive bounded substring test. */
bool view_contains(const char *hay, const char *needle, size_t max)
{
	if (!needle || !*needle)
		return true;
	if (!hay)
		return false;
	size_t nl = strlen(needle);
	unsigned char first = lower((unsigned char)needle[0]);
	for (size_t i = 0; i < max && hay[i]; i++) {
		if (lower((unsigned char)hay[i]) != first)
			continue;
		size_t k = 1;
		while (k < nl && i + k < max && hay[i + k] &&
		       lower((unsigned char)hay[i + k]) == lower((unsigned char)needle[k]))
			k++;
		if (k == nl)
			return true;
	}
	return false;
}

/* Draw a cost cell, right-aligned, billed and estimated kept apart. */
void view_draw_cost(Canvas *c, int x, int y, int w, double billed, double est, bool unpriced)
{
	char b[32] = "", e[32] = "";
	if (billed > 0.0)
		fmt_usd(b, sizeof b, billed, false);
	if (est > 0.0)
		fmt_usd(e, sizeof e, est, true);
	if (!b[0] && !e[0]) {
		if (unpriced) {
			const char *np = w >= 8 ? "no price" : "?";
			int n = (int)strlen(np);
			canvas_text(c, x + w - n, y, n, EL_NO_PRICE, np);
		} else {
			canvas_text(c, x + w - 1, y, 1, EL_DIM, "-");
		}
		return;
	}
	int bl = (int)strlen(b), el = (int)strlen(e), q = unpriced ? 1 : 0;
	int xe = x + w - q;
	if (b[0] && e[0] && bl + 1 + el + q <= w) {
		canvas_text(c, xe - el, y, el, EL_COST_ESTIMATED, e);
		canvas_text(c, xe - el - 1 - bl, y, bl, EL_COST_BILLED, b);
	} else if (b[0] && e[0]) {
		canvas_text(c, xe - 1, y, 1, EL_COST_ESTIMATED, "+");
		canvas_text(c, xe - 1 - bl, y, bl, EL_COST_BILLED, b);
	} else if (b[0]) {
		canvas_text(c, xe - bl, y, bl, EL_COST_BILLED, b);
	} else {
		canvas_text(c, xe - el, y, el, EL_COST_ESTIMATED, e);
	}
	if (q)
		canvas_text(c, x + w - 1, y, 1, EL_NO_PRICE, "?");
}
