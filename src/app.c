/*
 * app.c: the libwebsockets context and the single loop (see app.h).
 *
 * Owns: context/vhost creation (client CA, TLS init), the connections, the
 * glue from connections to the store (events exactly as received, runtimes,
 * gaps, the command audit trail), the 1 Hz tick (model_tick, unanswered
 * commands), the store commit timer (<= APP_COMMIT_MS while rows are
 * pending), signal -> clean stop through a self-pipe adopted into the loop,
 * and stdin adoption (fd 0's flags saved and restored).
 * Must not: draw, parse JSON, or print anything (front ends do, via hooks).
 */
#include "swarmtop/app.h"
#include "swarmtop/otlp.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/conn.h"
#include "swarmtop/proto.h"
#include "swarmtop/store.h"

#define APP_PENDING_MAX 1024 /* commands awaiting their final ack */
#define APP_DRAIN_MS    1000 /* at most this long to close links on quit */

struct App {
	const CliOptions *o;
	Model *m;
	Store *st;
	AppResume resume;
	int64_t session;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lws_vhost *tls_vh; /* created with the first wss:// URL, then used by every client */
	Conn *conns[APP_MAX_CONNS];
	size_t nconns;
	AppHooks hooks;
	bool quit, draining, drain_expired;
	int code;
	AppTimer tick, commit, drain;
	bool commit_armed;
	AppStats stats;
	/* stdin adoption */
	struct lws *stdin_wsi;
	int stdin_flags;
	bool stdin_saved;
	/* signals */
	int sigpipe[2];
	struct lws *sig_wsi;
	/* commands */
	char cmd_prefix[8];
	unsigned long long cmd_counter;
	char pending[APP_PENDING_MAX][64];
	size_t npending;
	char who[160];
	/* OpenTelemetry listener (--otlp), or NULL */
	OtlpServer *otlp;
};

static volatile sig_atomic_t app_sig_fd = -1;

/* Milliseconds since the Unix epoch (wall clock). */
int64_t app_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The timer trampoline: find the AppTimer from its sul and call its function. */
static void app_timer_cb(lws_sorted_usec_list_t *sul)
{
	AppTimer *t = lws_container_of(sul, AppTimer, sul);
	t->fn(t->app, t->ud);
}

/* Arm t to call fn(a, ud) once after delay_ms; re-arming moves it. */
void app_timer_start(App *a, AppTimer *t, int64_t delay_ms, void (*fn)(App *, void *), void *ud)
{
	t->app = a;
	t->fn = fn;
	t->ud = ud;
	if (delay_ms < 0)
		delay_ms = 0;
	lws_sul_schedule(a->ctx, 0, &t->sul, app_timer_cb, delay_ms * LWS_US_PER_MS);
}

/* Disarm t. */
void app_timer_stop(AppTimer *t)
{
	lws_sul_cancel(&t->sul);
}

/* Index of the command with this id in the model (newest first), or -1. */
static int app_find_command(const Model *m, const char *id)
{
	for (size_t i = m->ncommands; i-- > 0;)
		if (!strcmp(m->commands[i].id, id))
			return (int)i;
	return -1;
}

/* Forget a pending command id. */
static void app_pending_drop(App *a, const char *id)
{
	for (size_t i = 0; i < a->npending; i++) {
		if (strcmp(a->pending[i], id) != 0)
			continue;
		memmove(a->pending[i], a->pending[a->npending - 1], sizeof(a->pending[i]));
		a->npending--;
		return;
	}
}

/* True when id is one of ours still waiting for its outcome. */
static bool app_pending_has(const App *a, const char *id)
{
	for (size_t i = 0; i < a->npending; i++)
		if (!strcmp(a->pending[i], id))
			return true;
	return false;
}

/* Commit pending rows (the commit timer fired). */
static void app_commit_cb(App *a, void *ud)
{
	(void)ud;
	a->commit_armed = false;
	if (a->st && store_kick(a->st) < 0)
		a->stats.store_errors++;
}

/* Make sure a commit happens within APP_COMMIT_MS. */
static void app_commit_soon(App *a)
{
	if (a->commit_armed || !a->st)
		return;
	a->commit_armed = true;
	app_timer_start(a, &a->commit, APP_COMMIT_MS, app_commit_cb, NULL);
}

