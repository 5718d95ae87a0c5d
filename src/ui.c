/*
 * ui.c: the interactive dashboard, the edge that joins the loop (app), the
 * terminal (crt) and the pure pieces (model, views, frame, keymap, prompt).
 *
 * Owns: start-up (config, theme, prices, store, embedded demo), redraw
 * scheduling (dirty bits coalesced into at most ~30 frames/s by one lws_sul
 * timer; idle means one header refresh per second), key and mouse dispatch
 * through the action table, prompts and the confirm dialog, and turning
 * steering verbs into commands through app_command.
 *
 * Drawing happens in frame.c and view_*.c; this file only decides when.
 */
#include "swarmtop/ui.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "swarmtop/app.h"
#include "swarmtop/budget.h"
#include "swarmtop/builtin.h"
#include "swarmtop/canvas.h"
#include "swarmtop/config.h"
#include "swarmtop/crt.h"
#include "swarmtop/demo.h"
#include "swarmtop/frame.h"
#include "swarmtop/keymap.h"
#include "swarmtop/model.h"
#include "swarmtop/prompt.h"
#include "swarmtop/replay.h"
#include "swarmtop/store.h"
#include "swarmtop/taskgraph.h"
#include "swarmtop/theme.h"
#include "swarmtop/view.h"

#define UI_FRAME_MS   33 /* at most ~30 frames per second */
#define UI_STATUS_MAX 512
#define UI_MARKS_MAX  512 /* replay marks on the position bar (merged beyond) */

typedef enum PromptKind {
	PK_COMMAND, /* : */
	PK_FILTER,  /* / in lists */
	PK_SEARCH,  /* / in the log */
	PK_INJECT,  /* i */
	PK_REASON,  /* reason for a destructive verb */
	PK_COUNT
} PromptKind;

/* A verb waiting for a confirmation or a reason. */
typedef struct PendingVerb {
	CommandAction action;
	int rt;
	TargetKind kind;
	char target[EVENT_ID_MAX + 1];
	bool all_runtimes; /* :cancel all without a runtime selected */
} PendingVerb;

/* An agent or task held by identity, so that a selection survives the model moving its
 * rows to other indices (tables bounded, runtime purged, replay seeking to another model). */
typedef struct UiPick {
	int idx;   /* the index it was saved at, -1 none */
	int rt;
	char *id;
} UiPick;

typedef struct Ui {
	App *app;
	Model *m;
	Store *st;
	const CliOptions *o;
	Canvas *canvas;
	UiState s;
	Theme theme;
	Keymap km;
	Config cfg;
	PriceTable prices;
	AppTimer redraw;
	bool redraw_armed;
	int64_t last_paint_ms;
	bool prompting;
	PromptKind pk;
	Prompt prompt;
	char saved_filter[UI_FILTER_MAX];
	bool confirming;
	bool confirm_yes;
	char confirm_text[256];
	PendingVerb pending;
	char reason[256]; /* :reason TEXT, used by the next command */
	char status[UI_STATUS_MAX];
	int help_scroll;
	ViewId before_help;
	int agents_cursor; /* position in s.rows of the selected agent */
	BudgetState budgets[CONFIG_MAX_BUDGETS];
	/* replay mode */
	Replay *rp;        /* non-NULL: replaying a recorded session */
	Model *idle_model; /* the loop's own (empty) model while replaying */
	AppTimer play;     /* drives replay_advance */
	int64_t play_last_ms;
	char replay_line[160]; /* the header's replay status */
	double mark_pos[UI_MARKS_MAX];
	int mark_kind[UI_MARKS_MAX];
	char budget_line[UI_STATUS_MAX]; /* the countdown, shown over the status line */
	int exit_code;
	/* selection by identity (ui_keep_save / ui_keep_restore) */
	const Model *keep_model;
	unsigned keep_reindexed;
	UiPick keep_agent, keep_task, keep_graph;
	UiPick *keep_tags;
	size_t nkeep_tags;
} Ui;

/* ---- status line and redraw ---- */

