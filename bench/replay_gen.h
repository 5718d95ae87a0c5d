/*
 * replay_gen.h: a deterministic generator of recorded sessions for the replay
 * test and benchmark: a realistic protocol v1 mix from several runtimes
 * (hello, agents with a parent tree, tasks through their life cycle with deps
 * and failures, usage, threads samples, messages including operator ones,
 * logs), operator commands with their acks (applied, rejected, unanswered),
 * sequence gaps, an occasional snapshot and idle stretches.
 *
 * Owns: nothing but the generator; the caller's sink decides what to do with
 * each item (store it, fold it into a live model, both). Header-only (static
 * functions), included by tests/unit/test_replay.c and bench/bench_replay.c.
 */
#ifndef SWARMTOP_REPLAY_GEN_H
#define SWARMTOP_REPLAY_GEN_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RGEN_RUNTIMES_MAX 4
#define RGEN_AGENTS       12     /* agents per runtime */
#define RGEN_ACTIVE       24     /* tasks in flight per runtime */
#define RGEN_PENDING      64     /* commands awaiting their acks */
#define RGEN_BASE_MS      1764300000000LL
#define RGEN_NONE         INT64_MIN  /* a time not known at this status */

typedef struct RgenEvent {
	int rt;                     /* runtime index in the generator */
	const char *runtime_id, *instance, *type;
	int64_t seq;                /* 0 for hello (stored as none) */
	int64_t ts, recv_ms;
	const char *raw;
	size_t len;
} RgenEvent;

typedef struct RgenCommand {
	int rt;
	const char *id, *runtime_id, *action, *target_kind, *target, *reason, *who;
	const char *status;         /* "sent", then "accepted", "applied", "rejected", "unanswered" */
	const char *error;
	int64_t sent_ms, at_ms;     /* at_ms: when this status was reached */
} RgenCommand;

typedef struct RgenGap {
	int rt;
	const char *runtime_id, *instance;
	int64_t from, to, at_ms;
	const char *reason;
} RgenGap;

typedef struct RgenSink {
	void *ud;
	void (*event)(void *ud, const RgenEvent *ev);
	void (*command)(void *ud, const RgenCommand *c);  /* sent, and each later status */
	void (*gap)(void *ud, const RgenGap *g);
} RgenSink;

typedef struct RgenOptions {
	uint64_t events;            /* events to emit (about) */
	int runtimes;               /* 1..RGEN_RUNTIMES_MAX */
	uint64_t seed;
	uint64_t idle_every;        /* an idle stretch of 30..120 s every this many events (0: none) */
	uint64_t command_every;     /* a command every this many events (0: none) */
	uint64_t gap_every;         /* a seq jump every this many events (0: none) */
	uint64_t snapshot_every;    /* a snapshot every this many events (0: none) */
	uint64_t instance_every;    /* a runtime restarts as a new instance (0: never) */
} RgenOptions;

typedef struct RgenTask {
	int64_t n;                  /* task number, 0: free slot */
	int agent;
	int status;                 /* 0 submitted, 1 working */
} RgenTask;

typedef struct RgenPending {
	int64_t n;                  /* command number, 0: free */
	int rt;
	int64_t due_ms;             /* when the next step happens */
	int stage;                  /* 0 sent, 1 accepted */
	int fate;                   /* 0 applied, 1 rejected, 2 unanswered */
	char target[32];
	const char *action;
} RgenPending;

typedef struct Rgen {
	RgenOptions o;
	RgenSink k;
	uint64_t rng;
	int64_t now;                /* recv_ms clock */
	uint64_t emitted;
	int64_t seq[RGEN_RUNTIMES_MAX];
	int instance[RGEN_RUNTIMES_MAX];
	char rid[RGEN_RUNTIMES_MAX][16], inst[RGEN_RUNTIMES_MAX][16];
	int64_t task_no;
	RgenTask active[RGEN_RUNTIMES_MAX][RGEN_ACTIVE];
	int astatus[RGEN_RUNTIMES_MAX][RGEN_AGENTS];
	int64_t cmd_no;
	RgenPending pend[RGEN_PENDING];
	char buf[8192];
} Rgen;

