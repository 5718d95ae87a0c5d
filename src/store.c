/*
 * store.c: the SQLite store (an I/O edge). Owns the database file: opening
 * (read-write with directory creation, or read-only with an immutable
 * fallback), the schema and its migrations, batched writes in WAL mode (on the
 * caller's thread, or on a writer thread fed by a bounded queue with
 * STORE_ASYNC), and the reads that sessions, export, resume and replay need.
 *
 * Every write goes through one path: a write is an Op (kind, integers,
 * strings); the synchronous path applies it at once, the async path packs it
 * into a Chunk that the writer thread unpacks and applies. So both paths share
 * the same SQL, the same batching and the same error handling.
 *
 * It must not know about the protocol (it stores raw JSON and a few columns
 * the caller extracted) nor print anything: errors are one-line strings.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strdup, clock_gettime, pthread_condattr_setclock when built by hand */
#endif
#include "swarmtop/store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_ERR_MAX     1024
#define CHUNK_CAP         ((size_t)64 * 1024)        /* bytes packed before a hand-off */
#define QUEUE_MAX_BYTES   ((size_t)16 * 1024 * 1024) /* the producer blocks beyond this */
#define OP_MAX_INTS       5
#define OP_MAX_STRS       10
#define STR_ABSENT        UINT32_MAX
#define CKPT_SOFT_PAGES   1000   /* WAL frames that wake the checkpointer thread */
#define CKPT_HARD_PAGES   16000  /* WAL frames beyond which the writer checkpoints itself */
#define CKPT_PERIOD_MS    1000   /* checkpoint at least this often while commits come */

/* The schema, one migration per version, applied in order in one transaction. */
static const char *const store_migrations[] = {
	/* version 1 */
	"CREATE TABLE migrations ("
	"  version INTEGER PRIMARY KEY,"
	"  applied_ms INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  started_ms INTEGER NOT NULL,"
	"  ended_ms INTEGER,"
	"  label TEXT,"
	"  how TEXT NOT NULL,"
	"  host TEXT,"
	"  user TEXT,"
	"  argv TEXT,"
	"  event_count INTEGER NOT NULL DEFAULT 0,"
	"  first_ts INTEGER,"
	"  last_ts INTEGER,"
	"  first_event INTEGER,"
	"  last_event INTEGER);"
	"CREATE TABLE runtimes ("
	"  id INTEGER PRIMARY KEY,"
	"  session INTEGER NOT NULL,"
	"  url TEXT,"
	"  runtime_id TEXT NOT NULL,"
	"  instance TEXT NOT NULL,"
	"  name TEXT,"
	"  host TEXT,"
	"  first_seen_ms INTEGER NOT NULL,"
	"  last_seen_ms INTEGER NOT NULL,"
	"  UNIQUE (session, runtime_id, instance));"
	"CREATE TABLE streams ("
	"  id INTEGER PRIMARY KEY,"
	"  runtime_id TEXT NOT NULL,"
	"  instance TEXT NOT NULL,"
	"  UNIQUE (runtime_id, instance));"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  session INTEGER NOT NULL,"
	"  stream INTEGER NOT NULL,"
	"  seq INTEGER,"
	"  ts INTEGER,"
	"  recv_ms INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  raw TEXT NOT NULL);"
	"CREATE UNIQUE INDEX events_by_seq ON events (stream, seq);"
	"CREATE VIEW event_log AS SELECT e.id, e.session, s.runtime_id, s.instance, e.seq,"
	"  e.ts, e.recv_ms, e.type, e.raw FROM events e JOIN streams s ON s.id = e.stream;"
	"CREATE TABLE commands ("
	"  id TEXT PRIMARY KEY,"
	"  session INTEGER NOT NULL,"
	"  runtime_id TEXT,"
	"  target_kind TEXT,"
	"  target TEXT,"
	"  action TEXT,"
	"  text TEXT,"
	"  reason TEXT,"
	"  who TEXT,"
	"  sent_ms INTEGER,"
	"  accepted_ms INTEGER,"
	"  final_ms INTEGER,"
	"  status TEXT,"
	"  error TEXT);"
	"CREATE INDEX commands_by_session ON commands (session, sent_ms);"
	"CREATE TABLE gaps ("
	"  id INTEGER PRIMARY KEY,"
	"  session INTEGER NOT NULL,"
	"  runtime_id TEXT NOT NULL,"
	"  instance TEXT NOT NULL,"
	"  from_seq INTEGER NOT NULL,"
	"  to_seq INTEGER NOT NULL,"
	"  at_ms INTEGER NOT NULL,"
	"  reason TEXT);"
	"CREATE INDEX gaps_by_session ON gaps (session, id);",
};
#define MIGRATION_COUNT ((int)(sizeof store_migrations / sizeof store_migrations[0]))
_Static_assert(sizeof store_migrations / sizeof store_migrations[0] == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

/* Cached statements, prepared on first use. */
typedef enum StmtId {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT_EVENT,
	ST_STREAM_FIND,
	ST_STREAM_ADD,
	ST_UPSERT_RUNTIME,
	ST_UPSERT_COMMAND,
	ST_INSERT_GAP,
	ST_SESSION_END,
	ST_SESSION_STATS,
	ST_SESSION_BEGIN,
	ST_LAST_SEQ,
	ST_COUNT_EVENTS,
	ST_SESSION_RANGE,
	ST_LATEST,
	ST_NTH_SESSION,
	ST_SESSIONS,
	ST_SESSION_GET,
	ST_COMMANDS,
	ST_GAPS,
	ST_COUNT
} StmtId;

#define SESSION_COLS                                                                               \
	"SELECT id, started_ms, ended_ms, label, how, host, user, argv,"                          \
	" (SELECT count(*) FROM runtimes r WHERE r.session = s.id),"                              \
	" event_count, first_ts, last_ts FROM sessions s"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT_EVENT] = "INSERT OR IGNORE INTO events"
			    " (session, seq, ts, recv_ms, stream, type, raw)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_STREAM_FIND] = "SELECT id FROM streams WHERE runtime_id = ?1 AND instance = ?2",
	[ST_STREAM_ADD] = "INSERT INTO streams (runtime_id, instance) VALUES (?1, ?2)",
	[ST_UPSERT_RUNTIME] = "INSERT INTO runtimes (session, first_seen_ms, last_seen_ms,"
			      " url, runtime_id, instance, name, host)"
			      " VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7)"
			      " ON CONFLICT (session, runtime_id, instance) DO UPDATE SET"
			      " last_seen_ms = max(last_seen_ms, excluded.last_seen_ms),"
			      " url = coalesce(excluded.url, url),"
			      " name = coalesce(excluded.name, name),"
			      " host = coalesce(excluded.host, host)",
	[ST_UPSERT_COMMAND] = "INSERT INTO commands (session, sent_ms, accepted_ms, final_ms,"
			      " id, runtime_id, target_kind, target, action, text, reason, who,"
			      " status, error)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
			      " ON CONFLICT (id) DO UPDATE SET"
			      " sent_ms = coalesce(excluded.sent_ms, sent_ms),"
			      " accepted_ms = coalesce(excluded.accepted_ms, accepted_ms),"
			      " final_ms = coalesce(excluded.final_ms, final_ms),"
			      " runtime_id = coalesce(excluded.runtime_id, runtime_id),"
			      " target_kind = coalesce(excluded.target_kind, target_kind),"
			      " target = coalesce(excluded.target, target),"
			      " action = coalesce(excluded.action, action),"
			      " text = coalesce(excluded.text, text),"
			      " reason = coalesce(excluded.reason, reason),"
			      " who = coalesce(excluded.who, who),"
			      " status = coalesce(excluded.status, status),"
			      " error = coalesce(excluded.error, error)",
	[ST_INSERT_GAP] = "INSERT INTO gaps (session, from_seq, to_seq, at_ms,"
			  " runtime_id, instance, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SESSION_END] = "UPDATE sessions SET ended_ms = ?2 WHERE id = ?1",
	[ST_SESSION_STATS] = "UPDATE sessions SET event_count = event_count + ?2,"
			     " first_ts = min(coalesce(first_ts, ?3), coalesce(?3, first_ts)),"
			     " last_ts = max(coalesce(last_ts, ?4), coalesce(?4, last_ts)),"
			     " first_event = coalesce(first_event, ?5),"
			     " last_event = ?6 WHERE id = ?1",
	[ST_SESSION_BEGIN] = "INSERT INTO sessions (started_ms, how, label, host, user, argv)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_LAST_SEQ] = "SELECT max(seq) FROM events WHERE stream ="
			" (SELECT id FROM streams WHERE runtime_id = ?1 AND instance = ?2)",
	[ST_COUNT_EVENTS] = "SELECT count(*) FROM events WHERE id BETWEEN ?2 AND ?3"
			    " AND session = ?1",
	[ST_SESSION_RANGE] = "SELECT first_event, last_event, event_count FROM sessions"
			     " WHERE id = ?1",
	[ST_LATEST] = "SELECT max(id) FROM sessions",
	[ST_NTH_SESSION] = "SELECT id FROM sessions ORDER BY id DESC LIMIT 1 OFFSET ?1",
	[ST_SESSIONS] = SESSION_COLS " ORDER BY id DESC",
	[ST_SESSION_GET] = SESSION_COLS " WHERE id = ?1",
	[ST_COMMANDS] = "SELECT session, sent_ms, accepted_ms, final_ms, id, runtime_id,"
			" target_kind, target, action, text, reason, who, status, error"
			" FROM commands WHERE session = ?1 ORDER BY sent_ms, rowid",
	[ST_GAPS] = "SELECT session, from_seq, to_seq, at_ms, runtime_id, instance, reason"
		    " FROM gaps WHERE session = ?1 ORDER BY id",
};

