/*
 * test_agui.c: AG-UI 1.0 -> protocol-v1 mapping. The fixture streams in
 * tests/fixtures/agui (generated and validated with @ag-ui/core and
 * @ag-ui/encoder by tests/agui/gen_fixtures.mjs) are mapped and folded into a
 * Model; every mapping row is asserted on the model: runs, steps (order), tool
 * calls with assembled arguments and results, assembled messages without double
 * counting, usage per model, state documents, sub-agents, final statuses. Then
 * rejections, chunks, JSON Patch, and clones; and the fuzz_agui findings: a
 * rejected message changes nothing (not even an open chunk run), and cut strings
 * stay valid UTF-8.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "swarmtop/agui.h"
#include "swarmtop/interop.h"
#include "swarmtop/model.h"
#include "testutil.h"

static Arena arena;

/* Map one message (NUL-terminated) and fold the result into m; returns the count. */
static int feed(AguiState *s, Model *m, const char *json)
{
	const Event *ev;
	char err[PROTO_ERR_MAX];
	arena_reset(&arena);
	int n = agui_map(s, json, strlen(json), &arena, &ev, err);
	for (int i = 0; i < n; i++)
		model_apply(m, 0, &ev[i], 1000, NULL);
	return n;
}

/* Feed every line of fixture agui/name into a fresh model; the state is returned too. */
static Model *feed_fixture(const char *name, AguiState **out)
{
	char path[512], line[65536];
	snprintf(path, sizeof(path), "%s/agui/%s", FIXTURES, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	Model *m = model_new();
	model_add_runtime(m, "ws://127.0.0.1:1/agui", 0);
	AguiState *s = agui_new("127.0.0.1:1/agui", "inst-1");
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			assert_true(feed(s, m, line) >= 0);
	}
	fclose(f);
	*out = s;
	return m;
}

/* The task with id, asserted to exist. */
static const ModelTask *task(const Model *m, const char *id)
{
	int i = model_find_task(m, 0, id);
	if (i < 0)
		fail_msg("no task '%s'", id);
	return &m->tasks[i];
}

/* The agent with id, asserted to exist. */
static const ModelAgent *agent(const Model *m, const char *id)
{
	int i = model_find_agent(m, 0, id);
	if (i < 0)
		fail_msg("no agent '%s'", id);
	return &m->agents[i];
}

/* The first task with this name, asserted to exist. */
static const ModelTask *task_named(const Model *m, const char *name)
{
	for (size_t i = 0; i < m->ntasks; i++)
		if (m->tasks[i].name && !strcmp(m->tasks[i].name, name))
			return &m->tasks[i];
	fail_msg("no task named '%s'", name);
	return NULL;
}

/* How many message lines have exactly this text. */
static int messages_with(const Model *m, const char *text)
{
	int n = 0;
	for (size_t i = 0; i < m->nlines; i++) {
		const ModelLine *l = model_line(m, i);
		if (l->kind == LINE_MESSAGE && !strcmp(l->text, text))
			n++;
	}
	return n;
}

/* How many lines of kind contain text. */
static int lines_containing(const Model *m, LineKind kind, const char *text)
{
	int n = 0;
	for (size_t i = 0; i < m->nlines; i++) {
		const ModelLine *l = model_line(m, i);
		if (l->kind == kind && strstr(l->text, text))
			n++;
	}
	return n;
}

/* The usage row of a model name, asserted to exist. */
static const ModelUsage *usage(const Model *m, const char *model)
{
	for (size_t i = 0; i < m->nusage; i++)
		if (m->usage[i].model && !strcmp(m->usage[i].model, model))
			return &m->usage[i];
	fail_msg("no usage for '%s'", model);
	return NULL;
}

