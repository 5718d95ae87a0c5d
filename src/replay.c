/*
 * replay.c: playback of a recorded session (see replay.h): the timeline, the
 * background indexer with its checkpoints, seeking, timed play with idle
 * skipping, marks, the status line and --at parsing.
 *
 * Owns: the Replay object, its indexer thread and both of its read-only
 * store connections. The model is only ever changed through model.c's
 * functions (model_apply, model_command, model_tick, ...), fed with the
 * recorded receive times, so that a replay folds exactly like the live client.
 *
 * The timeline is a list of items in time order: every stored event (in
 * insertion order, at its receive time, kept monotonic by a running maximum)
 * and, merged in by time, every recorded command (at its sent time, before the
 * events of the same millisecond) and the moment an unanswered command was
 * given up (a model_tick at its final time). The indexer appends items and
 * marks to chunked arrays that never move (readers see a published count) and
 * adds checkpoints under a mutex.
 *
 * I/O edge: SQLite through the store, a thread, the monotonic clock (only to
 * bound the work of one replay_advance at "max" speed) and localtime.
 */
#include "swarmtop/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swarmtop/arena.h"
#include "swarmtop/interop.h"
#include "swarmtop/proto.h"
#include "swarmtop/store.h"
#include "swarmtop/strmap.h"

const char *const replay_mark_names[MARK_KIND_COUNT] = {
	[MARK_FAILURE] = "failure",
	[MARK_GAP] = "gap",
	[MARK_COMMAND] = "command",
};

#define CHUNK_BITS   16
#define CHUNK_LEN    ((size_t)1 << CHUNK_BITS)
#define CHUNKS_MAX   ((size_t)1 << 15)       /* 2^31 items at most */
#define MAX_BUDGET_MS 25                     /* work per replay_advance at "max" speed */
#define CATCHUP_BUDGET_MS ((int64_t)MAX_BUDGET_MS * 4) /* work per timed step or catch-up */
#define ERR_MAX      256
#define ARENA_BLOCK  65536

/* Process-wide checkpoint policy for later opens (replay_tune). */
static size_t tune_every = REPLAY_CKPT_EVERY;
static size_t tune_budget = REPLAY_CKPT_BUDGET;

/* The speed notches; the last is "as fast as possible". */
static const double speed_table[] = {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, REPLAY_SPEED_MAX};
#define SPEEDS ((int)(sizeof(speed_table) / sizeof(speed_table[0])))
#define SPEED_1X 2

/* An append-only array in fixed chunks: the writer publishes n, readers read below it. */
typedef struct Vec {
	void **chunks;
	size_t esz;
	_Atomic size_t n;
} Vec;

typedef struct Item {
	int64_t t;       /* timeline time (monotonic) */
	int64_t ref;     /* event id (> 0), or -(extra index + 1) */
	int32_t rt;      /* runtime slot, -1 none */
} Item;

typedef struct MarkRec {
	int64_t t;
	int kind;        /* ReplayMark */
} MarkRec;

typedef enum ExtraKind {
	EXTRA_COMMAND,   /* model_command at its sent time */
	EXTRA_TICK,      /* model_tick when an unanswered command was given up */
	EXTRA_KIND_COUNT
} ExtraKind;

typedef struct Extra {
	ExtraKind kind;
	int64_t t;
	size_t order;    /* stable sort */
	Command cmd;
	CmdState st;
	char *runtime_id, *who, *error, *text, *reason;
} Extra;

typedef struct Ckpt {
	size_t item;     /* items applied in m */
	Model *m;
	InteropSet *ix;  /* the AG-UI / OTLP decoders at that point (interop.h) */
	size_t bytes;
} Ckpt;

struct Replay {
	char *path;
	int64_t session;
	int64_t start_ms, end_ms;
	uint64_t nevents;
	Extra *extras;
	size_t nextras;
	Vec items, marks;

	/* indexer */
	pthread_t th;
	bool th_started, th_joined;
	pthread_mutex_t mu;       /* checkpoints, runtime names, ierr */
	Ckpt *ck;
	size_t nck, cap_ck, ck_bytes, budget;
	uint64_t ck_every;
	char **rtn;
	size_t nrtn, cap_rtn;
	atomic_bool stop, done, failed;
	_Atomic uint64_t indexed, bad;
	double index_cpu_s;       /* written by the indexer before done */
	char ierr[ERR_MAX];

	/* the UI side */
	Store *st;
	Model *m;
	InteropSet *ix;           /* decoders of m's AG-UI / OTLP rows */
	size_t pos_item;          /* items applied to m */
	int64_t pos_ms;
	StoreIter *it;
	int64_t it_last;          /* id of the last event stepped by it */
	Arena arena;
	bool playing, skip_idle, pending;
	int speed;
	double frac_acc;
	int64_t pending_ms;
	char err[ERR_MAX];
};

/* ---- chunked arrays ---- */

/* Prepare an empty array of elements of size esz. 0 or -1. */
static int vec_init(Vec *v, size_t esz)
{
	v->chunks = calloc(CHUNKS_MAX, sizeof(*v->chunks));
	v->esz = esz;
	atomic_init(&v->n, 0);
	return v->chunks ? 0 : -1;
}

/* Free the chunks. */
static void vec_free(Vec *v)
{
	if (v->chunks == NULL)
		return;
	for (size_t i = 0; i < CHUNKS_MAX && v->chunks[i]; i++)
		free(v->chunks[i]);
	free(v->chunks);
	v->chunks = NULL;
}

/* The published element count. */
static size_t vec_len(const Vec *v)
{
	return atomic_load_explicit(&((Vec *)(uintptr_t)v)->n, memory_order_acquire);
}

/* Element i (below vec_len). */
static void *vec_at(const Vec *v, size_t i)
{
	return (char *)v->chunks[i >> CHUNK_BITS] + (i & (CHUNK_LEN - 1)) * v->esz;
}

