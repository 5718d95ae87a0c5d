/*
 * main.c: the entry point. Parses the command line (cli.c) and dispatches to
 * the subcommand through a table indexed by CliCmd.
 *
 * Owns: nothing but dispatch. The dashboard is ui_run (ui.c); replay is the
 * dashboard's replay mode (ui_replay_run), or a headless dump with --dump.
 */
#include <stdio.h>

#include "swarmtop/cli.h"
#include "swarmtop/demo.h"
#include "swarmtop/headless.h"
#include "swarmtop/replay.h"
#include "swarmtop/ui.h"

/* `swarmtop demo ...`: the demo parses its own argv. */
static int main_demo(const CliOptions *o)
{
	return demo_main(o->sub_argc, o->sub_argv);
}

/* `swarmtop replay`: the dashboard's replay mode (ui.c), or with --dump the
 * canonical dump of the model at the session's end (no screen). */
static int main_replay(const CliOptions *o)
{
	if (o->dump)
		return replay_dump(o->db, o->nargs > 0 ? o->args[0] : NULL, stdout) == 0 ? 0 : 1;
	return ui_replay_run(o);
}

static int (*const main_dispatch[CLI_CMD_COUNT])(const CliOptions *o) = {
        [CMD_DASHBOARD] = ui_run,           [CMD_DEMO] = main_demo,
        [CMD_RECORD] = headless_record,     [CMD_TAIL] = headless_tail,
        [CMD_CTL] = headless_ctl,           [CMD_REPLAY] = main_replay,
        [CMD_SESSIONS] = headless_sessions, [CMD_EXPORT] = headless_export,
};

/* Parse, dispatch, return the subcommand's exit code. */
int main(int argc, char **argv)
{
	CliOptions o;
	int code = 0;
	if (cli_parse(argc, argv, &o, &code) < 0) {
		cli_free(&o);
		return code;
	}
	code = main_dispatch[o.cmd](&o);
	cli_free(&o);
	fflush(stdout);
	return code;
}
