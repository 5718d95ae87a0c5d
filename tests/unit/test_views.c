/*
 * test_views.c: golden-text tests of every view (header + body, as the
 * dashboard lays them out) at 80x24 and 200x60 over models built with
 * model_apply: empty, realistic, hostile names (escape sequences), wide CJK
 * names, and 1 000 agents / 10 000 tasks. Plus element checks (a failed
 * agent's state cell is EL_STATUS_FAILED), attention order, filters, the
 * tree, selection scrolling, costs ("no price", estimates), ASCII mode, and a
 * rough per-frame timing (printed, not asserted).
 *
 * UPDATE_GOLDEN=1 rewrites tests/fixtures/golden/ from the current output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "swarmtop/canvas.h"
#include "swarmtop/model.h"
#include "swarmtop/view.h"
#include "testutil.h"

#define T0 1700000000000LL   /* 22:13:20 UTC */
#define NOW (T0 + 120000)

typedef struct Fx {
	Model *m;
	int64_t seq[4];
	PriceTable prices;
} Fx;

/* Apply an event at time t on runtime rt with the next seq. */
static void apply(Fx *f, int rt, Event *ev, int64_t t)
{
	ev->seq = ++f->seq[rt];
	ev->ts = t;
	model_apply(f->m, rt, ev, t, NULL);
}

/* Add a connected runtime with a hello. */
static int add_runtime(Fx *f, const char *url, const char *id, const char *name,
                       const char *lang, bool ft, int64_t cores)
{
	int rt = model_add_runtime(f->m, url, T0);
	Event ev = {.type = EV_HELLO};
	ev.u.hello = (EvHello){.proto = 1, .id = id, .instance = "i-1", .name = name,
	                       .lang = lang, .lang_version = lang ? "3.14" : NULL,
	                       .free_threaded = ft, .cores = cores,
	                       .capabilities = 0x1f,
	                       .has = HAS_CORES | (lang ? HAS_FREE_THREADED : 0)};
	model_apply(f->m, rt, &ev, T0, NULL);
	model_set_conn(f->m, rt, CONN_CONNECTED, NULL, 0, T0);
	return rt;
}

/* Add or update an agent. */
static void agent(Fx *f, int rt, const char *id, const char *name, const char *parent,
                  AgentStatus st, const char *model, int64_t t)
{
	Event ev = {.type = EV_AGENT};
	ev.u.agent = (EvAgent){.id = id, .name = name, .parent = parent, .status = st,
	                       .model = model, .role = "worker",
	                       .has = HAS_STATUS | (parent ? HAS_PARENT : 0)};
	apply(f, rt, &ev, t);
}

/* Add or update a task. */
static void task(Fx *f, int rt, const char *id, const char *ag, const char *name,
                 TaskStatus st, int64_t t)
{
	Event ev = {.type = EV_TASK};
	ev.u.task = (EvTask){.id = id, .agent = ag, .name = name, .status = st,
	                     .has = HAS_STATUS};
	apply(f, rt, &ev, t);
}

/* Report usage (cost < 0: not billed). */
static void usage(Fx *f, int rt, const char *ag, const char *provider, const char *model,
                  int64_t in, int64_t out, int64_t cr, double cost, int64_t t)
{
	Event ev = {.type = EV_USAGE};
	ev.u.usage = (EvUsage){.agent = ag, .provider = provider, .model = model,
	                       .input_tokens = in, .output_tokens = out, .cache_read_tokens = cr,
	                       .reasoning_tokens = out / 4, .cost_usd = cost > 0 ? cost : 0,
	                       .has = cost > 0 ? HAS_COST : 0};
	apply(f, rt, &ev, t);
}

/* A message from an agent. */
static void message(Fx *f, int rt, const char *ag, MessageRole role, const char *text, int64_t t)
{
	Event ev = {.type = EV_MESSAGE};
	ev.u.message = (EvMessage){.agent = ag, .text = text, .role = role};
	apply(f, rt, &ev, t);
}

/* A log line. */
static void logline(Fx *f, int rt, const char *ag, LogLevel lv, const char *text, int64_t t)
{
	Event ev = {.type = EV_LOG};
	ev.u.log = (EvLog){.level = lv, .text = text, .agent = ag};
	apply(f, rt, &ev, t);
}

