/*
 * test_store.c: unit tests of the SQLite store: schema creation and idempotent
 * reopen, 100 000 events written and read back in order without duplicates,
 * duplicate and hello rows, last seq per instance, session listing and
 * resolution, the command audit trail through its states, gaps, batching by
 * size and age, the writer thread, read-only copies (chmod 444, no WAL index),
 * and the failures: corrupt file, newer schema, disk full, locked database,
 * writes to a read-only store, and a crashed writer (committed rows survive).
 * Every database lives in a fresh directory under /tmp.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "swarmtop/store.h"

typedef struct Fx {
	char dir[64];
	char path[128];
} Fx;

/* A fresh temp dir with a database path in it. */
static int setup(void **state)
{
	Fx *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/test_store.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
	*state = fx;
	return 0;
}

/* Remove the temp dir and everything in it. */
static int teardown(void **state)
{
	Fx *fx = *state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", fx->dir, fx->dir);
	int rc = system(cmd);
	free(fx);
	return rc == 0 ? 0 : -1;
}

/* Open read-write or fail the test with the error. */
static Store *open_rw(const char *path, unsigned flags)
{
	char err[512] = "";
	Store *s = store_open(path, flags, err, sizeof err);
	if (!s)
		fail_msg("store_open %s: %s", path, err);
	return s;
}

/* Start a session labelled label. */
static int64_t begin(Store *s, const char *how, int64_t started)
{
	StoreSessionInfo info = {.started_ms = started, .how = how, .label = "test", .host = "h",
				 .user = "u", .argv = "swarmtop record ws://x"};
	int64_t id = store_session_begin(s, &info);
	assert_true(id > 0);
	return id;
}

/* Append one event with a raw text derived from its key. */
static int put(Store *s, int64_t session, const char *rt, const char *inst, int64_t seq,
	       int64_t ts)
{
	char raw[160];
	int n = seq == STORE_NONE
			? snprintf(raw, sizeof raw, "{\"type\":\"hello\",\"runtime\":{\"id\":\"%s\"}}", rt)
			: snprintf(raw, sizeof raw,
				   "{\"type\":\"log\",\"seq\":%lld,\"ts\":%lld,\"text\":\"%s/%s\"}",
				   (long long)seq, (long long)ts, rt, inst);
	StoreEventRow row = {.session = session, .runtime_id = rt, .instance = inst, .seq = seq,
			     .ts = ts, .recv_ms = ts == STORE_NONE ? 1 : ts, .type = seq == STORE_NONE ? "hello" : "log",
			     .raw = raw, .raw_len = (size_t)n};
	return store_append(s, &row);
}

/* Value of a one-integer query on a raw connection to path. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A new file gets the schema; reopening applies nothing twice. */
static void test_schema_and_reopen(void **state)
{
	Fx *fx = *state;
	for (int i = 0; i < 3; i++) {
		Store *s = open_rw(fx->path, STORE_READWRITE);
		assert_false(store_readonly(s));
		assert_string_equal(store_path(s), fx->path);
		assert_int_equal(store_close(s), 0);
	}
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM migrations"), STORE_SCHEMA_VERSION);
	char *err = NULL;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT id, session, runtime_id, instance, seq, ts,"
				      " recv_ms, type, raw FROM event_log; SELECT * FROM runtimes;"
				      " SELECT * FROM commands; SELECT * FROM gaps;",
				      NULL, NULL, &err),
			 SQLITE_OK);
	sqlite3_close(db);
	/* WAL mode is persistent in the file. */
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM pragma_journal_mode"
				 " WHERE journal_mode = 'wal'"), 1);
}