/* Append a copy of e and publish it (writer thread only). 0 or -1. */
static int vec_push(Vec *v, const void *e)
{
	size_t n = atomic_load_explicit(&v->n, memory_order_relaxed);
	size_t c = n >> CHUNK_BITS;
	if (c >= CHUNKS_MAX)
		return -1;
	if (v->chunks[c] == NULL) {
		v->chunks[c] = malloc(CHUNK_LEN * v->esz);
		if (v->chunks[c] == NULL)
			return -1;
	}
	memcpy((char *)v->chunks[c] + (n & (CHUNK_LEN - 1)) * v->esz, e, v->esz);
	atomic_store_explicit(&v->n, n + 1, memory_order_release);
	return 0;
}

/* Item i. */
static const Item *item_at(const Replay *r, size_t i)
{
	return vec_at(&r->items, i);
}

/* Number of items with t <= t_ms among the first n. */
static size_t items_upto(const Replay *r, size_t n, int64_t t_ms)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (item_at(r, mid)->t <= t_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- small helpers ---- */

/* A malloc'd copy of s (NULL for NULL). */
static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Set the indexer's error (first one wins). */
static void index_fail(Replay *r, const char *detail)
{
	pthread_mutex_lock(&r->mu);
	if (!r->ierr[0])
		snprintf(r->ierr, sizeof(r->ierr), "indexer: %s", detail ? detail : "");
	pthread_mutex_unlock(&r->mu);
	atomic_store(&r->failed, true);
}

/* Milliseconds on the monotonic clock. */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- runtime slots ---- */

/* The slot of runtime id (created in order of first appearance); indexer thread. */
static int rt_slot(Replay *r, StrMap *map, const char *id)
{
	const char *k = id ? id : "";
	size_t kl = strlen(k);
	int s = strmap_get(map, k, kl);
	if (s >= 0)
		return s;
	pthread_mutex_lock(&r->mu);
	if (r->nrtn == r->cap_rtn) {
		size_t nc = r->cap_rtn ? r->cap_rtn * 2 : 8;
		char **nv = realloc(r->rtn, nc * sizeof(*nv));
		if (nv == NULL) {
			pthread_mutex_unlock(&r->mu);
			return -1;
		}
		r->rtn = nv;
		r->cap_rtn = nc;
	}
	char *name = strdup(k);
	if (name == NULL || strmap_put(map, k, kl, (int)r->nrtn) != 0) {
		free(name);
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	r->rtn[r->nrtn] = name;
	s = (int)r->nrtn++;
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* Make sure m has runtime slots up to rt, each named and in state CONN_REPLAY. 0 or -1. */
static int rt_ensure(Replay *r, Model *m, int rt, int64_t now_ms)
{
	char url[EVENT_ID_MAX + 16];
	while (rt >= 0 && m->nruntimes <= (size_t)rt) {
		pthread_mutex_lock(&r->mu);
		const char *name = m->nruntimes < r->nrtn ? r->rtn[m->nruntimes] : "";
		snprintf(url, sizeof(url), "replay:%.128s", name);
		pthread_mutex_unlock(&r->mu);
		int i = model_add_runtime(m, url, now_ms);
		if (i < 0)
			return -1;
		model_set_conn(m, i, CONN_REPLAY, NULL, 0, now_ms);
	}
	return 0;
}

/* ---- applying items ---- */

/* Decode and apply stored event ev (runtime slot rt) to m at its receive time; AG-UI and
 * OTLP rows go through their decoder in ix (interop.h) and may fold several events. dec
 * and info say what it was (for several: the first failure, else the last); returns
 * DIRTY_* bits (0 with *ok false when it no longer decodes). */
static unsigned apply_event(Replay *r, Model *m, InteropSet *ix, int rt, const StoreEvent *ev,
                            Arena *a, Event *dec, ApplyInfo *info, bool *ok)
{
	char perr[PROTO_ERR_MAX];
	*ok = false;
	if (rt_ensure(r, m, rt, ev->recv_ms) != 0)
		return 0;
	arena_reset(a);
	if (interop_type(ev->type)) {
		const Event *evs;
		int n = interop_set_decode(ix, ev->type, ev->runtime_id, ev->instance, ev->raw,
		                           ev->raw_len, ev->recv_ms, a, &evs, perr);
		if (n < 0) {
			atomic_fetch_add(&r->bad, 1);
			return 0;
		}
		unsigned dirty = 0;
		bool failed = false;
		memset(dec, 0, sizeof(*dec));
		dec->type = EV_UNKNOWN;
		memset(info, 0, sizeof(*info));
		for (int i = 0; i < n; i++) {
			ApplyInfo one;
			memset(&one, 0, sizeof(one));
			dirty |= model_apply(m, rt, &evs[i], ev->recv_ms, &one);
			info->gap |= one.gap;
			bool f = (evs[i].type == EV_TASK && evs[i].u.task.status == TASK_FAILED &&
			          (evs[i].u.task.has & HAS_STATUS)) ||
			         (evs[i].type == EV_AGENT && evs[i].u.agent.status == AGENT_FAILED &&
			          (evs[i].u.agent.has & HAS_STATUS));
			if (!failed)
				*dec = evs[i];
			failed |= f;
		}
		*ok = true;
		return dirty;
	}
	if (proto_decode(ev->raw, ev->raw_len, dec, a, perr) != PROTO_OK) {
		atomic_fetch_add(&r->bad, 1);
		return 0;
	}
	/* The seq the live client applied. */
	if (ev->seq != STORE_NONE && dec->type != EV_HELLO)
		dec->seq = ev->seq;
	*ok = true;
	return model_apply(m, rt, dec, ev->recv_ms, info);
}

/* Apply extra x (runtime slot rt) to m. */
static unsigned apply_extra(Replay *r, Model *m, const Extra *x, int rt)
{
	if (x->kind == EXTRA_TICK)
		return model_tick(m, x->t);
	if (rt < 0 || rt_ensure(r, m, rt, x->t) != 0)
		return 0;
	if (model_command(m, rt, &x->cmd, x->who, x->st, x->st == CMD_REFUSED ? x->error : NULL,
	                  x->t) < 0)
		return 0;
	return DIRTY_COMMANDS | DIRTY_LINES | DIRTY_AGENTS | DIRTY_TASKS;
}

/* ---- checkpoints ---- */

/* Free checkpoint storage. */
static void ck_free_all(Replay *r)
{
	for (size_t i = 0; i < r->nck; i++) {
		model_free(r->ck[i].m);
		interop_set_free(r->ck[i].ix);
	}
	free(r->ck);
	r->ck = NULL;
	r->nck = r->cap_ck = 0;
}

/* Keep a clone of m as the checkpoint at item; thin out when over the budget (indexer). */
static void ck_add(Replay *r, const Model *m, const InteropSet *ix, size_t item, bool final)
{
	Model *c = model_clone(m);
	InteropSet *cx = c ? interop_set_clone(ix) : NULL;
	if (cx == NULL) {
		model_free(c);
		return;   /* out of memory: fewer checkpoints, slower seeks, still correct */
	}
	size_t bytes = model_bytes(c);
	pthread_mutex_lock(&r->mu);
	if (r->nck == r->cap_ck) {
		size_t nc = r->cap_ck ? r->cap_ck * 2 : 64;
		Ckpt *nv = realloc(r->ck, nc * sizeof(*nv));
		if (nv == NULL) {
			pthread_mutex_unlock(&r->mu);
			model_free(c);
			interop_set_free(cx);
			return;
		}
		r->ck = nv;
		r->cap_ck = nc;
	}
	r->ck[r->nck++] = (Ckpt){.item = item, .m = c, .ix = cx, .bytes = bytes};
	r->ck_bytes += bytes;
	/* Over the budget: drop every other one (never the first) and double the spacing. */
	while (!final && r->ck_bytes > r->budget && r->nck > 2) {
		uint64_t every = r->ck_every * 2;
		size_t w = 0;
		for (size_t i = 0; i < r->nck; i++) {
			if (r->ck[i].item % every == 0) {
				r->ck[w++] = r->ck[i];
			} else {
				r->ck_bytes -= r->ck[i].bytes;
				model_free(r->ck[i].m);
				interop_set_free(r->ck[i].ix);
			}
		}
		r->nck = w;
		r->ck_every = every;
	}
	pthread_mutex_unlock(&r->mu);
}

/* ---- the indexer ---- */

typedef struct IndexState {
	Replay *r;
	Model *m;
	InteropSet *ix;
	Arena a;
	StrMap rtmap;
	int64_t last_t;
	size_t xi;
} IndexState;

/* Append a mark at t. */
static void mark_add(Replay *r, int64_t t, ReplayMark kind)
{
	MarkRec mk = {.t = t, .kind = (int)kind};
	vec_push(&r->marks, &mk);
}

/* Publish an item (applied to the indexer's model already) and checkpoint when due. */
static int index_push(IndexState *s, const Item *it)
{
	Replay *r = s->r;
	if (vec_push(&r->items, it) != 0)
		return -1;
	s->last_t = it->t;
	size_t n = vec_len(&r->items);
	/* ck_every only changes on this thread (in ck_add), so it is read without the lock. */
	if (n % r->ck_every == 0)
		ck_add(r, s->m, s->ix, n, false);
	return 0;
}

/* Merge in, apply and publish every extra due at or before t. */
static int index_extras(IndexState *s, int64_t t)
{
	Replay *r = s->r;
	for (; s->xi < r->nextras && r->extras[s->xi].t <= t; s->xi++) {
		const Extra *x = &r->extras[s->xi];
		int rt = x->kind == EXTRA_COMMAND ? rt_slot(r, &s->rtmap, x->runtime_id) : -1;
		Item it = {.t = x->t > s->last_t ? x->t : s->last_t, .ref = -(int64_t)s->xi - 1,
		           .rt = rt};
		apply_extra(r, s->m, x, rt);
		if (x->kind == EXTRA_COMMAND)
			mark_add(r, it.t, MARK_COMMAND);
		if (index_push(s, &it) != 0)
			return -1;
	}
	return 0;
}

/* The marks an applied event makes. */
static void index_marks(Replay *r, const Event *ev, const ApplyInfo *info, int64_t t)
{
	bool failure = (ev->type == EV_TASK && (ev->u.task.has & HAS_STATUS) &&
	                ev->u.task.status == TASK_FAILED) ||
	               (ev->type == EV_AGENT && (ev->u.agent.has & HAS_STATUS) &&
	                ev->u.agent.status == AGENT_FAILED) ||
	               (ev->type == EV_ACK && ev->u.ack.status == ACK_REJECTED);
	if (info->gap)
		mark_add(r, t, MARK_GAP);
	if (failure)
		mark_add(r, t, MARK_FAILURE);
	if (ev->type == EV_MESSAGE && ev->u.message.role == ROLE_OPERATOR)
		mark_add(r, t, MARK_COMMAND);
}

/* The indexer thread: read the session once, building items, marks and checkpoints. */
static void *index_main(void *arg)
{
	Replay *r = arg;
	IndexState s = {.r = r, .last_t = INT64_MIN};
	char err[ERR_MAX];
	StoreIter *it = NULL;
	Store *st = store_open(r->path, STORE_READONLY, err, sizeof(err));
	arena_init(&s.a, ARENA_BLOCK);
	strmap_init(&s.rtmap);
	s.m = model_new();
	s.ix = interop_set_new();
	if (st == NULL || s.m == NULL || s.ix == NULL) {
		index_fail(r, st ? "out of memory" : err);
		goto out;
	}
	ck_add(r, s.m, s.ix, 0, false);
	it = store_iter_open(st, r->session, 0);
	if (it == NULL) {
		index_fail(r, store_error(st));
		goto out;
	}
	StoreEvent ev;
	int rc = 0;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed) &&
	       (rc = store_iter_step(it, &ev)) > 0) {
		int64_t t = ev.recv_ms > s.last_t ? ev.recv_ms : s.last_t;
		if (index_extras(&s, t) != 0)
			break;
		int rt = rt_slot(r, &s.rtmap, ev.runtime_id);
		Item item = {.t = t, .ref = ev.id, .rt = rt};
		Event dec;
		ApplyInfo info;
		bool ok;
		apply_event(r, s.m, s.ix, rt, &ev, &s.a, &dec, &info, &ok);
		if (ok)
			index_marks(r, &dec, &info, t);
		if (index_push(&s, &item) != 0)
			break;
		atomic_fetch_add_explicit(&r->indexed, 1, memory_order_relaxed);
	}
	if (!atomic_load(&r->stop)) {
		if (rc < 0)
			index_fail(r, store_error(st));
		else if (index_extras(&s, INT64_MAX) == 0 && vec_len(&r->items) % r->ck_every != 0)
			ck_add(r, s.m, s.ix, vec_len(&r->items), true);
	}
out:
	store_iter_close(it);
	store_close(st);
	model_free(s.m);
	interop_set_free(s.ix);
	strmap_free(&s.rtmap);
	arena_free(&s.a);
	struct timespec cpu;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		r->index_cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
	atomic_store(&r->done, true);
	return NULL;
}

/* ---- opening ---- */

typedef struct OpenCtx {
	Replay *r;
	int64_t started_ms, events;
	bool oom;
} OpenCtx;

/* store_session_get callback: the session's start and event count. */
static int open_session_cb(void *ud, const StoreSession *s)
{
	OpenCtx *c = ud;
	c->started_ms = s->started_ms;
	c->events = s->events;
	return 0;
}

/* Add an extra to the list. */
static Extra *extra_new(OpenCtx *c)
{
	Replay *r = c->r;
	Extra *nv = realloc(r->extras, (r->nextras + 1) * sizeof(*nv));
	if (nv == NULL) {
		c->oom = true;
		return NULL;
	}
	r->extras = nv;
	Extra *x = &r->extras[r->nextras];
	memset(x, 0, sizeof(*x));
	x->order = r->nextras++;
	return x;
}

/* store_commands callback: the command where it was sent, and when it was given up. */
static int open_command_cb(void *ud, const StoreCommand *sc)
{
	OpenCtx *c = ud;
	int action = sc->action ? event_name_lookup(command_action_names, ACTION_COUNT, sc->action)
	                        : -1;
	int kind = sc->target_kind ? event_name_lookup(target_kind_names, TARGET_KIND_COUNT,
	                                               sc->target_kind)
	                           : TARGET_RUNTIME;
	if (action < 0 || kind < 0 || sc->id == NULL || sc->sent_ms == STORE_NONE)
		return 0;   /* not replayable: unknown action or never sent */
	Extra *x = extra_new(c);
	if (x == NULL)
		return 1;
	bool refused = sc->status && strcmp(sc->status, "refused") == 0;
	x->kind = EXTRA_COMMAND;
	x->t = sc->sent_ms;
	x->st = refused ? CMD_REFUSED : CMD_SENT;
	x->runtime_id = xstrdup(sc->runtime_id);
	x->who = xstrdup(sc->who);
	x->error = xstrdup(sc->error);
	x->text = xstrdup(sc->text);
	x->reason = xstrdup(sc->reason);
	snprintf(x->cmd.id, sizeof(x->cmd.id), "%s", sc->id);
	x->cmd.action = (CommandAction)action;
	x->cmd.target_kind = (TargetKind)kind;
	snprintf(x->cmd.target, sizeof(x->cmd.target), "%s", sc->target ? sc->target : "");
	x->cmd.text = x->text;
	x->cmd.reason = x->reason;
	if (sc->status && strcmp(sc->status, "unanswered") == 0 && sc->final_ms != STORE_NONE) {
		Extra *k = extra_new(c);
		if (k == NULL)
			return 1;
		k->kind = EXTRA_TICK;
		k->t = sc->final_ms;
	}
	return 0;
}

/* qsort order of extras: by time, then as read. */
static int extra_cmp(const void *pa, const void *pb)
{
	const Extra *a = pa, *b = pb;
	if (a->t != b->t)
		return (a->t > b->t) - (a->t < b->t);
	return (a->order > b->order) - (a->order < b->order);
}

/* Read one event at or after id from: 1 with *id_out and *recv_out, 0 none, -1 error. */
static int probe_event(Store *st, int64_t session, int64_t from, int64_t *id_out,
                       int64_t *recv_out, bool *more)
{
	StoreIter *it = store_iter_open(st, session, from);
	if (it == NULL)
		return -1;
	StoreEvent ev;
	int rc = store_iter_step(it, &ev);
	if (rc > 0) {
		*id_out = ev.id;
		*recv_out = ev.recv_ms;
		if (more)
			*more = store_iter_step(it, &ev) > 0;
	}
	store_iter_close(it);
	return rc;
}

/* The session's first and last event times (cheap probes, not a scan). 0 or -1. */
static int open_bounds(Replay *r, int64_t count, int64_t *first_ms, int64_t *last_ms,
                       bool *any)
{
	int64_t first = 0, last, t, id;
	bool more = false;
	*any = false;
	int rc = probe_event(r->st, r->session, 0, &first, first_ms, NULL);
	if (rc <= 0)
		return rc;
	*any = true;
	/* Ids are usually contiguous: the count lands on the last event. */
	last = first;
	*last_ms = *first_ms;
	int64_t guess = first + (count > 0 ? count - 1 : 0);
	rc = probe_event(r->st, r->session, guess, &id, &t, &more);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		last = id;
		*last_ms = t;
	}
	if (rc > 0 && !more)
		return 0;
	/* Otherwise gallop and bisect for the highest id that still has an event. */
	int64_t step = count > 1 ? count : 1, hi;
	for (;;) {
		rc = probe_event(r->st, r->session, last + step, &id, &t, NULL);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			hi = last + step;
			break;
		}
		last = id;
		*last_ms = t;
		step = step < INT64_MAX / 4 ? step * 2 : step;
	}
	while (hi - last > 1) {
		int64_t mid = last + (hi - last) / 2;
		rc = probe_event(r->st, r->session, mid, &id, &t, NULL);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			hi = mid;
		} else {
			last = id;
			*last_ms = t;
			if (id >= hi)
				break;
		}
	}
	return 0;
}

