/*
 * cli.h: the command line. One const table of subcommands (name, usage, help,
 * entry point) and one of options (name, argument, help, which subcommands
 * take it); parsing, --help and --version are generated from them.
 *
 * I/O edge: reads the environment (SWARMTOP_TOKEN, NO_COLOR, XDG_STATE_HOME,
 * HOME) and prints help and errors. Never prints the token.
 */
#ifndef SWARMTOP_CLI_H
#define SWARMTOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_MESSAGE_DEFAULT (1u << 20) /* 1 MiB: the spec's floor */
#define CLI_MAX_MESSAGE_LIMIT   (1u << 30) /* refuse caps above 1 GiB */
#define CLI_PATH_MAX            4096

/* Exit codes shared by every subcommand. */
enum {
	EXIT_OK_ = 0,   /* success */
	EXIT_FAIL = 1,  /* operational failure (also: command rejected/unanswered) */
	EXIT_USAGE = 2, /* usage error (also: ctl connection error) */
};

typedef enum CliCmd {
	CMD_DASHBOARD, /* swarmtop [URL...] */
	CMD_DEMO,
	CMD_RECORD,
	CMD_TAIL,
	CMD_CTL,
	CMD_REPLAY,
	CMD_SESSIONS,
	CMD_EXPORT,
	CLI_CMD_COUNT
} CliCmd;

/* Everything the command line said, after defaults and environment. */
typedef struct CliOptions {
	CliCmd cmd;
	char db[CLI_PATH_MAX]; /* --db, or $XDG_STATE_HOME/swarmtop/swarmtop.db */
	bool db_given;         /* --db was on the command line */
	const char *token;     /* --token or SWARMTOP_TOKEN; NULL when none. Never print. */
	const char *config;    /* --config PATH or NULL */
	const char *theme;     /* --theme NAME or NULL */
	const char *ca_file;   /* --ca FILE or NULL */
	bool read_only, ascii, no_color, insecure;
	bool json;          /* tail --json */
	size_t max_message; /* --max-message (bytes), default 1 MiB */
	/* ctl */
	const char *agent, *task, *text, *reason;
	/* export */
	const char *format; /* "jsonl" */
	/* replay */
	const char *speed, *at;
	bool dump;               /* replay --dump: print the canonical model dump and exit */
	const char *dump_model;  /* record --dump-model FILE */
	/* positional arguments after the subcommand (URLs, ACTION, SESSION) */
	char **args;
	int nargs;
	/* demo: its own argv, handed through untouched */
	int sub_argc;
	char **sub_argv;
	/* interop: --otlp HOST:PORT, --otlp-token T, --protocol v1|agui */
	const char *otlp, *otlp_token, *protocol;
} CliOptions;

/* One subcommand (its entry point is in main.c's dispatch table, indexed by CliCmd). */
typedef struct CliCommand {
	const char *name;  /* NULL for the dashboard */
	const char *usage; /* argument synopsis */
	const char *help;  /* one line */
} CliCommand;

/* The subcommand table, indexed by CliCmd. */
extern const CliCommand cli_commands[CLI_CMD_COUNT];

/* Parse argv into o. Returns -1 when the program should exit with *exit_code
 * (help/version printed: 0; usage error printed on stderr: 2), else 0. */
int cli_parse(int argc, char **argv, CliOptions *o, int *exit_code);

/* Release what cli_parse allocated (call it whatever cli_parse returned). */
void cli_free(CliOptions *o);

/* Print the full --help text (generated from the tables) to f. */
void cli_help(FILE *f);

/* Print the help of one subcommand (usage line and the options it takes) to f. */
void cli_help_cmd(FILE *f, CliCmd cmd);

/* Make the directory that will hold path (mkdir -p of its dirname). 0 or -1 (errno). */
int cli_mkdir_parent(const char *path);

/* Print "swarmtop: <formatted message>" as one line on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
