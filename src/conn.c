/*
 * conn.c: one WebSocket client connection per runtime URL (see conn.h).
 *
 * Owns: URL parsing, connecting (TLS verification on unless --insecure; a refused
 * certificate's reason in words, from OpenSSL's verify error), the Authorization
 * header, feeding received fragments to the reassembler (wsmsg.c: 1009 when over
 * the cap, binary -> 1003), the hello -> subscribe(since) handshake, per-instance
 * seq tracking (duplicates dropped, gaps reported), the command queue, reconnect
 * with exponential backoff + jitter, and the connection state in the model.
 * Must not: log, store or show the token; touch SQLite (app.c does); block.
 */
#include "swarmtop/conn.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "swarmtop/agui.h"
#include "swarmtop/app.h"
#include "swarmtop/arena.h"
#include "swarmtop/interop.h"
#include "swarmtop/proto.h"
#include "swarmtop/wsmsg.h"

#define CONN_REASON_MAX   256
#define CONN_CMD_JSON_MAX (EVENT_TEXT_MAX * 2 + 1024)

typedef struct ConnMsg {
	unsigned char *buf; /* LWS_PRE bytes of headroom, then len bytes */
	size_t len;
} ConnMsg;

struct Conn {
	App *app;
	char *url;
	ConnUrl u;
	char host_hdr[CONN_HOST_MAX + 16];
	int rt;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_retry;
	bool sul_armed;
	ConnState state;
	char reason[CONN_REASON_MAX];
	char fail[CONN_REASON_MAX]; /* why this connection is being closed by us / the peer */
	ConnState fail_state;       /* state to report once it is closed */
	bool attempt_live;          /* a connect is in flight or open */
	bool auth_failed;
	bool closing;   /* closed for good: no reconnect */
	bool close_now; /* close at the next writeable */
	int close_code; /* with this code (0: 4000 or 1000) */
	bool hello_seen;
	bool agui;
	bool subscribe_pending;
	unsigned attempt;
	/* why the server's certificate was refused in this attempt (OpenSSL's verify error) */
	int tls_err;          /* X509_V_ERR_*, 0: none */
	int tls_depth;        /* 0: the server's own certificate, 1+: a CA above it */
	char tls_detail[160]; /* the date it expired, or the names it is for */
	Wsmsg rx;             /* reassembly of received fragments under --max-message */
	Arena arena;
	/* resume */
	bool have_instance;
	char runtime_id[EVENT_ID_MAX + 1];
	char instance[EVENT_ID_MAX + 1];
	int64_t last_seq;
	int64_t agui_seq;
	AguiState *agui_state; /* the AG-UI mapper of the current connection, or NULL */
	unsigned caps;
	/* outgoing commands */
	ConnMsg queue[CONN_QUEUE_MAX];
	size_t qhead, qlen;
	ConnStats st;
};

static const lws_retry_bo_t conn_idle_policy = {
        .secs_since_valid_ping = 10,
        .secs_since_valid_hangup = 30,
};

/* Exponential backoff with jitter: the delay before attempt n (0-based), given a
 * random 32-bit value. Between CONN_BACKOFF_MIN_MS*3/4 and CONN_BACKOFF_MAX_MS. */
int64_t conn_backoff_ms(unsigned attempt, uint32_t rnd)
{
	int64_t d = CONN_BACKOFF_MIN_MS;
	for (unsigned i = 0; i < attempt && d < CONN_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > CONN_BACKOFF_MAX_MS)
		d = CONN_BACKOFF_MAX_MS;
	return d - (int64_t)(rnd % (uint32_t)(d / 4 + 1));
}

/* A random 32-bit value from the kernel (jitter only: quality is not critical). */
static uint32_t conn_random(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)app_now_ms() * 2654435761u;
	return r;
}

/* Copy at most cap-1 printable ASCII bytes of s into out (other bytes become '?'). */
static void conn_clean(char *out, size_t cap, const char *s, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n && s[i] && j + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (cap)
		out[j] = '\0';
}

