/*
 * store.h: the SQLite store. One database file holds every recorded session:
 * the events exactly as received (replay must be faithful), the runtimes seen,
 * the command audit trail and the sequence gaps. docs/storage.md describes
 * the schema and the durability promise.
 *
 * Writes are batched: store_append opens a transaction lazily and the batch is
 * committed when it holds STORE_BATCH_EVENTS rows or is STORE_BATCH_MS old
 * (store_maybe_flush), or now (store_flush, store_close). With STORE_ASYNC a
 * writer thread inside the store does the inserts and commits; store_append
 * then only copies the row into a bounded queue (blocking when it is full,
 * never dropping).
 *
 * Reads (sessions, last seq, iterators...) first commit the open batch (with
 * STORE_ASYNC: wait for the writer to drain its queue), so they see every append.
 *
 * Threading: a Store is used from one thread (the loop). Inside, a checkpointer
 * thread with its own connection keeps WAL checkpoints off the commit path, and
 * with STORE_ASYNC a writer thread is the only other user of the connection.
 *
 * Errors: every failing call returns -1 (or NULL) and leaves a one-line message
 * naming the database path in store_error(). A write error is sticky: the store
 * refuses further writes (reopen to retry), so a caller can never believe that
 * something was persisted when it was not.
 */
#ifndef SWARMTOP_STORE_H
#define SWARMTOP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Store Store;
typedef struct StoreIter StoreIter;

/* An absent integer (seq of a hello, unknown time): stored as SQL NULL. */
#define STORE_NONE INT64_MIN

/* Default batching policy (store_set_batch changes it). */
#define STORE_BATCH_EVENTS 1000
#define STORE_BATCH_MS     100

/* How long a write waits for another process's lock before failing. */
#define STORE_BUSY_MS 300

/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 1

/* store_open flags. */
enum {
	STORE_READWRITE = 0,       /* create the file and its directories if missing */
	STORE_READONLY = 1u << 0,  /* never modify the file (works on chmod 444 / ro dirs) */
	STORE_ASYNC = 1u << 1,     /* inserts and commits on a writer thread */
};

/* store_append results. */
enum {
	STORE_DUP = 0,     /* (runtime_id, instance, seq) was already stored: ignored */
	STORE_NEW = 1,     /* inserted (in the open batch) */
	STORE_QUEUED = 2,  /* STORE_ASYNC: handed to the writer; new or duplicate unknown yet */
};

/* One received event to store. Strings are copied by the store. */
typedef struct StoreEventRow {
	int64_t session;
	const char *runtime_id;   /* required */
	const char *instance;     /* required */
	int64_t seq;              /* STORE_NONE for hello */
	int64_t ts;               /* runtime clock, STORE_NONE when absent (hello) */
	int64_t recv_ms;          /* client receive time (replay: its now_ms) */
	const char *type;         /* "task", "hello", ... (required) */
	const char *raw;          /* the message exactly as received (required) */
	size_t raw_len;           /* bytes of raw */
} StoreEventRow;

/* How a session was started and by whom (all strings optional). */
typedef struct StoreSessionInfo {
	int64_t started_ms;
	const char *how;          /* "live", "record", "tail", "replay", ... */
	const char *label;
	const char *host;
	const char *user;
	const char *argv;         /* a short summary of the command line (no secrets) */
} StoreSessionInfo;

/* A runtime seen by a session (after its hello). */
typedef struct StoreRuntime {
	int64_t session;
	const char *url;
	const char *runtime_id;   /* required */
	const char *instance;     /* required */
	const char *name;
	const char *host;
	int64_t seen_ms;          /* first_seen_ms on insert, last_seen_ms always */
} StoreRuntime;

/*
 * A command of the audit trail, upserted by id as its state changes. On update,
 * NULL strings and STORE_NONE times keep the stored value, so each state change
 * only needs the id, the new status and its time.
 */
