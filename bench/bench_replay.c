/*
 * bench_replay.c: replay of a generated 1 000 000-event session (the realistic
 * mix of bench/replay_gen.h: two runtimes, tasks, usage, threads, messages,
 * logs, commands, gaps, snapshots, restarts, idle stretches) written through
 * the store API: time from replay_open to the first frame, time for the
 * background indexer to cover the session, checkpoint memory, and 50 random
 * seeks (median and worst, wall and CPU) once indexed.
 *
 * Build by hand (make bench builds it too once bench/run.sh does):
 *   cc -O2 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags libcjson) bench/bench_replay.c \
 *      src/replay.c src/store.c src/model.c src/model_copy.c src/proto.c src/arena.c \
 *      src/event.c src/strmap.c src/usage.c src/sanitize.c \
 *      -lsqlite3 -lcjson -lm -lpthread -o /tmp/bench_replay
 * Usage: bench_replay [EVENTS] [DB]   (default 1000000 events; an existing DB is reused,
 *        otherwise it is generated there, by default in a temp dir that is removed after)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/replay.h"
#include "swarmtop/store.h"

#include "replay_gen.h"

#define SEEKS 50

typedef struct Gen {
	Store *st;
	int64_t session, last_ms;
} Gen;

/* Seconds on clock id. */
static double clock_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sink: store each event. */
static void gen_event(void *ud, const RgenEvent *e)
{
	Gen *g = ud;
	StoreEventRow row = {
		.session = g->session, .runtime_id = e->runtime_id, .instance = e->instance,
		.seq = e->seq ? e->seq : STORE_NONE, .ts = e->seq ? e->ts : STORE_NONE,
		.recv_ms = e->recv_ms, .type = e->type, .raw = e->raw, .raw_len = e->len,
	};
	if (store_append(g->st, &row) < 0) {
		fprintf(stderr, "bench_replay: %s\n", store_error(g->st));
		exit(1);
	}
	g->last_ms = e->recv_ms;
}

/* Sink: store each command status. */
static void gen_command(void *ud, const RgenCommand *c)
{
	Gen *g = ud;
	bool sent = strcmp(c->status, "sent") == 0, acc = strcmp(c->status, "accepted") == 0;
	StoreCommand sc = {
		.session = g->session, .id = c->id, .runtime_id = c->runtime_id,
		.target_kind = c->target_kind, .target = c->target, .action = c->action,
		.reason = c->reason, .who = c->who, .status = c->status, .error = c->error,
		.sent_ms = sent ? c->sent_ms : STORE_NONE,
		.accepted_ms = acc ? c->at_ms : STORE_NONE,
		.final_ms = !sent && !acc ? c->at_ms : STORE_NONE,
	};
	store_command_put(g->st, &sc);
}

/* Sink: store each gap. */
static void gen_gap(void *ud, const RgenGap *gp)
{
	Gen *g = ud;
	StoreGap sg = {.session = g->session, .runtime_id = gp->runtime_id,
	               .instance = gp->instance, .from_seq = gp->from, .to_seq = gp->to,
	               .at_ms = gp->at_ms, .reason = gp->reason};
	store_gap_add(g->st, &sg);
}

/* Generate n events into a new database at path. */
static void generate(const char *path, uint64_t n)
{
	char err[256];
	Gen g = {0};
	g.st = store_open(path, STORE_READWRITE, err, sizeof(err));
	if (g.st == NULL) {
		fprintf(stderr, "bench_replay: %s\n", err);
		exit(1);
	}
	StoreSessionInfo si = {.started_ms = RGEN_BASE_MS, .how = "record", .label = "bench"};
	g.session = store_session_begin(g.st, &si);
	RgenOptions o = {.events = n, .runtimes = 2, .seed = 7, .idle_every = 50000,
	                 .command_every = 2000, .gap_every = 30000, .snapshot_every = 200000,
	                 .instance_every = 400000};
	RgenSink k = {.ud = &g, .event = gen_event, .command = gen_command, .gap = gen_gap};
	double t = clock_s(CLOCK_MONOTONIC);
	rgen_run(&o, &k);
	store_session_end(g.st, g.session, g.last_ms + 1);
	if (store_close(g.st) < 0) {
		fprintf(stderr, "bench_replay: cannot write %s\n", path);
		exit(1);
	}
	printf("generated %llu events in %.1f s\n", (unsigned long long)n,
	       clock_s(CLOCK_MONOTONIC) - t);
}

