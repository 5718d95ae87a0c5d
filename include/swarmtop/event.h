/*
 * event.h: the Event tagged union (runtime -> client) and the Command
 * (client -> runtime) of protocol v1, plus the enumerations they use and the
 * tables that name them.
 *
 * An Event never owns its strings: they point into the Arena that the decoder
 * was given (or into fixture memory in tests). A string field that is NULL
 * was absent on the wire. Integer fields that may be absent have a bit in the
 * struct's `has` mask.
 *
 * Pure: no I/O, no clock.
 */
#ifndef SWARMTOP_EVENT_H
#define SWARMTOP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits from the spec, section 2. */
#define EVENT_ID_MAX    128       /* identifiers: 1..128 bytes */
#define EVENT_NAME_MAX  256       /* names */
#define EVENT_TEXT_MAX  65536     /* free text */
#define EVENT_MAX_DEPS  1024      /* deps kept per task (more are dropped, counted) */
#define EVENT_MAX_CORES 1024      /* cores kept per threads sample */
#define EVENT_MAX_THREADS 4096    /* threads kept per threads sample */
#define EVENT_SAFE_INT  9007199254740992LL /* 2^53: largest exact JSON integer */

typedef enum EventType {
	EV_HELLO,
	EV_AGENT,
	EV_TASK,
	EV_USAGE,
	EV_THREADS,
	EV_MESSAGE,
	EV_LOG,
	EV_ACK,
	EV_SNAPSHOT,
	EV_UNKNOWN,   /* a well-formed envelope with a type this client does not know */
	EV_COUNT
} EventType;

typedef enum AgentStatus {
	AGENT_IDLE,
	AGENT_WORKING,
	AGENT_INPUT_REQUIRED,
	AGENT_PAUSED,
	AGENT_COMPLETED,
	AGENT_FAILED,
	AGENT_CANCELED,
	AGENT_STATUS_COUNT
} AgentStatus;

typedef enum TaskStatus {
	TASK_SUBMITTED,
	TASK_WORKING,
	TASK_INPUT_REQUIRED,
	TASK_PAUSED,
	TASK_COMPLETED,
	TASK_FAILED,
	TASK_CANCELED,
	TASK_REJECTED,
	TASK_STATUS_COUNT
} TaskStatus;

typedef enum MessageRole {
	ROLE_USER,
	ROLE_ASSISTANT,
	ROLE_SYSTEM,
	ROLE_TOOL,
	ROLE_OPERATOR,
	ROLE_COUNT
} MessageRole;

typedef enum LogLevel {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
	LOG_LEVEL_COUNT
} LogLevel;

typedef enum AckStatus {
	ACK_ACCEPTED,
	ACK_APPLIED,
	ACK_REJECTED,
	ACK_STATUS_COUNT
} AckStatus;

typedef enum CommandAction {
	ACTION_PAUSE,
	ACTION_RESUME,
	ACTION_RETRY,
	ACTION_CANCEL,
	ACTION_INJECT,
	ACTION_COUNT
} CommandAction;

/* Capability bits in EvHello.capabilities: 1u << CommandAction. */
#define CAP_BIT(action) (1u << (action))

typedef enum TargetKind {
	TARGET_RUNTIME,   /* {} : the whole runtime */
	TARGET_AGENT,
	TARGET_TASK,
	TARGET_KIND_COUNT
} TargetKind;

/* Presence bits for optional scalar fields. */
enum {
	HAS_STATUS        = 1u << 0,
	HAS_PARENT        = 1u << 1,  /* parent key present; parent == NULL means JSON null */
	HAS_DEPS          = 1u << 2,
	HAS_ATTEMPT       = 1u << 3,
	HAS_ERROR         = 1u << 4,  /* error key present; error == NULL means JSON null */
	HAS_INPUT         = 1u << 5,
	HAS_OUTPUT        = 1u << 6,
	HAS_COST          = 1u << 7,
	HAS_PID           = 1u << 8,
	HAS_CORES         = 1u << 9,
	HAS_FREE_THREADED = 1u << 10,
	HAS_STARTED_TS    = 1u << 11,
	HAS_CORE          = 1u << 12,
	HAS_CPU           = 1u << 13,
	HAS_INTERVAL      = 1u << 14,
};