/* Write one command's current state into the audit table. */
static void app_store_command(App *a, int ci, const char *status, int64_t when)
{
	if (!a->st || ci < 0)
		return;
	const ModelCommand *mc = &a->m->commands[ci];
	const ModelRuntime *rt = mc->runtime >= 0 && (size_t)mc->runtime < a->m->nruntimes
	                                 ? &a->m->runtimes[mc->runtime]
	                                 : NULL;
	StoreCommand sc = {
	        .session = a->session,
	        .id = mc->id,
	        .runtime_id = rt && rt->id ? rt->id : NULL,
	        .target_kind = target_kind_names[mc->target_kind],
	        .target = mc->target,
	        .action = command_action_names[mc->action],
	        .text = mc->text,
	        .reason = mc->reason,
	        .who = mc->who,
	        .sent_ms = mc->sent_ms,
	        .accepted_ms = STORE_NONE,
	        .final_ms = STORE_NONE,
	        .status = status,
	        .error = mc->error,
	};
	if (!strcmp(status, "accepted"))
		sc.accepted_ms = when;
	else if (strcmp(status, "sent") != 0 && strcmp(status, "queued") != 0)
		sc.final_ms = when;
	if (store_command_put(a->st, &sc) < 0)
		a->stats.store_errors++;
	app_commit_soon(a);
}

/* Once a second: time passes in the model; unanswered commands are settled. */
static void app_tick_cb(App *a, void *ud)
{
	(void)ud;
	int64_t now = app_now_ms();
	model_tick(a->m, now);
	for (size_t i = 0; i < a->npending;) {
		int ci = app_find_command(a->m, a->pending[i]);
		if (ci < 0) {
			app_pending_drop(a, a->pending[i]);
			continue;
		}
		const ModelCommand *mc = &a->m->commands[ci];
		bool late = mc->state == CMD_UNANSWERED ||
		            (mc->state <= CMD_ACCEPTED && now - mc->sent_ms > MODEL_ACK_TIMEOUT_MS);
		if (late) {
			app_store_command(a, ci, "unanswered", now);
			app_pending_drop(a, a->pending[i]);
			if (a->hooks.command)
				a->hooks.command(a->hooks.ud, ci);
			continue;
		}
		i++;
	}
	if (a->hooks.tick)
		a->hooks.tick(a->hooks.ud, now);
	if (!a->quit)
		app_timer_start(a, &a->tick, APP_TICK_MS, app_tick_cb, NULL);
}

/* SIGINT/SIGTERM/SIGHUP: one byte into the self-pipe (async-signal-safe). */
static void app_on_signal(int sig)
{
	int fd = app_sig_fd;
	unsigned char b = (unsigned char)sig;
	if (fd >= 0) {
		ssize_t r = write(fd, &b, 1);
		(void)r;
	}
}

/* The loop's own protocol: raw file descriptors (stdin, the signal pipe), wake-ups. */
static int app_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                            size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	App *a = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	if (!a)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (wsi == a->sig_wsi) {
			unsigned char b[16];
			while (read(a->sigpipe[0], b, sizeof(b)) > 0)
				;
			app_quit(a, 0);
		} else if (wsi == a->stdin_wsi && a->hooks.input) {
			a->hooks.input(a->hooks.ud);
		}
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == a->sig_wsi)
			a->sig_wsi = NULL;
		if (wsi == a->stdin_wsi)
			a->stdin_wsi = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols app_protocols[] = {
        {.name = "swarmtop-client", .callback = conn_lws_callback, .rx_buffer_size = 65536},
        {.name = "swarmtop-app", .callback = app_lws_callback},
        {.name = NULL},
};

/* Adopt fd into the loop as a raw file under the app protocol; NULL on failure. */
static struct lws *app_adopt_fd(App *a, int fd)
{
	lws_sock_file_fd_type u;
	memset(&u, 0, sizeof(u));
	u.filefd = fd;
	struct lws *w =
	        lws_adopt_descriptor_vhost(a->vh, LWS_ADOPT_RAW_FILE_DESC, u, "swarmtop-app", NULL);
	if (w)
		lws_set_opaque_user_data(w, a);
	return w;
}

/* Fill in "user@host" for the audit trail. */
static void app_init_who(App *a)
{
	const char *user = getenv("USER");
	struct passwd *pw = NULL;
	if (!user || !*user) {
		pw = getpwuid(getuid());
		user = pw && pw->pw_name ? pw->pw_name : "unknown";
	}
	char host[128] = "localhost";
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(a->who, sizeof(a->who), "%.60s@%.90s", user, host);
}