static const char *const rgen_agents[RGEN_AGENTS] = {
	"planner", "researcher-1", "researcher-2", "researcher-3", "coder-1", "coder-2",
	"coder-3", "reviewer", "tester", "writer", "critic", "summarizer",
};
static const char *const rgen_astatus[] = {"idle", "working", "input-required", "failed"};
static const char *const rgen_models[] = {"gpt-5", "claude-sonnet-4", "gemini-2.5-pro"};
static const char *const rgen_providers[] = {"openai", "anthropic", "google"};

/* Next pseudo-random number (xorshift64*). */
static uint64_t rgen_rand(Rgen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

/* A pseudo-random number below n. */
static int rgen_below(Rgen *g, int n)
{
	return (int)(rgen_rand(g) % (uint64_t)n);
}

/* Emit one event of runtime rt: the envelope around body (seq and ts assigned here). */
static void rgen_emit(Rgen *g, int rt, const char *type, const char *body)
{
	int64_t seq = ++g->seq[rt];
	int64_t ts = g->now - 3;
	int n = snprintf(g->buf, sizeof(g->buf), "{\"type\":\"%s\",\"seq\":%" PRId64
	                 ",\"ts\":%" PRId64 "%s%s}", type, seq, ts, *body ? "," : "", body);
	RgenEvent ev = {
		.rt = rt, .runtime_id = g->rid[rt], .instance = g->inst[rt], .type = type,
		.seq = seq, .ts = ts, .recv_ms = g->now, .raw = g->buf,
		.len = n < 0 ? 0 : (size_t)n < sizeof(g->buf) ? (size_t)n : sizeof(g->buf) - 1,
	};
	g->k.event(g->k.ud, &ev);
	g->emitted++;
}

/* Emit runtime rt's hello (a fresh instance starts its seqs over). */
static void rgen_hello(Rgen *g, int rt)
{
	snprintf(g->inst[rt], sizeof(g->inst[rt]), "inst-%d", ++g->instance[rt] % 1000);
	g->seq[rt] = 0;
	int n = snprintf(g->buf, sizeof(g->buf),
	                 "{\"type\":\"hello\",\"proto\":1,\"runtime\":{\"id\":\"%s\","
	                 "\"instance\":\"%s\",\"name\":\"Fleet %c\",\"host\":\"gpu-%d\","
	                 "\"pid\":%d,\"lang\":\"python\",\"lang_version\":\"3.14.0\","
	                 "\"free_threaded\":true,\"cores\":8,\"started_ts\":%" PRId64 "},"
	                 "\"capabilities\":[\"pause\",\"resume\",\"retry\",\"cancel\",\"inject\"],"
	                 "\"last_seq\":0}",
	                 g->rid[rt], g->inst[rt], 'A' + rt, rt, 4000 + rt, g->now - 1000);
	RgenEvent ev = {
		.rt = rt, .runtime_id = g->rid[rt], .instance = g->inst[rt], .type = "hello",
		.seq = 0, .ts = 0, .recv_ms = g->now, .raw = g->buf, .len = (size_t)n,
	};
	g->k.event(g->k.ud, &ev);
	g->emitted++;
	memset(g->active[rt], 0, sizeof(g->active[rt]));
	char body[512];
	for (int a = 0; a < RGEN_AGENTS; a++) {
		g->now += 1;
		g->astatus[rt][a] = 1;
		snprintf(body, sizeof(body),
		         "\"agent\":{\"id\":\"%s\",\"name\":\"%s\",\"role\":\"does %s work\","
		         "\"model\":\"%s\",\"parent\":%s%s%s,\"status\":\"working\"}",
		         rgen_agents[a], rgen_agents[a], rgen_agents[a], rgen_models[a % 3],
		         a ? "\"" : "", a ? rgen_agents[(a - 1) / 3] : "null", a ? "\"" : "");
		rgen_emit(g, rt, "agent", body);
	}
}

/* A task event: a new one, or the next step of one in flight. */
static void rgen_task(Rgen *g, int rt)
{
	char body[1024];
	int slot = rgen_below(g, RGEN_ACTIVE);
	RgenTask *t = &g->active[rt][slot];
	if (t->n == 0) {
		t->n = ++g->task_no;
		t->agent = rgen_below(g, RGEN_AGENTS);
		t->status = 0;
		int64_t dep = t->n > 3 ? t->n - 1 - rgen_below(g, 3) : 0;
		char deps[48] = "";
		if (dep)
			snprintf(deps, sizeof(deps), "\"t-%" PRId64 "\"", dep);
		snprintf(body, sizeof(body),
		         "\"task\":{\"id\":\"t-%" PRId64 "\",\"agent\":\"%s\",\"name\":\"search: vendor"
		         " pricing page %" PRId64 "\",\"kind\":\"tool\",\"status\":\"submitted\","
		         "\"deps\":[%s],\"parent\":null,\"attempt\":1,"
		         "\"input\":\"query=pricing %" PRId64 "\"}",
		         t->n, rgen_agents[t->agent], t->n, deps, t->n);
	} else if (t->status == 0) {
		t->status = 1;
		snprintf(body, sizeof(body), "\"task\":{\"id\":\"t-%" PRId64 "\",\"status\":\"working\"}",
		         t->n);
	} else {
		bool fail = rgen_below(g, 25) == 0;
		if (fail)
			snprintf(body, sizeof(body),
			         "\"task\":{\"id\":\"t-%" PRId64 "\",\"status\":\"failed\",\"error\":"
			         "\"HTTP 429 from the search API after 3 retries\"}", t->n);
		else
			snprintf(body, sizeof(body),
			         "\"task\":{\"id\":\"t-%" PRId64 "\",\"status\":\"completed\",\"output\":"
			         "\"found %d prices\"}", t->n, rgen_below(g, 40));
		t->n = 0;
	}
	rgen_emit(g, rt, "task", body);
}

/* A usage delta. */
static void rgen_usage(Rgen *g, int rt)
{
	char body[512];
	int a = rgen_below(g, RGEN_AGENTS), p = a % 3;
	bool cost = rgen_below(g, 2) == 0;
	snprintf(body, sizeof(body),
	         "\"agent\":\"%s\",\"task\":\"t-%" PRId64 "\",\"provider\":\"%s\",\"model\":\"%s\","
	         "\"input_tokens\":%d,\"output_tokens\":%d,\"cache_read_tokens\":%d,"
	         "\"cache_write_tokens\":0,\"reasoning_tokens\":%d,\"cost_usd\":%s",
	         rgen_agents[a], g->task_no, rgen_providers[p], rgen_models[p],
	         1000 + rgen_below(g, 3000), 100 + rgen_below(g, 700), rgen_below(g, 800),
	         rgen_below(g, 100), cost ? "0.0125" : "null");
	rgen_emit(g, rt, "usage", body);
}

/* A threads sample: 8 cores, 6 threads. */
static void rgen_threads(Rgen *g, int rt)
{
	char body[2048];
	size_t n = (size_t)snprintf(body, sizeof(body), "\"interval_ms\":1000,\"cores\":[");
	for (int c = 0; c < 8; c++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s0.%02d", c ? "," : "",
		                      rgen_below(g, 100));
	n += (size_t)snprintf(body + n, sizeof(body) - n, "],\"threads\":[");
	for (int t = 0; t < 6; t++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		                      "%s{\"tid\":%d,\"name\":\"worker-%d\",\"core\":%d,\"cpu\":0.%02d,"
		                      "\"agent\":\"%s\"}", t ? "," : "", 4100 + t, t, t,
		                      rgen_below(g, 100), rgen_agents[(t * 2) % RGEN_AGENTS]);
	snprintf(body + n, sizeof(body) - n, "]");
	rgen_emit(g, rt, "threads", body);
}

/* A message (now and then from the operator). */
static void rgen_message(Rgen *g, int rt)
{
	char body[512];
	int a = rgen_below(g, RGEN_AGENTS);
	bool op = rgen_below(g, 200) == 0;
	snprintf(body, sizeof(body),
	         "\"agent\":\"%s\",\"task\":\"t-%" PRId64 "\",\"id\":\"m-%" PRIu64 "\","
	         "\"role\":\"%s\",\"text\":\"%s %" PRIu64 "\"", rgen_agents[a], g->task_no,
	         g->emitted, op ? "operator" : "assistant",
	         op ? "Use the EU price list, please." : "I will split this into steps; step",
	         g->emitted);
	rgen_emit(g, rt, "message", body);
}

/* A log line. */
static void rgen_log(Rgen *g, int rt)
{
	static const char *const lv[] = {"debug", "info", "info", "warn", "error"};
	char body[512];
	int a = rgen_below(g, RGEN_AGENTS);
	snprintf(body, sizeof(body),
	         "\"level\":\"%s\",\"text\":\"rate limited, backing off %ds (request %" PRIu64 ")\","
	         "\"agent\":\"%s\",\"task\":null", lv[rgen_below(g, 5)], 1 + rgen_below(g, 5),
	         g->emitted, rgen_agents[a]);
	rgen_emit(g, rt, "log", body);
}

/* An agent status change (rarely a failure). */
static void rgen_agent(Rgen *g, int rt)
{
	char body[256];
	int a = rgen_below(g, RGEN_AGENTS);
	int s = rgen_below(g, 100) == 0 ? 3 : rgen_below(g, 3);
	g->astatus[rt][a] = s;
	snprintf(body, sizeof(body), "\"agent\":{\"id\":\"%s\",\"status\":\"%s\"}",
	         rgen_agents[a], rgen_astatus[s]);
	rgen_emit(g, rt, "agent", body);
}

/* A snapshot of runtime rt: its agents and tasks in flight, usage totals. */
static void rgen_snapshot(Rgen *g, int rt)
{
	char body[6144];
	size_t n = (size_t)snprintf(body, sizeof(body), "\"agents\":[");
	for (int a = 0; a < RGEN_AGENTS; a++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		                      "%s{\"id\":\"%s\",\"name\":\"%s\",\"status\":\"%s\"}", a ? "," : "",
		                      rgen_agents[a], rgen_agents[a], rgen_astatus[g->astatus[rt][a]]);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "],\"tasks\":[");
	int k = 0;
	for (int i = 0; i < RGEN_ACTIVE; i++) {
		const RgenTask *t = &g->active[rt][i];
		if (t->n == 0)
			continue;
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		                      "%s{\"id\":\"t-%" PRId64 "\",\"agent\":\"%s\",\"status\":\"%s\"}",
		                      k++ ? "," : "", t->n, rgen_agents[t->agent],
		                      t->status ? "working" : "submitted");
	}
	snprintf(body + n, sizeof(body) - n,
	         "],\"usage\":[{\"agent\":\"planner\",\"provider\":\"openai\",\"model\":\"gpt-5\","
	         "\"input_tokens\":50000,\"output_tokens\":9000,\"cache_read_tokens\":30000,"
	         "\"cache_write_tokens\":0,\"reasoning_tokens\":2000,\"cost_usd\":null}]");
	/* A snapshot stands for the seqs it replaces: jump a few. */
	int64_t from = g->seq[rt] + 1;
	g->seq[rt] += 5;
	if (g->k.gap) {
		RgenGap gp = {.rt = rt, .runtime_id = g->rid[rt], .instance = g->inst[rt],
		              .from = from, .to = g->seq[rt] + 1, .at_ms = g->now,
		              .reason = "snapshot"};
		g->k.gap(g->k.ud, &gp);
	}
	rgen_emit(g, rt, "snapshot", body);
}

