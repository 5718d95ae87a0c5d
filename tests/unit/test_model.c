/*
 * test_model.c: unit tests of the model fold, fed hand-made Events (no
 * decoder): every event type, upsert semantics, sequence rules (duplicates,
 * gaps, new instances, snapshots), dependency cycles, 100 000 tasks, the line
 * ring, commands with acks and timeouts, usage accounting, thread samples,
 * local notices, the canonical dump, and hostile or out-of-range input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "swarmtop/model.h"

#define T0 1764300000000LL

/* An event of a type at seq (ts derived from seq). */
static Event ev_new(EventType type, int64_t seq)
{
	Event e;
	memset(&e, 0, sizeof e);
	e.type = type;
	e.seq = seq;
	e.ts = T0 + seq * 10;
	e.type_name = event_type_names[type];
	return e;
}

/* A hello for runtime id / instance. */
static Event ev_hello(const char *id, const char *inst)
{
	Event e = ev_new(EV_HELLO, 0);
	e.u.hello = (EvHello){
		.proto = 1, .id = id, .instance = inst, .name = "Test runtime", .lang = "python",
		.cores = 4, .capabilities = CAP_BIT(ACTION_PAUSE) | CAP_BIT(ACTION_RESUME),
		.has = HAS_CORES,
	};
	return e;
}

/* An agent upsert; status < 0 means absent, parent "~" means absent. */
static Event ev_agent(int64_t seq, const char *id, const char *parent, int status)
{
	Event e = ev_new(EV_AGENT, seq);
	e.u.agent.id = id;
	if (status >= 0) {
		e.u.agent.status = (AgentStatus)status;
		e.u.agent.has |= HAS_STATUS;
	}
	if (parent == NULL || strcmp(parent, "~") != 0) {
		e.u.agent.parent = parent;
		e.u.agent.has |= HAS_PARENT;
	}
	return e;
}

/* A task upsert; status < 0 means absent. */
static Event ev_task(int64_t seq, const char *id, const char *agent, int status)
{
	Event e = ev_new(EV_TASK, seq);
	e.u.task.id = id;
	e.u.task.agent = agent;
	if (status >= 0) {
		e.u.task.status = (TaskStatus)status;
		e.u.task.has |= HAS_STATUS;
	}
	return e;
}

/* A usage delta; cost < 0 means no cost_usd. */
static Event ev_usage(int64_t seq, const char *agent, const char *model, int64_t in,
                      int64_t out, int64_t cr, int64_t cw, int64_t rs, double cost)
{
	Event e = ev_new(EV_USAGE, seq);
	e.u.usage = (EvUsage){
		.agent = agent, .provider = "openai", .model = model, .input_tokens = in,
		.output_tokens = out, .cache_read_tokens = cr, .cache_write_tokens = cw,
		.reasoning_tokens = rs, .cost_usd = cost < 0 ? 0 : cost,
		.has = cost < 0 ? 0 : HAS_COST,
	};
	return e;
}

/* A model with one runtime (index 0) that said hello. */
static Model *model_with_runtime(const char *id, const char *inst)
{
	Model *m = model_new();
	assert_non_null(m);
	assert_int_equal(model_add_runtime(m, "ws://127.0.0.1:1/swarmtop", T0), 0);
	Event h = ev_hello(id, inst);
	model_apply(m, 0, &h, T0, NULL);
	return m;
}

/* Hello fills the runtime; unknown types are counted and consume their seq. */
static void test_hello_and_unknown(void **state)
{
	(void)state;
	Model *m = model_with_runtime("billing", "inst-1");
	ModelRuntime *r = &m->runtimes[0];
	assert_true(r->hello_seen);
	assert_string_equal(r->id, "billing");
	assert_string_equal(r->instance, "inst-1");
	assert_string_equal(r->lang, "python");
	assert_int_equal(r->cores, 4);
	assert_int_equal(r->caps, CAP_BIT(ACTION_PAUSE) | CAP_BIT(ACTION_RESUME));
	assert_int_equal(r->pid, -1);
	assert_int_equal(model_find_runtime(m, "billing"), 0);
	assert_int_equal(model_find_runtime(m, "other"), -1);

	Event u = ev_new(EV_UNKNOWN, 1);
	unsigned gen = m->generation;
	unsigned d = model_apply(m, 0, &u, T0, NULL);
	assert_true(d & DIRTY_RUNTIMES);
	assert_int_equal(r->unknown, 1);
	assert_int_equal(r->last_seq, 1);
	assert_int_equal(r->events, 0);
	assert_true(m->generation != gen);

	/* The same instance again (a reconnect) keeps the sequence. */
	Event h = ev_hello("billing", "inst-1");
	ApplyInfo info;
	model_apply(m, 0, &h, T0, &info);
	assert_false(info.new_instance);
	assert_int_equal(r->last_seq, 1);
	model_free(m);
}

/* Agent upserts keep absent fields; parents link whenever they appear; no cycles. */
static void test_agent_upsert_and_parents(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "child", "boss", AGENT_WORKING);
	e.u.agent.name = "Child";
	e.u.agent.model = "gpt-5";
	unsigned d = model_apply(m, 0, &e, T0 + 1, NULL);
	assert_true(d & DIRTY_AGENTS);
	assert_true(d & DIRTY_HEADER);
	int c = model_find_agent(m, 0, "child");
	assert_int_equal(c, 0);
	assert_int_equal(m->agents[c].parent_idx, -1);   /* boss unknown yet */
	assert_string_equal(m->agents[c].parent, "boss");

	/* An update with only a role keeps name, model, parent and status. */
	e = ev_agent(2, "child", "~", -1);
	e.u.agent.role = "researches";
	model_apply(m, 0, &e, T0 + 2, NULL);
	assert_string_equal(m->agents[c].name, "Child");
	assert_string_equal(m->agents[c].model, "gpt-5");
	assert_string_equal(m->agents[c].role, "researches");
	assert_int_equal(m->agents[c].status, AGENT_WORKING);
	assert_int_equal(m->agents[c].status_ms, T0 + 1);
	assert_int_equal(m->agents[c].last_event_ms, T0 + 2);

	/* The parent appears later: the child gets linked. */
	e = ev_agent(3, "boss", NULL, AGENT_IDLE);
	model_apply(m, 0, &e, T0 + 3, NULL);
	int b = model_find_agent(m, 0, "boss");
	assert_int_equal(m->agents[c].parent_idx, b);

	/* A parent that would close a cycle (boss -> child -> boss) is not linked. */
	e = ev_agent(4, "boss", "child", -1);
	model_apply(m, 0, &e, T0 + 4, NULL);
	assert_string_equal(m->agents[b].parent, "child");
	assert_int_equal(m->agents[b].parent_idx, -1);
	/* Self-parent: kept as text, never linked. */
	e = ev_agent(5, "self", "self", -1);
	model_apply(m, 0, &e, T0 + 5, NULL);
	assert_int_equal(m->agents[model_find_agent(m, 0, "self")].parent_idx, -1);
	/* Parent set back to null unlinks. */
	e = ev_agent(6, "child", NULL, -1);
	model_apply(m, 0, &e, T0 + 6, NULL);
	assert_null(m->agents[c].parent);
	assert_int_equal(m->agents[c].parent_idx, -1);

	/* A waiting child re-pointed at another missing parent waits for the new one only. */
	e = ev_agent(7, "kid", "ghost-1", -1);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_agent(8, "kid", "ghost-2", -1);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_agent(9, "ghost-1", NULL, -1);
	model_apply(m, 0, &e, T0, NULL);
	int kid = model_find_agent(m, 0, "kid");
	assert_int_equal(m->agents[kid].parent_idx, -1);
	e = ev_agent(10, "ghost-2", NULL, -1);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->agents[kid].parent_idx, model_find_agent(m, 0, "ghost-2"));

	/* Out-of-range status is ignored, a missing id changes nothing. */
	e = ev_agent(11, "kid", "~", 99);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->agents[kid].status, AGENT_IDLE);
	size_t n = m->nagents;
	e = ev_agent(12, NULL, "~", AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->nagents, n);
	model_free(m);
}

