/*
 * frame.h: the whole screen as one pure function. Lays out the header, the
 * tab bar, the current view's body, any dialog, the status/prompt line and
 * the key bar into a Canvas. The help view is generated from action_table.
 *
 * Pure: no I/O.
 */
#ifndef SWARMTOP_FRAME_H
#define SWARMTOP_FRAME_H

#include <stdbool.h>

#include "swarmtop/canvas.h"
#include "swarmtop/keymap.h"
#include "swarmtop/model.h"
#include "swarmtop/prompt.h"
#include "swarmtop/view.h"

#define FRAME_MIN_W 80
#define FRAME_MIN_H 24

/* What the frame needs beyond the model and the view state. */
typedef struct FrameInput {
	const Keymap *km;
	const Prompt *prompt;       /* non-NULL while a prompt is open */
	const char *confirm;        /* non-NULL: a yes/no question (default No) */
	bool confirm_yes;           /* the highlighted answer */
	int help_scroll;
} FrameInput;

/* Draw everything. Returns the cursor column for an open prompt (row is c->h - 2), else -1. */
int frame_draw(const Model *m, UiState *ui, const FrameInput *in, Canvas *c);

/* The help body, generated from the action table and the current bindings. */
void view_help_draw(const Keymap *km, int scroll, Rect r, Canvas *c);

/* Row of the body's first line (below header and tab bar) for the last frame drawn. */
int frame_body_top(void);

#endif
