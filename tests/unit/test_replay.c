/*
 * test_replay.c: the replay engine against real SQLite files written through
 * the store. The determinism proof: a generated session (two runtimes, tasks
 * with failures, usage, threads, messages, logs, commands with acks,
 * unanswered commands, gaps, a snapshot, a restart as a new instance, idle
 * stretches) is written to the store while the same items are folded into a
 * "live" model at the same now_ms; the replay's model must dump byte for
 * byte like the live one at the end and at positions in between, whichever
 * way it gets there (forward, backward, from a checkpoint, after thinning).
 * Also: first frame, marks, speeds, timed play, idle skipping, a read-only
 * file that stays unchanged, unknown sessions, --at parsing.
 *
 * IO test: links the whole program minus main.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/arena.h"
#include "swarmtop/model.h"
#include "swarmtop/proto.h"
#include "swarmtop/replay.h"
#include "swarmtop/store.h"

#include "../../bench/replay_gen.h"

#define SNAPS 6

typedef struct Snap {
	int64_t t;        /* the position: every item at or before t */
	char *dump;
} Snap;

/* The generator's sink: store everything, fold it into the live model too. */
typedef struct Live {
	Store *st;
	int64_t session;
	Model *m;
	Arena a;
	char rid[RGEN_RUNTIMES_MAX][16];
	int nrt;
	int64_t last_t;
	uint64_t items;
	uint64_t snap_at[SNAPS];
	Snap snaps[SNAPS];
	int nsnaps;
	/* what the marks should find */
	int failures, gaps, commands;
} Live;

static char tmpdir[256];

/* The live slot of a runtime id (added on first sight, like a new connection). */
static int live_rt(Live *l, const char *id, int64_t now)
{
	for (int i = 0; i < l->nrt; i++)
		if (strcmp(l->rid[i], id) == 0)
			return i;
	snprintf(l->rid[l->nrt], sizeof(l->rid[0]), "%s", id);
	int rt = model_add_runtime(l->m, "ws://127.0.0.1:1", now);
	assert_int_equal(rt, l->nrt);
	return l->nrt++;
}

/* Before an item at time t: take a due snapshot of the live model (at a time boundary). */
static void live_item(Live *l, int64_t t)
{
	if (l->nsnaps < SNAPS && l->items >= l->snap_at[l->nsnaps] && t > l->last_t &&
	    l->last_t != INT64_MIN) {
		l->snaps[l->nsnaps].t = l->last_t;
		l->snaps[l->nsnaps].dump = model_dump(l->m);
		l->nsnaps++;
	}
	l->items++;
	l->last_t = t;
}

/* Sink: an event is stored and applied at its receive time. */
static void live_event(void *ud, const RgenEvent *e)
{
	Live *l = ud;
	StoreEventRow row = {
		.session = l->session, .runtime_id = e->runtime_id, .instance = e->instance,
		.seq = e->seq ? e->seq : STORE_NONE, .ts = e->seq ? e->ts : STORE_NONE,
		.recv_ms = e->recv_ms, .type = e->type, .raw = e->raw, .raw_len = e->len,
	};
	assert_int_equal(store_append(l->st, &row), STORE_NEW);
	live_item(l, e->recv_ms);
	int rt = live_rt(l, e->runtime_id, e->recv_ms);
	Event ev;
	char err[PROTO_ERR_MAX];
	arena_reset(&l->a);
	if (proto_decode(e->raw, e->len, &ev, &l->a, err) != PROTO_OK)
		fail_msg("%s: %.*s", err, (int)e->len, e->raw);
	ApplyInfo info;
	model_apply(l->m, rt, &ev, e->recv_ms, &info);
	if (info.gap)
		l->gaps++;
	if ((ev.type == EV_TASK && (ev.u.task.has & HAS_STATUS) &&
	     ev.u.task.status == TASK_FAILED) ||
	    (ev.type == EV_AGENT && (ev.u.agent.has & HAS_STATUS) &&
	     ev.u.agent.status == AGENT_FAILED) ||
	    (ev.type == EV_ACK && ev.u.ack.status == ACK_REJECTED))
		l->failures++;
	if (ev.type == EV_MESSAGE && ev.u.message.role == ROLE_OPERATOR)
		l->commands++;
	if (ev.type == EV_HELLO) {
		StoreRuntime sr = {.session = l->session, .url = "ws://127.0.0.1:1",
		                   .runtime_id = e->runtime_id, .instance = e->instance,
		                   .seen_ms = e->recv_ms};
		assert_int_equal(store_runtime_seen(l->st, &sr), 0);
	}
}