/* 100 000 events from three instances survive close and reopen, in order, each once. */
static void test_100k_roundtrip(void **state)
{
	Fx *fx = *state;
	enum { N = 100000 };
	static const char *const inst[] = {"i-a", "i-b", "i-c"};
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1000);
	int64_t seq[3] = {0};
	for (int i = 0; i < N; i++) {
		int k = i % 3;
		assert_int_equal(put(s, sid, "rt", inst[k], ++seq[k], 1000 + i), STORE_NEW);
		if (i % 100 == 0)
			assert_int_equal(store_maybe_flush(s, 1000 + i), 0);
	}
	/* The same events again (a resumed stream): all ignored. */
	for (int i = 0; i < 3000; i++)
		assert_int_equal(put(s, sid, "rt", inst[i % 3], i / 3 + 1, 5), STORE_DUP);
	assert_int_equal(store_session_end(s, sid, 999999), 0);
	StoreStats st;
	store_stats(s, &st);
	assert_int_equal(st.appended, N + 3000);
	assert_int_equal(st.inserted, N);
	assert_int_equal(st.duplicates, 3000);
	assert_int_equal(store_close(s), 0);

	char err[256];
	s = store_open(fx->path, STORE_READONLY, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(store_count_events(s, sid, 0), N);
	StoreIter *it = store_iter_open(s, sid, 0);
	assert_non_null(it);
	StoreEvent ev;
	int64_t last_id = 0, want[3] = {1, 1, 1}, rows = 0, id_half = 0;
	while (store_iter_step(it, &ev) == 1) {
		int k = ev.instance[2] - 'a';
		assert_true(k >= 0 && k < 3);
		assert_true(ev.id > last_id);
		last_id = ev.id;
		assert_int_equal(ev.seq, want[k]++);
		assert_int_equal(ev.ts, 1000 + rows);
		assert_int_equal(ev.recv_ms, 1000 + rows);
		assert_string_equal(ev.runtime_id, "rt");
		assert_string_equal(ev.type, "log");
		char raw[160];
		int n = snprintf(raw, sizeof raw,
				 "{\"type\":\"log\",\"seq\":%lld,\"ts\":%lld,\"text\":\"rt/%s\"}",
				 (long long)ev.seq, (long long)ev.ts, ev.instance);
		assert_int_equal(ev.raw_len, (size_t)n);
		assert_string_equal(ev.raw, raw);
		if (++rows == N / 2)
			id_half = ev.id;
	}
	store_iter_close(it);
	assert_int_equal(rows, N);
	/* Seek by event id (replay checkpoints) and count from there. */
	assert_int_equal(store_count_events(s, sid, id_half), N / 2 + 1);
	it = store_iter_open(s, sid, id_half);
	assert_int_equal(store_iter_step(it, &ev), 1);
	assert_int_equal(ev.id, id_half);
	store_iter_close(it);
	assert_int_equal(store_count_events(s, sid, last_id + 1), 0);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM pragma_integrity_check"
				 " WHERE integrity_check = 'ok'"), 1);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM (SELECT stream, seq FROM events"
				 " GROUP BY stream, seq HAVING count(*) > 1)"), 0);
}

/* Duplicates are reported and ignored; hellos (NULL seq) are all kept. */
static void test_duplicates_and_hello(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "live", 1);
	assert_int_equal(put(s, sid, "rt", "i1", STORE_NONE, STORE_NONE), STORE_NEW);
	assert_int_equal(put(s, sid, "rt", "i1", 1, 10), STORE_NEW);
	assert_int_equal(put(s, sid, "rt", "i1", 1, 10), STORE_DUP);
	assert_int_equal(put(s, sid, "rt", "i1", STORE_NONE, STORE_NONE), STORE_NEW);
	/* Same seq in another instance or another runtime is a different event. */
	assert_int_equal(put(s, sid, "rt", "i2", 1, 11), STORE_NEW);
	assert_int_equal(put(s, sid, "rt2", "i1", 1, 12), STORE_NEW);
	assert_int_equal(store_flush(s), 0);
	/* Across sessions too: a later session never stores an event twice. */
	int64_t sid2 = begin(s, "live", 2);
	assert_int_equal(put(s, sid2, "rt", "i1", 1, 10), STORE_DUP);
	assert_int_equal(store_count_events(s, sid, 0), 5);
	assert_int_equal(store_count_events(s, sid2, 0), 0);
	StoreIter *it = store_iter_open(s, sid, 0);
	StoreEvent ev;
	assert_int_equal(store_iter_step(it, &ev), 1);
	assert_int_equal(ev.seq, STORE_NONE);
	assert_int_equal(ev.ts, STORE_NONE);
	assert_string_equal(ev.type, "hello");
	store_iter_close(it);
	/* Missing required fields are refused without touching the store. */
	StoreEventRow bad = {.session = sid, .runtime_id = "rt", .type = "log", .raw = "{}",
			     .recv_ms = 1};
	assert_int_equal(store_append(s, &bad), -1);
	assert_non_null(strstr(store_error(s), "required"));
	bad.instance = "i1";
	bad.recv_ms = STORE_NONE; /* would be a NOT NULL violation, silently ignored by SQLite */
	assert_int_equal(store_append(s, &bad), -1);
	assert_non_null(strstr(store_error(s), "required"));
	assert_int_equal(put(s, sid, "rt", "i1", 2, 13), STORE_NEW);
	store_close(s);
}