/* A write, as applied by the synchronous path or unpacked by the writer thread. */
typedef enum OpKind {
	OP_EVENT,
	OP_RUNTIME,
	OP_COMMAND,
	OP_GAP,
	OP_SESSION_END,
	OP_KIND_COUNT
} OpKind;

typedef struct Op {
	OpKind kind;
	int64_t i[OP_MAX_INTS];
	const char *s[OP_MAX_STRS];  /* NULL: SQL NULL */
	uint32_t n[OP_MAX_STRS];
} Op;

/*
 * How each kind maps onto its statement: the integers bind to ?1.., then the
 * strings follow (an event's runtime_id and instance first become its stream
 * id). stamp is the integer that dates the op for batch age.
 */
static const struct {
	StmtId stmt;
	int nints;
	int nstrs;
	int stamp;
	bool stream;     /* strings 0 and 1 (runtime_id, instance) bind as one stream id */
} op_table[OP_KIND_COUNT] = {
	[OP_EVENT] = {.stmt = ST_INSERT_EVENT, .nints = 4, .nstrs = 4, .stamp = 3, .stream = true},
	[OP_RUNTIME] = {.stmt = ST_UPSERT_RUNTIME, .nints = 2, .nstrs = 5, .stamp = 1},
	[OP_COMMAND] = {.stmt = ST_UPSERT_COMMAND, .nints = 4, .nstrs = 10, .stamp = 1},
	[OP_GAP] = {.stmt = ST_INSERT_GAP, .nints = 4, .nstrs = 3, .stamp = 3},
	[OP_SESSION_END] = {.stmt = ST_SESSION_END, .nints = 2, .nstrs = 0, .stamp = 1},
};

/* Packed ops handed to the writer thread. */
typedef struct Chunk {
	struct Chunk *next;
	size_t len;
	size_t cap;
	int64_t born_ms;   /* monotonic time of the first op */
	unsigned char data[];
} Chunk;

/* A cached stream: key holds runtime_id then instance (not NUL-separated). */
typedef struct StreamSlot {
	int64_t id;       /* 0: empty */
	char *key;
	uint32_t nrid;
	uint32_t ninst;
} StreamSlot;

#define STREAM_CACHE 256  /* hash slots of the stream id cache */
#define STREAM_PROBE 8    /* slots probed from the home slot */

/* Per-session counters of the open batch, folded into sessions at commit. */
typedef struct SessionAcc {
	int64_t session;
	int64_t count;
	int64_t first_ts;
	int64_t last_ts;
	int64_t first_event;  /* event ids (rowids) of the session's first and last rows */
	int64_t last_event;
} SessionAcc;

struct Store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	char *path;
	unsigned flags;
	bool readonly;
	int batch_events;
	int batch_ms;

	/* The open batch (touched by whoever applies ops: caller, or writer thread). */
	bool in_txn;
	int batch_rows;
	int64_t batch_stamp;      /* sync: time of the batch's first op (row times) */
	int64_t batch_born;       /* async: monotonic time the batch's first chunk was born */
	SessionAcc acc;
	uint64_t applied;         /* event ops applied to the database */
	uint64_t batch_new;       /* new event rows in the open batch (counted as stored at commit) */
	StreamSlot streams[STREAM_CACHE];

	atomic_uint_fast64_t appended;
	atomic_uint_fast64_t committed;
	atomic_uint_fast64_t inserted;
	atomic_uint_fast64_t stored;
	atomic_uint_fast64_t failed;
	atomic_uint_fast64_t duplicates;
	atomic_uint_fast64_t commits;

	/* Errors: err belongs to the caller's thread; werr is the sticky write error, written
	 * once by whichever thread fails first, then published through wfailed. */
	char err[STORE_ERR_MAX];
	char werr[STORE_ERR_MAX];
	atomic_int wclaim;
	atomic_int wfailed;

	/* STORE_ASYNC */
	bool async;
	pthread_t writer;
	pthread_mutex_t mu;       /* queue, flags below */
	pthread_mutex_t db_mu;    /* the connection: writer while applying, caller while reading */
	pthread_cond_t more;      /* writer waits: work, flush or stop */
	pthread_cond_t space;     /* producer waits: queue below its bound */
	pthread_cond_t done;      /* flushers wait: flush_done caught up */
	Chunk *head;
	Chunk *tail;
	Chunk *cur;               /* being filled by the producer */
	size_t queue_bytes;
	uint64_t queue_peak;
	uint64_t producer_waits;
	uint64_t flush_req;
	uint64_t flush_done;
	bool stop;

	/* The checkpointer thread (read-write stores): its own connection copies the WAL back
	 * into the database so that commits never wait for a checkpoint's fsyncs. */
	bool ck_running;
	pthread_t ck_thread;
	sqlite3 *ck_db;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cond;
	bool ck_want;
	bool ck_stop;
	atomic_uint_fast64_t checkpoints;
	atomic_int ck_dirty;      /* commits since the last checkpoint */
	int ck_mark;              /* WAL frames when the checkpointer was last asked (hook only) */
	atomic_uint_fast64_t wal_peak;
};

struct StoreIter {
	Store *s;
	sqlite3_stmt *st;
};

/* Monotonic milliseconds, for the writer thread's batch age. */
static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wall-clock milliseconds, for the migrations log. */
static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Copy src into dst (len bytes) replacing control characters, so messages stay one line. */
static void one_line(char *dst, size_t len, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (len)
		dst[i] = '\0';
}

/* Format a message into dst as one line (truncated to len). */
__attribute__((format(printf, 3, 4))) static void errf(char *dst, size_t len, const char *fmt,
							 ...)
{
	char tmp[2 * PATH_MAX + STORE_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	one_line(dst, len, tmp);
}

/* Hints appended to SQLite's words for the errors an operator can act on. */
static const char *const rc_hints[256] = {
	[SQLITE_BUSY] = " (another process holds the lock; gave up after 300 ms)",
	[SQLITE_LOCKED] = " (another process holds the lock; gave up after 300 ms)",
	[SQLITE_READONLY] = " (the file or its directory is not writable)",
	[SQLITE_NOTADB] = " (not a swarmtop database, or damaged)",
	[SQLITE_CORRUPT] = " (not a swarmtop database, or damaged)",
};

/* The hint for a SQLite result code, or "". */
static const char *rc_hint(int rc)
{
	const char *h = rc_hints[rc & 0xff];
	return h ? h : "";
}
_Static_assert(STORE_BUSY_MS == 300, "keep rc_hint's wording in step with STORE_BUSY_MS");

/* Format "<what> <path>: <sqlite words><hint>" into buf. */
static void fmt_db_error(char *buf, size_t len, const char *what, const char *path, int rc,
			 const char *words)
{
	errf(buf, len, "%s %s: %s%s", what, path, words ? words : sqlite3_errstr(rc),
	     rc_hint(rc));
}

/* Set the caller-thread error from the connection's last failure. */
static int fail(Store *s, const char *what, int rc)
{
	fmt_db_error(s->err, sizeof s->err, what, s->path, rc, s->db ? sqlite3_errmsg(s->db) : NULL);
	return -1;
}

/* Set the sticky write error (first failure wins; safe from either thread). */
static int fail_write(Store *s, int rc, const char *words)
{
	int expect = 0;
	if (atomic_compare_exchange_strong(&s->wclaim, &expect, 1)) {
		fmt_db_error(s->werr, sizeof s->werr, "cannot write to database", s->path, rc,
			     words);
		atomic_store(&s->wfailed, 1);
	}
	return -1;
}

/* True (and err set) when the store cannot take writes. */
static bool write_refused(Store *s)
{
	if (atomic_load(&s->wfailed))
		return true;
	if (s->readonly) {
		errf(s->err, sizeof s->err, "cannot write to database %s: opened read-only",
			 s->path);
		return true;
	}
	return false;
}

/* The cached statement id, prepared on first use; NULL with err set on failure. */
static sqlite3_stmt *stmt_get(Store *s, StmtId id)
{
	if (!s->stmt[id]) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			fail(s, "cannot prepare a query on database", rc);
			s->stmt[id] = NULL;
		}
	}
	return s->stmt[id];
}