/* Open session_arg of the database at db_path read-only and position at its start. */
Replay *replay_open(const char *db_path, const char *session_arg, char *err, size_t cap)
{
	char path[4096];
	if (db_path == NULL) {
		if (store_default_path(path, sizeof(path)) != 0) {
			snprintf(err, cap, "replay: cannot form the default database path (set --db)");
			return NULL;
		}
		db_path = path;
	}
	Replay *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, cap, "replay: out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	arena_init(&r->arena, ARENA_BLOCK);
	r->speed = SPEED_1X;
	r->skip_idle = true;
	r->budget = tune_budget;
	r->ck_every = tune_every;
	r->path = strdup(db_path);
	r->m = model_new();
	r->ix = interop_set_new();
	if (r->path == NULL || r->m == NULL || r->ix == NULL || vec_init(&r->items, sizeof(Item)) != 0 ||
	    vec_init(&r->marks, sizeof(MarkRec)) != 0) {
		snprintf(err, cap, "replay: out of memory");
		replay_free(r);
		return NULL;
	}
	char serr[ERR_MAX];
	r->st = store_open(db_path, STORE_READONLY, serr, sizeof(serr));
	if (r->st == NULL) {
		snprintf(err, cap, "replay: %s", serr);
		replay_free(r);
		return NULL;
	}
	r->session = store_resolve_session(r->st, session_arg);
	OpenCtx oc = {.r = r};
	if (r->session < 0 || store_session_get(r->st, r->session, open_session_cb, &oc) < 0 ||
	    store_commands(r->st, r->session, open_command_cb, &oc) < 0 || oc.oom) {
		snprintf(err, cap, "replay: %s", oc.oom ? "out of memory" : store_error(r->st));
		replay_free(r);
		return NULL;
	}
	r->nevents = oc.events > 0 ? (uint64_t)oc.events : 0;
	if (r->nextras > 1)
		qsort(r->extras, r->nextras, sizeof(*r->extras), extra_cmp);
	int64_t first_ms = 0, last_ms = 0;
	bool any = false;
	if (open_bounds(r, oc.events, &first_ms, &last_ms, &any) < 0) {
		snprintf(err, cap, "replay: %s", store_error(r->st));
		replay_free(r);
		return NULL;
	}
	if (!any)
		first_ms = last_ms = oc.started_ms;
	r->start_ms = first_ms;
	r->end_ms = last_ms;
	if (r->nextras > 0) {
		if (r->extras[0].t < r->start_ms)
			r->start_ms = r->extras[0].t;
		if (r->extras[r->nextras - 1].t > r->end_ms)
			r->end_ms = r->extras[r->nextras - 1].t;
	}
	if (r->end_ms < r->start_ms)
		r->end_ms = r->start_ms;
	r->pos_ms = r->start_ms;
	if (pthread_create(&r->th, NULL, index_main, r) != 0) {
		snprintf(err, cap, "replay: cannot start the indexer thread: %s", strerror(errno));
		replay_free(r);
		return NULL;
	}
	r->th_started = true;
	return r;
}