/* Hundreds of runtime instances interleaved (more than the stream cache holds) stay apart. */
static void test_many_runtimes(void **state)
{
	Fx *fx = *state;
	enum { RT = 300, SEQ = 5 };
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	char rt[32], inst[32];
	for (int pass = 0; pass < 2; pass++)
		for (int q = 1; q <= SEQ; q++)
			for (int r = 0; r < RT; r++) {
				snprintf(rt, sizeof rt, "rt-%d", r % 100);
				snprintf(inst, sizeof inst, "inst-%d", r);
				assert_int_equal(put(s, sid, rt, inst, q, q),
						 pass ? STORE_DUP : STORE_NEW);
			}
	for (int r = 0; r < RT; r += 37) {
		snprintf(rt, sizeof rt, "rt-%d", r % 100);
		snprintf(inst, sizeof inst, "inst-%d", r);
		int64_t seq = 0;
		assert_int_equal(store_last_seq(s, rt, inst, &seq), 0);
		assert_int_equal(seq, SEQ);
	}
	assert_int_equal(store_count_events(s, sid, 0), RT * SEQ);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM streams"), RT);
}

/* The last stored seq per runtime instance, for resume. */
static void test_last_seq(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	int64_t seq = -1;
	assert_int_equal(store_last_seq(s, "rt", "i1", &seq), 0);
	assert_int_equal(seq, 0);
	for (int i = 1; i <= 50; i++)
		put(s, sid, "rt", "i1", i, i);
	put(s, sid, "rt", "i1", STORE_NONE, STORE_NONE);
	put(s, sid, "rt", "i2", 7, 7);
	put(s, sid, "rt", "i1", 60, 60); /* after a gap */
	/* Not flushed yet: reads still see it. */
	assert_int_equal(store_last_seq(s, "rt", "i1", &seq), 0);
	assert_int_equal(seq, 60);
	assert_int_equal(store_last_seq(s, "rt", "i2", &seq), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(store_last_seq(s, "other", "i1", &seq), 0);
	assert_int_equal(seq, 0);
	store_close(s);
}

typedef struct Seen {
	int n;
	int64_t id[8];
	int64_t events[8];
	int64_t runtimes[8];
	int64_t first_ts[8];
	int64_t last_ts[8];
	int64_t ended[8];
	char how[8][16];
} Seen;

/* Collect listed sessions. */
static int seen_session(void *ud, const StoreSession *x)
{
	Seen *s = ud;
	if (s->n < 8) {
		s->id[s->n] = x->id;
		s->events[s->n] = x->events;
		s->runtimes[s->n] = x->runtimes;
		s->first_ts[s->n] = x->first_ts;
		s->last_ts[s->n] = x->last_ts;
		s->ended[s->n] = x->ended_ms;
		snprintf(s->how[s->n], sizeof s->how[0], "%s", x->how ? x->how : "");
		s->n++;
	}
	return 0;
}

/* Sessions are listed newest first with their counts; arguments resolve to ids. */
static void test_sessions(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	assert_int_equal(store_latest_session(s), 0);
	assert_int_equal(store_resolve_session(s, "latest"), -1);
	assert_non_null(strstr(store_error(s), "no sessions"));
	int64_t a = begin(s, "record", 100);
	StoreRuntime rt = {.session = a, .url = "ws://x:7700/swarmtop", .runtime_id = "rt",
			   .instance = "i1", .name = "Runtime", .host = "gpu-7", .seen_ms = 100};
	assert_int_equal(store_runtime_seen(s, &rt), 0);
	rt.seen_ms = 200;
	assert_int_equal(store_runtime_seen(s, &rt), 0); /* same instance: one row */
	rt.instance = "i2";
	assert_int_equal(store_runtime_seen(s, &rt), 0);
	for (int i = 1; i <= 10; i++)
		put(s, a, "rt", "i1", i, 5000 + i);
	assert_int_equal(store_session_end(s, a, 900), 0);
	int64_t b = begin(s, "tail", 1000);
	put(s, b, "rt", "i1", 11, 7000);
	put(s, b, "rt", "i1", 5, 1); /* duplicate from a: not counted in b */
	Seen seen = {0};
	assert_int_equal(store_sessions(s, seen_session, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.id[0], b);
	assert_int_equal(seen.events[0], 1);
	assert_int_equal(seen.runtimes[0], 0);
	assert_int_equal(seen.ended[0], STORE_NONE);
	assert_string_equal(seen.how[0], "tail");
	assert_int_equal(seen.id[1], a);
	assert_int_equal(seen.events[1], 10);
	assert_int_equal(seen.runtimes[1], 2);
	assert_int_equal(seen.first_ts[1], 5001);
	assert_int_equal(seen.last_ts[1], 5010);
	assert_int_equal(seen.ended[1], 900);
	assert_int_equal(store_latest_session(s), b);
	assert_int_equal(store_resolve_session(s, NULL), b);
	assert_int_equal(store_resolve_session(s, "latest"), b);
	assert_int_equal(store_resolve_session(s, "-1"), a);
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)a);
	assert_int_equal(store_resolve_session(s, num), a);
	assert_int_equal(store_resolve_session(s, "-2"), -1);
	assert_int_equal(store_resolve_session(s, "999"), -1);
	assert_non_null(strstr(store_error(s), "no session 999"));
	assert_int_equal(store_resolve_session(s, "12abc"), -1);
	assert_non_null(strstr(store_error(s), "bad session"));
	assert_int_equal(store_resolve_session(s, "\x1b[2Jx"), -1);
	assert_null(strchr(store_error(s), '\x1b'));
	Seen one = {0};
	assert_int_equal(store_session_get(s, a, seen_session, &one), 0);
	assert_int_equal(one.n, 1);
	assert_int_equal(one.events[0], 10);
	assert_int_equal(store_session_get(s, 4242, seen_session, &one), -1);
	store_close(s);
}