/* Bind an integer, STORE_NONE as NULL. */
static int bind_i64(sqlite3_stmt *st, int idx, int64_t v)
{
	return v == STORE_NONE ? sqlite3_bind_null(st, idx) : sqlite3_bind_int64(st, idx, v);
}

/* Bind a counted string, NULL as NULL. The bytes must outlive the step. */
static int bind_str(sqlite3_stmt *st, int idx, const char *p, uint32_t n)
{
	return p ? sqlite3_bind_text(st, idx, p, (int)n, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
}

/* A column as int64, NULL as STORE_NONE. */
static int64_t col_i64(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? STORE_NONE
							  : sqlite3_column_int64(st, col);
}

/* A column as text, NULL as NULL. */
static const char *col_str(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

/* Run a cached statement that returns no rows; SQLite's rc. */
static int run_stmt(Store *s, StmtId id)
{
	sqlite3_stmt *st = stmt_get(s, id);
	if (!st)
		return SQLITE_ERROR;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- batches (run by whoever applies ops) ---- */

/* Fold the batch's session counters into the sessions table. */
static int acc_fold(Store *s)
{
	if (s->acc.session <= 0 || s->acc.count == 0) {
		s->acc.count = 0;
		return SQLITE_OK;
	}
	sqlite3_stmt *st = stmt_get(s, ST_SESSION_STATS);
	if (!st)
		return SQLITE_ERROR;
	sqlite3_bind_int64(st, 1, s->acc.session);
	sqlite3_bind_int64(st, 2, s->acc.count);
	bind_i64(st, 3, s->acc.first_ts);
	bind_i64(st, 4, s->acc.last_ts);
	bind_i64(st, 5, s->acc.first_event);
	bind_i64(st, 6, s->acc.last_event);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	s->acc.count = 0;
	s->acc.first_ts = s->acc.last_ts = STORE_NONE;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Count one new event (row id) of a session into the batch's counters. */
static int acc_add(Store *s, int64_t session, int64_t ts, int64_t id)
{
	int rc = SQLITE_OK;
	if (s->acc.session != session) {
		rc = acc_fold(s);
		s->acc.session = session;
	}
	if (s->acc.count++ == 0)
		s->acc.first_event = id;
	s->acc.last_event = id;
	if (ts != STORE_NONE) {
		if (s->acc.first_ts == STORE_NONE || ts < s->acc.first_ts)
			s->acc.first_ts = ts;
		if (s->acc.last_ts == STORE_NONE || ts > s->acc.last_ts)
			s->acc.last_ts = ts;
	}
	return rc;
}

/* Forget cached stream ids (their rows may have been rolled back). */
static void stream_forget(Store *s)
{
	for (int k = 0; k < STREAM_CACHE; k++)
		s->streams[k].id = 0;
}

/* Give up the open batch after a failure. */
static void batch_abort(Store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		run_stmt(s, ST_ROLLBACK);
	s->in_txn = false;
	s->batch_rows = 0;
	s->batch_new = 0;
	stream_forget(s);
	s->acc.count = 0;
	s->acc.first_ts = s->acc.last_ts = STORE_NONE;
}

/* Commit the open batch, if any. 0, or -1 with the sticky error set. */
static int batch_commit(Store *s)
{
	if (!s->in_txn)
		return 0;
	int rc = acc_fold(s);
	if (rc == SQLITE_OK)
		rc = run_stmt(s, ST_COMMIT);
	if (rc != SQLITE_OK) {
		fail_write(s, rc, sqlite3_errmsg(s->db));
		batch_abort(s);
		return -1;
	}
	s->in_txn = false;
	s->batch_rows = 0;
	atomic_store(&s->committed, s->applied);
	atomic_fetch_add_explicit(&s->stored, s->batch_new, memory_order_relaxed);
	s->batch_new = 0;
	atomic_fetch_add_explicit(&s->commits, 1, memory_order_relaxed);
	return 0;
}

/* The stream id of (runtime_id, instance), created when new (inside the open batch); -1 with
 * err set on failure. Ids are cached in a small hash table (hundreds of runtimes hit it). */
static int64_t stream_id(Store *s, const char *rid, uint32_t nrid, const char *inst,
			 uint32_t ninst)
{
	if (!rid || !inst) { /* store_append requires both: an op without them is a bug */
		errf(s->err, sizeof s->err, "cannot write to database %s: event without a"
		     " runtime id or instance", s->path);
		return -1;
	}
	uint32_t h = 2166136261u; /* FNV-1a over runtime_id, a separator, instance */
	for (uint32_t k = 0; k < nrid; k++)
		h = (h ^ (unsigned char)rid[k]) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (uint32_t k = 0; k < ninst; k++)
		h = (h ^ (unsigned char)inst[k]) * 16777619u;
	uint32_t home = h % STREAM_CACHE, slot = home;
	for (int k = 0; k < STREAM_PROBE; k++) {
		StreamSlot *c = &s->streams[(home + (uint32_t)k) % STREAM_CACHE];
		if (c->id == 0) {
			slot = (home + (uint32_t)k) % STREAM_CACHE;
			break;
		}
		if (c->nrid == nrid && c->ninst == ninst && !memcmp(c->key, rid, nrid) &&
		    !memcmp(c->key + nrid, inst, ninst))
			return c->id;
	}
	int64_t id = -1;
	for (StmtId q = ST_STREAM_FIND; q <= ST_STREAM_ADD && id < 0; q++) {
		sqlite3_stmt *st = stmt_get(s, q);
		if (!st)
			return -1;
		bind_str(st, 1, rid, nrid);
		bind_str(st, 2, inst, ninst);
		int rc = sqlite3_step(st);
		if (q == ST_STREAM_FIND && rc == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
		else if (q == ST_STREAM_ADD && rc == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(s->db);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return fail(s, "cannot write to database", rc);
	}
	/* Cache it in the first free probe slot, or over the home slot when all are taken. */
	StreamSlot *c = &s->streams[slot];
	char *key = realloc(c->key, (size_t)nrid + ninst + 1);
	if (key) {
		memcpy(key, rid, nrid);
		memcpy(key + nrid, inst, ninst);
		*c = (StreamSlot){.id = id, .key = key, .nrid = nrid, .ninst = ninst};
	}
	return id;
}

/* Apply one op inside the batch (opening it lazily, committing when big): 1 new, 0 ignored
 * duplicate, -1 failed (sticky). */
static int apply_op(Store *s, const Op *op)
{
	if (atomic_load(&s->wfailed))
		return -1;
	if (!s->in_txn) {
		int rc = run_stmt(s, ST_BEGIN);
		if (rc != SQLITE_OK) {
			fail_write(s, rc, sqlite3_errmsg(s->db));
			batch_abort(s);
			return -1;
		}
		s->in_txn = true;
		s->batch_rows = 0;
		s->batch_stamp = op->i[op_table[op->kind].stamp];
		s->batch_born = mono_ms();
	}
	sqlite3_stmt *st = stmt_get(s, op_table[op->kind].stmt);
	if (!st) {
		fail_write(s, SQLITE_ERROR, s->err);
		batch_abort(s);
		return -1;
	}
	int p = 1, k = 0;
	for (; k < op_table[op->kind].nints; k++)
		bind_i64(st, p++, op->i[k]);
	k = 0;
	if (op_table[op->kind].stream) {
		int64_t stream = stream_id(s, op->s[0], op->n[0], op->s[1], op->n[1]);
		if (stream < 0) {
			fail_write(s, SQLITE_ERROR, s->err);
			batch_abort(s);
			return -1;
		}
		sqlite3_bind_int64(st, p++, stream);
		k = 2;
	}
	for (; k < op_table[op->kind].nstrs; k++)
		bind_str(st, p++, op->s[k], op->n[k]);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fail_write(s, rc, sqlite3_errmsg(s->db));
		batch_abort(s);
		return -1;
	}
	int fresh = sqlite3_changes(s->db) > 0;
	if (op->kind == OP_EVENT) {
		s->applied++;
		if (fresh) {
			atomic_fetch_add_explicit(&s->inserted, 1, memory_order_relaxed);
			s->batch_new++;
			if (acc_add(s, op->i[0], op->i[2], sqlite3_last_insert_rowid(s->db)) != SQLITE_OK) {
				fail_write(s, SQLITE_ERROR, sqlite3_errmsg(s->db));
				batch_abort(s);
				return -1;
			}
		} else {
			atomic_fetch_add_explicit(&s->duplicates, 1, memory_order_relaxed);
		}
	}
	if (++s->batch_rows >= s->batch_events && batch_commit(s) < 0)
		return -1;
	return fresh;
}

/* ---- the writer thread (STORE_ASYNC) ---- */

/* Bytes an op takes once packed. */
static size_t op_packed_size(const Op *op)
{
	size_t n = 1 + (size_t)op_table[op->kind].nints * 8;
	for (int k = 0; k < op_table[op->kind].nstrs; k++)
		n += 4 + (op->s[k] ? op->n[k] : 0);
	return n;
}

/* Pack an op at p (op_packed_size bytes). */
static void op_pack(unsigned char *p, const Op *op)
{
	*p++ = (unsigned char)op->kind;
	for (int k = 0; k < op_table[op->kind].nints; k++, p += 8)
		memcpy(p, &op->i[k], 8);
	for (int k = 0; k < op_table[op->kind].nstrs; k++) {
		uint32_t n = op->s[k] ? op->n[k] : STR_ABSENT;
		memcpy(p, &n, 4);
		p += 4;
		if (op->s[k]) {
			memcpy(p, op->s[k], op->n[k]);
			p += op->n[k];
		}
	}
}

/* Unpack the op at *p (advanced past it); strings point into the chunk. */
static void op_unpack(const unsigned char **pp, Op *op)
{
	const unsigned char *p = *pp;
	op->kind = (OpKind)*p++;
	for (int k = 0; k < op_table[op->kind].nints; k++, p += 8)
		memcpy(&op->i[k], p, 8);
	for (int k = 0; k < op_table[op->kind].nstrs; k++) {
		uint32_t n;
		memcpy(&n, p, 4);
		p += 4;
		if (n == STR_ABSENT) {
			op->s[k] = NULL;
			op->n[k] = 0;
		} else {
			op->s[k] = (const char *)p;
			op->n[k] = n;
			p += n;
		}
	}
	*pp = p;
}

/* Apply every op of a chunk (the writer holds db_mu). After a failure, ops are dropped. */
static void chunk_apply(Store *s, const Chunk *c)
{
	const unsigned char *p = c->data, *end = c->data + c->len;
	if (!s->in_txn)
		s->batch_born = c->born_ms;
	while (p < end) {
		Op op;
		op_unpack(&p, &op);
		bool opened = s->in_txn;
		apply_op(s, &op);
		if (!opened && s->in_txn)
			s->batch_born = c->born_ms;
	}
}

/* The writer: apply chunks as they come, commit when the batch is big or old, on flush
 * requests and before stopping. */
static void *writer_main(void *arg)
{
	Store *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->head) {
			Chunk *c = s->head;
			s->head = c->next;
			if (!s->head)
				s->tail = NULL;
			s->queue_bytes -= c->len;
			pthread_cond_signal(&s->space);
			pthread_mutex_unlock(&s->mu);
			pthread_mutex_lock(&s->db_mu);
			chunk_apply(s, c);
			pthread_mutex_unlock(&s->db_mu);
			free(c);
			pthread_mutex_lock(&s->mu);
			continue;
		}
		/* Queue empty: everything handed over so far has been applied. */
		bool flush = s->flush_done != s->flush_req;
		if (s->in_txn && (flush || s->stop || mono_ms() - s->batch_born >= s->batch_ms)) {
			uint64_t req = s->flush_req;
			pthread_mutex_unlock(&s->mu);
			pthread_mutex_lock(&s->db_mu);
			batch_commit(s);
			pthread_mutex_unlock(&s->db_mu);
			pthread_mutex_lock(&s->mu);
			if (flush && !s->head) {
				s->flush_done = req;
				pthread_cond_broadcast(&s->done);
			}
			continue;
		}
		if (flush) {
			s->flush_done = s->flush_req;
			pthread_cond_broadcast(&s->done);
			continue;
		}
		if (s->stop)
			break;
		if (s->in_txn) {
			int64_t due = s->batch_born + s->batch_ms;
			struct timespec t = {.tv_sec = due / 1000, .tv_nsec = (due % 1000) * 1000000};
			pthread_cond_timedwait(&s->more, &s->mu, &t);
		} else {
			pthread_cond_wait(&s->more, &s->mu);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Queue the producer's current chunk for the writer (caller holds mu). */
static void handoff_locked(Store *s)
{
	Chunk *c = s->cur;
	if (!c || c->len == 0)
		return;
	s->cur = NULL;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	s->queue_bytes += c->len;
	if (s->queue_bytes > s->queue_peak)
		s->queue_peak = s->queue_bytes;
	pthread_cond_signal(&s->more);
}

/* Hand the current chunk to the writer, waiting while the queue is full. */
static void handoff(Store *s)
{
	if (!s->cur || s->cur->len == 0)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->head && s->queue_bytes + s->cur->len > QUEUE_MAX_BYTES) {
		s->producer_waits++;
		while (s->head && s->queue_bytes + s->cur->len > QUEUE_MAX_BYTES)
			pthread_cond_wait(&s->space, &s->mu);
	}
	handoff_locked(s);
	pthread_mutex_unlock(&s->mu);
}

/* Pack an op into the producer's chunk (handing full chunks over). 0 or -1. */
static int enqueue_op(Store *s, const Op *op)
{
	size_t need = op_packed_size(op);
	if (s->cur && s->cur->len + need > s->cur->cap)
		handoff(s);
	if (!s->cur) {
		size_t cap = need > CHUNK_CAP ? need : CHUNK_CAP;
		Chunk *c = malloc(sizeof *c + cap);
		if (!c) {
			errf(s->err, sizeof s->err, "cannot write to database: out of memory");
			return -1;
		}
		c->next = NULL;
		c->len = 0;
		c->cap = cap;
		c->born_ms = mono_ms();
		s->cur = c;
	}
	op_pack(s->cur->data + s->cur->len, op);
	s->cur->len += need;
	return 0;
}

/* Hand over, then wait until the writer has applied and committed everything. 0 or -1. */
static int async_flush(Store *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->cur && s->cur->len) {
		while (s->head && s->queue_bytes + s->cur->len > QUEUE_MAX_BYTES)
			pthread_cond_wait(&s->space, &s->mu);
		handoff_locked(s);
	}
	uint64_t gen = ++s->flush_req;
	pthread_cond_signal(&s->more);
	while (s->flush_done < gen)
		pthread_cond_wait(&s->done, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return atomic_load(&s->wfailed) ? -1 : 0;
}

/* ---- write entry points ---- */

/* Apply now (sync) or queue (async) one op. 1/0 (sync new/dup), STORE_QUEUED, or -1. */
static int submit(Store *s, const Op *op)
{
	if (write_refused(s))
		return -1;
	if (s->async)
		return enqueue_op(s, op) < 0 ? -1 : STORE_QUEUED;
	return apply_op(s, op);
}

/* Length of an optional string, as the op carries it. */
static uint32_t slen(const char *p)
{
	size_t n = p ? strlen(p) : 0;
	return n > INT32_MAX ? INT32_MAX : (uint32_t)n;
}

/* Fill op strings from a NULL-terminated-string array. */
static void op_strs(Op *op, const char *const *v, int n)
{
	for (int k = 0; k < n; k++) {
		op->s[k] = v[k];
		op->n[k] = slen(v[k]);
	}
}

/* Append one received event (see store.h). */
int store_append(Store *s, const StoreEventRow *row)
{
	if (!row || !row->runtime_id || !row->instance || !row->type || !row->raw ||
	    row->session == STORE_NONE || row->recv_ms == STORE_NONE) {
		errf(s->err, sizeof s->err, "store_append: session, runtime_id, instance, recv_ms,"
		     " type and raw are required");
		return -1;
	}
	if (row->raw_len > INT32_MAX) {
		errf(s->err, sizeof s->err, "store_append: event of %zu bytes is too large",
			 row->raw_len);
		return -1;
	}
	Op op = {.kind = OP_EVENT, .i = {row->session, row->seq, row->ts, row->recv_ms}};
	const char *v[] = {row->runtime_id, row->instance, row->type};
	op_strs(&op, v, 3);
	op.s[3] = row->raw;
	op.n[3] = (uint32_t)row->raw_len;
	int r = submit(s, &op);
	if (r >= 0)
		atomic_fetch_add_explicit(&s->appended, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&s->failed, 1, memory_order_relaxed);
	return r;
}

/* Record a runtime instance seen by a session. */
int store_runtime_seen(Store *s, const StoreRuntime *rt)
{
	if (!rt || !rt->runtime_id || !rt->instance || rt->session == STORE_NONE ||
	    rt->seen_ms == STORE_NONE) {
		errf(s->err, sizeof s->err, "store_runtime_seen: session, runtime_id, instance and"
		     " seen_ms are required");
		return -1;
	}
	Op op = {.kind = OP_RUNTIME, .i = {rt->session, rt->seen_ms}};
	const char *v[] = {rt->url, rt->runtime_id, rt->instance, rt->name, rt->host};
	op_strs(&op, v, 5);
	return submit(s, &op) < 0 ? -1 : 0;
}

/* Upsert a command of the audit trail. */
int store_command_put(Store *s, const StoreCommand *c)
{
	if (!c || !c->id || !*c->id || c->session == STORE_NONE) {
		errf(s->err, sizeof s->err, "store_command_put: the command id is required");
		return -1;
	}
	Op op = {.kind = OP_COMMAND, .i = {c->session, c->sent_ms, c->accepted_ms, c->final_ms}};
	const char *v[] = {c->id,     c->runtime_id, c->target_kind, c->target, c->action,
			   c->text,   c->reason,     c->who,         c->status, c->error};
	op_strs(&op, v, 10);
	return submit(s, &op) < 0 ? -1 : 0;
}

/* Record a gap of lost seqs. */
int store_gap_add(Store *s, const StoreGap *g)
{
	if (!g || g->session == STORE_NONE || !g->runtime_id || !g->instance ||
	    g->from_seq == STORE_NONE || g->to_seq == STORE_NONE || g->at_ms == STORE_NONE) {
		errf(s->err, sizeof s->err, "store_gap_add: runtime_id, instance, from_seq,"
			 " to_seq and at_ms are required");
		return -1;
	}
	Op op = {.kind = OP_GAP, .i = {g->session, g->from_seq, g->to_seq, g->at_ms}};
	const char *v[] = {g->runtime_id, g->instance, g->reason};
	op_strs(&op, v, 3);
	return submit(s, &op) < 0 ? -1 : 0;
}

/* Stamp a session's end time. */
int store_session_end(Store *s, int64_t session, int64_t ended_ms)
{
	Op op = {.kind = OP_SESSION_END, .i = {session, ended_ms}};
	return submit(s, &op) < 0 ? -1 : 0;
}

/* Commit (sync) or hand over (async) the batch when it is old or big. */
int store_maybe_flush(Store *s, int64_t now_ms)
{
	if (atomic_load(&s->wfailed))
		return -1;
	if (s->async) {
		/* Chunks wait at most a quarter of the batch age before the writer sees them. */
		if (s->cur && s->cur->len && mono_ms() - s->cur->born_ms >= s->batch_ms / 4)
			handoff(s);
		return 0;
	}
	if (!s->in_txn)
		return 0;
	if (s->batch_stamp == STORE_NONE) {
		s->batch_stamp = now_ms;
		return 0;
	}
	if (now_ms - s->batch_stamp >= s->batch_ms || now_ms < s->batch_stamp ||
	    s->batch_rows >= s->batch_events)
		return batch_commit(s);
	return 0;
}

/* Commit everything appended so far. */
int store_flush(Store *s)
{
	if (s->async)
		return async_flush(s);
	if (atomic_load(&s->wfailed))
		return -1;
	return batch_commit(s);
}

/* Commit now, or hand the open chunk to the writer (see store.h). */
int store_kick(Store *s)
{
	if (!s->async)
		return store_flush(s);
	handoff(s);
	return atomic_load(&s->wfailed) ? -1 : 0;
}

/* Appends whose rows are committed. */
uint64_t store_committed_count(const Store *s)
{
	return atomic_load(&s->committed);
}

/* Copy the counters. */
void store_stats(const Store *s, StoreStats *out)
{
	memset(out, 0, sizeof *out);
	out->appended = atomic_load(&s->appended);
	out->committed = atomic_load(&s->committed);
	out->inserted = atomic_load(&s->inserted);
	out->stored = atomic_load(&s->stored);
	out->failed = atomic_load(&s->failed);
	/* The writer may commit a ticket before the producer has counted it: never below 0. */
	out->unpersisted = (out->appended > out->committed ? out->appended - out->committed : 0) +
			   out->failed;
	out->duplicates = atomic_load(&s->duplicates);
	out->commits = atomic_load(&s->commits);
	out->checkpoints = atomic_load(&s->checkpoints);
	out->wal_peak_pages = atomic_load(&s->wal_peak);
	if (s->async) {
		Store *m = (Store *)(uintptr_t)s; /* the mutex is not part of the observable state */
		pthread_mutex_lock(&m->mu);
		out->queue_bytes = s->queue_bytes;
		out->queue_peak = s->queue_peak;
		out->producer_waits = s->producer_waits;
		pthread_mutex_unlock(&m->mu);
	}
}

/* Change the batch bounds. */
void store_set_batch(Store *s, int max_events, int max_ms)
{
	if (s->async)
		async_flush(s);
	if (max_events > 0)
		s->batch_events = max_events;
	if (max_ms > 0)
		s->batch_ms = max_ms;
}

/* ---- reads: in async mode, drain the writer first, then hold the connection ---- */

/* Make every write visible and take the connection. 0, or -1 (err set). */
static int read_begin(Store *s)
{
	/* Commit first: the session's counters and event range are folded in at commit. */
	if (s->async) {
		async_flush(s);
		pthread_mutex_lock(&s->db_mu);
	} else if (s->in_txn) {
		batch_commit(s);
	}
	return 0;
}

/* Give the connection back. */
static void read_end(Store *s)
{
	if (s->async)
		pthread_mutex_unlock(&s->db_mu);
}

/* Insert a session row at once (not batched) and return its id. */
int64_t store_session_begin(Store *s, const StoreSessionInfo *info)
{
	if (write_refused(s))
		return -1;
	if (store_flush(s) < 0)
		return -1;
	read_begin(s);
	int64_t id = -1;
	sqlite3_stmt *st = stmt_get(s, ST_SESSION_BEGIN);
	if (st) {
		sqlite3_bind_int64(st, 1, info->started_ms);
		const char *v[] = {info->how ? info->how : "live", info->label, info->host,
				   info->user, info->argv};
		for (int k = 0; k < 5; k++)
			bind_str(st, k + 2, v[k], slen(v[k]));
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			id = sqlite3_last_insert_rowid(s->db);
		else
			fail_write(s, rc, sqlite3_errmsg(s->db));
	}
	read_end(s);
	return id;
}

/* Fill a StoreSession from a SESSION_COLS row. */
static void session_row(sqlite3_stmt *st, StoreSession *x)
{
	x->id = sqlite3_column_int64(st, 0);
	x->started_ms = col_i64(st, 1);
	x->ended_ms = col_i64(st, 2);
	x->label = col_str(st, 3);
	x->how = col_str(st, 4);
	x->host = col_str(st, 5);
	x->user = col_str(st, 6);
	x->argv = col_str(st, 7);
	x->runtimes = sqlite3_column_int64(st, 8);
	x->events = sqlite3_column_int64(st, 9);
	x->first_ts = col_i64(st, 10);
	x->last_ts = col_i64(st, 11);
}

/* Step a session query and call fn per row; rows seen, or -1. */
static int64_t session_walk(Store *s, sqlite3_stmt *st, StoreSessionFn fn, void *ud)
{
	int64_t rows = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		StoreSession x;
		session_row(st, &x);
		rows++;
		if (fn && fn(ud, &x))
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read sessions from database", rc);
	return rows;
}

/* List sessions, newest first. */
int store_sessions(Store *s, StoreSessionFn fn, void *ud)
{
	read_begin(s);
	sqlite3_stmt *st = stmt_get(s, ST_SESSIONS);
	int64_t r = st ? session_walk(s, st, fn, ud) : -1;
	read_end(s);
	return r < 0 ? -1 : 0;
}

/* One session's row. */
int store_session_get(Store *s, int64_t session, StoreSessionFn fn, void *ud)
{
	read_begin(s);
	sqlite3_stmt *st = stmt_get(s, ST_SESSION_GET);
	int64_t r = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, session);
		r = session_walk(s, st, fn, ud);
		if (r == 0) {
			errf(s->err, sizeof s->err, "no session %lld in %s", (long long)session,
				 s->path);
		}
	}
	read_end(s);
	return r > 0 ? 0 : -1;
}

/* Run a one-integer query: the value (NULL as dflt) or -1 after setting err. */
static int64_t query_int(Store *s, StmtId id, int64_t a, int64_t dflt)
{
	sqlite3_stmt *st = stmt_get(s, id);
	if (!st)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	int rc = sqlite3_step(st);
	int64_t v = dflt;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read from database", rc);
	return v;
}

/* The newest session id (0 when none). */
int64_t store_latest_session(Store *s)
{
	read_begin(s);
	int64_t v = query_int(s, ST_LATEST, 0, 0);
	read_end(s);
	return v;
}

/* A session argument (number, -N, latest) to an id. */
int64_t store_resolve_session(Store *s, const char *arg)
{
	int64_t id;
	if (!arg || !*arg || !strcmp(arg, "latest") || !strcmp(arg, "last")) {
		id = store_latest_session(s);
		if (id == 0) {
			errf(s->err, sizeof s->err, "no sessions recorded in %s", s->path);
			return -1;
		}
		return id;
	}
	char *end = NULL;
	errno = 0;
	long long n = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || (arg[0] != '-' && (arg[0] < '0' || arg[0] > '9'))) {
		char shown[64];
		one_line(shown, sizeof shown, arg);
		errf(s->err, sizeof s->err, "bad session '%s': expected a number, -N (N before"
			 " the latest) or 'latest'", shown);
		return -1;
	}
	if (n < 0) {
		if (n == LLONG_MIN)
			n = LLONG_MIN + 1;
		read_begin(s);
		id = query_int(s, ST_NTH_SESSION, -n, 0);
		read_end(s);
		if (id == 0) {
			errf(s->err, sizeof s->err, "no session %lld before the latest in %s", -n,
				 s->path);
			return -1;
		}
		return id;
	}
	if (store_session_get(s, n, NULL, NULL) < 0)
		return -1;
	return n;
}

/* A session's event id range [*first, *last] clipped below at from_id, and its count:
 * 1 (range non-empty), 0 (no events there) or -1 (err set). Caller holds the connection. */
static int session_range(Store *s, int64_t session, int64_t from_id, int64_t *first,
			 int64_t *last, int64_t *count)
{
	sqlite3_stmt *st = stmt_get(s, ST_SESSION_RANGE);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, session);
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc == SQLITE_ROW) {
		*first = col_i64(st, 0);
		*last = col_i64(st, 1);
		*count = sqlite3_column_int64(st, 2);
		if (*first != STORE_NONE && *last != STORE_NONE) {
			if (from_id > *first)
				*first = from_id;
			r = *first <= *last;
		}
	} else if (rc == SQLITE_DONE) {
		errf(s->err, sizeof s->err, "no session %lld in %s", (long long)session, s->path);
		r = -1;
	} else {
		r = fail(s, "cannot read sessions from database", rc);
	}
	sqlite3_reset(st);
	return r;
}