/* Set the status line. */
static void ui_status(Ui *ui, bool error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void ui_redraw_now(App *a, void *ud);
static bool ui_tags_fit(Ui *ui);
static void ui_keep_save(Ui *ui, bool tags);
static void ui_keep_restore(Ui *ui);
static void ui_budgets(Ui *ui, int64_t now_ms);
static void ui_replay_sync(Ui *ui);
static void ui_replay_timer(App *a, void *ud);

/* Ask for a redraw soon (coalesced: at most one frame per UI_FRAME_MS). */
static void ui_dirty(Ui *ui)
{
	if (ui->redraw_armed)
		return;
	int64_t now = app_now_ms();
	int64_t wait = ui->last_paint_ms + UI_FRAME_MS - now;
	if (wait < 0)
		wait = 0;
	ui->redraw_armed = true;
	app_timer_start(ui->app, &ui->redraw, wait, ui_redraw_now, ui);
}

static void ui_status(Ui *ui, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	ui->s.status_msg = ui->status;
	ui->s.status_is_error = error;
	ui_dirty(ui);
}

/* Paint one frame now. */
static void ui_redraw_now(App *a, void *ud)
{
	Ui *ui = ud;
	int w, h;
	(void)a;

	ui->redraw_armed = false;
	crt_size(&w, &h);
	if (w != ui->canvas->w || h != ui->canvas->h)
		canvas_resize(ui->canvas, w, h);
	ui->s.now_ms = app_now_ms();
	if (ui->rp) {
		ui_replay_sync(ui);
		ui->s.now_ms = replay_pos_ms(ui->rp);
	}
	ui_keep_restore(ui);
	ui_budgets(ui, ui->s.now_ms);
	const char *status = ui->s.status_msg;
	bool status_err = ui->s.status_is_error;
	if (ui->budget_line[0]) {
		ui->s.status_msg = ui->budget_line;
		ui->s.status_is_error = true;
	}
	FrameInput in = {
	        .km = &ui->km,
	        .prompt = ui->prompting ? &ui->prompt : NULL,
	        .confirm = ui->confirming ? ui->confirm_text : NULL,
	        .confirm_yes = ui->confirm_yes,
	        .help_scroll = ui->help_scroll,
	};
	int col = frame_draw(ui->m, &ui->s, &in, ui->canvas);
	crt_paint(ui->canvas, col, col >= 0 ? ui->canvas->h - 2 : -1);
	ui->s.status_msg = status;
	ui->s.status_is_error = status_err;
	ui->last_paint_ms = app_now_ms();
	ui_keep_save(ui, false);
}

/* ---- selection by identity ---- */

/* Remember row idx (of agents when agent, else of tasks) by identity in p. */
static void pick_save(UiPick *p, const Model *m, int idx, bool agent)
{
	size_t n = agent ? m->nagents : m->ntasks;
	if (idx == p->idx && (idx < 0 || p->id != NULL))
		return;
	free(p->id);
	p->id = NULL;
	p->idx = idx >= 0 && (size_t)idx < n ? idx : -1;
	if (p->idx < 0)
		return;
	p->rt = agent ? m->agents[idx].runtime : m->tasks[idx].runtime;
	p->id = strdup(agent ? m->agents[idx].id : m->tasks[idx].id);
	if (p->id == NULL)
		p->idx = -1;
}

/* The index p now has in m, or -1. */
static int pick_find(const UiPick *p, const Model *m, bool agent)
{
	if (p->idx < 0 || p->id == NULL)
		return -1;
	return agent ? model_find_agent(m, p->rt, p->id) : model_find_task(m, p->rt, p->id);
}

/* Forget p. */
static void pick_free(UiPick *p)
{
	free(p->id);
	p->id = NULL;
	p->idx = -1;
}

/* Forget the remembered tags. */
static void ui_keep_tags_free(Ui *ui)
{
	for (size_t i = 0; i < ui->nkeep_tags; i++)
		free(ui->keep_tags[i].id);
	free(ui->keep_tags);
	ui->keep_tags = NULL;
	ui->nkeep_tags = 0;
}

/* Remember the selection and the graph's agent by identity (after the UI acted), and the
 * tags too when tags is true (only keys change them, so frames skip that walk). */
static void ui_keep_save(Ui *ui, bool tags)
{
	const Model *m = ui->m;
	ui->keep_model = m;
	ui->keep_reindexed = m->reindexed;
	pick_save(&ui->keep_agent, m, ui->s.sel_agent, true);
	pick_save(&ui->keep_task, m, ui->s.sel_task, false);
	pick_save(&ui->keep_graph, m, ui->s.graph_agent, true);
	if (!tags)
		return;
	ui_keep_tags_free(ui);
	size_t n = ui->s.tagged_agents ? ui->s.ntagged_cap : 0, k = 0;
	for (size_t a = 0; a < n && a < m->nagents; a++)
		k += ui->s.tagged_agents[a] != 0;
	if (k == 0 || (ui->keep_tags = calloc(k, sizeof(*ui->keep_tags))) == NULL)
		return;
	for (size_t a = 0; a < n && a < m->nagents; a++) {
		if (!ui->s.tagged_agents[a])
			continue;
		UiPick *p = &ui->keep_tags[ui->nkeep_tags++];
		p->idx = -1;
		pick_save(p, m, (int)a, true);
	}
}

/* If the model renumbered its rows (or is another model) since ui_keep_save, find the
 * selection, the graph's agent and the tags again by identity (before the UI acts). */
static void ui_keep_restore(Ui *ui)
{
	const Model *m = ui->m;
	if (ui->keep_model == NULL ||
	    (m == ui->keep_model && m->reindexed == ui->keep_reindexed))
		return;
	ui->s.sel_agent = pick_find(&ui->keep_agent, m, true);
	ui->s.sel_task = pick_find(&ui->keep_task, m, false);
	ui->s.graph_agent = pick_find(&ui->keep_graph, m, true);
	ui->keep_agent.idx = ui->keep_task.idx = ui->keep_graph.idx = -2; /* save anew */
	if (ui->s.tagged_agents)
		memset(ui->s.tagged_agents, 0, ui->s.ntagged_cap);
	if (ui->nkeep_tags > 0)
		ui_tags_fit(ui);
	for (size_t i = 0; i < ui->nkeep_tags; i++) {
		int a = pick_find(&ui->keep_tags[i], m, true);
		if (a >= 0 && ui->s.tagged_agents != NULL && (size_t)a < ui->s.ntagged_cap)
			ui->s.tagged_agents[a] = 1;
	}
	ui->keep_model = m;
	ui->keep_reindexed = m->reindexed;
}

/* Free what the identity keeping holds. */
static void ui_keep_free(Ui *ui)
{
	pick_free(&ui->keep_agent);
	pick_free(&ui->keep_task);
	pick_free(&ui->keep_graph);
	ui_keep_tags_free(ui);
}

/* ---- selection helpers ---- */

/* The scope keys are looked up in for the current view. */
static KeyScope ui_scope(const Ui *ui)
{
	if (ui->s.view == VIEW_GRAPH)
		return SCOPE_GRAPH;
	if (ui->s.view == VIEW_LOG)
		return SCOPE_LOG;
	return SCOPE_LIST;
}

/* The selected agent (index), or -1. */
static int ui_sel_agent(const Ui *ui)
{
	int a = ui->s.sel_agent;
	return a >= 0 && (size_t)a < ui->m->nagents ? a : -1;
}

/* The selected task (index), or -1. */
static int ui_sel_task(const Ui *ui)
{
	int t = ui->s.sel_task;
	return t >= 0 && (size_t)t < ui->m->ntasks ? t : -1;
}

/* Move the agents selection by delta rows of the last drawn list. */
static void ui_agents_move(Ui *ui, int delta)
{
	size_t n = view_agents_rows(ui->m, &ui->s);
	if (n == 0) {
		ui->s.sel_agent = -1;
		return;
	}
	int pos = 0;
	for (size_t i = 0; i < n; i++)
		if (ui->s.rows[i] == ui->s.sel_agent)
			pos = (int)i;
	pos += delta;
	if (pos < 0)
		pos = 0;
	if (pos >= (int)n)
		pos = (int)n - 1;
	ui->s.sel_agent = ui->s.rows[pos];
}

/* Move the graph selection up to |delta| steps in direction (dx, dy) between the nodes the
 * Graph view draws (rows of the list in list mode), stopping at the edge. */
static void ui_tasks_move(Ui *ui, int dx, int dy, int steps)
{
	for (int i = 0; i < steps; i++) {
		int t = view_graph_neighbour(ui->m, &ui->s, dx, dy);
		if (t < 0)
			break;
		ui->s.sel_task = t;
	}
}

/* Scroll a view's offset by delta, never below zero. */
static void ui_scroll(int *v, int delta)
{
	*v += delta;
	if (*v < 0)
		*v = 0;
}

/* Move the current view's selection or scroll position by delta. */
static void ui_move(Ui *ui, int delta)
{
	static const size_t offs[VIEW_COUNT] = {
	        [VIEW_TOKENS] = offsetof(UiState, tokens_scroll),
	        [VIEW_CORES] = offsetof(UiState, threads_scroll),
	        [VIEW_COMMANDS] = offsetof(UiState, commands_scroll),
	};
	switch (ui->s.view) {
	case VIEW_AGENTS:
		ui_agents_move(ui, delta);
		break;
	case VIEW_GRAPH:
		ui_tasks_move(ui, 0, delta > 0 ? 1 : -1, delta > 0 ? delta : -delta);
		break;
	case VIEW_LOG:
		/* The log scrolls up from the newest line. */
		ui_scroll(&ui->s.log_scroll, -delta);
		ui->s.log_follow = ui->s.log_scroll == 0;
		break;
	case VIEW_HELP:
		ui->help_scroll += delta;
		if (ui->help_scroll < 0)
			ui->help_scroll = 0;
		break;
	default:
		ui_scroll((int *)((char *)&ui->s + offs[ui->s.view]), delta);
		break;
	}
	ui_dirty(ui);
}

/* Rows in a page of the body. */
static int ui_page(const Ui *ui)
{
	int p = ui->canvas->h - frame_body_top() - 4;
	return p > 1 ? p : 1;
}

/* Move the selection or scroll position by n pages. */
static void ui_pages(Ui *ui, int n)
{
	ui_move(ui, n * ui_page(ui));
}

/* ---- steering ---- */

/* Why steering is impossible right now, or NULL. */
static const char *ui_no_steering(const Ui *ui)
{
	if (ui->s.replay)
		return "replay: steering is disabled (this is a recording)";
	if (ui->s.read_only)
		return "read-only: steering is disabled (--read-only or 'read-only yes' in the "
		       "config)";
	return NULL;
}

/* Send one command and report the outcome in the status line. */
static void ui_send(Ui *ui, int rt, CommandAction act, TargetKind kind, const char *target,
                    const char *text)
{
	char err[256];
	const char *reason = ui->reason[0] ? ui->reason : NULL;
	int ci = app_command(ui->app, rt, act, kind, target, text, reason, err, sizeof(err));
	const char *what = kind == TARGET_RUNTIME ? "runtime" : target;

	if (ci < 0)
		ui_status(ui, true, "%s %s: %s", command_action_names[act], what, err);
	else
		ui_status(ui, false, "%s %s: sent (%s), waiting for the runtime's ack",
		          command_action_names[act], what, ui->m->commands[ci].id);
	ui->reason[0] = '\0';
}

/* Carry out a pending verb (after confirmation and reason). */
static void ui_pending_send(Ui *ui)
{
	PendingVerb *p = &ui->pending;
	if (p->all_runtimes) {
		for (size_t r = 0; r < ui->m->nruntimes; r++)
			ui_send(ui, (int)r, p->action, TARGET_RUNTIME, "", NULL);
	} else if (p->kind == TARGET_AGENT && ui->s.tagged_agents != NULL &&
	           ui->s.view == VIEW_AGENTS) {
		bool any = false;
		for (size_t a = 0; a < ui->m->nagents && a < ui->s.ntagged_cap; a++) {
			if (!ui->s.tagged_agents[a])
				continue;
			any = true;
			ui_send(ui, ui->m->agents[a].runtime, p->action, TARGET_AGENT,
			        ui->m->agents[a].id, NULL);
		}
		if (!any)
			ui_send(ui, p->rt, p->action, p->kind, p->target, NULL);
	} else {
		ui_send(ui, p->rt, p->action, p->kind, p->target, NULL);
	}
}

/* Open a prompt of kind pk. */
static void ui_prompt(Ui *ui, PromptKind pk, const char *label, const char *initial)
{
	ui->prompting = true;
	ui->pk = pk;
	prompt_open(&ui->prompt, label, initial);
	ui_dirty(ui);
}

/* Ask to confirm the pending verb; the safe answer (No) is the default. */
static void ui_confirm(Ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ui_confirm(Ui *ui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->confirm_text, sizeof(ui->confirm_text), fmt, ap);
	va_end(ap);
	ui->confirming = true;
	ui->confirm_yes = false;
	ui_dirty(ui);
}

/* Number of tagged agents. */
static int ui_ntagged(const Ui *ui)
{
	int n = 0;
	for (size_t a = 0; a < ui->s.ntagged_cap && a < ui->m->nagents; a++)
		n += ui->s.tagged_agents[a] != 0;
	return n;
}

/* Fill the pending verb's target from the selection: a task in the graph, else an agent.
 * want_task: the verb needs a task (retry). Returns false with a status message if none. */
static bool ui_target(Ui *ui, CommandAction act, bool want_task)
{
	PendingVerb *p = &ui->pending;
	memset(p, 0, sizeof(*p));
	p->action = act;
	int t = ui_sel_task(ui), a = ui_sel_agent(ui);

	if (ui->s.view == VIEW_GRAPH && t >= 0) {
		const ModelTask *task = &ui->m->tasks[t];
		p->rt = task->runtime;
		p->kind = TARGET_TASK;
		snprintf(p->target, sizeof(p->target), "%s", task->id);
		return true;
	}
	if (a < 0) {
		ui_status(ui, true,
		          "%s: select an agent (Agents view) or a task (Graph view) first",
		          command_action_names[act]);
		return false;
	}
	const ModelAgent *ag = &ui->m->agents[a];
	if (want_task) {
		/* The agent's newest failed or canceled task. */
		int best = -1;
		for (size_t i = 0; i < ui->m->ntasks; i++) {
			const ModelTask *task = &ui->m->tasks[i];
			if (task->agent == a &&
			    (task->status == TASK_FAILED || task->status == TASK_CANCELED))
				best = (int)i;
		}
		if (best < 0) {
			ui_status(ui, true, "retry: agent %s has no failed or canceled task",
			          ag->id);
			return false;
		}
		p->rt = ui->m->tasks[best].runtime;
		p->kind = TARGET_TASK;
		snprintf(p->target, sizeof(p->target), "%s", ui->m->tasks[best].id);
		return true;
	}
	p->rt = ag->runtime;
	p->kind = TARGET_AGENT;
	snprintf(p->target, sizeof(p->target), "%s", ag->id);
	return true;
}

/* p: pause the selection, or resume it when it is paused. */
static void act_pause(Ui *ui)
{
	if (!ui_target(ui, ACTION_PAUSE, false))
		return;
	PendingVerb *p = &ui->pending;
	bool paused = false;
	if (p->kind == TARGET_TASK) {
		int t = model_find_task(ui->m, p->rt, p->target);
		paused = t >= 0 && ui->m->tasks[t].status == TASK_PAUSED;
	} else {
		int a = model_find_agent(ui->m, p->rt, p->target);
		paused = a >= 0 && ui->m->agents[a].status == AGENT_PAUSED;
	}
	p->action = paused ? ACTION_RESUME : ACTION_PAUSE;
	ui_pending_send(ui);
}

/* r: retry the failed or canceled task. */
static void act_retry(Ui *ui)
{
	if (!ui_target(ui, ACTION_RETRY, true))
		return;
	ui_pending_send(ui);
}

/* x: cancel, after a confirmation that defaults to No. */
static void act_cancel(Ui *ui)
{
	if (!ui_target(ui, ACTION_CANCEL, false))
		return;
	int n = ui->pending.kind == TARGET_AGENT && ui->s.view == VIEW_AGENTS ? ui_ntagged(ui) : 0;
	if (n > 0)
		ui_confirm(ui, "Cancel %d tagged agents?", n);
	else
		ui_confirm(ui, "Cancel %s '%s'?", target_kind_names[ui->pending.kind],
		           ui->pending.target);
}

/* i: inject an operator message into the selected agent (a task's agent in the graph). */
static void act_inject(Ui *ui)
{
	if (!ui_target(ui, ACTION_INJECT, false))
		return;
	PendingVerb *p = &ui->pending;
	if (p->kind == TARGET_TASK) {
		int t = model_find_task(ui->m, p->rt, p->target);
		const char *agent = t >= 0 ? ui->m->tasks[t].agent_id : NULL;
		if (agent == NULL) {
			ui_status(ui, true, "inject: task %s has no agent", p->target);
			return;
		}
		p->kind = TARGET_AGENT;
		snprintf(p->target, sizeof(p->target), "%s", agent);
	}
	char label[EVENT_ID_MAX + 32];
	snprintf(label, sizeof(label), "inject → %.60s> ", p->target);
	ui_prompt(ui, PK_INJECT, label, NULL);
}

/* ---- budgets ---- */

/* What a budget's automatic pause applies to, for messages. */
static void ui_budget_target(const Budget *b, char *buf, size_t cap)
{
	if (b->scope == BUDGET_AGENT)
		snprintf(buf, cap, "%s", b->target);
	else if (b->scope == BUDGET_RUNTIME)
		snprintf(buf, cap, "runtime %s", b->target);
	else
		snprintf(buf, cap, "every runtime");
}

/* Log one of the budgets' notices in the Log view (as swarmtop's own line). */
static void ui_budget_note(Ui *ui, LogLevel lv, const char *text)
{
	model_note(ui->m, ui->m->nruntimes ? 0 : -1, lv, text, app_now_ms());
}

/* The budget's pause: to its agent (in every runtime that has it), its runtime, or every
 * runtime, sent as who = "budget:NAME" with the spend as the reason. */
static void ui_budget_fire(Ui *ui, const BudgetState *bs)
{
	const Budget *b = bs->b;
	char who[80], reason[160], spent[64], err[256], target[160];
	int sent = 0, failed = 0;

	snprintf(who, sizeof(who), "budget:%s", b->name);
	budget_describe(bs, spent, sizeof(spent));
	snprintf(reason, sizeof(reason), "budget %s: %s", b->name, spent);
	ui_budget_target(b, target, sizeof(target));
	for (size_t r = 0; r < ui->m->nruntimes; r++) {
		const ModelRuntime *rt = &ui->m->runtimes[r];
		int ci;
		if (b->scope == BUDGET_AGENT) {
			int a = model_find_agent(ui->m, (int)r, b->target);
			if (a < 0 || ui->m->agents[a].status == AGENT_PAUSED)
				continue;
			ci = app_command_as(ui->app, (int)r, ACTION_PAUSE, TARGET_AGENT, b->target,
			                    NULL, reason, who, err, sizeof(err));
		} else {
			if (b->scope == BUDGET_RUNTIME &&
			    (rt->id == NULL || strcmp(rt->id, b->target) != 0))
				continue;
			ci = app_command_as(ui->app, (int)r, ACTION_PAUSE, TARGET_RUNTIME, "", NULL,
			                    reason, who, err, sizeof(err));
		}
		if (ci < 0)
			failed++;
		else
			sent++;
	}
	char msg[UI_STATUS_MAX];
	if (failed)
		snprintf(msg, sizeof(msg), "budget %s: %s; pausing %s failed: %s", b->name, spent,
		         target, err);
	else if (sent)
		snprintf(msg, sizeof(msg), "budget %s: %s; pause sent to %s", b->name, spent,
		         target);
	else
		snprintf(msg, sizeof(msg),
		         "budget %s: %s; nothing to pause (%s already paused or gone)", b->name,
		         spent, target);
	ui_budget_note(ui, failed ? LOG_ERROR : LOG_WARN, msg);
	ui_status(ui, failed != 0, "%s", msg);
}

/* Evaluate every budget at now_ms: warn at 80 %, alarm at 100 %, run the countdowns and
 * send a budget's pause when its countdown ends. Fills budget_line while one is running. */
static void ui_budgets(Ui *ui, int64_t now_ms)
{
	bool can_act = ui_no_steering(ui) == NULL;
	ui->budget_line[0] = '\0';
	for (size_t i = 0; i < ui->cfg.nbudgets; i++) {
		BudgetState *bs = &ui->budgets[i];
		const Budget *b = bs->b;
		BudgetLevel before = bs->level;
		char spent[64], target[160], msg[UI_STATUS_MAX];

		budget_eval(bs, ui->m, &ui->prices, now_ms);
		BudgetAct act = budget_step(bs, now_ms, can_act);
		budget_describe(bs, spent, sizeof(spent));
		ui_budget_target(b, target, sizeof(target));
		if (bs->level > before && bs->level >= BLEVEL_WARN) {
			snprintf(msg, sizeof(msg), "budget %s: %s (%s)%s", b->name, spent,
			         bs->level == BLEVEL_OVER ? "over" : "80% reached",
			         bs->level == BLEVEL_OVER && b->policy == BUDGET_PAUSE && !can_act
			                 ? "; not pausing: steering is disabled"
			                 : "");
			ui_budget_note(ui, bs->level == BLEVEL_OVER ? LOG_ERROR : LOG_WARN, msg);
			ui_status(ui, bs->level == BLEVEL_OVER, "%s", msg);
		}
		if (act == BACT_STARTED) {
			snprintf(msg, sizeof(msg),
			         "budget %s: %s; pausing %s in %ds unless canceled (b)", b->name,
			         spent, target, budget_seconds_left(bs, now_ms));
			ui_budget_note(ui, LOG_WARN, msg);
		} else if (act == BACT_FIRE) {
			ui_budget_fire(ui, bs);
		}
		if (bs->cd == BCD_RUNNING && ui->budget_line[0] == '\0') {
			snprintf(ui->budget_line, sizeof(ui->budget_line),
			         "budget %s: %s %s pausing %s in %ds, press b to cancel", b->name,
			         spent, ui->canvas && ui->canvas->ascii ? "-" : "\u2014", target,
			         budget_seconds_left(bs, now_ms));
		}
	}
	/* A running countdown needs a frame each second even when nothing else changes. */
	if (ui->budget_line[0] && !ui->redraw_armed) {
		ui->redraw_armed = true;
		app_timer_start(ui->app, &ui->redraw, 250, ui_redraw_now, ui);
	}
}

/* b: cancel every running budget countdown; nothing is sent. */
static void act_budget_cancel(Ui *ui)
{
	int n = 0;
	for (size_t i = 0; i < ui->cfg.nbudgets; i++) {
		if (!budget_cancel(&ui->budgets[i]))
			continue;
		char msg[UI_STATUS_MAX];
		snprintf(msg, sizeof(msg),
		         "budget %s: automatic pause canceled by the operator, "
		         "nothing sent",
		         ui->budgets[i].b->name);
		ui_budget_note(ui, LOG_INFO, msg);
		ui_status(ui, false, "%s", msg);
		n++;
	}
	if (n == 0)
		ui_status(ui, false, "no budget countdown is running");
	ui->budget_line[0] = '\0';
	ui_dirty(ui);
}

/* ---- the `:` commands ---- */

typedef struct UiCmd {
	const char *name;
	void (*fn)(Ui *ui, const char *arg);    /* NULL: the command shows view */
	const char *help;
	ViewId view;
} UiCmd;

/* Switch to the view named by the command. */
static void cmd_view(Ui *ui, ViewId v)
{
	if (v == VIEW_HELP && ui->s.view != VIEW_HELP)
		ui->before_help = ui->s.view;
	ui->s.view = v;
	ui_dirty(ui);
}

/* Switch to view v (a key action's argument). */
static void ui_show_view(Ui *ui, int v)
{
	cmd_view(ui, (ViewId)v);
}

/* :quit */
static void cmd_quit(Ui *ui, const char *arg)
{
	(void)arg;
	app_quit(ui->app, 0);
}

/* Load theme name (user dir first, then built in) into t. Returns 0 or -1 with err. */
static int ui_load_theme(Theme *t, const char *name, char *err, size_t cap);

/* :theme NAME */
static void cmd_theme(Ui *ui, const char *arg)
{
	char err[256];
	Theme t;
	if (ui->o->no_color) {
		ui_status(ui, true, "theme: colours are off (--no-color or NO_COLOR)");
		return;
	}
	if (ui_load_theme(&t, arg, err, sizeof(err)) < 0) {
		ui_status(ui, true, "%s", err);
		return;
	}
	ui->theme = t;
	crt_set_theme(&ui->theme);
	ui_status(ui, false, "theme %s", arg);
}

/* :reason TEXT (for the next command) */
static void cmd_reason(Ui *ui, const char *arg)
{
	snprintf(ui->reason, sizeof(ui->reason), "%s", arg);
	ui_status(ui, false, "reason for the next command: %s", arg[0] ? arg : "(none)");
}

/* :pause all / :resume all / :cancel all (runtime-wide; cancel asks first). */
static void ui_all(Ui *ui, CommandAction act, const char *arg)
{
	const char *why = ui_no_steering(ui);
	if (why) {
		ui_status(ui, true, "%s", why);
		return;
	}
	if (strcmp(arg, "all") != 0) {
		ui_status(ui, true,
		          ":%s all  (runtime-wide; select an agent and press a key for one)",
		          command_action_names[act]);
		return;
	}
	memset(&ui->pending, 0, sizeof(ui->pending));
	ui->pending.action = act;
	ui->pending.kind = TARGET_RUNTIME;
	ui->pending.rt = ui->s.runtime;
	ui->pending.all_runtimes = ui->s.runtime < 0;
	if (act == ACTION_CANCEL)
		ui_confirm(ui, "Cancel ALL work on %s?",
		           ui->s.runtime < 0 ? "every runtime" : "the selected runtime");
	else
		ui_pending_send(ui);
}

static void cmd_pause(Ui *ui, const char *arg)
{
	ui_all(ui, ACTION_PAUSE, arg);
}
static void cmd_resume(Ui *ui, const char *arg)
{
	ui_all(ui, ACTION_RESUME, arg);
}
static void cmd_cancel(Ui *ui, const char *arg)
{
	ui_all(ui, ACTION_CANCEL, arg);
}

/* :filter TEXT */
static void cmd_filter(Ui *ui, const char *arg)
{
	snprintf(ui->s.filter, sizeof(ui->s.filter), "%s", arg);
	ui_dirty(ui);
}

static const UiCmd ui_cmds[] = {
        {.name = "agents", .view = VIEW_AGENTS, .help = "the Agents view"},
        {.name = "graph", .view = VIEW_GRAPH, .help = "the Graph view"},
        {.name = "tokens", .view = VIEW_TOKENS, .help = "the Tokens view"},
        {.name = "cores", .view = VIEW_CORES, .help = "the Cores view"},
        {.name = "log", .view = VIEW_LOG, .help = "the Log view"},
        {.name = "commands", .view = VIEW_COMMANDS, .help = "the audit trail of commands"},
        {.name = "help", .view = VIEW_HELP, .help = "keys and commands"},
        {.name = "theme", .fn = cmd_theme, .help = "switch theme: :theme NAME"},
        {.name = "reason", .fn = cmd_reason, .help = "reason for the next command: :reason TEXT"},
        {.name = "pause", .fn = cmd_pause, .help = ":pause all"},
        {.name = "resume", .fn = cmd_resume, .help = ":resume all"},
        {.name = "cancel", .fn = cmd_cancel, .help = ":cancel all (asks first)"},
        {.name = "filter", .fn = cmd_filter, .help = "filter rows: :filter TEXT"},
        {.name = "quit", .fn = cmd_quit, .help = "quit"},
        {.name = "q", .fn = cmd_quit, .help = "quit"},
};

/* Run a `:` command line. */
static void ui_run_cmd(Ui *ui, char *line)
{
	while (*line == ' ')
		line++;
	char *arg = line + strcspn(line, " ");
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ')
		arg++;
	if (*line == '\0')
		return;
	for (size_t i = 0; i < sizeof(ui_cmds) / sizeof(ui_cmds[0]); i++) {
		if (strcmp(ui_cmds[i].name, line) == 0) {
			if (ui_cmds[i].fn == NULL)
				cmd_view(ui, ui_cmds[i].view);
			else
				ui_cmds[i].fn(ui, arg);
			return;
		}
	}
	ui_status(ui, true, "unknown command ':%s' (try :help)", line);
}

/* Tab in the `:` prompt: complete a unique command name. */
static void ui_complete(Ui *ui)
{
	Prompt *p = &ui->prompt;
	const char *match = NULL;
	int n = 0;
	if (strchr(p->buf, ' '))
		return;
	for (size_t i = 0; i < sizeof(ui_cmds) / sizeof(ui_cmds[0]); i++) {
		if (strncmp(ui_cmds[i].name, p->buf, p->len) == 0) {
			match = ui_cmds[i].name;
			n++;
		}
	}
	if (n == 1) {
		prompt_open(p, p->label, match);
	} else if (n > 1) {
		char list[256] = "";
		for (size_t i = 0; i < sizeof(ui_cmds) / sizeof(ui_cmds[0]); i++) {
			if (strncmp(ui_cmds[i].name, p->buf, p->len) == 0) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, " :%s", ui_cmds[i].name);
			}
		}
		ui_status(ui, false, "%s", list);
	}
}