/* Parse ws://host[:port][/path] or wss://...; 0, or -1 with err set. */
int conn_parse_url(const char *url, ConnUrl *o, char *err, size_t cap)
{
	memset(o, 0, sizeof(*o));
	char shown[208]; /* the URL as quoted in errors: printable ASCII only */
	conn_clean(shown, sizeof(shown), url, strlen(url));
	const char *p;
	if (!strncasecmp(url, "ws://", 5)) {
		p = url + 5;
	} else if (!strncasecmp(url, "wss://", 6)) {
		p = url + 6;
		o->tls = true;
	} else {
		snprintf(err, cap, "'%s' is not a ws:// or wss:// URL", shown);
		return -1;
	}
	const char *hs = p, *he;
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he) {
			snprintf(err, cap, "'%s': unterminated [IPv6] host", shown);
			return -1;
		}
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	size_t hl = (size_t)(he - hs);
	if (hl == 0 || hl >= sizeof(o->host)) {
		snprintf(err, cap, "'%s': missing or too long host", shown);
		return -1;
	}
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = (unsigned char)hs[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '@') {
			snprintf(err, cap, "'%s': bad character in host", shown);
			return -1;
		}
	}
	memcpy(o->host, hs, hl);
	o->port = CONN_DEFAULT_PORT;
	if (*p == ':') {
		p++;
		long port = 0;
		int nd = 0;
		while (isdigit((unsigned char)*p) && nd < 6)
			port = port * 10 + (*p++ - '0'), nd++;
		if (nd == 0 || port < 1 || port > 65535 || (*p && *p != '/' && *p != '?')) {
			snprintf(err, cap, "'%s': bad port", shown);
			return -1;
		}
		o->port = (int)port;
	}
	if (*p == '#' || (*p && *p != '/' && *p != '?')) {
		snprintf(err, cap, "'%s': bad URL after the host", shown);
		return -1;
	}
	if (!*p) {
		snprintf(o->path, sizeof(o->path), "%s", CONN_DEFAULT_PATH);
	} else {
		size_t pl = strcspn(p, "#");
		if (pl + 2 >= sizeof(o->path)) {
			snprintf(err, cap, "'%s': path too long", shown);
			return -1;
		}
		for (size_t i = 0; i < pl; i++) {
			unsigned char ch = (unsigned char)p[i];
			if (ch <= 0x20 || ch >= 0x7f) {
				snprintf(err, cap, "'%s': bad character in path", shown);
				return -1;
			}
		}
		size_t off = 0;
		if (*p == '?')
			o->path[off++] = '/';
		memcpy(o->path + off, p, pl);
		o->path[off + pl] = '\0';
	}
	return 0;
}

/* Record a state change in the conn, the model and the front end. */
static void conn_set_state(Conn *c, ConnState st, const char *reason, int64_t retry_at_ms)
{
	c->state = st;
	if (reason)
		conn_clean(c->reason, sizeof(c->reason), reason, strlen(reason));
	else
		c->reason[0] = '\0';
	model_set_conn(app_model(c->app), c->rt, st, reason ? c->reason : NULL, retry_at_ms,
	               app_now_ms());
	app_on_conn(c->app, c, st, reason ? c->reason : NULL);
}

static void conn_connect(Conn *c);

/* The reconnect timer fired. */
static void conn_retry_cb(lws_sorted_usec_list_t *sul)
{
	Conn *c = lws_container_of(sul, Conn, sul_retry);
	c->sul_armed = false;
	if (!c->closing)
		conn_connect(c);
}

/* Plan the next attempt after a failure; state st with reason (RECONNECTING or an error). */
static void conn_schedule_retry(Conn *c, ConnState st, const char *reason)
{
	if (c->closing)
		return;
	int64_t d = conn_backoff_ms(c->attempt, conn_random());
	if (c->attempt < 32)
		c->attempt++;
	int64_t now = app_now_ms();
	char why[CONN_REASON_MAX + 32];
	snprintf(why, sizeof(why), "%s", reason ? reason : "connection closed");
	conn_set_state(c, st, why, now + d);
	lws_sul_schedule(app_lws(c->app), 0, &c->sul_retry, conn_retry_cb, d * LWS_US_PER_MS);
	c->sul_armed = true;
}