/* Sink: a command is sent (model_command now) or changes status (the audit trail). */
static void live_command(void *ud, const RgenCommand *c)
{
	Live *l = ud;
	StoreCommand sc = {
		.session = l->session, .id = c->id, .runtime_id = c->runtime_id,
		.target_kind = c->target_kind, .target = c->target, .action = c->action,
		.reason = c->reason, .who = c->who, .sent_ms = STORE_NONE,
		.accepted_ms = STORE_NONE, .final_ms = STORE_NONE, .status = c->status,
		.error = c->error,
	};
	if (strcmp(c->status, "sent") == 0) {
		live_item(l, c->sent_ms);
		Command cmd;
		char err[PROTO_ERR_MAX];
		assert_int_equal(proto_command_init(&cmd, c->id, c->action, TARGET_AGENT, c->target,
		                                    err), 0);
		cmd.reason = c->reason;
		int rt = live_rt(l, c->runtime_id, c->sent_ms);
		assert_true(model_command(l->m, rt, &cmd, c->who, CMD_SENT, NULL, c->sent_ms) >= 0);
		sc.sent_ms = c->sent_ms;
		l->commands++;
	} else if (strcmp(c->status, "accepted") == 0) {
		sc.accepted_ms = c->at_ms;
	} else {
		sc.final_ms = c->at_ms;
		if (strcmp(c->status, "unanswered") == 0) {
			/* The app's 1 Hz tick gave up on it at this moment. */
			live_item(l, c->at_ms);
			model_tick(l->m, c->at_ms);
		}
	}
	assert_int_equal(store_command_put(l->st, &sc), 0);
}

/* Sink: a gap goes to the gaps table (the model finds it by itself). */
static void live_gap(void *ud, const RgenGap *g)
{
	Live *l = ud;
	StoreGap sg = {.session = l->session, .runtime_id = g->runtime_id,
	               .instance = g->instance, .from_seq = g->from, .to_seq = g->to,
	               .at_ms = g->at_ms, .reason = g->reason};
	assert_int_equal(store_gap_add(l->st, &sg), 0);
}

/* Write a generated session of n events to path (its live model in l). */
static void record(const char *path, uint64_t n, Live *l)
{
	char err[256];
	memset(l, 0, sizeof(*l));
	l->m = model_new();
	l->last_t = INT64_MIN;
	arena_init(&l->a, 65536);
	for (int i = 0; i < SNAPS; i++)
		l->snap_at[i] = n * (uint64_t)(i + 1) / (SNAPS + 1);
	l->st = store_open(path, STORE_READWRITE, err, sizeof(err));
	assert_non_null(l->st);
	StoreSessionInfo si = {.started_ms = RGEN_BASE_MS - 5, .how = "record", .label = "test"};
	l->session = store_session_begin(l->st, &si);
	assert_true(l->session > 0);
	RgenOptions o = {.events = n, .runtimes = 2, .seed = 42, .idle_every = n / 5,
	                 .command_every = 150, .gap_every = n / 7, .snapshot_every = n / 3,
	                 .instance_every = n / 2};
	RgenSink k = {.ud = l, .event = live_event, .command = live_command, .gap = live_gap};
	rgen_run(&o, &k);
	assert_int_equal(store_session_end(l->st, l->session, l->last_t + 1), 0);
	assert_int_equal(store_close(l->st), 0);
	l->st = NULL;
	arena_free(&l->a);
}

/* Free the live side. */
static void live_free(Live *l)
{
	model_free(l->m);
	for (int i = 0; i < l->nsnaps; i++)
		free(l->snaps[i].dump);
}

/* The replayed model's dump equals want (printing the first difference when not). */
static void assert_dump(Replay *r, const char *want)
{
	char *got = model_dump(replay_model(r));
	assert_non_null(got);
	if (strcmp(got, want) != 0) {
		size_t i = 0;
		while (got[i] && got[i] == want[i])
			i++;
		size_t from = i > 200 ? i - 200 : 0;
		fprintf(stderr, "dump differs at byte %zu\n--- want\n%.400s\n--- got\n%.400s\n", i,
		        want + from, got + from);
	}
	assert_string_equal(got, want);
	free(got);
}