/* A threads sample. */
static void threads(Fx *f, int rt, const double *cores, size_t nc, const EvThread *th,
                    size_t nt, int64_t t)
{
	Event ev = {.type = EV_THREADS};
	ev.u.threads = (EvThreads){.interval_ms = 1000, .cores = cores, .ncores = nc,
	                           .threads = th, .nthreads = nt, .has = HAS_INTERVAL};
	apply(f, rt, &ev, t);
}

/* A fresh fixture with a price table. */
static Fx *fx_new(void)
{
	Fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->m = model_new();
	assert_non_null(f->m);
	prices_init(&f->prices);
	const char *p = "anthropic/claude-sonnet-4 3 15 0.3 3.75\nopenai/gpt-4o 2.5 10 1.25\n";
	prices_parse(&f->prices, p, strlen(p), NULL, NULL);
	return f;
}

/* Free a fixture. */
static void fx_free(Fx *f)
{
	model_free(f->m);
	prices_free(&f->prices);
	free(f);
}

/* The realistic fleet: two runtimes, a tree of agents in every state, usage, threads,
 * messages, logs, commands. */
static Fx *fx_realistic(void)
{
	Fx *f = fx_new();
	int a = add_runtime(f, "ws://127.0.0.1:7700/swarmtop", "billing", "billing-agents",
	                    "python", true, 8);
	int b = add_runtime(f, "ws://10.0.0.7:7700/swarmtop", "search", "search-fleet", NULL,
	                    false, 0);
	model_set_conn(f->m, b, CONN_RECONNECTING, "connection refused", T0 + 123000, T0 + 1000);
	int64_t t = T0 + 1000;
	agent(f, a, "planner", "planner", NULL, AGENT_WORKING, "claude-sonnet-4", t);
	agent(f, a, "researcher", "researcher", "planner", AGENT_WORKING, "gpt-4o", t + 10);
	agent(f, a, "coder", "coder", "planner", AGENT_FAILED, "claude-sonnet-4", t + 20);
	agent(f, a, "reviewer", "reviewer", "coder", AGENT_INPUT_REQUIRED, "gpt-4o", t + 30);
	agent(f, a, "tester", "tester", "coder", AGENT_COMPLETED, "local-llama", t + 40);
	agent(f, a, "writer", "writer", "planner", AGENT_PAUSED, "claude-sonnet-4", t + 50);
	agent(f, a, "idler", "idler", NULL, AGENT_IDLE, NULL, t + 60);
	task(f, a, "t-1", "planner", "plan release notes", TASK_WORKING, t + 100);
	task(f, a, "t-2", "researcher", "search changelog", TASK_WORKING, t + 110);
	task(f, a, "t-3", "coder", "fix flaky test", TASK_FAILED, t + 120);
	task(f, a, "t-4", "reviewer", "review PR #42", TASK_INPUT_REQUIRED, t + 130);
	task(f, a, "t-5", "tester", "run suite", TASK_COMPLETED, t + 140);
	for (int i = 0; i < 20; i++) {
		int64_t ti = NOW - 30000 + i * 1500;
		usage(f, a, "planner", "anthropic", "claude-sonnet-4", 1200, 300, 800, 0.0123, ti);
		usage(f, a, "researcher", "openai", "gpt-4o", 900 + i * 10, 200, 0, -1, ti);
		usage(f, a, "tester", "local", "local-llama", 500, 100, 0, -1, ti);
	}
	message(f, a, "planner", ROLE_ASSISTANT, "Drafting the release notes for v2.3", NOW - 5000);
	message(f, a, "researcher", ROLE_TOOL, "search(\"changelog 2.3\") -> 14 hits", NOW - 4000);
	message(f, a, "reviewer", ROLE_ASSISTANT, "Need approval: should PR #42 be squashed?",
	        NOW - 3000);
	logline(f, a, "coder", LOG_ERROR, "AssertionError: expected 3 got 4 in test_io.py:88",
	        NOW - 2500);
	logline(f, a, "tester", LOG_DEBUG, "collected 412 items", NOW - 2000);
	logline(f, a, NULL, LOG_WARN, "rate limit at 80% for gpt-4o", NOW - 1500);
	message(f, a, "writer", ROLE_OPERATOR, "please keep it under 200 words", NOW - 1000);
	double cores[8] = {0.92, 0.88, 0.10, 0.05, 0.55, 0.33, 0.71, 0.0};
	EvThread th[] = {
		{4122, "worker-0", "planner", "t-1", 0, 0.91, HAS_CORE | HAS_CPU},
		{4123, "worker-1", "researcher", "t-2", 1, 0.87, HAS_CORE | HAS_CPU},
		{4124, "io-loop", NULL, NULL, 4, 0.12, HAS_CORE | HAS_CPU},
		{4125, "worker-2", "writer", NULL, -1, 0.0, HAS_CPU},
	};
	for (int i = 0; i < 30; i++) {
		double cs[8];
		for (int k = 0; k < 8; k++)
			cs[k] = cores[k] * (0.5 + 0.5 * ((i * 7 + k * 3) % 10) / 10.0);
		threads(f, a, i == 29 ? cores : cs, 8, th, 4, NOW - 30000 + i * 1000);
	}
	Command cmd = {.id = "c-1", .action = ACTION_PAUSE, .target_kind = TARGET_AGENT,
	               .target = "writer", .reason = "too verbose"};
	model_command(f->m, a, &cmd, "ops@host", CMD_SENT, NULL, NOW - 800);
	Command cmd2 = {.id = "c-2", .action = ACTION_RETRY, .target_kind = TARGET_TASK,
	                .target = "t-3"};
	model_command(f->m, a, &cmd2, "ops@host", CMD_REFUSED, "runtime is read-only", NOW - 700);
	Event ack = {.type = EV_ACK};
	ack.u.ack = (EvAck){.command = "c-1", .status = ACK_ACCEPTED};
	apply(f, a, &ack, NOW - 600);
	return f;
}

