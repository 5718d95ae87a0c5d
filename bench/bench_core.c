/*
 * bench_core.c: the core micro-benchmark. Generates a realistic mix of
 * protocol v1 messages (task upserts, usage, messages and logs, agents,
 * thread samples, acks) as JSON text, then times proto_decode alone and
 * proto_decode + model_apply over them, one message at a time as the live
 * loop would (one arena reset per message).
 *
 * Standalone: no I/O beyond printing the result. Generation is deterministic
 * (fixed seed) and happens outside the timed regions, in chunks, so that two
 * million distinct messages with increasing seqs never sit in memory at once.
 * Three timings: decode alone; decode + apply (the live path); apply alone
 * (into a second model, from events decoded beforehand into one arena), each
 * in CPU time of the thread (the headline numbers) and in wall time.
 *
 *   cc -O2 -Iinclude -I/usr/include/cjson bench/bench_core.c src/proto.c src/json.c \
 *      src/model.c src/strmap.c src/usage.c src/event.c src/arena.c src/sanitize.c \
 *      -lcjson -lm -o /tmp/bench_core
 *   /tmp/bench_core [events]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swarmtop/arena.h"
#include "swarmtop/model.h"
#include "swarmtop/proto.h"

#define CHUNK      100000   /* messages generated per timed chunk */
#define MSG_MAX    8192     /* largest generated message */
#define AGENTS     60
#define TASKS_LIVE 400      /* tasks being updated at any time */

typedef struct Gen {
	uint64_t rng;
	int64_t seq, ts;
	int64_t next_task;      /* tasks created so far */
	int64_t next_cmd;
} Gen;

static const char *const words[] = {
	"vendor", "pricing", "search", "the",  "invoice", "summarise", "contract", "EU",
	"refund", "policy",  "query",  "table", "result", "customer", "shipping", "delay",
	"retry",  "plan",    "draft",  "email", "review", "diff",     "tests",    "passed",
};
static const char *const task_status[] = {"submitted", "working", "working", "working",
                                          "completed", "completed", "failed", "paused"};
static const char *const kinds[] = {"llm", "tool", "step", "agent", "human"};
static const char *const models[][2] = {
	{"openai", "gpt-5"}, {"openai", "gpt-5-mini"}, {"anthropic", "claude-sonnet-4"},
	{"google", "gemini-2.5-flash"}, {"openai", "o4-mini"},
};
static const char *const roles[] = {"assistant", "assistant", "user", "tool", "system"};
static const char *const levels[] = {"debug", "info", "info", "warn", "error"};
static const char *const agent_status[] = {"idle", "working", "working", "input-required",
                                           "paused"};