/* A completed run: hello, agent, run, steps in order, tools, messages, usage, state. */
static void test_completed_run(void **state)
{
	(void)state;
	AguiState *s;
	Model *m = feed_fixture("completed.jsonl", &s);
	const ModelRuntime *r = &m->runtimes[0];
	assert_true(r->hello_seen);
	assert_string_equal(r->id, "127.0.0.1:1/agui");
	assert_string_equal(r->instance, "inst-1");
	assert_int_equal(r->caps, 0);
	assert_int_equal(r->rejects, 0);

	assert_int_equal(agent(m, "thread-1")->status, AGENT_COMPLETED);
	const ModelTask *run = task(m, "run-1");
	assert_string_equal(run->kind, "run");
	assert_int_equal(run->status, TASK_COMPLETED);
	assert_non_null(strstr(run->input, "thread thread-1 · run run-1"));
	assert_string_equal(run->output, "{\"vendor\":\"initech\"}");

	const ModelTask *plan = task_named(m, "plan"), *act = task_named(m, "act");
	assert_string_equal(plan->kind, "step");
	assert_string_equal(plan->parent, "run-1");
	assert_string_equal(act->parent, "run-1");
	assert_int_equal(plan->status, TASK_COMPLETED);
	assert_int_equal(act->status, TASK_COMPLETED);
	assert_int_equal(act->ndeps, 1);
	assert_string_equal(act->deps[0], plan->id);

	const ModelTask *c1 = task(m, "call-1");
	assert_string_equal(c1->name, "web_search");
	assert_string_equal(c1->kind, "tool");
	assert_string_equal(c1->input, "{\"query\":\"vendor pricing\"}");
	assert_string_equal(c1->output, "3 results: acme $10, globex $12, initech $9");
	assert_string_equal(c1->parent, act->id);
	assert_string_equal(c1->agent_id, "thread-1");
	assert_int_equal(c1->status, TASK_COMPLETED);
	const ModelTask *c2 = task(m, "call-2");
	assert_string_equal(c2->name, "fetch_page");
	assert_string_equal(c2->input, "{\"url\":\"https://acme.example\"}");
	assert_string_equal(c2->output, "Acme pricing page");

	/* deltas assembled; the snapshot adds only the user message it alone carries */
	assert_int_equal(messages_with(m, "I will search for vendor pricing."), 1);
	assert_int_equal(messages_with(m, "Initech is cheapest at $9."), 1);
	assert_int_equal(messages_with(m, AGUI_REASONING_PREFIX "Initech is cheapest."), 1);
	assert_int_equal(messages_with(m, "Find the cheapest vendor."), 1);
	assert_int_equal(messages_with(m, "3 results: acme $10, globex $12, initech $9"), 0);
	assert_int_equal(lines_containing(m, LINE_MESSAGE, ""), 4);

	/* usage per model: cached and reasoning are parts, never additions */
	const ModelUsage *u1 = usage(m, "gpt-4o"), *u2 = usage(m, "claude-sonnet-4");
	assert_string_equal(u1->provider, "openai");
	assert_int_equal(u1->tokens.input, 1200);
	assert_int_equal(u1->tokens.output, 300);
	assert_int_equal(u1->tokens.cache_read, 1000);
	assert_int_equal(u2->tokens.reasoning, 200);
	assert_int_equal(u2->tokens.cache_write, 100);
	assert_int_equal(r->tokens.input, 2000);
	assert_int_equal(r->tokens.output, 800);

	char *st = agui_state_json(s, "thread-1");
	assert_non_null(st);
	assert_string_equal(st, "{\"plan\":[\"search\"],\"done\":true}");
	free(st);
	assert_null(agui_state_json(s, "nobody"));
	assert_int_equal(lines_containing(m, LINE_LOG, "custom progress: {\"percent\":100}"), 1);
	assert_int_equal(lines_containing(m, LINE_LOG, "raw[langgraph]:"), 1);
	assert_int_equal(agui_unknown(s), 0);
	agui_free(s);
	model_free(m);
}

/* RUN_ERROR fails the run in progress, its open step and tool call, with usage. */
static void test_run_error(void **state)
{
	(void)state;
	AguiState *s;
	Model *m = feed_fixture("run_error.jsonl", &s);
	const ModelTask *run = task(m, "run-2");
	assert_int_equal(run->status, TASK_FAILED);
	assert_string_equal(run->error, "[429] rate limit exceeded");
	assert_int_equal(agent(m, "thread-2")->status, AGENT_FAILED);
	assert_int_equal(task_named(m, "call_model")->status, TASK_FAILED);
	const ModelTask *c = task(m, "call-9");
	assert_int_equal(c->status, TASK_FAILED);
	assert_string_equal(c->input, "{\"sql\":\"select 1\"}");
	assert_int_equal(usage(m, "gpt-4o-mini")->tokens.input, 50);
	agui_free(s);
	model_free(m);
}

/* A sub-agent fails inside a run that completes. */
static void test_subagent_error(void **state)
{
	(void)state;
	AguiState *s;
	Model *m = feed_fixture("subagent_error.jsonl", &s);
	const ModelAgent *sub = agent(m, "sub-1");
	assert_string_equal(sub->name, "researcher");
	assert_string_equal(sub->parent, "thread-3");
	assert_int_equal(sub->status, AGENT_FAILED);
	const ModelTask *st = task(m, "sub-1");
	assert_int_equal(st->status, TASK_FAILED);
	assert_string_equal(st->error, "[UNAVAILABLE] search backend unreachable");
	assert_string_equal(st->parent, "call-d");
	const ModelTask *lookup = task_named(m, "lookup");
	assert_string_equal(lookup->agent_id, "sub-1");
	assert_string_equal(lookup->parent, "sub-1");
	assert_int_equal(lookup->status, TASK_FAILED);
	assert_int_equal(messages_with(m, "Looking up."), 1);
	assert_string_equal(sub->last_message, "Looking up.");
	assert_int_equal(task(m, "call-d")->status, TASK_COMPLETED);
	assert_int_equal(task(m, "run-3")->status, TASK_COMPLETED);
	assert_int_equal(agent(m, "thread-3")->status, AGENT_COMPLETED);
	assert_int_equal(messages_with(m, "Best guess: initech."), 1);
	agui_free(s);
	model_free(m);
}