/* Report command p's status to the sink. */
static void rgen_cmd_status(Rgen *g, const RgenPending *p, int64_t sent, const char *status,
                            const char *error)
{
	char id[32];
	snprintf(id, sizeof(id), "c-%" PRId64, p->n);
	RgenCommand c = {
		.rt = p->rt, .id = id, .runtime_id = g->rid[p->rt], .action = p->action,
		.target_kind = "agent", .target = p->target, .reason = "looping on search",
		.who = "ops@host", .status = status, .error = error, .sent_ms = sent,
		.at_ms = g->now,
	};
	if (g->k.command)
		g->k.command(g->k.ud, &c);
}

/* Send a new command (to a free pending slot). */
static void rgen_command(Rgen *g, int rt)
{
	static const char *const actions[] = {"pause", "resume", "cancel"};
	for (int i = 0; i < RGEN_PENDING; i++) {
		RgenPending *p = &g->pend[i];
		if (p->n != 0)
			continue;
		p->n = ++g->cmd_no;
		p->rt = rt;
		p->stage = 0;
		p->fate = rgen_below(g, 10) == 0 ? 1 : rgen_below(g, 10) == 0 ? 2 : 0;
		p->due_ms = g->now + 20 + rgen_below(g, 200);
		p->action = actions[rgen_below(g, 3)];
		snprintf(p->target, sizeof(p->target), "%s", rgen_agents[rgen_below(g, RGEN_AGENTS)]);
		rgen_cmd_status(g, p, g->now, "sent", NULL);
		return;
	}
}

