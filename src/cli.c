/*
 * cli.c: command-line parsing for every subcommand, driven by two const
 * tables (subcommands, options) from which --help is generated.
 *
 * Owns: argv -> CliOptions, defaults (database path), environment
 * (SWARMTOP_TOKEN, NO_COLOR), help and version text. Must not connect,
 * open the store, or print the token anywhere.
 */
#include "swarmtop/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SWARMTOP_VERSION
#define SWARMTOP_VERSION "0.0.0"
#endif

#define BIT(c)    (1u << (c))
#define ALL_CMDS  (BIT(CLI_CMD_COUNT) - 1u)
#define LIVE_CMDS (BIT(CMD_DASHBOARD) | BIT(CMD_RECORD) | BIT(CMD_TAIL) | BIT(CMD_CTL))
#define UI_CMDS   (BIT(CMD_DASHBOARD) | BIT(CMD_REPLAY))

const CliCommand cli_commands[CLI_CMD_COUNT] = {
        [CMD_DASHBOARD] =
                {NULL, "[OPTIONS] [URL...]",
                 "the dashboard (no URL and no configured runtime: embedded demo, marked DEMO)"},
        [CMD_DEMO] = {"demo", "[--port N] [--agents N] [--rate EV_PER_S] [--seed N]",
                      "run the demo runtime alone (a real WebSocket server)"},
        [CMD_RECORD] =
                {"record", "[OPTIONS] URL... (or --otlp HOST:PORT)",
                 "headless: connect, persist everything, status line on stderr; stop on Ctrl-C"},
        [CMD_TAIL] = {"tail", "[--json] URL...",
                      "headless: one sanitized line per event (--json: the message as received)"},
        [CMD_CTL] = {"ctl", "URL ACTION [--agent ID|--task ID] [--text T] [--reason R]",
                     "send one command, print the acks; exit 0 applied, 1 rejected/unanswered, 2 "
                     "error"},
        [CMD_REPLAY] = {"replay", "[SESSION] [--speed X] [--at TIME]",
                        "the dashboard over a recorded session (latest when omitted)"},
        [CMD_SESSIONS] = {"sessions", "", "list recorded sessions"},
        [CMD_EXPORT] = {"export", "SESSION [--format jsonl]",
                        "write a session's events (and commands) to stdout, one JSON per line"},
};

typedef enum OptKind {
	OPT_STR,     /* const char * field */
	OPT_BOOL,    /* bool field set to true */
	OPT_SPECIAL, /* handled by cli_set_special */
	OPT_KIND_COUNT
} OptKind;

typedef enum OptSpecial {
	SPECIAL_NONE,
	SPECIAL_DB,
	SPECIAL_MAX_MESSAGE,
	SPECIAL_HELP,
	SPECIAL_VERSION,
	SPECIAL_COUNT
} OptSpecial;

typedef struct CliOption {
	const char *name; /* "--db" */
	const char *arg;  /* "PATH", or NULL for a flag */
	const char *help;
	unsigned cmds; /* BIT(CliCmd) of the subcommands that take it */
	OptKind kind;
	size_t offset; /* into CliOptions for OPT_STR/OPT_BOOL */
	OptSpecial special;
} CliOption;

#define STR(f)     .kind = OPT_STR, .offset = offsetof(CliOptions, f)
#define FLAG(f)    .kind = OPT_BOOL, .offset = offsetof(CliOptions, f)
#define SPECIAL(s) .kind = OPT_SPECIAL, .special = (s)