/* An interrupt leaves the run and its open call waiting, with the reasons shown. */
static void test_interrupt(void **state)
{
	(void)state;
	AguiState *s;
	Model *m = feed_fixture("interrupt.jsonl", &s);
	const ModelTask *run = task(m, "run-4");
	assert_int_equal(run->status, TASK_INPUT_REQUIRED);
	assert_string_equal(run->output, "approval: Approve a transfer of 5000?");
	assert_int_equal(agent(m, "thread-4")->status, AGENT_INPUT_REQUIRED);
	assert_int_equal(task(m, "call-w")->status, TASK_INPUT_REQUIRED);
	assert_int_equal(lines_containing(m, LINE_LOG, "interrupted: approval"), 1);
	agui_free(s);
	model_free(m);
}

/* Cancelled runs, parentRunId links, seqs numbered 1.. with the hello first. */
static void test_cancel_parent_seq(void **state)
{
	(void)state;
	AguiState *s = agui_new("rt", "i");
	const Event *ev;
	char err[PROTO_ERR_MAX];
	const char *a = "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r2\","
	                "\"parentRunId\":\"r1\"}";
	agui_set_now(s, 777);
	int n = agui_map(s, a, strlen(a), &arena, &ev, err);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].type, EV_HELLO);
	assert_int_equal(ev[0].u.hello.capabilities, 0);
	assert_int_equal(ev[1].type, EV_AGENT);
	assert_int_equal(ev[1].seq, 1);
	assert_int_equal(ev[1].ts, 777);
	assert_int_equal(ev[2].seq, 2);
	assert_string_equal(ev[2].u.task.parent, "r1");
	const char *b = "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"r2\","
	                "\"timestamp\":5000,\"outcome\":{\"type\":\"cancelled\"}}";
	n = agui_map(s, b, strlen(b), &arena, &ev, err);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].seq, 3);
	assert_int_equal(ev[0].ts, 5000);
	assert_int_equal(ev[0].u.task.status, TASK_CANCELED);
	assert_int_equal(ev[1].u.agent.status, AGENT_CANCELED);
	agui_free(s);
}

