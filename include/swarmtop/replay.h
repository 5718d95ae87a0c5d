/*
 * replay.h: a recorded session played back like a DVR. The store's events
 * (and the command audit trail) are folded into a Model with the same
 * model_apply the live client uses, with the recorded receive times as now_ms,
 * so the replayed model equals the live one at every position.
 *
 * Positions are recorded receive times (epoch ms). The position at time T
 * holds every event received at or before T and every recorded command sent
 * at or before T (commands come before events of the same millisecond).
 *
 * Opening is cheap: an indexer thread (with its own read-only connection)
 * reads the session once in the background, building the timeline, the marks
 * (failures, gaps, operator commands and messages) and periodic model
 * checkpoints (deep copies, spaced by events and thinned to stay within a
 * memory budget). A seek clones the nearest checkpoint at or before the target
 * and folds forward from it (or folds forward from the current position when
 * that is nearer). A seek past what is indexed so far waits: it is completed
 * by a later replay_advance, and replay_status says "indexing N%".
 *
 * Threading: a Replay is used from one thread (the UI loop); its indexer is
 * internal. The database is opened read-only and never modified (chmod 444
 * files and read-only directories work).
 *
 * IMPORTANT for callers: the Model pointer changes after a seek (a checkpoint
 * clone replaces it). Re-read replay_model() after every replay_* call; never
 * keep it across calls. Views should draw at now_ms = replay_pos_ms().
 */
#ifndef SWARMTOP_REPLAY_H
#define SWARMTOP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "swarmtop/model.h"

typedef struct Replay Replay;

/* Idle stretches longer than this are skipped (when skip-idle is on, the default)... */
#define REPLAY_IDLE_MS      10000
/* ...keeping this much of the stretch before the next event. */
#define REPLAY_IDLE_KEEP_MS 1000

/* Checkpoint spacing (events) at first, and the memory budget for all checkpoints:
 * past the budget every other checkpoint is dropped and the spacing doubles. */
#define REPLAY_CKPT_EVERY   16384
#define REPLAY_CKPT_BUDGET  ((size_t)768 << 20)

/* replay_speed() of "as fast as possible". */
#define REPLAY_SPEED_MAX 0.0

typedef enum ReplayMark {
	MARK_FAILURE,    /* a task or agent status "failed", an ack "rejected" */
	MARK_GAP,        /* lost seqs (a jump or a snapshot) */
	MARK_COMMAND,    /* an operator command (audit trail) or an operator message */
	MARK_KIND_COUNT
} ReplayMark;

extern const char *const replay_mark_names[MARK_KIND_COUNT];

/* Counters for the benchmark and the status line. */
typedef struct ReplayStats {
	uint64_t events;          /* events of the session (as counted by the store) */
	uint64_t indexed;         /* events read by the indexer so far */
	uint64_t items;           /* timeline items indexed (events + commands + ticks) */
	bool done;                /* the indexer has read the whole session */
	double index_cpu_s;       /* CPU seconds the indexer took (once done) */
	size_t checkpoints;       /* kept now */
	size_t ckpt_bytes;        /* estimated heap bytes of the kept checkpoints */
	uint64_t ckpt_every;      /* current spacing in items */
	uint64_t bad;             /* stored events that no longer decode (skipped) */
	uint64_t marks;
} ReplayStats;

/* Open session_arg (NULL/""/"latest", an id, or "-N": see store_resolve_session) of the
 * database at db_path (NULL: the default path) read-only and position at its start. NULL with
 * a one-line message in err when the file or session cannot be opened. */
Replay *replay_open(const char *db_path, const char *session_arg, char *err, size_t cap);

/* Set the checkpoint spacing (events) and memory budget (bytes) of later replay_open calls;
 * 0 keeps a value. For tests and benchmarks (process-wide, not thread-safe). */
void replay_tune(size_t ckpt_every, size_t budget);

/* Stop the indexer and free everything (the model too). NULL is ignored. */
void replay_free(Replay *r);

/* The model at the current position. Changes after a seek: re-read it every time. */
Model *replay_model(Replay *r);

/* The session id being replayed. */
int64_t replay_session(const Replay *r);

/* The first and last positions, and the current one (recorded epoch ms). */
int64_t replay_start_ms(const Replay *r);
int64_t replay_end_ms(const Replay *r);
int64_t replay_pos_ms(const Replay *r);

/* The position as a fraction 0..1 of the session. */
double replay_frac(const Replay *r);

/* Go to pos_ms (clamped to the session): 0 when done, 1 when it waits for the indexer (a later
 * replay_advance completes it), -1 on a read error (replay_error says why). Pauses nothing. */
int replay_seek(Replay *r, int64_t pos_ms);

/* True while a seek waits for the indexer. */
bool replay_seeking(const Replay *r);

/* Seek by delta_ms from the current position (or from the pending target). */
int replay_seek_by(Replay *r, int64_t delta_ms);

/* Play or pause; playing at the end restarts from the start. */
void replay_play(Replay *r, bool on);
bool replay_playing(const Replay *r);

/* Step the speed one notch up (dir > 0) or down: 0.25x .. 64x, then "max". */
void replay_speed_step(Replay *r, int dir);

/* Set the speed from text ("4", "4x", "0.25", "max"): the nearest notch. 0, or -1 when bad. */
int replay_set_speed(Replay *r, const char *text);

/* The speed factor, or REPLAY_SPEED_MAX (0) for "as fast as possible". */
double replay_speed(const Replay *r);

/* Skip idle stretches longer than REPLAY_IDLE_MS (on by default). */
void replay_set_skip_idle(Replay *r, bool on);
bool replay_skip_idle(const Replay *r);

/* Let wall_elapsed_ms pass: apply what is due at the current speed (and finish a waiting seek,
 * and catch up with what the indexer has found at the position). Returns DIRTY_* bits, 0 when
 * nothing changed. Stops playing at the end. */
unsigned replay_advance(Replay *r, int64_t wall_elapsed_ms);

/* Seek to the next (dir > 0) or previous mark, of any kind; its position, or -1 when none
 * (indexed so far). */
int64_t replay_next_mark(Replay *r, int dir);

/* Up to max marks for a position bar: frac (0..1) and kind of each. When there are more,
 * they are merged into max buckets keeping the most severe kind. Returns the count. */
size_t replay_marks(Replay *r, double *frac, int *kind, size_t max);

/* The header's status: "REPLAY 03:14:07 ▶ 4x 12%" (⏸ when paused; ASCII: ">" and "||"),
 * with " indexing N%" while the indexer runs and " seeking" while a seek waits. */
const char *replay_status(const Replay *r, char *buf, size_t cap, bool ascii);

/* Parse a start position for --at: "+90s", "+5m", "+1h30m" (from the start), "25%", or a
 * time of day "HH:MM[:SS]" (local time, on the recording's day or the next). The position, or
 * -1 when bad. */
int64_t replay_parse_at(const Replay *r, const char *text);

/* Block until the indexer has read the whole session. 0, or -1 on a read error. */
int replay_wait_indexed(Replay *r);

/* Counters. */
void replay_stats(const Replay *r, ReplayStats *out);

/* The last error ("" when none). */
const char *replay_error(const Replay *r);

/* Replay a whole session as fast as possible and print model_dump of the end state to out.
 * 0, or -1 with a message on stderr. */
int replay_dump(const char *db_path, const char *session_arg, FILE *out);

#endif
