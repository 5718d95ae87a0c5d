/*
 * view.h: the UI state the views read, and the view entry points.
 *
 * A view is a pure function: view_X_draw(model, ui, rect, canvas) lays out a
 * region of the screen from the model and the UI state. Views never change
 * the model; the only state they touch is the scratch fields of UiState that
 * say what they drew (row lists for selection, scroll clamps), so that the
 * key handlers can act on what the operator sees.
 *
 * Pure: no I/O, no clock (ui->now_ms is the time to draw at).
 */
#ifndef SWARMTOP_VIEW_H
#define SWARMTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/budget.h"
#include "swarmtop/canvas.h"
#include "swarmtop/model.h"
#include "swarmtop/usage.h"

typedef enum ViewId {
	VIEW_AGENTS,
	VIEW_GRAPH,
	VIEW_TOKENS,
	VIEW_CORES,
	VIEW_LOG,
	VIEW_COMMANDS,
	VIEW_HELP,
	VIEW_COUNT
} ViewId;

extern const char *const view_names[VIEW_COUNT];

typedef enum AgentColumn {
	ACOL_NAME,
	ACOL_STATE,
	ACOL_TASK,
	ACOL_TOKENS,
	ACOL_COST,
	ACOL_CPU,
	ACOL_AGE,
	ACOL_MESSAGE,
	ACOL_COUNT
} AgentColumn;

#define UI_FILTER_MAX 128

/* Kinds of replay marks on the header's position bar (the order of replay.h's ReplayMark). */
typedef enum UiMarkKind {
	UI_MARK_FAILURE,
	UI_MARK_GAP,
	UI_MARK_COMMAND,
	UI_MARK_COUNT
} UiMarkKind;

typedef struct UiState {
	int64_t now_ms;            /* the time to draw at (wall clock live, position in replay) */
	ViewId view;
	int runtime;               /* selected runtime, -1 = all */
	/* Agents view */
	int sel_agent;             /* index in model->agents, -1 none */
	int agents_scroll;
	AgentColumn sort_col;
	bool sort_desc;
	char filter[UI_FILTER_MAX];  /* "" none; leading '!' inverts */
	int64_t stuck_ms;          /* working with no event this long = stuck */
	/* Graph view */
	int sel_task;              /* index in model->tasks, -1 none */
	int graph_agent;           /* restrict the graph to an agent, -1 = whole runtime */
	int pan_x, pan_y;
	bool collapse_done;        /* collapse finished subtrees */
	bool graph_list;           /* tree/list fallback */
	/* Tokens view */
	int tokens_scroll;
	bool tokens_by_model;
	/* Cores view */
	int threads_scroll;
	/* Log view */
	int log_scroll;            /* lines up from the newest; 0 = following */
	bool log_follow;
	int log_min_level;         /* LogLevel */
	char log_search[UI_FILTER_MAX];
	int log_agent;             /* -1 all */
	/* Commands view */
	int commands_scroll;
	/* tagging (Space): agent indexes */
	unsigned char *tagged_agents;   /* model->nagents flags, may be NULL */
	size_t ntagged_cap;
	/* environment */
	const PriceTable *prices;
	bool demo;                 /* connected to the embedded demo */
	bool read_only;
	bool replay;
	const char *replay_status; /* e.g. "REPLAY 12:03:44 ▶ 4x", NULL when live */
	double replay_pos;         /* 0..1 position for the bar */
	const double *mark_pos;    /* replay marks on the bar: 0..1 positions ... */
	const int *mark_kind;      /* ... and UiMarkKind of each */
	size_t nmarks;
	const char *status_msg;    /* bottom status line, NULL none */
	bool status_is_error;
	/* budgets (issue 5): evaluated by the caller, drawn by the Agents and Tokens views */
	const BudgetState *budgets;  /* may be NULL */
	size_t nbudgets;
	/* scratch, written by views: the rows they drew, in order */
	int *rows;                 /* indexes into model arrays */
	size_t nrows, rows_cap;
} UiState;

/* Zero a UiState with sensible defaults. */
void ui_state_init(UiState *ui);

/* Free what a UiState owns (rows, tags). */
void ui_state_free(UiState *ui);

/* The header band: runtimes, totals, core meters, clock. Returns rows used (it sizes itself
 * to fit r.w; r.h is the maximum). */
int view_header_draw(const Model *m, UiState *ui, Rect r, Canvas *c);

/* The body of each view. */
void view_agents_draw(const Model *m, UiState *ui, Rect r, Canvas *c);
void view_graph_draw(const Model *m, UiState *ui, Rect r, Canvas *c);
void view_tokens_draw(const Model *m, UiState *ui, Rect r, Canvas *c);
void view_cores_draw(const Model *m, UiState *ui, Rect r, Canvas *c);
void view_log_draw(const Model *m, UiState *ui, Rect r, Canvas *c);
void view_commands_draw(const Model *m, UiState *ui, Rect r, Canvas *c);

/* Log view search (n / N): the log_scroll that brings the next line matching log_search to the
 * bottom, further back (dir > 0) or forward (dir < 0); -1 when none. */
int view_log_find(const Model *m, const UiState *ui, int dir);

/* The ordered agent rows the Agents view shows (tree by parent, attention first, sort,
 * filter) into ui->rows. Returns the count. */
size_t view_agents_rows(const Model *m, UiState *ui);

/* ---- helpers shared by the views (view.c) ---- */

/* The element that shows an agent / task status. */
Element view_agent_status_el(AgentStatus s);
Element view_task_status_el(TaskStatus s);

/* The element that shows a command's state. */
Element view_cmd_el(CmdState s);

/* Short label for an agent status ("working", "input", "done", ...). */
const char *view_agent_status_label(AgentStatus s);

/* Estimated USD for the unbilled tokens of every agent, from ui->prices, in one pass over
 * model->usage: est[i] for agents[i]; unpriced[i] set when some of its unbilled tokens have
 * no price. Either array may be NULL. Returns the estimate over all usage rows, and sets
 * *any_unpriced (may be NULL) when some unbilled tokens anywhere have no price. */
double view_estimates(const Model *m, const UiState *ui, double *est, unsigned char *unpriced,
                      bool *any_unpriced);

/* Append an index to ui->rows (grows it). Returns 0, or -1 when out of memory. */
int view_rows_push(UiState *ui, int idx);

/* True when hay contains needle, ignoring ASCII case, looking at no more than max bytes
 * of hay. An empty needle matches. */
bool view_contains(const char *hay, const char *needle, size_t max);

/* Draw a cost cell right-aligned in w columns: billed "$1.23", estimate "~$0.45" (when
 * nothing is billed), both as "$1.23+~0.45" when room, or "no price" when tokens exist
 * but cannot be priced. */
void view_draw_cost(Canvas *c, int x, int y, int w, double billed, double est, bool unpriced);

#endif