/* Malformed messages are rejected naming the field; they change nothing. */
static void test_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *json, *err;
	} cases[] = {
		{ "not json", "AG-UI: not a JSON object" },
		{ "[1,2]", "AG-UI: not a JSON object" },
		{ "{\"runId\":\"r\"}", "AG-UI: 'type' is missing" },
		{ "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\"}", "RUN_STARTED: 'runId' is missing" },
		{ "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"\"}",
		  "RUN_STARTED: 'runId' is missing" },
		{ "{\"type\":\"TOOL_CALL_ARGS\",\"toolCallId\":\"x\"}",
		  "TOOL_CALL_ARGS: 'delta' is missing" },
		{ "{\"type\":\"TOOL_CALL_START\",\"toolCallId\":\"x\"}",
		  "TOOL_CALL_START: 'toolCallName' is missing" },
		{ "{\"type\":\"RUN_ERROR\"}", "RUN_ERROR: 'message' is missing" },
		{ "{\"type\":\"STATE_DELTA\",\"delta\":{}}", "STATE_DELTA: 'delta' is missing" },
		{ "{\"type\":\"MESSAGES_SNAPSHOT\"}", "MESSAGES_SNAPSHOT: 'messages' is missing" },
		{ "{\"type\":\"RUN_FINISHED\",\"runId\":\"r\",\"outcome\":{\"type\":\"weird\"}}",
		  "RUN_FINISHED: unknown 'outcome.type' 'weird'" },
		{ "{\"type\":\"SUBAGENT_ERROR\",\"subagentRunId\":\"s\"}",
		  "SUBAGENT_ERROR: 'message' is missing" },
		{ "{\"type\":\"TOOL_CALL_RESULT\",\"toolCallId\":\"x\",\"messageId\":\"m\"}",
		  "TOOL_CALL_RESULT: 'content' is missing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		AguiState *s = agui_new("rt", "i");
		const Event *ev = (const Event *)&ev;
		char err[PROTO_ERR_MAX];
		assert_int_equal(agui_map(s, cases[i].json, strlen(cases[i].json), &arena, &ev, err),
		                 -1);
		assert_string_equal(err, cases[i].err);
		/* nothing was emitted: the hello comes with the next good message, seq 1 after */
		const char *ok = "{\"type\":\"STEP_STARTED\",\"stepName\":\"x\"}";
		int n = agui_map(s, ok, strlen(ok), &arena, &ev, err);
		assert_int_equal(n, 2);
		assert_int_equal(ev[0].type, EV_HELLO);
		assert_int_equal(ev[1].seq, 1);
		agui_free(s);
	}
	/* a second RUN_STARTED of the same run is refused */
	AguiState *s = agui_new("rt", "i");
	const Event *ev;
	char err[PROTO_ERR_MAX];
	const char *a = "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}";
	assert_true(agui_map(s, a, strlen(a), &arena, &ev, err) > 0);
	assert_int_equal(agui_map(s, a, strlen(a), &arena, &ev, err), -1);
	assert_string_equal(err, "RUN_STARTED: run 'r' is already running");
	/* unknown types are counted, not rejected */
	const char *u = "{\"type\":\"FUTURE_THING\"}";
	assert_int_equal(agui_map(s, u, strlen(u), &arena, &ev, err), 0);
	assert_int_equal(agui_unknown(s), 1);
	/* RUN_ERROR with no run in progress: a log line, no task */
	const char *f = "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"r\"}";
	assert_true(agui_map(s, f, strlen(f), &arena, &ev, err) > 0);
	const char *e = "{\"type\":\"RUN_ERROR\",\"message\":\"boom\"}";
	int n = agui_map(s, e, strlen(e), &arena, &ev, err);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, EV_LOG);
	assert_int_equal(ev[0].u.log.level, LOG_ERROR);
	assert_string_equal(ev[0].u.log.text, "boom");
	agui_free(s);
}

/* A chunk run is closed by the next event of another type; a failed patch changes nothing. */
static void test_chunks_and_state(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "x", 0);
	AguiState *s = agui_new("rt", "i");
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}");
	feed(s, m, "{\"type\":\"TEXT_MESSAGE_CHUNK\",\"messageId\":\"a\",\"delta\":\"he\"}");
	feed(s, m, "{\"type\":\"TEXT_MESSAGE_CHUNK\",\"delta\":\"llo\"}");
	assert_int_equal(messages_with(m, "hello"), 0);
	feed(s, m, "{\"type\":\"TEXT_MESSAGE_CHUNK\",\"messageId\":\"b\",\"delta\":\"x\"}");
	assert_int_equal(messages_with(m, "hello"), 1);
	feed(s, m, "{\"type\":\"STATE_SNAPSHOT\",\"snapshot\":{\"a/b\":[1,2],\"c\":{\"d\":1}}}");
	assert_int_equal(messages_with(m, "x"), 1);
	feed(s, m, "{\"type\":\"STATE_DELTA\",\"delta\":[{\"op\":\"remove\",\"path\":\"/a~1b/0\"},"
	           "{\"op\":\"move\",\"from\":\"/c/d\",\"path\":\"/e\"},"
	           "{\"op\":\"copy\",\"from\":\"/e\",\"path\":\"/f\"},"
	           "{\"op\":\"test\",\"path\":\"/f\",\"value\":1}]}");
	char *st = agui_state_json(s, "t");
	assert_string_equal(st, "{\"a/b\":[2],\"c\":{},\"e\":1,\"f\":1}");
	free(st);
	/* the second op fails: the first must not stay applied */
	feed(s, m, "{\"type\":\"STATE_DELTA\",\"delta\":[{\"op\":\"add\",\"path\":\"/g\",\"value\":2},"
	           "{\"op\":\"replace\",\"path\":\"/nope\",\"value\":3}]}");
	st = agui_state_json(s, "t");
	assert_string_equal(st, "{\"a/b\":[2],\"c\":{},\"e\":1,\"f\":1}");
	free(st);
	assert_int_equal(lines_containing(m, LINE_LOG, "state delta not applied: patch: "
	                                  "replace: no such path '/nope'"), 1);
	/* MESSAGES_SNAPSHOT twice: shown once */
	const char *snap = "{\"type\":\"MESSAGES_SNAPSHOT\",\"messages\":[{\"id\":\"u\",\"role\":"
	                   "\"user\",\"content\":\"q?\"},{\"id\":\"a\",\"role\":\"assistant\","
	                   "\"content\":\"hello\"}]}";
	feed(s, m, snap);
	feed(s, m, snap);
	assert_int_equal(messages_with(m, "q?"), 1);
	assert_int_equal(messages_with(m, "hello"), 1);
	agui_free(s);
	model_free(m);
}