/* Count a session's events from an event id. */
int64_t store_count_events(Store *s, int64_t session, int64_t from_id)
{
	read_begin(s);
	int64_t first = 0, last = 0, count = 0, v = -1;
	int r = session_range(s, session, from_id, &first, &last, &count);
	sqlite3_stmt *st = r > 0 && from_id > 0 ? stmt_get(s, ST_COUNT_EVENTS) : NULL;
	if (r == 0) {
		v = 0;
	} else if (r > 0 && from_id <= 0) {
		v = count; /* the whole session: kept at commit */
	} else if (st) {
		sqlite3_bind_int64(st, 1, session);
		sqlite3_bind_int64(st, 2, first);
		sqlite3_bind_int64(st, 3, last);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			v = fail(s, "cannot count events in database", rc);
	}
	read_end(s);
	return v;
}

/* The highest stored seq of a runtime instance. */
int store_last_seq(Store *s, const char *runtime_id, const char *instance, int64_t *seq)
{
	*seq = 0;
	read_begin(s);
	sqlite3_stmt *st = stmt_get(s, ST_LAST_SEQ);
	int r = -1;
	if (st) {
		bind_str(st, 1, runtime_id, slen(runtime_id));
		bind_str(st, 2, instance, slen(instance));
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			r = 0;
			if (sqlite3_column_type(st, 0) != SQLITE_NULL)
				*seq = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			r = fail(s, "cannot read the last seq from database", rc);
	}
	read_end(s);
	return r;
}