/* Task upserts: default status, deps replace only when present, timing, counters. */
static void test_task_upsert(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "a1", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	int a = model_find_agent(m, 0, "a1");

	const char *deps1[] = {"t-0", "missing"};
	e = ev_task(2, "t-1", "a1", -1);
	e.u.task.deps = deps1;
	e.u.task.ndeps = 2;
	e.u.task.has |= HAS_DEPS;
	e.u.task.name = "search";
	e.u.task.kind = "tool";
	unsigned d = model_apply(m, 0, &e, T0 + 10, NULL);
	assert_true(d & DIRTY_TASKS);
	int t = model_find_task(m, 0, "t-1");
	assert_true(t >= 0);
	ModelTask *tk = &m->tasks[t];
	assert_int_equal(tk->status, TASK_SUBMITTED);
	assert_int_equal(tk->agent, a);
	assert_int_equal(tk->ndeps, 2);
	assert_string_equal(tk->deps[1], "missing");   /* edge to an unknown task kept */
	assert_int_equal(tk->created_ts, e.ts);
	assert_int_equal(tk->started_ts, 0);
	assert_int_equal(m->agents[a].ntasks, 1);
	assert_int_equal(m->agents[a].current_task, -1);

	/* Working: started, and the agent's current task. Deps absent: kept. */
	e = ev_task(3, "t-1", NULL, TASK_WORKING);
	model_apply(m, 0, &e, T0 + 20, NULL);
	tk = &m->tasks[t];
	assert_int_equal(tk->status, TASK_WORKING);
	assert_int_equal(tk->started_ts, e.ts);
	assert_int_equal(tk->ndeps, 2);
	assert_string_equal(tk->name, "search");
	assert_int_equal(m->agents[a].current_task, t);
	int64_t started = tk->started_ts;

	/* Paused and working again: started_ts stays the first. */
	e = ev_task(4, "t-1", NULL, TASK_PAUSED);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_task(5, "t-1", NULL, TASK_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->tasks[t].started_ts, started);

	/* Deps present and empty: replaced by nothing. Error/output set, then cleared. */
	e = ev_task(6, "t-1", NULL, TASK_FAILED);
	e.u.task.has |= HAS_DEPS | HAS_ERROR | HAS_ATTEMPT;
	e.u.task.error = "boom";
	e.u.task.attempt = 1;
	model_apply(m, 0, &e, T0, NULL);
	tk = &m->tasks[t];
	assert_int_equal(tk->ndeps, 0);
	assert_null(tk->deps);
	assert_string_equal(tk->error, "boom");
	assert_int_equal(tk->ended_ts, e.ts);
	assert_int_equal(m->agents[a].current_task, -1);
	assert_int_equal(m->agents[a].ntasks_failed, 1);
	assert_int_equal(m->agents[a].ntasks_done, 0);

	/* A retry (attempt 2) starts its timing over; error cleared by null. */
	e = ev_task(7, "t-1", NULL, TASK_WORKING);
	e.u.task.has |= HAS_ATTEMPT | HAS_ERROR;
	e.u.task.attempt = 2;
	e.u.task.error = NULL;
	model_apply(m, 0, &e, T0, NULL);
	tk = &m->tasks[t];
	assert_null(tk->error);
	assert_int_equal(tk->attempt, 2);
	assert_int_equal(tk->started_ts, e.ts);
	assert_int_equal(tk->ended_ts, 0);
	assert_int_equal(m->agents[a].ntasks_failed, 0);
	e = ev_task(8, "t-1", NULL, TASK_COMPLETED);
	e.u.task.has |= HAS_OUTPUT;
	e.u.task.output = "42";
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->agents[a].ntasks_done, 1);
	assert_string_equal(m->tasks[t].output, "42");

	/* Newest working task is current; finishing an older one does not clear it. */
	e = ev_task(9, "t-2", "a1", TASK_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_task(10, "t-3", "a1", TASK_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	int t3 = model_find_task(m, 0, "t-3");
	assert_int_equal(m->agents[a].current_task, t3);
	e = ev_task(11, "t-2", NULL, TASK_CANCELED);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->agents[a].current_task, t3);
	assert_int_equal(m->agents[a].ntasks, 3);

	/* A task of an agent that appears later is linked (and counted) then. */
	e = ev_task(12, "t-9", "late", TASK_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	int t9 = model_find_task(m, 0, "t-9");
	assert_int_equal(m->tasks[t9].agent, -1);
	e = ev_agent(13, "late", NULL, -1);
	model_apply(m, 0, &e, T0, NULL);
	int late = model_find_agent(m, 0, "late");
	assert_int_equal(m->tasks[t9].agent, late);
	assert_int_equal(m->agents[late].ntasks, 1);
	assert_int_equal(m->agents[late].current_task, t9);

	/* Moving a task to another agent moves its counts. */
	e = ev_task(14, "t-3", "late", -1);
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->agents[a].ntasks, 2);
	assert_int_equal(m->agents[a].current_task, -1);
	assert_int_equal(m->agents[late].ntasks, 2);
	model_free(m);
}

/* Dependency cycles, self-deps and unknown references are stored and survive a dump. */
static void test_dependency_cycle(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	const char *da[] = {"b"}, *db[] = {"c"}, *dc[] = {"a", "c", "nowhere"};
	const char **deps[] = {da, db, dc};
	size_t nd[] = {1, 1, 3};
	const char *ids[] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++) {
		Event e = ev_task(i + 1, ids[i], "ghost", TASK_WORKING);
		e.u.task.deps = deps[i];
		e.u.task.ndeps = nd[i];
		e.u.task.has |= HAS_DEPS;
		e.u.task.parent = ids[(i + 1) % 3];   /* parent cycle too */
		e.u.task.has |= HAS_PARENT;
		model_apply(m, 0, &e, T0, NULL);
	}
	assert_int_equal(m->ntasks, 3);
	assert_int_equal(m->tasks[model_find_task(m, 0, "c")].ndeps, 3);
	char *dump = model_dump(m);
	assert_non_null(dump);
	assert_non_null(strstr(dump, "deps=[\"a\",\"c\",\"nowhere\"]"));
	free(dump);
	model_free(m);
}

/* Duplicates and steps back are ignored; jumps record gaps; the gap list is bounded. */
static void test_duplicates_and_gaps(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	ModelRuntime *r = &m->runtimes[0];
	ApplyInfo info;
	Event e = ev_agent(1, "a", NULL, AGENT_IDLE);
	model_apply(m, 0, &e, T0, &info);
	assert_false(info.duplicate);
	e = ev_agent(2, "a", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, &info);
	/* seq 2 again, and seq 1: ignored, counted, state unchanged. */
	e = ev_agent(2, "a", NULL, AGENT_FAILED);
	unsigned d = model_apply(m, 0, &e, T0, &info);
	assert_true(info.duplicate);
	assert_int_equal(d, DIRTY_RUNTIMES);
	e = ev_agent(1, "a", NULL, AGENT_FAILED);
	model_apply(m, 0, &e, T0, &info);
	assert_true(info.duplicate);
	assert_int_equal(r->duplicates, 2);
	assert_int_equal(m->agents[0].status, AGENT_WORKING);
	assert_int_equal(r->events, 2);

	/* seq 5: gap 3..4, and the event is applied. */
	size_t lines = m->nlines;
	e = ev_agent(5, "a", NULL, AGENT_PAUSED);
	d = model_apply(m, 0, &e, T0 + 50, &info);
	assert_true(info.gap);
	assert_false(info.duplicate);
	assert_int_equal(info.gap_from, 3);
	assert_int_equal(info.gap_to, 4);
	assert_true(d & DIRTY_LINES);
	assert_int_equal(m->agents[0].status, AGENT_PAUSED);
	assert_int_equal(r->gaps, 1);
	assert_int_equal(r->gap_events, 2);
	assert_int_equal(m->ngaps, 1);
	assert_string_equal(m->gaps[0].instance, "i");
	assert_int_equal(m->gaps[0].at_ms, T0 + 50);
	assert_int_equal(m->nlines, lines + 1);
	const ModelLine *l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_LOCAL);
	assert_non_null(strstr(l->text, "3..4"));

	/* Many gaps: the list keeps the newest MODEL_GAPS_MAX, the counter counts all. */
	int64_t seq = 5;
	for (int i = 0; i < MODEL_GAPS_MAX + 10; i++) {
		seq += 2;
		e = ev_new(EV_LOG, seq);
		e.u.log.text = "x";
		model_apply(m, 0, &e, T0, NULL);
	}
	assert_int_equal(m->ngaps, MODEL_GAPS_MAX);
	assert_int_equal(r->gaps, MODEL_GAPS_MAX + 11);
	assert_int_equal(m->gaps[MODEL_GAPS_MAX - 1].to, seq - 1);
	model_free(m);
}