/* RFC 6902 edge cases straight on interop_json_patch. */
static void test_json_patch(void **state)
{
	(void)state;
	cJSON *doc = cJSON_Parse("{\"l\":[1,2,3]}");
	char err[PROTO_ERR_MAX];
	cJSON *p = cJSON_Parse("[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":9},"
	                       "{\"op\":\"add\",\"path\":\"/l/-\",\"value\":4}]");
	assert_int_equal(interop_json_patch(&doc, p, err, sizeof(err)), 0);
	char *t = cJSON_PrintUnformatted(doc);
	assert_string_equal(t, "{\"l\":[1,9,2,3,4]}");
	free(t);
	cJSON_Delete(p);
	static const char *bad[] = {
		"[{\"op\":\"add\",\"path\":\"/l/9\",\"value\":1}]",
		"[{\"op\":\"add\",\"path\":\"/l/01\",\"value\":1}]",
		"[{\"op\":\"remove\",\"path\":\"/x/y\"}]",
		"[{\"op\":\"jump\",\"path\":\"/l\"}]",
		"[{\"op\":\"add\",\"path\":\"l\",\"value\":1}]",
		"[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]",
		"[{\"op\":\"test\",\"path\":\"/l/0\",\"value\":2}]",
		"[{\"op\":\"move\",\"path\":\"/z\"}]",
		"{\"op\":\"add\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = cJSON_Parse(bad[i]);
		assert_int_equal(interop_json_patch(&doc, p, err, sizeof(err)), -1);
		assert_true(strncmp(err, "patch: ", 7) == 0);
		cJSON_Delete(p);
	}
	t = cJSON_PrintUnformatted(doc);
	assert_string_equal(t, "{\"l\":[1,9,2,3,4]}");
	free(t);
	p = cJSON_Parse("[{\"op\":\"replace\",\"path\":\"\",\"value\":[true]}]");
	assert_int_equal(interop_json_patch(&doc, p, err, sizeof(err)), 0);
	t = cJSON_PrintUnformatted(doc);
	assert_string_equal(t, "[true]");
	free(t);
	cJSON_Delete(p);
	cJSON_Delete(doc);
}

/* A clone taken mid-stream maps the rest exactly like the original (replay checkpoints),
 * and interop_decode replays a stored stream the same way. */
static void test_clone_and_decode(void **state)
{
	(void)state;
	const char *msgs[] = {
		"{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}",
		"{\"type\":\"TEXT_MESSAGE_START\",\"messageId\":\"m\"}",
		"{\"type\":\"TEXT_MESSAGE_CONTENT\",\"messageId\":\"m\",\"delta\":\"ab\"}",
		"{\"type\":\"TEXT_MESSAGE_CONTENT\",\"messageId\":\"m\",\"delta\":\"cd\"}",
		"{\"type\":\"TEXT_MESSAGE_END\",\"messageId\":\"m\"}",
		"{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"r\"}",
	};
	Model *a = model_new(), *b = model_new(), *c = model_new();
	model_add_runtime(a, "x", 0);
	model_add_runtime(b, "x", 0);
	model_add_runtime(c, "x", 0);
	AguiState *s = agui_new("rt", "i");
	AguiState *k = NULL;
	agui_set_now(s, 1000);
	for (size_t i = 0; i < 6; i++) {
		if (i == 3) {
			k = agui_clone(s);
			assert_non_null(k);
			model_free(b);
			b = model_clone(a);
		}
		feed(s, a, msgs[i]);
		if (k)
			feed(k, b, msgs[i]);
	}
	InteropDecoder *d = interop_decoder_new("agui", "rt", "i");
	assert_non_null(d);
	assert_null(interop_decoder_new("task", "rt", "i"));
	assert_true(interop_type("otlp"));
	assert_false(interop_type("hello"));
	for (size_t i = 0; i < 6; i++) {
		const Event *ev;
		char err[PROTO_ERR_MAX];
		arena_reset(&arena);
		int n = interop_decode(d, msgs[i], strlen(msgs[i]), 1000, &arena, &ev, err);
		assert_true(n >= 0);
		for (int j = 0; j < n; j++)
			model_apply(c, 0, &ev[j], 1000, NULL);
	}
	char *da = model_dump(a), *db = model_dump(b), *dc = model_dump(c);
	assert_string_equal(da, db);
	assert_string_equal(da, dc);
	assert_int_equal(messages_with(a, "abcd"), 1);
	free(da), free(db), free(dc);
	interop_decoder_free(d);
	agui_free(s);
	agui_free(k);
	model_free(a);
	model_free(b);
	model_free(c);
}

