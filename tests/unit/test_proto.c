/*
 * test_proto.c: the protocol v1 decoder and encoders. Every event type is
 * decoded from a fixture in tests/fixtures/v1; every required field is removed
 * in turn, values are replaced by wrong types and out-of-range numbers, and
 * each rejection must name the field. Encoded commands are parsed back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "swarmtop/proto.h"
#include "swarmtop/sanitize.h"
#include "testutil.h"

static Arena arena;

/* Decode a NUL-terminated string. */
static ProtoResult dec(const char *json, Event *ev, char *err)
{
	arena_reset(&arena);
	return proto_decode(json, strlen(json), ev, &arena, err);
}

/* Decode a fixture file, asserting success. */
static void dec_fixture_ok(const char *name, Event *ev)
{
	size_t len;
	char err[PROTO_ERR_MAX];
	char *buf = test_fixture("v1", name, &len);

	arena_reset(&arena);
	if (proto_decode(buf, len, ev, &arena, err) != PROTO_OK)
		fail_msg("%s: %s", name, err);
	free(buf);
}

/* Find the parent and key of a dotted path ("task.deps.1") in a cJSON tree. */
static cJSON *walk(cJSON *root, const char *path, char *last, size_t cap)
{
	char buf[128];
	char *save = NULL, *tok, *next;
	cJSON *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while (tok != NULL) {
		next = strtok_r(NULL, ".", &save);
		if (next == NULL) {
			snprintf(last, cap, "%s", tok);
			return cur;
		}
		if (cJSON_IsArray(cur))
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
		assert_non_null(cur);
		tok = next;
	}
	fail_msg("bad path %s", path);
	return NULL;
}

/* Load a fixture, set path to the JSON value repl (NULL: remove it), decode; return result. */
static ProtoResult dec_modified(const char *fixture, const char *path, const char *repl,
                                Event *ev, char *err)
{
	size_t len;
	char *buf = test_fixture("v1", fixture, &len), last[64];
	cJSON *root = cJSON_Parse(buf), *parent;
	char *out;
	ProtoResult rc;

	assert_non_null(root);
	parent = walk(root, path, last, sizeof(last));
	if (cJSON_IsArray(parent)) {
		int idx = atoi(last);
		if (repl == NULL)
			cJSON_DeleteItemFromArray(parent, idx);
		else
			assert_true(cJSON_ReplaceItemInArray(parent, idx, cJSON_CreateRaw(repl)));
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
		/* Raw: the replacement text goes out verbatim (cJSON prints doubles lossily). */
		if (repl != NULL)
			cJSON_AddItemToObject(parent, last, cJSON_CreateRaw(repl));
	}
	out = cJSON_PrintUnformatted(root);
	rc = dec(out, ev, err);
	cJSON_free(out);
	cJSON_Delete(root);
	free(buf);
	return rc;
}