/* Seek and wait for it (a seek past the indexer completes in replay_advance). */
static void seek_wait(Replay *r, int64_t t)
{
	int rc = replay_seek(r, t);
	assert_true(rc >= 0);
	for (int i = 0; rc == 1 && i < 200000; i++) {
		replay_advance(r, 0);
		if (!replay_seeking(r))
			rc = 0;
		else
			usleep(500);
	}
	assert_int_equal(rc, 0);
}

static char db_main[512];
static Live live_main;

/* Once: record the main session. */
static int setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_replay.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) != 0)
		return -1;
	snprintf(db_main, sizeof(db_main), "%s/main.db", tmpdir);
	record(db_main, 12000, &live_main);
	return 0;
}

/* Once: remove the files. */
static int teardown(void **state)
{
	(void)state;
	live_free(&live_main);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Opening positions at the start with an empty model and a paused 1x status. */
static void test_open_first_frame(void **state)
{
	(void)state;
	char err[256];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	assert_non_null(replay_model(r));
	assert_int_equal(replay_start_ms(r), RGEN_BASE_MS);
	assert_int_equal(replay_end_ms(r), live_main.last_t);
	assert_int_equal(replay_pos_ms(r), replay_start_ms(r));
	assert_false(replay_playing(r));
	char buf[128];
	replay_status(r, buf, sizeof(buf), true);
	assert_memory_equal(buf, "REPLAY 03:20:00 || 1x 0%", strlen("REPLAY 03:20:00 || 1x 0%"));
	replay_status(r, buf, sizeof(buf), false);
	assert_memory_equal(buf, "REPLAY 03:20:00 \u23f8 1x 0%", strlen("REPLAY 03:20:00 \u23f8 1x 0%"));
	/* The first frame: what happened at the first millisecond (the first hello). */
	replay_wait_indexed(r);
	replay_advance(r, 0);
	assert_int_equal(replay_model(r)->nruntimes, 1);
	assert_int_equal(replay_model(r)->runtimes[0].conn, CONN_REPLAY);
	assert_true(replay_model(r)->runtimes[0].hello_seen);
	replay_status(r, buf, sizeof(buf), true);
	assert_string_equal(buf, "REPLAY 03:20:00 || 1x 0%");
	ReplayStats s;
	replay_stats(r, &s);
	assert_true(s.done);
	assert_int_equal(s.events, s.indexed);
	assert_int_equal(s.bad, 0);
	replay_free(r);
}

/* The replay at its end dumps exactly like the live model; replay_dump prints the same. */
static void test_determinism_end(void **state)
{
	(void)state;
	char err[256];
	Replay *r = replay_open(db_main, "latest", err, sizeof(err));
	assert_non_null(r);
	seek_wait(r, replay_end_ms(r));
	char *want = model_dump(live_main.m);
	assert_dump(r, want);
	/* It holds the commands where they happened, with their outcomes. */
	const Model *m = replay_model(r);
	int states[CMD_STATE_COUNT] = {0};
	for (size_t i = 0; i < m->ncommands; i++)
		states[m->commands[i].state]++;
	assert_true(states[CMD_APPLIED] > 0);
	assert_true(states[CMD_REJECTED] > 0);
	assert_true(states[CMD_UNANSWERED] > 0);
	int cmd_lines = 0;
	for (size_t i = 0; i < m->nlines; i++)
		cmd_lines += model_line(m, i)->kind == LINE_COMMAND;
	assert_true(cmd_lines > 0);
	replay_free(r);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(replay_dump(db_main, NULL, f), 0);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
	free(want);
}

/* Seeking anywhere, any way, equals a straight fold to that position. */
static void test_seek_equals_fold(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(live_main.nsnaps, SNAPS);
	/* Small checkpoints and a small budget: clones, thinning, forward folds all happen. */
	replay_tune(700, 4u << 20);
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	replay_tune(REPLAY_CKPT_EVERY, REPLAY_CKPT_BUDGET);
	assert_non_null(r);
	static const int order[] = {2, 3, 5, 0, 4, 1, 1, 5, 2, 0, 3};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const Snap *s = &live_main.snaps[order[i]];
		seek_wait(r, s->t);
		assert_int_equal(replay_pos_ms(r), s->t);
		assert_dump(r, s->dump);
	}
	ReplayStats st;
	replay_stats(r, &st);
	assert_true(st.done);
	assert_true(st.ckpt_every > 700);           /* thinned at least once */
	assert_true(st.checkpoints >= 2);
	/* Relative seeks land where they say. */
	seek_wait(r, live_main.snaps[1].t);
	assert_int_equal(replay_seek_by(r, 0), 0);
	assert_dump(r, live_main.snaps[1].dump);
	seek_wait(r, replay_start_ms(r));
	assert_int_equal(replay_seek_by(r, -60000), 0);
	assert_int_equal(replay_pos_ms(r), replay_start_ms(r));
	assert_int_equal(replay_seek_by(r, INT64_MAX / 4), 0);
	assert_int_equal(replay_pos_ms(r), replay_end_ms(r));
	char *want = model_dump(live_main.m);
	assert_dump(r, want);
	free(want);
	replay_free(r);
}