/* Set the checkpoint spacing and memory budget of later opens (0 keeps a value). */
void replay_tune(size_t ckpt_every, size_t budget)
{
	if (ckpt_every > 0)
		tune_every = ckpt_every;
	if (budget > 0)
		tune_budget = budget;
}

/* Stop the indexer and free everything. */
void replay_free(Replay *r)
{
	if (r == NULL)
		return;
	if (r->th_started && !r->th_joined) {
		atomic_store(&r->stop, true);
		pthread_join(r->th, NULL);
	}
	store_iter_close(r->it);
	store_close(r->st);
	model_free(r->m);
	interop_set_free(r->ix);
	ck_free_all(r);
	for (size_t i = 0; i < r->nextras; i++) {
		Extra *x = &r->extras[i];
		free(x->runtime_id);
		free(x->who);
		free(x->error);
		free(x->text);
		free(x->reason);
	}
	free(r->extras);
	for (size_t i = 0; i < r->nrtn; i++)
		free(r->rtn[i]);
	free(r->rtn);
	vec_free(&r->items);
	vec_free(&r->marks);
	arena_free(&r->arena);
	pthread_mutex_destroy(&r->mu);
	free(r->path);
	free(r);
}

/* ---- reading the state ---- */

/* The model at the current position. */
Model *replay_model(Replay *r)
{
	return r ? r->m : NULL;
}