typedef struct StoreCommand {
	int64_t session;          /* session that sent it (kept from the first insert) */
	const char *id;           /* required */
	const char *runtime_id;
	const char *target_kind;  /* "runtime", "agent", "task" */
	const char *target;
	const char *action;       /* "pause", ... (required on first insert) */
	const char *text;
	const char *reason;
	const char *who;
	int64_t sent_ms;
	int64_t accepted_ms;
	int64_t final_ms;         /* when status became applied, rejected or unanswered */
	const char *status;       /* "queued", "sent", "accepted", "applied", "rejected", "unanswered" */
	const char *error;
} StoreCommand;

/* Seqs from_seq..to_seq of a runtime instance were lost (their effect may be in a snapshot). */
typedef struct StoreGap {
	int64_t session;
	const char *runtime_id;
	const char *instance;
	int64_t from_seq;
	int64_t to_seq;
	int64_t at_ms;
	const char *reason;       /* "snapshot", "jump", ... (optional) */
} StoreGap;

/* One session as listed. Strings are valid during the callback only. */
typedef struct StoreSession {
	int64_t id;
	int64_t started_ms;
	int64_t ended_ms;         /* STORE_NONE while running (or after a crash) */
	const char *label;
	const char *how;
	const char *host;
	const char *user;
	const char *argv;
	int64_t runtimes;         /* distinct runtime instances seen */
	int64_t events;           /* events stored by this session */
	int64_t first_ts;         /* STORE_NONE when no event */
	int64_t last_ts;
} StoreSession;

/* One stored event as read back. Pointers are valid until the next step or close. */
typedef struct StoreEvent {
	int64_t id;               /* insertion order; replay checkpoints seek by it */
	int64_t session;
	const char *runtime_id;
	const char *instance;
	int64_t seq;              /* STORE_NONE for hello */
	int64_t ts;
	int64_t recv_ms;
	const char *type;
	const char *raw;          /* NUL-terminated, raw_len bytes */
	size_t raw_len;
} StoreEvent;

/* Counters (monotonic since open). */
typedef struct StoreStats {
	uint64_t appended;        /* store_append calls accepted (the append ticket) */
	uint64_t committed;       /* appends whose rows are committed: tickets <= this are durable */
	uint64_t inserted;        /* new rows inserted (committed or in the open batch) */
	uint64_t stored;          /* new rows committed: what this store added to the events table */
	uint64_t failed;          /* store_append calls that failed on a write error (no ticket) */
	uint64_t unpersisted;     /* appends not committed: queued or rolled back, plus failed
				   * (0 after a successful store_flush; final once writes failed) */
	uint64_t duplicates;      /* appends ignored as already stored */
	uint64_t commits;         /* transactions committed */
	uint64_t checkpoints;     /* WAL checkpoints run by the checkpointer thread */
	uint64_t wal_peak_pages;  /* largest WAL seen after a commit (4 KiB pages) */
	uint64_t queue_bytes;     /* STORE_ASYNC: bytes waiting for the writer */
	uint64_t queue_peak;      /* STORE_ASYNC: largest queue_bytes seen */
	uint64_t producer_waits;  /* STORE_ASYNC: times store_append blocked on a full queue */
} StoreStats;

typedef int (*StoreSessionFn)(void *ud, const StoreSession *s);
typedef int (*StoreCommandFn)(void *ud, const StoreCommand *c);
typedef int (*StoreGapFn)(void *ud, const StoreGap *g);

/* Write the default database path ($XDG_STATE_HOME/swarmtop/swarmtop.db or
 * ~/.local/state/swarmtop/swarmtop.db) into buf; 0, or -1 when it cannot be formed. */
int store_default_path(char *buf, size_t len);

/* Open (and create or migrate, unless read-only) the database at path; NULL for the default.
 * On failure returns NULL with a one-line message in err. */
Store *store_open(const char *path, unsigned flags, char *err, size_t errlen);

/* Flush, stop the writer thread, finalize and close. NULL is ignored. Returns 0, or -1 when
 * the final commit failed (call store_flush first to read why from store_error). */