/* A seek issued at once (maybe before the indexer got there) still lands exactly. */
static void test_seek_before_indexed(void **state)
{
	(void)state;
	char err[256];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	seek_wait(r, live_main.snaps[4].t);
	assert_dump(r, live_main.snaps[4].dump);
	replay_free(r);
}

/* Marks: every failure, gap and command/operator message is found, in order. */
static void test_marks(void **state)
{
	(void)state;
	char err[256];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(replay_wait_indexed(r), 0);
	int want = live_main.failures + live_main.gaps + live_main.commands;
	assert_true(live_main.failures > 0 && live_main.gaps > 0 && live_main.commands > 0);
	double *frac = calloc((size_t)want + 10, sizeof(*frac));
	int *kind = calloc((size_t)want + 10, sizeof(*kind));
	size_t n = replay_marks(r, frac, kind, (size_t)want + 10);
	assert_int_equal(n, want);
	int count[MARK_KIND_COUNT] = {0};
	for (size_t i = 0; i < n; i++) {
		assert_true(frac[i] >= 0 && frac[i] <= 1);
		assert_true(i == 0 || frac[i] >= frac[i - 1]);
		count[kind[i]]++;
	}
	assert_int_equal(count[MARK_FAILURE], live_main.failures);
	assert_int_equal(count[MARK_GAP], live_main.gaps);
	assert_int_equal(count[MARK_COMMAND], live_main.commands);
	/* Bucketed for a narrow bar: at most 10, failures win their bucket. */
	size_t nb = replay_marks(r, frac, kind, 10);
	assert_true(nb > 0 && nb <= 10);
	/* Jumping: forward from the start to the first mark, back from the end to the last. */
	replay_advance(r, 0);
	int64_t t1 = replay_next_mark(r, 1);
	assert_true(t1 >= replay_start_ms(r));
	assert_int_equal(replay_pos_ms(r), t1);
	int64_t t2 = replay_next_mark(r, 1);
	assert_true(t2 > t1);
	assert_int_equal(replay_next_mark(r, -1), t1);
	seek_wait(r, replay_end_ms(r));
	int64_t last = replay_next_mark(r, -1);
	assert_true(last > t2 && last < replay_end_ms(r));
	seek_wait(r, replay_end_ms(r));
	assert_int_equal(replay_next_mark(r, 1), -1);
	assert_int_equal(replay_pos_ms(r), replay_end_ms(r));
	/* At a failure mark the failure is in the model. */
	seek_wait(r, replay_start_ms(r));
	bool found = false;
	for (int i = 0; i < want && !found; i++) {
		int64_t t = replay_next_mark(r, 1);
		assert_true(t >= 0);
		const Model *m = replay_model(r);
		for (size_t k = 0; k < m->ntasks && !found; k++)
			found = m->tasks[k].status == TASK_FAILED && m->tasks[k].status_ms == t;
		for (size_t k = 0; k < m->nagents && !found; k++)
			found = m->agents[k].status == AGENT_FAILED && m->agents[k].status_ms == t;
	}
	assert_true(found);
	free(frac);
	free(kind);
	replay_free(r);
}