/* A prompt finished with Enter. */
static void ui_prompt_done(Ui *ui)
{
	ui->prompting = false;
	char *text = ui->prompt.buf;
	switch (ui->pk) {
	case PK_COMMAND:
		ui_run_cmd(ui, text);
		break;
	case PK_FILTER:
		snprintf(ui->s.filter, sizeof(ui->s.filter), "%s", text);
		break;
	case PK_SEARCH:
		snprintf(ui->s.log_search, sizeof(ui->s.log_search), "%s", text);
		break;
	case PK_INJECT:
		if (text[0] == '\0') {
			ui_status(ui, true, "inject: empty message, nothing sent");
			break;
		}
		ui_send(ui, ui->pending.rt, ACTION_INJECT, TARGET_AGENT, ui->pending.target, text);
		break;
	case PK_REASON:
		snprintf(ui->reason, sizeof(ui->reason), "%s", text);
		ui_pending_send(ui);
		break;
	default:
		break;
	}
	ui_dirty(ui);
}

/* A key while a prompt is open. */
static void ui_prompt_key(Ui *ui, int key)
{
	if (key == KEYC_TAB && ui->pk == PK_COMMAND) {
		ui_complete(ui);
		ui_dirty(ui);
		return;
	}
	PromptResult r = prompt_key(&ui->prompt, key);
	if (r == PROMPT_DONE) {
		ui_prompt_done(ui);
	} else if (r == PROMPT_CANCELED) {
		ui->prompting = false;
		if (ui->pk == PK_FILTER)
			snprintf(ui->s.filter, sizeof(ui->s.filter), "%s", ui->saved_filter);
		if (ui->pk == PK_REASON || ui->pk == PK_INJECT)
			ui_status(ui, false, "%s: canceled, nothing sent",
			          command_action_names[ui->pending.action]);
	} else if (ui->pk == PK_FILTER) {
		/* Filter as you type. */
		snprintf(ui->s.filter, sizeof(ui->s.filter), "%s", ui->prompt.buf);
	}
	ui_dirty(ui);
}