/* List a session's commands. */
int store_commands(Store *s, int64_t session, StoreCommandFn fn, void *ud)
{
	read_begin(s);
	sqlite3_stmt *st = stmt_get(s, ST_COMMANDS);
	int r = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, session);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			StoreCommand c = {
				.session = sqlite3_column_int64(st, 0),
				.sent_ms = col_i64(st, 1),
				.accepted_ms = col_i64(st, 2),
				.final_ms = col_i64(st, 3),
				.id = col_str(st, 4),
				.runtime_id = col_str(st, 5),
				.target_kind = col_str(st, 6),
				.target = col_str(st, 7),
				.action = col_str(st, 8),
				.text = col_str(st, 9),
				.reason = col_str(st, 10),
				.who = col_str(st, 11),
				.status = col_str(st, 12),
				.error = col_str(st, 13),
			};
			if (fn(ud, &c))
				break;
		}
		sqlite3_reset(st);
		r = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0
							     : fail(s, "cannot read commands from database", rc);
	}
	read_end(s);
	return r;
}

/* List a session's gaps. */
int store_gaps(Store *s, int64_t session, StoreGapFn fn, void *ud)
{
	read_begin(s);
	sqlite3_stmt *st = stmt_get(s, ST_GAPS);
	int r = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, session);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			StoreGap g = {
				.session = sqlite3_column_int64(st, 0),
				.from_seq = col_i64(st, 1),
				.to_seq = col_i64(st, 2),
				.at_ms = col_i64(st, 3),
				.runtime_id = col_str(st, 4),
				.instance = col_str(st, 5),
				.reason = col_str(st, 6),
			};
			if (fn(ud, &g))
				break;
		}
		sqlite3_reset(st);
		r = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0
							     : fail(s, "cannot read gaps from database", rc);
	}
	read_end(s);
	return r;
}