/* Assert that err contains want. */
static void assert_err_has(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

/* ---- every event type from its fixture ---- */

/* The hello fixture decodes every runtime field, capability and presence bit. */
static void test_hello(void **state)
{
	Event ev;
	const EvHello *h = &ev.u.hello;
	(void)state;
	dec_fixture_ok("hello.json", &ev);
	assert_int_equal(ev.type, EV_HELLO);
	assert_int_equal(ev.seq, 0);
	assert_int_equal(h->proto, 1);
	assert_string_equal(h->id, "billing-agents");
	assert_string_equal(h->instance, "5f0c2a9e");
	assert_string_equal(h->name, "Billing agents");
	assert_string_equal(h->host, "gpu-7");
	assert_string_equal(h->lang, "python");
	assert_string_equal(h->lang_version, "3.14.0");
	assert_int_equal(h->pid, 4121);
	assert_int_equal(h->cores, 16);
	assert_true(h->free_threaded);
	assert_int_equal(h->started_ts, 1764299000000LL);
	assert_int_equal(h->last_seq, 41);
	assert_int_equal(h->capabilities, CAP_BIT(ACTION_PAUSE) | CAP_BIT(ACTION_RESUME) |
	                 CAP_BIT(ACTION_RETRY) | CAP_BIT(ACTION_CANCEL) | CAP_BIT(ACTION_INJECT));
	assert_int_equal(h->has & (HAS_PID | HAS_CORES | HAS_FREE_THREADED | HAS_STARTED_TS),
	                 HAS_PID | HAS_CORES | HAS_FREE_THREADED | HAS_STARTED_TS);
}

/* A minimal hello: proto defaults to 1, unknown capabilities are ignored. */
static void test_hello_minimal(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	assert_int_equal(dec("{\"type\":\"hello\",\"runtime\":{\"id\":\"r\",\"instance\":\"i\"},"
	                     "\"capabilities\":[\"pause\",\"teleport\"],\"last_seq\":0}", &ev, err),
	                 PROTO_OK);
	assert_int_equal(ev.u.hello.proto, 1);   /* absent proto means 1 */
	assert_int_equal(ev.u.hello.capabilities, CAP_BIT(ACTION_PAUSE)); /* unknown ignored */
	assert_null(ev.u.hello.name);
	assert_int_equal(ev.u.hello.has & HAS_PID, 0);
}

/* The agent fixture decodes, with a null parent kept as a value. */
static void test_agent(void **state)
{
	Event ev;
	const EvAgent *a = &ev.u.agent;
	(void)state;
	dec_fixture_ok("agent.json", &ev);
	assert_int_equal(ev.type, EV_AGENT);
	assert_string_equal(ev.type_name, "agent");
	assert_int_equal(ev.seq, 1);
	assert_int_equal(ev.ts, 1764300000001LL);
	assert_string_equal(a->id, "planner");
	assert_string_equal(a->name, "Planner");
	assert_string_equal(a->role, "plans work");
	assert_string_equal(a->model, "gpt-5");
	assert_null(a->parent);
	assert_true(a->has & HAS_PARENT);   /* null parent is a value: a root agent */
	assert_true(a->has & HAS_STATUS);
	assert_int_equal(a->status, AGENT_WORKING);
}

/* The task fixture decodes deps, parent, attempt and the null/absent distinctions. */
static void test_task(void **state)
{
	Event ev;
	const EvTask *t = &ev.u.task;
	(void)state;
	dec_fixture_ok("task.json", &ev);
	assert_int_equal(ev.type, EV_TASK);
	assert_string_equal(t->id, "t-17");
	assert_string_equal(t->agent, "researcher");
	assert_string_equal(t->name, "search: vendor pricing");
	assert_string_equal(t->kind, "tool");
	assert_int_equal(t->status, TASK_WORKING);
	assert_int_equal(t->ndeps, 2);
	assert_string_equal(t->deps[0], "t-12");
	assert_string_equal(t->deps[1], "t-15");
	assert_string_equal(t->parent, "t-3");
	assert_int_equal(t->attempt, 1);
	assert_null(t->error);
	assert_string_equal(t->input, "query=...");
	assert_null(t->output);
	assert_int_equal(t->has, HAS_STATUS | HAS_DEPS | HAS_PARENT | HAS_ATTEMPT | HAS_ERROR |
	                 HAS_INPUT);
}

/* A task with only an id has no presence bits; an empty deps list is present. */
static void test_task_minimal(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	assert_int_equal(dec("{\"type\":\"task\",\"seq\":1,\"ts\":0,\"task\":{\"id\":\"t\"}}", &ev,
	                     err), PROTO_OK);
	assert_int_equal(ev.u.task.has, 0);
	assert_null(ev.u.task.deps);
	assert_int_equal(ev.u.task.ndeps, 0);
	/* An empty deps list is present and empty (it replaces the previous list). */
	assert_int_equal(dec("{\"type\":\"task\",\"seq\":1,\"ts\":0,"
	                     "\"task\":{\"id\":\"t\",\"deps\":[]}}", &ev, err), PROTO_OK);
	assert_true(ev.u.task.has & HAS_DEPS);
	assert_int_equal(ev.u.task.ndeps, 0);
}

/* The usage fixture decodes; cost presence and exact large counts. */
static void test_usage(void **state)
{
	Event ev;
	const EvUsage *u = &ev.u.usage;
	char err[PROTO_ERR_MAX];
	(void)state;
	dec_fixture_ok("usage.json", &ev);
	assert_int_equal(ev.type, EV_USAGE);
	assert_string_equal(u->agent, "researcher");
	assert_string_equal(u->task, "t-17");
	assert_string_equal(u->provider, "openai");
	assert_string_equal(u->model, "gpt-5");
	assert_int_equal(u->input_tokens, 1200);
	assert_int_equal(u->output_tokens, 350);
	assert_int_equal(u->cache_read_tokens, 800);
	assert_int_equal(u->cache_write_tokens, 0);
	assert_int_equal(u->reasoning_tokens, 120);
	assert_int_equal(u->has & HAS_COST, 0);     /* null cost: estimate it */
	assert_int_equal(dec_modified("usage.json", "cost_usd", "0.0125", &ev, err), PROTO_OK);
	assert_true(u->has & HAS_COST);
	assert_true(u->cost_usd > 0.0124 && u->cost_usd < 0.0126);
	/* Large token counts are exact 64-bit values, far beyond valueint's 2^31-1. */
	assert_int_equal(dec_modified("usage.json", "input_tokens", "9007199254740991", &ev, err),
	                 PROTO_OK);
	assert_int_equal(u->input_tokens, 9007199254740991LL);
	assert_int_equal(dec_modified("usage.json", "output_tokens", "3000000000", &ev, err),
	                 PROTO_OK);
	assert_int_equal(u->output_tokens, 3000000000LL);
}

/* The threads fixture decodes cores and per-thread samples. */
static void test_threads(void **state)
{
	Event ev;
	const EvThreads *t = &ev.u.threads;
	(void)state;
	dec_fixture_ok("threads.json", &ev);
	assert_int_equal(ev.type, EV_THREADS);
	assert_true(t->has & HAS_INTERVAL);
	assert_int_equal(t->interval_ms, 1000);
	assert_int_equal(t->ncores, 4);
	assert_true(t->cores[0] > 0.919 && t->cores[0] < 0.921);
	assert_true(t->cores[3] > 0.049 && t->cores[3] < 0.051);
	assert_int_equal(t->nthreads, 2);
	assert_int_equal(t->threads[0].tid, 4122);
	assert_string_equal(t->threads[0].name, "worker-0");
	assert_int_equal(t->threads[0].core, 0);
	assert_true(t->threads[0].has & HAS_CORE);
	assert_true(t->threads[0].has & HAS_CPU);
	assert_string_equal(t->threads[0].agent, "researcher");
	assert_string_equal(t->threads[0].task, "t-17");
	assert_int_equal(t->threads[1].tid, 4123);
	assert_null(t->threads[1].task);
	assert_int_equal(t->threads[1].core, 1);
}

/* Utilization overshoot up to 1.05 is clamped; beyond it or negative is rejected. */
static void test_threads_clamp(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	/* Overshoot up to 1.05 is rounding noise: clamped to exactly 1. */
	assert_int_equal(dec_modified("threads.json", "cores", "[1.0, 1.04, 1.05, 0]", &ev, err),
	                 PROTO_OK);
	assert_true(ev.u.threads.cores[1] == 1.0);
	assert_true(ev.u.threads.cores[2] == 1.0);
	assert_int_equal(dec_modified("threads.json", "threads.0.cpu", "1.02", &ev, err), PROTO_OK);
	assert_true(ev.u.threads.threads[0].cpu == 1.0);
	/* Beyond that, or negative: rejected naming the element. */
	assert_int_equal(dec_modified("threads.json", "cores", "[0.5, 1.06]", &ev, err),
	                 PROTO_REJECT);
	assert_err_has(err, "threads: 'cores[1]' must be a number in 0..1");
	assert_int_equal(dec_modified("threads.json", "cores", "[-0.01]", &ev, err), PROTO_REJECT);
	assert_err_has(err, "'cores[0]'");
	assert_int_equal(dec_modified("threads.json", "cores", "[1e999]", &ev, err), PROTO_REJECT);
	assert_int_equal(dec_modified("threads.json", "threads.1.cpu", "-1", &ev, err),
	                 PROTO_REJECT);
	assert_err_has(err, "'threads[1].cpu'");
	/* Empty sample is valid. */
	assert_int_equal(dec("{\"type\":\"threads\",\"seq\":1,\"ts\":1}", &ev, err), PROTO_OK);
	assert_int_equal(ev.u.threads.ncores, 0);
	assert_int_equal(ev.u.threads.nthreads, 0);
}

/* The message, log and both ack fixtures decode. */
static void test_message_log_ack(void **state)
{
	Event ev;
	(void)state;
	dec_fixture_ok("message.json", &ev);
	assert_int_equal(ev.type, EV_MESSAGE);
	assert_string_equal(ev.u.message.agent, "planner");
	assert_string_equal(ev.u.message.task, "t-3");
	assert_string_equal(ev.u.message.id, "m-9");
	assert_int_equal(ev.u.message.role, ROLE_ASSISTANT);
	assert_string_equal(ev.u.message.text, "I will split this into three steps.");

	dec_fixture_ok("log.json", &ev);
	assert_int_equal(ev.type, EV_LOG);
	assert_int_equal(ev.u.log.level, LOG_WARN);
	assert_string_equal(ev.u.log.text, "rate limited, backing off 2s");
	assert_string_equal(ev.u.log.agent, "coder");
	assert_null(ev.u.log.task);

	dec_fixture_ok("ack.json", &ev);
	assert_int_equal(ev.type, EV_ACK);
	assert_string_equal(ev.u.ack.command, "c-3");
	assert_int_equal(ev.u.ack.status, ACK_ACCEPTED);
	assert_null(ev.u.ack.error);

	dec_fixture_ok("ack_rejected.json", &ev);
	assert_int_equal(ev.u.ack.status, ACK_REJECTED);
	assert_string_equal(ev.u.ack.error,
	                    "task t-9 is working; only failed or canceled tasks can be retried");
}

/* The snapshot fixture decodes its agents, tasks and usage through the item validators. */
static void test_snapshot(void **state)
{
	Event ev;
	const EvSnapshot *s = &ev.u.snapshot;
	(void)state;
	dec_fixture_ok("snapshot.json", &ev);
	assert_int_equal(ev.type, EV_SNAPSHOT);
	assert_int_equal(ev.seq, 120);
	assert_int_equal(s->nagents, 2);
	assert_string_equal(s->agents[0].id, "planner");
	assert_int_equal(s->agents[0].status, AGENT_WORKING);
	assert_string_equal(s->agents[1].parent, "planner");
	assert_int_equal(s->agents[1].has & HAS_PARENT, HAS_PARENT);
	assert_int_equal(s->agents[0].has & HAS_PARENT, 0);
	assert_int_equal(s->ntasks, 3);
	assert_string_equal(s->tasks[1].id, "t-17");
	assert_int_equal(s->tasks[1].ndeps, 1);
	assert_string_equal(s->tasks[1].deps[0], "t-3");
	assert_int_equal(s->tasks[1].status, TASK_SUBMITTED);
	assert_true(s->tasks[2].has & HAS_ERROR);
	assert_int_equal(s->tasks[2].has & HAS_STATUS, 0);
	assert_int_equal(s->nusage, 1);
	assert_int_equal(s->usage[0].input_tokens, 50000);
	assert_int_equal(s->usage[0].reasoning_tokens, 2000);
	assert_null(s->usage[0].task);
}

/* A snapshot without lists is valid and empty. */
static void test_snapshot_empty(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	assert_int_equal(dec("{\"type\":\"snapshot\",\"seq\":5,\"ts\":5}", &ev, err), PROTO_OK);
	assert_int_equal(ev.u.snapshot.nagents + ev.u.snapshot.ntasks + ev.u.snapshot.nusage, 0);
}

/* Unknown types are EV_UNKNOWN (skipped, counted), keeping a valid seq. */
static void test_unknown_type(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	dec_fixture_ok("unknown_type.json", &ev);
	assert_int_equal(ev.type, EV_UNKNOWN);
	assert_string_equal(ev.type_name, "heartbeat");
	assert_int_equal(ev.seq, 9);     /* kept so the caller does not see a gap */
	/* Without a usable seq it is still skipped, not rejected. */
	assert_int_equal(dec("{\"type\":\"future\",\"seq\":\"x\"}", &ev, err), PROTO_OK);
	assert_int_equal(ev.type, EV_UNKNOWN);
	assert_int_equal(ev.seq, 0);
	/* AG-UI types on a v1 connection are unknown v1 types. */
	dec_fixture_ok("agui_run_started.json", &ev);
	assert_int_equal(ev.type, EV_UNKNOWN);
	/* The internal name "unknown" is not a wire type that decodes as anything else. */
	assert_int_equal(dec("{\"type\":\"unknown\",\"seq\":3,\"ts\":1}", &ev, err), PROTO_OK);
	assert_int_equal(ev.type, EV_UNKNOWN);
}

/* ---- rejection paths ---- */

typedef struct Missing {
	const char *fixture, *path, *want;
} Missing;

static const Missing missing_cases[] = {
	{ "hello.json", "runtime", "hello: 'runtime' is missing" },
	{ "hello.json", "runtime.id", "hello: 'runtime.id' is missing" },
	{ "hello.json", "runtime.instance", "hello: 'runtime.instance' is missing" },
	{ "hello.json", "capabilities", "hello: 'capabilities' is missing" },
	{ "hello.json", "last_seq", "hello: 'last_seq' is missing" },
	{ "agent.json", "type", "'type' is missing" },
	{ "agent.json", "seq", "agent: 'seq' is missing" },
	{ "agent.json", "ts", "agent: 'ts' is missing" },
	{ "agent.json", "agent", "agent: 'agent' is missing" },
	{ "agent.json", "agent.id", "agent: 'agent.id' is missing" },
	{ "task.json", "seq", "task: 'seq' is missing" },
	{ "task.json", "ts", "task: 'ts' is missing" },
	{ "task.json", "task", "task: 'task' is missing" },
	{ "task.json", "task.id", "task: 'task.id' is missing" },
	{ "usage.json", "seq", "usage: 'seq' is missing" },
	{ "usage.json", "ts", "usage: 'ts' is missing" },
	{ "usage.json", "input_tokens", "usage: 'input_tokens' is missing" },
	{ "usage.json", "output_tokens", "usage: 'output_tokens' is missing" },
	{ "threads.json", "seq", "threads: 'seq' is missing" },
	{ "threads.json", "ts", "threads: 'ts' is missing" },
	{ "threads.json", "threads.1.tid", "threads: 'threads[1].tid' is missing" },
	{ "message.json", "seq", "message: 'seq' is missing" },
	{ "message.json", "ts", "message: 'ts' is missing" },
	{ "message.json", "role", "message: 'role' is missing" },
	{ "message.json", "text", "message: 'text' is missing" },
	{ "log.json", "seq", "log: 'seq' is missing" },
	{ "log.json", "ts", "log: 'ts' is missing" },
	{ "log.json", "level", "log: 'level' is missing" },
	{ "log.json", "text", "log: 'text' is missing" },
	{ "ack.json", "seq", "ack: 'seq' is missing" },
	{ "ack.json", "ts", "ack: 'ts' is missing" },
	{ "ack.json", "command", "ack: 'command' is missing" },
	{ "ack.json", "status", "ack: 'status' is missing" },
	{ "snapshot.json", "seq", "snapshot: 'seq' is missing" },
	{ "snapshot.json", "ts", "snapshot: 'ts' is missing" },
	{ "snapshot.json", "agents.1.id", "snapshot: 'agents[1].id' is missing" },
	{ "snapshot.json", "tasks.2.id", "snapshot: 'tasks[2].id' is missing" },
	{ "snapshot.json", "usage.0.output_tokens",
	  "snapshot: 'usage[0].output_tokens' is missing" },
};

/* Each required field removed (or null) in turn is rejected, naming it. */
static void test_required_missing(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof(missing_cases) / sizeof(missing_cases[0]); i++) {
		const Missing *m = &missing_cases[i];
		if (dec_modified(m->fixture, m->path, NULL, &ev, err) != PROTO_REJECT)
			fail_msg("%s without %s was accepted", m->fixture, m->path);
		assert_err_has(err, m->want);
		assert_int_equal(ev.type, 0);   /* ev is cleared on rejection */
		/* JSON null for a required field is the same as absent. */
		if (dec_modified(m->fixture, m->path, "null", &ev, err) != PROTO_REJECT)
			fail_msg("%s with %s null was accepted", m->fixture, m->path);
		assert_err_has(err, m->want);
	}
}