/* A key while the confirm dialog is open. */
static void ui_confirm_key(Ui *ui, int key)
{
	bool answer = false, done = false;
	if (key == 'y' || key == 'Y') {
		answer = done = true;
	} else if (key == 'n' || key == 'N' || key == KEYC_ESC || key == 'q') {
		done = true;
	} else if (key == KEYC_TAB || key == KEYC_LEFT || key == KEYC_RIGHT || key == 'h' ||
	           key == 'l') {
		ui->confirm_yes = !ui->confirm_yes;
	} else if (key == KEYC_ENTER || key == '\n') {
		answer = ui->confirm_yes;
		done = true;
	}
	if (done) {
		ui->confirming = false;
		if (!answer)
			ui_status(ui, false, "%s: not confirmed, nothing sent",
			          command_action_names[ui->pending.action]);
		else if (ui->cfg.reason_prompt && ui->reason[0] == '\0')
			ui_prompt(ui, PK_REASON, "reason (Enter to skip)> ", NULL);
		else
			ui_pending_send(ui);
	}
	ui_dirty(ui);
}

/* ---- actions ---- */

static void act_quit(Ui *ui)
{
	app_quit(ui->app, 0);
}
/* Left/right: the neighbouring layer in the graph, else the same as up/down. */
static void ui_side(Ui *ui, int dx)
{
	if (ui->s.view == VIEW_GRAPH) {
		ui_tasks_move(ui, dx, 0, 1);
		ui_dirty(ui);
	} else {
		ui_move(ui, dx);
	}
}