/* Start iterating a session's events from an event id. */
StoreIter *store_iter_open(Store *s, int64_t session, int64_t from_id)
{
	StoreIter *it = calloc(1, sizeof *it);
	if (!it) {
		errf(s->err, sizeof s->err, "cannot read database: out of memory");
		return NULL;
	}
	it->s = s;
	read_begin(s);
	/* Rows of one session lie between its first and last event ids (another session writing
	 * to the same file at the same time may interleave, hence the session test too). */
	int64_t first = 0, last = 0, count = 0;
	int rc = SQLITE_ERROR;
	if (session_range(s, session, from_id, &first, &last, &count) >= 0) {
		rc = sqlite3_prepare_v2(s->db,
					"SELECT e.id, e.session, s.runtime_id, s.instance, e.seq,"
					" e.ts, e.recv_ms, e.type, e.raw FROM events e"
					" JOIN streams s ON s.id = e.stream"
					" WHERE e.id BETWEEN ?2 AND ?3 AND e.session = ?1"
					" ORDER BY e.id",
					-1, &it->st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(it->st, 1, session);
			sqlite3_bind_int64(it->st, 2, first == STORE_NONE ? 1 : first);
			sqlite3_bind_int64(it->st, 3, last == STORE_NONE ? 0 : last);
		} else {
			fail(s, "cannot read events from database", rc);
		}
	}
	read_end(s);
	if (rc != SQLITE_OK) {
		free(it);
		return NULL;
	}
	return it;
}