/* Hostile: names, tasks, messages and runtime names full of escape sequences. */
static Fx *fx_hostile(void)
{
	Fx *f = fx_new();
	const char *evil = "\x1b[2J\x1b]0;pwned\x07ev\x1b[31mil\r\n\x08\x7f\xc2\x9b" "31m\xe2\x80\xae"
	                   "name\x1bP+q\x1b\\";
	int a = add_runtime(f, "ws://x", evil, evil, "python", false, 2);
	agent(f, a, evil, evil, NULL, AGENT_FAILED, evil, T0);
	agent(f, a, "child", evil, evil, AGENT_WORKING, evil, T0);
	task(f, a, "t", evil, evil, TASK_WORKING, T0);
	usage(f, a, evil, evil, evil, 100, 10, 0, -1, NOW - 1000);
	message(f, a, evil, ROLE_ASSISTANT, evil, NOW - 500);
	logline(f, a, evil, LOG_ERROR, evil, NOW - 400);
	model_set_conn(f->m, a, CONN_PROTOCOL_ERROR, evil, 0, NOW);
	double cores[2] = {0.5, 0.5};
	EvThread th[] = {{1, evil, evil, evil, 0, 0.5, HAS_CORE | HAS_CPU}};
	threads(f, a, cores, 2, th, 1, NOW - 100);
	Command cmd = {.id = "c", .action = ACTION_INJECT, .target_kind = TARGET_AGENT,
	               .text = evil, .reason = evil};
	snprintf(cmd.target, sizeof cmd.target, "%s", "child");
	model_command(f->m, a, &cmd, evil, CMD_REJECTED, evil, NOW - 50);
	return f;
}