/* Tab / Shift-Tab: cycle through the views (not help). */
static void ui_cycle(Ui *ui, int d)
{
	int v = ui->s.view == VIEW_HELP ? (int)ui->before_help : (int)ui->s.view;
	v = (v + d + VIEW_HELP) % VIEW_HELP;
	cmd_view(ui, (ViewId)v);
}

/* Enter: drill into the selection (agent -> its task graph). */
static void act_enter(Ui *ui)
{
	if (ui->s.view == VIEW_AGENTS && ui_sel_agent(ui) >= 0) {
		const ModelAgent *a = &ui->m->agents[ui->s.sel_agent];
		ui->s.graph_agent = ui->s.sel_agent;
		ui->s.runtime = a->runtime;
		ui->s.sel_task = a->current_task;
		cmd_view(ui, VIEW_GRAPH);
	}
}

/* Esc: close help, clear the filter or the agent restriction. */
static void act_back(Ui *ui)
{
	if (ui->s.view == VIEW_HELP)
		ui->s.view = ui->before_help;
	else if (ui->s.view == VIEW_GRAPH && ui->s.graph_agent >= 0)
		ui->s.graph_agent = -1;
	else if (ui->s.filter[0] || ui->s.log_search[0])
		ui->s.filter[0] = ui->s.log_search[0] = '\0';
	ui->s.status_msg = NULL;
	ui_dirty(ui);
}

/* /: filter (lists) or search (log). */
static void act_filter(Ui *ui)
{
	if (ui->s.view == VIEW_LOG) {
		ui_prompt(ui, PK_SEARCH, "search/ ", ui->s.log_search);
	} else {
		snprintf(ui->saved_filter, sizeof(ui->saved_filter), "%s", ui->s.filter);
		ui_prompt(ui, PK_FILTER, "filter/ (! inverts) ", ui->s.filter);
	}
}

static void act_prompt(Ui *ui)
{
	ui_prompt(ui, PK_COMMAND, ":", NULL);
}

/* < and >: sort by the previous/next column. */
static void ui_sort(Ui *ui, int d)
{
	ui->s.sort_col = (AgentColumn)(((int)ui->s.sort_col + d + ACOL_COUNT) % ACOL_COUNT);
	ui_status(ui, false, "sort by column %d%s", (int)ui->s.sort_col + 1,
	          ui->s.sort_desc ? " (descending)" : "");
}

/* I: reverse the sort. */
static void act_sort_reverse(Ui *ui)
{
	ui->s.sort_desc = !ui->s.sort_desc;
	ui_dirty(ui);
}

/* Make sure the tag array covers every agent. */
static bool ui_tags_fit(Ui *ui)
{
	if (ui->s.ntagged_cap >= ui->m->nagents)
		return true;
	size_t cap = ui->m->nagents + 64;
	unsigned char *t = realloc(ui->s.tagged_agents, cap);
	if (t == NULL)
		return false;
	memset(t + ui->s.ntagged_cap, 0, cap - ui->s.ntagged_cap);
	ui->s.tagged_agents = t;
	ui->s.ntagged_cap = cap;
	return true;
}

/* Space: tag the selected agent and move down (htop). */
static void act_tag(Ui *ui)
{
	int a = ui_sel_agent(ui);
	if (ui->s.view != VIEW_AGENTS || a < 0 || !ui_tags_fit(ui))
		return;
	ui->s.tagged_agents[a] = !ui->s.tagged_agents[a];
	ui_move(ui, 1);
}

/* U: untag everything. */
static void act_untag_all(Ui *ui)
{
	if (ui->s.tagged_agents)
		memset(ui->s.tagged_agents, 0, ui->s.ntagged_cap);
	ui_dirty(ui);
}

/* w: select the next runtime (then "all"). */
static void act_next_runtime(Ui *ui)
{
	int n = (int)ui->m->nruntimes;
	ui->s.runtime = ui->s.runtime + 1 >= n ? -1 : ui->s.runtime + 1;
	if (ui->s.runtime < 0)
		ui_status(ui, false, "all runtimes");
	else
		ui_status(ui, false, "runtime %s",
		          ui->m->runtimes[ui->s.runtime].id ? ui->m->runtimes[ui->s.runtime].id
		                                            : ui->m->runtimes[ui->s.runtime].url);
}

/* Pan the graph by dx columns. */
static void ui_pan_x(Ui *ui, int dx)
{
	ui->s.pan_x += dx;
	ui_dirty(ui);
}

/* Pan the graph by dy rows. */
static void ui_pan_y(Ui *ui, int dy)
{
	ui->s.pan_y += dy;
	ui_dirty(ui);
}

/* The statuses n/N jump between in the graph: what needs a look or is running. */
#define UI_HOT_MASK ((1u << TASK_FAILED) | (1u << TASK_WORKING) | (1u << TASK_INPUT_REQUIRED))

/* n/N: next/previous failed or working task in the graph (layout order, wrapping); in the
 * log, the next older/newer line matching the search. */
static void ui_hot(Ui *ui, int d)
{
	if (ui->s.view == VIEW_LOG) {
		int k = view_log_find(ui->m, &ui->s, d);
		if (!ui->s.log_search[0])
			ui_status(ui, false, "no search: press / first");
		else if (k < 0)
			ui_status(ui, false, "no %s line matches '%s'", d > 0 ? "earlier" : "later",
			          ui->s.log_search);
		else {
			ui->s.log_scroll = k;
			ui->s.log_follow = k == 0;
		}
		ui_dirty(ui);
		return;
	}
	if (ui->s.view != VIEW_GRAPH)
		return;
	int t = view_graph_find(ui->m, &ui->s, d, UI_HOT_MASK);
	if (t < 0)
		ui_status(ui, false, "no failed or working task in this graph");
	else
		ui->s.sel_task = t;
	ui_dirty(ui);
}

/* c: collapse finished subtrees. */
static void act_collapse(Ui *ui)
{
	ui->s.collapse_done = !ui->s.collapse_done;
	ui_status(ui, false, "finished subtrees %s",
	          ui->s.collapse_done ? "collapsed" : "expanded");
}

/* t: graph as a tree list. */
static void act_list_mode(Ui *ui)
{
	ui->s.graph_list = !ui->s.graph_list;
	ui_dirty(ui);
}

/* f: follow the newest log lines. */
static void act_follow(Ui *ui)
{
	ui->s.log_follow = true;
	ui->s.log_scroll = 0;
	ui_dirty(ui);
}

/* v: cycle the minimum log level. */
static void act_level(Ui *ui)
{
	ui->s.log_min_level = (ui->s.log_min_level + 1) % LOG_LEVEL_COUNT;
	ui_status(ui, false, "log level ≥ %s", log_level_names[ui->s.log_min_level]);
}

/* m: tokens by agent or by model. */
static void act_by_model(Ui *ui)
{
	ui->s.tokens_by_model = !ui->s.tokens_by_model;
	ui_dirty(ui);
}

/* C-l: repaint everything. */
static void act_redraw(Ui *ui)
{
	crt_force_repaint();
	ui_dirty(ui);
}

