/*
 * headless.c: record, tail, ctl, sessions and export (see headless.h).
 *
 * Owns: the front ends without a screen: what they print, their exit codes,
 * and the export format. Text from the wire is sanitized before it is
 * printed (sanitize.h); --json and export print the message as received,
 * except that CR/LF become spaces (one message per line; in valid JSON they
 * can only be whitespace) and, for tail --json, control characters become
 * \u00XX escapes so nothing raw reaches a terminal.
 *
 * Export format (JSON lines, in this order):
 *   1. every stored message of the session, in arrival order, exactly as received
 *      (hello messages included: they carry no seq);
 *   2. {"type":"x-command","id":..,"runtime":..,"action":..,"target_kind":..,"target":..,
 *       "text":..,"reason":..,"who":..,"sent_ms":..,"accepted_ms":..,"final_ms":..,
 *       "status":..,"error":..} per command of the audit trail, in sent order;
 *   3. {"type":"x-gap","runtime":..,"instance":..,"from_seq":..,"to_seq":..,"at_ms":..,
 *       "reason":..} per recorded gap.
 * The "x-" types are not protocol events: a reader of protocol v1 skips them.
 *
 * Must not: print the token, or any byte from the wire that sanitize_text would change
 * (outside the documented --json/export cases).
 */
#include "swarmtop/headless.h"

#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/app.h"
#include "swarmtop/conn.h"
#include "swarmtop/event.h"
#include "swarmtop/model.h"
#include "swarmtop/sanitize.h"
#include "swarmtop/store.h"

#define HL_FIELD_MAX 256 /* columns of one sanitized field in tail */
#define HL_LINE_MAX  4096

/* ---- shared helpers ---- */

/* Sanitize len bytes of s (NULL: "-") into out, at most max_cols columns. */
static const char *hl_clean(const char *s, char *out, size_t cap, int max_cols, bool ascii)
{
	if (!s)
		return "-";
	size_t n = 0;
	sanitize_text(s, strlen(s), out, cap, max_cols, ascii ? SANITIZE_ASCII : 0, &n);
	return out;
}

/* Format a millisecond wall-clock time as local "HH:MM:SS.mmm". */
static void hl_clock(int64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !localtime_r(&t, &tm)) {
		snprintf(out, cap, "--:--:--.---");
		return;
	}
	snprintf(out, cap, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ms % 1000));
}

/* Format a millisecond wall-clock time as local "YYYY-MM-DD HH:MM:SS". */
static void hl_date(int64_t ms, char *out, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms == STORE_NONE || ms <= 0 || !localtime_r(&t, &tm)) {
		snprintf(out, cap, "-");
		return;
	}
	strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Format a duration in ms as "1h02m03s" / "4m05s" / "6s". */
static void hl_duration(int64_t ms, char *out, size_t cap)
{
	if (ms < 0) {
		snprintf(out, cap, "-");
		return;
	}
	long long s = (long long)(ms / 1000);
	if (s >= 3600)
		snprintf(out, cap, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(out, cap, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, cap, "%llds", s);
}

/* Write raw JSON on one line: CR/LF become spaces; with escape, controls become \u00XX. */
static void hl_put_json(FILE *f, const char *raw, size_t len, bool escape)
{
	size_t i = 0, run = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)raw[i];
		bool c1 = escape && ch == 0xc2 && i + 1 < len &&
		          (unsigned char)raw[i + 1] >= 0x80 && (unsigned char)raw[i + 1] <= 0x9f;
		bool special =
		        ch == '\n' || ch == '\r' || c1 || (escape && (ch < 0x20 || ch == 0x7f));
		if (!special) {
			i++;
			run++;
			continue;
		}
		fwrite(raw + i - run, 1, run, f);
		run = 0;
		if (ch == '\n' || ch == '\r') {
			fputc(' ', f);
			i++;
		} else if (c1) {
			fprintf(f, "\\u%04x", (unsigned char)raw[i + 1]);
			i += 2;
		} else {
			fprintf(f, "\\u%04x", ch);
			i++;
		}
	}
	fwrite(raw + i - run, 1, run, f);
	fputc('\n', f);
}

/* Open the store for recording (STORE_ASYNC), printing why not. NULL on failure. */
static Store *hl_store_rw(const CliOptions *o)
{
	char err[512];
	if (cli_mkdir_parent(o->db) < 0) {
		cli_error("cannot create the directory for %s: %s", o->db, strerror(errno));
		return NULL;
	}
	/* SQLite's inserts and commits run on the store's writer thread. */
	Store *st = store_open(o->db, STORE_READWRITE | STORE_ASYNC, err, sizeof(err));
	if (!st)
		cli_error("cannot open the store: %s", err);
	return st;
}

