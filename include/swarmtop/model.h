/*
 * model.h: everything swarmtop knows, as a fold over events.
 *
 * model_apply() is the only way runtime state changes; views only read the
 * model. Live, replay and tests are the same fold fed from different sources.
 * Time is a parameter (now_ms: wall clock live, the recorded receive time in
 * replay), never read inside.
 *
 * The structures are public so that views can read them directly (htop's
 * ProcessList style); only model.c writes them. Strings are owned copies,
 * truncated to the protocol's limits and NOT sanitized: canvas sanitizes
 * whatever it draws.
 *
 * Pure: no I/O, no clock.
 */
#ifndef SWARMTOP_MODEL_H
#define SWARMTOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/event.h"
#include "swarmtop/strmap.h"
#include "swarmtop/usage.h"

#define MODEL_LINES_MAX     10000   /* message/log ring entries */
#define MODEL_LINE_TEXT_MAX 1024    /* bytes of text kept per ring entry */
#define MODEL_COMMANDS_MAX  1000    /* commands kept (oldest dropped) */
#define MODEL_GAPS_MAX      1000    /* gaps kept (oldest dropped, still counted) */
#define MODEL_TASKS_MAX     10000   /* tasks kept: past this the oldest finished ones go */
#define MODEL_AGENTS_DONE_MAX 250   /* finished agents kept: past this the oldest go */
#define MODEL_CORE_HISTORY  120     /* samples of per-core history */
#define MODEL_ACK_TIMEOUT_MS 10000  /* a command with no ack after this is unanswered */

/* Dirty bits: what a change touched, so the UI redraws only what it must. */
enum {
	DIRTY_HEADER   = 1u << 0,
	DIRTY_AGENTS   = 1u << 1,
	DIRTY_TASKS    = 1u << 2,
	DIRTY_USAGE    = 1u << 3,
	DIRTY_THREADS  = 1u << 4,
	DIRTY_LINES    = 1u << 5,
	DIRTY_COMMANDS = 1u << 6,
	DIRTY_RUNTIMES = 1u << 7,
	DIRTY_ALL      = 0xffu,
};

typedef enum ConnState {
	CONN_CONNECTING,
	CONN_CONNECTED,
	CONN_RECONNECTING,
	CONN_AUTH_FAILED,
	CONN_PROTOCOL_ERROR,
	CONN_CLOSED,
	CONN_REPLAY,          /* fed from the store, no socket */
	CONN_STATE_COUNT
} ConnState;

extern const char *const conn_state_names[CONN_STATE_COUNT];

typedef struct ModelThread {
	int64_t tid;
	char *name, *agent, *task;
	int64_t core;         /* -1 unknown */
	double cpu;           /* 0..1 of one core */
	int agent_idx;        /* index in agents of its agent, -1 */
} ModelThread;

typedef struct ModelRuntime {
	char *url;            /* where it came from (URL, "demo", "replay:...") */
	/* from hello */
	char *id, *instance, *name, *host, *lang, *lang_version;
	int64_t pid, cores, started_ts, proto;
	bool free_threaded;
	unsigned has;         /* HAS_PID, HAS_CORES, HAS_FREE_THREADED, HAS_STARTED_TS */
	unsigned caps;        /* CAP_BIT(ACTION_...) */
	bool hello_seen;
	bool demo;            /* the embedded demo runtime */
	bool read_only;       /* no steering possible (e.g. AG-UI) */
	int dialect;          /* ProtoDialect */
	/* connection */
	ConnState conn;
	char *conn_reason;    /* why it failed, or NULL */
	int64_t retry_at_ms;  /* CONN_RECONNECTING: when the next attempt is */
	int64_t conn_since_ms;
	/* sequence */
	int64_t last_seq;     /* highest seq applied for this instance */
	int64_t last_ts;      /* runtime clock of the last event */
	int64_t last_event_ms;
	/* counters */
	uint64_t events, rejects, unknown, duplicates, gaps, gap_events;
	char *last_reject;    /* reason of the last rejected message */
	/* usage totals for the runtime */
	Tokens tokens, unbilled;
	double billed_usd;
	RateRing rate;        /* tokens per second */
	/* latest threads sample */
	ModelThread *threads;
	size_t nthreads;
	double *cores_now;
	size_t ncores;
	int64_t interval_ms;
	int64_t threads_ms;   /* now_ms of the latest sample */
	float *core_hist;     /* ncores x MODEL_CORE_HISTORY, ring */
	int hist_len, hist_head;
} ModelRuntime;