/* Wide CJK names everywhere. */
static Fx *fx_cjk(void)
{
	Fx *f = fx_new();
	int a = add_runtime(f, "ws://x", "rt", "\xe6\x99\xba\xe8\x83\xbd\xe4\xbd\x93", NULL, false, 4);
	agent(f, a, "a1", "\xe7\xa0\x94\xe7\xa9\xb6\xe5\x91\x98", NULL, AGENT_WORKING, "gpt-4o", T0);
	agent(f, a, "a2", "\xe7\xbc\x96\xe7\xa8\x8b\xe5\x91\x98\xe7\xbc\x96\xe7\xa8\x8b\xe5\x91\x98"
	      "\xe7\xbc\x96\xe7\xa8\x8b\xe5\x91\x98\xe7\xbc\x96\xe7\xa8\x8b\xe5\x91\x98", "a1",
	      AGENT_WORKING, "gpt-4o", T0 + 1);
	agent(f, a, "a3", "x\xe5\xad\x97", "a1", AGENT_FAILED, NULL, T0 + 2);
	task(f, a, "t1", "a1", "\xe6\x90\x9c\xe7\xb4\xa2\xe8\xb5\x84\xe6\x96\x99", TASK_WORKING,
	     T0 + 3);
	task(f, a, "t2", "a2", "\xe5\x86\x99\xe4\xbb\xa3\xe7\xa0\x81\xe5\x86\x99\xe4\xbb\xa3\xe7\xa0"
	     "\x81\xe5\x86\x99\xe4\xbb\xa3\xe7\xa0\x81", TASK_WORKING, T0 + 4);
	usage(f, a, "a1", "openai", "gpt-4o", 1000, 100, 0, -1, NOW - 1000);
	message(f, a, "a1", ROLE_ASSISTANT,
	        "\xe6\x88\x91\xe6\xad\xa3\xe5\x9c\xa8\xe6\x90\x9c\xe7\xb4\xa2\xe3\x80\x82 done", NOW);
	double cores[4] = {0.1, 0.2, 0.3, 0.4};
	threads(f, a, cores, 4, NULL, 0, NOW);
	return f;
}

/* 1 000 agents (a tree, 10 % failed) and 10 000 tasks, with usage and a big threads sample. */
static Fx *fx_big(void)
{
	Fx *f = fx_new();
	int a = add_runtime(f, "ws://x", "big", "big-runtime", "python", true, 64);
	char id[32], parent[32], name[48];
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "agent-%04d", i);
		snprintf(parent, sizeof parent, "agent-%04d", i / 10);
		snprintf(name, sizeof name, "worker %04d", i);
		AgentStatus st = i % 10 == 3 ? AGENT_FAILED : (i % 7 == 0 ? AGENT_IDLE : AGENT_WORKING);
		agent(f, a, id, name, i ? parent : NULL, st, i % 2 ? "gpt-4o" : "claude-sonnet-4",
		      T0 + i);
	}
	for (int i = 0; i < 10000; i++) {
		char tid[32], tname[48];
		snprintf(tid, sizeof tid, "task-%05d", i);
		snprintf(id, sizeof id, "agent-%04d", i % 1000);
		snprintf(tname, sizeof tname, "step %d of job %d", i % 10, i / 10);
		task(f, a, tid, id, tname, i % 3 ? TASK_COMPLETED : TASK_WORKING, T0 + 2000 + i);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "agent-%04d", i);
		usage(f, a, id, i % 2 ? "openai" : "anthropic", i % 2 ? "gpt-4o" : "claude-sonnet-4",
		      1000 + i, 100 + i, 0, i % 3 ? -1 : 0.01, NOW - (i % 60) * 1000);
		message(f, a, id, ROLE_ASSISTANT, "working on the next step of the plan", NOW - i);
	}
	double cores[64];
	for (int k = 0; k < 64; k++)
		cores[k] = (k * 37 % 100) / 100.0;
	EvThread *th = calloc(1000, sizeof *th);
	char (*tn)[32] = calloc(1000, 32);
	for (int i = 0; i < 1000; i++) {
		snprintf(tn[i], 32, "w-%d", i);
		th[i] = (EvThread){1000 + i, tn[i], NULL, NULL, i % 64, (i % 100) / 100.0,
		                   HAS_CORE | HAS_CPU};
	}
	threads(f, a, cores, 64, th, 1000, NOW - 500);
	free(th);
	free(tn);
	return f;
}

typedef void (*BodyFn)(const Model *, UiState *, Rect, Canvas *);

static const struct {
	const char *name;
	BodyFn draw;
} bodies[] = {
	{"agents", view_agents_draw}, {"tokens", view_tokens_draw}, {"cores", view_cores_draw},
	{"log", view_log_draw},       {"commands", view_commands_draw},
};

#define NBODIES (sizeof bodies / sizeof bodies[0])