/* A new instance clears the runtime's agents and tasks, keeps usage, restarts seq. */
static void test_new_instance(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "a", T0);
	model_add_runtime(m, "b", T0);
	Event h = ev_hello("one", "i1");
	model_apply(m, 0, &h, T0, NULL);
	h = ev_hello("two", "j1");
	model_apply(m, 1, &h, T0, NULL);
	/* Interleave both runtimes' agents and tasks so compaction must move things. */
	for (int i = 1; i <= 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "ag%d", i % 4);
		Event e = ev_task(i, id + 2, id, i % 3 ? TASK_WORKING : TASK_COMPLETED);
		char tid[16];
		snprintf(tid, sizeof tid, "t%d", i);
		e.u.task.id = tid;
		model_apply(m, i % 2, &e, T0, NULL);
	}
	for (int rt = 0; rt < 2; rt++) {
		for (int i = 0; i < 4; i++) {
			char id[16];
			snprintf(id, sizeof id, "ag%d", i);
			Event a = ev_agent(100 + i, id, i == 1 ? "ag0" : NULL, AGENT_WORKING);
			model_apply(m, rt, &a, T0, NULL);
		}
	}
	Event u = ev_usage(200, "ag1", "gpt-5", 100, 10, 0, 0, 0, -1);
	model_apply(m, 0, &u, T0, NULL);
	model_apply(m, 1, &u, T0, NULL);
	assert_int_equal(m->nagents, 8);
	assert_int_equal(m->ntasks, 20);
	int keep_agent = model_find_agent(m, 1, "ag1");
	assert_int_equal(m->agents[keep_agent].ntasks, 5);

	ApplyInfo info;
	h = ev_hello("one", "i2");
	unsigned d = model_apply(m, 0, &h, T0 + 99, &info);
	assert_true(info.new_instance);
	assert_true(d & DIRTY_AGENTS);
	assert_true(d & DIRTY_TASKS);
	assert_int_equal(m->runtimes[0].last_seq, 0);
	assert_string_equal(m->runtimes[0].instance, "i2");
	assert_int_equal(m->nagents, 4);
	assert_int_equal(m->ntasks, 10);
	assert_int_equal(model_find_agent(m, 0, "ag1"), -1);
	assert_int_equal(model_find_task(m, 0, "t2"), -1);
	/* The other runtime's state is intact and re-linked after compaction. */
	int a1 = model_find_agent(m, 1, "ag1"), a0 = model_find_agent(m, 1, "ag0");
	assert_true(a1 >= 0 && a0 >= 0);
	assert_int_equal(m->agents[a1].parent_idx, a0);
	assert_int_equal(m->agents[a1].ntasks, 5);
	int t1 = model_find_task(m, 1, "t1");
	assert_int_equal(m->tasks[t1].agent, a1);
	int cur = m->agents[a1].current_task;
	assert_true(cur >= 0);
	assert_int_equal(m->tasks[cur].runtime, 1);
	assert_string_equal(m->agents[a1].tokens.input == 100 ? "ok" : "bad", "ok");
	/* Usage is kept. */
	assert_int_equal(m->runtimes[0].tokens.input, 100);
	assert_int_equal(m->tokens.input, 200);
	assert_int_equal(m->nusage, 2);
	/* seq 1 of the new instance is accepted, not a duplicate. */
	Event e = ev_agent(1, "fresh", NULL, -1);
	model_apply(m, 0, &e, T0, &info);
	assert_false(info.duplicate);
	assert_false(info.gap);
	assert_true(model_find_agent(m, 0, "fresh") >= 0);
	model_free(m);
}

/* A snapshot replaces the runtime's agents, tasks and usage, and records the gap. */
static void test_snapshot(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "old-agent", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_task(2, "old-task", "old-agent", TASK_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_usage(3, "old-agent", "gpt-5", 1000, 100, 0, 0, 0, 0.5);
	model_apply(m, 0, &e, T0, NULL);
	assert_float_equal(m->billed_usd, 0.5, 1e-12);

	EvAgent agents[] = {
		{.id = "planner", .status = AGENT_WORKING, .has = HAS_STATUS},
		{.id = "coder", .parent = "planner", .has = HAS_PARENT},
	};
	const char *deps[] = {"s1", "s2"};
	EvTask tasks[] = {
		{.id = "s1", .agent = "planner", .status = TASK_COMPLETED, .has = HAS_STATUS},
		{.id = "s2", .agent = "coder", .status = TASK_WORKING, .has = HAS_STATUS | HAS_DEPS,
		 .deps = deps, .ndeps = 2},
	};
	EvUsage usage[] = {
		{.agent = "coder", .provider = "openai", .model = "gpt-5", .input_tokens = 50000,
		 .output_tokens = 9000, .cache_read_tokens = 30000, .reasoning_tokens = 2000},
		{.agent = "planner", .provider = "anthropic", .model = "claude-sonnet-4",
		 .input_tokens = 10, .output_tokens = 5, .cost_usd = 0.25, .has = HAS_COST},
	};
	e = ev_new(EV_SNAPSHOT, 120);
	e.u.snapshot = (EvSnapshot){agents, 2, tasks, 2, usage, 2};
	ApplyInfo info;
	unsigned d = model_apply(m, 0, &e, T0 + 500, &info);
	assert_true(d & DIRTY_AGENTS && d & DIRTY_TASKS && d & DIRTY_USAGE);
	assert_true(info.gap);
	assert_int_equal(info.gap_from, 4);
	assert_int_equal(info.gap_to, 120);
	assert_int_equal(m->runtimes[0].last_seq, 120);
	assert_int_equal(m->runtimes[0].gap_events, 117);
	assert_int_equal(model_find_agent(m, 0, "old-agent"), -1);
	assert_int_equal(model_find_task(m, 0, "old-task"), -1);
	assert_int_equal(m->nagents, 2);
	assert_int_equal(m->ntasks, 2);
	int coder = model_find_agent(m, 0, "coder");
	assert_int_equal(m->agents[coder].parent_idx, model_find_agent(m, 0, "planner"));
	assert_int_equal(m->agents[coder].current_task, model_find_task(m, 0, "s2"));
	assert_int_equal(m->agents[coder].tokens.input, 50000);
	assert_int_equal(m->agents[coder].unbilled.input, 50000);
	/* Usage rows and totals are the snapshot's (totals, not added to the old ones). */
	assert_int_equal(m->nusage, 2);
	assert_int_equal(m->runtimes[0].tokens.input, 50010);
	assert_int_equal(m->tokens.input, 50010);
	assert_int_equal(m->tokens.cache_read, 30000);
	assert_float_equal(m->billed_usd, 0.25, 1e-12);
	assert_float_equal(m->runtimes[0].billed_usd, 0.25, 1e-12);
	assert_int_equal(m->unbilled.input, 50000);

	/* The next event follows without a gap; an older snapshot is a duplicate. */
	e = ev_agent(121, "coder", "~", AGENT_IDLE);
	model_apply(m, 0, &e, T0, &info);
	assert_false(info.gap);
	e = ev_new(EV_SNAPSHOT, 100);
	model_apply(m, 0, &e, T0, &info);
	assert_true(info.duplicate);
	assert_int_equal(m->nagents, 2);
	/* An empty snapshot empties the runtime. */
	e = ev_new(EV_SNAPSHOT, 122);
	model_apply(m, 0, &e, T0, &info);
	assert_true(info.gap);
	assert_int_equal(info.gap_from, 122);
	assert_int_equal(m->nagents, 0);
	assert_int_equal(m->nusage, 0);
	assert_int_equal(m->tokens.input, 0);
	model_free(m);
}

/* Past MODEL_TASKS_MAX the oldest finished tasks are forgotten; unfinished ones and the
 * newest stay, and the agent's current task still points at the right one. */
static void test_task_table_bounded(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	char id[32];
	int64_t seq = 0;
	Event w = ev_task(++seq, "still-working", "agent-0", TASK_WORKING);
	model_apply(m, 0, &w, T0, NULL);
	for (int i = 0; i < MODEL_TASKS_MAX; i++) {
		snprintf(id, sizeof id, "done-%d", i);
		Event e = ev_task(++seq, id, "agent-0", TASK_COMPLETED);
		model_apply(m, 0, &e, T0 + i, NULL);
	}
	assert_true(m->ntasks <= MODEL_TASKS_MAX);
	assert_true(m->ntasks >= MODEL_TASKS_MAX - MODEL_TASKS_MAX / 10);
	assert_true(model_find_task(m, 0, "still-working") >= 0);
	assert_true(model_find_task(m, 0, "done-0") < 0);
	snprintf(id, sizeof id, "done-%d", MODEL_TASKS_MAX - 1);
	int last = model_find_task(m, 0, id);
	assert_true(last >= 0);
	assert_string_equal(m->tasks[last].id, id);
	int wi = model_find_task(m, 0, "still-working");
	assert_string_equal(m->tasks[wi].id, "still-working");
	model_free(m);
}

/* Past MODEL_AGENTS_DONE_MAX finished agents the oldest are forgotten, completed ones
 * before failed ones: live ones stay, the forgotten ones' usage folds into a per-model row
 * so totals are unchanged, their tasks stay, and reindexed tells holders of indices to look
 * again. */
static void test_agent_table_bounded(void **state)
{
	(void)state;
	enum { N = MODEL_AGENTS_DONE_MAX * 4 };
	Model *m = model_with_runtime("rt", "i");
	char id[32];
	int64_t seq = 0;
	unsigned re = m->reindexed;
	/* N agents: even ones finish (every tenth of those fails), odd ones keep working. */
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "agent-%d", i);
		int st = i % 2 ? AGENT_WORKING : i % 20 == 0 ? AGENT_FAILED : AGENT_COMPLETED;
		Event e = ev_agent(++seq, id, NULL, st);
		model_apply(m, 0, &e, T0 + i, NULL);
		Event u = ev_usage(++seq, id, i % 4 < 2 ? "gpt-a" : "gpt-b", 10, 5, 0, 0, 0, 0.5);
		model_apply(m, 0, &u, T0 + i, NULL);
		if (i == 2) {
			Event t = ev_task(++seq, "t-of-2", "agent-2", TASK_COMPLETED);
			model_apply(m, 0, &t, T0, NULL);
		}
	}
	/* N/2 finished: over the cap, so down to 90 % of it each time it passed it. */
	assert_true(m->reindexed != re);
	size_t final = 0, failed = 0;
	for (size_t i = 0; i < m->nagents; i++) {
		final += agent_status_is_final(m->agents[i].status);
		failed += m->agents[i].status == AGENT_FAILED;
	}
	assert_true(final <= MODEL_AGENTS_DONE_MAX);
	assert_true(final >= MODEL_AGENTS_DONE_MAX - MODEL_AGENTS_DONE_MAX / 10);
	assert_int_equal(m->nagents, N / 2 + final);               /* every live one stayed */
	assert_int_equal(failed, N / 20);                            /* failed ones go last */
	assert_true(model_find_agent(m, 0, "agent-0") >= 0);         /* failed: kept */
	assert_true(model_find_agent(m, 0, "agent-2") < 0);          /* oldest completed: gone */
	assert_true(model_find_agent(m, 0, "agent-1") >= 0);         /* working: kept */
	snprintf(id, sizeof id, "agent-%d", N - 2);                  /* newest finished: kept */
	assert_true(model_find_agent(m, 0, id) >= 0);
	int ti = model_find_task(m, 0, "t-of-2");
	assert_true(ti >= 0);
	assert_int_equal(m->tasks[ti].agent, -1);
	/* Totals per model are whole: the usage rows still add up to the fleet's. */
	Tokens sum = {0};
	double usd = 0;
	uint64_t calls = 0;
	for (size_t i = 0; i < m->nusage; i++) {
		tokens_add(&sum, &m->usage[i].tokens);
		usd += m->usage[i].billed_usd;
		calls += m->usage[i].calls;
	}
	assert_int_equal(sum.input, m->tokens.input);
	assert_int_equal(sum.input, 10 * N);
	assert_int_equal(sum.output, 5 * N);
	assert_true(usd > m->billed_usd - 1e-6 && usd < m->billed_usd + 1e-6);
	assert_int_equal(calls, N);
	/* Every remaining row is findable under its key (the usage map was rebuilt). */
	Event u = ev_usage(++seq, "agent-1", "gpt-a", 1, 0, 0, 0, 0, 0.0);
	size_t nu = m->nusage;
	model_apply(m, 0, &u, T0 + N, NULL);
	assert_int_equal(m->nusage, nu);
	/* A clone folds on identically. */
	Model *c = model_clone(m);
	assert_non_null(c);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "late-%d", i);
		Event e = ev_agent(++seq, id, NULL, AGENT_COMPLETED);
		model_apply(m, 0, &e, T0 + N + i, NULL);
		model_apply(c, 0, &e, T0 + N + i, NULL);
	}
	assert_int_equal(c->nagents, m->nagents);
	for (size_t i = 0; i < m->nagents; i++)
		assert_string_equal(c->agents[i].id, m->agents[i].id);
	model_free(c);
	model_free(m);
}