/* Acks (and the unanswered verdict) of pending commands that are due. */
static void rgen_acks(Rgen *g)
{
	char body[512], id[32];
	for (int i = 0; i < RGEN_PENDING; i++) {
		RgenPending *p = &g->pend[i];
		if (p->n == 0 || g->now < p->due_ms)
			continue;
		snprintf(id, sizeof(id), "c-%" PRId64, p->n);
		if (p->fate == 2) {
			/* No ack: the client gives up after its timeout. */
			if (p->stage == 0) {
				p->stage = 1;
				p->due_ms = g->now + 10000 + 1000;
				continue;
			}
			rgen_cmd_status(g, p, RGEN_NONE, "unanswered", NULL);
			p->n = 0;
			continue;
		}
		if (p->stage == 0) {
			snprintf(body, sizeof(body), "\"command\":\"%s\",\"status\":\"accepted\"", id);
			rgen_emit(g, p->rt, "ack", body);
			rgen_cmd_status(g, p, RGEN_NONE, "accepted", NULL);
			p->stage = 1;
			p->due_ms = g->now + 10 + rgen_below(g, 100);
		} else {
			bool rej = p->fate == 1;
			snprintf(body, sizeof(body), "\"command\":\"%s\",\"status\":\"%s\"%s", id,
			         rej ? "rejected" : "applied",
			         rej ? ",\"error\":\"agent is not working\"" : "");
			rgen_emit(g, p->rt, "ack", body);
			rgen_cmd_status(g, p, RGEN_NONE, rej ? "rejected" : "applied",
			                rej ? "agent is not working" : NULL);
			p->n = 0;
		}
	}
}