/* Draw header + a body into c, the way the dashboard lays them out. */
static void draw_screen(const Model *m, UiState *ui, Canvas *c, size_t body)
{
	canvas_clear(c, EL_DEFAULT);
	int hh = view_header_draw(m, ui, (Rect){0, 0, c->w, c->h / 3}, c);
	bodies[body].draw(m, ui, (Rect){0, hh, c->w, c->h - hh}, c);
}

/* A UiState for drawing at NOW with the fixture's prices. */
static void ui_for(UiState *ui, Fx *f)
{
	ui_state_init(ui);
	ui->now_ms = NOW;
	ui->prices = &f->prices;
}

/* No control bytes (ESC, C0, DEL, C1 as UTF-8) anywhere in rendered text. */
static void assert_clean(const char *t)
{
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		assert_true(*p != 0x7f);
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fail_msg("C1 control in output");
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			fail_msg("bidi control in output");
	}
}

/* Render every body at both sizes for a fixture and compare with golden files. */
static void golden_all(Fx *f, const char *tag, bool ascii)
{
	static const int sizes[][2] = {{80, 24}, {200, 60}};
	for (size_t s = 0; s < 2; s++) {
		Canvas *c = canvas_new(sizes[s][0], sizes[s][1], ascii);
		assert_non_null(c);
		for (size_t b = 0; b < NBODIES; b++) {
			UiState ui;
			ui_for(&ui, f);
			ui.demo = strcmp(tag, "empty") == 0;
			draw_screen(f->m, &ui, c, b);
			char *t = canvas_to_text(c);
			assert_clean(t);
			if (ascii)
				for (const char *p = t; *p; p++)
					assert_true((unsigned char)*p < 0x80);
			char name[128];
			snprintf(name, sizeof name, "%s_%s_%dx%d", bodies[b].name, tag, sizes[s][0],
			         sizes[s][1]);
			test_golden(name, t);
			free(t);
			ui_state_free(&ui);
		}
		canvas_free(c);
	}
}

/* Golden: empty model (just a runtime connecting). */
static void test_golden_empty(void **state)
{
	(void)state;
	Fx *f = fx_new();
	int rt = model_add_runtime(f->m, "demo", T0);
	model_set_conn(f->m, rt, CONN_CONNECTED, NULL, 0, T0);
	golden_all(f, "empty", false);
	fx_free(f);
}

/* Golden: the realistic fleet, Unicode and ASCII. */
static void test_golden_realistic(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	golden_all(f, "realistic", false);
	golden_all(f, "realistic_ascii", true);
	fx_free(f);
}

/* Golden: hostile text never reaches the output as control bytes. */
static void test_golden_hostile(void **state)
{
	(void)state;
	Fx *f = fx_hostile();
	golden_all(f, "hostile", false);
	golden_all(f, "hostile_ascii", true);
	fx_free(f);
}

/* Golden: wide CJK names keep the columns aligned. */
static void test_golden_cjk(void **state)
{
	(void)state;
	Fx *f = fx_cjk();
	golden_all(f, "cjk", false);
	/* alignment: in the agents view every row's TOKENS column ends at the same column */
	Canvas *c = canvas_new(120, 20, false);
	UiState ui;
	ui_for(&ui, f);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 120, 20}, c);
	/* the TOKENS column ends at the same x on every row, whatever the wide names before it */
	int tx = -1;
	for (int x = 0; x + 6 <= 120 && tx < 0; x++)
		if (canvas_cell(c, x, 0)->cp == 'T' && canvas_cell(c, x + 1, 0)->cp == 'O' &&
		    canvas_cell(c, x + 2, 0)->cp == 'K')
			tx = x + 5;
	assert_true(tx > 0);
	for (int y = 1; y <= 3; y++) {
		uint32_t cp = canvas_cell(c, tx, y)->cp;
		assert_true((cp >= '0' && cp <= '9') || cp == 'k');
		assert_int_not_equal(canvas_cell(c, 3, y)->cp, ' ');   /* STATE starts at x = 3 */
	}
	ui_state_free(&ui);
	canvas_free(c);
	fx_free(f);
}