/* More live tasks than the cap: none is forgotten; once some finish and the table grows
 * by another tenth, those finished ones go and the live ones stay. */
static void test_task_table_live_over_cap(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	char id[32];
	int64_t seq = 0;
	const int live = MODEL_TASKS_MAX + MODEL_TASKS_MAX / 2;
	for (int i = 0; i < live; i++) {
		snprintf(id, sizeof id, "live-%d", i);
		Event e = ev_task(++seq, id, "agent-0", TASK_WORKING);
		model_apply(m, 0, &e, T0 + i, NULL);
	}
	assert_int_equal(m->ntasks, live);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "live-%d", i);
		Event e = ev_task(++seq, id, NULL, TASK_COMPLETED);
		model_apply(m, 0, &e, T0 + live, NULL);
	}
	for (int i = 0; i < live / 10 + 1; i++) {
		snprintf(id, sizeof id, "more-%d", i);
		Event e = ev_task(++seq, id, "agent-0", TASK_WORKING);
		model_apply(m, 0, &e, T0 + live + i, NULL);
	}
	assert_int_equal(m->ntasks, live + live / 10 + 1 - 100);
	assert_true(model_find_task(m, 0, "live-0") < 0);
	assert_true(model_find_task(m, 0, "live-99") < 0);
	int t = model_find_task(m, 0, "live-100");
	assert_true(t >= 0);
	assert_string_equal(m->tasks[t].id, "live-100");
	model_free(m);
}

/* 100 000 tasks (five times the cap, but none finished when they arrive, so none may be
 * forgotten) with deps, unknown refs and late agents: linked, counted, findable. */
static void test_many_tasks(void **state)
{
	(void)state;
	enum { N = 100000, AGENTS = 50 };
	Model *m = model_with_runtime("rt", "i");
	char id[32], prev[32], agent[32], far[32];
	int64_t seq = 0;
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "task-%d", i);
		snprintf(prev, sizeof prev, "task-%d", i ? i - 1 : N - 1); /* a ring: one cycle */
		snprintf(far, sizeof far, "future-%d", i);
		snprintf(agent, sizeof agent, "agent-%d", i % AGENTS);
		const char *deps[] = {prev, far};
		Event e = ev_task(++seq, id, agent, -1);
		e.u.task.deps = deps;
		e.u.task.ndeps = 2;
		e.u.task.has |= HAS_DEPS;
		model_apply(m, 0, &e, T0 + i, NULL);
	}
	assert_int_equal(m->ntasks, N);
	/* A third of them finish: status changes never forget a task. */
	for (int i = 0; i < N; i += 3) {
		snprintf(id, sizeof id, "task-%d", i);
		Event e = ev_task(++seq, id, NULL, TASK_COMPLETED);
		model_apply(m, 0, &e, T0 + N, NULL);
	}
	assert_int_equal(m->ntasks, N);
	/* Agents appear after all their tasks. */
	for (int i = 0; i < AGENTS; i++) {
		snprintf(agent, sizeof agent, "agent-%d", i);
		Event e = ev_agent(++seq, agent, NULL, AGENT_WORKING);
		model_apply(m, 0, &e, T0 + N, NULL);
	}
	int total = 0, done = 0;
	for (size_t i = 0; i < m->nagents; i++) {
		assert_int_equal(m->agents[i].ntasks, N / AGENTS);
		total += m->agents[i].ntasks;
		done += m->agents[i].ntasks_done;
	}
	assert_int_equal(total, N);
	assert_int_equal(done, (N + 2) / 3);
	for (int i = 0; i < N; i += 997) {
		snprintf(id, sizeof id, "task-%d", i);
		int t = model_find_task(m, 0, id);
		assert_int_equal(t, i);
		assert_true(m->tasks[t].agent >= 0);
	}
	/* Update every task once more: still one entry each. */
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "task-%d", i);
		Event e = ev_task(++seq, id, NULL, TASK_WORKING);
		model_apply(m, 0, &e, T0, NULL);
	}
	assert_int_equal(m->ntasks, N);
	assert_int_equal(m->agents[0].ntasks_done, 0);
	/* A snapshot empties it all again. */
	Event s = ev_new(EV_SNAPSHOT, ++seq);
	model_apply(m, 0, &s, T0, NULL);
	assert_int_equal(m->ntasks, 0);
	assert_int_equal(model_find_task(m, 0, "task-5"), -1);
	model_free(m);
}

