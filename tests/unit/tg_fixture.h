/*
 * tg_fixture.h: builds task graphs in a real Model through model_apply, for the
 * taskgraph and Graph view tests. Header-only (static functions), included by
 * test_taskgraph.c and test_view_graph.c.
 */
#ifndef SWARMTOP_TG_FIXTURE_H
#define SWARMTOP_TG_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swarmtop/model.h"

#define TGF_T0 1764300000000LL /* runtime clock of the first event */

static int64_t tgf_seq;

/* A model with one runtime that said hello. */
static Model *tgf_model(void)
{
	Model *m = model_new();
	Event ev;

	tgf_seq = 0;
	model_add_runtime(m, "demo", TGF_T0);
	memset(&ev, 0, sizeof ev);
	ev.type = EV_HELLO;
	ev.u.hello.proto = 1;
	ev.u.hello.id = "rt";
	ev.u.hello.instance = "i1";
	ev.u.hello.name = "Billing agents";
	model_apply(m, 0, &ev, TGF_T0, NULL);
	return m;
}

/* Upsert an agent. */
static void tgf_agent(Model *m, const char *id, const char *name)
{
	Event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = EV_AGENT;
	ev.seq = ++tgf_seq;
	ev.ts = TGF_T0 + tgf_seq * 1000;
	ev.u.agent.id = id;
	ev.u.agent.name = name;
	ev.u.agent.status = AGENT_WORKING;
	ev.u.agent.has = HAS_STATUS;
	model_apply(m, 0, &ev, ev.ts, NULL);
}

/* Upsert a full task event (deps NULL-terminated list, or NULL for "no deps key"). */
static void tgf_task_ev(Model *m, const EvTask *t)
{
	Event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = EV_TASK;
	ev.seq = ++tgf_seq;
	ev.ts = TGF_T0 + tgf_seq * 1000;
	ev.u.task = *t;
	model_apply(m, 0, &ev, ev.ts, NULL);
}

/* Upsert a task with a status and deps given as a NULL-terminated list of ids. */
static void tgf_task(Model *m, const char *id, TaskStatus st, ...)
{
	const char *deps[64];
	size_t n = 0;
	va_list ap;
	EvTask t;

	va_start(ap, st);
	for (const char *d = va_arg(ap, const char *); d && n < 64; d = va_arg(ap, const char *))
		deps[n++] = d;
	va_end(ap);
	memset(&t, 0, sizeof t);
	t.id = id;
	t.name = id;
	t.status = st;
	t.deps = deps;
	t.ndeps = n;
	t.has = HAS_STATUS | HAS_DEPS;
	tgf_task_ev(m, &t);
}

/* Change only a task's status. */
static void tgf_status(Model *m, const char *id, TaskStatus st)
{
	EvTask t;

	memset(&t, 0, sizeof t);
	t.id = id;
	t.status = st;
	t.has = HAS_STATUS;
	tgf_task_ev(m, &t);
}

/* Deterministic pseudo-random numbers (xorshift). */
static uint32_t tgf_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* n tasks in stages: each depends on 1-3 tasks of the previous ~40; statuses mixed. */
static void tgf_big(Model *m, int n)
{
	static const TaskStatus mix[] = {TASK_COMPLETED, TASK_COMPLETED, TASK_COMPLETED,
	                                 TASK_WORKING,   TASK_SUBMITTED, TASK_FAILED};
	uint32_t seed = 12345;
	char id[32], name[32], d0[32], d1[32], d2[32];

	for (int i = 0; i < n; i++) {
		const char *deps[3] = {d0, d1, d2};
		EvTask t;
		int nd = i == 0 ? 0 : 1 + (int)(tgf_rand(&seed) % 3);
		int span = i < 40 ? (i ? i : 1) : 40;

		snprintf(id, sizeof id, "t%d", i);
		snprintf(name, sizeof name, "step %d", i);
		snprintf(d0, sizeof d0, "t%d", i - 1 - (int)(tgf_rand(&seed) % (uint32_t)span));
		snprintf(d1, sizeof d1, "t%d", i - 1 - (int)(tgf_rand(&seed) % (uint32_t)span));
		snprintf(d2, sizeof d2, "t%d", i - 1 - (int)(tgf_rand(&seed) % (uint32_t)span));
		memset(&t, 0, sizeof t);
		t.id = id;
		t.name = name;
		t.status = mix[tgf_rand(&seed) % 6];
		t.deps = deps;
		t.ndeps = (size_t)nd;
		t.has = HAS_STATUS | HAS_DEPS;
		tgf_task_ev(m, &t);
	}
}

#endif