typedef struct Cmds {
	int n;
	char status[4][16];
	char error[4][64];
	char text[4][32];
	int64_t sent[4], accepted[4], final[4];
} Cmds;

/* Collect listed commands. */
static int seen_command(void *ud, const StoreCommand *c)
{
	Cmds *x = ud;
	if (x->n < 4) {
		snprintf(x->status[x->n], 16, "%s", c->status ? c->status : "");
		snprintf(x->error[x->n], 64, "%s", c->error ? c->error : "");
		snprintf(x->text[x->n], 32, "%s", c->text ? c->text : "");
		x->sent[x->n] = c->sent_ms;
		x->accepted[x->n] = c->accepted_ms;
		x->final[x->n] = c->final_ms;
		x->n++;
	}
	return 0;
}

/* A command is upserted by id through sent, accepted, applied (and rejected). */
static void test_commands(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "live", 1);
	StoreCommand c = {.session = sid, .id = "k3f9-1", .runtime_id = "rt",
			  .target_kind = "agent", .target = "planner", .action = "inject",
			  .text = "Use the EU price list.", .reason = "wrong list", .who = "ops",
			  .sent_ms = 100, .accepted_ms = STORE_NONE, .final_ms = STORE_NONE,
			  .status = "sent"};
	assert_int_equal(store_command_put(s, &c), 0);
	StoreCommand up = {.session = sid, .id = "k3f9-1", .sent_ms = STORE_NONE,
			   .accepted_ms = 150, .final_ms = STORE_NONE, .status = "accepted"};
	assert_int_equal(store_command_put(s, &up), 0);
	up.accepted_ms = STORE_NONE;
	up.final_ms = 300;
	up.status = "applied";
	assert_int_equal(store_command_put(s, &up), 0);
	StoreCommand r = {.session = sid, .id = "k3f9-2", .runtime_id = "rt", .target_kind = "task",
			  .target = "t-9", .action = "retry", .sent_ms = 400,
			  .accepted_ms = STORE_NONE, .final_ms = 450, .status = "rejected",
			  .error = "task t-9 is working"};
	assert_int_equal(store_command_put(s, &r), 0);
	StoreCommand noid = {.session = sid, .action = "pause"};
	assert_int_equal(store_command_put(s, &noid), -1);
	Cmds x = {0};
	assert_int_equal(store_commands(s, sid, seen_command, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.status[0], "applied");
	assert_string_equal(x.text[0], "Use the EU price list.");
	assert_int_equal(x.sent[0], 100);
	assert_int_equal(x.accepted[0], 150);
	assert_int_equal(x.final[0], 300);
	assert_string_equal(x.status[1], "rejected");
	assert_string_equal(x.error[1], "task t-9 is working");
	assert_int_equal(x.accepted[1], STORE_NONE);
	store_close(s);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), 2);
}