/* The next event of an iteration. */
int store_iter_step(StoreIter *it, StoreEvent *ev)
{
	Store *s = it->s;
	if (s->async)
		pthread_mutex_lock(&s->db_mu);
	int rc = sqlite3_step(it->st);
	int r = 0;
	if (rc == SQLITE_ROW) {
		ev->id = sqlite3_column_int64(it->st, 0);
		ev->session = sqlite3_column_int64(it->st, 1);
		ev->runtime_id = col_str(it->st, 2);
		ev->instance = col_str(it->st, 3);
		ev->seq = col_i64(it->st, 4);
		ev->ts = col_i64(it->st, 5);
		ev->recv_ms = col_i64(it->st, 6);
		ev->type = col_str(it->st, 7);
		ev->raw = col_str(it->st, 8);
		ev->raw_len = (size_t)sqlite3_column_bytes(it->st, 8);
		if (!ev->raw || !ev->runtime_id || !ev->instance || !ev->type)
			r = fail(s, "cannot read events from database", SQLITE_NOMEM);
		else
			r = 1;
	} else if (rc != SQLITE_DONE) {
		r = fail(s, "cannot read events from database", rc);
	}
	if (s->async)
		pthread_mutex_unlock(&s->db_mu);
	return r;
}

/* Finish an iteration. */
void store_iter_close(StoreIter *it)
{
	if (!it)
		return;
	if (it->s->async)
		pthread_mutex_lock(&it->s->db_mu);
	sqlite3_finalize(it->st);
	if (it->s->async)
		pthread_mutex_unlock(&it->s->db_mu);
	free(it);
}

/* ---- checkpoints ---- */

static int exec(sqlite3 *db, const char *sql);

/* The checkpointer: a PASSIVE checkpoint each time the WAL hook asks for one, and at least
 * every CKPT_PERIOD_MS while commits keep coming (this bounds what a power loss can take,
 * since a checkpoint starts by syncing the WAL). */
static void *ckpt_main(void *arg)
{
	Store *s = arg;
	int64_t last = mono_ms();
	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		/* Idle: sleep until a commit (the hook signals the first one) or a request. */
		while (!s->ck_want && !s->ck_stop && !atomic_load(&s->ck_dirty))
			pthread_cond_wait(&s->ck_cond, &s->ck_mu);
		/* Commits came: wait out the period unless the WAL asked for more. */
		int64_t due = last + CKPT_PERIOD_MS;
		struct timespec t = {.tv_sec = due / 1000, .tv_nsec = (due % 1000) * 1000000};
		while (!s->ck_want && !s->ck_stop && mono_ms() < due)
			pthread_cond_timedwait(&s->ck_cond, &s->ck_mu, &t);
		if (s->ck_stop)
			break;
		s->ck_want = false;
		atomic_store(&s->ck_dirty, 0);
		pthread_mutex_unlock(&s->ck_mu);
		if (sqlite3_wal_checkpoint_v2(s->ck_db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL,
					      NULL) == SQLITE_OK)
			atomic_fetch_add_explicit(&s->checkpoints, 1, memory_order_relaxed);
		last = mono_ms();
		pthread_mutex_lock(&s->ck_mu);
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

/* After each commit (SQLite's WAL hook, on the committing thread): ask the checkpointer for a
 * checkpoint each time the WAL grew by CKPT_SOFT_PAGES, and wake it on the first commit after
 * a checkpoint (it then runs one within CKPT_PERIOD_MS); past the hard bound (it never caught
 * up), checkpoint and restart the WAL here. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
	Store *s = ud;
	uint_fast64_t peak = atomic_load(&s->wal_peak);
	while ((uint_fast64_t)frames > peak &&
	       !atomic_compare_exchange_weak(&s->wal_peak, &peak, (uint_fast64_t)frames))
		;
	bool first = atomic_exchange(&s->ck_dirty, 1) == 0;
	if (frames < s->ck_mark)
		s->ck_mark = 0; /* the WAL restarted from its beginning */
	bool grown = frames - s->ck_mark >= CKPT_SOFT_PAGES;
	if (frames >= CKPT_HARD_PAGES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
		s->ck_mark = 0;
	} else if ((grown || first) && s->ck_running) {
		if (grown)
			s->ck_mark = frames;
		pthread_mutex_lock(&s->ck_mu);
		s->ck_want |= grown;
		pthread_cond_signal(&s->ck_cond);
		pthread_mutex_unlock(&s->ck_mu);
	}
	return SQLITE_OK;
}

/* Start the checkpointer with its own connection; without it, SQLite's automatic checkpoint
 * on the writing connection stays on. */
static void ckpt_start(Store *s)
{
	if (sqlite3_open_v2(s->path, &s->ck_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(s->ck_db);
		s->ck_db = NULL;
		return;
	}
	sqlite3_busy_timeout(s->ck_db, STORE_BUSY_MS);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->ck_mu, NULL);
	pthread_cond_init(&s->ck_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->ck_thread, NULL, ckpt_main, s) != 0) {
		pthread_mutex_destroy(&s->ck_mu);
		pthread_cond_destroy(&s->ck_cond);
		sqlite3_close(s->ck_db);
		s->ck_db = NULL;
		return;
	}
	s->ck_running = true;
	exec(s->db, "PRAGMA wal_autocheckpoint = 0");
	sqlite3_wal_hook(s->db, wal_hook, s);
}

/* Stop the checkpointer and close its connection. */
static void ckpt_stop(Store *s)
{
	if (!s->ck_running)
		return;
	pthread_mutex_lock(&s->ck_mu);
	s->ck_stop = true;
	pthread_cond_signal(&s->ck_cond);
	pthread_mutex_unlock(&s->ck_mu);
	pthread_join(s->ck_thread, NULL);
	sqlite3_wal_hook(s->db, NULL, NULL);
	sqlite3_close(s->ck_db);
	s->ck_db = NULL;
	pthread_mutex_destroy(&s->ck_mu);
	pthread_cond_destroy(&s->ck_cond);
	s->ck_running = false;
}

/* ---- open and close ---- */

int store_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	int n;
	if (xdg && xdg[0] == '/') {
		n = snprintf(buf, len, "%s/swarmtop/swarmtop.db", xdg);
	} else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return -1;
		n = snprintf(buf, len, "%s/.local/state/swarmtop/swarmtop.db", home);
	}
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* Create the directories above path (mode 0700) that are missing. 0, or -1 with err. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof dir) {
		snprintf(err, errlen, "cannot open database: path too long");
		return -1;
	}
	memcpy(dir, path, n + 1);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				errf(err, errlen, "cannot create directory %s for database %s: %s",
				     dir, path, strerror(errno));
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errf(err, errlen, "cannot open database %s: %s is not a directory", path, dir);
		return -1;
	}
	return 0;
}

/* A read-only "file:" URI for path (percent-encoded), with extra query parameters. */
static char *ro_uri(const char *path, const char *params)
{
	size_t n = strlen(path);
	char *u = malloc(n * 3 + strlen(params) + 16);
	if (!u)
		return NULL;
	char *p = u + sprintf(u, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9') || strchr("/-_.~", *c);
		if (plain)
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	sprintf(p, "?%s", params);
	return u;
}

/* Run a pragma or statement, ignoring rows; SQLite's rc. */
static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Read the schema version and prove the file is readable (this reads the header, the
 * schema and, in WAL mode, the shared memory). */
static int probe(sqlite3 *db, int *version)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = exec(db, "SELECT count(*) FROM sqlite_master");
	return rc;
}

