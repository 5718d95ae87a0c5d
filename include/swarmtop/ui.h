/*
 * ui.h: the interactive dashboard (swarmtop [URL...]).
 */
#ifndef SWARMTOP_UI_H
#define SWARMTOP_UI_H

#include "swarmtop/cli.h"

/* Run the dashboard until the operator quits. Returns the exit code. */
int ui_run(const CliOptions *o);

/* `swarmtop replay [SESSION]`: the dashboard over a recorded session (no connections, no
 * steering; playback keys). Returns the exit code. */
int ui_replay_run(const CliOptions *o);

#endif