typedef struct Gaps {
	int n;
	int64_t from[4], to[4];
} Gaps;

/* Collect listed gaps. */
static int seen_gap(void *ud, const StoreGap *g)
{
	Gaps *x = ud;
	if (x->n < 4) {
		x->from[x->n] = g->from_seq;
		x->to[x->n] = g->to_seq;
		x->n++;
	}
	return 0;
}

/* Gaps are recorded per session, in order; incomplete ones are refused. */
static void test_gaps(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	StoreGap g = {.session = sid, .runtime_id = "rt", .instance = "i1", .from_seq = 42,
		      .to_seq = 120, .at_ms = 5, .reason = "snapshot"};
	assert_int_equal(store_gap_add(s, &g), 0);
	g.from_seq = 200;
	g.to_seq = 201;
	g.reason = NULL;
	assert_int_equal(store_gap_add(s, &g), 0);
	g.to_seq = STORE_NONE;
	assert_int_equal(store_gap_add(s, &g), -1);
	Gaps x = {0};
	assert_int_equal(store_gaps(s, sid, seen_gap, &x), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.from[0], 42);
	assert_int_equal(x.to[0], 120);
	assert_int_equal(x.from[1], 200);
	Gaps none = {0};
	assert_int_equal(store_gaps(s, sid + 1, seen_gap, &none), 0);
	assert_int_equal(none.n, 0);
	store_close(s);
}

/* Batches commit at the size bound at once, and at the age bound by row times. */
static void test_batching(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	store_set_batch(s, 10, 100);
	for (int i = 1; i <= 9; i++)
		put(s, sid, "rt", "i1", i, 1000);
	assert_int_equal(store_committed_count(s), 0);
	put(s, sid, "rt", "i1", 10, 1000);
	assert_int_equal(store_committed_count(s), 10);
	put(s, sid, "rt", "i1", 11, 1000); /* opens a batch stamped 1000 */
	assert_int_equal(store_maybe_flush(s, 1050), 0);
	assert_int_equal(store_committed_count(s), 10);
	assert_int_equal(store_maybe_flush(s, 1100), 0);
	assert_int_equal(store_committed_count(s), 11);
	put(s, sid, "rt", "i1", 12, 5000);
	assert_int_equal(store_maybe_flush(s, 4000), 0); /* clock stepped back: commit */
	assert_int_equal(store_committed_count(s), 12);
	put(s, sid, "rt", "i1", 13, 5000);
	assert_int_equal(store_flush(s), 0);
	StoreStats st;
	store_stats(s, &st);
	assert_int_equal(st.committed, 13);
	assert_int_equal(st.commits, 4);
	store_close(s);
}