typedef struct Bad {
	const char *fixture, *path, *value, *want;
} Bad;

static const Bad bad_cases[] = {
	{ "agent.json", "type", "5", "'type' must be a non-empty string" },
	{ "agent.json", "type", "\"\"", "'type' must be a non-empty string" },
	{ "agent.json", "agent", "[]", "agent: 'agent' must be an object" },
	{ "agent.json", "agent.id", "17", "agent: 'agent.id' must be a string" },
	{ "agent.json", "agent.id", "\"\"", "agent: 'agent.id' must not be empty" },
	{ "agent.json", "agent.status", "\"sleeping\"",
	  "agent: 'agent.status' has unknown value \"sleeping\"" },
	{ "agent.json", "agent.status", "1", "agent: 'agent.status' must be a string" },
	{ "agent.json", "agent.parent", "{}", "agent: 'agent.parent' must be a string" },
	{ "agent.json", "agent.name", "true", "agent: 'agent.name' must be a string" },
	{ "task.json", "task.deps", "\"t-1\"", "task: 'task.deps' must be an array" },
	{ "task.json", "task.deps", "[\"a\", 3]",
	  "task: 'task.deps[1]' must be a non-empty string" },
	{ "task.json", "task.deps", "[\"\"]", "task: 'task.deps[0]' must be a non-empty string" },
	{ "task.json", "task.attempt", "1.5",
	  "task: 'task.attempt' must be a non-negative integer" },
	{ "task.json", "task.attempt", "-1",
	  "task: 'task.attempt' must be a non-negative integer" },
	{ "task.json", "task.status", "\"done\"",
	  "task: 'task.status' has unknown value \"done\"" },
	{ "task.json", "task.status", "\"\\u001b[31mx\"", "has unknown value \"?[31mx\"" },
	{ "task.json", "task.error", "42", "task: 'task.error' must be a string" },
	{ "usage.json", "input_tokens", "-1",
	  "usage: 'input_tokens' must be a non-negative integer" },
	{ "usage.json", "output_tokens", "\"5\"",
	  "usage: 'output_tokens' must be a non-negative integer" },
	{ "usage.json", "cache_read_tokens", "-3",
	  "usage: 'cache_read_tokens' must be a non-negative integer" },
	{ "usage.json", "cache_write_tokens", "0.5",
	  "usage: 'cache_write_tokens' must be a non-negative integer" },
	{ "usage.json", "reasoning_tokens", "1e300",
	  "usage: 'reasoning_tokens' must be a non-negative integer" },
	{ "usage.json", "input_tokens", "9007199254740992",
	  "usage: 'input_tokens' must be a non-negative integer" },
	{ "usage.json", "cost_usd", "-0.5", "usage: 'cost_usd' must be a non-negative number" },
	{ "usage.json", "cost_usd", "\"0.5\"", "usage: 'cost_usd' must be a non-negative number" },
	{ "log.json", "seq", "0", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "seq", "-4", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "seq", "1.5", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "seq", "\"7\"", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "seq", "9007199254740992", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "seq", "1e400", "log: 'seq' must be an integer >= 1" },
	{ "log.json", "ts", "-1", "log: 'ts' must be a non-negative integer" },
	{ "log.json", "ts", "1764300000006.5", "log: 'ts' must be a non-negative integer" },
	{ "log.json", "ts", "true", "log: 'ts' must be a non-negative integer" },
	{ "log.json", "level", "\"fatal\"", "log: 'level' has unknown value \"fatal\"" },
	{ "log.json", "text", "[]", "log: 'text' must be a string" },
	{ "message.json", "role", "\"robot\"", "message: 'role' has unknown value \"robot\"" },
	{ "message.json", "text", "null", "message: 'text' is missing" },
	{ "ack.json", "status", "\"done\"", "ack: 'status' has unknown value \"done\"" },
	{ "ack.json", "command", "\"\"", "ack: 'command' must not be empty" },
	{ "hello.json", "runtime", "\"r\"", "hello: 'runtime' must be an object" },
	{ "hello.json", "runtime.free_threaded", "1",
	  "hello: 'runtime.free_threaded' must be true or false" },
	{ "hello.json", "runtime.pid", "-1",
	  "hello: 'runtime.pid' must be a non-negative integer" },
	{ "hello.json", "capabilities", "[1]", "hello: 'capabilities[0]' must be a string" },
	{ "hello.json", "capabilities", "{}", "hello: 'capabilities' must be an array" },
	{ "hello.json", "proto", "2", "hello: 'proto' is 2 but this client speaks 1" },
	{ "hello.json", "proto", "\"1\"", "hello: 'proto' must be a non-negative integer" },
	{ "hello.json", "last_seq", "-1", "hello: 'last_seq' must be a non-negative integer" },
	{ "threads.json", "cores", "{}", "threads: 'cores' must be an array" },
	{ "threads.json", "threads.0", "5", "threads: 'threads[0]' must be an object" },
	{ "threads.json", "threads.0.tid", "1.25", "threads: 'threads[0].tid' must be a" },
	{ "threads.json", "interval_ms", "-1000", "threads: 'interval_ms' must be a non-negative" },
	{ "snapshot.json", "tasks", "{}", "snapshot: 'tasks' must be an array" },
	{ "snapshot.json", "tasks.0", "[]", "snapshot: 'tasks[0]' must be an object" },
	{ "snapshot.json", "agents.0.status", "\"zzz\"",
	  "snapshot: 'agents[0].status' has unknown value" },
	{ "snapshot.json", "tasks.1.deps", "[7]", "snapshot: 'tasks[1].deps[0]' must be a" },
	{ "snapshot.json", "usage.0.input_tokens", "-1",
	  "snapshot: 'usage[0].input_tokens' must be a non-negative integer" },
};