/* Start one connection attempt. */
static void conn_connect(Conn *c)
{
	const CliOptions *o = app_options(c->app);
	struct lws_client_connect_info i;
	memset(&i, 0, sizeof(i));
	i.context = app_lws(c->app);
	i.vhost = app_vhost(c->app);
	i.address = c->u.host;
	i.port = c->u.port;
	i.path = c->u.path;
	i.host = c->host_hdr;
	i.origin = c->host_hdr;
	i.protocol = CONN_SUBPROTOCOL;
	i.local_protocol_name = "swarmtop-client";
	i.ietf_version_or_minus_one = -1;
	i.opaque_user_data = c;
	i.retry_and_idle_policy = &conn_idle_policy;
	i.pwsi = &c->wsi;
	if (c->u.tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (o->insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
			                    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			                    LCCSCF_ALLOW_EXPIRED;
	}
	c->st.connects++;
	c->hello_seen = false;
	c->agui = false;
	c->subscribe_pending = false;
	c->close_now = false;
	c->close_code = 0;
	c->fail[0] = '\0';
	c->fail_state = CONN_RECONNECTING;
	c->tls_err = 0;
	c->tls_detail[0] = '\0';
	wsmsg_reset(&c->rx);
	c->attempt_live = true;
	conn_set_state(c, CONN_CONNECTING, NULL, 0);
	if (!lws_client_connect_via_info(&i) && c->attempt_live) {
		c->attempt_live = false;
		c->wsi = NULL;
		conn_schedule_retry(c, CONN_RECONNECTING, "could not start the connection");
	}
}

/* A connection for url, reporting into model runtime rt. NULL with err set. */
Conn *conn_new(App *app, const char *url, int rt, char *err, size_t cap)
{
	Conn *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	if (conn_parse_url(url, &c->u, err, cap) < 0) {
		free(c);
		return NULL;
	}
	c->url = strdup(url);
	if (!c->url) {
		free(c);
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	if (strchr(c->u.host, ':'))
		snprintf(c->host_hdr, sizeof(c->host_hdr), "[%s]:%d", c->u.host, c->u.port);
	else
		snprintf(c->host_hdr, sizeof(c->host_hdr), "%s:%d", c->u.host, c->u.port);
	c->app = app;
	c->rt = rt;
	wsmsg_init(&c->rx, app_options(app)->max_message);
	arena_init(&c->arena, (size_t)64 * 1024);
	c->state = CONN_CONNECTING;
	return c;
}

/* Drop every queued command. */
static void conn_queue_clear(Conn *c)
{
	while (c->qlen) {
		free(c->queue[c->qhead].buf);
		c->queue[c->qhead].buf = NULL;
		c->qhead = (c->qhead + 1) % CONN_QUEUE_MAX;
		c->qlen--;
	}
}

/* Close (if open) and free. */
void conn_free(Conn *c)
{
	if (!c)
		return;
	c->closing = true;
	lws_sul_cancel(&c->sul_retry);
	if (c->wsi)
		lws_set_opaque_user_data(c->wsi, NULL);
	conn_queue_clear(c);
	wsmsg_free(&c->rx);
	arena_free(&c->arena);
	agui_free(c->agui_state);
	free(c->url);
	free(c);
}

/* Start connecting (now). */
void conn_start(Conn *c)
{
	conn_connect(c);
}

/* Close for good (no reconnect): used on shutdown. */
void conn_close(Conn *c)
{
	c->closing = true;
	lws_sul_cancel(&c->sul_retry);
	c->sul_armed = false;
	if (c->wsi) {
		c->close_now = true;
		lws_callback_on_writable(c->wsi);
	} else if (c->state != CONN_AUTH_FAILED) {
		conn_set_state(c, CONN_CLOSED, NULL, 0);
	}
}

/* Queue one encoded message (copied with LWS_PRE headroom). 0 or -1. */
static int conn_enqueue(Conn *c, const char *json, size_t n)
{
	if (c->qlen >= CONN_QUEUE_MAX)
		return -1;
	unsigned char *b = malloc(LWS_PRE + n);
	if (!b)
		return -1;
	memcpy(b + LWS_PRE, json, n);
	size_t at = (c->qhead + c->qlen) % CONN_QUEUE_MAX;
	c->queue[at].buf = b;
	c->queue[at].len = n;
	c->qlen++;
	if (c->wsi && c->hello_seen)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* Queue a command (its id already set). Refused locally when the runtime's
 * hello did not list the action or the queue is full: returns -1 with err set. */
int conn_send_command(Conn *c, const Command *cmd, char *err, size_t cap)
{
	if (c->auth_failed || c->closing) {
		snprintf(err, cap, "not connected (%s)", c->auth_failed ? "auth failed" : "closed");
		return -1;
	}
	if (c->agui) {
		snprintf(err, cap, "this runtime speaks AG-UI: it cannot be steered");
		return -1;
	}
	if (c->hello_seen && !(c->caps & CAP_BIT(cmd->action))) {
		snprintf(err, cap, "the runtime does not support '%s' (not in its capabilities)",
		         command_action_names[cmd->action]);
		return -1;
	}
	char *json = malloc(CONN_CMD_JSON_MAX);
	if (!json) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	int n = proto_encode_command(cmd, json, CONN_CMD_JSON_MAX);
	int rc = -1;
	if (n < 0)
		snprintf(err, cap, "command too large to encode");
	else if (conn_enqueue(c, json, (size_t)n) < 0)
		snprintf(err, cap, "too many commands waiting to be sent");
	else
		rc = 0;
	free(json);
	if (rc == 0)
		c->st.commands++;
	return rc;
}

/* Accessors. */
int conn_runtime(const Conn *c)
{
	return c->rt;
}

/* The URL this connection was made for. */
const char *conn_url(const Conn *c)
{
	return c->url;
}

/* The connection state. */
ConnState conn_state(const Conn *c)
{
	return c->state;
}

/* The counters. */
const ConnStats *conn_stats(const Conn *c)
{
	return &c->st;
}

/* True once the current connection's hello arrived. */
bool conn_hello_seen(const Conn *c)
{
	return c->hello_seen;
}

/* True while a WebSocket is open (or opening). */
bool conn_is_open(const Conn *c)
{
	return c->wsi != NULL || c->attempt_live;
}

/* The runtime id of the current/last hello ("" before any). */
const char *conn_runtime_id(const Conn *c)
{
	return c->runtime_id;
}

/* The instance of the current/last hello ("" before any). */
const char *conn_instance(const Conn *c)
{
	return c->instance;
}

/* The AG-UI mapper of the connection, or NULL. */
const AguiState *conn_agui_state(const Conn *c)
{
	return c->agui ? c->agui_state : NULL;
}

/* True when the connection was refused for authentication (no more retries). */
bool conn_auth_failed(const Conn *c)
{
	return c->auth_failed;
}

/* Why the connection last failed, or "". */
const char *conn_reason(const Conn *c)
{
	return c->reason;
}

/* Mark the current connection as failing (closed by us) with a state and a reason. */
static void conn_fail(Conn *c, ConnState st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void conn_fail(Conn *c, ConnState st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[CONN_REASON_MAX];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	conn_clean(c->fail, sizeof(c->fail), tmp, strlen(tmp));
	c->fail_state = st;
	if (st == CONN_PROTOCOL_ERROR)
		conn_set_state(c, st, c->fail, 0);
}

/* Close the connection from inside a callback with code and reason; returns -1 for lws. */
static int conn_close_with(Conn *c, struct lws *wsi, enum lws_close_status code)
{
	lws_close_reason(wsi, code, (unsigned char *)c->fail, strlen(c->fail));
	return -1;
}

/* Stop accepting data and close with code at the next writeable (returning -1 in the
 * middle of a long frame is not safe in lws 4.1). Frees the reassembly buffer. */
static int conn_abort(Conn *c, struct lws *wsi, int code)
{
	wsmsg_free(&c->rx);
	c->close_code = code;
	c->close_now = true;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The first message of the connection was a hello: resume with subscribe. */
static void conn_hello(Conn *c, const Event *ev, const char *raw, size_t len, int64_t now)
{
	const EvHello *h = &ev->u.hello;
	Model *m = app_model(c->app);
	ApplyInfo ai;
	memset(&ai, 0, sizeof(ai));
	unsigned dirty = model_apply(m, c->rt, ev, now, &ai);
	bool same = c->have_instance && !strcmp(c->runtime_id, h->id) &&
	            !strcmp(c->instance, h->instance);
	if (!same) {
		int64_t since = app_stored_seq(c->app, h->id, h->instance);
		if (since < 0)
			since = app_resume(c->app) == APP_RESUME_LIVE ? h->last_seq : 0;
		if (since < 0)
			since = 0;
		snprintf(c->runtime_id, sizeof(c->runtime_id), "%s", h->id);
		snprintf(c->instance, sizeof(c->instance), "%s", h->instance);
		c->have_instance = true;
		c->last_seq = since;
		/* The model starts from what we already hold (stored by an earlier run, or
		 * skipped on purpose for live-only loops): without this it would announce the
		 * seqs 1..since as lost. */
		model_resume_from(m, c->rt, since);
	}
	c->hello_seen = true;
	c->caps = h->capabilities;
	c->subscribe_pending = true;
	c->attempt = 0;
	c->st.hellos++;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	conn_set_state(c, CONN_CONNECTED, NULL, 0);
	app_on_hello(c->app, c, h);
	app_on_event(c->app, c, ev, raw, len, false, dirty, now);
}

/* This connection speaks AG-UI: a fresh instance (its stream cannot resume) and mapper.
 * The runtime id is the URL's host:port/path. 0, or -1 when out of memory. */
static int conn_agui_begin(Conn *c, int64_t now)
{
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)now;
	snprintf(c->runtime_id, sizeof(c->runtime_id), "%.60s:%d%.60s", c->u.host, c->u.port,
	         c->u.path);
	snprintf(c->instance, sizeof(c->instance), "agui-%lld-%08x", (long long)now, rnd);
	c->have_instance = true;
	agui_free(c->agui_state);
	c->agui_state = agui_new(c->runtime_id, c->instance);
	if (!c->agui_state) {
		conn_fail(c, CONN_PROTOCOL_ERROR, "out of memory");
		return -1;
	}
	c->agui = true;
	c->agui_seq = 0;
	c->attempt = 0;
	Model *m = app_model(c->app);
	m->runtimes[c->rt].read_only = true;
	m->runtimes[c->rt].dialect = DIALECT_AGUI;
	conn_set_state(c, CONN_CONNECTED, "AG-UI: read-only, no resume", 0);
	return 0;
}

/* One AG-UI message: mapped to events (agui.c), applied, stored raw once as "agui". */
static void conn_agui(Conn *c, const char *buf, size_t len, int64_t now)
{
	App *a = c->app;
	Model *m = app_model(a);
	const Event *evs;
	char err[PROTO_ERR_MAX];
	arena_reset(&c->arena);
	agui_set_now(c->agui_state, now);
	int n = agui_map(c->agui_state, buf, len, &c->arena, &evs, err);
	if (n < 0) {
		c->st.rejects++;
		model_reject(m, c->rt, err, now);
		app_on_reject(a, c, err, buf, len);
		return;
	}
	unsigned dirty = 0;
	for (int i = 0; i < n; i++)
		dirty |= model_apply(m, c->rt, &evs[i], now, NULL);
	c->st.events += (uint64_t)n;
	app_on_foreign(a, c->rt, c->url, c->runtime_id, c->instance, INTEROP_TYPE_AGUI,
	               ++c->agui_seq, now, buf, len, evs, (size_t)n, dirty, now);
}

/* One complete text message: decode, check seq, apply, hand to the app. */
static void conn_message(Conn *c, char *buf, size_t len)
{
	App *a = c->app;
	Model *m = app_model(a);
	int64_t now = app_now_ms();
	c->st.messages++;
	bool force = app_options(a)->protocol && !strcmp(app_options(a)->protocol, "agui");
	if (!c->hello_seen && !c->agui && (force || proto_sniff(buf, len) == DIALECT_AGUI) &&
	    conn_agui_begin(c, now) < 0)
		return;
	if (c->agui) {
		conn_agui(c, buf, len, now);
		return;
	}
	arena_reset(&c->arena);
	Event ev;
	char err[PROTO_ERR_MAX];
	err[0] = '\0';
	if (proto_decode(buf, len, &ev, &c->arena, err) != PROTO_OK) {
		c->st.rejects++;
		model_reject(m, c->rt, err, now);
		app_on_reject(a, c, err, buf, len);
		return;
	}
	if (ev.type == EV_HELLO) {
		if (c->hello_seen || c->agui) {
			c->st.rejects++;
			model_reject(m, c->rt, "hello: repeated on one connection", now);
			app_on_reject(a, c, "hello: repeated on one connection", buf, len);
			return;
		}
		conn_hello(c, &ev, buf, len, now);
		return;
	}
	if (!c->hello_seen && !c->agui) {
		conn_fail(c, CONN_PROTOCOL_ERROR, "expected hello first, got '%.40s'",
		          ev.type_name ? ev.type_name : "?");
		c->close_now = true;
		if (c->wsi)
			lws_callback_on_writable(c->wsi);
		return;
	}
	bool dup = false;
	if (c->agui) {
		ev.seq = ++c->agui_seq;
	} else if (ev.seq <= c->last_seq) {
		dup = true;
	} else {
		if (ev.seq > c->last_seq + 1) {
			/* A snapshot stands for since+1..seq; an event after a jump lost the ones
			 * between. */
			int64_t to = ev.type == EV_SNAPSHOT ? ev.seq : ev.seq - 1;
			c->st.gaps++;
			app_on_gap(a, c, c->last_seq + 1, to,
			           ev.type == EV_SNAPSHOT ? "snapshot" : "jump", now);
		}
		c->last_seq = ev.seq;
	}
	unsigned dirty = 0;
	if (dup) {
		c->st.duplicates++;
	} else {
		ApplyInfo ai;
		memset(&ai, 0, sizeof(ai));
		dirty = model_apply(m, c->rt, &ev, now, &ai);
		c->st.events++;
	}
	app_on_event(a, c, &ev, buf, len, dup, dirty, now);
}

/* Feed a received fragment to the reassembler (wsmsg.c); handle the message when it is
 * complete. Binary closes with 1003, over --max-message (or out of memory) with 1009. */
static int conn_receive(Conn *c, struct lws *wsi, const char *in, size_t len)
{
	if (c->close_code)
		return 0; /* closing: the rest of the offending message is dropped unread */
	unsigned fl = 0;
	if (lws_is_first_fragment(wsi))
		fl |= WSMSG_F_FIRST;
	if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi))
		fl |= WSMSG_F_FINAL;
	if (lws_frame_is_binary(wsi))
		fl |= WSMSG_F_BINARY;
	size_t maxm = c->rx.max;
	switch (wsmsg_feed(&c->rx, in, len, fl)) {
	case WSMSG_MORE:
		return 0;
	case WSMSG_BINARY:
		c->st.binary++;
		model_reject(app_model(c->app), c->rt,
		             "binary message (text JSON only): closed 1003", app_now_ms());
		conn_fail(c, CONN_PROTOCOL_ERROR, "binary message");
		return conn_abort(c, wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE);
	case WSMSG_TOO_BIG: {
		c->st.oversize++;
		char why[128];
		snprintf(why, sizeof(why), "message larger than %zu bytes: closed 1009", maxm);
		model_reject(app_model(c->app), c->rt, why, app_now_ms());
		conn_fail(c, CONN_PROTOCOL_ERROR, "message larger than %zu bytes", maxm);
		return conn_abort(c, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
	}
	case WSMSG_NOMEM:
		conn_fail(c, CONN_PROTOCOL_ERROR, "out of memory");
		return conn_abort(c, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
	case WSMSG_TEXT:
		break;
	}
	size_t n = 0;
	char *msg = wsmsg_text(&c->rx, &n);
	if (msg)
		conn_message(c, msg, n);
	wsmsg_reset(&c->rx); /* keep memory flat: a big message's buffer is not kept */
	if (c->close_now && !c->close_code) {
		c->close_code = 4000;
		lws_callback_on_writable(wsi);
	}
	return 0;
}

/* Write what is pending: subscribe first, then one queued command. -1: close. */
static int conn_writeable(Conn *c, struct lws *wsi)
{
	if (c->close_now) {
		if (!c->fail[0] && c->closing) {
			static unsigned char bye[] = "bye";
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, bye, 3);
			return -1;
		}
		return conn_close_with(c, wsi,
		                       c->close_code ? (enum lws_close_status)c->close_code
		                       : c->closing  ? LWS_CLOSE_STATUS_NORMAL
		                                     : 4000);
	}
	if (c->subscribe_pending) {
		unsigned char b[LWS_PRE + 64];
		int n = proto_encode_subscribe(c->last_seq, (char *)b + LWS_PRE, 64);
		if (n < 0 || lws_write(wsi, b + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
			return -1;
		c->subscribe_pending = false;
		if (c->qlen)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (!c->hello_seen || !c->qlen)
		return 0;
	ConnMsg *q = &c->queue[c->qhead];
	if (lws_write(wsi, q->buf + LWS_PRE, q->len, LWS_WRITE_TEXT) < (int)q->len)
		return -1;
	free(q->buf);
	q->buf = NULL;
	c->qhead = (c->qhead + 1) % CONN_QUEUE_MAX;
	c->qlen--;
	if (c->qlen)
		lws_callback_on_writable(wsi);
	return 0;
}

/* Add "Authorization: Bearer <token>" to the opening handshake. -1 on failure. */
static int conn_auth_header(struct lws *wsi, const char *token, unsigned char **p,
                            unsigned char *end)
{
	size_t tl = strlen(token);
	size_t n = tl + 8;
	char *v = malloc(n);
	if (!v)
		return -1;
	snprintf(v, n, "Bearer %s", token);
	int rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)v,
	                                      (int)(tl + 7), p, end);
	explicit_bzero(v, n);
	free(v);
	return rc ? -1 : 0;
}

/* The connection is gone: report and plan the next attempt (or not). */
static void conn_gone(Conn *c, const char *why)
{
	c->wsi = NULL;
	c->attempt_live = false;
	c->hello_seen = false;
	wsmsg_reset(&c->rx);
	if (c->auth_failed) {
		conn_set_state(c, CONN_AUTH_FAILED, c->fail[0] ? c->fail : "unauthorized", 0);
		return;
	}
	if (c->closing) {
		conn_set_state(c, CONN_CLOSED, NULL, 0);
		return;
	}
	if (c->fail[0] && c->fail_state == CONN_PROTOCOL_ERROR) {
		char perr[CONN_REASON_MAX + 32];
		snprintf(perr, sizeof(perr), "protocol error: %s", c->fail);
		conn_schedule_retry(c, CONN_RECONNECTING, perr);
	} else if (c->fail[0])
		conn_schedule_retry(c, CONN_RECONNECTING, c->fail);
	else
		conn_schedule_retry(c, CONN_RECONNECTING, why);
}

/* Certificate refusals in plain words, by OpenSSL verify error. trust: the issuer is not
 * trusted (--ca is the remedy); when: detail is the certificate's end (1) or start (2) date;
 * names: detail is the names the certificate is for. Others: OpenSSL's own words. */
static const struct {
	const char *words;
	int err;
	int when;
	bool trust;
	bool names;
} conn_tls_reasons[] = {
        {"certificate expired", X509_V_ERR_CERT_HAS_EXPIRED, 1, false, false},
        {"certificate not yet valid", X509_V_ERR_CERT_NOT_YET_VALID, 2, false, false},
        {"self-signed certificate", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0, true, false},
        {"untrusted CA (self-signed root in the chain)", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 0,
         true, false},
        {"unknown issuer (untrusted CA)", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, true,
         false},
        {"unknown issuer (untrusted CA)", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, 0, true, false},
        {"unknown issuer (untrusted CA)", X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 0, true,
         false},
        {"host name mismatch", X509_V_ERR_HOSTNAME_MISMATCH, 0, false, true},
        {"IP address mismatch", X509_V_ERR_IP_ADDRESS_MISMATCH, 0, false, true},
        {"certificate revoked", X509_V_ERR_CERT_REVOKED, 0, false, false},
        {"issuer is not a CA certificate", X509_V_ERR_INVALID_CA, 0, false, false},
        {"certificate not valid for a TLS server", X509_V_ERR_INVALID_PURPOSE, 0, false, false},
        {"bad certificate signature", X509_V_ERR_CERT_SIGNATURE_FAILURE, 0, false, false},
        {"certificate chain too long", X509_V_ERR_CERT_CHAIN_TOO_LONG, 0, false, false},
        {"certificate key too small", X509_V_ERR_EE_KEY_TOO_SMALL, 0, false, false},
        {"CA key too small", X509_V_ERR_CA_KEY_TOO_SMALL, 0, false, false},
        {"certificate signed with a weak digest", X509_V_ERR_CA_MD_TOO_WEAK, 0, false, false},
        {"certificate start date unreadable", X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, 0, false,
         false},
        {"certificate end date unreadable", X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, 0, false,
         false},
};

/* The row of conn_tls_reasons for err, or -1. */
static int conn_tls_row(int err)
{
	for (size_t i = 0; i < sizeof(conn_tls_reasons) / sizeof(conn_tls_reasons[0]); i++)
		if (conn_tls_reasons[i].err == err)
			return (int)i;
	return -1;
}

/* Append ", s" (or s when out is empty) to out, within cap. */
static void conn_tls_add(char *out, size_t cap, const char *s, size_t n)
{
	size_t l = strlen(out);
	if (l && l + 2 < cap) {
		memcpy(out + l, ", ", 3);
		l += 2;
	}
	if (l + 1 < cap)
		conn_clean(out + l, cap - l, s, n);
}

/* The DNS names and IP addresses a certificate is for (its common name when it has none). */
static void conn_tls_names(X509 *cert, char *out, size_t cap)
{
	out[0] = '\0';
	GENERAL_NAMES *gn = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gn && i < sk_GENERAL_NAME_num(gn); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
		char ip[INET6_ADDRSTRLEN];
		if (g->type == GEN_DNS) {
			conn_tls_add(out, cap, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
			             (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			int l = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
			if ((l == 4 || l == 16) &&
			    inet_ntop(l == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip)))
				conn_tls_add(out, cap, ip, strlen(ip));
		}
	}
	GENERAL_NAMES_free(gn);
	char cn[128];
	if (!out[0] && X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
	                                         sizeof(cn)) > 0)
		conn_tls_add(out, cap, cn, strlen(cn));
}

/* A certificate date as "YYYY-MM-DD HH:MM UTC" ("" when unreadable). */
static void conn_tls_date(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	out[0] = '\0';
	if (t && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

/* OpenSSL's verdict on one certificate of the server's chain (the lws
 * PERFORM_SERVER_CERT_VERIFICATION callback): keep why it was refused. Never changes it. */
static void conn_tls_verify(Conn *c, X509_STORE_CTX *ctx, int preverify_ok)
{
	if (preverify_ok || !ctx)
		return;
	int err = X509_STORE_CTX_get_error(ctx);
	if (err == X509_V_OK)
		return;
	c->tls_err = err;
	c->tls_depth = X509_STORE_CTX_get_error_depth(ctx);
	c->tls_detail[0] = '\0';
	X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
	int row = conn_tls_row(err);
	if (!cert || row < 0)
		return;
	if (conn_tls_reasons[row].when)
		conn_tls_date(conn_tls_reasons[row].when == 1 ? X509_get0_notAfter(cert)
		                                              : X509_get0_notBefore(cert),
		              c->tls_detail, sizeof(c->tls_detail));
	else if (conn_tls_reasons[row].names)
		conn_tls_names(cert, c->tls_detail, sizeof(c->tls_detail));
}

/* The one-line refusal for the certificate error kept by conn_tls_verify: the reason in
 * words, then what to do (--ca FILE only when none was given). */
static void conn_tls_refusal(const Conn *c, char *out, size_t cap)
{
	const char *ca = app_options(c->app)->ca_file;
	int row = conn_tls_row(c->tls_err);
	const char *words =
	        row >= 0 ? conn_tls_reasons[row].words : X509_verify_cert_error_string(c->tls_err);
	char what[200];
	if (row >= 0 && conn_tls_reasons[row].names)
		snprintf(what, sizeof(what), "%s: the certificate is for %.100s, not %.60s", words,
		         c->tls_detail[0] ? c->tls_detail : "no name", c->u.host);
	else if (row >= 0 && conn_tls_reasons[row].when && c->tls_detail[0])
		snprintf(what, sizeof(what), "%s (%s %s)", words,
		         conn_tls_reasons[row].when == 1 ? "not after" : "not before",
		         c->tls_detail);
	else
		snprintf(what, sizeof(what), "%s", words);
	const char *where = c->tls_depth > 0 ? " (a CA certificate in the chain)" : "";
	if (row >= 0 && conn_tls_reasons[row].trust && ca)
		snprintf(out, cap,
		         "TLS handshake failed: %s%s; the certificate is not signed by the --ca "
		         "CA (%.80s)",
		         what, where, ca);
	else if (row >= 0 && conn_tls_reasons[row].trust)
		snprintf(out, cap, "TLS handshake failed: %s%s; if you trust it, pass --ca FILE",
		         what, where);
	else
		snprintf(out, cap, "TLS handshake failed: %s%s", what, where);
}

/* Classify a failed opening handshake: 401/403 means auth failed (no retry). */
static void conn_connect_error(Conn *c, struct lws *wsi, const char *in, size_t len)
{
	char msg[CONN_REASON_MAX];
	conn_clean(msg, sizeof(msg), in ? in : "connection failed",
	           in ? len : strlen("connection failed"));
	if (!msg[0])
		snprintf(msg, sizeof(msg), "connection failed");
	int status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
	if (status == 401 || status == 403 || strstr(msg, "401") || strstr(msg, "403")) {
		c->auth_failed = true;
		snprintf(c->fail, sizeof(c->fail),
		         "HTTP %d unauthorized: check --token or "
		         "SWARMTOP_TOKEN",
		         status == 403 ? 403 : 401);
	} else if (status > 0 && !strstr(msg, "HTTP")) {
		char tmp[CONN_REASON_MAX + 32];
		snprintf(tmp, sizeof(tmp), "HTTP %d: %.200s", status, msg);
		snprintf(msg, sizeof(msg), "%.240s", tmp);
	}
	if (c->u.tls && !c->auth_failed && c->tls_err) {
		conn_tls_refusal(c, msg, sizeof(msg));
	} else if (c->u.tls && !c->auth_failed &&
	           (strcasestr(msg, "ssl") || strcasestr(msg, "tls") ||
	            strcasestr(msg, "certificate"))) {
		/* No certificate was refused: lws 4.1 then says only "connect SSL err 1:
		 * error:00000001:lib(0)::reason(1)" (the SSL_ERROR_SSL number, not OpenSSL's
		 * queued error, which is gone by now). */
		char tmp[CONN_REASON_MAX];
		if (strstr(msg, "SSL err"))
			snprintf(tmp, sizeof(tmp),
			         "TLS handshake failed (not a certificate problem: the server did "
			         "not "
			         "complete a TLS handshake; does it serve wss://?)");
		else
			snprintf(tmp, sizeof(tmp), "TLS handshake failed (%.200s)", msg);
		snprintf(msg, sizeof(msg), "%s", tmp);
	}
	c->wsi = NULL;
	conn_gone(c, msg);
}

/* The libwebsockets protocol callback for client connections (registered by app.c). */
int conn_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
	Conn *c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	if (!c)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		const char *tok = app_options(c->app)->token;
		if (!tok)
			return 0;
		unsigned char **p = (unsigned char **)in;
		return conn_auth_header(wsi, tok, p, *p + len);
	}
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* user: the X509_STORE_CTX, len: OpenSSL's preverify_ok. 0 leaves the verdict. */
		conn_tls_verify(c, user, (int)len);
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c->wsi && c->wsi != wsi)
			return 0;
		conn_connect_error(c, wsi, in, len);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->wsi = wsi;
		wsmsg_reset(&c->rx);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return conn_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn_writeable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
		const unsigned char *b = in;
		int code = len >= 2 ? (b[0] << 8) | b[1] : 0;
		char r[128];
		conn_clean(r, sizeof(r), len > 2 ? (const char *)b + 2 : "", len > 2 ? len - 2 : 0);
		if (code == LWS_CLOSE_STATUS_POLICY_VIOLATION) {
			c->auth_failed = true;
			conn_fail(c, CONN_AUTH_FAILED, "closed 1008 (policy: unauthorized)%s%s",
			          r[0] ? ": " : "", r);
		} else if (code == 4000 || code == LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE ||
		           code == LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE) {
			conn_fail(c, CONN_PROTOCOL_ERROR, "runtime closed %d%s%s", code,
			          r[0] ? ": " : "", r);
		} else if (code) {
			conn_fail(c, CONN_RECONNECTING, "runtime closed %d%s%s", code,
			          r[0] ? ": " : "", r);
		}
		return 0;
	}
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP: {
		/* Closed before the upgrade (lws timed out a stalled handshake): retry. */
		static const char stalled[] = "no answer to the opening handshake (timed out)";
		if (c->wsi != wsi || !c->attempt_live)
			return 0;
		conn_connect_error(c, wsi, stalled, sizeof(stalled) - 1);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c->wsi && c->wsi != wsi)
			return 0;
		conn_gone(c, "connection closed");
		return 0;
	default:
		return 0;
	}
}