static const CliOption cli_options[] = {
        {.name = "--db",
         .arg = "PATH",
         .cmds = ALL_CMDS,
         SPECIAL(SPECIAL_DB),
         .help = "database file (default $XDG_STATE_HOME/swarmtop/swarmtop.db)"},
        {.name = "--token",
         .arg = "T",
         .cmds = LIVE_CMDS,
         STR(token),
         .help = "bearer token for runtimes that require one (or SWARMTOP_TOKEN)"},
        {.name = "--config",
         .arg = "PATH",
         .cmds = ALL_CMDS,
         STR(config),
         .help = "config file (default $XDG_CONFIG_HOME/swarmtop/config)"},
        {.name = "--theme", .arg = "NAME", .cmds = UI_CMDS, STR(theme), .help = "colour theme"},
        {.name = "--read-only",
         .cmds = UI_CMDS,
         FLAG(read_only),
         .help = "observe only: every steering verb is disabled"},
        {.name = "--ascii",
         .cmds = ALL_CMDS,
         FLAG(ascii),
         .help = "draw and print with ASCII only"},
        {.name = "--no-color",
         .cmds = ALL_CMDS,
         FLAG(no_color),
         .help = "monochrome (also when NO_COLOR is set)"},
        {.name = "--insecure",
         .cmds = LIVE_CMDS,
         FLAG(insecure),
         .help = "wss: accept any certificate (self-signed, expired, wrong host). DANGEROUS"},
        {.name = "--ca",
         .arg = "FILE",
         .cmds = LIVE_CMDS,
         STR(ca_file),
         .help = "wss: trust the CA certificates in FILE (PEM)"},
        {.name = "--max-message",
         .arg = "BYTES",
         .cmds = LIVE_CMDS,
         SPECIAL(SPECIAL_MAX_MESSAGE),
         .help = "largest message accepted (default 1M; suffix K or M; at least 1M)"},
        {.name = "--otlp",
         .arg = "HOST:PORT",
         .cmds = BIT(CMD_DASHBOARD) | BIT(CMD_RECORD) | BIT(CMD_TAIL),
         STR(otlp),
         .help = "also receive OpenTelemetry GenAI spans (POST /v1/traces, OTLP/HTTP JSON)"},
        {.name = "--otlp-token",
         .arg = "T",
         .cmds = BIT(CMD_DASHBOARD) | BIT(CMD_RECORD) | BIT(CMD_TAIL),
         STR(otlp_token),
         .help = "--otlp: require this bearer token from exporters (401 otherwise)"},
        {.name = "--protocol",
         .arg = "NAME",
         .cmds = LIVE_CMDS,
         STR(protocol),
         .help = "what the URLs speak: v1 (default: recognised from the first message) or agui"},
        {.name = "--json",
         .cmds = BIT(CMD_TAIL),
         FLAG(json),
         .help = "tail: print each message exactly as received, one per line"},
        {.name = "--agent",
         .arg = "ID",
         .cmds = BIT(CMD_CTL),
         STR(agent),
         .help = "ctl: target agent"},
        {.name = "--task",
         .arg = "ID",
         .cmds = BIT(CMD_CTL),
         STR(task),
         .help = "ctl: target task"},
        {.name = "--text",
         .arg = "T",
         .cmds = BIT(CMD_CTL),
         STR(text),
         .help = "ctl inject: the operator message"},
        {.name = "--reason",
         .arg = "R",
         .cmds = BIT(CMD_CTL),
         STR(reason),
         .help = "ctl: reason, kept in the audit trail"},
        {.name = "--format",
         .arg = "FMT",
         .cmds = BIT(CMD_EXPORT),
         STR(format),
         .help = "export: output format (jsonl)"},
        {.name = "--dump-model",
         .arg = "FILE",
         .cmds = BIT(CMD_RECORD),
         STR(dump_model),
         .help = "record: at exit, write the model's canonical dump to FILE (determinism checks)"},
        {.name = "--dump",
         .cmds = BIT(CMD_REPLAY),
         FLAG(dump),
         .help = "replay: fold the whole session and print the model's canonical dump, no screen"},
        {.name = "--speed",
         .arg = "X",
         .cmds = BIT(CMD_REPLAY),
         STR(speed),
         .help = "replay: playback speed"},
        {.name = "--at",
         .arg = "TIME",
         .cmds = BIT(CMD_REPLAY),
         STR(at),
         .help = "replay: start position"},
        {.name = "--help", .cmds = ALL_CMDS, SPECIAL(SPECIAL_HELP), .help = "show this help"},
        {.name = "--version",
         .cmds = ALL_CMDS,
         SPECIAL(SPECIAL_VERSION),
         .help = "show the version"},
};

#define NOPTIONS (sizeof(cli_options) / sizeof(cli_options[0]))

/* Positional argument bounds per subcommand (max < 0: unbounded). */
static const struct {
	int min, max;
	const char *what;
} cli_positional[CLI_CMD_COUNT] = {
        [CMD_DASHBOARD] = {0, -1, "URL"},           [CMD_DEMO] = {0, -1, ""},
        [CMD_RECORD] = {1, -1, "at least one URL"}, [CMD_TAIL] = {1, -1, "at least one URL"},
        [CMD_CTL] = {2, 2, "URL and ACTION"},       [CMD_REPLAY] = {0, 1, "at most one SESSION"},
        [CMD_SESSIONS] = {0, 0, "no arguments"},    [CMD_EXPORT] = {1, 1, "one SESSION"},
};