/* A session's decoders: one per (type, runtime, instance), cloned with checkpoints. */
static void test_interop_set(void **state)
{
	(void)state;
	InteropSet *x = interop_set_new();
	const Event *ev;
	char err[PROTO_ERR_MAX];
	const char *a = "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}";
	const char *b = "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"r\"}";
	/* first row of an instance: hello first, seqs from 1 */
	int n = interop_set_decode(x, "agui", "rt", "i1", a, strlen(a), 5, &arena, &ev, err);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].type, EV_HELLO);
	assert_string_equal(ev[0].u.hello.instance, "i1");
	/* another instance of the same runtime has its own decoder */
	n = interop_set_decode(x, "agui", "rt", "i2", a, strlen(a), 6, &arena, &ev, err);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].u.hello.instance, "i2");
	InteropSet *c = interop_set_clone(x);
	assert_non_null(c);
	n = interop_set_decode(x, "agui", "rt", "i1", b, strlen(b), 7, &arena, &ev, err);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].seq, 3);
	assert_int_equal(ev[0].u.task.status, TASK_COMPLETED);
	n = interop_set_decode(c, "agui", "rt", "i1", b, strlen(b), 7, &arena, &ev, err);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].seq, 3);
	assert_int_equal(interop_set_decode(x, "task", "rt", "i1", b, strlen(b), 7, &arena, &ev, err),
	                 -1);
	assert_string_equal(err, "interop: not an AG-UI or OTLP row");
	assert_int_equal(interop_set_decode(x, "agui", "rt", "i1", "{", 1, 7, &arena, &ev, err), -1);
	interop_set_free(x);
	interop_set_free(c);
}

/* Hostile input: every prefix of every fixture message, and byte flips, through one
 * mapper: no crash (ASan/UBSan), every answer either events or a one-line reason. */
static void test_truncations(void **state)
{
	(void)state;
	static const char *files[] = { "completed.jsonl", "subagent_error.jsonl" };
	AguiState *s = agui_new("rt", "i");
	char line[8192], path[512];
	for (size_t f = 0; f < 2; f++) {
		snprintf(path, sizeof(path), "%s/agui/%s", FIXTURES, files[f]);
		FILE *in = fopen(path, "r");
		assert_non_null(in);
		while (fgets(line, sizeof(line), in)) {
			size_t n = strcspn(line, "\n");
			for (size_t k = 0; k <= n; k++) {
				const Event *ev;
				char err[PROTO_ERR_MAX];
				arena_reset(&arena);
				int r = agui_map(s, line, k, &arena, &ev, err);
				assert_true(r >= 0 || (err[0] && strlen(err) < PROTO_ERR_MAX));
				if (k < n) {
					char save = line[k];
					line[k] = (char)(save ^ 0x20);
					arena_reset(&arena);
					(void)agui_map(s, line, n, &arena, &ev, err);
					line[k] = save;
				}
			}
		}
		fclose(in);
	}
	agui_free(s);
}


/* Scopes from hostile or repeated ids: a sub-agent whose id is its run's ends (it used to
 * recurse forever), and same-named steps in different scopes are closed one by one. */
static void test_scope_ids(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "x", 0);
	AguiState *s = agui_new("rt", "i");
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"X\"}");
	feed(s, m, "{\"type\":\"SUBAGENT_STARTED\",\"subagentRunId\":\"X\",\"name\":\"n\"}");
	feed(s, m, "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"X\"}");
	assert_int_equal(task(m, "X")->status, TASK_COMPLETED);
	assert_int_equal(agent(m, "X")->status, AGENT_COMPLETED);
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"Y\"}");
	feed(s, m, "{\"type\":\"SUBAGENT_STARTED\",\"subagentRunId\":\"Y\",\"name\":\"n\"}");
	feed(s, m, "{\"type\":\"SUBAGENT_FINISHED\",\"subagentRunId\":\"Y\"}");
	feed(s, m, "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"Y\"}");
	assert_int_equal(task(m, "Y")->status, TASK_COMPLETED);
	/* step "s" in runs A and B; A ends: B's step stays open and later completes */
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"A\"}");
	feed(s, m, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}");
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"u\",\"runId\":\"B\"}");
	feed(s, m, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}");
	feed(s, m, "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"A\"}");
	assert_int_equal(task(m, "A/step:s#1")->status, TASK_COMPLETED);
	assert_int_equal(task(m, "B/step:s#2")->status, TASK_WORKING);
	assert_int_equal(feed(s, m, "{\"type\":\"STEP_FINISHED\",\"stepName\":\"s\"}"), 1);
	assert_int_equal(task(m, "B/step:s#2")->status, TASK_COMPLETED);
	/* step "s" in a sub-agent and in its run: finishing the sub-agent's leaves the run's */
	feed(s, m, "{\"type\":\"SUBAGENT_STARTED\",\"subagentRunId\":\"S\",\"name\":\"n\"}");
	feed(s, m, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\",\"subagentRunId\":\"S\"}");
	feed(s, m, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}");
	feed(s, m, "{\"type\":\"STEP_FINISHED\",\"stepName\":\"s\",\"subagentRunId\":\"S\"}");
	assert_int_equal(task(m, "S/step:s#3")->status, TASK_COMPLETED);
	assert_int_equal(task(m, "B/step:s#4")->status, TASK_WORKING);
	feed(s, m, "{\"type\":\"RUN_FINISHED\",\"threadId\":\"u\",\"runId\":\"B\"}");
	assert_int_equal(task(m, "B/step:s#4")->status, TASK_COMPLETED);
	assert_int_equal(task(m, "S")->status, TASK_COMPLETED);
	agui_free(s);
	model_free(m);
}