/* qsort order of doubles. */
static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The process's peak resident memory in MB (VmHWM), or -1. */
static double peak_rss_mb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			v = atof(line + 6) / 1024.0;
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char dir[256] = "", path[512];
	if (argc > 2) {
		snprintf(path, sizeof(path), "%s", argv[2]);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/bench_replay.XXXXXX");
		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(path, sizeof(path), "%s/replay.db", dir);
	}
	struct stat sb;
	if (stat(path, &sb) != 0)
		generate(path, n);
	if (stat(path, &sb) == 0)
		printf("database: %s, %.0f MB\n", path, (double)sb.st_size / 1e6);

	/* Open to first frame: the model at the start position. */
	char err[256];
	double t0 = clock_s(CLOCK_MONOTONIC);
	Replay *r = replay_open(path, NULL, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return 1;
	}
	ReplayStats st;
	do {
		replay_stats(r, &st);
	} while (st.items == 0 && !st.done);
	replay_advance(r, 0);
	double t_first = clock_s(CLOCK_MONOTONIC) - t0;
	printf("open to first frame: %.1f ms (%llu events, %zu runtimes at the start)\n",
	       t_first * 1e3, (unsigned long long)st.events, replay_model(r)->nruntimes);

	/* The indexer's pass (checkpoints included). */
	replay_wait_indexed(r);
	double t_index = clock_s(CLOCK_MONOTONIC) - t0;
	replay_stats(r, &st);
	printf("indexed: %.2f s (indexer CPU %.2f s) for %llu items; %zu checkpoints every"
	       " %llu items, %.0f MB (budget %zu MB); %llu marks\n", t_index, st.index_cpu_s,
	       (unsigned long long)st.items, st.checkpoints, (unsigned long long)st.ckpt_every, (double)st.ckpt_bytes / 1e6,
	       REPLAY_CKPT_BUDGET >> 20, (unsigned long long)st.marks);

	/* 50 random seeks. */
	double wall[SEEKS], cpu[SEEKS];
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	int64_t s = replay_start_ms(r), e = replay_end_ms(r);
	for (int i = 0; i < SEEKS; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		int64_t at = s + (int64_t)(rng % (uint64_t)(e - s + 1));
		double w = clock_s(CLOCK_MONOTONIC), c = clock_s(CLOCK_THREAD_CPUTIME_ID);
		if (replay_seek(r, at) != 0) {
			fprintf(stderr, "bench_replay: seek failed: %s\n", replay_error(r));
			return 1;
		}
		wall[i] = (clock_s(CLOCK_MONOTONIC) - w) * 1e3;
		cpu[i] = (clock_s(CLOCK_THREAD_CPUTIME_ID) - c) * 1e3;
		if (getenv("BENCH_VERBOSE"))
			printf("  seek to %5.1f%%: %.1f ms (CPU %.1f ms)\n", replay_frac(r) * 100, wall[i],
			       cpu[i]);
	}
	qsort(wall, SEEKS, sizeof(double), dcmp);
	qsort(cpu, SEEKS, sizeof(double), dcmp);
	printf("seek x%d: median %.1f ms, worst %.1f ms (CPU: median %.1f ms, worst %.1f ms)\n",
	       SEEKS, (wall[SEEKS / 2 - 1] + wall[SEEKS / 2]) / 2, wall[SEEKS - 1],
	       (cpu[SEEKS / 2 - 1] + cpu[SEEKS / 2]) / 2, cpu[SEEKS - 1]);
	printf("peak RSS: %.0f MB\n", peak_rss_mb());
	printf("targets: open to first frame <= 1000 ms: %s; seek <= 300 ms: %s\n",
	       t_first <= 1.0 ? "met" : "MISSED", wall[SEEKS - 1] <= 300 ? "met" : "MISSED");
	replay_free(r);
	if (dir[0]) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