typedef struct ModelAgent {
	int runtime;
	char *id, *name, *role, *model, *parent;
	int parent_idx;       /* index in agents of the parent (same runtime), -1; never
	                         forms a cycle (a link that would close one stays -1) */
	AgentStatus status;
	int64_t created_ms, status_ms, last_event_ms;
	int current_task;     /* index of its newest working task, -1 */
	int ntasks, ntasks_done, ntasks_failed;
	Tokens tokens, unbilled;
	double billed_usd;
	RateRing rate;
	double cpu;           /* sum of its threads' shares in the latest sample */
	char *last_message;
	int64_t last_message_ms;
	int last_command;     /* index in commands of the newest command aimed at it, -1 */
	int wait_prev, wait_next; /* model.c only: list of agents awaiting the same parent */
} ModelAgent;

typedef struct ModelTask {
	int runtime;
	int agent;            /* index in agents, -1 until that agent appears */
	char *id, *agent_id, *name, *kind, *parent, *error, *input, *output;
	char **deps;
	size_t ndeps;
	TaskStatus status;
	int64_t attempt;
	int64_t created_ts, started_ts, ended_ts;   /* runtime clock; 0 unknown */
	int64_t created_ms, status_ms;
	int last_command;
	int wait_prev, wait_next; /* model.c only: list of tasks awaiting the same agent */
} ModelTask;

typedef struct ModelUsage {
	int runtime;
	char *agent, *provider, *model;
	Tokens tokens, unbilled;  /* unbilled: tokens of calls with no cost_usd */
	double billed_usd;
	uint64_t calls;
	RateRing rate;
} ModelUsage;

typedef enum LineKind {
	LINE_MESSAGE,
	LINE_LOG,
	LINE_ACK,
	LINE_COMMAND,   /* a command this client sent */
	LINE_LOCAL,     /* swarmtop's own notices: rejects, gaps, connection changes */
	LINE_KIND_COUNT
} LineKind;

typedef struct ModelLine {
	int runtime;
	LineKind kind;
	int sub;          /* MessageRole for messages, LogLevel for logs and locals, AckStatus for
	                     acks, CmdState for commands */
	int64_t ts;       /* runtime clock, or now_ms for local lines */
	char *agent, *task;
	char *text;
} ModelLine;

typedef enum CmdState {
	CMD_SENT,
	CMD_ACCEPTED,
	CMD_APPLIED,
	CMD_REJECTED,
	CMD_UNANSWERED,
	CMD_REFUSED,      /* refused locally: read-only, no capability, replay */
	CMD_STATE_COUNT
} CmdState;

extern const char *const cmd_state_names[CMD_STATE_COUNT];

typedef struct ModelCommand {
	char id[64];
	int runtime;
	CommandAction action;
	TargetKind target_kind;
	char *target, *text, *reason, *who, *error;
	CmdState state;
	int64_t sent_ms, acked_ms;
} ModelCommand;

typedef struct ModelGap {
	int runtime;
	char *instance;
	int64_t from, to;   /* seqs lost, inclusive */
	int64_t at_ms;
} ModelGap;