/* Golden: 1 000 agents and 10 000 tasks; and a rough per-frame time (printed). */
static void test_golden_big(void **state)
{
	(void)state;
	Fx *f = fx_big();
	golden_all(f, "big", false);
	Canvas *c = canvas_new(200, 60, false);
	for (size_t b = 0; b < NBODIES; b++) {
		UiState ui;
		ui_for(&ui, f);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int frames = 20;
		for (int i = 0; i < frames; i++)
			draw_screen(f->m, &ui, c, b);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		             (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / frames;
		fprintf(stderr, "frame %-8s 200x60 1000 agents 10000 tasks: %.2f ms\n",
		        bodies[b].name, ms);
		ui_state_free(&ui);
	}
	canvas_free(c);
	fx_free(f);
}

/* Attention first: failed, then input-required, then stuck; then the tree. */
static void test_agents_attention_and_tree(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	size_t n = view_agents_rows(f->m, &ui);
	assert_int_equal(n, 7);
	const Model *m = f->m;
	assert_string_equal(m->agents[ui.rows[0]].id, "coder");
	assert_string_equal(m->agents[ui.rows[1]].id, "reviewer");
	/* then the tree: idler (root), planner (root) > researcher, (tester under coder is
	 * reparented to a root because coder is in the attention group), writer */
	const char *want[] = {"idler", "planner", "researcher", "writer", "tester"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(m->agents[ui.rows[2 + i]].id, want[i]);
	/* stuck: a working agent with no event for stuck_ms sorts up with the others */
	ui.stuck_ms = 1000;
	ui.now_ms = NOW + 3600000;
	n = view_agents_rows(f->m, &ui);
	assert_string_equal(m->agents[ui.rows[0]].id, "coder");
	assert_string_equal(m->agents[ui.rows[1]].id, "reviewer");
	assert_true(model_agent_stuck(&m->agents[ui.rows[2]], ui.now_ms, ui.stuck_ms));
	ui_state_free(&ui);
	fx_free(f);
}

/* Filter: substring over name/task/message; '!' inverts; no match says so. */
static void test_agents_filter(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	snprintf(ui.filter, sizeof ui.filter, "RELEASE");
	size_t n = view_agents_rows(f->m, &ui);
	assert_int_equal(n, 1);   /* planner: task "plan release notes" and its message */
	assert_string_equal(f->m->agents[ui.rows[0]].id, "planner");
	snprintf(ui.filter, sizeof ui.filter, "!RELEASE");
	assert_int_equal(view_agents_rows(f->m, &ui), 6);
	snprintf(ui.filter, sizeof ui.filter, "zzz-nothing");
	assert_int_equal(view_agents_rows(f->m, &ui), 0);
	Canvas *c = canvas_new(80, 10, false);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 80, 10}, c);
	char *t = canvas_to_text(c);
	assert_non_null(strstr(t, "no agent matches the filter \"zzz-nothing\""));
	free(t);
	canvas_free(c);
	ui_state_free(&ui);
	fx_free(f);
}

/* Elements: failed state cell, selection highlight, steering mark, sort by cost. */
static void test_agents_elements(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	Canvas *c = canvas_new(120, 12, false);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	/* row 1 is coder (failed): the mark and state cells carry EL_STATUS_FAILED */
	assert_int_equal(canvas_cell(c, 1, 1)->cp, '!');
	assert_int_equal(canvas_cell(c, 1, 1)->el, EL_STATUS_FAILED);
	assert_int_equal(canvas_cell(c, 3, 1)->el, EL_STATUS_FAILED);
	assert_int_equal(canvas_cell(c, 3, 2)->el, EL_STATUS_INPUT);
	assert_int_equal(canvas_cell(c, 2, 0)->el, EL_TITLE);
	char *t = canvas_to_text(c);
	assert_non_null(strstr(t, "\u00bb pause"));      /* writer: pause pending */
	assert_non_null(strstr(t, "\u2514\u2500writer")); /* tree glyph: last child */
	assert_non_null(strstr(t, "no price"));          /* local-llama has no price */
	assert_non_null(strstr(t, "~$"));                /* gpt-4o estimated */
	free(t);
	/* selection: the writer row is painted EL_SELECTED across the width */
	ui.sel_agent = model_find_agent(f->m, 0, "writer");
	canvas_clear(c, EL_DEFAULT);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	int wy = -1;
	for (size_t i = 0; i < ui.nrows; i++)
		if (ui.rows[i] == ui.sel_agent)
			wy = 1 + (int)i;
	assert_true(wy > 0);
	assert_int_equal(canvas_cell(c, 0, wy)->el, EL_SELECTED);
	assert_int_equal(canvas_cell(c, 119, wy)->el, EL_SELECTED);
	/* scrolling keeps the selection visible in a short window */
	canvas_clear(c, EL_DEFAULT);
	view_agents_draw(f->m, &ui, (Rect){0, 0, 120, 3}, c);
	assert_true(ui.agents_scroll > 0);
	/* sort by cost, descending: planner (billed) first after the attention rows */
	ui.sort_col = ACOL_COST;
	ui.sort_desc = true;
	view_agents_rows(f->m, &ui);
	assert_string_equal(f->m->agents[ui.rows[2]].id, "planner");
	canvas_free(c);
	ui_state_free(&ui);
	fx_free(f);
}