/* The line ring keeps the newest MODEL_LINES_MAX, frees the rest, cuts text at UTF-8. */
static void test_line_ring(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	assert_null(model_line(m, 0));
	char text[32];
	for (int i = 0; i < MODEL_LINES_MAX + 5; i++) {
		Event e = ev_new(i % 2 ? EV_MESSAGE : EV_LOG, i + 1);
		snprintf(text, sizeof text, "line %d", i);
		if (i % 2) {
			e.u.message.text = text;
			e.u.message.role = ROLE_TOOL;
			e.u.message.agent = "a";
		} else {
			e.u.log.text = text;
			e.u.log.level = LOG_WARN;
		}
		model_apply(m, 0, &e, T0, NULL);
	}
	assert_int_equal(m->nlines, MODEL_LINES_MAX);
	assert_int_equal(m->lines_total, MODEL_LINES_MAX + 5);
	assert_string_equal(model_line(m, 0)->text, "line 5");
	assert_int_equal(model_line(m, 0)->kind, LINE_MESSAGE);
	assert_int_equal(model_line(m, 0)->sub, ROLE_TOOL);
	assert_string_equal(model_line(m, 0)->agent, "a");
	assert_null(model_line(m, 0)->task);
	assert_string_equal(model_line(m, MODEL_LINES_MAX - 1)->text, "line 10004");
	assert_int_equal(model_line(m, MODEL_LINES_MAX - 1)->sub, LOG_WARN);
	assert_int_equal(model_line(m, MODEL_LINES_MAX - 1)->kind, LINE_LOG);
	assert_null(model_line(m, MODEL_LINES_MAX));

	/* Long text is cut to MODEL_LINE_TEXT_MAX without splitting a code point. */
	static char big[MODEL_LINE_TEXT_MAX + 16];
	memset(big, 'a', MODEL_LINE_TEXT_MAX - 1);
	memcpy(big + MODEL_LINE_TEXT_MAX - 1, "\xc3\xa9tail", 7); /* é straddles the limit */
	Event e = ev_new(EV_MESSAGE, MODEL_LINES_MAX + 6);
	e.u.message.text = big;
	e.u.message.agent = "a";
	e.u.message.role = (MessageRole)77;  /* out of range: assistant */
	model_apply(m, 0, &e, T0, NULL);
	const ModelLine *l = model_line(m, m->nlines - 1);
	assert_int_equal(strlen(l->text), MODEL_LINE_TEXT_MAX - 1);
	assert_int_equal(l->sub, ROLE_ASSISTANT);
	/* A NULL text is an empty line. */
	e = ev_new(EV_LOG, MODEL_LINES_MAX + 7);
	e.u.log.level = (LogLevel)-1;
	model_apply(m, 0, &e, T0, NULL);
	assert_string_equal(model_line(m, m->nlines - 1)->text, "");
	model_free(m);
}

/* Messages set the agent's last message; logs touch the agent. */
static void test_message_log(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "a", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_new(EV_MESSAGE, 2);
	e.u.message = (EvMessage){.agent = "a", .task = "t-1", .id = "m-1", .text = "hello",
	                          .role = ROLE_ASSISTANT};
	unsigned d = model_apply(m, 0, &e, T0 + 7, NULL);
	assert_true(d & DIRTY_LINES);
	assert_true(d & DIRTY_AGENTS);
	assert_string_equal(m->agents[0].last_message, "hello");
	assert_int_equal(m->agents[0].last_message_ms, T0 + 7);
	const ModelLine *l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_MESSAGE);
	assert_string_equal(l->task, "t-1");
	assert_int_equal(l->ts, e.ts);
	/* A message of an unknown agent is still a line. */
	e = ev_new(EV_MESSAGE, 3);
	e.u.message = (EvMessage){.agent = "nobody", .text = "hi"};
	d = model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(d, DIRTY_LINES);
	e = ev_new(EV_LOG, 4);
	e.u.log = (EvLog){.level = LOG_ERROR, .text = "bad", .agent = "a"};
	model_apply(m, 0, &e, T0 + 9, NULL);
	assert_int_equal(m->agents[0].last_event_ms, T0 + 9);
	assert_int_equal(model_line(m, m->nlines - 1)->sub, LOG_ERROR);
	/* Stuck: working with no event for the threshold. */
	assert_false(model_agent_stuck(&m->agents[0], T0 + 9 + 999, 1000));
	assert_true(model_agent_stuck(&m->agents[0], T0 + 9 + 1000, 1000));
	assert_false(model_agent_stuck(&m->agents[0], T0 + 9 + 1000, 0));
	model_free(m);
}

/* Inclusive usage: rows per (agent, provider, model), totals everywhere, billed apart. */
static void test_usage_accounting(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "r", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_usage(2, "r", "gpt-5", 1200, 350, 800, 0, 120, -1);
	unsigned d = model_apply(m, 0, &e, T0, NULL);
	assert_true(d & DIRTY_USAGE && d & DIRTY_HEADER && d & DIRTY_AGENTS);
	e = ev_usage(3, "r", "gpt-5", 100, 50, 0, 20, 10, 0.01);
	model_apply(m, 0, &e, T0 + 1500, NULL);
	e = ev_usage(4, "r", "gpt-4o", 10, 5, 0, 0, 0, -1);
	model_apply(m, 0, &e, T0 + 1500, NULL);
	e = ev_usage(5, "ghost", "gpt-5", 7, 3, 0, 0, 0, -1);   /* an agent never seen */
	d = model_apply(m, 0, &e, T0 + 1500, NULL);
	assert_false(d & DIRTY_AGENTS);

	assert_int_equal(m->nusage, 3);
	const ModelUsage *u = &m->usage[0];
	assert_string_equal(u->model, "gpt-5");
	assert_string_equal(u->provider, "openai");
	assert_int_equal(u->calls, 2);
	assert_int_equal(u->tokens.input, 1300);
	assert_int_equal(u->tokens.output, 400);
	assert_int_equal(u->tokens.cache_read, 800);   /* part of input, not added to it */
	assert_int_equal(u->tokens.cache_write, 20);
	assert_int_equal(u->tokens.reasoning, 130);
	/* Billed and estimated kept apart: only the call without cost is unbilled. */
	assert_int_equal(u->unbilled.input, 1200);
	assert_int_equal(u->unbilled.output, 350);
	assert_float_equal(u->billed_usd, 0.01, 1e-12);

	const ModelAgent *a = &m->agents[0];
	assert_int_equal(a->tokens.input, 1310);
	assert_int_equal(a->unbilled.input, 1210);
	assert_float_equal(a->billed_usd, 0.01, 1e-12);
	assert_int_equal(m->runtimes[0].tokens.input, 1317);
	assert_int_equal(m->tokens.input, 1317);
	assert_int_equal(m->tokens.output, 408);
	assert_int_equal(m->unbilled.input, 1217);
	assert_float_equal(m->billed_usd, 0.01, 1e-12);
	/* Rates: input+output per second, bucketed at now_ms. */
	assert_float_equal(rate_per_sec(&m->rate, T0 + 2000, 1), 150 + 15 + 10, 1e-9);
	assert_float_equal(rate_per_sec(&m->rate, T0 + 2000, 2), (1550.0 + 175) / 2, 1e-9);
	assert_float_equal(rate_per_sec(&a->rate, T0 + 2000, 2), (1550.0 + 165) / 2, 1e-9);

	/* Negative counts (never from the decoder) count as zero; bad cost is no cost. */
	e = ev_usage(6, "r", "gpt-5", -5, -1, 0, 0, 0, -1);
	e.u.usage.cost_usd = -3;
	e.u.usage.has = HAS_COST;
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->tokens.input, 1317);
	assert_float_equal(m->billed_usd, 0.01, 1e-12);
	/* Missing agent/provider/model: a row with empty names. */
	e = ev_new(EV_USAGE, 7);
	e.u.usage.input_tokens = 1;
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->nusage, 4);
	assert_string_equal(m->usage[3].model, "");
	model_free(m);
}