/* ---- replay ---- */

_Static_assert((int)UI_MARK_COUNT == (int)MARK_KIND_COUNT, "UiMarkKind follows ReplayMark");

/* After any replay_* call: the model pointer (a seek replaces it), the header's status and
 * position. */
static void ui_replay_sync(Ui *ui)
{
	ui->m = replay_model(ui->rp);
	ui->s.replay_status = replay_status(ui->rp, ui->replay_line, sizeof(ui->replay_line),
	                                    ui->canvas ? ui->canvas->ascii : false);
	ui->s.replay_pos = replay_frac(ui->rp);
	ui->s.nmarks = replay_marks(ui->rp, ui->mark_pos, ui->mark_kind, UI_MARKS_MAX);
	ui->s.mark_pos = ui->mark_pos;
	ui->s.mark_kind = ui->mark_kind;
	const char *e = replay_error(ui->rp);
	if (e[0] && (ui->s.status_msg != ui->status || strncmp(ui->status, "replay: ", 8) != 0)) {
		snprintf(ui->status, sizeof(ui->status), "replay: %s", e);
		ui->s.status_msg = ui->status;
		ui->s.status_is_error = true;
	}
}

/* The playback clock: hand replay_advance the wall time since the last call; every frame
 * while playing or seeking, a few times a second while the indexer runs, else once a second. */
static void ui_replay_timer(App *a, void *ud)
{
	Ui *ui = ud;
	ReplayStats st;
	int64_t now = app_now_ms();
	int64_t dt = ui->play_last_ms ? now - ui->play_last_ms : 0;

	ui->play_last_ms = now;
	unsigned dirty = replay_advance(ui->rp, dt);
	replay_stats(ui->rp, &st);
	bool busy = replay_playing(ui->rp) || replay_seeking(ui->rp);
	if (dirty || busy || !st.done)
		ui_dirty(ui);
	app_timer_start(a, &ui->play,
	                busy      ? UI_FRAME_MS
	                : st.done ? 1000
	                          : 250,
	                ui_replay_timer, ui);
}

/* Run a replay control and redraw (keys of SCOPE_REPLAY). */
static void ui_replay_after(Ui *ui)
{
	ui->play_last_ms = app_now_ms();
	ui_replay_sync(ui);
	ui_dirty(ui);
	/* A seek waiting for the indexer, or playing: keep the clock fast. */
	app_timer_start(ui->app, &ui->play, UI_FRAME_MS, ui_replay_timer, ui);
}

/* Space: play or pause. */
static void act_replay_play(Ui *ui)
{
	replay_play(ui->rp, !replay_playing(ui->rp));
	ui_replay_after(ui);
}

/* < and >: one speed notch slower or faster. */
static void ui_replay_speed(Ui *ui, int dir)
{
	replay_speed_step(ui->rp, dir);
	ui_replay_after(ui);
}

/* Seek by ms from the current position. */
static void ui_replay_seek_by(Ui *ui, int ms)
{
	if (replay_seek_by(ui->rp, ms) < 0)
		ui_status(ui, true, "replay: %s", replay_error(ui->rp));
	ui_replay_after(ui);
}

/* Seek to an absolute position (recorded epoch ms). */
static void ui_replay_seek(Ui *ui, int64_t pos)
{
	if (replay_seek(ui->rp, pos) < 0)
		ui_status(ui, true, "replay: %s", replay_error(ui->rp));
	ui_replay_after(ui);
}

/* ] and [: the next or previous failure, gap or command. */
static void ui_replay_mark(Ui *ui, int dir)
{
	int64_t at = replay_next_mark(ui->rp, dir);
	if (at < 0)
		ui_status(ui, false, "replay: no %s failure, gap or command",
		          dir > 0 ? "later" : "earlier");
	else
		ui_status(ui, false, "replay: jumped to the %s mark",
		          dir > 0 ? "next" : "previous");
	ui_replay_after(ui);
}

static void act_replay_start(Ui *ui)
{
	ui_replay_seek(ui, replay_start_ms(ui->rp));
}
static void act_replay_end(Ui *ui)
{
	ui_replay_seek(ui, replay_end_ms(ui->rp));
}
/*
 * What each key action does: fn, or step called with arg (a direction, a distance, a view).
 * Steering verbs are refused, with the reason, while steering is impossible.
 */
typedef struct UiAction {
	void (*fn)(Ui *ui);
	void (*step)(Ui *ui, int arg);
	int arg;
	bool steer;
} UiAction;

static const UiAction ui_actions[ACT_COUNT] = {
        [ACT_QUIT] = {.fn = act_quit},
        [ACT_HELP] = {.step = ui_show_view, .arg = VIEW_HELP},
        [ACT_VIEW_AGENTS] = {.step = ui_show_view, .arg = VIEW_AGENTS},
        [ACT_VIEW_GRAPH] = {.step = ui_show_view, .arg = VIEW_GRAPH},
        [ACT_VIEW_TOKENS] = {.step = ui_show_view, .arg = VIEW_TOKENS},
        [ACT_VIEW_CORES] = {.step = ui_show_view, .arg = VIEW_CORES},
        [ACT_VIEW_LOG] = {.step = ui_show_view, .arg = VIEW_LOG},
        [ACT_VIEW_COMMANDS] = {.step = ui_show_view, .arg = VIEW_COMMANDS},
        [ACT_NEXT_VIEW] = {.step = ui_cycle, .arg = 1},
        [ACT_PREV_VIEW] = {.step = ui_cycle, .arg = -1},
        [ACT_UP] = {.step = ui_move, .arg = -1},
        [ACT_DOWN] = {.step = ui_move, .arg = 1},
        [ACT_LEFT] = {.step = ui_side, .arg = -1},
        [ACT_RIGHT] = {.step = ui_side, .arg = 1},
        [ACT_PAGE_UP] = {.step = ui_pages, .arg = -1},
        [ACT_PAGE_DOWN] = {.step = ui_pages, .arg = 1},
        [ACT_TOP] = {.step = ui_move, .arg = -1000000},
        [ACT_BOTTOM] = {.step = ui_move, .arg = 1000000},
        [ACT_ENTER] = {.fn = act_enter},
        [ACT_BACK] = {.fn = act_back},
        [ACT_FILTER] = {.fn = act_filter},
        [ACT_PROMPT] = {.fn = act_prompt},
        [ACT_SORT_NEXT] = {.step = ui_sort, .arg = 1},
        [ACT_SORT_PREV] = {.step = ui_sort, .arg = -1},
        [ACT_SORT_REVERSE] = {.fn = act_sort_reverse},
        [ACT_TAG] = {.fn = act_tag},
        [ACT_UNTAG_ALL] = {.fn = act_untag_all},
        [ACT_PAUSE] = {.fn = act_pause, .steer = true},
        [ACT_RETRY] = {.fn = act_retry, .steer = true},
        [ACT_CANCEL] = {.fn = act_cancel, .steer = true},
        [ACT_INJECT] = {.fn = act_inject, .steer = true},
        [ACT_NEXT_RUNTIME] = {.fn = act_next_runtime},
        [ACT_PAN_LEFT] = {.step = ui_pan_x, .arg = -8},
        [ACT_PAN_RIGHT] = {.step = ui_pan_x, .arg = 8},
        [ACT_PAN_UP] = {.step = ui_pan_y, .arg = -4},
        [ACT_PAN_DOWN] = {.step = ui_pan_y, .arg = 4},
        [ACT_NEXT_HOT] = {.step = ui_hot, .arg = 1},
        [ACT_PREV_HOT] = {.step = ui_hot, .arg = -1},
        [ACT_COLLAPSE] = {.fn = act_collapse},
        [ACT_LIST_MODE] = {.fn = act_list_mode},
        [ACT_FOLLOW] = {.fn = act_follow},
        [ACT_LEVEL] = {.fn = act_level},
        [ACT_BY_MODEL] = {.fn = act_by_model},
        [ACT_REDRAW] = {.fn = act_redraw},
        [ACT_BUDGET_CANCEL] = {.fn = act_budget_cancel},
        [ACT_REPLAY_PLAY] = {.fn = act_replay_play},
        [ACT_REPLAY_SLOWER] = {.step = ui_replay_speed, .arg = -1},
        [ACT_REPLAY_FASTER] = {.step = ui_replay_speed, .arg = 1},
        [ACT_REPLAY_BACK] = {.step = ui_replay_seek_by, .arg = -10000},
        [ACT_REPLAY_FWD] = {.step = ui_replay_seek_by, .arg = 10000},
        [ACT_REPLAY_BACK_MIN] = {.step = ui_replay_seek_by, .arg = -60000},
        [ACT_REPLAY_FWD_MIN] = {.step = ui_replay_seek_by, .arg = 60000},
        [ACT_REPLAY_START] = {.fn = act_replay_start},
        [ACT_REPLAY_END] = {.fn = act_replay_end},
        [ACT_REPLAY_NEXT_MARK] = {.step = ui_replay_mark, .arg = 1},
        [ACT_REPLAY_PREV_MARK] = {.step = ui_replay_mark, .arg = -1},
};