/* Wrong types, unknown enum values and out-of-range numbers are rejected, naming the field. */
static void test_wrong_values(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const Bad *b = &bad_cases[i];
		if (dec_modified(b->fixture, b->path, b->value, &ev, err) != PROTO_REJECT)
			fail_msg("%s with %s=%s was accepted", b->fixture, b->path, b->value);
		assert_err_has(err, b->want);
		assert_null(strchr(err, '\n'));
		assert_true(sanitize_is_clean(err, strlen(err)));
	}
}

/* Integers are exact up to 2^53 - 1 and rejected from 2^53 on. */
static void test_integer_limits(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	/* 2^53 - 1 is the largest integer accepted; 2^53 (or 2^53 + 1, which parses to it)
	 * is not. */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":9007199254740991,\"ts\":9007199254740991,"
	                     "\"level\":\"info\",\"text\":\"x\"}", &ev, err), PROTO_OK);
	assert_int_equal(ev.seq, 9007199254740991LL);
	assert_int_equal(ev.ts, 9007199254740991LL);
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":9007199254740993,\"ts\":1,"
	                     "\"level\":\"info\",\"text\":\"x\"}", &ev, err), PROTO_REJECT);
	assert_err_has(err, "'seq'");
	/* An integral value written with an exponent or ".0" is still that integer. */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":1e3,\"ts\":2.0,"
	                     "\"level\":\"info\",\"text\":\"x\"}", &ev, err), PROTO_OK);
	assert_int_equal(ev.seq, 1000);
	assert_int_equal(ev.ts, 2);
	/* 2^31 and beyond survive exactly (cJSON's valueint would saturate). */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":4294967297,\"ts\":1,"
	                     "\"level\":\"info\",\"text\":\"x\"}", &ev, err), PROTO_OK);
	assert_int_equal(ev.seq, 4294967297LL);
}