/* The session id being replayed. */
int64_t replay_session(const Replay *r)
{
	return r->session;
}

/* True when the indexer has finished (the end is then exact). */
static bool index_done(const Replay *r)
{
	return atomic_load_explicit(&((Replay *)(uintptr_t)r)->done, memory_order_acquire);
}

/* The first position. */
int64_t replay_start_ms(const Replay *r)
{
	return r->start_ms;
}

/* The last position: the last item once indexed, the probed last event before. */
int64_t replay_end_ms(const Replay *r)
{
	if (index_done(r)) {
		size_t n = vec_len(&r->items);
		if (n > 0 && item_at(r, n - 1)->t > r->end_ms)
			return item_at(r, n - 1)->t;
	}
	return r->end_ms;
}

/* The current position. */
int64_t replay_pos_ms(const Replay *r)
{
	return r->pos_ms;
}

/* Position p as a fraction of the session. */
static double frac_of(const Replay *r, int64_t p)
{
	int64_t end = replay_end_ms(r);
	if (end <= r->start_ms)
		return p >= end ? 1.0 : 0.0;
	double f = (double)(p - r->start_ms) / (double)(end - r->start_ms);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* The position as a fraction 0..1 of the session. */
double replay_frac(const Replay *r)
{
	return frac_of(r, r->pos_ms);
}

/* ---- folding on the UI side ---- */

/* Step the UI iterator to event id (reopening it when needed): 1 and *ev, 0/-1 when absent. */
static int ui_event(Replay *r, int64_t id, StoreEvent *ev)
{
	/* Reopen rather than step over more than a few rows (after a seek, say). */
	if (r->it == NULL || r->it_last >= id || id - r->it_last > 64) {
		store_iter_close(r->it);
		r->it = store_iter_open(r->st, r->session, id);
		r->it_last = 0;
		if (r->it == NULL)
			return -1;
	}
	for (;;) {
		int rc = store_iter_step(r->it, ev);
		if (rc <= 0) {
			store_iter_close(r->it);
			r->it = NULL;
			return rc;
		}
		r->it_last = ev->id;
		if (ev->id == id)
			return 1;
		if (ev->id > id)
			return 0;   /* vanished: cannot happen in a read-only file */
	}
}

/* Apply items to the UI model up to item q (exclusive); with a deadline (ms on the monotonic
 * clock, 0 none) stop early. Returns DIRTY_* bits; sets r->err on read errors. */
static unsigned ui_fold(Replay *r, size_t q, int64_t deadline)
{
	unsigned dirty = 0;
	while (r->pos_item < q) {
		const Item *it = item_at(r, r->pos_item);
		if (it->ref > 0) {
			StoreEvent ev;
			int rc = ui_event(r, it->ref, &ev);
			if (rc < 0) {
				snprintf(r->err, sizeof(r->err), "%s", store_error(r->st));
				break;
			}
			if (rc > 0) {
				Event dec;
				ApplyInfo info;
				bool ok;
				dirty |= apply_event(r, r->m, r->ix, it->rt, &ev, &r->arena, &dec, &info,
				                     &ok);
			}
		} else {
			dirty |= apply_extra(r, r->m, &r->extras[-it->ref - 1], it->rt);
		}
		r->pos_item++;
		if (deadline && (r->pos_item & 255) == 0 && mono_ms() >= deadline)
			break;
	}
	return dirty;
}

/* True when every item at or before t is indexed. */
static bool indexed_through(const Replay *r, int64_t t)
{
	if (index_done(r))
		return true;
	size_t n = vec_len(&r->items);
	return n > 0 && item_at(r, n - 1)->t > t;
}

/* Move the UI model to hold exactly the items at or before t (all indexed). */
static unsigned seek_now(Replay *r, int64_t t)
{
	size_t n = vec_len(&r->items);
	size_t q = items_upto(r, n, t);
	unsigned dirty = DIRTY_ALL;
	pthread_mutex_lock(&r->mu);
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < r->nck; i++)
		if (r->ck[i].item <= q && (best == SIZE_MAX || r->ck[i].item >= r->ck[best].item))
			best = i;
	bool forward = r->pos_item <= q &&
	               (best == SIZE_MAX || q - r->pos_item <= q - r->ck[best].item);
	Model *c = NULL;
	InteropSet *cx = NULL;
	size_t at = 0;
	if (!forward && best != SIZE_MAX) {
		c = model_clone(r->ck[best].m);
		cx = interop_set_clone(r->ck[best].ix);
		at = r->ck[best].item;
	}
	pthread_mutex_unlock(&r->mu);
	if (!forward) {
		if (c == NULL || cx == NULL) {
			/* No checkpoint (or no memory for its clone): start over from nothing. */
			model_free(c);
			interop_set_free(cx);
			c = model_new();
			cx = interop_set_new();
			at = 0;
			if (c == NULL || cx == NULL) {
				model_free(c);
				interop_set_free(cx);
				snprintf(r->err, sizeof(r->err), "out of memory");
				return 0;
			}
		}
		model_free(r->m);
		interop_set_free(r->ix);
		r->m = c;
		r->ix = cx;
		r->pos_item = at;
	}
	ui_fold(r, q, 0);
	r->pos_ms = t;
	return dirty;
}