/* Run key action a (ACT_NONE does nothing). */
static void ui_act(Ui *ui, Action a)
{
	const UiAction *ua = &ui_actions[a];
	const char *why = ua->steer ? ui_no_steering(ui) : NULL;
	if (why)
		ui_status(ui, true, "%s", why);
	else if (ua->step)
		ua->step(ui, ua->arg);
	else if (ua->fn)
		ua->fn(ui);
}

/* A mouse event: tabs switch views, clicks select rows, the wheel scrolls. */
static void ui_mouse(Ui *ui, const CrtMouse *ms)
{
	int top = frame_body_top();
	if (ms->button == 4 || ms->button == 5) {
		ui_move(ui, ms->button == 4 ? -3 : 3);
		return;
	}
	if (ms->y == top - 1) {
		/* The tab bar: " 1 Agents " cells are laid out in order; find by x. */
		static const int widths[] = {10, 9, 10, 9, 7, 12};
		int x = 0;
		for (int v = 0; v < VIEW_HELP; v++) {
			if (ms->x >= x && ms->x < x + widths[v]) {
				cmd_view(ui, (ViewId)v);
				return;
			}
			x += widths[v] + 1;
		}
		return;
	}
	if (ui->s.view == VIEW_GRAPH && ms->button == 1) {
		int t = view_graph_task_at(ui->m, &ui->s, ms->x, ms->y);
		if (t >= 0) {
			ui->s.sel_task = t;
			ui_dirty(ui);
		}
		return;
	}
	if (ui->s.view == VIEW_AGENTS && ms->y > top) {
		size_t n = view_agents_rows(ui->m, &ui->s);
		int row = ms->y - top - 1 + ui->s.agents_scroll;
		if (row >= 0 && (size_t)row < n) {
			ui->s.sel_agent = ui->s.rows[row];
			ui_dirty(ui);
		}
	}
}

/* One key in normal mode. */
static void ui_key_act(Ui *ui, int key, const CrtMouse *ms)
{
	if (key == KEYC_RESIZE) {
		ui_dirty(ui);
		return;
	}
	if (key == KEYC_MOUSE) {
		ui_mouse(ui, ms);
		return;
	}
	if (ui->confirming) {
		ui_confirm_key(ui, key);
		return;
	}
	if (ui->prompting) {
		ui_prompt_key(ui, key);
		return;
	}
	if (key == KEY_CTRL('c')) {
		app_quit(ui->app, 0);
		return;
	}
	Action a = ACT_NONE;
	if (ui->s.replay)
		a = keymap_lookup(&ui->km, SCOPE_REPLAY, key);
	if (a == ACT_NONE || action_table[a].scope != SCOPE_REPLAY)
		a = keymap_lookup(&ui->km, ui_scope(ui), key);
	ui_act(ui, a);
}

/* Handle one key with the selection found again by identity first and remembered after
 * (found again once more in between when the key itself swapped the model: a replay seek). */
static void ui_key(Ui *ui, int key, const CrtMouse *ms)
{
	ui_keep_restore(ui);
	ui_key_act(ui, key, ms);
	ui_keep_restore(ui);
	ui_keep_save(ui, true);
}

/* ---- hooks from the loop ---- */

/* stdin is readable: handle every pending key. */
static void ui_on_input(void *ud)
{
	Ui *ui = ud;
	CrtMouse ms = {0};
	int key;
	while ((key = crt_key(&ms)) != -1)
		ui_key(ui, key, &ms);
}

/* Something changed in the model. */
static void ui_on_event(void *ud, int rt, const Event *ev, const char *raw, size_t len, bool dup,
                        unsigned dirty)
{
	Ui *ui = ud;
	(void)rt, (void)ev, (void)raw, (void)len, (void)dup;
	if (dirty)
		ui_dirty(ui);
}

/* A connection changed state. */
static void ui_on_conn(void *ud, int rt, ConnState st, const char *reason)
{
	Ui *ui = ud;
	(void)rt, (void)st, (void)reason;
	ui_dirty(ui);
}

/* A command changed state: say so in the status line. */
static void ui_on_command(void *ud, int ci)
{
	Ui *ui = ud;
	const ModelCommand *c = &ui->m->commands[ci];
	bool bad =
	        c->state == CMD_REJECTED || c->state == CMD_UNANSWERED || c->state == CMD_REFUSED;
	ui_status(ui, bad, "%s %s: %s%s%s", command_action_names[c->action],
	          c->target_kind == TARGET_RUNTIME ? "runtime" : c->target,
	          cmd_state_names[c->state], c->error ? ": " : "", c->error ? c->error : "");
}

/* Once a second: the clock, stuck agents, rates, and whether the store still persists. */
static void ui_on_tick(void *ud, int64_t now_ms)
{
	Ui *ui = ud;
	(void)now_ms;
	/* A store that stopped persisting (disk full, locked, read-only) keeps saying so. */
	const char *e = ui->st ? store_error(ui->st) : "";
	if (e[0] && !(ui->s.status_is_error && strstr(ui->status, "not recording") != NULL))
		ui_status(ui, true, "not recording: %s", e);
	ui_dirty(ui);
}

/* ---- start-up ---- */

/* Read a whole file (at most 1 MiB) into a malloc'd buffer. NULL with errno set. */
static char *ui_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(1 << 20);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* $XDG_CONFIG_HOME/swarmtop/<name> (or ~/.config/...). */
static void ui_config_path(char *buf, size_t cap, const char *name)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (x && *x)
		snprintf(buf, cap, "%s/swarmtop/%s", x, name);
	else
		snprintf(buf, cap, "%s/.config/swarmtop/%s", home ? home : ".", name);
}

typedef struct ErrCtx {
	const char *file;
	int count;
} ErrCtx;

/* Print one config/theme error as "file:line: message" before the screen starts. */
static void ui_file_err(int line, const char *msg, void *ctx)
{
	ErrCtx *e = ctx;
	e->count++;
	fprintf(stderr, "swarmtop: %s:%d: %s\n", e->file, line, msg);
}

static int ui_load_theme(Theme *t, const char *name, char *err, size_t cap)
{
	char path[4096];
	size_t len = 0;
	const char *text;
	char *file = NULL;

	snprintf(path, sizeof(path), "themes/%s.theme", name);
	ui_config_path(path, sizeof(path), path);
	file = ui_slurp(path, &len);
	text = file ? file : builtin_theme(name);
	if (text == NULL) {
		char names[256] = "";
		for (size_t i = 0; i < builtin_themes_count; i++) {
			size_t l = strlen(names);
			snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "",
			         builtin_themes[i].name);
		}
		snprintf(err, cap, "unknown theme '%s' (built in: %s)", name, names);
		return -1;
	}
	theme_default(t);
	snprintf(t->name, sizeof(t->name), "%s", name);
	ErrCtx e = {file ? path : name, 0};
	theme_parse(t, text, file ? len : strlen(text), ui_file_err, &e);
	free(file);
	return 0;
}

