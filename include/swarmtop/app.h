/*
 * app.h: the libwebsockets context and the one loop every live front end
 * (dashboard, record, tail, ctl) runs in; one thread, no other poll().
 *
 * Owns: the lws context and vhost, the connections (one Conn per URL), the
 * model and the optional store they feed, timers (lws_sul), the 1 Hz tick
 * (model_tick, command timeouts), the store commit timer (<= 100 ms), signal
 * -> clean stop, and stdin adoption into the loop for the dashboard (fd 0's
 * fcntl flags saved and restored). Front ends listen through AppHooks.
 */
#ifndef SWARMTOP_APP_H
#define SWARMTOP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "swarmtop/cli.h"
#include "swarmtop/event.h"
#include "swarmtop/model.h"

#define APP_COMMIT_MS 100  /* store commit period while events arrive */
#define APP_TICK_MS   1000 /* model_tick, status lines */
#define APP_MAX_CONNS 256

typedef struct App App;
typedef struct Conn Conn;
typedef struct Store Store;

/* How a first connection to a runtime instance picks subscribe's since. */
typedef enum AppResume {
	APP_RESUME_STORED, /* the store's last seq for (runtime, instance), else 0: full history */
	APP_RESUME_LIVE,   /* hello's last_seq: live events only (ctl, tail); events are
	                      never stored (a partial history would corrupt resume) */
	APP_RESUME_COUNT
} AppResume;

/* What front ends (tail, ctl, record, the dashboard) hear about. Every member optional. */
typedef struct AppHooks {
	void *ud;
	/* a hello arrived on runtime rt */
	void (*hello)(void *ud, int rt, const EvHello *h);
	/* a valid message; raw is NUL-terminated, exactly as received; dup: already seen.
	 * A foreign message (AG-UI, OTLP) that maps to several events passes raw with the
	 * first of them only (NULL, 0 with the rest), so it is shown once. */
	void (*event)(void *ud, int rt, const Event *ev, const char *raw, size_t len, bool dup,
	              unsigned dirty);
	/* a rejected message (reason from proto_decode) */
	void (*reject)(void *ud, int rt, const char *reason, const char *raw, size_t len);
	/* connection state changed */
	void (*conn)(void *ud, int rt, ConnState st, const char *reason);
	/* command ci (index in model->commands) changed state */
	void (*command)(void *ud, int ci);
	/* once a second */
	void (*tick)(void *ud, int64_t now_ms);
	/* stdin is readable (after app_adopt_stdin) */
	void (*input)(void *ud);
} AppHooks;

/* Totals across connections, for status lines. */
typedef struct AppStats {
	/* queued: rows handed to the store (store_stats says how many were committed) */
	uint64_t events, queued, duplicates, rejects, oversize, binary, gaps, store_errors;
	int runtimes, connected;
} AppStats;

/* A timer in the loop. Embed it; app_timer_start arms it once. */
typedef struct AppTimer {
	lws_sorted_usec_list_t sul; /* first: the callback finds us from it */
	App *app;
	void (*fn)(App *app, void *ud);
	void *ud;
} AppTimer;

/* A loop over model m (and store st, may be NULL) with options o. NULL with err set. */
App *app_new(const CliOptions *o, Model *m, Store *st, AppResume resume, char *err, size_t cap);

/* Stop everything, restore stdin, flush and free (model and store stay the caller's). */
void app_free(App *a);

/* Install the front end's hooks. */
void app_set_hooks(App *a, const AppHooks *h);

/* Add a runtime URL and start connecting; returns its runtime index, or -1 with err. */
int app_add_url(App *a, const char *url, char *err, size_t cap);

/* Run the loop until app_quit (or SIGINT/SIGTERM when caught). Returns the quit code. */
int app_run(App *a);

/* Ask the loop to stop after this callback with exit code code. */
void app_quit(App *a, int code);

/* SIGINT/SIGTERM stop the loop cleanly (code 0). */
void app_catch_signals(App *a);

/* Arm t to call fn(a, ud) once after delay_ms; re-arming moves it. */
void app_timer_start(App *a, AppTimer *t, int64_t delay_ms, void (*fn)(App *, void *), void *ud);

/* Disarm t. */
void app_timer_stop(AppTimer *t);

/* Adopt fd 0 into the loop: hooks.input is called when it is readable. 0 or -1. */
int app_adopt_stdin(App *a);

/* Send a command to runtime rt. The id is generated ("<4 base36>-<n>"), the command
 * recorded in the model (and the store's audit table). Returns its command index,
 * or -1 when refused locally (err says why; recorded as CMD_REFUSED when possible). */
int app_command(App *a, int rt, CommandAction action, TargetKind kind, const char *target,
                const char *text, const char *reason, char *err, size_t cap);

/* app_command on behalf of who (e.g. "budget:NAME" for automatic commands; NULL: the
 * operator, app_who), recorded as such in the model and the audit trail. */
int app_command_as(App *a, int rt, CommandAction action, TargetKind kind, const char *target,
                   const char *text, const char *reason, const char *who, char *err, size_t cap);

/* Store rows of this loop belong to session (store_session_begin's id). */
void app_set_session(App *a, int64_t session);

/* "user@host" of the operator, for the audit trail. */
const char *app_who(App *a);

/* Milliseconds since the Unix epoch (wall clock). */
int64_t app_now_ms(void);

/* Accessors. */
Model *app_model(App *a);
Store *app_store(App *a);
const CliOptions *app_options(App *a);
AppResume app_resume(App *a);
struct lws_context *app_lws(App *a);
struct lws_vhost *app_vhost(App *a);
size_t app_nconns(App *a);
Conn *app_conn(App *a, size_t i);
void app_stats(App *a, AppStats *out);

/* ---- called by conn.c: persistence and notification ---- */

/* Last stored seq for (runtime id, instance), or -1 when unknown / no store. */
int64_t app_stored_seq(App *a, const char *runtime_id, const char *instance);

/* A hello arrived on connection c. */
void app_on_hello(App *a, Conn *c, const EvHello *h);

/* A valid message (dup: seen before; not stored). raw is NUL-terminated. */
void app_on_event(App *a, Conn *c, const Event *ev, const char *raw, size_t len, bool dup,
                  unsigned dirty, int64_t now_ms);

/* Events mapped from a foreign protocol (AG-UI, OTLP) for runtime rt, already applied to
 * the model: the raw message is stored once as a row (runtime_id, instance, type, seq, ts);
 * a hello among evs records the runtime (url); each event goes to the front end's hook. */
void app_on_foreign(App *a, int rt, const char *url, const char *runtime_id,
                    const char *instance, const char *type, int64_t seq, int64_t ts,
                    const char *raw, size_t len, const Event *evs, size_t n, unsigned dirty,
                    int64_t now_ms);

/* Listen for OpenTelemetry spans (POST /v1/traces, OTLP/HTTP JSON) on "HOST:PORT" in this
 * loop (app_new does it for --otlp); token (may be NULL) is the bearer token required.
 * Returns the port bound, or -1 with err set. */
int app_listen_otlp(App *a, const char *hostport, const char *token, char *err, size_t cap);

/* A rejected message. */
void app_on_reject(App *a, Conn *c, const char *reason, const char *raw, size_t len);

/* Seqs from..to of the connection's current instance are lost (why: "snapshot", "jump"). */
void app_on_gap(App *a, Conn *c, int64_t from, int64_t to, const char *why, int64_t now_ms);

/* Connection state of c changed (already in the model). */
void app_on_conn(App *a, Conn *c, ConnState st, const char *reason);

#endif