typedef struct EvHello {
	int64_t proto;
	const char *id;          /* runtime.id, required */
	const char *instance;    /* runtime.instance, required */
	const char *name, *host, *lang, *lang_version;
	int64_t pid;
	int64_t cores;
	bool free_threaded;
	int64_t started_ts;
	unsigned capabilities;   /* CAP_BIT(ACTION_...) */
	int64_t last_seq;
	unsigned has;
} EvHello;

typedef struct EvAgent {
	const char *id;          /* required */
	const char *name, *role, *model, *parent;
	AgentStatus status;
	unsigned has;
} EvAgent;

typedef struct EvTask {
	const char *id;          /* required */
	const char *agent, *name, *kind, *parent, *error, *input, *output;
	const char **deps;
	size_t ndeps;
	TaskStatus status;
	int64_t attempt;
	unsigned has;
} EvTask;

typedef struct EvUsage {
	const char *agent, *task, *provider, *model;
	int64_t input_tokens, output_tokens;
	int64_t cache_read_tokens, cache_write_tokens, reasoning_tokens;
	double cost_usd;
	unsigned has;            /* HAS_COST */
} EvUsage;

typedef struct EvThread {
	int64_t tid;
	const char *name, *agent, *task;
	int64_t core;
	double cpu;
	unsigned has;            /* HAS_CORE, HAS_CPU */
} EvThread;

typedef struct EvThreads {
	int64_t interval_ms;
	const double *cores;
	size_t ncores;
	const EvThread *threads;
	size_t nthreads;
	unsigned has;            /* HAS_INTERVAL */
} EvThreads;

typedef struct EvMessage {
	const char *agent, *task, *id, *text;
	MessageRole role;
} EvMessage;

typedef struct EvLog {
	LogLevel level;
	const char *text, *agent, *task;
} EvLog;

typedef struct EvAck {
	const char *command;
	AckStatus status;
	const char *error;
} EvAck;

typedef struct EvSnapshot {
	const EvAgent *agents;
	size_t nagents;
	const EvTask *tasks;
	size_t ntasks;
	const EvUsage *usage;    /* totals, not deltas */
	size_t nusage;
} EvSnapshot;

typedef struct Event {
	EventType type;
	int64_t seq;             /* 0 for hello */
	int64_t ts;              /* 0 for hello */
	const char *type_name;   /* the wire type string (for EV_UNKNOWN, logs) */
	union {
		EvHello hello;
		EvAgent agent;
		EvTask task;
		EvUsage usage;
		EvThreads threads;
		EvMessage message;
		EvLog log;
		EvAck ack;
		EvSnapshot snapshot;
	} u;
} Event;

typedef struct Command {
	char id[64];
	CommandAction action;
	TargetKind target_kind;
	char target[EVENT_ID_MAX + 1];   /* empty for TARGET_RUNTIME */
	const char *text;                /* inject text, or NULL */
	const char *reason;              /* audit reason, or NULL */
} Command;

/* Name tables: index by enum, NULL-free, sentinel-sized. */
extern const char *const event_type_names[EV_COUNT];
extern const char *const agent_status_names[AGENT_STATUS_COUNT];
extern const char *const task_status_names[TASK_STATUS_COUNT];
extern const char *const message_role_names[ROLE_COUNT];
extern const char *const log_level_names[LOG_LEVEL_COUNT];
extern const char *const ack_status_names[ACK_STATUS_COUNT];
extern const char *const command_action_names[ACTION_COUNT];
extern const char *const target_kind_names[TARGET_KIND_COUNT];

/* Look a name up in one of the tables above; returns its index or -1. */
int event_name_lookup(const char *const *table, int count, const char *name);

/* True when an agent in this status needs no more work (completed, failed, canceled). */
bool agent_status_is_final(AgentStatus s);

/* True when a task in this status is finished (completed, failed, canceled, rejected). */
bool task_status_is_final(TaskStatus s);

#endif