/* Speed notches from 0.25x to 64x and max; text parsing. */
static void test_speed(void **state)
{
	(void)state;
	char err[256], buf[128];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	assert_true(replay_speed(r) == 1.0);
	replay_speed_step(r, -1);
	assert_true(replay_speed(r) == 0.5);
	replay_speed_step(r, -1);
	replay_speed_step(r, -1);
	assert_true(replay_speed(r) == 0.25);
	static const double up[] = {0.5, 1, 2, 4, 8, 16, 32, 64, REPLAY_SPEED_MAX, REPLAY_SPEED_MAX};
	for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		replay_speed_step(r, 1);
		assert_true(replay_speed(r) == up[i]);
	}
	replay_status(r, buf, sizeof(buf), true);
	assert_non_null(strstr(buf, " max "));
	assert_int_equal(replay_set_speed(r, "4x"), 0);
	assert_true(replay_speed(r) == 4);
	replay_status(r, buf, sizeof(buf), true);
	assert_non_null(strstr(buf, " 4x "));
	assert_int_equal(replay_set_speed(r, "0.3"), 0);
	assert_true(replay_speed(r) == 0.25);
	assert_int_equal(replay_set_speed(r, "max"), 0);
	assert_true(replay_speed(r) == REPLAY_SPEED_MAX);
	assert_int_equal(replay_set_speed(r, "1000"), 0);
	assert_true(replay_speed(r) == REPLAY_SPEED_MAX);
	assert_int_equal(replay_set_speed(r, "16"), 0);
	assert_true(replay_speed(r) == 16);
	assert_int_equal(replay_set_speed(r, "fast"), -1);
	assert_int_equal(replay_set_speed(r, "-2"), -1);
	assert_int_equal(replay_set_speed(r, "2y"), -1);
	assert_int_equal(replay_set_speed(r, ""), -1);
	assert_true(replay_speed(r) == 16);
	replay_free(r);
}

/* Playing moves the position by wall time x speed; "max" reaches the end and stops there. */
static void test_play(void **state)
{
	(void)state;
	char err[256], buf[128];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(replay_wait_indexed(r), 0);
	int64_t t0 = replay_start_ms(r);
	replay_play(r, true);
	assert_true(replay_playing(r));
	replay_status(r, buf, sizeof(buf), true);
	assert_memory_equal(buf, "REPLAY 03:20:00 > 1x", 20);
	assert_true(replay_advance(r, 100) != 0);
	assert_int_equal(replay_pos_ms(r), t0 + 100);
	replay_set_speed(r, "4");
	replay_advance(r, 250);
	assert_int_equal(replay_pos_ms(r), t0 + 1100);
	replay_set_speed(r, "0.25");
	for (int i = 0; i < 8; i++)
		replay_advance(r, 1);
	assert_int_equal(replay_pos_ms(r), t0 + 1102);
	/* Pausing stops the clock. */
	replay_play(r, false);
	replay_advance(r, 5000);
	assert_int_equal(replay_pos_ms(r), t0 + 1102);
	/* The model holds exactly what a seek to the same position holds. */
	char *played = model_dump(replay_model(r));
	Replay *r2 = replay_open(db_main, NULL, err, sizeof(err));
	seek_wait(r2, t0 + 1102);
	assert_dump(r2, played);
	free(played);
	replay_free(r2);
	/* As fast as possible to the end; then it stops, and play restarts from the start. */
	replay_set_speed(r, "max");
	replay_play(r, true);
	for (int i = 0; i < 100000 && replay_playing(r); i++)
		replay_advance(r, 16);
	assert_false(replay_playing(r));
	assert_int_equal(replay_pos_ms(r), replay_end_ms(r));
	char *want = model_dump(live_main.m);
	assert_dump(r, want);
	free(want);
	replay_play(r, true);
	assert_int_equal(replay_pos_ms(r), replay_start_ms(r));
	replay_free(r);
}

/* Write a tiny session: events at the given offsets from t0 (ms). */
static void record_offsets(const char *path, const int64_t *off, size_t n)
{
	char err[256], raw[256];
	Store *st = store_open(path, STORE_READWRITE, err, sizeof(err));
	assert_non_null(st);
	StoreSessionInfo si = {.started_ms = RGEN_BASE_MS, .how = "record"};
	int64_t s = store_session_begin(st, &si);
	const char *hello = "{\"type\":\"hello\",\"proto\":1,\"runtime\":{\"id\":\"rt\","
	                    "\"instance\":\"i\"},\"capabilities\":[],\"last_seq\":0}";
	StoreEventRow row = {.session = s, .runtime_id = "rt", .instance = "i", .seq = STORE_NONE,
	                     .ts = STORE_NONE, .recv_ms = RGEN_BASE_MS, .type = "hello",
	                     .raw = hello, .raw_len = strlen(hello)};
	assert_int_equal(store_append(st, &row), STORE_NEW);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(raw, sizeof(raw), "{\"type\":\"log\",\"seq\":%zu,\"ts\":%lld,"
		                   "\"level\":\"info\",\"text\":\"line %zu\"}", i + 1,
		                   (long long)(RGEN_BASE_MS + off[i]), i);
		row.seq = (int64_t)i + 1;
		row.ts = RGEN_BASE_MS + off[i];
		row.recv_ms = RGEN_BASE_MS + off[i];
		row.type = "log";
		row.raw = raw;
		row.raw_len = (size_t)len;
		assert_int_equal(store_append(st, &row), STORE_NEW);
	}
	assert_int_equal(store_close(st), 0);
}