/* Thread samples replace each other, sum cpu per agent, and fill the core history. */
static void test_threads(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "a", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_agent(2, "b", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	double cores[] = {0.9, 0.5, 0.1, 7.0};
	EvThread th[] = {
		{.tid = 1, .name = "w0", .agent = "a", .core = 0, .cpu = 0.5,
		 .has = HAS_CORE | HAS_CPU},
		{.tid = 2, .name = "w1", .agent = "a", .task = "t", .cpu = 0.25, .has = HAS_CPU},
		{.tid = 3, .name = "w2", .agent = "b", .cpu = 0.2, .has = HAS_CPU},
		{.tid = 4, .name = "w3", .agent = "ghost", .cpu = 3.0, .has = HAS_CPU},
	};
	e = ev_new(EV_THREADS, 3);
	e.u.threads = (EvThreads){.interval_ms = 1000, .cores = cores, .ncores = 4,
	                          .threads = th, .nthreads = 4, .has = HAS_INTERVAL};
	unsigned d = model_apply(m, 0, &e, T0 + 5, NULL);
	assert_true(d & DIRTY_THREADS && d & DIRTY_AGENTS);
	ModelRuntime *r = &m->runtimes[0];
	assert_int_equal(r->nthreads, 4);
	assert_int_equal(r->ncores, 4);
	assert_int_equal(r->interval_ms, 1000);
	assert_int_equal(r->threads_ms, T0 + 5);
	assert_float_equal(r->cores_now[3], 1.0, 1e-9);      /* clamped */
	assert_float_equal(r->threads[3].cpu, 1.0, 1e-9);
	assert_int_equal(r->threads[1].core, -1);
	assert_string_equal(r->threads[1].task, "t");
	assert_float_equal(m->agents[0].cpu, 0.75, 1e-9);
	assert_float_equal(m->agents[1].cpu, 0.2, 1e-9);
	assert_int_equal(r->hist_len, 1);
	assert_float_equal(model_core_sample(r, 0, 0), 0.9, 1e-6);

	/* The next sample replaces: b is gone from it, so its share is 0. */
	e.seq = 4;
	e.u.threads.nthreads = 1;
	model_apply(m, 0, &e, T0, NULL);
	assert_float_equal(m->agents[0].cpu, 0.5, 1e-9);
	assert_float_equal(m->agents[1].cpu, 0.0, 1e-9);
	assert_int_equal(r->nthreads, 1);

	/* The history is a ring of MODEL_CORE_HISTORY samples, oldest first. */
	for (int i = 0; i < MODEL_CORE_HISTORY + 3; i++) {
		cores[0] = (i % 10) / 10.0;
		e.seq = 5 + i;
		model_apply(m, 0, &e, T0, NULL);
	}
	assert_int_equal(r->hist_len, MODEL_CORE_HISTORY);
	assert_float_equal(model_core_sample(r, 0, MODEL_CORE_HISTORY - 1),
	                   ((MODEL_CORE_HISTORY + 2) % 10) / 10.0, 1e-6);
	assert_float_equal(model_core_sample(r, 0, 0), (3 % 10) / 10.0, 1e-6);
	assert_float_equal(model_core_sample(r, 9, 0), 0, 1e-9);   /* no such core */
	assert_float_equal(model_core_sample(r, 0, MODEL_CORE_HISTORY), 0, 1e-9);

	/* A different core count starts the history over. */
	e.seq = 1000;
	e.u.threads.ncores = 2;
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(r->ncores, 2);
	assert_int_equal(r->hist_len, 1);
	/* No cores, no threads. */
	e.seq = 1001;
	e.u.threads = (EvThreads){0};
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(r->ncores, 0);
	assert_int_equal(r->nthreads, 0);
	assert_null(r->core_hist);
	assert_float_equal(m->agents[0].cpu, 0.0, 1e-9);
	model_free(m);
}

/* Thread samples keep pointing at the right agents when a snapshot moves agent indexes. */
static void test_threads_after_snapshot(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "a", T0);
	model_add_runtime(m, "b", T0);
	Event e = ev_agent(1, "p", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_agent(2, "q", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	e = ev_agent(1, "x", NULL, AGENT_WORKING);
	model_apply(m, 1, &e, T0, NULL);
	assert_int_equal(model_find_agent(m, 1, "x"), 2);
	EvThread th[] = {{.tid = 1, .agent = "x", .cpu = 0.6, .has = HAS_CPU}};
	e = ev_new(EV_THREADS, 2);
	e.u.threads = (EvThreads){.threads = th, .nthreads = 1};
	model_apply(m, 1, &e, T0, NULL);
	assert_float_equal(m->agents[2].cpu, 0.6, 1e-9);

	/* Runtime 0's snapshot drops p and q: x moves to index 0, new agents follow. */
	EvAgent snap[] = {{.id = "r"}, {.id = "s"}};
	e = ev_new(EV_SNAPSHOT, 3);
	e.u.snapshot = (EvSnapshot){.agents = snap, .nagents = 2};
	model_apply(m, 0, &e, T0, NULL);
	int x = model_find_agent(m, 1, "x");
	assert_int_equal(x, 0);
	assert_int_equal(m->runtimes[1].threads[0].agent_idx, x);
	assert_float_equal(m->agents[x].cpu, 0.6, 1e-9);

	/* The next sample names nobody: x's share goes back to 0, r and s stay at 0. */
	th[0].agent = NULL;
	e = ev_new(EV_THREADS, 3);
	e.u.threads = (EvThreads){.threads = th, .nthreads = 1};
	model_apply(m, 1, &e, T0, NULL);
	assert_float_equal(m->agents[x].cpu, 0.0, 1e-9);
	for (size_t i = 0; i < m->nagents; i++)
		assert_float_equal(m->agents[i].cpu, 0.0, 1e-9);
	assert_int_equal(m->runtimes[1].threads[0].agent_idx, -1);
	model_free(m);
}

/* Commands: sent, acked through accepted/applied, rejected with the error, unanswered. */
static void test_commands_and_acks(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "researcher", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	Command c = {.id = "k3f9-1", .action = ACTION_PAUSE, .target_kind = TARGET_AGENT,
	             .target = "researcher", .reason = "looping"};
	int ci = model_command(m, 0, &c, "op@host", CMD_SENT, NULL, T0);
	assert_int_equal(ci, 0);
	assert_int_equal(m->agents[0].last_command, 0);
	const ModelLine *l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_COMMAND);
	assert_non_null(strstr(l->text, "pause agent researcher"));
	assert_non_null(strstr(l->text, "looping"));

	e = ev_new(EV_ACK, 2);
	e.u.ack = (EvAck){.command = "k3f9-1", .status = ACK_ACCEPTED};
	unsigned d = model_apply(m, 0, &e, T0 + 100, NULL);
	assert_true(d & DIRTY_COMMANDS);
	assert_int_equal(m->commands[0].state, CMD_ACCEPTED);
	assert_int_equal(m->commands[0].acked_ms, T0 + 100);
	e = ev_new(EV_ACK, 3);
	e.u.ack = (EvAck){.command = "k3f9-1", .status = ACK_APPLIED};
	model_apply(m, 0, &e, T0 + 200, NULL);
	assert_int_equal(m->commands[0].state, CMD_APPLIED);
	l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_ACK);
	assert_int_equal(l->sub, ACK_APPLIED);
	assert_non_null(strstr(l->text, "applied"));
	/* A late "accepted" does not step back. */
	e = ev_new(EV_ACK, 4);
	e.u.ack = (EvAck){.command = "k3f9-1", .status = ACK_ACCEPTED};
	model_apply(m, 0, &e, T0 + 300, NULL);
	assert_int_equal(m->commands[0].state, CMD_APPLIED);

	/* Rejected, with the runtime's error. */
	Command r = {.id = "k3f9-2", .action = ACTION_RETRY, .target_kind = TARGET_TASK,
	             .target = "t-9"};
	assert_int_equal(model_command(m, 0, &r, "op@host", CMD_SENT, NULL, T0), 1);
	e = ev_new(EV_ACK, 5);
	e.u.ack = (EvAck){.command = "k3f9-2", .status = ACK_REJECTED,
	                  .error = "task t-9 is working"};
	model_apply(m, 0, &e, T0 + 400, NULL);
	assert_int_equal(m->commands[1].state, CMD_REJECTED);
	assert_string_equal(m->commands[1].error, "task t-9 is working");
	assert_non_null(strstr(model_line(m, m->nlines - 1)->text, "task t-9 is working"));

	/* An ack for a command this client never sent: still a line. */
	size_t n = m->nlines;
	e = ev_new(EV_ACK, 6);
	e.u.ack = (EvAck){.command = "other-7", .status = ACK_APPLIED};
	d = model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(d, DIRTY_LINES);
	assert_int_equal(m->nlines, n + 1);
	assert_non_null(strstr(model_line(m, n)->text, "another client"));

	/* Unanswered after the timeout, with a local line; not before. */
	Command p = {.id = "k3f9-3", .action = ACTION_CANCEL, .target_kind = TARGET_RUNTIME};
	model_command(m, 0, &p, "op@host", CMD_SENT, NULL, T0 + 1000);
	assert_int_equal(model_tick(m, T0 + 1000 + MODEL_ACK_TIMEOUT_MS - 1) & DIRTY_COMMANDS, 0);
	assert_int_equal(m->commands[2].state, CMD_SENT);
	d = model_tick(m, T0 + 1000 + MODEL_ACK_TIMEOUT_MS);
	assert_true(d & DIRTY_COMMANDS);
	assert_int_equal(m->commands[2].state, CMD_UNANSWERED);
	assert_int_equal(m->commands[0].state, CMD_APPLIED);   /* finished ones untouched */
	l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_LOCAL);
	assert_non_null(strstr(l->text, "unanswered"));
	assert_int_equal(model_tick(m, T0 + 99999999) & DIRTY_COMMANDS, 0);
	/* A late answer still counts. */
	e = ev_new(EV_ACK, 7);
	e.u.ack = (EvAck){.command = "k3f9-3", .status = ACK_APPLIED};
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->commands[2].state, CMD_APPLIED);

	/* Refused locally: recorded with its reason, never times out. */
	Command q = {.id = "k3f9-4", .action = ACTION_INJECT, .target_kind = TARGET_AGENT,
	             .target = "researcher", .text = "hi"};
	ci = model_command(m, 0, &q, "op@host", CMD_REFUSED, "read-only", T0);
	assert_int_equal(m->commands[ci].state, CMD_REFUSED);
	assert_string_equal(m->commands[ci].error, "read-only");
	assert_non_null(strstr(model_line(m, m->nlines - 1)->text, "refused: read-only"));
	model_tick(m, T0 + 10 * MODEL_ACK_TIMEOUT_MS);
	assert_int_equal(m->commands[ci].state, CMD_REFUSED);
	/* Bad arguments. */
	assert_int_equal(model_command(m, 5, &q, "x", CMD_SENT, NULL, T0), -1);
	assert_int_equal(model_command(m, 0, NULL, "x", CMD_SENT, NULL, T0), -1);
	model_free(m);
}