/* Print "swarmtop: <formatted message>" as one line on stderr. */
void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("swarmtop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Print one option line of the help. */
static void cli_help_option(FILE *f, const CliOption *op)
{
	char left[40];
	snprintf(left, sizeof(left), "%s%s%s", op->name, op->arg ? " " : "",
	         op->arg ? op->arg : "");
	fprintf(f, "  %-22s %s\n", left, op->help);
}

/* Print the full --help text (generated from the tables) to f. */
void cli_help(FILE *f)
{
	fprintf(f, "swarmtop %s: top for agent fleets\n\nUsage:\n", SWARMTOP_VERSION);
	for (int c = 0; c < CLI_CMD_COUNT; c++) {
		const CliCommand *cc = &cli_commands[c];
		char left[96];
		snprintf(left, sizeof(left), "swarmtop%s%s %s", cc->name ? " " : "",
		         cc->name ? cc->name : "", cc->usage);
		fprintf(f, "  %s\n      %s\n", left, cc->help);
	}
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < NOPTIONS; i++)
		cli_help_option(f, &cli_options[i]);
	fputs("\nExit codes: 0 success, 1 operational failure, 2 usage error.\n", f);
}

/* Print the help of one subcommand (usage line and the options it takes) to f. */
void cli_help_cmd(FILE *f, CliCmd cmd)
{
	const CliCommand *cc = &cli_commands[cmd];
	fprintf(f, "Usage: swarmtop%s%s %s\n  %s\n\nOptions:\n", cc->name ? " " : "",
	        cc->name ? cc->name : "", cc->usage, cc->help);
	for (size_t i = 0; i < NOPTIONS; i++)
		if (cli_options[i].cmds & BIT(cmd))
			cli_help_option(f, &cli_options[i]);
}

/* Fill in the default database path from XDG_STATE_HOME or HOME. */
static void cli_default_db(CliOptions *o)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(o->db, sizeof(o->db), "%s/swarmtop/swarmtop.db", xdg);
	else if (home && *home)
		snprintf(o->db, sizeof(o->db), "%s/.local/state/swarmtop/swarmtop.db", home);
	else
		snprintf(o->db, sizeof(o->db), "swarmtop.db");
}

/* Make the directory that will hold path (mkdir -p of its dirname). 0 or -1 (errno). */
int cli_mkdir_parent(const char *path)
{
	char buf[CLI_PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	char *slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Parse a byte count with an optional K/M/G suffix; -1 when malformed. */
static long long cli_parse_size(const char *s)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	long long mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024LL * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024LL * 1024 * 1024, end++;
	if (*end || v > (long long)CLI_MAX_MESSAGE_LIMIT)
		return -1;
	return v * mul;
}

/* Find an option by name (the part before any '='). */
static const CliOption *cli_find_option(const char *arg, size_t len)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strlen(cli_options[i].name) == len && !strncmp(cli_options[i].name, arg, len))
			return &cli_options[i];
	return NULL;
}

/* Find a subcommand by name; -1 when none. */
static int cli_find_cmd(const char *name)
{
	for (int c = 0; c < CLI_CMD_COUNT; c++)
		if (cli_commands[c].name && !strcmp(cli_commands[c].name, name))
			return c;
	return -1;
}

/* Apply one option with its value (NULL for flags). 0, or -1 after printing an error. */
static int cli_apply(CliOptions *o, const CliOption *op, const char *val, bool *help, bool *version)
{
	switch (op->kind) {
	case OPT_STR:
		*(const char **)(void *)((char *)o + op->offset) = val;
		return 0;
	case OPT_BOOL:
		*(bool *)(void *)((char *)o + op->offset) = true;
		return 0;
	case OPT_SPECIAL:
	case OPT_KIND_COUNT:
		break;
	}
	/* The specials that take a value have an .arg, so val is set; were one declared without,
	 * it would read as empty (and be refused) rather than as a null pointer. */
	const char *v = val ? val : "";
	switch (op->special) {
	case SPECIAL_DB:
		if (!*v || strlen(v) >= sizeof(o->db)) {
			cli_error("--db: the path is empty or too long");
			return -1;
		}
		snprintf(o->db, sizeof(o->db), "%s", v);
		o->db_given = true;
		return 0;
	case SPECIAL_MAX_MESSAGE: {
		long long n = cli_parse_size(v);
		if (n < (long long)CLI_MAX_MESSAGE_DEFAULT ||
		    n > (long long)CLI_MAX_MESSAGE_LIMIT) {
			cli_error("--max-message '%s': want a size between 1M and 1G", v);
			return -1;
		}
		o->max_message = (size_t)n;
		return 0;
	}
	case SPECIAL_HELP:
		*help = true;
		return 0;
	case SPECIAL_VERSION:
		*version = true;
		return 0;
	case SPECIAL_NONE:
	case SPECIAL_COUNT:
		break;
	}
	return 0;
}