/* Load the config file, prices and theme. Returns 0, or 2 for a usage error. */
static int ui_load_settings(Ui *ui)
{
	char path[4096];
	size_t len = 0;
	const CliOptions *o = ui->o;

	config_init(&ui->cfg);
	keymap_default(&ui->km);
	prices_init(&ui->prices);
	ErrCtx pe = {"built-in prices", 0};
	prices_parse(&ui->prices, builtin_prices, strlen(builtin_prices), ui_file_err, &pe);
	if (o->config)
		snprintf(path, sizeof(path), "%s", o->config);
	else
		ui_config_path(path, sizeof(path), "config");
	char *text = ui_slurp(path, &len);
	if (text == NULL && o->config) {
		fprintf(stderr, "swarmtop: cannot read config %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (text) {
		ErrCtx e = {path, 0};
		config_parse(&ui->cfg, &ui->km, &ui->prices, text, len, ui_file_err, &e);
		free(text);
		if (e.count)
			snprintf(ui->status, sizeof(ui->status),
			         "%d bad line%s in %s (the rest loaded; details on stderr)",
			         e.count, e.count > 1 ? "s" : "", path);
	}
	char err[256];
	const char *theme = o->theme ? o->theme : ui->cfg.theme;
	if (o->no_color) {
		theme_mono(&ui->theme);
	} else if (ui_load_theme(&ui->theme, theme, err, sizeof(err)) < 0) {
		fprintf(stderr, "swarmtop: %s\n", err);
		return 2;
	}
	return 0;
}

/* Start the embedded demo; fills url. Returns the Demo or NULL with a message printed. */
static Demo *ui_start_demo(char *url, size_t cap)
{
	DemoOptions d;
	char err[256];
	int port = 0;
	demo_options_init(&d);
	d.port = 0;
	d.quiet = true;
	/* The embedding program owns lws logging: nothing on the screen's stderr (app_new
	 * applies SWARMTOP_LWS_DEBUG later). */
	lws_set_log_level(0, NULL);
	Demo *demo = demo_start(&d, &port, err, sizeof(err));
	if (demo == NULL) {
		fprintf(stderr, "swarmtop: cannot start the demo runtime: %s\n", err);
		return NULL;
	}
	snprintf(url, cap, "ws://127.0.0.1:%d/swarmtop", port);
	return demo;
}

/* Take over the terminal, run the loop until quit, restore the terminal. Returns the exit
 * code (1 with a message printed when the screen cannot be set up). */
static int ui_screen(Ui *ui)
{
	char err[256];
	int w, h, rc;

	if (crt_init(ui->o->no_color, err, sizeof(err)) != 0) {
		fprintf(stderr, "swarmtop: %s\n", err);
		return 1;
	}
	crt_set_theme(&ui->theme);
	crt_size(&w, &h);
	ui->canvas = canvas_new(w, h, ui->o->ascii || !crt_locale_utf8());
	if (ui->canvas == NULL || app_adopt_stdin(ui->app) != 0) {
		crt_done();
		canvas_free(ui->canvas);
		ui->canvas = NULL;
		fprintf(stderr, "swarmtop: cannot set up the screen\n");
		return 1;
	}
	app_catch_signals(ui->app);
	if (ui->rp)
		app_timer_start(ui->app, &ui->play, 0, ui_replay_timer, ui);
	ui_dirty(ui);
	rc = app_run(ui->app);
	crt_done();
	view_graph_release();
	canvas_free(ui->canvas);
	ui->canvas = NULL;
	return rc;
}

/* `swarmtop replay [SESSION] [--db PATH] [--speed X] [--at TIME]`: the dashboard over a
 * recorded session, with the same views, no connections and no steering. */
int ui_replay_run(const CliOptions *o)
{
	Ui ui;
	char err[512];
	int rc;

	memset(&ui, 0, sizeof(ui));
	ui.o = o;
	if ((rc = ui_load_settings(&ui)) != 0)
		goto out_settings;
	rc = 1;
	ui_state_init(&ui.s);
	ui.s.prices = &ui.prices;
	ui.s.replay = true;
	ui.s.stuck_ms = ui.cfg.stuck_ms;
	for (size_t i = 0; i < ui.cfg.nbudgets; i++)
		budget_init(&ui.budgets[i], &ui.cfg.budgets[i]);
	ui.s.budgets = ui.budgets;
	ui.s.nbudgets = ui.cfg.nbudgets;
	ui.s.status_msg = ui.status[0] ? ui.status : NULL;
	ui.rp = replay_open(o->db, o->nargs > 0 ? o->args[0] : NULL, err, sizeof(err));
	if (ui.rp == NULL) {
		fprintf(stderr, "swarmtop: replay: %s\n", err);
		goto out_settings;
	}
	if (o->speed && replay_set_speed(ui.rp, o->speed) < 0) {
		fprintf(stderr, "swarmtop: replay: bad --speed '%s' (try 0.25, 1, 4x, 64 or max)\n",
		        o->speed);
		rc = 2;
		goto out_replay;
	}
	if (o->at) {
		int64_t at = replay_parse_at(ui.rp, o->at);
		if (at < 0) {
			fprintf(stderr,
			        "swarmtop: replay: bad --at '%s' (try +90s, +5m, 25%% or "
			        "HH:MM[:SS])\n",
			        o->at);
			rc = 2;
			goto out_replay;
		}
		if (replay_seek(ui.rp, at) < 0) {
			fprintf(stderr, "swarmtop: replay: %s\n", replay_error(ui.rp));
			goto out_replay;
		}
	}
	/* The loop watches no runtime: it gets an empty model of its own for its tick. */
	ui.idle_model = model_new();
	if (ui.idle_model == NULL) {
		fprintf(stderr, "swarmtop: out of memory\n");
		goto out_replay;
	}
	ui.app = app_new(o, ui.idle_model, NULL, APP_RESUME_LIVE, err, sizeof(err));
	if (ui.app == NULL) {
		fprintf(stderr, "swarmtop: %s\n", err);
		goto out_model;
	}
	AppHooks hooks = {.ud = &ui, .tick = ui_on_tick, .input = ui_on_input};
	app_set_hooks(ui.app, &hooks);
	ui.m = replay_model(ui.rp);
	replay_play(ui.rp, true);
	rc = ui_screen(&ui);
	app_free(ui.app);
out_model:
	model_free(ui.idle_model);
out_replay:
	replay_free(ui.rp);
out_settings:
	ui_keep_free(&ui);
	ui_state_free(&ui.s);
	prices_free(&ui.prices);
	config_free(&ui.cfg);
	return rc;
}

/* The dashboard: connect, draw, handle keys until quit. Returns the exit code. */
int ui_run(const CliOptions *o)
{
	Ui ui;
	char err[512], demo_url[128];
	Demo *demo = NULL;
	int rc = 1;

	memset(&ui, 0, sizeof(ui));
	ui.o = o;
	if ((rc = ui_load_settings(&ui)) != 0)
		goto out_settings;
	rc = 1;
	ui_state_init(&ui.s);
	ui.s.prices = &ui.prices;
	ui.s.read_only = o->read_only || ui.cfg.read_only;
	ui.s.stuck_ms = ui.cfg.stuck_ms;
	for (size_t i = 0; i < ui.cfg.nbudgets; i++)
		budget_init(&ui.budgets[i], &ui.cfg.budgets[i]);
	ui.s.budgets = ui.budgets;
	ui.s.nbudgets = ui.cfg.nbudgets;
	ui.s.status_msg = ui.status[0] ? ui.status : NULL;

	/* What to watch: URLs on the command line, else the config's, else the demo. */
	char **urls = o->args;
	size_t nurls = (size_t)o->nargs;
	char *demo_list[1];
	if (nurls == 0 && ui.cfg.nruntimes > 0) {
		urls = ui.cfg.runtimes;
		nurls = ui.cfg.nruntimes;
	}
	if (nurls == 0 && !o->otlp && !ui.cfg.otlp[0]) {
		demo = ui_start_demo(demo_url, sizeof(demo_url));
		if (demo == NULL)
			goto out_settings;
		demo_list[0] = demo_url;
		urls = demo_list;
		nurls = 1;
		ui.s.demo = true;
	}

	/* The store: failure is a banner, not a stop (the dashboard still watches). */
	int64_t session = 0;
	ui.st = store_open(o->db, STORE_ASYNC, err, sizeof(err));
	if (ui.st == NULL) {
		snprintf(ui.status, sizeof(ui.status), "not recording: %s", err);
		ui.s.status_msg = ui.status;
		ui.s.status_is_error = true;
	} else {
		StoreSessionInfo info = {.started_ms = app_now_ms(),
		                         .how = "live",
		                         .label = ui.s.demo ? "demo" : NULL};
		session = store_session_begin(ui.st, &info);
	}
	ui.m = model_new();
	if (ui.m == NULL) {
		fprintf(stderr, "swarmtop: out of memory\n");
		goto out_store;
	}
	ui.app = app_new(o, ui.m, ui.st, APP_RESUME_STORED, err, sizeof(err));
	if (ui.app == NULL) {
		fprintf(stderr, "swarmtop: %s\n", err);
		goto out_model;
	}
	AppHooks hooks = {
	        .ud = &ui,
	        .event = ui_on_event,
	        .conn = ui_on_conn,
	        .command = ui_on_command,
	        .tick = ui_on_tick,
	        .input = ui_on_input,
	};
	app_set_hooks(ui.app, &hooks);
	if (session > 0)
		app_set_session(ui.app, session);
	/* the config's "otlp HOST:PORT" when --otlp did not say (app_new did --otlp) */
	if (!o->otlp && ui.cfg.otlp[0] &&
	    app_listen_otlp(ui.app, ui.cfg.otlp, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "swarmtop: %s\n", err);
		rc = 2;
		goto out_app;
	}
	for (size_t i = 0; i < nurls; i++) {
		int rt = app_add_url(ui.app, urls[i], err, sizeof(err));
		if (rt < 0) {
			fprintf(stderr, "swarmtop: %s\n", err);
			rc = 2;
			goto out_app;
		}
		if (ui.s.demo)
			ui.m->runtimes[rt].demo = true;
	}
	rc = ui_screen(&ui);
out_app:
	app_free(ui.app);
out_model:
	model_free(ui.m);
out_store:
	if (ui.st) {
		if (session > 0)
			store_session_end(ui.st, session, app_now_ms());
		store_close(ui.st);
	}
	if (demo)
		demo_stop(demo);
out_settings:
	ui_keep_free(&ui);
	ui_state_free(&ui.s);
	prices_free(&ui.prices);
	config_free(&ui.cfg);
	return rc;
}