/* The writer thread stores the same rows; duplicates are counted once drained. */
static void test_async(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_ASYNC);
	int64_t sid = begin(s, "record", 1);
	enum { N = 30000 };
	for (int i = 1; i <= N; i++) {
		assert_int_equal(put(s, sid, "rt", "i1", i, i), STORE_QUEUED);
		assert_int_equal(store_maybe_flush(s, i), 0);
	}
	for (int i = 1; i <= 100; i++)
		assert_int_equal(put(s, sid, "rt", "i1", i, i), STORE_QUEUED);
	StoreCommand c = {.session = sid, .id = "c-1", .action = "pause", .status = "sent",
			  .sent_ms = 5, .accepted_ms = STORE_NONE, .final_ms = STORE_NONE};
	assert_int_equal(store_command_put(s, &c), 0);
	assert_int_equal(store_flush(s), 0);
	StoreStats st;
	store_stats(s, &st);
	assert_int_equal(st.appended, N + 100);
	assert_int_equal(st.committed, N + 100);
	assert_int_equal(st.inserted, N);
	assert_int_equal(st.stored, N);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.unpersisted, 0);
	assert_int_equal(st.duplicates, 100);
	int64_t seq;
	assert_int_equal(store_last_seq(s, "rt", "i1", &seq), 0);
	assert_int_equal(seq, N);
	/* Reads on an async store drain the queue first and see everything. */
	put(s, sid, "rt", "i1", N + 1, N + 1);
	assert_int_equal(store_count_events(s, sid, 0), N + 1);
	StoreIter *it = store_iter_open(s, sid, 0);
	StoreEvent ev;
	int64_t n = 0;
	while (store_iter_step(it, &ev) == 1)
		assert_int_equal(ev.seq, ++n);
	store_iter_close(it);
	assert_int_equal(n, N + 1);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), N + 1);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM commands"), 1);
}

/* store_kick: a sync store commits at once; an async one hands the rows to the writer, which
 * commits them on its own (within the batch age) while the caller does not wait. */
static void test_kick(void **state)
{
	Fx *fx = *state;
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	for (int i = 1; i <= 10; i++)
		assert_int_equal(put(s, sid, "rt", "i1", i, i), STORE_NEW);
	assert_int_equal(store_kick(s), 0);
	assert_int_equal(store_committed_count(s), 10);
	assert_int_equal(store_close(s), 0);

	s = open_rw(fx->path, STORE_ASYNC);
	store_set_batch(s, 100000, 20);
	sid = begin(s, "record", 2);
	for (int i = 11; i <= 30; i++)
		assert_int_equal(put(s, sid, "rt", "i1", i, i), STORE_QUEUED);
	assert_int_equal(store_kick(s), 0);
	/* Poll (bounded) for the writer's own commit: nothing else asks it to commit. */
	for (int t = 0; t < 1000 && store_committed_count(s) < 20; t++)
		usleep(10000);
	assert_int_equal(store_committed_count(s), 20);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), 30);
}

/* Copy src to dst byte for byte. */
static void copy_file(const char *src, const char *dst)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
}

/* Write a small closed database with one session of 5 events; returns the session. */
static int64_t small_db(const char *path)
{
	Store *s = open_rw(path, STORE_READWRITE);
	int64_t sid = begin(s, "record", 1);
	for (int i = 1; i <= 5; i++)
		put(s, sid, "rt", "i1", i, i);
	assert_int_equal(store_close(s), 0);
	return sid;
}

/* A chmod 444 copy in a chmod 555 directory opens read-only; writes fail cleanly. */
static void test_readonly_copy(void **state)
{
	Fx *fx = *state;
	int64_t sid = small_db(fx->path);
	char rodir[128], ro[160];
	snprintf(rodir, sizeof rodir, "%s/ro", fx->dir);
	assert_int_equal(mkdir(rodir, 0755), 0);
	snprintf(ro, sizeof ro, "%s/copy.db", rodir);
	copy_file(fx->path, ro);
	assert_int_equal(chmod(ro, 0444), 0);
	assert_int_equal(chmod(rodir, 0555), 0);
	char err[512];
	Store *s = store_open(ro, STORE_READONLY, err, sizeof err);
	if (!s)
		fail_msg("read-only open: %s", err);
	assert_true(store_readonly(s));
	assert_int_equal(store_count_events(s, sid, 0), 5);
	assert_int_equal(store_resolve_session(s, "latest"), sid);
	assert_int_equal(put(s, sid, "rt", "i1", 6, 6), -1);
	assert_non_null(strstr(store_error(s), "read-only"));
	assert_non_null(strstr(store_error(s), ro));
	StoreSessionInfo info = {.started_ms = 1, .how = "live"};
	assert_int_equal(store_session_begin(s, &info), -1);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(s), 0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", fx->path, ro);
	assert_int_equal(system(cmd), 0); /* the file was not modified */
	if (geteuid() != 0) {
		struct stat st;
		char wal[200];
		snprintf(wal, sizeof wal, "%s-wal", ro);
		assert_int_equal(stat(wal, &st), -1); /* nothing could be created beside it */
		/* Opening it for writing says why it cannot (root could write anyway). */
		assert_null(store_open(ro, STORE_READWRITE, err, sizeof err));
		assert_non_null(strstr(err, ro));
	}
}