/* The invalid fixture files are rejected with the expected reasons. */
static void test_invalid_fixtures(void **state)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		{ "invalid_truncated.json", "invalid JSON" },
		{ "invalid_trailing.json", "trailing data" },
		{ "invalid_not_object.json", "not a JSON object" },
		{ "invalid_negative_tokens.json",
		  "usage: 'input_tokens' must be a non-negative integer" },
		{ "invalid_seq_too_big.json", "log: 'seq' must be an integer >= 1" },
		{ "invalid_seq_fraction.json", "log: 'seq' must be an integer >= 1" },
		{ "invalid_task_no_id.json", "task: 'task.id' is missing" },
		{ "invalid_agent_status.json",
		  "agent: 'agent.status' has unknown value \"sleeping\"" },
		{ "invalid_threads_core.json", "threads: 'cores[1]' must be a number in 0..1" },
		{ "invalid_hello_no_instance.json", "hello: 'runtime.instance' is missing" },
	};
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *buf = test_fixture("v1", cases[i].file, &len);
		arena_reset(&arena);
		assert_int_equal(proto_decode(buf, len, &ev, &arena, err), PROTO_REJECT);
		assert_err_has(err, cases[i].want);
		free(buf);
	}
}

/* Whitespace may surround the object; trailing data, prefixes and non-objects are rejected. */
static void test_framing(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	const char *ok = "{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\",\"text\":\"x\"}";
	char buf[256];
	(void)state;
	/* Whitespace around the object is fine. */
	snprintf(buf, sizeof(buf), " \r\n\t%s \n\t ", ok);
	assert_int_equal(dec(buf, &ev, err), PROTO_OK);
	/* Anything else after it is not. */
	snprintf(buf, sizeof(buf), "%s x", ok);
	assert_int_equal(dec(buf, &ev, err), PROTO_REJECT);
	assert_err_has(err, "trailing data");
	snprintf(buf, sizeof(buf), "%s{}", ok);
	assert_int_equal(dec(buf, &ev, err), PROTO_REJECT);
	/* A NUL inside the message length is trailing garbage too. */
	size_t n = strlen(ok);
	memcpy(buf, ok, n + 1);
	arena_reset(&arena);
	assert_int_equal(proto_decode(buf, n + 1, &ev, &arena, err), PROTO_REJECT);
	/* The length is respected: a prefix of a valid message is invalid. */
	arena_reset(&arena);
	assert_int_equal(proto_decode(ok, n - 1, &ev, &arena, err), PROTO_REJECT);
	assert_err_has(err, "invalid JSON");
	assert_int_equal(dec("", &ev, err), PROTO_REJECT);
	assert_int_equal(dec("   ", &ev, err), PROTO_REJECT);
	assert_int_equal(dec("null", &ev, err), PROTO_REJECT);
	assert_err_has(err, "not a JSON object");
	assert_int_equal(dec("\"type\"", &ev, err), PROTO_REJECT);
	assert_int_equal(dec("{\"type\":\"log\",}", &ev, err), PROTO_REJECT);
	assert_int_equal(dec("{\"type\":\"log\" \"seq\":1}", &ev, err), PROTO_REJECT);
	assert_int_equal(dec("\xff\xfe{}", &ev, err), PROTO_REJECT);
	/* A NULL err buffer is allowed. */
	assert_int_equal(dec("[]", &ev, NULL), PROTO_REJECT);
}