typedef struct Model {
	ModelRuntime *runtimes;
	size_t nruntimes, cap_runtimes;
	ModelAgent *agents;
	size_t nagents, cap_agents;
	ModelTask *tasks;
	size_t ntasks, cap_tasks;
	ModelUsage *usage;
	size_t nusage, cap_usage;
	ModelLine *lines;          /* ring of MODEL_LINES_MAX */
	size_t lines_head, nlines; /* oldest at (head - nlines) mod MAX */
	uint64_t lines_total;      /* ever appended */
	ModelCommand *commands;
	size_t ncommands, cap_commands;
	ModelGap *gaps;
	size_t ngaps, cap_gaps;
	StrMap agent_map, task_map, usage_map, command_map;
	Tokens tokens, unbilled;   /* everything */
	double billed_usd;
	RateRing rate;             /* all tokens per second */
	uint64_t events;           /* events applied */
	unsigned generation;       /* bumped on every change: cheap "did anything change" */
	StrMap agent_wait, task_wait; /* model.c only: awaited agent key -> first waiter */
	size_t tasks_evict_at;     /* model.c only: task count that triggers the next eviction */
	size_t agents_final;       /* model.c only: agents completed, failed or canceled */
	unsigned reindexed;        /* bumped whenever agents or tasks move to other indices */
} Model;

/* What model_apply did with an event beyond dirtying state. */
typedef struct ApplyInfo {
	bool duplicate;          /* seq <= last applied: ignored, do not store */
	bool new_instance;       /* hello announced a different instance */
	bool gap;                /* a gap was recorded */
	int64_t gap_from, gap_to;
} ApplyInfo;

/* A new, empty model. NULL when out of memory. */
Model *model_new(void);

/* Free the model and everything it owns. */
void model_free(Model *m);

/* Add a runtime slot for a source (URL or label); returns its index. */
int model_add_runtime(Model *m, const char *url, int64_t now_ms);

/* Apply one decoded event from runtime rt at time now_ms; returns DIRTY_* bits.
 * info (may be NULL) says whether it was a duplicate or opened a gap. */
unsigned model_apply(Model *m, int rt, const Event *ev, int64_t now_ms, ApplyInfo *info);

/* Record a rejected message (counted; reason kept and logged as a local line). */
unsigned model_reject(Model *m, int rt, const char *reason, int64_t now_ms);

/* Set a runtime's connection state (reason may be NULL; retry_at_ms for reconnecting). */
unsigned model_set_conn(Model *m, int rt, ConnState st, const char *reason,
                        int64_t retry_at_ms, int64_t now_ms);

/* The client subscribed from seq since (it already holds 1..since, e.g. stored by an
 * earlier run): move last_seq forward so those seqs are not announced as lost. */
void model_resume_from(Model *m, int rt, int64_t since);

/* Append one of swarmtop's own notices to the line ring. */
unsigned model_note(Model *m, int rt, LogLevel level, const char *text, int64_t now_ms);

/* Record a command as sent (state CMD_SENT) or refused locally (CMD_REFUSED with error).
 * Returns its index in commands. */
int model_command(Model *m, int rt, const Command *cmd, const char *who, CmdState st,
                  const char *error, int64_t now_ms);

/* Time passes: unanswered commands, rate windows. Returns DIRTY_* bits. */
unsigned model_tick(Model *m, int64_t now_ms);

/* Index of an agent/task of runtime rt by id, or -1. */
int model_find_agent(const Model *m, int rt, const char *id);
int model_find_task(const Model *m, int rt, const char *id);

/* Index of a runtime by hello id, or -1. */
int model_find_runtime(const Model *m, const char *id);

/* The i-th line counted from the oldest kept (0 <= i < nlines). */
const ModelLine *model_line(const Model *m, size_t i);

/* The i-th per-core history sample of core c, oldest first (0 <= i < hist_len). */
float model_core_sample(const ModelRuntime *r, size_t c, int i);

/* True when a working agent has had no event for stuck_ms. */
bool model_agent_stuck(const ModelAgent *a, int64_t now_ms, int64_t stuck_ms);

/* Canonical text dump of the model's state (sorted, no wall-clock fields), for
 * determinism tests. Runtimes are named by hello id, not slot; connection state,
 * URLs, rates and this client's own lines (LINE_LOCAL, LINE_COMMAND) are left out,
 * since they differ between a live session and its replay. Returns a malloc'd
 * NUL-terminated string (NULL when out of memory). */
char *model_dump(const Model *m);

/* A deep copy of m (model_copy.c): folding either afterwards never affects the other.
 * NULL when out of memory. */
Model *model_clone(const Model *m);

/* An estimate of the heap bytes m owns (model_copy.c): what a clone of it costs. */
size_t model_bytes(const Model *m);

#endif