/* Idle stretches over 10 s are skipped (keeping 1 s) unless skip-idle is off. */
static void test_skip_idle(void **state)
{
	(void)state;
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/idle.db", tmpdir);
	static const int64_t off[] = {1000, 61000, 62000, 70000};
	record_offsets(path, off, 4);
	Replay *r = replay_open(path, NULL, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(replay_wait_indexed(r), 0);
	assert_true(replay_skip_idle(r));
	assert_int_equal(replay_end_ms(r), RGEN_BASE_MS + 70000);
	replay_play(r, true);
	replay_advance(r, 1000);
	assert_int_equal(replay_pos_ms(r), RGEN_BASE_MS + 1000);
	assert_int_equal(replay_model(r)->events, 1);
	/* 60 s of nothing: skipped to 1 s before the next event. */
	replay_advance(r, 1000);
	assert_int_equal(replay_pos_ms(r), RGEN_BASE_MS + 61000);
	assert_int_equal(replay_model(r)->events, 2);
	/* 8 s is not idle enough: played in full. */
	replay_advance(r, 1000);
	replay_advance(r, 1000);
	assert_int_equal(replay_pos_ms(r), RGEN_BASE_MS + 63000);
	assert_int_equal(replay_model(r)->events, 3);
	/* Off: the same stretch takes its recorded time. */
	replay_seek(r, RGEN_BASE_MS + 1000);
	replay_set_skip_idle(r, false);
	assert_false(replay_skip_idle(r));
	replay_advance(r, 1000);
	assert_int_equal(replay_pos_ms(r), RGEN_BASE_MS + 2000);
	assert_int_equal(replay_model(r)->events, 1);
	/* At the end, playing stops. */
	replay_set_speed(r, "64");
	for (int i = 0; i < 100 && replay_playing(r); i++)
		replay_advance(r, 1000);
	assert_false(replay_playing(r));
	assert_int_equal(replay_pos_ms(r), RGEN_BASE_MS + 70000);
	assert_int_equal(replay_model(r)->events, 4);
	replay_free(r);
}

/* Hash a file's bytes (FNV-1a 64) and its size. */
static uint64_t file_hash(const char *path, off_t *size)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint64_t h = 1469598103934665603ULL;
	int c;
	*size = 0;
	while ((c = fgetc(f)) != EOF) {
		h = (h ^ (uint64_t)c) * 1099511628211ULL;
		(*size)++;
	}
	fclose(f);
	return h;
}

/* A chmod 444 file in a read-only directory replays (as an unprivileged user when we are
 * root, so that the permissions bite) and is not changed. */