/* Run the generator: about o->events events into the sink. */
static void rgen_run(const RgenOptions *o, const RgenSink *k)
{
	static Rgen g;
	memset(&g, 0, sizeof(g));
	g.o = *o;
	g.k = *k;
	g.rng = o->seed ? o->seed : 0x9e3779b97f4a7c15ULL;
	g.now = RGEN_BASE_MS;
	int nrt = o->runtimes < 1 ? 1 : o->runtimes > RGEN_RUNTIMES_MAX ? RGEN_RUNTIMES_MAX
	                                                                 : o->runtimes;
	for (int rt = 0; rt < nrt; rt++) {
		snprintf(g.rid[rt], sizeof(g.rid[rt]), "fleet-%c", 'a' + rt);
		rgen_hello(&g, rt);
	}
	uint64_t last_idle = 0, last_cmd = 0, last_gap = 0, last_snap = 0, last_inst = 0;
	while (g.emitted < o->events) {
		g.now += rgen_below(&g, 4);
		if (o->idle_every && g.emitted - last_idle >= o->idle_every) {
			last_idle = g.emitted;
			g.now += 30000 + rgen_below(&g, 90000);
		}
		rgen_acks(&g);
		int rt = rgen_below(&g, nrt);
		if (o->command_every && g.emitted - last_cmd >= o->command_every) {
			last_cmd = g.emitted;
			rgen_command(&g, rt);
		}
		if (o->gap_every && g.emitted - last_gap >= o->gap_every) {
			last_gap = g.emitted;
			int64_t from = g.seq[rt] + 1;
			g.seq[rt] += 3;
			if (g.k.gap) {
				RgenGap gp = {.rt = rt, .runtime_id = g.rid[rt], .instance = g.inst[rt],
				              .from = from, .to = g.seq[rt], .at_ms = g.now,
				              .reason = "jump"};
				g.k.gap(g.k.ud, &gp);
			}
		}
		if (o->snapshot_every && g.emitted - last_snap >= o->snapshot_every) {
			last_snap = g.emitted;
			rgen_snapshot(&g, rt);
			continue;
		}
		if (o->instance_every && g.emitted - last_inst >= o->instance_every) {
			last_inst = g.emitted;
			rgen_hello(&g, rt);
			continue;
		}
		int r = rgen_below(&g, 100);
		if (r < 28)
			rgen_usage(&g, rt);
		else if (r < 55)
			rgen_task(&g, rt);
		else if (r < 68)
			rgen_message(&g, rt);
		else if (r < 82)
			rgen_log(&g, rt);
		else if (r < 94)
			rgen_threads(&g, rt);
		else
			rgen_agent(&g, rt);
	}
}

#endif