/* When the WAL index cannot be created beside the file, the immutable fallback reads it. */
static void test_readonly_without_shm(void **state)
{
	Fx *fx = *state;
	int64_t sid = small_db(fx->path);
	char shm[160];
	snprintf(shm, sizeof shm, "%s-shm", fx->path);
	assert_int_equal(mkdir(shm, 0700), 0); /* a directory where the -shm file would go */
	char err[512];
	Store *s = store_open(fx->path, STORE_READONLY, err, sizeof err);
	if (!s)
		fail_msg("read-only open without shm: %s", err);
	assert_int_equal(store_count_events(s, sid, 0), 5);
	store_close(s);
}

/* Garbage, an empty file, a missing file and a newer schema give one-line errors. */
static void test_bad_files(void **state)
{
	Fx *fx = *state;
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("this is not a database\n", f);
	fclose(f);
	char err[512];
	for (unsigned flags = STORE_READWRITE; flags <= STORE_READONLY; flags++) {
		err[0] = '\0';
		assert_null(store_open(fx->path, flags, err, sizeof err));
		assert_non_null(strstr(err, "file is not a database"));
		assert_non_null(strstr(err, fx->path));
		assert_null(strchr(err, '\n'));
	}
	char missing[160];
	snprintf(missing, sizeof missing, "%s/nope.db", fx->dir);
	assert_null(store_open(missing, STORE_READONLY, err, sizeof err));
	assert_non_null(strstr(err, "unable to open database file"));
	assert_non_null(strstr(err, missing));
	char empty[160];
	snprintf(empty, sizeof empty, "%s/empty.db", fx->dir);
	fclose(fopen(empty, "w"));
	assert_null(store_open(empty, STORE_READONLY, err, sizeof err));
	assert_non_null(strstr(err, "no swarmtop data"));
	char newer[160];
	snprintf(newer, sizeof newer, "%s/newer.db", fx->dir);
	small_db(newer);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(newer, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open(newer, STORE_READWRITE, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	/* A directory in the way of the parent path. */
	char blocked[200];
	snprintf(blocked, sizeof blocked, "%s/t.db/sub/x.db", fx->dir);
	assert_null(store_open(blocked, STORE_READWRITE, err, sizeof err));
	assert_non_null(strstr(err, "cannot create directory"));
}

/* A full disk (a size cap) fails the batch with a sticky, clear error; committed rows stay,
 * and the counters tell exactly what was committed and what was not (sync and async). */
static void test_disk_full(void **state)
{
	Fx *fx = *state;
	for (unsigned flags = STORE_READWRITE; flags <= STORE_ASYNC; flags += STORE_ASYNC) {
		unlink(fx->path);
		Store *s = open_rw(fx->path, flags);
		int64_t sid = begin(s, "record", 1);
		for (int i = 1; i <= 100; i++)
			put(s, sid, "rt", "i1", i, i);
		assert_int_equal(store_flush(s), 0);
		assert_int_equal(store_committed_count(s), 100);
		assert_int_equal(store_limit_size(s, 256 * 1024), 0);
		int r = 0;
		uint64_t attempts = 100;
		for (int i = 101; i <= 20000 && r >= 0; i++, attempts++)
			r = put(s, sid, "rt", "i1", i, i);
		if (r >= 0)
			r = store_flush(s);
		assert_int_equal(r, -1);
		assert_non_null(strstr(store_error(s), "database or disk is full"));
		assert_non_null(strstr(store_error(s), fx->path));
		assert_int_equal(put(s, sid, "rt", "i1", 30000, 1), -1);
		attempts++;
		assert_int_equal(store_flush(s), -1);
		uint64_t committed = store_committed_count(s);
		assert_true(committed >= 100);
		StoreStats st;
		store_stats(s, &st);
		assert_int_equal(st.stored, committed); /* no duplicates: one new row per ticket */
		assert_true(st.inserted >= st.stored);  /* a rolled-back batch was inserted, not kept */
		assert_true(st.failed >= 2);            /* the last put, and the one that failed */
		assert_int_equal(st.committed + st.unpersisted, attempts);
		store_close(s);
		char err[256];
		s = store_open(fx->path, STORE_READONLY, err, sizeof err);
		assert_non_null(s);
		assert_int_equal(store_count_events(s, sid, 0), (int64_t)committed);
		store_close(s);
		assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM events"), (int64_t)st.stored);
	}
}

/* Another process holding the write lock makes writes fail after the busy timeout. */
static void test_locked(void **state)
{
	Fx *fx = *state;
	small_db(fx->path);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	Store *s = open_rw(fx->path, STORE_READWRITE);
	/* Reads still work under WAL. */
	int64_t seq;
	assert_int_equal(store_last_seq(s, "rt", "i1", &seq), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(put(s, 1, "rt", "i1", 6, 6), -1);
	assert_non_null(strstr(store_error(s), "locked"));
	assert_non_null(strstr(store_error(s), fx->path));
	store_close(s);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}

/* A writer killed without closing loses nothing it had committed. */
static void test_crash_keeps_committed(void **state)
{
	Fx *fx = *state;
	small_db(fx->path);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		Store *s = store_open(fx->path, STORE_READWRITE, err, sizeof err);
		if (!s)
			_exit(3);
		for (int i = 6; i <= 5000; i++)
			put(s, 1, "rt", "i1", i, i);
		if (store_flush(s) < 0)
			_exit(4);
		for (int i = 5001; i <= 5500; i++) /* an open batch, never committed */
			put(s, 1, "rt", "i1", i, i);
		raise(SIGKILL); /* kill -9: no close, no final commit */
		_exit(5);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		fail_msg("writer child exited with %d", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	Store *s = open_rw(fx->path, STORE_READWRITE);
	int64_t seq;
	assert_int_equal(store_last_seq(s, "rt", "i1", &seq), 0);
	assert_int_equal(seq, 5000);
	assert_int_equal(store_count_events(s, 1, 0), 5000);
	store_close(s);
}

/* The default path honours XDG_STATE_HOME (absolute only) and HOME; directories are made. */
static void test_default_path(void **state)
{
	Fx *fx = *state;
	char xdg[128], want[200], buf[256];
	snprintf(xdg, sizeof xdg, "%s/state", fx->dir);
	setenv("XDG_STATE_HOME", xdg, 1);
	assert_int_equal(store_default_path(buf, sizeof buf), 0);
	snprintf(want, sizeof want, "%s/swarmtop/swarmtop.db", xdg);
	assert_string_equal(buf, want);
	assert_int_equal(store_default_path(buf, 10), -1);
	char err[256];
	Store *s = store_open(NULL, STORE_READWRITE, err, sizeof err);
	if (!s)
		fail_msg("default open: %s", err);
	assert_string_equal(store_path(s), want);
	store_close(s);
	struct stat st;
	char dir[200];
	snprintf(dir, sizeof dir, "%s/swarmtop", xdg);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(want, &st), 0);
	setenv("XDG_STATE_HOME", "relative/state", 1);
	setenv("HOME", fx->dir, 1);
	assert_int_equal(store_default_path(buf, sizeof buf), 0);
	snprintf(want, sizeof want, "%s/.local/state/swarmtop/swarmtop.db", fx->dir);
	assert_string_equal(buf, want);
	unsetenv("XDG_STATE_HOME");
	assert_int_equal(store_default_path(buf, sizeof buf), 0);
	assert_string_equal(buf, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_100k_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_runtimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_without_shm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_keeps_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path, setup, teardown),
	};
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