/* Start a store session for this command; -1 (after printing) on failure. */
static int64_t hl_session_begin(Store *st, const CliOptions *o, App *a, const char *how)
{
	char argv[512];
	size_t n = (size_t)snprintf(argv, sizeof(argv), "%s", how);
	for (int i = 0; i < o->nargs && n < sizeof(argv); i++)
		n += (size_t)snprintf(argv + n, sizeof(argv) - n, " %s", o->args[i]);
	const char *who = app_who(a);
	const char *at = strchr(who, '@');
	char user[128];
	snprintf(user, sizeof(user), "%.*s", at ? (int)(at - who) : (int)strlen(who), who);
	StoreSessionInfo info = {
	        .started_ms = app_now_ms(),
	        .how = how,
	        .label = NULL,
	        .host = at ? at + 1 : NULL,
	        .user = user,
	        .argv = argv,
	};
	int64_t id = store_session_begin(st, &info);
	if (id < 0)
		cli_error("cannot start a session: %s", store_error(st));
	return id;
}

/* Warn loudly that certificates are not checked. */
static void hl_warn_insecure(const CliOptions *o)
{
	if (o->insecure)
		fputs("swarmtop: WARNING: --insecure: TLS certificates are NOT verified; anyone on "
		      "the path can read and forge this traffic\n",
		      stderr);
}