/* Tokens: by model shows "no price" for unknown models and never a made-up cost. */
static void test_tokens_by_model(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	ui.tokens_by_model = true;
	Canvas *c = canvas_new(200, 12, false);
	view_tokens_draw(f->m, &ui, (Rect){0, 0, 200, 12}, c);
	char *t = canvas_to_text(c);
	const char *ll = strstr(t, "local-llama");
	assert_non_null(ll);
	const char *eol = strchr(ll, '\n');
	const char *np = strstr(ll, "no price");
	assert_true(np && np < eol);
	assert_null(memchr(ll, '$', (size_t)(eol - ll)));
	assert_non_null(strstr(t, "TOTAL"));
	free(t);
	assert_int_equal(ui.nrows, 3);
	canvas_free(c);
	ui_state_free(&ui);
	fx_free(f);
}

/* Header: DEMO / READ-ONLY / REPLAY badges and connection states. */
static void test_header_badges(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	ui.demo = true;
	ui.read_only = true;
	Canvas *c = canvas_new(200, 20, false);
	int rows = view_header_draw(f->m, &ui, (Rect){0, 0, 200, 20}, c);
	assert_true(rows >= 3);
	char *t = canvas_to_text(c);
	assert_non_null(strstr(t, " DEMO "));
	assert_non_null(strstr(t, "READ-ONLY"));
	assert_non_null(strstr(t, "billing-agents connected"));
	assert_non_null(strstr(t, "search-fleet reconnecting in 3s"));
	assert_non_null(strstr(t, "22:15:20"));
	assert_non_null(strstr(t, "python 3.14 free-threaded"));
	free(t);
	ui.replay = true;
	ui.replay_status = "REPLAY 22:15:20 \u25b6 4x";
	ui.replay_pos = 0.5;
	canvas_clear(c, EL_DEFAULT);
	int rows2 = view_header_draw(f->m, &ui, (Rect){0, 0, 200, 20}, c);
	assert_int_equal(rows2, rows + 1);
	t = canvas_to_text(c);
	assert_non_null(strstr(t, "REPLAY 22:15:20"));
	free(t);
	canvas_free(c);
	ui_state_free(&ui);
	fx_free(f);
}

/* Log: level filter, agent filter, search highlight, scrolling back. */
static void test_log(void **state)
{
	(void)state;
	Fx *f = fx_realistic();
	UiState ui;
	ui_for(&ui, f);
	Canvas *c = canvas_new(120, 12, false);
	snprintf(ui.log_search, sizeof ui.log_search, "ASSERTION");
	view_log_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	char *t = canvas_to_text(c);
	assert_non_null(strstr(t, "collected 412 items"));
	free(t);
	bool hit = false;
	for (int y = 0; y < 12; y++)
		for (int x = 0; x < 120; x++)
			if (canvas_cell(c, x, y)->el == EL_SEARCH_HIT)
				hit = true;
	assert_true(hit);
	ui.log_min_level = LOG_INFO;
	canvas_clear(c, EL_DEFAULT);
	view_log_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	t = canvas_to_text(c);
	assert_null(strstr(t, "collected 412 items"));
	free(t);
	ui.log_agent = model_find_agent(f->m, 0, "coder");
	canvas_clear(c, EL_DEFAULT);
	view_log_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	t = canvas_to_text(c);
	assert_non_null(strstr(t, "AssertionError"));
	assert_null(strstr(t, "Drafting"));
	free(t);
	ui.log_agent = -1;
	ui.log_scroll = 100000;   /* clamped */
	view_log_draw(f->m, &ui, (Rect){0, 0, 120, 12}, c);
	assert_true(ui.log_scroll < 100000);
	canvas_free(c);
	ui_state_free(&ui);
	fx_free(f);
}