/* 100 000-deep nesting is rejected cleanly; moderate nesting in unknown fields is fine. */
static void test_deep_nesting(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	size_t depth = 100000, i;
	char *buf = malloc(2 * depth + 200);
	char *p;
	(void)state;
	assert_non_null(buf);
	/* 100 000 nested arrays: rejected cleanly (cJSON's nesting limit), no stack overflow. */
	memset(buf, '[', depth);
	memset(buf + depth, ']', depth);
	buf[2 * depth] = '\0';
	assert_int_equal(dec(buf, &ev, err), PROTO_REJECT);
	assert_err_has(err, "invalid JSON");
	free(buf);
	/* The same inside a valid event's unknown field. */
	buf = malloc(7 * depth + 200);
	assert_non_null(buf);
	p = buf + sprintf(buf, "{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\","
	                  "\"text\":\"x\",\"deep\":");
	for (i = 0; i < depth; i++)
		memcpy(p, "{\"a\":", 5), p += 5;
	*p++ = '1';
	for (i = 0; i < depth; i++)
		*p++ = '}';
	*p++ = '}';
	*p = '\0';
	assert_int_equal(dec(buf, &ev, err), PROTO_REJECT);
	/* Moderate nesting in an unknown field is ignored like any unknown field. */
	p = buf + sprintf(buf, "{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\","
	                  "\"text\":\"x\",\"deep\":");
	for (i = 0; i < 50; i++)
		*p++ = '[';
	for (i = 0; i < 50; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	assert_int_equal(dec(buf, &ev, err), PROTO_OK);
	free(buf);
}

/* The JSON grammar is strict (json.c); its documented choices as the decoder shows them. */
static void test_strict_json(void **state)
{
	static const struct {
		const char *doc, *want;
	} bad[] = {
		{ "{\"type\":\"log\",\"seq\":01,\"ts\":1,\"level\":\"info\",\"text\":\"x\"}",
		  "message: invalid JSON at byte 20: number with a leading zero" },
		{ "{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\",\"text\":\"a\nb\"}",
		  "message: invalid JSON at byte 53: control character in a string" },
		{ "\xef\xbb\xbf{\"type\":\"log\"}", "message: invalid JSON at byte 0" },
		{ "{\"type\":\"log\",/*c*/\"seq\":1}", "message: invalid JSON at byte 14" },
		{ "{\"type\":\"log\",\"seq\":1.,\"ts\":1}", "number without digits" },
		{ "{\"type\":\"log\",\"text\":\"\\x\"}", "invalid escape in a string" },
	};
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dec(bad[i].doc, &ev, err), PROTO_REJECT);
		assert_err_has(err, bad[i].want);
	}
	/* Duplicate keys: the first occurrence counts, for the envelope and for fields. */
	assert_int_equal(dec("{\"type\":\"log\",\"type\":\"nope\",\"seq\":5,\"seq\":-1,\"ts\":1,"
	                     "\"level\":\"warn\",\"level\":\"bad\",\"text\":\"x\"}", &ev, err),
	                 PROTO_OK);
	assert_int_equal(ev.type, EV_LOG);
	assert_int_equal(ev.seq, 5);
	assert_int_equal(ev.u.log.level, LOG_WARN);
	/* A lone surrogate becomes U+FFFD; a pair becomes one 4-byte character. */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\","
	                     "\"text\":\"a\\ud800b\\ud83d\\ude00\"}", &ev, err), PROTO_OK);
	assert_string_equal(ev.u.log.text, "a\xef\xbf\xbd" "b\xf0\x9f\x98\x80");
	/* A string ends at an escaped NUL, enumerations included. */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\\u0000x\","
	                     "\"text\":\"ab\\u0000cd\"}", &ev, err), PROTO_OK);
	assert_string_equal(ev.u.log.text, "ab");
	assert_int_equal(ev.u.log.level, LOG_INFO);
	/* Escaped member names match like plain ones. */
	assert_int_equal(dec("{\"t\\u0079pe\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\","
	                     "\"te\\u0078t\":\"y\"}", &ev, err), PROTO_OK);
	assert_string_equal(ev.u.log.text, "y");
	/* Numbers: exponents and fractions with integral values are integers. */
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":1e2,\"ts\":25.0e-1,\"level\":\"info\","
	                     "\"text\":\"x\"}", &ev, err), PROTO_REJECT);
	assert_err_has(err, "'ts' must be a non-negative integer");
	assert_int_equal(dec("{\"type\":\"log\",\"seq\":1e2,\"ts\":250.0e-1,\"level\":\"info\","
	                     "\"text\":\"x\"}", &ev, err), PROTO_OK);
	assert_int_equal(ev.seq, 100);
	assert_int_equal(ev.ts, 25);
}