static void test_readonly_file(void **state)
{
	(void)state;
	char dir[512], path[600], cmd[1400], err[256];
	snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
	snprintf(path, sizeof(path), "%s/copy.db", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s' && chmod 444 '%s' && chmod 555 '%s'",
	         dir, db_main, path, path, dir);
	assert_int_equal(system(cmd), 0);
	off_t size0, size1;
	uint64_t h0 = file_hash(path, &size0);
	struct stat st0, st1;
	assert_int_equal(stat(path, &st0), 0);
	bool dropped = false;
	if (geteuid() == 0)
		dropped = seteuid(65534) == 0;
	Replay *r = replay_open(path, NULL, err, sizeof(err));
	char *got = NULL, rerr[256] = "";
	if (r != NULL) {
		seek_wait(r, replay_end_ms(r));
		got = model_dump(replay_model(r));
		snprintf(rerr, sizeof(rerr), "%s", replay_error(r));
		replay_free(r);
	}
	/* Back to root before any assertion can end the test. */
	if (dropped)
		assert_int_equal(seteuid(0), 0);
	if (r == NULL)
		fail_msg("open: %s", err);
	char *want = model_dump(live_main.m);
	assert_string_equal(got, want);
	free(want);
	free(got);
	assert_string_equal(rerr, "");
	uint64_t h1 = file_hash(path, &size1);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(size0, size1);
	assert_true(h0 == h1);
	assert_true(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
	            st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
}

/* Unknown sessions, bad arguments, missing files and empty databases: clear errors. */
static void test_errors(void **state)
{
	(void)state;
	char err[256], path[512];
	assert_null(replay_open(db_main, "999", err, sizeof(err)));
	assert_non_null(strstr(err, "no session 999"));
	assert_non_null(strstr(err, db_main));
	assert_null(replay_open(db_main, "banana", err, sizeof(err)));
	assert_non_null(strstr(err, "bad session 'banana'"));
	assert_null(replay_open(db_main, "-5", err, sizeof(err)));
	assert_non_null(strstr(err, "no session 5 before the latest"));
	snprintf(path, sizeof(path), "%s/missing.db", tmpdir);
	assert_null(replay_open(path, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.db"));
	/* An empty database (created, no sessions). */
	snprintf(path, sizeof(path), "%s/empty.db", tmpdir);
	Store *st = store_open(path, STORE_READWRITE, err, sizeof(err));
	assert_non_null(st);
	store_close(st);
	assert_null(replay_open(path, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no sessions recorded"));
	/* A session with no events opens, at its start, and plays to nothing. */
	st = store_open(path, STORE_READWRITE, err, sizeof(err));
	StoreSessionInfo si = {.started_ms = 5000, .how = "record"};
	int64_t id = store_session_begin(st, &si);
	store_close(st);
	char arg[32];
	snprintf(arg, sizeof(arg), "%lld", (long long)id);
	Replay *r = replay_open(path, arg, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(replay_session(r), id);
	assert_int_equal(replay_start_ms(r), 5000);
	assert_int_equal(replay_end_ms(r), 5000);
	assert_int_equal(replay_wait_indexed(r), 0);
	replay_play(r, true);
	replay_advance(r, 1000);
	assert_false(replay_playing(r));
	assert_int_equal(replay_next_mark(r, 1), -1);
	assert_int_equal(replay_model(r)->nruntimes, 0);
	replay_free(r);
	replay_free(NULL);
}

/* --at: offsets, percentages, times of day; bad text is -1. */
static void test_parse_at(void **state)
{
	(void)state;
	char err[256];
	Replay *r = replay_open(db_main, NULL, err, sizeof(err));
	assert_non_null(r);
	int64_t s = replay_start_ms(r), e = replay_end_ms(r);
	assert_int_equal(replay_parse_at(r, "+90s"), s + 90000);
	assert_int_equal(replay_parse_at(r, "+1m30s"), s + 90000);
	assert_int_equal(replay_parse_at(r, "+90"), s + 90000);
	assert_int_equal(replay_parse_at(r, "+250ms"), s + 250);
	assert_int_equal(replay_parse_at(r, "+100h"), e);
	assert_int_equal(replay_parse_at(r, "0%"), s);
	assert_int_equal(replay_parse_at(r, "100%"), e);
	assert_int_equal(replay_parse_at(r, "50%"), s + (e - s) / 2);
	assert_int_equal(replay_parse_at(r, "03:20:30"), s + 30000);   /* TZ=UTC */
	assert_int_equal(replay_parse_at(r, "03:21"), s + 60000);
	assert_int_equal(replay_parse_at(r, "03:19:00"), e);            /* tomorrow: clamped */
	assert_int_equal(replay_parse_at(r, ""), -1);
	assert_int_equal(replay_parse_at(r, "+"), -1);
	assert_int_equal(replay_parse_at(r, "+5q"), -1);
	assert_int_equal(replay_parse_at(r, "101%"), -1);
	assert_int_equal(replay_parse_at(r, "25:00"), -1);
	assert_int_equal(replay_parse_at(r, "soon"), -1);
	assert_int_equal(replay_parse_at(r, NULL), -1);
	replay_free(r);
}

/* model_clone: an independent deep copy (folding the copy leaves the source alone). */
static void test_clone_independent(void **state)
{
	(void)state;
	Model *c = model_clone(live_main.m);
	assert_non_null(c);
	char *a = model_dump(live_main.m), *b = model_dump(c);
	assert_string_equal(a, b);
	assert_int_equal(c->nlines, live_main.m->nlines);
	for (size_t i = 0; i < c->nlines; i++)
		assert_string_equal(model_line(c, i)->text, model_line(live_main.m, i)->text);
	assert_true(model_bytes(c) > 0);
	/* Change the copy: the source's dump stays. */
	Arena ar;
	arena_init(&ar, 4096);
	Event ev;
	char err[PROTO_ERR_MAX];
	const char *raw = "{\"type\":\"task\",\"seq\":999999,\"ts\":1,\"task\":{\"id\":\"t-1\","
	                  "\"status\":\"failed\",\"error\":\"boom\"}}";
	assert_int_equal(proto_decode(raw, strlen(raw), &ev, &ar, err), PROTO_OK);
	model_apply(c, 0, &ev, 1, NULL);
	model_tick(c, INT64_MAX / 2);
	char *a2 = model_dump(live_main.m), *b2 = model_dump(c);
	assert_string_equal(a, a2);
	assert_string_not_equal(a2, b2);
	model_free(c);
	assert_null(model_clone(NULL));
	free(a);
	free(b);
	free(a2);
	free(b2);
	arena_free(&ar);
}

/* A session recorded by the real binaries (REPLAY_DB, set by tests/integration/replay_record.sh;
 * skipped otherwise): it indexes with nothing undecodable, reaches its end, and every way of
 * getting to a position (checkpoint clones, forward folds, playing at max) gives one model. */
static void test_recorded_db(void **state)
{
	(void)state;
	const char *db = getenv("REPLAY_DB");
	if (db == NULL)
		skip();
	char err[256];
	Replay *r = replay_open(db, NULL, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_int_equal(replay_wait_indexed(r), 0);
	ReplayStats st;
	replay_stats(r, &st);
	assert_true(st.events > 100);
	assert_int_equal(st.indexed, st.events);
	assert_int_equal(st.bad, 0);
	assert_int_equal(replay_seek(r, replay_end_ms(r)), 0);
	const Model *m = replay_model(r);
	assert_int_equal(m->nruntimes, 1);
	assert_true(m->runtimes[0].hello_seen);
	assert_int_equal(m->runtimes[0].conn, CONN_REPLAY);
	assert_int_equal(m->runtimes[0].duplicates, 0);
	assert_true(m->events > 100 && m->nagents > 0);
	char *end = model_dump(m);
	/* Straight fold: play at max from the start. */
	replay_seek(r, replay_start_ms(r));
	replay_set_speed(r, "max");
	replay_play(r, true);
	for (int i = 0; i < 1000000 && replay_playing(r); i++)
		replay_advance(r, 16);
	assert_dump(r, end);
	/* The middle, from a checkpoint (tiny spacing) and by forward steps. */
	int64_t mid = replay_start_ms(r) + (replay_end_ms(r) - replay_start_ms(r)) / 2;
	replay_tune(37, 0);
	Replay *c = replay_open(db, NULL, err, sizeof(err));
	replay_tune(REPLAY_CKPT_EVERY, 0);
	assert_non_null(c);
	assert_int_equal(replay_wait_indexed(c), 0);
	assert_int_equal(replay_seek(c, replay_end_ms(c)), 0);
	assert_int_equal(replay_seek(c, mid), 0);
	char *at_mid = model_dump(replay_model(c));
	assert_int_equal(replay_seek(r, replay_start_ms(r)), 0);
	for (int64_t t = replay_start_ms(r); t < mid; t += 250)
		assert_int_equal(replay_seek(r, t), 0);
	assert_int_equal(replay_seek(r, mid), 0);
	assert_dump(r, at_mid);
	free(at_mid);
	free(end);
	replay_free(c);
	replay_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_first_frame),
		cmocka_unit_test(test_determinism_end),
		cmocka_unit_test(test_seek_equals_fold),
		cmocka_unit_test(test_seek_before_indexed),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_speed),
		cmocka_unit_test(test_play),
		cmocka_unit_test(test_skip_idle),
		cmocka_unit_test(test_readonly_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_parse_at),
		cmocka_unit_test(test_clone_independent),
		cmocka_unit_test(test_recorded_db),
	};
	if (getenv("REPLAY_DB") != NULL)
		cmocka_set_test_filter("test_recorded_db");
	return cmocka_run_group_tests(tests, setup, teardown);
}