/* Clamp t into the session. */
static int64_t clamp_pos(const Replay *r, int64_t t)
{
	int64_t end = replay_end_ms(r);
	return t < r->start_ms ? r->start_ms : t > end ? end : t;
}

/* Go to pos_ms: 0 done, 1 waiting for the indexer, -1 on a read error. */
int replay_seek(Replay *r, int64_t pos_ms)
{
	int64_t t = clamp_pos(r, pos_ms);
	r->frac_acc = 0;
	if (!indexed_through(r, t)) {
		r->pending = true;
		r->pending_ms = t;
		return 1;
	}
	r->pending = false;
	r->err[0] = '\0';
	seek_now(r, t);
	return r->err[0] ? -1 : 0;
}

/* True while a seek waits for the indexer. */
bool replay_seeking(const Replay *r)
{
	return r->pending;
}

/* Seek by delta_ms from the current position (or from the pending target). */
int replay_seek_by(Replay *r, int64_t delta_ms)
{
	int64_t base = r->pending ? r->pending_ms : r->pos_ms;
	return replay_seek(r, base + delta_ms);
}

/* ---- playing ---- */

/* Play or pause; playing at the end restarts from the start. */
void replay_play(Replay *r, bool on)
{
	if (on && !r->pending && index_done(r) && r->pos_ms >= replay_end_ms(r) &&
	    r->pos_item >= vec_len(&r->items))
		replay_seek(r, r->start_ms);
	r->playing = on;
	r->frac_acc = 0;
}

/* True while playing. */
bool replay_playing(const Replay *r)
{
	return r->playing;
}

/* Step the speed one notch. */
void replay_speed_step(Replay *r, int dir)
{
	int s = r->speed + (dir > 0 ? 1 : dir < 0 ? -1 : 0);
	r->speed = s < 0 ? 0 : s >= SPEEDS ? SPEEDS - 1 : s;
	r->frac_acc = 0;
}

/* Set the speed from text: the nearest notch. */
int replay_set_speed(Replay *r, const char *text)
{
	if (text == NULL)
		return -1;
	if (strcmp(text, "max") == 0 || strcmp(text, "0") == 0) {
		r->speed = SPEEDS - 1;
		return 0;
	}
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || !(v > 0) || !isfinite(v) ||
	    (*end && !((*end == 'x' || *end == 'X') && end[1] == '\0')))
		return -1;
	int best = 0;
	for (int i = 1; i < SPEEDS - 1; i++)
		if (fabs(log(speed_table[i] / v)) < fabs(log(speed_table[best] / v)))
			best = i;
	r->speed = v > speed_table[SPEEDS - 2] * 1.5 ? SPEEDS - 1 : best;
	return 0;
}

/* The speed factor, or REPLAY_SPEED_MAX. */
double replay_speed(const Replay *r)
{
	return speed_table[r->speed];
}

/* Skip idle stretches (on by default). */
void replay_set_skip_idle(Replay *r, bool on)
{
	r->skip_idle = on;
}

