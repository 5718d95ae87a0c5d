/*
 * event.c: the name tables of protocol v1's enumerations and lookups in them.
 * Pure: no I/O.
 */
#include "swarmtop/event.h"

#include <string.h>

const char *const event_type_names[EV_COUNT] = {
	[EV_HELLO] = "hello",       [EV_AGENT] = "agent",     [EV_TASK] = "task",
	[EV_USAGE] = "usage",       [EV_THREADS] = "threads", [EV_MESSAGE] = "message",
	[EV_LOG] = "log",           [EV_ACK] = "ack",         [EV_SNAPSHOT] = "snapshot",
	[EV_UNKNOWN] = "unknown",
};

const char *const agent_status_names[AGENT_STATUS_COUNT] = {
	[AGENT_IDLE] = "idle",           [AGENT_WORKING] = "working",
	[AGENT_INPUT_REQUIRED] = "input-required", [AGENT_PAUSED] = "paused",
	[AGENT_COMPLETED] = "completed", [AGENT_FAILED] = "failed",
	[AGENT_CANCELED] = "canceled",
};

const char *const task_status_names[TASK_STATUS_COUNT] = {
	[TASK_SUBMITTED] = "submitted",  [TASK_WORKING] = "working",
	[TASK_INPUT_REQUIRED] = "input-required", [TASK_PAUSED] = "paused",
	[TASK_COMPLETED] = "completed",  [TASK_FAILED] = "failed",
	[TASK_CANCELED] = "canceled",    [TASK_REJECTED] = "rejected",
};

const char *const message_role_names[ROLE_COUNT] = {
	[ROLE_USER] = "user", [ROLE_ASSISTANT] = "assistant", [ROLE_SYSTEM] = "system",
	[ROLE_TOOL] = "tool", [ROLE_OPERATOR] = "operator",
};

const char *const log_level_names[LOG_LEVEL_COUNT] = {
	[LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_WARN] = "warn", [LOG_ERROR] = "error",
};

const char *const ack_status_names[ACK_STATUS_COUNT] = {
	[ACK_ACCEPTED] = "accepted", [ACK_APPLIED] = "applied", [ACK_REJECTED] = "rejected",
};

const char *const command_action_names[ACTION_COUNT] = {
	[ACTION_PAUSE] = "pause",   [ACTION_RESUME] = "resume", [ACTION_RETRY] = "retry",
	[ACTION_CANCEL] = "cancel", [ACTION_INJECT] = "inject",
};

const char *const target_kind_names[TARGET_KIND_COUNT] = {
	[TARGET_RUNTIME] = "runtime", [TARGET_AGENT] = "agent", [TARGET_TASK] = "task",
};

/* Look a name up in one of the tables above; returns its index or -1. */
int event_name_lookup(const char *const *table, int count, const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < count; i++)
		if (table[i] != NULL && strcmp(table[i], name) == 0)
			return i;
	return -1;
}

/* True when an agent in this status needs no more work (completed, failed, canceled). */
bool agent_status_is_final(AgentStatus s)
{
	return s == AGENT_COMPLETED || s == AGENT_FAILED || s == AGENT_CANCELED;
}

/* True when a task in this status is finished (completed, failed, canceled, rejected). */
bool task_status_is_final(TaskStatus s)
{
	return s == TASK_COMPLETED || s == TASK_FAILED || s == TASK_CANCELED || s == TASK_REJECTED;
}