/* view helpers: status elements, substring, cost cell. */
static void test_helpers(void **state)
{
	(void)state;
	assert_int_equal(view_agent_status_el(AGENT_FAILED), EL_STATUS_FAILED);
	assert_int_equal(view_agent_status_el((AgentStatus)99), EL_DEFAULT);
	assert_int_equal(view_task_status_el(TASK_REJECTED), EL_STATUS_REJECTED);
	assert_int_equal(view_cmd_el(CMD_APPLIED), EL_CMD_OK);
	assert_true(view_contains("Hello World", "wor", 100));
	assert_false(view_contains("Hello World", "wor", 7));
	assert_true(view_contains("x", "", 1));
	assert_false(view_contains(NULL, "a", 5));
	Canvas *c = canvas_new(20, 4, false);
	view_draw_cost(c, 0, 0, 14, 1.23, 0.45, false);
	view_draw_cost(c, 0, 1, 6, 1.23, 0.45, false);
	view_draw_cost(c, 0, 2, 10, 0, 0, true);
	view_draw_cost(c, 0, 3, 10, 0, 0.45, true);
	char *t = canvas_to_text(c);
	assert_string_equal(t, "  $1.23 ~$0.45\n$1.23+\n  no price\n   ~$0.45?\n");
	free(t);
	assert_int_equal(canvas_cell(c, 2, 0)->el, EL_COST_BILLED);
	assert_int_equal(canvas_cell(c, 8, 0)->el, EL_COST_ESTIMATED);
	canvas_free(c);
	assert_string_equal(view_names[VIEW_CORES], "cores");
}

/* Log search with n / N: the next older match comes to the bottom, then the next newer one;
 * no match that way is -1, an empty search is -1. */
static void test_log_find(void **state)
{
	(void)state;
	Fx *f = fx_new();
	int rt = add_runtime(f, "ws://a", "rt-a", "A", NULL, false, 0);
	const char *texts[] = { "alpha needle", "beta", "gamma needle", "delta", "epsilon" };
	for (int i = 0; i < 5; i++)
		logline(f, rt, NULL, LOG_INFO, texts[i], T0 + i);
	UiState ui;
	ui_state_init(&ui);
	assert_int_equal(view_log_find(f->m, &ui, 1), -1); /* no search */
	snprintf(ui.log_search, sizeof ui.log_search, "NEEDLE");
	/* newest first: epsilon 0, delta 1, gamma 2, beta 3, alpha 4 */
	assert_int_equal(view_log_find(f->m, &ui, 1), 2);
	ui.log_scroll = 2;
	assert_int_equal(view_log_find(f->m, &ui, 1), 4);
	ui.log_scroll = 4;
	assert_int_equal(view_log_find(f->m, &ui, 1), -1);
	assert_int_equal(view_log_find(f->m, &ui, -1), 2);
	ui.log_scroll = 2;
	assert_int_equal(view_log_find(f->m, &ui, -1), -1);
	ui.log_min_level = LOG_WARN; /* filtered out lines never match */
	ui.log_scroll = 0;
	assert_int_equal(view_log_find(f->m, &ui, 1), -1);
	ui_state_free(&ui);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_golden_empty),
		cmocka_unit_test(test_golden_realistic),
		cmocka_unit_test(test_golden_hostile),
		cmocka_unit_test(test_golden_cjk),
		cmocka_unit_test(test_golden_big),
		cmocka_unit_test(test_agents_attention_and_tree),
		cmocka_unit_test(test_agents_filter),
		cmocka_unit_test(test_agents_elements),
		cmocka_unit_test(test_tokens_by_model),
		cmocka_unit_test(test_header_badges),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_log_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
