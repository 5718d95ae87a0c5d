/*
 * ui.h: the interactive dashboard (swarmtop [URL...]).
 */
#ifndef SWARMTOP_UI_H
#define SWARMTOP_UI_H

#include "swarmtop/cli.h"

/* Run the dashboard until the operator quits. Returns the exit code. */
int ui_run(const CliOptions *o);

#endif