/* xorshift64*: deterministic pseudo-random numbers. */
static uint64_t rnd(Gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

/* A pseudo-random integer in [0, n). */
static int pick(Gen *g, int n)
{
	return (int)(rnd(g) % (uint64_t)n);
}

/* Append about len bytes of words to p (bounded by cap); returns bytes written. */
static int text(Gen *g, char *p, size_t cap, int len)
{
	int n = 0;
	while (n < len && (size_t)n + 16 < cap) {
		const char *w = words[pick(g, (int)(sizeof words / sizeof words[0]))];
		n += snprintf(p + n, cap - (size_t)n, n ? " %s" : "%s", w);
	}
	return n;
}

/* Write one task upsert message. */
static int gen_task(Gen *g, char *o, size_t cap)
{
	int64_t id;
	char in[256], out[256];
	int n;
	if (g->next_task < TASKS_LIVE || pick(g, 10) == 0)
		id = g->next_task++;   /* a new task, about one event in ten */
	else
		id = g->next_task - 1 - pick(g, TASKS_LIVE);
	int agent = (int)(id % AGENTS);
	if (pick(g, 2) == 0) {
		/* A status change only. */
		const char *st = task_status[pick(g, 8)];
		text(g, out, sizeof out, 20 + pick(g, 80));
		return snprintf(o, cap, "{\"type\":\"task\",\"seq\":%lld,\"ts\":%lld,\"task\":{"
		                "\"id\":\"t-%lld\",\"status\":\"%s\",\"output\":\"%s\"}}",
		                (long long)g->seq, (long long)g->ts, (long long)id, st, out);
	}
	text(g, in, sizeof in, 40 + pick(g, 150));
	n = snprintf(o, cap, "{\"type\":\"task\",\"seq\":%lld,\"ts\":%lld,\"task\":{"
	             "\"id\":\"t-%lld\",\"agent\":\"agent-%d\",\"name\":\"%s: %s %lld\","
	             "\"kind\":\"%s\",\"status\":\"%s\",\"deps\":[",
	             (long long)g->seq, (long long)g->ts, (long long)id, agent,
	             words[pick(g, 24)], words[pick(g, 24)], (long long)id,
	             kinds[pick(g, 5)], task_status[pick(g, 4)]);
	int ndeps = pick(g, 4);
	for (int i = 0; i < ndeps && id > 0; i++)
		n += snprintf(o + n, cap - (size_t)n, "%s\"t-%lld\"", i ? "," : "",
		              (long long)(id - 1 - pick(g, id < 50 ? (int)id : 50)));
	char parent[32];
	if (id > 10)
		snprintf(parent, sizeof parent, "\"t-%lld\"", (long long)(id / 10));
	else
		strcpy(parent, "null");
	n += snprintf(o + n, cap - (size_t)n,
	              "],\"parent\":%s,\"attempt\":%d,\"error\":null,\"input\":\"%s\","
	              "\"output\":null}}",
	              parent, 1 + (pick(g, 20) == 0), in);
	return n;
}

/* Write one usage message. */
static int gen_usage(Gen *g, char *o, size_t cap)
{
	int m = pick(g, 5);
	int64_t in = 200 + pick(g, 20000), out = 20 + pick(g, 2000);
	char cost[32];
	if (pick(g, 3) == 0)
		snprintf(cost, sizeof cost, "%.6f", (double)(in + out) * 2e-6);
	else
		strcpy(cost, "null");
	return snprintf(o, cap, "{\"type\":\"usage\",\"seq\":%lld,\"ts\":%lld,"
	                "\"agent\":\"agent-%d\","
	                "\"task\":\"t-%lld\",\"provider\":\"%s\",\"model\":\"%s\","
	                "\"input_tokens\":%lld,\"output_tokens\":%lld,\"cache_read_tokens\":%lld,"
	                "\"cache_write_tokens\":%d,\"reasoning_tokens\":%lld,\"cost_usd\":%s}",
	                (long long)g->seq, (long long)g->ts, pick(g, AGENTS),
	                (long long)(g->next_task ? g->next_task - 1 : 0), models[m][0],
	                models[m][1], (long long)in, (long long)out, (long long)(in / 2),
	                pick(g, 4) ? 0 : 512, (long long)(out / 4), cost);
}

/* Write one message or log message. */
static int gen_line(Gen *g, char *o, size_t cap, bool log)
{
	char t[1024];
	text(g, t, sizeof t, 40 + pick(g, 360));
	if (log)
		return snprintf(o, cap, "{\"type\":\"log\",\"seq\":%lld,\"ts\":%lld,"
		                "\"level\":\"%s\","
		                "\"text\":\"%s\",\"agent\":\"agent-%d\",\"task\":null}",
		                (long long)g->seq, (long long)g->ts, levels[pick(g, 5)], t,
		                pick(g, AGENTS));
	return snprintf(o, cap, "{\"type\":\"message\",\"seq\":%lld,\"ts\":%lld,"
	                "\"agent\":\"agent-%d\",\"task\":\"t-%lld\",\"id\":\"m-%lld\","
	                "\"role\":\"%s\",\"text\":\"%s\"}",
	                (long long)g->seq, (long long)g->ts, pick(g, AGENTS),
	                (long long)(g->next_task ? g->next_task - 1 : 0), (long long)g->seq,
	                roles[pick(g, 5)], t);
}

/* Write one agent upsert. */
static int gen_agent(Gen *g, char *o, size_t cap)
{
	int a = pick(g, AGENTS);
	char parent[32];
	if (a >= 6)
		snprintf(parent, sizeof parent, "\"agent-%d\"", a % 6);
	else
		strcpy(parent, "null");
	return snprintf(o, cap, "{\"type\":\"agent\",\"seq\":%lld,\"ts\":%lld,\"agent\":{"
	                "\"id\":\"agent-%d\",\"name\":\"Agent %d\",\"role\":\"%s %s\","
	                "\"model\":\"%s\",\"parent\":%s,\"status\":\"%s\"}}",
	                (long long)g->seq, (long long)g->ts, a, a, words[pick(g, 24)],
	                words[pick(g, 24)], models[a % 5][1], parent, agent_status[pick(g, 5)]);
}

/* Write one threads sample: 16 cores, 24 threads. */
static int gen_threads(Gen *g, char *o, size_t cap)
{
	int n = snprintf(o, cap, "{\"type\":\"threads\",\"seq\":%lld,\"ts\":%lld,"
	                 "\"interval_ms\":1000,\"cores\":[", (long long)g->seq, (long long)g->ts);
	for (int c = 0; c < 16; c++)
		n += snprintf(o + n, cap - (size_t)n, "%s%.2f", c ? "," : "", pick(g, 101) / 100.0);
	n += snprintf(o + n, cap - (size_t)n, "],\"threads\":[");
	for (int t = 0; t < 24; t++)
		n += snprintf(o + n, cap - (size_t)n,
		              "%s{\"tid\":%d,\"name\":\"worker-%d\",\"core\":%d,\"cpu\":%.2f,"
		              "\"agent\":\"agent-%d\",\"task\":\"t-%lld\"}",
		              t ? "," : "", 4100 + t, t, pick(g, 16), pick(g, 101) / 100.0,
		              pick(g, AGENTS), (long long)(g->next_task ? g->next_task - 1 : 0));
	n += snprintf(o + n, cap - (size_t)n, "]}");
	return n;
}

/* Write one ack. */
static int gen_ack(Gen *g, char *o, size_t cap)
{
	static const char *const st[] = {"accepted", "applied", "rejected"};
	int s = pick(g, 3);
	return snprintf(o, cap, "{\"type\":\"ack\",\"seq\":%lld,\"ts\":%lld,\"command\":\"c-%lld\","
	                "\"status\":\"%s\"%s}",
	                (long long)g->seq, (long long)g->ts, (long long)(g->next_cmd++ / 2), st[s],
	                s == 2 ? ",\"error\":\"task is working; only failed tasks can be retried\""
	                       : "");
}

/* Write the next message of the mix into o; returns its length. */
static int gen_one(Gen *g, char *o, size_t cap)
{
	int r = pick(g, 100);
	g->seq++;
	g->ts += 1 + pick(g, 3);
	if (r < 40)
		return gen_task(g, o, cap);
	if (r < 65)
		return gen_usage(g, o, cap);
	if (r < 77)
		return gen_line(g, o, cap, false);
	if (r < 85)
		return gen_line(g, o, cap, true);
	if (r < 91)
		return gen_agent(g, o, cap);
	if (r < 96)
		return gen_threads(g, o, cap);
	return gen_ack(g, o, cap);
}

/* CPU seconds used by this thread (the machine may be shared: wall time would lie). */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wall-clock seconds (monotonic). */
static double wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 2000000;
	if (total <= 0)
		total = 2000000;
	char *buf = malloc((size_t)CHUNK * 1024);
	size_t *off = malloc((CHUNK + 1) * sizeof(*off));
	Event *evs = malloc(CHUNK * sizeof(*evs));
	Model *m = model_new(), *m2 = model_new();
	Arena a, big;
	if (buf == NULL || off == NULL || evs == NULL || m == NULL || m2 == NULL)
		return 1;
	arena_init(&a, 64 * 1024);
	arena_init(&big, 1 << 20);
	int rt = model_add_runtime(m, "bench", 0);
	model_add_runtime(m2, "bench", 0);
	const char *hello = "{\"type\":\"hello\",\"proto\":1,\"runtime\":{\"id\":\"bench\","
	                    "\"instance\":\"b1\",\"cores\":16},\"capabilities\":[\"pause\"],"
	                    "\"last_seq\":0}";
	Event ev;
	char err[PROTO_ERR_MAX];
	if (proto_decode(hello, strlen(hello), &ev, &a, err) != PROTO_OK) {
		fprintf(stderr, "bench_core: hello rejected: %s\n", err);
		return 1;
	}
	model_apply(m, rt, &ev, 0, NULL);
	model_apply(m2, rt, &ev, 0, NULL);

	Gen g = {.rng = 0x9e3779b97f4a7c15ULL, .ts = 1764300000000LL};
	double t_dec = 0, t_all = 0, t_apply = 0, w_dec = 0, w_all = 0, w_apply = 0;
	long done = 0, rejects = 0, dups = 0;
	size_t bytes = 0;
	int64_t now = 1764300000000LL;
	while (done < total) {
		long n = total - done < CHUNK ? total - done : CHUNK;
		size_t used = 0;
		for (long i = 0; i < n; i++) {
			off[i] = used;
			int len = gen_one(&g, buf + used, MSG_MAX);
			used += (size_t)len;
		}
		off[n] = used;
		bytes += used;

		double w0 = wall_s(), t0 = now_s();
		for (long i = 0; i < n; i++) {
			arena_reset(&a);
			size_t len = off[i + 1] - off[i];
			if (proto_decode(buf + off[i], len, &ev, &a, err) != PROTO_OK)
				rejects++;
		}
		double t1 = now_s(), w1 = wall_s();
		for (long i = 0; i < n; i++) {
			arena_reset(&a);
			ApplyInfo info = {0};
			size_t len = off[i + 1] - off[i];
			if (proto_decode(buf + off[i], len, &ev, &a, err) == PROTO_OK)
				model_apply(m, rt, &ev, now + (done + i) / 2, &info);
			else
				model_reject(m, rt, err, now);
			dups += info.duplicate;
		}
		double t2 = now_s(), w2 = wall_s();
		/* Apply alone, into a second model: decode the chunk into one arena first. */
		arena_reset(&big);
		for (long i = 0; i < n; i++)
			if (proto_decode(buf + off[i], off[i + 1] - off[i], &evs[i], &big, err) !=
			    PROTO_OK)
				evs[i].type = EV_COUNT;   /* model_apply ignores it */
		double w3 = wall_s(), t3 = now_s();
		for (long i = 0; i < n; i++)
			model_apply(m2, rt, &evs[i], now + (done + i) / 2, NULL);
		double t4 = now_s(), w4 = wall_s();
		t_dec += t1 - t0;
		t_all += t2 - t1;
		t_apply += t4 - t3;
		w_dec += w1 - w0;
		w_all += w2 - w1;
		w_apply += w4 - w3;
		done += n;
		if (done == n && rejects > 0)
			fprintf(stderr, "bench_core: sample reject: %s\n", err);
	}
	printf("events: %ld (%.0f bytes avg), rejects: %ld, duplicates: %ld\n", done,
	       (double)bytes / (double)done, rejects, dups);
	printf("model: %zu agents, %zu tasks, %zu usage rows, %zu lines\n", m->nagents,
	       m->ntasks, m->nusage, m->nlines);
	printf("decode: %.0f events/s\n", (double)done / t_dec);
	printf("decode+apply: %.0f events/s\n", (double)done / t_all);
	printf("apply: %.0f events/s\n", (double)done / t_apply);
	printf("(CPU time of this thread; %.2f us decode + %.2f us apply per event)\n",
	       t_dec / (double)done * 1e6, t_apply / (double)done * 1e6);
	printf("(wall time: decode %.0f, decode+apply %.0f, apply %.0f events/s)\n",
	       (double)done / w_dec, (double)done / w_all, (double)done / w_apply);
	model_free(m);
	model_free(m2);
	arena_free(&a);
	arena_free(&big);
	free(evs);
	free(buf);
	free(off);
	return 0;
}