/* The command list is bounded; indexes and the id map stay right after dropping. */
static void test_commands_cap(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "a", NULL, AGENT_WORKING);
	model_apply(m, 0, &e, T0, NULL);
	Command c = {.action = ACTION_PAUSE, .target_kind = TARGET_AGENT, .target = "a"};
	for (int i = 0; i < MODEL_COMMANDS_MAX + 50; i++) {
		snprintf(c.id, sizeof c.id, "c-%d", i);
		int ci = model_command(m, 0, &c, "op", CMD_SENT, NULL, T0 + i);
		assert_true(ci >= 0 && ci < MODEL_COMMANDS_MAX);
		assert_int_equal(m->agents[0].last_command, ci);
		assert_string_equal(m->commands[ci].id, c.id);
	}
	assert_true(m->ncommands <= MODEL_COMMANDS_MAX);
	/* Acks find the newest; the oldest are gone (their acks become "another client"). */
	e = ev_new(EV_ACK, 2);
	e.u.ack = (EvAck){.command = "c-1049", .status = ACK_APPLIED};
	model_apply(m, 0, &e, T0, NULL);
	assert_int_equal(m->commands[m->ncommands - 1].state, CMD_APPLIED);
	e = ev_new(EV_ACK, 3);
	e.u.ack = (EvAck){.command = "c-0", .status = ACK_APPLIED};
	model_apply(m, 0, &e, T0, NULL);
	assert_non_null(strstr(model_line(m, m->nlines - 1)->text, "another client"));
	/* A resend of an id updates the same record. */
	size_t n = m->ncommands;
	snprintf(c.id, sizeof c.id, "c-1000");
	int ci = model_command(m, 0, &c, "op", CMD_SENT, NULL, T0 + 5000);
	assert_int_equal(m->ncommands, n);
	assert_int_equal(m->commands[ci].sent_ms, T0 + 5000);
	model_free(m);
}

/* Rejects, connection changes and notes are counted and become local lines. */
static void test_reject_conn_note(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	unsigned d = model_reject(m, 0, "task: missing required field 'task.id'", T0);
	assert_true(d & DIRTY_RUNTIMES && d & DIRTY_LINES);
	assert_int_equal(m->runtimes[0].rejects, 1);
	assert_string_equal(m->runtimes[0].last_reject, "task: missing required field 'task.id'");
	const ModelLine *l = model_line(m, m->nlines - 1);
	assert_int_equal(l->kind, LINE_LOCAL);
	assert_int_equal(l->sub, LOG_WARN);
	assert_non_null(strstr(l->text, "task.id"));

	d = model_set_conn(m, 0, CONN_CONNECTED, NULL, 0, T0 + 1);
	assert_true(d & DIRTY_HEADER);
	assert_int_equal(m->runtimes[0].conn, CONN_CONNECTED);
	assert_int_equal(m->runtimes[0].conn_since_ms, T0 + 1);
	assert_int_equal(model_set_conn(m, 0, CONN_CONNECTED, NULL, 0, T0 + 2), 0);
	d = model_set_conn(m, 0, CONN_RECONNECTING, "connection refused", T0 + 3000, T0 + 1000);
	assert_true(d & DIRTY_LINES);
	assert_int_equal(m->runtimes[0].retry_at_ms, T0 + 3000);
	assert_string_equal(m->runtimes[0].conn_reason, "connection refused");
	l = model_line(m, m->nlines - 1);
	assert_non_null(strstr(l->text, "reconnecting in 2 s: connection refused"));
	d = model_set_conn(m, 0, CONN_AUTH_FAILED, "HTTP 401", 0, T0 + 4000);
	assert_int_equal(model_line(m, m->nlines - 1)->sub, LOG_ERROR);
	assert_int_equal(model_set_conn(m, 0, (ConnState)99, NULL, 0, T0), 0);
	assert_int_equal(model_set_conn(m, 3, CONN_CLOSED, NULL, 0, T0), 0);
	assert_string_equal(conn_state_names[CONN_REPLAY], "replay");
	assert_string_equal(cmd_state_names[CMD_UNANSWERED], "unanswered");

	d = model_note(m, -1, LOG_INFO, "recording to /tmp/x.db", T0 + 5);
	assert_int_equal(d, DIRTY_LINES);
	l = model_line(m, m->nlines - 1);
	assert_string_equal(l->text, "recording to /tmp/x.db");
	assert_int_equal(l->runtime, -1);
	assert_int_equal(l->ts, T0 + 5);
	assert_int_equal(model_reject(m, 9, "x", T0), 0);
	model_free(m);
}

/* Feed the same events to a model; runtimes are added in the given order. */
static char *dump_after_feed(bool swap)
{
	Model *m = model_new();
	int ra = model_add_runtime(m, swap ? "b" : "a", T0);
	int rb = model_add_runtime(m, swap ? "a" : "b", T0);
	if (swap) {
		int t = ra;
		ra = rb;
		rb = t;
	}
	Event h = ev_hello("alpha", "1");
	model_apply(m, ra, &h, T0, NULL);
	h = ev_hello("beta", "1");
	model_apply(m, rb, &h, T0, NULL);
	for (int i = 1; i <= 200; i++) {
		int rt = i % 2 ? ra : rb;
		char id[16], ag[16];
		snprintf(id, sizeof id, "t%d", i % 37);
		snprintf(ag, sizeof ag, "a%d", i % 5);
		Event e;
		switch (i % 5) {
		case 0: e = ev_task(i, id, ag, i % 8); break;
		case 1: e = ev_agent(i, ag, i % 3 ? "a0" : NULL, i % 7); break;
		case 2: e = ev_usage(i, ag, i % 4 ? "gpt-5" : "o3", i, i / 2, 0, 0, 0,
		                     i % 3 ? -1 : 0.001 * i); break;
		case 3:
			e = ev_new(EV_MESSAGE, i);
			e.u.message = (EvMessage){.agent = ag, .text = "hi \x1b[31mred", .role = 1};
			break;
		default:
			e = ev_new(EV_LOG, i + (i == 99 ? 3 : 0)); /* one gap */
			e.u.log = (EvLog){.level = LOG_INFO, .text = "log"};
			break;
		}
		model_apply(m, rt, &e, T0 + i, NULL);
	}
	char *d = model_dump(m);
	model_free(m);
	return d;
}

/* The dump is canonical: same events, same text, whatever the runtime slot order. */
static void test_dump_deterministic(void **state)
{
	(void)state;
	char *a = dump_after_feed(false), *b = dump_after_feed(true);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	/* Strings are escaped: no raw control bytes in the dump. */
	for (const char *p = a; *p; p++)
		assert_true(*p == '\n' || (unsigned char)*p >= 0x20);
	assert_non_null(strstr(a, "\\x1b[31mred"));
	assert_non_null(strstr(a, "runtime \"alpha\""));
	assert_non_null(strstr(a, "gap \"alpha\""));
	free(a);
	free(b);
	char *e = model_dump(NULL);
	assert_string_equal(e, "");
	free(e);
}