/* Parse argv into o. Returns -1 when the program should exit with *exit_code
 * (help/version printed: 0; usage error printed on stderr: 2), else 0. */
int cli_parse(int argc, char **argv, CliOptions *o, int *exit_code)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_DASHBOARD;
	o->max_message = CLI_MAX_MESSAGE_DEFAULT;
	cli_default_db(o);
	bool have_cmd = false, help = false, version = false, only_pos = false;
	*exit_code = EXIT_USAGE;
	/* Positional arguments are compacted into a copy of argv. */
	char **pos = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*pos));
	if (!pos) {
		cli_error("out of memory");
		*exit_code = EXIT_FAIL;
		return -1;
	}
	o->args = pos;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && !strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (!only_pos && a[0] == '-' && a[1]) {
			const char *eq = strchr(a, '=');
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
			const CliOption *op = cli_find_option(a, nlen);
			if (!op) {
				cli_error("unknown option '%.*s' (try --help)",
				          (int)(nlen > 64 ? 64 : nlen), a);
				return -1;
			}
			if (!(op->cmds & BIT(o->cmd))) {
				cli_error("option %s does not apply to '%s' (try --help)", op->name,
				          cli_commands[o->cmd].name ? cli_commands[o->cmd].name
				                                    : "the dashboard");
				return -1;
			}
			const char *val = NULL;
			if (op->arg) {
				if (eq)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else {
					cli_error("option %s needs a value (%s)", op->name,
					          op->arg);
					return -1;
				}
			} else if (eq) {
				cli_error("option %s takes no value", op->name);
				return -1;
			}
			if (cli_apply(o, op, val, &help, &version) < 0)
				return -1;
			continue;
		}
		if (!have_cmd && o->nargs == 0) {
			int c = cli_find_cmd(a);
			if (c >= 0) {
				have_cmd = true;
				o->cmd = (CliCmd)c;
				if (c == CMD_DEMO) {
					/* The demo parses its own options. */
					o->sub_argc = argc - i;
					o->sub_argv = argv + i;
					*exit_code = EXIT_OK_;
					break;
				}
				continue;
			}
		}
		pos[o->nargs++] = argv[i];
	}
	if (version) {
		printf("swarmtop %s\n", SWARMTOP_VERSION);
		*exit_code = EXIT_OK_;
		return -1;
	}
	if (help) {
		if (have_cmd)
			cli_help_cmd(stdout, o->cmd);
		else
			cli_help(stdout);
		*exit_code = EXIT_OK_;
		return -1;
	}
	if (o->cmd == CMD_DEMO)
		return 0;
	if (o->protocol && strcmp(o->protocol, "v1") != 0 && strcmp(o->protocol, "agui") != 0) {
		cli_error("--protocol %.40s: expected v1 or agui", o->protocol);
		return -1;
	}
	int mn = cli_positional[o->cmd].min, mx = cli_positional[o->cmd].max;
	if ((o->cmd == CMD_RECORD || o->cmd == CMD_TAIL) && o->otlp)
		mn = 0; /* record/tail --otlp HOST:PORT need no URL */
	if (o->nargs < mn || (mx >= 0 && o->nargs > mx)) {
		cli_error("'%s' takes %s (usage: swarmtop%s%s %s)",
		          cli_commands[o->cmd].name ? cli_commands[o->cmd].name : "swarmtop",
		          cli_positional[o->cmd].what, cli_commands[o->cmd].name ? " " : "",
		          cli_commands[o->cmd].name ? cli_commands[o->cmd].name : "",
		          cli_commands[o->cmd].usage);
		return -1;
	}
	if (o->agent && o->task) {
		cli_error("ctl: give --agent or --task, not both");
		return -1;
	}
	if (o->format && strcmp(o->format, "jsonl") != 0) {
		cli_error("export: unknown format '%.32s' (only jsonl)", o->format);
		return -1;
	}
	if (!o->token) {
		const char *t = getenv("SWARMTOP_TOKEN");
		if (t && *t)
			o->token = t;
	}
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		o->no_color = true;
	*exit_code = EXIT_OK_;
	return 0;
}

/* Release what cli_parse allocated (call it whatever cli_parse returned). */
void cli_free(CliOptions *o)
{
	free(o->args);
	o->args = NULL;
	o->nargs = 0;
}