/* Bring the schema up to STORE_SCHEMA_VERSION in one transaction. SQLite's rc. */
static int migrate(Store *s, int version)
{
	int rc = exec(s->db, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return rc;
	/* Re-read under the lock: another process may have migrated meanwhile. */
	rc = probe(s->db, &version);
	for (int v = version; rc == SQLITE_OK && v < MIGRATION_COUNT; v++) {
		rc = exec(s->db, store_migrations[v]);
		char sql[160];
		if (rc == SQLITE_OK) {
			snprintf(sql, sizeof sql, "INSERT INTO migrations VALUES (%d, %lld);"
				 " PRAGMA user_version = %d", v + 1, (long long)wall_ms(), v + 1);
			rc = exec(s->db, sql);
		}
	}
	if (rc == SQLITE_OK)
		rc = exec(s->db, "COMMIT");
	if (rc != SQLITE_OK) {
		char words[STORE_ERR_MAX];
		snprintf(words, sizeof words, "%s", sqlite3_errmsg(s->db));
		exec(s->db, "ROLLBACK");
		fmt_db_error(s->err, sizeof s->err, "cannot create the schema in database", s->path,
			     rc, words);
	}
	return rc;
}

/* Open the connection read-only, falling back to immutable=1 when the WAL index cannot be
 * created (read-only directory). SQLite's rc; err set on failure. */
static int open_readonly(Store *s, int *version)
{
	static const char *const modes[] = {"mode=ro", "mode=ro&immutable=1"};
	int rc = SQLITE_CANTOPEN, first_rc = SQLITE_OK;
	char first[STORE_ERR_MAX] = "";
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		char *uri = ro_uri(s->path, modes[m]);
		if (!uri)
			return SQLITE_NOMEM;
		rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
						     SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
			rc = probe(s->db, version);
		}
		if (rc == SQLITE_OK)
			return rc;
		if (m == 0) {
			first_rc = rc;
			snprintf(first, sizeof first, "%s", s->db ? sqlite3_errmsg(s->db)
								  : sqlite3_errstr(rc));
		}
		sqlite3_close(s->db);
		s->db = NULL;
		int prim = rc & 0xff;
		/* Only a missing WAL index is worth the immutable retry. */
		if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT || access(s->path, R_OK) != 0)
			break;
	}
	fmt_db_error(s->err, sizeof s->err, "cannot open database", s->path, first_rc, first);
	return first_rc;
}

/* Open the connection read-write, in WAL mode. SQLite's rc; err set on failure. */
static int open_readwrite(Store *s, int *version)
{
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
							  SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return fail(s, "cannot open database", rc), rc;
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	rc = probe(s->db, version);
	if (rc != SQLITE_OK)
		return fail(s, "cannot open database", rc), rc;
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		errf(s->err, sizeof s->err, "cannot open database %s for writing: the file is"
			 " read-only (sessions and replay can read it)", s->path);
		return SQLITE_READONLY;
	}
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = WAL",
		"PRAGMA synchronous = NORMAL",
		"PRAGMA cache_size = -1024", /* 1 MiB: inserts append at the right edge */
		"PRAGMA temp_store = MEMORY",
		"PRAGMA wal_autocheckpoint = 4000",
		"PRAGMA journal_size_limit = 67108864",
	};
	for (size_t k = 0; k < sizeof pragmas / sizeof pragmas[0]; k++) {
		rc = exec(s->db, pragmas[k]);
		if (rc != SQLITE_OK)
			return fail(s, "cannot open database", rc), rc;
	}
	return SQLITE_OK;
}

/* Process-wide SQLite settings, before its first use: no memory statistics (they take a
 * global mutex on every allocation). Harmless (SQLITE_MISUSE) if SQLite is already in use. */
static void sqlite_tune(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Open a store: read-write (created, migrated) or read-only. */
Store *store_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	char dflt[PATH_MAX];
	if (!path) {
		if (store_default_path(dflt, sizeof dflt) < 0) {
			snprintf(err, errlen, "cannot find a place for the database: set"
				 " XDG_STATE_HOME or HOME, or pass --db PATH");
			return NULL;
		}
		path = dflt;
	}
	static pthread_once_t tuned = PTHREAD_ONCE_INIT;
	pthread_once(&tuned, sqlite_tune);
	bool ro = flags & STORE_READONLY;
	bool is_file = strncmp(path, "file:", 5) != 0 && path[0] != ':'; /* not a URI or :memory: */
	if (!ro && is_file && make_parents(path, err, errlen) < 0)
		return NULL;
	Store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "cannot open database: out of memory");
		return NULL;
	}
	s->flags = flags;
	s->readonly = ro;
	s->batch_events = STORE_BATCH_EVENTS;
	s->batch_ms = STORE_BATCH_MS;
	s->acc.first_ts = s->acc.last_ts = STORE_NONE;
	int version = 0;
	int rc = ro ? open_readonly(s, &version) : open_readwrite(s, &version);
	if (rc == SQLITE_OK && version > STORE_SCHEMA_VERSION) {
		errf(s->err, sizeof s->err, "cannot open database %s: its schema version %d is"
			 " newer than this swarmtop's (%d); upgrade swarmtop", path, version,
			 STORE_SCHEMA_VERSION);
		rc = SQLITE_ERROR;
	} else if (rc == SQLITE_OK && ro && version < STORE_SCHEMA_VERSION) {
		errf(s->err, sizeof s->err, "cannot open database %s: %s", path,
			 version == 0 ? "it holds no swarmtop data (schema missing)"
				      : "its schema is older; open it once read-write to upgrade");
		rc = SQLITE_ERROR;
	} else if (rc == SQLITE_OK && !ro && version < STORE_SCHEMA_VERSION) {
		rc = migrate(s, version);
	}
	if (rc == SQLITE_OK && !ro)
		ckpt_start(s);
	if (rc == SQLITE_OK && (flags & STORE_ASYNC) && !ro) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_mutex_init(&s->mu, NULL);
		pthread_mutex_init(&s->db_mu, NULL);
		pthread_cond_init(&s->more, &ca);
		pthread_cond_init(&s->space, NULL);
		pthread_cond_init(&s->done, NULL);
		pthread_condattr_destroy(&ca);
		s->async = true;
		if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
			errf(s->err, sizeof s->err, "cannot start the database writer thread:"
				 " %s", strerror(errno));
			s->async = false;
			rc = SQLITE_ERROR;
		}
	}
	if (rc != SQLITE_OK) {
		one_line(err, errlen, s->err);
		ckpt_stop(s);
		if (s->db)
			sqlite3_close(s->db);
		free(s->path);
		free(s);
		return NULL;
	}
	return s;
}

/* Flush, stop the threads and close. */
int store_close(Store *s)
{
	if (!s)
		return 0;
	int r = s->readonly ? 0 : store_flush(s);
	if (s->async) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->more);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
		free(s->cur);
		while (s->head) {
			Chunk *c = s->head;
			s->head = c->next;
			free(c);
		}
		pthread_mutex_destroy(&s->mu);
		pthread_mutex_destroy(&s->db_mu);
		pthread_cond_destroy(&s->more);
		pthread_cond_destroy(&s->space);
		pthread_cond_destroy(&s->done);
	}
	if (s->in_txn)
		batch_abort(s);
	ckpt_stop(s);
	for (int k = 0; k < STREAM_CACHE; k++)
		free(s->streams[k].key);
	for (int k = 0; k < ST_COUNT; k++)
		sqlite3_finalize(s->stmt[k]);
	if (sqlite3_close(s->db) != SQLITE_OK)
		r = -1;
	free(s->path);
	free(s);
	return r;
}

/* The sticky write error, else the last error. */
const char *store_error(const Store *s)
{
	return atomic_load(&s->wfailed) ? s->werr : s->err;
}

/* The path the store was opened with. */
const char *store_path(const Store *s)
{
	return s->path;
}

/* Whether writes are refused by design. */
bool store_readonly(const Store *s)
{
	return s->readonly;
}

/* Cap the database size (max_page_count). */
int store_limit_size(Store *s, int64_t max_bytes)
{
	if (!s->readonly && store_flush(s) < 0)
		return -1;
	read_begin(s);
	sqlite3_stmt *st = NULL;
	int64_t page = 0;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		page = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && page > 0) {
		char sql[96];
		int64_t pages = max_bytes / page;
		snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
			 (long long)(pages > 0 ? pages : 1));
		rc = exec(s->db, sql);
	}
	read_end(s);
	return rc == SQLITE_OK ? 0 : fail(s, "cannot set the size limit of database", rc);
}