/* Arena set-up shared by the tests. */
static int setup(void **state)
{
	(void)state;
	arena_init(&arena, 1 << 16);
	return 0;
}

/* Arena tear-down. */
static int teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/* Map json with s: the count (events in *ev). */
static int map(AguiState *s, const char *json, const Event **ev)
{
	char err[PROTO_ERR_MAX];
	arena_reset(&arena);
	return agui_map(s, json, strlen(json), &arena, ev, err);
}

/* fuzz_agui (tests/fuzz/seeds_agui/regress-rejected-closes-chunk.jsonl): a rejected
 * message closed the open chunk runs before its handler refused it, so the message
 * assembled so far was lost (replay, which never sees the rejected message, showed it). */
static void test_rejected_keeps_chunks(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "x", 0);
	AguiState *s = agui_new("rt", "i");
	feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}");
	feed(s, m, "{\"type\":\"TEXT_MESSAGE_CHUNK\",\"messageId\":\"d\",\"delta\":\"two \"}");
	assert_int_equal(feed(s, m, "{\"type\":\"TEXT_MESSAGE_START\"}"), -1);
	assert_int_equal(feed(s, m, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}"),
	                 -1);
	feed(s, m, "{\"type\":\"TEXT_MESSAGE_CHUNK\",\"messageId\":\"d\",\"delta\":\"three\"}");
	feed(s, m, "{\"type\":\"RUN_FINISHED\",\"threadId\":\"t\",\"runId\":\"r\"}");
	assert_int_equal(messages_with(m, "two three"), 1);
	agui_free(s);
	model_free(m);

	/* at AGUI_MAX_OPEN: a refused STEP_STARTED neither numbers a step nor ends a tool chunk */
	s = agui_new("rt", "i");
	const Event *ev;
	assert_true(map(s, "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"r\"}", &ev) > 0);
	for (int i = 2; i < AGUI_MAX_OPEN; i++)
		assert_int_equal(map(s, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}", &ev), 1);
	assert_int_equal(map(s, "{\"type\":\"TOOL_CALL_CHUNK\",\"toolCallId\":\"k\","
	                        "\"delta\":\"{\\\"a\\\"\"}", &ev), 1);
	assert_int_equal(map(s, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}", &ev), -1);
	/* the chunk run is still open: an id-less chunk continues it */
	assert_int_equal(map(s, "{\"type\":\"TOOL_CALL_CHUNK\",\"delta\":\":1}\"}", &ev), 0);
	assert_true(map(s, "{\"type\":\"TOOL_CALL_END\",\"toolCallId\":\"k\"}", &ev) >= 1);
	assert_string_equal(ev[0].u.task.input, "{\"a\":1}");
	assert_true(map(s, "{\"type\":\"TOOL_CALL_RESULT\",\"toolCallId\":\"k\",\"content\":\"\"}",
	                &ev) > 0);
	/* the refused step took no number */
	assert_int_equal(map(s, "{\"type\":\"STEP_STARTED\",\"stepName\":\"s\"}", &ev), 1);
	char want[64];
	snprintf(want, sizeof(want), "r/step:s#%d", AGUI_MAX_OPEN - 1);
	assert_string_equal(ev[0].u.task.id, want);
	agui_free(s);
}

/* Every string of the events, valid UTF-8. */
static void assert_utf8(const Event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		const Event *e = &ev[i];
		const char *f[8] = { 0 };
		if (e->type == EV_AGENT) {
			const EvAgent *g = &e->u.agent;
			f[0] = g->id, f[1] = g->name, f[2] = g->role, f[3] = g->parent;
		} else if (e->type == EV_TASK) {
			const EvTask *t = &e->u.task;
			f[0] = t->id, f[1] = t->name, f[2] = t->parent, f[3] = t->error;
			f[4] = t->input, f[5] = t->output, f[6] = t->agent;
			f[7] = t->ndeps ? t->deps[0] : NULL;
		} else if (e->type == EV_LOG) {
			f[0] = e->u.log.text, f[1] = e->u.log.task;
		} else if (e->type == EV_MESSAGE) {
			f[0] = e->u.message.text, f[1] = e->u.message.id;
		}
		for (size_t k = 0; k < 8; k++)
			if (f[k] && !test_utf8_ok(f[k]))
				fail_msg("event %d field %zu is not UTF-8: '%s'", i, k, f[k]);
	}
}