/* True when idle stretches are skipped. */
bool replay_skip_idle(const Replay *r)
{
	return r->skip_idle;
}

/* Play at "max": as many items as fit in the time budget. */
static unsigned advance_max(Replay *r)
{
	size_t n = vec_len(&r->items);
	unsigned dirty = ui_fold(r, n, mono_ms() + MAX_BUDGET_MS);
	if (r->pos_item > 0)
		r->pos_ms = item_at(r, r->pos_item - 1)->t;
	return dirty | DIRTY_HEADER;
}

/* Play at a factor: move the position by the recorded time due, skipping idle stretches. */
static unsigned advance_timed(Replay *r, int64_t wall_ms)
{
	double due = (double)wall_ms * speed_table[r->speed] + r->frac_acc;
	int64_t left = (int64_t)floor(due);
	r->frac_acc = due - (double)left;
	int64_t deadline = mono_ms() + CATCHUP_BUDGET_MS;
	unsigned dirty = DIRTY_HEADER;
	bool done = index_done(r);
	size_t n = vec_len(&r->items);
	int64_t end = replay_end_ms(r);
	while (left > 0) {
		int64_t next = r->pos_item < n ? item_at(r, r->pos_item)->t
		                               : done ? end : (n ? item_at(r, n - 1)->t : r->pos_ms);
		if (r->skip_idle && r->pos_item < n && next - r->pos_ms > REPLAY_IDLE_MS)
			r->pos_ms = next - REPLAY_IDLE_KEEP_MS;
		int64_t step = next - r->pos_ms < left ? next - r->pos_ms : left;
		if (step < 0)
			step = 0;
		r->pos_ms += step;
		left -= step;
		size_t q = items_upto(r, n, r->pos_ms);
		dirty |= ui_fold(r, q, deadline);
		if (r->pos_item < q) {
			/* Out of time: the position waits for the model. */
			if (r->pos_item > 0)
				r->pos_ms = item_at(r, r->pos_item - 1)->t;
			break;
		}
		if (r->pos_item >= n && (!done || r->pos_ms >= end))
			break;   /* at the indexer's frontier, or at the end */
	}
	return dirty;
}

/* Let wall_elapsed_ms pass. */
unsigned replay_advance(Replay *r, int64_t wall_elapsed_ms)
{
	unsigned dirty = 0;
	if (r->pending) {
		if (!indexed_through(r, r->pending_ms))
			return DIRTY_HEADER;   /* the "indexing N%" status moves */
		r->pending = false;
		dirty |= seek_now(r, r->pending_ms);
	}
	if (r->playing && wall_elapsed_ms > 0) {
		dirty |= r->speed == SPEEDS - 1 ? advance_max(r) : advance_timed(r, wall_elapsed_ms);
	} else {
		/* Catch up with what the indexer found at the position. */
		size_t q = items_upto(r, vec_len(&r->items), r->pos_ms);
		if (q > r->pos_item)
			dirty |= ui_fold(r, q, mono_ms() + CATCHUP_BUDGET_MS);
		if (!index_done(r))
			dirty |= DIRTY_HEADER;
	}
	if (r->playing && index_done(r) && r->pos_item >= vec_len(&r->items) &&
	    (r->speed == SPEEDS - 1 || r->pos_ms >= replay_end_ms(r))) {
		r->pos_ms = replay_end_ms(r);
		r->playing = false;
		dirty |= DIRTY_HEADER;
	}
	return dirty;
}

/* ---- marks ---- */

/* Mark i. */
static const MarkRec *mark_at(const Replay *r, size_t i)
{
	return vec_at(&r->marks, i);
}