/* Long strings are truncated at UTF-8 boundaries, long deps lists capped, never rejected. */
static void test_truncation(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	size_t big = 100000;
	char *text = malloc(big + 1), *json = malloc(big + 4096);
	(void)state;
	assert_non_null(text);
	assert_non_null(json);
	/* Free text longer than 64 KiB is cut to 64 KiB, not rejected. */
	memset(text, 'x', big);
	text[big] = '\0';
	sprintf(json, "{\"type\":\"log\",\"seq\":1,\"ts\":1,\"level\":\"info\","
	        "\"text\":\"%s\"}", text);
	assert_int_equal(dec(json, &ev, err), PROTO_OK);
	assert_int_equal(strlen(ev.u.log.text), EVENT_TEXT_MAX);
	/* Ids to 128 bytes, names to 256, never splitting a UTF-8 sequence. */
	memset(text, 'i', 300);
	text[300] = '\0';
	char name[1024] = "";
	for (int i = 0; i < 100; i++)
		strcat(name, "\xe6\xbc\xa2");   /* U+6F22, 3 bytes: 300 bytes in all */
	sprintf(json, "{\"type\":\"agent\",\"seq\":1,\"ts\":1,"
	        "\"agent\":{\"id\":\"%s\",\"name\":\"%s\",\"model\":\"%s\"}}", text, name, text);
	assert_int_equal(dec(json, &ev, err), PROTO_OK);
	assert_int_equal(strlen(ev.u.agent.id), EVENT_ID_MAX);
	assert_int_equal(strlen(ev.u.agent.name), 255);   /* 85 whole characters */
	assert_true(sanitize_is_clean(ev.u.agent.name, strlen(ev.u.agent.name)));
	assert_int_equal(strlen(ev.u.agent.model), EVENT_NAME_MAX);
	/* More deps than EVENT_MAX_DEPS: the first EVENT_MAX_DEPS are kept. */
	char *p = json + sprintf(json, "{\"type\":\"task\",\"seq\":1,\"ts\":1,"
	                         "\"task\":{\"id\":\"t\",\"deps\":[");
	for (int i = 0; i < EVENT_MAX_DEPS + 10; i++)
		p += sprintf(p, "%s\"d%d\"", i ? "," : "", i);
	strcpy(p, "]}}");
	assert_int_equal(dec(json, &ev, err), PROTO_OK);
	assert_int_equal(ev.u.task.ndeps, EVENT_MAX_DEPS);
	assert_string_equal(ev.u.task.deps[EVENT_MAX_DEPS - 1], "d1023");
	free(text);
	free(json);
}

/* Unknown fields are ignored at every level; null optionals are absent. */
static void test_unknown_fields_ignored(void **state)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	(void)state;
	assert_int_equal(dec_modified("task.json", "task.future", "{\"a\":[1,{\"b\":null}]}", &ev,
	                              err), PROTO_OK);
	assert_string_equal(ev.u.task.id, "t-17");
	assert_int_equal(dec_modified("task.json", "x_vendor", "[true, false, 1e999]", &ev, err),
	                 PROTO_OK);
	assert_int_equal(dec_modified("hello.json", "runtime.gpu", "\"H100\"", &ev, err), PROTO_OK);
	assert_int_equal(dec_modified("threads.json", "threads.0.numa", "3", &ev, err), PROTO_OK);
	/* Optional fields given as null are absent. */
	assert_int_equal(dec_modified("task.json", "task.attempt", "null", &ev, err), PROTO_OK);
	assert_int_equal(ev.u.task.has & HAS_ATTEMPT, 0);
	assert_int_equal(dec_modified("agent.json", "agent.status", "null", &ev, err), PROTO_OK);
	assert_int_equal(ev.u.agent.has & HAS_STATUS, 0);
	assert_int_equal(dec_modified("task.json", "task.parent", "\"\"", &ev, err), PROTO_OK);
	assert_null(ev.u.task.parent);
}

/* ---- encoders ---- */

/* subscribe encodes exactly, and refuses small buffers and negative since. */
static void test_encode_subscribe(void **state)
{
	char out[64];
	(void)state;
	assert_int_equal(proto_encode_subscribe(41, out, sizeof(out)),
	                 (int)strlen("{\"type\":\"subscribe\",\"since\":41}"));
	assert_string_equal(out, "{\"type\":\"subscribe\",\"since\":41}");
	assert_int_equal(proto_encode_subscribe(0, out, sizeof(out)), 30);
	assert_int_equal(proto_encode_subscribe(41, out, 10), -1);
	assert_int_equal(proto_encode_subscribe(-1, out, sizeof(out)), -1);
}

/* Encode a command, parse it back with cJSON; returns the parsed tree. */
static cJSON *roundtrip(const Command *cmd)
{
	char out[4096];
	int n = proto_encode_command(cmd, out, sizeof(out));
	cJSON *j;
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	j = cJSON_ParseWithLengthOpts(out, (size_t)n + 1, NULL, true);
	if (j == NULL)
		fail_msg("not JSON: %s", out);
	assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, "command");
	assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, cmd->id);
	assert_string_equal(cJSON_GetObjectItem(j, "action")->valuestring,
	                    command_action_names[cmd->action]);
	return j;
}