/* fuzz_agui (tests/fuzz/seeds_agui/regress-utf8-cut.jsonl): names, inputs, step ids,
 * errors and log lines built with "%.Ns" cut multi-byte characters in two. */
static void test_utf8_cuts(void **state)
{
	(void)state;
	char big[1200] = "", json[16384];
	for (int i = 0; i < 301; i++)
		strcat(big, i ? "\xe2\x82\xac" : "x");   /* "x€€€...": 3-byte characters, odd start */
	AguiState *s = agui_new("rt", "i");
	const Event *ev;
	static const char *const fmt[] = {
		"{\"type\":\"RUN_STARTED\",\"threadId\":\"%s\",\"runId\":\"%s\",\"parentRunId\":\"%s\"}",
		"{\"type\":\"STEP_STARTED\",\"stepName\":\"%s\"}",
		"{\"type\":\"STEP_STARTED\",\"stepName\":\"%s\"}",
		"{\"type\":\"CUSTOM\",\"name\":\"%s\",\"value\":1}",
		"{\"type\":\"RAW\",\"source\":\"%s\",\"event\":1}",
		"{\"type\":\"STATE_DELTA\",\"delta\":[{\"op\":\"remove\",\"path\":\"/%s\"}]}",
		"{\"type\":\"SUBAGENT_STARTED\",\"subagentRunId\":\"s\",\"name\":\"n\"}",
		"{\"type\":\"SUBAGENT_ERROR\",\"subagentRunId\":\"s\",\"message\":\"%s\",\"code\":\"%s\"}",
		"{\"type\":\"MESSAGES_SNAPSHOT\",\"messages\":[{\"id\":\"a\",\"role\":\"assistant\","
		"\"toolCalls\":[{\"function\":{\"name\":\"%s\"}},{\"function\":{\"name\":\"%s\"}},"
		"{\"function\":{\"name\":\"%s\"}},{\"function\":{\"name\":\"%s\"}},"
		"{\"function\":{\"name\":\"%s\"}},{\"function\":{\"name\":\"%s\"}},"
		"{\"function\":{\"name\":\"%s\"}},{\"function\":{\"name\":\"%s\"}},"
		"{\"function\":{\"name\":\"%s\"}}]}]}",
		"{\"type\":\"RUN_FINISHED\",\"runId\":\"%s\",\"outcome\":{\"type\":\"interrupt\","
		"\"interrupts\":[{\"reason\":\"%s\",\"message\":\"%s\"},{\"reason\":\"%s\","
		"\"message\":\"%s\"},{\"reason\":\"%s\",\"message\":\"%s\"},{\"reason\":\"%s\","
		"\"message\":\"%s\"},{\"reason\":\"%s\",\"message\":\"%s\"}]}}",
	};
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(json, sizeof(json), fmt[i], big, big, big, big, big, big, big, big, big, big, big);
		int n = map(s, json, &ev);
		assert_true(n > 0);
		assert_utf8(ev, n);
	}
	/* a rejection's reason too */
	char err[PROTO_ERR_MAX];
	snprintf(json, sizeof(json), "{\"type\":\"RUN_STARTED\",\"threadId\":\"t\",\"runId\":\"%s\"}",
	         big);
	assert_true(map(s, json, &ev) > 0);
	arena_reset(&arena);
	assert_int_equal(agui_map(s, json, strlen(json), &arena, &ev, err), -1);
	assert_true(strstr(err, "is already running") != NULL);
	assert_true(test_utf8_ok(err));
	agui_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completed_run),
		cmocka_unit_test(test_run_error),
		cmocka_unit_test(test_subagent_error),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_cancel_parent_seq),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_chunks_and_state),
		cmocka_unit_test(test_json_patch),
		cmocka_unit_test(test_clone_and_decode),
		cmocka_unit_test(test_interop_set),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_scope_ids),
		cmocka_unit_test(test_rejected_keeps_chunks),
		cmocka_unit_test(test_utf8_cuts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