int store_close(Store *s);

/* The last error (one line, names the path), or "" when none. */
const char *store_error(const Store *s);

/* The path this store was opened with. */
const char *store_path(const Store *s);

/* True when opened read-only (or fell back to an immutable read). */
bool store_readonly(const Store *s);

/* Change the batching policy: commit at max_events rows or max_ms age (0 keeps the value). */
void store_set_batch(Store *s, int max_events, int max_ms);

/* Cap the database size in bytes (a quota; writes beyond it fail as "disk full"). */
int store_limit_size(Store *s, int64_t max_bytes);

/* Start a session; returns its id (> 0) or -1. */
int64_t store_session_begin(Store *s, const StoreSessionInfo *info);

/* Mark a session ended at ended_ms (batched with the events). */
int store_session_end(Store *s, int64_t session, int64_t ended_ms);

/* Record that a session saw a runtime instance (upsert; batched). */
int store_runtime_seen(Store *s, const StoreRuntime *rt);

/* Append one event: STORE_NEW, STORE_DUP, STORE_QUEUED or -1. */
int store_append(Store *s, const StoreEventRow *row);

/* Upsert a command of the audit trail (batched). */
int store_command_put(Store *s, const StoreCommand *c);

/* Record a gap (batched). */
int store_gap_add(Store *s, const StoreGap *g);

/* Commit the open batch if it is old (now_ms - its first row's time >= max_ms, using the
 * times carried by the rows: recv_ms, sent_ms, at_ms...) or big. 0 or -1. */
int store_maybe_flush(Store *s, int64_t now_ms);

/* Commit everything appended so far (STORE_ASYNC: wait for the writer to drain). 0 or -1. */
int store_flush(Store *s);

/* Get everything appended so far committed without waiting for it: commits now, or with
 * STORE_ASYNC hands the open chunk to the writer, which commits it within the batch age.
 * For a periodic commit timer on a loop that must not block. 0 or -1. */
int store_kick(Store *s);

/* Appends whose rows are committed (see StoreStats.committed). */
uint64_t store_committed_count(const Store *s);

/* Copy the counters. */
void store_stats(const Store *s, StoreStats *out);

/* Call fn for every session, newest first; fn returning non-zero stops. fn must not call
 * into the store. 0, or -1 on error. */
int store_sessions(Store *s, StoreSessionFn fn, void *ud);

/* Call fn for one session's row (0), or -1 when it does not exist or on error. */
int store_session_get(Store *s, int64_t session, StoreSessionFn fn, void *ud);

/* The newest session's id, 0 when there is none, -1 on error. */
int64_t store_latest_session(Store *s);

/* Resolve a session argument: a number, "latest"/"last" or NULL/"" (latest), or "-N" (the
 * Nth before the latest). Returns the id (> 0) or -1 with a message in store_error(). */
int64_t store_resolve_session(Store *s, const char *arg);

/* Iterate a session's events in insertion order, starting at event id from_id (0: the start).
 * NULL on error. */
StoreIter *store_iter_open(Store *s, int64_t session, int64_t from_id);

/* Next event: 1 and *ev filled, 0 at the end, -1 on error. */
int store_iter_step(StoreIter *it, StoreEvent *ev);

/* Finish an iteration. NULL is ignored. */
void store_iter_close(StoreIter *it);

/* Events of a session with id >= from_id; -1 on error. */
int64_t store_count_events(Store *s, int64_t session, int64_t from_id);

/* Highest stored seq of a runtime instance into *seq (0 when none): 0, or -1 on error. */
int store_last_seq(Store *s, const char *runtime_id, const char *instance, int64_t *seq);

/* Call fn for each command of a session in sent order. 0 or -1. */
int store_commands(Store *s, int64_t session, StoreCommandFn fn, void *ud);

/* Call fn for each gap of a session in recorded order. 0 or -1. */
int store_gaps(Store *s, int64_t session, StoreGapFn fn, void *ud);

#endif