/* Commands encode to JSON that parses back to the same values, escapes included. */
static void test_encode_command(void **state)
{
	Command cmd;
	char err[PROTO_ERR_MAX];
	cJSON *j, *t;
	(void)state;

	assert_int_equal(proto_command_init(&cmd, "k3f9-17", "pause", TARGET_AGENT, "researcher",
	                                    err), 0);
	cmd.reason = "looping on search";
	j = roundtrip(&cmd);
	t = cJSON_GetObjectItem(j, "target");
	assert_string_equal(cJSON_GetObjectItem(t, "agent")->valuestring, "researcher");
	assert_int_equal(cJSON_GetArraySize(t), 1);
	assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "looping on search");
	assert_null(cJSON_GetObjectItem(j, "text"));
	cJSON_Delete(j);

	assert_int_equal(proto_command_init(&cmd, "c-2", "retry", TARGET_TASK, "t-9", err), 0);
	j = roundtrip(&cmd);
	t = cJSON_GetObjectItem(j, "target");
	assert_string_equal(cJSON_GetObjectItem(t, "task")->valuestring, "t-9");
	assert_null(cJSON_GetObjectItem(j, "reason"));
	cJSON_Delete(j);

	assert_int_equal(proto_command_init(&cmd, "c-3", "cancel", TARGET_RUNTIME, NULL, err), 0);
	j = roundtrip(&cmd);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "target")), 0);
	cJSON_Delete(j);

	/* Text with quotes, backslashes, controls, newlines and Unicode survives exactly. */
	const char *text = "Use \"EU\" prices\\n\n\ttab \x01\x1b[31m caf\xc3\xa9 \xe6\xbc\xa2 "
	                   "\xf0\x9f\x98\x80 \xe2\x80\xa8 end";
	assert_int_equal(proto_command_init(&cmd, "c-5", "inject", TARGET_AGENT, "planner", err),
	                 0);
	cmd.text = text;
	cmd.reason = "why \"not\"";
	j = roundtrip(&cmd);
	assert_string_equal(cJSON_GetObjectItem(j, "text")->valuestring, text);
	assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "why \"not\"");
	cJSON_Delete(j);

	/* Invalid UTF-8 is replaced so the output stays valid JSON text. */
	cmd.text = "bad \xff\xc3 byte";
	cmd.reason = NULL;
	j = roundtrip(&cmd);
	assert_string_equal(cJSON_GetObjectItem(j, "text")->valuestring,
	                    "bad \xef\xbf\xbd\xef\xbf\xbd byte");
	cJSON_Delete(j);

	/* Too small a buffer: -1, never a partial message. */
	char small[40];
	cmd.text = "a long enough text to overflow the small buffer";
	assert_int_equal(proto_encode_command(&cmd, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	/* inject without text is invalid. */
	cmd.text = NULL;
	assert_int_equal(proto_encode_command(&cmd, small, sizeof(small)), -1);
}

/* proto_command_init refuses bad actions, targets and ids with a reason. */
static void test_command_init_errors(void **state)
{
	Command cmd;
	char err[PROTO_ERR_MAX];
	char longid[200];
	(void)state;
	assert_int_equal(proto_command_init(&cmd, "c", "explode", TARGET_AGENT, "a", err), -1);
	assert_err_has(err, "unknown action");
	assert_int_equal(proto_command_init(&cmd, "c", "pause", TARGET_AGENT, "", err), -1);
	assert_err_has(err, "agent target");
	assert_int_equal(proto_command_init(&cmd, "c", "pause", TARGET_TASK, NULL, err), -1);
	assert_int_equal(proto_command_init(&cmd, "c", "inject", TARGET_TASK, "t", err), -1);
	assert_err_has(err, "inject needs an agent");
	assert_int_equal(proto_command_init(&cmd, "", "pause", TARGET_RUNTIME, NULL, err), -1);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(proto_command_init(&cmd, longid, "pause", TARGET_RUNTIME, NULL, err), -1);
	assert_int_equal(proto_command_init(&cmd, "c", "pause", TARGET_AGENT, longid, err), -1);
	assert_int_equal(proto_command_init(&cmd, "c", "pause", TARGET_KIND_COUNT, "a", err), -1);
}

/* UPPER_SNAKE types select AG-UI; everything else is v1. */
static void test_sniff(void **state)
{
	const char *agui = "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}";
	const char *v1 = "{\"type\":\"hello\",\"proto\":1}";
	(void)state;
	assert_int_equal(proto_sniff(agui, strlen(agui)), DIALECT_AGUI);
	assert_int_equal(proto_sniff(v1, strlen(v1)), DIALECT_V1);
	assert_int_equal(proto_sniff("{\"type\":\"TEXT_MESSAGE_CONTENT\"}", 31), DIALECT_AGUI);
	assert_int_equal(proto_sniff("{\"type\":\"Run_started\"}", 22), DIALECT_V1);
	assert_int_equal(proto_sniff("{\"type\":\"_\"}", 12), DIALECT_V1);
	assert_int_equal(proto_sniff("garbage", 7), DIALECT_V1);
	assert_int_equal(proto_sniff("", 0), DIALECT_V1);
}

/* Create the arena shared by the tests. */
static int setup(void **state)
{
	(void)state;
	arena_init(&arena, 64 * 1024);
	return 0;
}

/* Free the arena. */
static int teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/* Run the proto suite. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_minimal),
		cmocka_unit_test(test_agent),
		cmocka_unit_test(test_task),
		cmocka_unit_test(test_task_minimal),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_clamp),
		cmocka_unit_test(test_message_log_ack),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_snapshot_empty),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_wrong_values),
		cmocka_unit_test(test_integer_limits),
		cmocka_unit_test(test_invalid_fixtures),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_strict_json),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_encode_subscribe),
		cmocka_unit_test(test_encode_command),
		cmocka_unit_test(test_command_init_errors),
		cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