/* Add every URL argument (from index first); -1 after printing a usage error. */
static int hl_add_urls(App *a, const CliOptions *o, int first, int last)
{
	char err[512];
	for (int i = first; i < last; i++) {
		if (app_add_url(a, o->args[i], err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return -1;
		}
	}
	return 0;
}

/* True when every connection gave up for authentication. */
static bool hl_all_auth_failed(App *a)
{
	size_t n = app_nconns(a);
	for (size_t i = 0; i < n; i++)
		if (!conn_auth_failed(app_conn(a, i)))
			return false;
	return n > 0;
}

/* Print a connection's state change on stderr (one line, sanitized). */
static void hl_print_conn(App *a, int rt, ConnState st, const char *reason)
{
	static const char *const verbs[CONN_STATE_COUNT] = {
	        [CONN_CONNECTING] = NULL,
	        [CONN_CONNECTED] = "connected",
	        [CONN_RECONNECTING] = "disconnected",
	        [CONN_AUTH_FAILED] = "authentication failed",
	        [CONN_PROTOCOL_ERROR] = "protocol error",
	        [CONN_CLOSED] = NULL,
	        [CONN_REPLAY] = NULL,
	};
	if ((unsigned)st >= CONN_STATE_COUNT || !verbs[st])
		return;
	const Model *m = app_model(a);
	char url[256], why[300];
	hl_clean(m->runtimes[rt].url, url, sizeof(url), 200, true);
	hl_clean(reason, why, sizeof(why), 240, true);
	int64_t retry = m->runtimes[rt].retry_at_ms - app_now_ms();
	if (st == CONN_RECONNECTING)
		fprintf(stderr, "swarmtop: %s: %s%s%s; reconnecting in %.1f s\n", url, verbs[st],
		        reason ? ": " : "", reason ? why : "",
		        retry > 0 ? (double)retry / 1000 : 0.0);
	else
		fprintf(stderr, "swarmtop: %s: %s%s%s\n", url, verbs[st], reason ? ": " : "",
		        reason ? why : "");
}

/* ---- record ---- */

typedef struct Recorder {
	const CliOptions *o;
	App *app;
	Store *st;
	uint64_t last_events;
	int64_t last_ms;
	bool tty;
	bool failed;
	bool store_said;  /* the "cannot persist" line was printed (it is printed once) */
} Recorder;

/* The store failed: say why in one line, once per run (later failures are its echoes). */
static void rec_store_failed(Recorder *r, const char *why)
{
	r->failed = true;
	if (r->store_said)
		return;
	r->store_said = true;
	cli_error("cannot persist: %s", why && why[0] ? why : "store write failed");
}

/* Connection changes while recording: say so; stop when nobody can be reached. */
static void rec_on_conn(void *ud, int rt, ConnState st, const char *reason)
{
	Recorder *r = ud;
	if (r->tty)
		fputs("\r\033[K", stderr);
	hl_print_conn(r->app, rt, st, reason);
	if (st == CONN_AUTH_FAILED && hl_all_auth_failed(r->app)) {
		cli_error(
		        "no runtime accepted the token (HTTP 401 unauthorized): nothing to record");
		r->failed = true;
		app_quit(r->app, EXIT_FAIL);
	}
}

/* Once a second: the status line; stop with 1 when the store fails. */
static void rec_on_tick(void *ud, int64_t now)
{
	Recorder *r = ud;
	AppStats s;
	StoreStats ss;
	app_stats(r->app, &s);
	store_stats(r->st, &ss); /* "stored" counts committed rows, not queued ones */
	double secs = r->last_ms ? (double)(now - r->last_ms) / 1000.0 : 1.0;
	double rate = secs > 0 ? (double)(s.events - r->last_events) / secs : 0;
	r->last_events = s.events;
	r->last_ms = now;
	fprintf(stderr,
	        "%srecord: runtimes %d/%d  events/s %.0f  stored %" PRIu64 "  gaps %" PRIu64
	        "  errors %" PRIu64 "%s",
	        r->tty ? "\r\033[K" : "", s.connected, s.runtimes, rate, ss.stored, s.gaps,
	        s.rejects + s.oversize + s.binary + s.store_errors, r->tty ? "" : "\n");
	fflush(stderr);
	if (s.store_errors) {
		if (r->tty)
			fputc('\n', stderr);
		rec_store_failed(r, store_error(r->st));
		app_quit(r->app, EXIT_FAIL);
	}
}

/* A model and a loop over it (and store st, may be NULL). On failure prints why, closes st
 * and returns NULL. */
static App *hl_loop_new(const CliOptions *o, Store *st, AppResume resume, Model **mp)
{
	char err[512];
	Model *m = model_new();
	App *a = m ? app_new(o, m, st, resume, err, sizeof(err)) : NULL;
	if (a == NULL) {
		cli_error("%s", m ? err : "out of memory");
		model_free(m);
		store_close(st);
		return NULL;
	}
	*mp = m;
	return a;
}

/* Write the model's canonical dump to path (record --dump-model). 0 or -1 (reported). */
static int hl_dump_model(const Model *m, const char *path)
{
	char *dump = model_dump(m);
	FILE *f = dump ? fopen(path, "w") : NULL;
	int rc = -1;
	if (f != NULL) {
		rc = fputs(dump, f) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
	}
	if (rc < 0)
		cli_error("cannot write the model dump to %s: %s", path, dump ? strerror(errno) : "out of memory");
	free(dump);
	return rc;
}

/* swarmtop record URL... */
int headless_record(const CliOptions *o)
{
	char err[512];
	for (int i = 0; i < o->nargs; i++) {
		ConnUrl u;
		if (conn_parse_url(o->args[i], &u, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return EXIT_USAGE;
		}
	}
	Store *st = hl_store_rw(o);
	if (!st)
		return EXIT_FAIL;
	Model *m;
	App *a = hl_loop_new(o, st, APP_RESUME_STORED, &m);
	if (!a)
		return EXIT_FAIL;
	Recorder r = {.o = o, .app = a, .st = st, .tty = isatty(2)};
	int rc = EXIT_FAIL;
	int64_t session = hl_session_begin(st, o, a, "record");
	if (session < 0)
		goto out;
	app_set_session(a, session);
	AppHooks h = {.ud = &r, .conn = rec_on_conn, .tick = rec_on_tick};
	app_set_hooks(a, &h);
	app_catch_signals(a);
	hl_warn_insecure(o);
	if (hl_add_urls(a, o, 0, o->nargs) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = app_run(a);
	if (r.tty)
		fputc('\n', stderr);
	if (store_session_end(st, session, app_now_ms()) < 0 || store_flush(st) < 0) {
		rec_store_failed(&r, store_error(st));
		rc = EXIT_FAIL;
	}
	if (o->dump_model && hl_dump_model(m, o->dump_model) < 0)
		rc = EXIT_FAIL;
	/* After the flush: stored is what the events table gained; what the store had taken
	 * but could not commit (or refused after failing) is counted as not persisted. */
	AppStats s;
	StoreStats ss;
	app_stats(a, &s);
	store_stats(st, &ss);
	char lost[64] = "";
	if (r.store_said || ss.unpersisted)
		snprintf(lost, sizeof(lost), ", %" PRIu64 " not persisted", ss.unpersisted);
	fprintf(stderr,
	        "record: session %" PRId64 ": %" PRIu64 " events stored, %" PRIu64 " gaps, %" PRIu64
	        " rejected, %" PRIu64 " oversize, %" PRIu64 " binary%s\n",
	        session, ss.stored, s.gaps, s.rejects, s.oversize, s.binary, lost);
out:
	app_free(a);
	if (store_close(st) < 0 && rc == 0) {
		rec_store_failed(&r, "final commit failed");
		rc = EXIT_FAIL;
	}
	model_free(m);
	return rc;
}

/* ---- tail ---- */

typedef struct Tail {
	const CliOptions *o;
	App *app;
	char line[HL_LINE_MAX];
} Tail;

typedef void (*TailFmt)(const Event *ev, char *out, size_t cap, bool ascii);

/* Key fields of a hello. */
static void tail_hello(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvHello *h = &ev->u.hello;
	char a[HL_FIELD_MAX], b[HL_FIELD_MAX], c[HL_FIELD_MAX];
	snprintf(out, cap, "id=%s instance=%s name=%s last_seq=%lld",
	         hl_clean(h->id, a, sizeof(a), 128, ascii),
	         hl_clean(h->instance, b, sizeof(b), 128, ascii),
	         hl_clean(h->name, c, sizeof(c), 80, ascii), (long long)h->last_seq);
}

/* Key fields of an agent upsert. */
static void tail_agent(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvAgent *g = &ev->u.agent;
	char a[HL_FIELD_MAX], b[HL_FIELD_MAX];
	snprintf(out, cap, "%s%s%s name=%s", hl_clean(g->id, a, sizeof(a), 128, ascii),
	         (g->has & HAS_STATUS) ? " " : "",
	         (g->has & HAS_STATUS) ? agent_status_names[g->status] : "",
	         hl_clean(g->name, b, sizeof(b), 80, ascii));
}

/* Key fields of a task upsert. */
static void tail_task(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvTask *t = &ev->u.task;
	char a[HL_FIELD_MAX], b[HL_FIELD_MAX], c[HL_FIELD_MAX], d[HL_FIELD_MAX];
	snprintf(out, cap, "%s %s agent=%s name=%s attempt=%lld%s%s",
	         hl_clean(t->id, a, sizeof(a), 128, ascii),
	         (t->has & HAS_STATUS) ? task_status_names[t->status] : "-",
	         hl_clean(t->agent, b, sizeof(b), 128, ascii),
	         hl_clean(t->name, c, sizeof(c), 80, ascii),
	         (long long)((t->has & HAS_ATTEMPT) ? t->attempt : 0), t->error ? " error=" : "",
	         t->error ? hl_clean(t->error, d, sizeof(d), 120, ascii) : "");
}

/* Key fields of a usage delta. */
static void tail_usage(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvUsage *u = &ev->u.usage;
	char a[HL_FIELD_MAX], b[HL_FIELD_MAX];
	char cost[32] = "-";
	if (u->has & HAS_COST)
		snprintf(cost, sizeof(cost), "%.6f", u->cost_usd);
	snprintf(out, cap,
	         "agent=%s model=%s in=%lld out=%lld cache_read=%lld reasoning=%lld "
	         "cost_usd=%s",
	         hl_clean(u->agent, a, sizeof(a), 128, ascii),
	         hl_clean(u->model, b, sizeof(b), 80, ascii), (long long)u->input_tokens,
	         (long long)u->output_tokens, (long long)u->cache_read_tokens,
	         (long long)u->reasoning_tokens, cost);
}

/* Key fields of a threads sample. */
static void tail_threads(const Event *ev, char *out, size_t cap, bool ascii)
{
	(void)ascii;
	const EvThreads *t = &ev->u.threads;
	double sum = 0;
	for (size_t i = 0; i < t->ncores; i++)
		sum += t->cores[i];
	snprintf(out, cap, "cores=%zu avg=%.0f%% threads=%zu", t->ncores,
	         t->ncores ? 100.0 * sum / (double)t->ncores : 0.0, t->nthreads);
}

/* Key fields of a message. */
static void tail_message(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvMessage *g = &ev->u.message;
	char a[HL_FIELD_MAX], b[1024];
	snprintf(out, cap, "%s %s: %s", hl_clean(g->agent, a, sizeof(a), 128, ascii),
	         message_role_names[g->role], hl_clean(g->text, b, sizeof(b), 200, ascii));
}

/* Key fields of a log line. */
static void tail_log(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvLog *g = &ev->u.log;
	char a[HL_FIELD_MAX], b[1024];
	snprintf(out, cap, "%s %s: %s", log_level_names[g->level],
	         hl_clean(g->agent, a, sizeof(a), 128, ascii),
	         hl_clean(g->text, b, sizeof(b), 200, ascii));
}

/* Key fields of an ack. */
static void tail_ack(const Event *ev, char *out, size_t cap, bool ascii)
{
	const EvAck *k = &ev->u.ack;
	char a[HL_FIELD_MAX], b[HL_FIELD_MAX];
	snprintf(out, cap, "command=%s %s%s%s", hl_clean(k->command, a, sizeof(a), 64, ascii),
	         ack_status_names[k->status], k->error ? ": " : "",
	         k->error ? hl_clean(k->error, b, sizeof(b), 200, ascii) : "");
}

/* Key fields of a snapshot. */
static void tail_snapshot(const Event *ev, char *out, size_t cap, bool ascii)
{
	(void)ascii;
	const EvSnapshot *s = &ev->u.snapshot;
	snprintf(out, cap, "agents=%zu tasks=%zu usage=%zu", s->nagents, s->ntasks, s->nusage);
}

/* Key fields of an unknown type: none. */
static void tail_unknown(const Event *ev, char *out, size_t cap, bool ascii)
{
	(void)ev;
	(void)ascii;
	snprintf(out, cap, "(unknown type, skipped)");
}

static const TailFmt tail_fmts[EV_COUNT] = {
        [EV_HELLO] = tail_hello,     [EV_AGENT] = tail_agent,     [EV_TASK] = tail_task,
        [EV_USAGE] = tail_usage,     [EV_THREADS] = tail_threads, [EV_MESSAGE] = tail_message,
        [EV_LOG] = tail_log,         [EV_ACK] = tail_ack,         [EV_SNAPSHOT] = tail_snapshot,
        [EV_UNKNOWN] = tail_unknown,
};

/* The runtime's display name for a line: hello id, else the URL. */
static const char *tail_runtime(Tail *t, int rt, char *out, size_t cap)
{
	const ModelRuntime *r = &app_model(t->app)->runtimes[rt];
	return hl_clean(r->id ? r->id : r->url, out, cap, 40, t->o->ascii);
}

/* One event: a sanitized line, or the raw JSON. */
static void tail_on_event(void *ud, int rt, const Event *ev, const char *raw, size_t len, bool dup,
                          unsigned dirty)
{
	(void)dirty;
	Tail *t = ud;
	if (dup)
		return;
	if (t->o->json) {
		if (raw != NULL)   /* a foreign message mapped to several events: once */
			hl_put_json(stdout, raw, len, true);
	} else {
		char when[32], rname[HL_FIELD_MAX], type[64];
		hl_clock(ev->type == EV_HELLO ? app_now_ms() : ev->ts, when, sizeof(when));
		hl_clean(ev->type_name ? ev->type_name : event_type_names[ev->type], type,
		         sizeof(type), 24, t->o->ascii);
		t->line[0] = '\0';
		if ((unsigned)ev->type < EV_COUNT && tail_fmts[ev->type])
			tail_fmts[ev->type](ev, t->line, sizeof(t->line), t->o->ascii);
		printf("%s %s %-8s %s\n", when, tail_runtime(t, rt, rname, sizeof(rname)), type,
		       t->line);
	}
	fflush(stdout);
}

/* A rejected message: say why on stderr (sanitized), never the bytes. */
static void tail_on_reject(void *ud, int rt, const char *reason, const char *raw, size_t len)
{
	(void)raw;
	(void)len;
	Tail *t = ud;
	char rname[HL_FIELD_MAX], why[512];
	fprintf(stderr, "swarmtop: %s: rejected a message: %s\n",
	        tail_runtime(t, rt, rname, sizeof(rname)),
	        hl_clean(reason, why, sizeof(why), 300, true));
}

/* Connection changes while tailing. */
static void tail_on_conn(void *ud, int rt, ConnState st, const char *reason)
{
	Tail *t = ud;
	hl_print_conn(t->app, rt, st, reason);
	if (st == CONN_AUTH_FAILED && hl_all_auth_failed(t->app))
		app_quit(t->app, EXIT_FAIL);
}

/* swarmtop tail [--json] URL... */
int headless_tail(const CliOptions *o)
{
	char err[512];
	for (int i = 0; i < o->nargs; i++) {
		ConnUrl u;
		if (conn_parse_url(o->args[i], &u, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return EXIT_USAGE;
		}
	}
	Model *m;
	App *a = hl_loop_new(o, NULL, APP_RESUME_LIVE, &m);
	if (!a)
		return EXIT_FAIL;
	Tail *t = calloc(1, sizeof(*t));
	int rc = EXIT_FAIL;
	if (!t) {
		cli_error("out of memory");
		goto out;
	}
	t->o = o;
	t->app = a;
	AppHooks h = {
	        .ud = t, .event = tail_on_event, .reject = tail_on_reject, .conn = tail_on_conn};
	app_set_hooks(a, &h);
	app_catch_signals(a);
	hl_warn_insecure(o);
	if (hl_add_urls(a, o, 0, o->nargs) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = app_run(a);
out:
	app_free(a);
	free(t);
	model_free(m);
	return rc;
}

/* ---- ctl ---- */

#define CTL_CONNECT_MS 15000 /* no hello by then: connection error */

typedef struct Ctl {
	const CliOptions *o;
	App *app;
	CommandAction action;
	TargetKind kind;
	const char *target;
	bool sent;
	int ci;
	AppTimer deadline;
} Ctl;

/* The hello arrived: check the capability and send the command. */
static void ctl_on_hello(void *ud, int rt, const EvHello *h)
{
	Ctl *c = ud;
	if (c->sent)
		return;
	if (!(h->capabilities & CAP_BIT(c->action))) {
		char caps[128] = "";
		size_t n = 0;
		for (int i = 0; i < ACTION_COUNT && n < sizeof(caps); i++)
			if (h->capabilities & CAP_BIT(i))
				n += (size_t)snprintf(caps + n, sizeof(caps) - n, "%s%s",
				                      n ? "," : "", command_action_names[i]);
		cli_error(
		        "refused locally: the runtime does not support '%s' (its capabilities: %s)",
		        command_action_names[c->action], n ? caps : "none");
		app_quit(c->app, EXIT_FAIL);
		return;
	}
	char err[256];
	c->sent = true;
	c->ci = app_command(c->app, rt, c->action, c->kind, c->target, c->o->text, c->o->reason,
	                    err, sizeof(err));
	if (c->ci < 0) {
		char why[300];
		cli_error("refused locally: %s", hl_clean(err, why, sizeof(why), 280, true));
		app_quit(c->app, EXIT_FAIL);
		return;
	}
	printf("%s sent\n", app_model(c->app)->commands[c->ci].id);
	fflush(stdout);
}

/* An ack for our command: print it; applied -> 0, rejected -> 1. */
static void ctl_on_event(void *ud, int rt, const Event *ev, const char *raw, size_t len, bool dup,
                         unsigned dirty)
{
	(void)rt;
	(void)raw;
	(void)len;
	(void)dirty;
	Ctl *c = ud;
	if (dup || ev->type != EV_ACK || c->ci < 0 || !ev->u.ack.command)
		return;
	const Model *m = app_model(c->app);
	if ((size_t)c->ci >= m->ncommands || strcmp(ev->u.ack.command, m->commands[c->ci].id) != 0)
		return;
	const EvAck *k = &ev->u.ack;
	char why[600];
	if (k->status == ACK_REJECTED) {
		hl_clean(k->error ? k->error : "no reason given", why, sizeof(why), 500, true);
		printf("%s rejected: %s\n", k->command, why);
		fflush(stdout);
		cli_error("command rejected by the runtime: %s", why);
		app_quit(c->app, EXIT_FAIL);
		return;
	}
	printf("%s %s\n", k->command, ack_status_names[k->status]);
	fflush(stdout);
	if (k->status == ACK_APPLIED)
		app_quit(c->app, EXIT_OK_);
}

/* Our command's state changed: unanswered means failure. */
static void ctl_on_command(void *ud, int ci)
{
	Ctl *c = ud;
	const Model *m = app_model(c->app);
	if (ci != c->ci || (size_t)ci >= m->ncommands)
		return;
	if (m->commands[ci].state == CMD_UNANSWERED ||
	    (m->commands[ci].state <= CMD_ACCEPTED &&
	     app_now_ms() - m->commands[ci].sent_ms > MODEL_ACK_TIMEOUT_MS)) {
		printf("%s unanswered\n", m->commands[ci].id);
		fflush(stdout);
		cli_error("no applied/rejected ack after %d s: the command's outcome is unknown",
		          MODEL_ACK_TIMEOUT_MS / 1000);
		app_quit(c->app, EXIT_FAIL);
	}
}

/* Connection trouble before the command went out is a connection error (2). */
static void ctl_on_conn(void *ud, int rt, ConnState st, const char *reason)
{
	Ctl *c = ud;
	if (st == CONN_AUTH_FAILED) {
		char why[300];
		cli_error("%s: authentication failed: %s", app_model(c->app)->runtimes[rt].url,
		          hl_clean(reason ? reason : "HTTP 401 unauthorized", why, sizeof(why), 280,
		                   true));
		app_quit(c->app, EXIT_USAGE);
	} else if (!c->sent && (st == CONN_RECONNECTING || st == CONN_PROTOCOL_ERROR)) {
		char why[300];
		char url[256];
		cli_error(
		        "cannot connect to %s: %s",
		        hl_clean(app_model(c->app)->runtimes[rt].url, url, sizeof(url), 200, true),
		        hl_clean(reason ? reason : "connection failed", why, sizeof(why), 280,
		                 true));
		app_quit(c->app, EXIT_USAGE);
	}
}

/* No hello in time: a connection error. */
static void ctl_deadline(App *a, void *ud)
{
	Ctl *c = ud;
	if (!c->sent) {
		cli_error("no hello from the runtime within %d s", CTL_CONNECT_MS / 1000);
		app_quit(a, EXIT_USAGE);
	}
}

/* swarmtop ctl URL ACTION [--agent ID|--task ID] [--text T] [--reason R] */
int headless_ctl(const CliOptions *o)
{
	char err[512];
	ConnUrl u;
	if (conn_parse_url(o->args[0], &u, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return EXIT_USAGE;
	}
	int act = event_name_lookup(command_action_names, ACTION_COUNT, o->args[1]);
	if (act < 0) {
		cli_error("ctl: unknown action '%.40s' (pause, resume, retry, cancel, inject)",
		          o->args[1]);
		return EXIT_USAGE;
	}
	Ctl c = {.o = o, .action = (CommandAction)act, .ci = -1};
	c.kind = o->agent ? TARGET_AGENT : o->task ? TARGET_TASK : TARGET_RUNTIME;
	c.target = o->agent ? o->agent : o->task;
	if (act == ACTION_INJECT && (!o->text || c.kind != TARGET_AGENT)) {
		cli_error("ctl inject needs --agent ID and --text T");
		return EXIT_USAGE;
	}
	if (act != ACTION_INJECT && o->text) {
		cli_error("ctl: --text only goes with inject");
		return EXIT_USAGE;
	}
	if (act == ACTION_RETRY && c.kind != TARGET_TASK) {
		cli_error("ctl retry needs --task ID");
		return EXIT_USAGE;
	}
	/* The audit trail goes to the store when it can be opened; ctl works without it. */
	Store *st = NULL;
	if (cli_mkdir_parent(o->db) == 0)
		st = store_open(o->db, STORE_READWRITE, err, sizeof(err));
	if (!st && o->db_given) {
		cli_error("cannot open the store: %s", err);
		return EXIT_FAIL;
	}
	Model *m;
	App *a = hl_loop_new(o, st, APP_RESUME_LIVE, &m);
	if (!a)
		return EXIT_USAGE;
	c.app = a;
	int rc = EXIT_USAGE;
	if (st) {
		int64_t session = hl_session_begin(st, o, a, "ctl");
		if (session > 0)
			app_set_session(a, session);
	}
	AppHooks h = {.ud = &c,
	              .hello = ctl_on_hello,
	              .event = ctl_on_event,
	              .command = ctl_on_command,
	              .conn = ctl_on_conn};
	app_set_hooks(a, &h);
	app_catch_signals(a);
	hl_warn_insecure(o);
	if (hl_add_urls(a, o, 0, 1) < 0)
		goto out;
	app_timer_start(a, &c.deadline, CTL_CONNECT_MS, ctl_deadline, &c);
	rc = app_run(a);
	app_timer_stop(&c.deadline);
out:
	app_free(a);
	if (st) {
		store_flush(st);
		store_close(st);
	}
	model_free(m);
	return rc;
}

/* ---- sessions ---- */

/* Open the store read-only for listing/exporting. NULL (after printing) on failure;
 * *missing is set when the file simply does not exist yet. */
static Store *hl_store_ro(const CliOptions *o, bool *missing)
{
	struct stat sb;
	*missing = false;
	if (stat(o->db, &sb) < 0 && errno == ENOENT) {
		*missing = true;
		return NULL;
	}
	char err[512];
	Store *st = store_open(o->db, STORE_READONLY, err, sizeof(err));
	if (!st)
		cli_error("cannot open the store: %s", err);
	return st;
}

/* Print one session row. */
static int sessions_row(void *ud, const StoreSession *s)
{
	const CliOptions *o = ud;
	char started[32], dur[32], how[32], label[128];
	hl_date(s->started_ms, started, sizeof(started));
	if (s->ended_ms == STORE_NONE)
		snprintf(dur, sizeof(dur), "running?");
	else
		hl_duration(s->ended_ms - s->started_ms, dur, sizeof(dur));
	hl_clean(s->how ? s->how : "-", how, sizeof(how), 10, true);
	hl_clean(s->label ? s->label : "", label, sizeof(label), 60, o->ascii);
	printf("%6" PRId64 "  %-19s  %9s  %-8s  %8" PRId64 "  %10" PRId64 "  %s\n", s->id, started,
	       dur, how, s->runtimes, s->events, label);
	return 0;
}

/* swarmtop sessions */
int headless_sessions(const CliOptions *o)
{
	bool missing;
	Store *st = hl_store_ro(o, &missing);
	if (!st) {
		if (!missing)
			return EXIT_FAIL;
		fprintf(stderr, "swarmtop: no sessions recorded yet (%s does not exist)\n", o->db);
		return EXIT_OK_;
	}
	printf("%6s  %-19s  %9s  %-8s  %8s  %10s  %s\n", "ID", "STARTED", "DURATION", "HOW",
	       "RUNTIMES", "EVENTS", "LABEL");
	int rc = EXIT_OK_;
	if (store_sessions(st, sessions_row, (void *)(uintptr_t)o) < 0) {
		cli_error("cannot list sessions: %s", store_error(st));
		rc = EXIT_FAIL;
	}
	store_close(st);
	return rc;
}

/* ---- export ---- */

/* Add a string member, or null when s is NULL. */
static void hl_json_str(cJSON *o, const char *k, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, k, s);
	else
		cJSON_AddNullToObject(o, k);
}

/* Add an integer member (exact up to 2^53), or null when STORE_NONE. */
static void hl_json_int(cJSON *o, const char *k, int64_t v)
{
	if (v == STORE_NONE)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

/* Print a cJSON object on one line and free it. -1 when out of memory. */
static int hl_json_print(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return -1;
	puts(s);
	cJSON_free(s);
	return 0;
}

/* One x-command line. */
static int export_command(void *ud, const StoreCommand *c)
{
	(void)ud;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -1;
	cJSON_AddStringToObject(o, "type", "x-command");
	hl_json_str(o, "id", c->id);
	hl_json_str(o, "runtime", c->runtime_id);
	hl_json_str(o, "action", c->action);
	hl_json_str(o, "target_kind", c->target_kind);
	hl_json_str(o, "target", c->target);
	hl_json_str(o, "text", c->text);
	hl_json_str(o, "reason", c->reason);
	hl_json_str(o, "who", c->who);
	hl_json_int(o, "sent_ms", c->sent_ms);
	hl_json_int(o, "accepted_ms", c->accepted_ms);
	hl_json_int(o, "final_ms", c->final_ms);
	hl_json_str(o, "status", c->status);
	hl_json_str(o, "error", c->error);
	return hl_json_print(o);
}

/* One x-gap line. */
static int export_gap(void *ud, const StoreGap *g)
{
	(void)ud;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -1;
	cJSON_AddStringToObject(o, "type", "x-gap");
	hl_json_str(o, "runtime", g->runtime_id);
	hl_json_str(o, "instance", g->instance);
	hl_json_int(o, "from_seq", g->from_seq);
	hl_json_int(o, "to_seq", g->to_seq);
	hl_json_int(o, "at_ms", g->at_ms);
	hl_json_str(o, "reason", g->reason);
	return hl_json_print(o);
}

/* swarmtop export SESSION [--format jsonl] */
int headless_export(const CliOptions *o)
{
	bool missing;
	Store *st = hl_store_ro(o, &missing);
	if (!st) {
		if (missing)
			cli_error("no sessions recorded yet (%s does not exist)", o->db);
		return EXIT_FAIL;
	}
	int rc = EXIT_OK_;
	int64_t session = store_resolve_session(st, o->args[0]);
	StoreIter *it = NULL;
	if (session <= 0) {
		char arg[64];
		cli_error("no session '%s': %s", hl_clean(o->args[0], arg, sizeof(arg), 40, true),
		          store_error(st));
		rc = EXIT_FAIL;
		goto out;
	}
	it = store_iter_open(st, session, 0);
	if (!it) {
		cli_error("cannot read session %" PRId64 ": %s", session, store_error(st));
		rc = EXIT_FAIL;
		goto out;
	}
	StoreEvent ev;
	int r;
	while ((r = store_iter_step(it, &ev)) > 0)
		hl_put_json(stdout, ev.raw, ev.raw_len, false);
	if (r < 0 || store_commands(st, session, export_command, NULL) < 0 ||
	    store_gaps(st, session, export_gap, NULL) < 0) {
		cli_error("cannot read session %" PRId64 ": %s", session, store_error(st));
		rc = EXIT_FAIL;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the export: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	store_iter_close(it);
	store_close(st);
	return rc;
}