/* Seek to the next (dir > 0) or previous mark; its position or -1. */
int64_t replay_next_mark(Replay *r, int dir)
{
	size_t n = vec_len(&r->marks);
	int64_t ref = r->pending ? r->pending_ms : r->pos_ms;
	size_t lo = 0, hi = n;
	while (lo < hi) {   /* first mark with t > ref */
		size_t mid = lo + (hi - lo) / 2;
		if (mark_at(r, mid)->t <= ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t t = -1;
	if (dir > 0 && lo < n) {
		t = mark_at(r, lo)->t;
	} else if (dir < 0) {
		size_t i = lo;
		while (i > 0 && mark_at(r, i - 1)->t >= ref)
			i--;
		if (i > 0)
			t = mark_at(r, i - 1)->t;
	}
	if (t >= 0)
		replay_seek(r, t);
	return t;
}

/* Up to max marks for a position bar (merged into buckets when there are more). */
size_t replay_marks(Replay *r, double *frac, int *kind, size_t max)
{
	size_t n = vec_len(&r->marks);
	if (max == 0)
		return 0;
	if (n <= max) {
		for (size_t i = 0; i < n; i++) {
			frac[i] = frac_of(r, mark_at(r, i)->t);
			kind[i] = mark_at(r, i)->kind;
		}
		return n;
	}
	for (size_t b = 0; b < max; b++)
		kind[b] = MARK_KIND_COUNT;
	for (size_t i = 0; i < n; i++) {
		size_t b = (size_t)(frac_of(r, mark_at(r, i)->t) * (double)max);
		if (b >= max)
			b = max - 1;
		if (mark_at(r, i)->kind < kind[b])
			kind[b] = mark_at(r, i)->kind;   /* the most severe kind wins */
	}
	size_t w = 0;
	for (size_t b = 0; b < max; b++) {
		if (kind[b] == MARK_KIND_COUNT)
			continue;
		kind[w] = kind[b];
		frac[w] = ((double)b + 0.5) / (double)max;
		w++;
	}
	return w;
}

/* ---- status ---- */

/* The header's status line. */
const char *replay_status(const Replay *r, char *buf, size_t cap, bool ascii)
{
	char clock[16] = "--:--:--", speed[16];
	int64_t p = r->pending ? r->pending_ms : r->pos_ms;
	time_t secs = (time_t)(p / 1000);
	struct tm tm;
	if (localtime_r(&secs, &tm) != NULL)
		snprintf(clock, sizeof(clock), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (r->speed == SPEEDS - 1)
		snprintf(speed, sizeof(speed), "max");
	else
		snprintf(speed, sizeof(speed), "%gx", speed_table[r->speed]);
	const char *state = r->playing ? (ascii ? ">" : "\u25b6") : (ascii ? "||" : "\u23f8");
	int pct = (int)floor(frac_of(r, p) * 100.0);
	int len = snprintf(buf, cap, "REPLAY %s %s %s %d%%", clock, state, speed, pct);
	if (len < 0 || (size_t)len >= cap)
		return buf;
	if (!index_done(r)) {
		uint64_t done = atomic_load(&((Replay *)(uintptr_t)r)->indexed);
		int ipct = r->nevents ? (int)(done * 100 / r->nevents) : 0;
		len += snprintf(buf + len, cap - (size_t)len, " indexing %d%%", ipct > 99 ? 99 : ipct);
	} else if (atomic_load(&((Replay *)(uintptr_t)r)->failed)) {
		len += snprintf(buf + len, cap - (size_t)len, " index error");
	}
	if (len >= 0 && (size_t)len < cap && r->pending)
		snprintf(buf + len, cap - (size_t)len, " seeking");
	return buf;
}

/* Parse a duration "90s", "5m", "1h30m", "90" (seconds) into ms; -1 when bad. */
static int64_t parse_duration(const char *s)
{
	int64_t total = 0;
	if (*s == '\0')
		return -1;
	while (*s) {
		char *end = NULL;
		errno = 0;
		double v = strtod(s, &end);
		if (errno || end == s || !(v >= 0) || v > 1e9)
			return -1;
		double unit = 1000;
		if (*end == 'h')
			unit = 3600000, end++;
		else if (*end == 'm' && end[1] == 's')
			unit = 1, end += 2;
		else if (*end == 'm')
			unit = 60000, end++;
		else if (*end == 's')
			end++;
		else if (*end != '\0')
			return -1;
		total += (int64_t)(v * unit);
		s = end;
	}
	return total;
}

/* Parse "HH:MM" or "HH:MM:SS" (each field 1 or 2 digits, nothing else) into *h, *m, *s
 * (0 when absent). 0, or -1 when text is not such a time of day. */
static int parse_clock(const char *text, int *h, int *m, int *s)
{
	int v[3] = {0, 0, 0}, n = 0;
	const char *p = text;
	for (;;) {
		int digits = 0;
		for (; digits < 2 && *p >= '0' && *p <= '9'; digits++, p++)
			v[n] = v[n] * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		if (++n == 3 || *p != ':')
			break;
		p++;
	}
	if (*p != '\0' || n < 2)
		return -1;
	*h = v[0];
	*m = v[1];
	*s = v[2];
	return 0;
}

/* Parse a start position for --at; the position or -1. */
int64_t replay_parse_at(const Replay *r, const char *text)
{
	if (text == NULL || *text == '\0')
		return -1;
	size_t len = strlen(text);
	if (text[0] == '+') {
		int64_t d = parse_duration(text + 1);
		return d < 0 ? -1 : clamp_pos(r, r->start_ms + d);
	}
	if (text[len - 1] == '%') {
		char *end = NULL;
		double v = strtod(text, &end);
		if (end != text + len - 1 || !(v >= 0 && v <= 100))
			return -1;
		int64_t span = replay_end_ms(r) - r->start_ms;
		return clamp_pos(r, r->start_ms + (int64_t)((double)span * v / 100.0));
	}
	int h, m, s;
	if (parse_clock(text, &h, &m, &s) == 0) {
		if (h > 23 || m > 59 || s > 60)
			return -1;
		time_t secs = (time_t)(r->start_ms / 1000);
		struct tm tm;
		if (localtime_r(&secs, &tm) == NULL)
			return -1;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		time_t at = mktime(&tm);
		if (at == (time_t)-1)
			return -1;
		int64_t ms = (int64_t)at * 1000;
		if (ms < r->start_ms - 999)
			ms += 86400000;   /* the next day */
		return clamp_pos(r, ms);
	}
	return -1;
}

/* ---- waiting, counters, dump ---- */

/* Block until the indexer has read the whole session. */
int replay_wait_indexed(Replay *r)
{
	if (r->th_started && !r->th_joined) {
		pthread_join(r->th, NULL);
		r->th_joined = true;
	}
	return atomic_load(&r->failed) ? -1 : 0;
}

/* Counters. */
void replay_stats(const Replay *r, ReplayStats *out)
{
	Replay *w = (Replay *)(uintptr_t)r;
	memset(out, 0, sizeof(*out));
	out->events = r->nevents;
	out->indexed = atomic_load(&w->indexed);
	out->items = vec_len(&r->items);
	out->done = index_done(r);
	out->index_cpu_s = out->done ? r->index_cpu_s : 0;
	out->bad = atomic_load(&w->bad);
	out->marks = vec_len(&r->marks);
	pthread_mutex_lock(&w->mu);
	out->checkpoints = r->nck;
	out->ckpt_bytes = r->ck_bytes;
	out->ckpt_every = r->ck_every;
	pthread_mutex_unlock(&w->mu);
}

/* The last error ("" when none). */
const char *replay_error(const Replay *r)
{
	if (r->err[0])
		return r->err;
	if (atomic_load(&((Replay *)(uintptr_t)r)->failed))
		return r->ierr;
	return "";
}

/* Replay a whole session as fast as possible and print model_dump of the end state. */
int replay_dump(const char *db_path, const char *session_arg, FILE *out)
{
	char err[ERR_MAX];
	Replay *r = replay_open(db_path, session_arg, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "swarmtop: %s\n", err);
		return -1;
	}
	int rc = replay_wait_indexed(r);
	if (rc == 0)
		rc = replay_seek(r, replay_end_ms(r));
	char *d = rc == 0 ? model_dump(r->m) : NULL;
	if (d == NULL) {
		fprintf(stderr, "swarmtop: replay: %s\n",
		        replay_error(r)[0] ? replay_error(r) : "out of memory");
		replay_free(r);
		return -1;
	}
	fputs(d, out);
	free(d);
	replay_free(r);
	return 0;
}