/* Each kind of change reports the regions it touched, and bumps the generation. */
static void test_dirty_bits(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "x", T0);
	Event h = ev_hello("rt", "i");
	unsigned d = model_apply(m, 0, &h, T0, NULL);
	assert_int_equal(d, DIRTY_HEADER | DIRTY_RUNTIMES);
	Event e = ev_agent(1, "a", NULL, AGENT_WORKING);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_AGENTS | DIRTY_HEADER);
	e = ev_agent(2, "a", "~", -1);
	e.u.agent.name = "A";
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_AGENTS);
	e = ev_task(3, "t", NULL, -1);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_TASKS | DIRTY_HEADER);
	e = ev_task(4, "t", NULL, TASK_WORKING);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_TASKS);
	e = ev_task(5, "t", "a", -1);
	assert_true(model_apply(m, 0, &e, T0, NULL) & DIRTY_AGENTS);
	e = ev_new(EV_LOG, 6);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_LINES);
	e = ev_new(EV_THREADS, 7);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_THREADS | DIRTY_HEADER);
	e = ev_usage(8, NULL, "m", 1, 1, 0, 0, 0, -1);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_USAGE | DIRTY_HEADER);
	e = ev_new(EV_LOG, 10);
	assert_int_equal(model_apply(m, 0, &e, T0, NULL),
	                 DIRTY_LINES | DIRTY_RUNTIMES | DIRTY_HEADER);   /* gap at 9 */
	unsigned gen = m->generation;
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), DIRTY_RUNTIMES);  /* duplicate */
	assert_true(m->generation != gen);
	gen = m->generation;
	assert_int_equal(model_tick(m, T0) & DIRTY_COMMANDS, 0);
	assert_int_equal(model_tick(m, T0 + 600000), 0);   /* nothing pending, rates idle */
	assert_int_equal(m->generation, gen);
	model_free(m);
}

/* Out-of-range and hostile input: ignored or bounded, never a crash. */
static void test_hostile(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	Event e = ev_agent(1, "a", NULL, -1);
	assert_int_equal(model_apply(m, 1, &e, T0, NULL), 0);
	assert_int_equal(model_apply(m, -1, &e, T0, NULL), 0);
	assert_int_equal(model_apply(m, 0, NULL, T0, NULL), 0);
	assert_int_equal(model_apply(NULL, 0, &e, T0, NULL), 0);
	e.type = (EventType)1234;
	assert_int_equal(model_apply(m, 0, &e, T0, NULL), 0);
	/* Seq 0 or negative before anything: a duplicate (seq starts at 1). */
	ApplyInfo info;
	e = ev_agent(0, "a", NULL, -1);
	model_apply(m, 0, &e, T0, &info);
	assert_true(info.duplicate);
	e = ev_agent(-5, "a", NULL, -1);
	model_apply(m, 0, &e, T0, &info);
	assert_true(info.duplicate);
	/* Over-long ids are cut to EVENT_ID_MAX at a UTF-8 boundary; lookups agree. */
	static char longid[600];
	for (int i = 0; i + 2 < (int)sizeof longid; i += 2)
		memcpy(longid + i, "\xc3\xa9", 2);  /* é é é ... */
	e = ev_agent(1, longid, NULL, -1);
	model_apply(m, 0, &e, T0, NULL);
	int a = model_find_agent(m, 0, longid);
	assert_true(a >= 0);
	assert_true(strlen(m->agents[a].id) <= EVENT_ID_MAX);
	assert_int_equal(strlen(m->agents[a].id) % 2, 0);
	/* Ids with the key separator in them do not collide across runtimes. */
	assert_int_equal(model_add_runtime(m, "b", T0), 1);
	e = ev_agent(1, "x", NULL, -1);
	model_apply(m, 1, &e, T0, NULL);
	assert_int_equal(model_find_agent(m, 0, "x"), -1);
	assert_true(model_find_agent(m, 1, "x") >= 0);
	/* Huge seq jump: counted without overflow. */
	e = ev_agent(EVENT_SAFE_INT, "y", NULL, -1);
	model_apply(m, 1, &e, T0, &info);
	assert_true(info.gap);
	assert_int_equal(m->runtimes[1].gap_events, EVENT_SAFE_INT - 2);
	assert_int_equal(model_find_agent(NULL, 0, "x"), -1);
	assert_int_equal(model_find_agent(m, -1, "x"), -1);
	assert_int_equal(model_find_task(m, -1, "x"), -1);
	assert_int_equal(model_find_task(m, 0, NULL), -1);
	model_free(NULL);
	model_free(m);
}

/* Tasks and agents that stop waiting (new agent or parent) leave their wait list intact. */
static void test_wait_remove(void **state)
{
	(void)state;
	Model *m = model_with_runtime("rt", "i");
	const char *ids[] = {"t1", "t2", "t3", "t4"};
	int64_t seq = 0;
	for (int i = 0; i < 4; i++) {
		Event e = ev_task(++seq, ids[i], "X", TASK_WORKING);
		model_apply(m, 0, &e, T0, NULL);
	}
	/* Off the list from the middle (t2), the head (t4) and the tail (t1). */
	const char *mv[] = {"t2", "t4", "t1"};
	for (int i = 0; i < 3; i++) {
		Event e = ev_task(++seq, mv[i], "Y", TASK_WORKING);
		model_apply(m, 0, &e, T0, NULL);
	}
	Event ax = ev_agent(++seq, "X", NULL, AGENT_WORKING);
	model_apply(m, 0, &ax, T0, NULL);
	int x = model_find_agent(m, 0, "X");
	assert_int_equal(m->agents[x].ntasks, 1);
	assert_int_equal(m->tasks[model_find_task(m, 0, "t3")].agent, x);
	Event ay = ev_agent(++seq, "Y", NULL, AGENT_WORKING);
	model_apply(m, 0, &ay, T0, NULL);
	int y = model_find_agent(m, 0, "Y");
	assert_int_equal(m->agents[y].ntasks, 3);
	/* Agents waiting for a parent: c2 (middle) and c3 (head) change parent before it comes. */
	const char *cs[] = {"c1", "c2", "c3"};
	for (int i = 0; i < 3; i++) {
		Event e = ev_agent(++seq, cs[i], "P", AGENT_WORKING);
		model_apply(m, 0, &e, T0, NULL);
	}
	Event r2 = ev_agent(++seq, "c2", "Q", -1);
	model_apply(m, 0, &r2, T0, NULL);
	Event r3 = ev_agent(++seq, "c3", "Q", -1);
	model_apply(m, 0, &r3, T0, NULL);
	Event p = ev_agent(++seq, "P", NULL, AGENT_WORKING);
	model_apply(m, 0, &p, T0, NULL);
	int pi = model_find_agent(m, 0, "P");
	assert_int_equal(m->agents[model_find_agent(m, 0, "c1")].parent_idx, pi);
	assert_int_equal(m->agents[model_find_agent(m, 0, "c2")].parent_idx, -1);
	Event q = ev_agent(++seq, "Q", NULL, AGENT_WORKING);
	model_apply(m, 0, &q, T0, NULL);
	int qi = model_find_agent(m, 0, "Q");
	assert_int_equal(m->agents[model_find_agent(m, 0, "c2")].parent_idx, qi);
	assert_int_equal(m->agents[model_find_agent(m, 0, "c3")].parent_idx, qi);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_and_unknown),
		cmocka_unit_test(test_agent_upsert_and_parents),
		cmocka_unit_test(test_task_upsert),
		cmocka_unit_test(test_dependency_cycle),
		cmocka_unit_test(test_duplicates_and_gaps),
		cmocka_unit_test(test_new_instance),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_many_tasks),
		cmocka_unit_test(test_task_table_bounded),
		cmocka_unit_test(test_task_table_live_over_cap),
		cmocka_unit_test(test_agent_table_bounded),
		cmocka_unit_test(test_wait_remove),
		cmocka_unit_test(test_line_ring),
		cmocka_unit_test(test_message_log),
		cmocka_unit_test(test_usage_accounting),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_after_snapshot),
		cmocka_unit_test(test_commands_and_acks),
		cmocka_unit_test(test_commands_cap),
		cmocka_unit_test(test_reject_conn_note),
		cmocka_unit_test(test_dump_deterministic),
		cmocka_unit_test(test_dirty_bits),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