/* A per-process random command-id prefix: 4 base36 characters. */
static void app_init_prefix(App *a)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char r[4] = {0};
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		uint64_t t = (uint64_t)app_now_ms() ^ ((uint64_t)getpid() << 20);
		memcpy(r, &t, sizeof(r));
	}
	for (int i = 0; i < 4; i++)
		a->cmd_prefix[i] = digits[r[i] % 36];
	a->cmd_prefix[4] = '\0';
}

/* A loop over model m (and store st, may be NULL) with options o. NULL with err set. */
App *app_new(const CliOptions *o, Model *m, Store *st, AppResume resume, char *err, size_t cap)
{
	App *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	a->o = o;
	a->m = m;
	a->st = st;
	a->resume = resume;
	a->sigpipe[0] = a->sigpipe[1] = -1;
	app_init_who(a);
	app_init_prefix(a);
	if (o->ca_file && access(o->ca_file, R_OK) < 0) {
		snprintf(err, cap, "--ca %.200s: %s", o->ca_file, strerror(errno));
		free(a);
		return NULL;
	}
	const char *dbg = getenv("SWARMTOP_LWS_DEBUG");
	lws_set_log_level(dbg && *dbg ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO : 0, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = app_protocols;
	/*
	 * No TLS at all until a wss:// URL is added (app_add_url creates the "tls" vhost then):
	 * OpenSSL's global init touches ~3 MB of libcrypto and loading the system CA bundle
	 * costs tens of ms. OpenSSL 3 initialises itself on first use.
	 */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.fd_limit_per_thread = 1 + APP_MAX_CONNS + 16;
	info.pt_serv_buf_size = 64 * 1024; /* one read takes ~300 events of a flood, not ~17 */
	a->ctx = lws_create_context(&info);
	if (!a->ctx) {
		snprintf(err, cap, "cannot create the libwebsockets context");
		free(a);
		return NULL;
	}
	info.options = 0;
	a->vh = lws_create_vhost(a->ctx, &info);
	if (!a->vh) {
		snprintf(err, cap, "libwebsockets cannot create its vhost");
		lws_context_destroy(a->ctx);
		free(a);
		return NULL;
	}
	app_timer_start(a, &a->tick, APP_TICK_MS, app_tick_cb, NULL);
	if (o->otlp && app_listen_otlp(a, o->otlp, o->otlp_token, err, cap) < 0) {
		app_free(a);
		return NULL;
	}
	return a;
}

/* Listen for OTLP/HTTP JSON spans on hostport (see app.h). */
int app_listen_otlp(App *a, const char *hostport, const char *token, char *err, size_t cap)
{
	if (a->otlp) {
		snprintf(err, cap, "already listening for OTLP on port %d", otlp_port(a->otlp));
		return -1;
	}
	a->otlp = otlp_listen(a, hostport, token, err, cap);
	return a->otlp ? otlp_port(a->otlp) : -1;
}

/* Install the front end's hooks. */
void app_set_hooks(App *a, const AppHooks *h)
{
	a->hooks = *h;
}

/* Store rows of this loop belong to session. */
void app_set_session(App *a, int64_t session)
{
	a->session = session;
}

/* "user@host" of the operator. */
const char *app_who(App *a)
{
	return a->who;
}

/* Create the client TLS vhost (CA bundle or --ca loaded) once; -1 with err on failure. */
static int app_tls_vhost(App *a, char *err, size_t cap)
{
	if (a->tls_vh)
		return 0;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = app_protocols;
	info.vhost_name = "tls";
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = a->o->ca_file;
	a->tls_vh = lws_create_vhost(a->ctx, &info);
	if (!a->tls_vh) {
		snprintf(err, cap, "cannot set up TLS (client context or CA file failed to load)");
		return -1;
	}
	return 0;
}

/* Add a runtime URL and start connecting; returns its runtime index, or -1 with err. */
int app_add_url(App *a, const char *url, char *err, size_t cap)
{
	if (a->nconns >= APP_MAX_CONNS) {
		snprintf(err, cap, "too many runtimes (at most %d)", APP_MAX_CONNS);
		return -1;
	}
	ConnUrl u;
	if (conn_parse_url(url, &u, err, cap) < 0)
		return -1;
	if (u.tls && app_tls_vhost(a, err, cap) < 0)
		return -1;
	int rt = model_add_runtime(a->m, url, app_now_ms());
	if (rt < 0) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	Conn *c = conn_new(a, url, rt, err, cap);
	if (!c)
		return -1;
	a->conns[a->nconns++] = c;
	a->stats.runtimes = (int)a->nconns;
	conn_start(c);
	return rt;
}

/* Ask the loop to stop after this callback with exit code code. */
void app_quit(App *a, int code)
{
	if (!a->quit)
		a->code = code;
	a->quit = true;
	lws_cancel_service(a->ctx);
}

/* SIGINT/SIGTERM/SIGHUP stop the loop cleanly (code 0). */
void app_catch_signals(App *a)
{
	if (a->sig_wsi)
		return;
	if (pipe2(a->sigpipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return;
	a->sig_wsi = app_adopt_fd(a, a->sigpipe[0]);
	if (!a->sig_wsi) {
		close(a->sigpipe[0]);
		close(a->sigpipe[1]);
		a->sigpipe[0] = a->sigpipe[1] = -1;
		return;
	}
	app_sig_fd = a->sigpipe[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* the terminal or ssh session went away */
	signal(SIGPIPE, SIG_IGN);
}

/* The drain deadline passed. */
static void app_drain_cb(App *a, void *ud)
{
	(void)ud;
	a->drain_expired = true;
}

/* True while any connection still has an open socket. */
static bool app_any_open(const App *a)
{
	for (size_t i = 0; i < a->nconns; i++)
		if (conn_is_open(a->conns[i]))
			return true;
	return false;
}

/* Run the loop until app_quit (or SIGINT/SIGTERM when caught). Returns the quit code. */
int app_run(App *a)
{
	while (!a->quit)
		if (lws_service(a->ctx, 0) < 0)
			break;
	/* Close every link politely, for at most APP_DRAIN_MS. */
	a->draining = true;
	app_timer_stop(&a->tick);
	for (size_t i = 0; i < a->nconns; i++)
		conn_close(a->conns[i]);
	app_timer_start(a, &a->drain, APP_DRAIN_MS, app_drain_cb, NULL);
	while (!a->drain_expired && app_any_open(a))
		if (lws_service(a->ctx, 0) < 0)
			break;
	app_timer_stop(&a->drain);
	if (a->st && store_flush(a->st) < 0)
		a->stats.store_errors++;
	return a->code;
}

/* Adopt fd 0 into the loop: hooks.input is called when it is readable. 0 or -1. */
int app_adopt_stdin(App *a)
{
	if (a->stdin_wsi)
		return 0;
	int fl = fcntl(0, F_GETFL);
	if (fl < 0)
		return -1;
	/* lws closes what it adopted: give it a duplicate (same open file, same flags). */
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -1;
	a->stdin_flags = fl;
	a->stdin_saved = true;
	a->stdin_wsi = app_adopt_fd(a, fd);
	if (!a->stdin_wsi) {
		close(fd);
		fcntl(0, F_SETFL, fl);
		a->stdin_saved = false;
		return -1;
	}
	return 0;
}

/* Stop everything, restore stdin, flush and free (model and store stay the caller's). */
void app_free(App *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nconns; i++)
		conn_close(a->conns[i]);
	if (a->st)
		store_flush(a->st);
	if (a->sigpipe[1] >= 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		app_sig_fd = -1;
	}
	lws_context_destroy(a->ctx);
	otlp_close(a->otlp);
	if (a->stdin_saved)
		fcntl(0, F_SETFL, a->stdin_flags);
	if (a->sigpipe[1] >= 0)
		close(a->sigpipe[1]);
	for (size_t i = 0; i < a->nconns; i++)
		conn_free(a->conns[i]);
	free(a);
}

/* Send a command to runtime rt (see app.h). */
int app_command(App *a, int rt, CommandAction action, TargetKind kind, const char *target,
                const char *text, const char *reason, char *err, size_t cap)
{
	return app_command_as(a, rt, action, kind, target, text, reason, NULL, err, cap);
}

/* app_command on behalf of who ("budget:NAME"); NULL: the operator (app_who). */
int app_command_as(App *a, int rt, CommandAction action, TargetKind kind, const char *target,
                   const char *text, const char *reason, const char *who, char *err, size_t cap)
{
	Conn *c = NULL;
	if (who == NULL)
		who = a->who;
	for (size_t i = 0; i < a->nconns; i++)
		if (conn_runtime(a->conns[i]) == rt)
			c = a->conns[i];
	if (action < 0 || action >= ACTION_COUNT) {
		snprintf(err, cap, "unknown action");
		return -1;
	}
	char id[64];
	snprintf(id, sizeof(id), "%s-%llu", a->cmd_prefix, ++a->cmd_counter);
	Command cmd;
	char perr[PROTO_ERR_MAX];
	if (proto_command_init(&cmd, id, command_action_names[action], kind, target ? target : "",
	                       perr) < 0) {
		snprintf(err, cap, "%s", perr);
		return -1;
	}
	cmd.text = text;
	cmd.reason = reason;
	int64_t now = app_now_ms();
	if (!c) {
		snprintf(err, cap, "no connection for that runtime");
		return -1;
	}
	if (a->o->read_only) {
		snprintf(err, cap, "read-only: steering is disabled");
		int ci = model_command(a->m, rt, &cmd, who, CMD_REFUSED, err, now);
		app_store_command(a, ci, "refused", now);
		return -1;
	}
	if (conn_send_command(c, &cmd, err, cap) < 0) {
		int ci = model_command(a->m, rt, &cmd, who, CMD_REFUSED, err, now);
		app_store_command(a, ci, "refused", now);
		if (a->hooks.command && ci >= 0)
			a->hooks.command(a->hooks.ud, ci);
		return -1;
	}
	int ci = model_command(a->m, rt, &cmd, who, CMD_SENT, NULL, now);
	if (a->npending < APP_PENDING_MAX)
		snprintf(a->pending[a->npending++], sizeof(a->pending[0]), "%s", id);
	app_store_command(a, ci, "sent", now);
	if (a->hooks.command && ci >= 0)
		a->hooks.command(a->hooks.ud, ci);
	return ci;
}

/* Accessors. */
Model *app_model(App *a)
{
	return a->m;
}

/* The store, or NULL. */
Store *app_store(App *a)
{
	return a->st;
}

/* The parsed command line. */
const CliOptions *app_options(App *a)
{
	return a->o;
}

/* How first connections pick since. */
AppResume app_resume(App *a)
{
	return a->resume;
}

/* The lws context. */
struct lws_context *app_lws(App *a)
{
	return a->ctx;
}

/* The lws vhost client connections bind to. */
struct lws_vhost *app_vhost(App *a)
{
	return a->tls_vh ? a->tls_vh : a->vh;
}

/* Number of connections. */
size_t app_nconns(App *a)
{
	return a->nconns;
}

/* The i-th connection. */
Conn *app_conn(App *a, size_t i)
{
	return i < a->nconns ? a->conns[i] : NULL;
}

/* Totals across connections. */
void app_stats(App *a, AppStats *out)
{
	*out = a->stats;
	out->runtimes = (int)a->nconns;
	out->connected = 0;
	out->rejects = out->oversize = out->binary = out->gaps = out->duplicates = 0;
	for (size_t i = 0; i < a->nconns; i++) {
		const ConnStats *cs = conn_stats(a->conns[i]);
		out->rejects += cs->rejects;
		out->oversize += cs->oversize;
		out->binary += cs->binary;
		out->gaps += cs->gaps;
		out->duplicates += cs->duplicates;
		if (conn_state(a->conns[i]) == CONN_CONNECTED)
			out->connected++;
	}
}

/* Last stored seq for (runtime id, instance), or -1 when unknown / no store. */
int64_t app_stored_seq(App *a, const char *runtime_id, const char *instance)
{
	if (!a->st || a->resume == APP_RESUME_LIVE)
		return -1;
	int64_t seq = 0;
	if (store_last_seq(a->st, runtime_id, instance, &seq) < 0) {
		a->stats.store_errors++;
		return -1;
	}
	return seq;
}

/* A hello arrived on connection c. */
void app_on_hello(App *a, Conn *c, const EvHello *h)
{
	if (a->st) {
		StoreRuntime r = {
		        .session = a->session,
		        .url = conn_url(c),
		        .runtime_id = h->id,
		        .instance = h->instance,
		        .name = h->name,
		        .host = h->host,
		        .seen_ms = app_now_ms(),
		};
		if (store_runtime_seen(a->st, &r) < 0)
			a->stats.store_errors++;
		app_commit_soon(a);
	}
	if (a->hooks.hello)
		a->hooks.hello(a->hooks.ud, conn_runtime(c), h);
}

/* Settle one of our commands from its ack. */
static void app_ack(App *a, const EvAck *ack, int64_t now)
{
	if (!ack->command || !app_pending_has(a, ack->command))
		return;
	int ci = app_find_command(a->m, ack->command);
	if (ci < 0)
		return;
	app_store_command(a, ci, ack_status_names[ack->status], now);
	if (ack->status != ACK_ACCEPTED)
		app_pending_drop(a, ack->command);
	if (a->hooks.command)
		a->hooks.command(a->hooks.ud, ci);
}

/* A valid message (dup: seen before; not stored). */
void app_on_event(App *a, Conn *c, const Event *ev, const char *raw, size_t len, bool dup,
                  unsigned dirty, int64_t now_ms)
{
	if (!dup) {
		a->stats.events++;
		/* Live-only loops (ctl) see a partial history: storing it would corrupt resume. */
		if (a->st && a->resume == APP_RESUME_STORED) {
			StoreEventRow row = {
			        .session = a->session,
			        .runtime_id = conn_runtime_id(c),
			        .instance = conn_instance(c),
			        .seq = ev->type == EV_HELLO ? STORE_NONE : ev->seq,
			        .ts = ev->type == EV_HELLO ? STORE_NONE : ev->ts,
			        .recv_ms = now_ms,
			        .type = ev->type_name ? ev->type_name : event_type_names[ev->type],
			        .raw = raw,
			        .raw_len = len,
			};
			int r = store_append(a->st, &row);
			if (r < 0)
				a->stats.store_errors++;
			else if (r != STORE_DUP)
				a->stats.queued++;
			app_commit_soon(a);
		}
		if (ev->type == EV_ACK)
			app_ack(a, &ev->u.ack, now_ms);
	} else {
		a->stats.duplicates++;
	}
	if (a->hooks.event)
		a->hooks.event(a->hooks.ud, conn_runtime(c), ev, raw, len, dup, dirty);
}

/* Events mapped from AG-UI / OTLP for runtime rt: stored once, raw; each to the hooks. */
void app_on_foreign(App *a, int rt, const char *url, const char *runtime_id,
                    const char *instance, const char *type, int64_t seq, int64_t ts,
                    const char *raw, size_t len, const Event *evs, size_t n, unsigned dirty,
                    int64_t now_ms)
{
	a->stats.events += n;
	for (size_t i = 0; i < n; i++) {
		if (evs[i].type != EV_HELLO)
			continue;
		if (a->st) {
			StoreRuntime r = {
			        .session = a->session,
			        .url = url,
			        .runtime_id = runtime_id,
			        .instance = instance,
			        .name = evs[i].u.hello.name,
			        .seen_ms = now_ms,
			};
			if (store_runtime_seen(a->st, &r) < 0)
				a->stats.store_errors++;
		}
		if (a->hooks.hello)
			a->hooks.hello(a->hooks.ud, rt, &evs[i].u.hello);
	}
	if (a->st && a->resume == APP_RESUME_STORED) {
		StoreEventRow row = {
		        .session = a->session,
		        .runtime_id = runtime_id,
		        .instance = instance,
		        .seq = seq,
		        .ts = ts,
		        .recv_ms = now_ms,
		        .type = type,
		        .raw = raw,
		        .raw_len = len,
		};
		int r = store_append(a->st, &row);
		if (r < 0)
			a->stats.store_errors++;
		else if (r != STORE_DUP)
			a->stats.queued++;
		app_commit_soon(a);
	}
	for (size_t i = 0; i < n && a->hooks.event; i++)
		a->hooks.event(a->hooks.ud, rt, &evs[i], i == 0 ? raw : NULL, i == 0 ? len : 0,
		               false, i + 1 == n ? dirty : 0);
}

/* A rejected message. */
void app_on_reject(App *a, Conn *c, const char *reason, const char *raw, size_t len)
{
	if (a->hooks.reject)
		a->hooks.reject(a->hooks.ud, conn_runtime(c), reason, raw, len);
}

/* Seqs from..to of the connection's current instance are lost. */
void app_on_gap(App *a, Conn *c, int64_t from, int64_t to, const char *why, int64_t now_ms)
{
	a->stats.gaps++;
	if (!a->st || a->resume != APP_RESUME_STORED)
		return;
	StoreGap g = {
	        .session = a->session,
	        .runtime_id = conn_runtime_id(c),
	        .instance = conn_instance(c),
	        .from_seq = from,
	        .to_seq = to,
	        .at_ms = now_ms,
	        .reason = why,
	};
	if (store_gap_add(a->st, &g) < 0)
		a->stats.store_errors++;
	app_commit_soon(a);
}

/* Connection state of c changed (already in the model). */
void app_on_conn(App *a, Conn *c, ConnState st, const char *reason)
{
	if (a->hooks.conn)
		a->hooks.conn(a->hooks.ud, conn_runtime(c), st, reason);
}
