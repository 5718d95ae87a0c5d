/*
 * demo.c: the demo runtime's WebSocket server (libwebsockets, one service
 * thread). Owns the listener, the token check (HTTP 401), hello, subscribe
 * with replay from the retention ring or a snapshot when since+1 is gone,
 * per-client send staging with backpressure, command parsing, acks and their
 * idempotent repeats, client message limits (binary -> 1003, > max -> 1009),
 * drop-after for resume tests, and the `swarmtop demo` option parser.
 *
 * The simulation (demo_sim.c) publishes events from its own threads through
 * demo_publish_locked() under the hub mutex; seq is assigned there and only
 * there. The service thread is woken with lws_cancel_service().
 */
#include "swarmtop/demo.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/demo_sim.h"
#include "swarmtop/event.h"

#define DEMO_STAGE_BYTES ((size_t)256 * 1024)  /* per-client staged bytes */
#define DEMO_STAGE_MSGS 1024                   /* per-client staged messages */
#define DEMO_WRITES_PER_CB 64                  /* writes before yielding to other clients */
#define DEMO_WRITE_BYTES ((size_t)64 * 1024)   /* bytes of frames per write */
#define DEMO_CMD_TABLE 1024                    /* remembered command ids (idempotent repeats) */
#define DEMO_ERR_MAX 256

/* One retained event. */
typedef struct DemoSlot {
	int64_t seq;
	char *buf;
	size_t len, cap;
} DemoSlot;

/* The latest status of a command id, for repeats. */
typedef struct DemoCmdRec {
	char id[EVENT_ID_MAX + 1];
	AckStatus status;
	char err[DEMO_ERR_MAX];
} DemoCmdRec;

typedef struct DemoClient DemoClient;

/* Per-connection state (lws per-session data). */
struct DemoClient {
	struct lws *wsi;
	DemoClient *next;
	bool registered, hello_sent, subscribed, snapshot_pending, peer_closed;
	int64_t next_seq;                /* next seq to stage from the ring (under the mutex) */
	long long sent;                  /* events written to this client */
	unsigned char *stage;            /* LWS_PRE + DEMO_STAGE_BYTES */
	size_t stage_cap, stage_len, nmsg, cur;
	size_t msg_end[DEMO_STAGE_MSGS]; /* end offset of each staged frame */
	char *rx;                        /* reassembly of one client message */
	size_t rx_len, rx_cap;
};

struct Demo {
	DemoOptions opt;
	char host[64], instance[EVENT_ID_MAX + 1], runtime_id[EVENT_ID_MAX + 1], token[512];
	pthread_mutex_t mu;
	pthread_cond_t space;
	DemoSlot *ring;
	size_t ring_cap;
	int64_t last_seq, seq_start;
	DemoClient *clients;             /* registered connections (under the mutex) */
	int nsubscribed;
	bool wake_pending;
	DemoCmdRec *cmds;
	size_t ncmds, cmd_next;
	DemoBuf scratch;                 /* ack bodies */
	struct lws_context *ctx;
	struct lws_vhost *vh;
	volatile int stop;
	int port;
	int64_t started_ts;
	DemoSim *sim;
	pthread_t thread;
	bool threaded;
	lws_sorted_usec_list_t sul_duration;
};

/* Milliseconds since the Unix epoch. */
static int64_t demo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print a diagnostic on stderr unless quiet. */
static void demo_log(const Demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void demo_log(const Demo *d, const char *fmt, ...)
{
	va_list ap;

	if (d && d->opt.quiet)
		return;
	va_start(ap, fmt);
	fputs("demo: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- DemoBuf ---- */

/* Make room for n more bytes (plus a NUL). */
static void demo_buf_reserve(DemoBuf *b, size_t n)
{
	size_t want = b->len + n + 1;
	char *p;

	if (want <= b->cap)
		return;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want < 256)
		want = 256;
	p = realloc(b->p, want);
	if (!p) {
		fputs("demo: out of memory\n", stderr);
		abort();
	}
	b->p = p;
	b->cap = want;
}

/* Append n bytes. */
void demo_buf_add(DemoBuf *b, const char *s, size_t n)
{
	demo_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

/* Append a formatted string. */
void demo_buf_printf(DemoBuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	demo_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Append s as a JSON string literal (quoted, escaped); NULL appends null. */
void demo_buf_json_str(DemoBuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (!s) {
		demo_buf_add(b, "null", 4);
		return;
	}
	demo_buf_reserve(b, strlen(s) * 6 + 2);
	b->p[b->len++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)*p;
		} else if (*p < 0x20) {
			b->p[b->len++] = '\\';
			b->p[b->len++] = 'u';
			b->p[b->len++] = '0';
			b->p[b->len++] = '0';
			b->p[b->len++] = hex[*p >> 4];
			b->p[b->len++] = hex[*p & 15];
		} else {
			b->p[b->len++] = (char)*p;
		}
	}
	b->p[b->len++] = '"';
	b->p[b->len] = 0;
}

/* Free the buffer's memory. */
void demo_buf_free(DemoBuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- hub: ring, publish, acks ---- */

/* The hub mutex shared by the server and the simulation. */
pthread_mutex_t *demo_mutex(Demo *d)
{
	return &d->mu;
}

/* Lowest seq still retained (last_seq + 1 when nothing is). */
static int64_t demo_oldest_locked(const Demo *d)
{
	int64_t have = d->last_seq - d->seq_start;

	if (have > (int64_t)d->ring_cap)
		have = (int64_t)d->ring_cap;
	return d->last_seq - have + 1;
}

/* Wake the service thread once per batch of publishes. */
static void demo_wake_locked(Demo *d)
{
	if (!d->wake_pending && d->ctx) {
		d->wake_pending = true;
		lws_cancel_service(d->ctx);
	}
}

/* Assign the next seq and retain {"type":T,"seq":N,"ts":MS,<body>}; body may be empty. */
int64_t demo_publish_locked(Demo *d, const char *type, const char *body, size_t len)
{
	int64_t seq = ++d->last_seq;
	DemoSlot *s = &d->ring[(uint64_t)seq % d->ring_cap];
	size_t need = len + strlen(type) + 80;
	int n;

	if (need > s->cap) {
		char *p = realloc(s->buf, need);

		if (!p) {
			fputs("demo: out of memory\n", stderr);
			abort();
		}
		s->buf = p;
		s->cap = need;
	}
	n = snprintf(s->buf, s->cap, "{\"type\":\"%s\",\"seq\":%lld,\"ts\":%lld%s", type,
		     (long long)seq, (long long)demo_now_ms(), len ? "," : "");
	memcpy(s->buf + n, body, len);
	s->buf[n + (int)len] = '}';
	s->len = (size_t)n + len + 1;
	s->seq = seq;
	if (d->nsubscribed)
		demo_wake_locked(d);
	return seq;
}

/* Number of subscribed connections. */
int demo_subscribers_locked(Demo *d)
{
	return d->nsubscribed;
}

/* Flood backpressure: wait (bounded) until publishing one event overwrites nothing unsent. */
void demo_wait_space_locked(Demo *d)
{
	/* Headroom for the events other threads publish without waiting. */
	int64_t margin = d->ring_cap / 4 < 1024 ? (int64_t)d->ring_cap / 4 : 1024;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	for (;;) {
		int64_t min = INT64_MAX;

		for (DemoClient *c = d->clients; c; c = c->next)
			if (c->subscribed && !c->snapshot_pending && c->next_seq < min)
				min = c->next_seq;
		/* The next publish overwrites seq last+1-cap: it must be already staged. */
		if (min == INT64_MAX || d->last_seq + 1 - (int64_t)d->ring_cap + margin < min ||
		    d->stop)
			return;
		demo_wake_locked(d);
		if (pthread_cond_timedwait(&d->space, &d->mu, &until) == ETIMEDOUT)
			return;
	}
}

/* Find the record of a command id, or NULL. */
static DemoCmdRec *demo_cmd_find_locked(Demo *d, const char *id)
{
	for (size_t i = 0; i < d->ncmds; i++)
		if (strcmp(d->cmds[i].id, id) == 0)
			return &d->cmds[i];
	return NULL;
}

/* Publish an ack for a command and remember its latest status for repeats. */
void demo_ack_locked(Demo *d, const char *cmd, AckStatus st, const char *err)
{
	DemoCmdRec *r = demo_cmd_find_locked(d, cmd);
	DemoBuf *b = &d->scratch;

	if (!r) {
		r = &d->cmds[d->cmd_next];
		d->cmd_next = (d->cmd_next + 1) % DEMO_CMD_TABLE;
		if (d->ncmds < DEMO_CMD_TABLE)
			d->ncmds++;
		snprintf(r->id, sizeof(r->id), "%s", cmd);
	}
	r->status = st;
	snprintf(r->err, sizeof(r->err), "%s", err ? err : "");
	b->len = 0;
	demo_buf_add(b, "\"command\":", 10);
	demo_buf_json_str(b, cmd);
	demo_buf_printf(b, ",\"status\":\"%s\"", ack_status_names[st]);
	if (st == ACK_REJECTED) {
		demo_buf_add(b, ",\"error\":", 9);
		demo_buf_json_str(b, err ? err : "rejected");
	}
	demo_publish_locked(d, "ack", b->p, b->len);
}

/* ---- client messages ---- */

/* Read a string field of 1..128 bytes, or NULL. */
static const char *demo_json_id(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	n = strlen(v->valuestring);
	return n >= 1 && n <= EVENT_ID_MAX ? v->valuestring : NULL;
}

/* Handle {"type":"subscribe","since":N}. */
static void demo_on_subscribe(Demo *d, DemoClient *c, const cJSON *msg)
{
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(msg, "since");
	int64_t s;

	if (c->subscribed) {
		demo_log(d, "ignored a second subscribe on one connection");
		return;
	}
	if (!cJSON_IsNumber(since) || since->valuedouble < 0 ||
	    since->valuedouble > (double)EVENT_SAFE_INT ||
	    since->valuedouble != (double)(int64_t)since->valuedouble) {
		demo_log(d, "ignored subscribe: 'since' must be a non-negative integer");
		return;
	}
	s = (int64_t)since->valuedouble;
	pthread_mutex_lock(&d->mu);
	if (s > d->last_seq) {
		demo_log(d, "subscribe since=%lld is ahead of last_seq %lld (another instance?)",
			 (long long)s, (long long)d->last_seq);
		c->snapshot_pending = d->last_seq > 0;
		c->next_seq = d->last_seq + 1;
	} else if (s + 1 < demo_oldest_locked(d)) {
		c->snapshot_pending = true;
		c->next_seq = d->last_seq + 1;
	} else {
		c->next_seq = s + 1;
	}
	c->subscribed = true;
	d->nsubscribed++;
	pthread_mutex_unlock(&d->mu);
	lws_callback_on_writable(c->wsi);
}

/* Reject a command that has an id, with a one-line reason. */
static void demo_reject(Demo *d, const char *id, const char *why)
{
	pthread_mutex_lock(&d->mu);
	demo_ack_locked(d, id, ACK_REJECTED, why);
	pthread_mutex_unlock(&d->mu);
}

/* Handle a command: shape checks here, state checks in the simulation. */
static void demo_on_command(Demo *d, const cJSON *msg)
{
	const char *id = demo_json_id(msg, "id");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(msg, "action");
	const cJSON *tgt = cJSON_GetObjectItemCaseSensitive(msg, "target");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(msg, "text");
	char err[DEMO_ERR_MAX];
	DemoCmd cmd = {.id = id, .target = ""};
	DemoCmdRec *rec;
	int a;

	if (!id) {
		demo_log(d, "ignored a command without a valid 'id'");
		return;
	}
	pthread_mutex_lock(&d->mu);
	rec = demo_cmd_find_locked(d, id);
	if (rec) {
		/* A repeated id is the same command: answer with its latest status. */
		char e[DEMO_ERR_MAX];

		snprintf(e, sizeof(e), "%s", rec->err);
		demo_ack_locked(d, id, rec->status, e[0] ? e : NULL);
		pthread_mutex_unlock(&d->mu);
		return;
	}
	pthread_mutex_unlock(&d->mu);
	a = cJSON_IsString(act) ? event_name_lookup(command_action_names, ACTION_COUNT,
						    act->valuestring) : -1;
	if (a < 0) {
		snprintf(err, sizeof(err), "unknown action '%.64s'",
			 cJSON_IsString(act) ? act->valuestring : "(missing)");
		demo_reject(d, id, err);
		return;
	}
	cmd.action = (CommandAction)a;
	if (!cJSON_IsObject(tgt)) {
		demo_reject(d, id, "missing 'target' object ({} for the whole runtime)");
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(tgt, "agent")) {
		cmd.kind = TARGET_AGENT;
		cmd.target = demo_json_id(tgt, "agent");
	} else if (cJSON_GetObjectItemCaseSensitive(tgt, "task")) {
		cmd.kind = TARGET_TASK;
		cmd.target = demo_json_id(tgt, "task");
	} else {
		cmd.kind = TARGET_RUNTIME;
	}
	if (!cmd.target) {
		demo_reject(d, id, "target id must be a string of 1-128 bytes");
		return;
	}
	if (cJSON_IsString(text) && text->valuestring && text->valuestring[0]) {
		if (strlen(text->valuestring) > EVENT_TEXT_MAX)
			text->valuestring[EVENT_TEXT_MAX] = 0;
		cmd.text = text->valuestring;
	}
	if (cmd.action == ACTION_INJECT && !cmd.text) {
		demo_reject(d, id, "inject needs a non-empty 'text'");
		return;
	}
	pthread_mutex_lock(&d->mu);
	if (demo_sim_command_locked(d->sim, &cmd, err, sizeof(err)) != 0)
		demo_ack_locked(d, id, ACK_REJECTED, err);
	pthread_mutex_unlock(&d->mu);
}

/* Parse and dispatch one complete client text message. Hostile input: never fatal. */
static void demo_on_message(Demo *d, DemoClient *c, const char *buf, size_t len)
{
	cJSON *msg = cJSON_ParseWithLength(buf, len);
	const cJSON *type;

	if (!cJSON_IsObject(msg)) {
		demo_log(d, "ignored a client message that is not a JSON object (%zu bytes)", len);
		cJSON_Delete(msg);
		return;
	}
	type = cJSON_GetObjectItemCaseSensitive(msg, "type");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "subscribe") == 0)
		demo_on_subscribe(d, c, msg);
	else if (cJSON_IsString(type) && strcmp(type->valuestring, "command") == 0)
		demo_on_command(d, msg);
	else
		demo_log(d, "ignored a client message with unknown type '%.40s'",
			 cJSON_IsString(type) ? type->valuestring : "(missing)");
	cJSON_Delete(msg);
}

/* ---- sending ---- */

/* Close with a code and reason; the callback must then return -1. */
static int demo_close(struct lws *wsi, enum lws_close_status code, const char *why)
{
	lws_close_reason(wsi, code, (unsigned char *)(uintptr_t)why, strlen(why));
	return -1;
}

/* Write one text message that has LWS_PRE writable bytes before it. -1 on error. */
static int demo_write(struct lws *wsi, unsigned char *p, size_t len)
{
	int n = lws_write(wsi, p, len, LWS_WRITE_TEXT);

	return n < (int)len ? -1 : 0;
}

/* Send hello: runtime identity, capabilities, last_seq. */
static int demo_send_hello(Demo *d, DemoClient *c)
{
	DemoBuf b = {0};
	char host[128] = "localhost";
	int64_t last;
	int rc;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = 0;
	pthread_mutex_lock(&d->mu);
	last = d->last_seq;
	pthread_mutex_unlock(&d->mu);
	demo_buf_reserve(&b, LWS_PRE);
	b.len = LWS_PRE;
	demo_buf_printf(&b, "{\"type\":\"hello\",\"proto\":1,\"runtime\":{\"id\":");
	demo_buf_json_str(&b, d->runtime_id);
	demo_buf_printf(&b, ",\"instance\":");
	demo_buf_json_str(&b, d->instance);
	demo_buf_printf(&b, ",\"name\":\"Swarmtop demo service\",\"host\":");
	demo_buf_json_str(&b, host);
	demo_buf_printf(&b, ",\"pid\":%d,\"lang\":\"c\","
			"\"lang_version\":\"C11, libwebsockets %.*s\","
			"\"free_threaded\":true,\"cores\":%ld,\"started_ts\":%lld},"
			"\"capabilities\":[\"pause\",\"resume\",\"retry\",\"cancel\",\"inject\"],"
			"\"last_seq\":%lld}",
			(int)getpid(), (int)strcspn(lws_get_library_version(), "- "),
			lws_get_library_version(), sysconf(_SC_NPROCESSORS_ONLN),
			(long long)d->started_ts, (long long)last);
	rc = demo_write(c->wsi, (unsigned char *)b.p + LWS_PRE, b.len - LWS_PRE);
	demo_buf_free(&b);
	return rc;
}

/* Send a snapshot of the state at last_seq; live events follow from last_seq + 1. */
static int demo_send_snapshot(Demo *d, DemoClient *c)
{
	DemoBuf b = {0};
	int64_t seq;
	int rc;

	demo_buf_reserve(&b, LWS_PRE + 4096);
	b.len = LWS_PRE;
	pthread_mutex_lock(&d->mu);
	seq = d->last_seq;
	demo_buf_printf(&b, "{\"type\":\"snapshot\",\"seq\":%lld,\"ts\":%lld,", (long long)seq,
			(long long)demo_now_ms());
	demo_sim_snapshot_locked(d->sim, &b);
	demo_buf_add(&b, "}", 1);
	c->next_seq = seq + 1;
	c->snapshot_pending = false;
	c->nmsg = c->cur = c->stage_len = 0;
	pthread_mutex_unlock(&d->mu);
	rc = demo_write(c->wsi, (unsigned char *)b.p + LWS_PRE, b.len - LWS_PRE);
	demo_buf_free(&b);
	c->sent++;
	return rc;
}

/* Write an unmasked text frame header for len payload bytes into h; returns its size. */
static size_t demo_frame_header(unsigned char *h, size_t len)
{
	h[0] = 0x81;
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

/*
 * Copy the next retained events into the client's staging area as complete
 * WebSocket frames, so that many events leave in one write (one syscall)
 * instead of one each: the difference between ~100k and ~250k events/s.
 */
static void demo_refill(Demo *d, DemoClient *c)
{
	c->nmsg = c->cur = c->stage_len = 0;
	pthread_mutex_lock(&d->mu);
	if (c->next_seq < demo_oldest_locked(d)) {
		/* Fell behind the ring (a very slow client): resynchronise with a snapshot. */
		c->snapshot_pending = true;
		pthread_mutex_unlock(&d->mu);
		return;
	}
	while (c->next_seq <= d->last_seq && c->nmsg < DEMO_STAGE_MSGS) {
		const DemoSlot *s = &d->ring[(uint64_t)c->next_seq % d->ring_cap];

		size_t need = s->len + 10;

		if (c->stage_len + need > c->stage_cap && c->nmsg > 0)
			break;
		if (need > c->stage_cap) {
			unsigned char *p = realloc(c->stage, LWS_PRE + need);

			if (!p)
				break;
			c->stage = p;
			c->stage_cap = need;
		}
		c->stage_len += demo_frame_header(c->stage + LWS_PRE + c->stage_len, s->len);
		memcpy(c->stage + LWS_PRE + c->stage_len, s->buf, s->len);
		c->stage_len += s->len;
		c->msg_end[c->nmsg++] = c->stage_len;
		c->next_seq++;
	}
	pthread_cond_broadcast(&d->space);
	pthread_mutex_unlock(&d->mu);
}

/* Stage and write events until the socket is choked or nothing is left. */
static int demo_on_writeable(Demo *d, DemoClient *c)
{
	if (!c->hello_sent) {
		c->hello_sent = true;
		if (demo_send_hello(d, c))
			return -1;
		if (c->subscribed)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (!c->subscribed)
		return 0;
	for (int n = 0; n < DEMO_WRITES_PER_CB; n++) {
		if (d->opt.drop_after > 0 && c->sent >= d->opt.drop_after)
			return demo_close(c->wsi, LWS_CLOSE_STATUS_GOINGAWAY, "drop-after reached");
		if (c->cur >= c->nmsg && !c->snapshot_pending)
			demo_refill(d, c);
		if (c->snapshot_pending) {
			if (demo_send_snapshot(d, c))
				return -1;
		} else if (c->cur < c->nmsg) {
			size_t start = c->cur ? c->msg_end[c->cur - 1] : 0, k = c->cur + 1;

			/* As many whole frames as fit in one write (and drop-after allows). */
			while (k < c->nmsg && c->msg_end[k] - start <= DEMO_WRITE_BYTES &&
			       (d->opt.drop_after <= 0 ||
				c->sent + (long long)(k + 1 - c->cur) <= d->opt.drop_after))
				k++;
			if (lws_write(c->wsi, c->stage + LWS_PRE + start, c->msg_end[k - 1] - start,
				      LWS_WRITE_RAW) < (int)(c->msg_end[k - 1] - start))
				return -1;
			c->sent += (long long)(k - c->cur);
			c->cur = k;
		} else {
			return 0;
		}
		if (lws_send_pipe_choked(c->wsi))
			break;
	}
	lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- lws callback ---- */

/* Check the Authorization header against the token; true when allowed. */
static bool demo_auth_ok(Demo *d, struct lws *wsi)
{
	char hdr[600];
	int n;

	if (!d->token[0])
		return true;
	n = lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n <= 7 || strncmp(hdr, "Bearer ", 7) != 0)
		return false;
	return strlen(d->token) == (size_t)(n - 7) && memcmp(hdr + 7, d->token, (size_t)n - 7) == 0;
}

/* Answer a refused handshake with HTTP/1.1 401 (lws would say HTTP/1.0 at this stage). */
static void demo_send_401(struct lws *wsi)
{
	static const char body[] = "401 Unauthorized: this runtime requires "
				   "Authorization: Bearer <token>\n";
	unsigned char buf[LWS_PRE + 512];
	int n = snprintf((char *)buf + LWS_PRE, sizeof(buf) - LWS_PRE,
			 "HTTP/1.1 401 Unauthorized\r\n"
			 "WWW-Authenticate: Bearer realm=\"swarmtop\"\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s", sizeof(body) - 1, body);

	if (n > 0 && (size_t)n < sizeof(buf) - LWS_PRE)
		lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS);
}

/* Register a new connection and queue hello. */
static int demo_on_established(Demo *d, DemoClient *c, struct lws *wsi)
{
	memset(c, 0, sizeof(*c));
	c->wsi = wsi;
	c->stage = malloc(LWS_PRE + DEMO_STAGE_BYTES);
	if (!c->stage)
		return -1;
	c->stage_cap = DEMO_STAGE_BYTES;
	pthread_mutex_lock(&d->mu);
	c->next = d->clients;
	d->clients = c;
	c->registered = true;
	pthread_mutex_unlock(&d->mu);
	lws_callback_on_writable(wsi);
	return 0;
}

/* Unregister a closed connection and free its buffers. */
static void demo_on_closed(Demo *d, DemoClient *c)
{
	if (!c->registered)
		return;
	pthread_mutex_lock(&d->mu);
	for (DemoClient **pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->subscribed)
		d->nsubscribed--;
	c->registered = false;
	pthread_cond_broadcast(&d->space);
	pthread_mutex_unlock(&d->mu);
	free(c->stage);
	free(c->rx);
	c->stage = NULL;
	c->rx = NULL;
}

/* Reassemble a client message (capped) and handle it when complete. */
static int demo_on_receive(Demo *d, DemoClient *c, const void *in, size_t len)
{
	size_t max = d->opt.max_message;

	if (lws_frame_is_binary(c->wsi)) {
		demo_log(d, "closing a connection that sent a binary message (1003)");
		return demo_close(c->wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
				  "binary messages are not part of protocol v1");
	}
	if (c->rx_len + len > max) {
		demo_log(d, "closing a connection that sent a message over %zu bytes (1009)", max);
		return demo_close(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				  "message too big");
	}
	if (c->rx_len + len + 1 > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 4096;
		char *p;

		while (cap < c->rx_len + len + 1)
			cap *= 2;
		p = realloc(c->rx, cap);
		if (!p)
			return -1;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (lws_is_final_fragment(c->wsi) && lws_remaining_packet_payload(c->wsi) == 0) {
		demo_on_message(d, c, c->rx, c->rx_len);
		c->rx_len = 0;
	}
	return 0;
}

/* Request writes for every subscribed client with something new. */
static void demo_on_wake(Demo *d)
{
	pthread_mutex_lock(&d->mu);
	d->wake_pending = false;
	for (DemoClient *c = d->clients; c; c = c->next)
		if (c->subscribed && (c->next_seq <= d->last_seq || c->snapshot_pending))
			lws_callback_on_writable(c->wsi);
	pthread_mutex_unlock(&d->mu);
}

/* The protocol callback for swarmtop.v1 (also the default for no subprotocol). */
static int demo_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			 void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	Demo *d = ctx ? lws_context_user(ctx) : NULL;
	DemoClient *c = user;

	if (!d)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!demo_auth_ok(d, wsi)) {
			demo_log(d, "refused a connection without the right bearer token (401)");
			demo_send_401(wsi);
			return -1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return demo_on_established(d, c, wsi);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c->registered && !c->peer_closed ? demo_on_writeable(d, c) : 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* lws echoes the close itself; writing more data now would break that. */
		c->peer_closed = true;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return c->registered ? demo_on_receive(d, c, in, len) : -1;
	case LWS_CALLBACK_CLOSED:
		demo_on_closed(d, c);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		demo_on_wake(d);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols demo_protocols[] = {
	{
		.name = "swarmtop.v1",
		.callback = demo_callback,
		.per_session_data_size = sizeof(DemoClient),
		.rx_buffer_size = 65536,
	},
	{0},
};

static const lws_retry_bo_t demo_retry = {
	.secs_since_valid_ping = 15,     /* ping a peer idle this long */
	.secs_since_valid_hangup = 45,   /* ... and drop it 30 s after that */
};

/* ---- lifecycle ---- */

/* Fill o with the defaults. */
void demo_options_init(DemoOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 7700;
	o->agents = 8;
	o->rate = -1;
	o->retain = 10000;
	o->speed = 1.0;
	o->runtime_id = "swarmtop-demo";
	o->max_message = (size_t)1024 * 1024;
}

/* A random 8-hex-digit instance id. */
static void demo_random_instance(char *out, size_t n)
{
	unsigned int r = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(&r, sizeof(r), 1, f) != 1)
		r = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
	if (f)
		fclose(f);
	snprintf(out, n, "%08x", r);
}

/* Free everything a Demo holds (the simulation must be stopped). */
static void demo_free(Demo *d)
{
	if (!d)
		return;
	if (d->ctx)
		lws_context_destroy(d->ctx);
	for (size_t i = 0; d->ring && i < d->ring_cap; i++)  /* no ring: its calloc failed */
		free(d->ring[i].buf);
	free(d->ring);
	free(d->cmds);
	demo_buf_free(&d->scratch);
	pthread_cond_destroy(&d->space);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/*
 * Check that host:port can be bound before lws tries (its failure path leaks
 * and logs noise); 0 or -1 with err set.
 */
static int demo_probe_listen(const char *host, int port, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	int fd, one = 1, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 0;   /* an interface name: lws resolves it */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc != 0)
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
	close(fd);
	return rc == 0 ? 0 : -1;
}

/* Create the server and the simulation; NULL + err on failure. */
static Demo *demo_create(const DemoOptions *o, char *err, size_t errlen)
{
	struct lws_context_creation_info info;
	Demo *d = calloc(1, sizeof(*d));

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->opt = *o;
	snprintf(d->host, sizeof(d->host), "%s", o->host ? o->host : "127.0.0.1");
	snprintf(d->runtime_id, sizeof(d->runtime_id), "%s",
		 o->runtime_id ? o->runtime_id : "swarmtop-demo");
	snprintf(d->token, sizeof(d->token), "%s", o->token ? o->token : "");
	if (o->instance && o->instance[0])
		snprintf(d->instance, sizeof(d->instance), "%s", o->instance);
	else
		demo_random_instance(d->instance, sizeof(d->instance));
	if (d->opt.max_message == 0)
		d->opt.max_message = (size_t)1024 * 1024;
	d->ring_cap = o->retain > 0 ? (size_t)o->retain : 1;
	d->seq_start = o->seq_start > 0 ? o->seq_start : 0;
	d->last_seq = d->seq_start;
	d->started_ts = demo_now_ms();
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->space, NULL);
	d->ring = calloc(d->ring_cap, sizeof(*d->ring));
	d->cmds = calloc(DEMO_CMD_TABLE, sizeof(*d->cmds));
	if (!d->ring || !d->cmds) {
		snprintf(err, errlen, "out of memory for a retention of %zu events", d->ring_cap);
		demo_free(d);
		return NULL;
	}
	if (demo_probe_listen(d->host, o->port, err, errlen) != 0) {
		demo_free(d);
		return NULL;
	}
	memset(&info, 0, sizeof(info));
	info.port = o->port;
	info.iface = d->host;
	info.protocols = demo_protocols;
	info.user = d;
	info.retry_and_idle_policy = &demo_retry;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	info.vhost_name = "swarmtop-demo";
	d->ctx = lws_create_context(&info);
	if (!d->ctx) {
		snprintf(err, errlen, "cannot listen on %s:%d (in use, or not a local address?)",
			 d->host, o->port);
		demo_free(d);
		return NULL;
	}
	d->vh = lws_get_vhost_by_name(d->ctx, "swarmtop-demo");
	d->port = d->vh ? lws_get_vhost_listen_port(d->vh) : o->port;
	d->sim = demo_sim_start(d, &d->opt);
	if (!d->sim) {
		snprintf(err, errlen, "cannot start the simulation threads");
		demo_free(d);
		return NULL;
	}
	return d;
}

/* Service the loop until stop is set. */
static void demo_loop(Demo *d)
{
	while (!d->stop)
		if (lws_service(d->ctx, 0) < 0)
			break;
}

/* Ask the loop to stop (any thread). */
static void demo_request_stop(Demo *d)
{
	d->stop = 1;
	pthread_mutex_lock(&d->mu);
	pthread_cond_broadcast(&d->space);
	pthread_mutex_unlock(&d->mu);
	lws_cancel_service(d->ctx);
}

/* Service-thread entry for demo_start. */
static void *demo_thread_main(void *arg)
{
	demo_loop(arg);
	return NULL;
}

/* Start the demo in its own thread; *bound_port gets the listening port. NULL + err on failure. */
Demo *demo_start(const DemoOptions *o, int *bound_port, char *err, size_t errlen)
{
	Demo *d = demo_create(o, err, errlen);

	if (!d)
		return NULL;
	if (pthread_create(&d->thread, NULL, demo_thread_main, d) != 0) {
		snprintf(err, errlen, "cannot start the demo thread");
		demo_sim_stop(d->sim);
		demo_free(d);
		return NULL;
	}
	d->threaded = true;
	if (bound_port)
		*bound_port = d->port;
	return d;
}

/* Stop a demo started with demo_start and free it (NULL is fine). */
void demo_stop(Demo *d)
{
	if (!d)
		return;
	demo_request_stop(d);
	if (d->threaded)
		pthread_join(d->thread, NULL);
	demo_sim_stop(d->sim);
	demo_free(d);
}

/* Signal thread state for demo_run. */
typedef struct DemoSignals {
	Demo *d;
	sigset_t set;
	volatile int done;
} DemoSignals;

/* Wait for SIGINT/SIGTERM (or done) and stop the loop. */
static void *demo_signal_main(void *arg)
{
	DemoSignals *s = arg;
	struct timespec t = {0, 200L * 1000 * 1000};

	while (!s->done) {
		int sig = sigtimedwait(&s->set, NULL, &t);

		if (sig == SIGINT || sig == SIGTERM) {
			demo_request_stop(s->d);
			break;
		}
	}
	return NULL;
}

/* Duration timer: stop the loop. */
static void demo_duration_cb(lws_sorted_usec_list_t *sul)
{
	Demo *d = lws_container_of(sul, Demo, sul_duration);

	d->stop = 1;
	lws_cancel_service(d->ctx);
}

/* Run the demo in this thread until SIGINT/SIGTERM or the duration ends; 0 on a clean stop. */
int demo_run(const DemoOptions *o)
{
	DemoSignals sig = {0};
	pthread_t st;
	char err[200];
	Demo *d;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sig.set);
	sigaddset(&sig.set, SIGINT);
	sigaddset(&sig.set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sig.set, NULL);
	/* Only the standalone demo owns lws logging; an embedding program keeps its own. */
	lws_set_log_level(o->quiet ? 0 : LLL_ERR, NULL);
	d = demo_create(o, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "swarmtop demo: %s\n", err);
		return 1;
	}
	printf("demo: listening on ws://%s:%d/swarmtop\ndemo: instance %s\n", d->host, d->port,
	       d->instance);
	fflush(stdout);
	sig.d = d;
	if (pthread_create(&st, NULL, demo_signal_main, &sig) != 0) {
		demo_sim_stop(d->sim);
		demo_free(d);
		return 1;
	}
	if (o->duration > 0)
		lws_sul_schedule(d->ctx, 0, &d->sul_duration, demo_duration_cb,
				 (lws_usec_t)(o->duration * LWS_US_PER_SEC));
	demo_loop(d);
	sig.done = 1;
	pthread_join(st, NULL);
	demo_request_stop(d);
	demo_sim_stop(d->sim);
	demo_free(d);
	return 0;
}

/* ---- `swarmtop demo` ---- */

/* One long option with its help text. */
typedef struct DemoOptDef {
	const char *name;
	int has_arg;
	int key;
	const char *arg, *help;
} DemoOptDef;

enum { OPT_PORT = 1000, OPT_HOST, OPT_AGENTS, OPT_RATE, OPT_SEED, OPT_TOKEN, OPT_RETAIN,
       OPT_INSTANCE, OPT_QUIET, OPT_SPEED, OPT_DURATION, OPT_DROP, OPT_SEQ_START, OPT_ID,
       OPT_MAXMSG, OPT_HELP };

static const DemoOptDef demo_optdefs[] = {
	{"port", 1, OPT_PORT, "N", "listen port (default 7700; 0 = any free port)"},
	{"host", 1, OPT_HOST, "ADDR", "listen address (default 127.0.0.1)"},
	{"agents", 1, OPT_AGENTS, "N", "agents incl. planner and reviewer (3-32, default 8)"},
	{"rate", 1, OPT_RATE, "EV_PER_S", "flood mode: synthetic events per second (0 = max)"},
	{"seed", 1, OPT_SEED, "N", "simulation seed (default: from the clock)"},
	{"token", 1, OPT_TOKEN, "T", "require Authorization: Bearer T (or SWARMTOP_DEMO_TOKEN)"},
	{"retain", 1, OPT_RETAIN, "N", "events kept for resume (default 10000)"},
	{"instance", 1, OPT_INSTANCE, "ID", "runtime instance id (default random)"},
	{"seq-start", 1, OPT_SEQ_START, "N", "first seq is N+1 (restart with the same instance)"},
	{"id", 1, OPT_ID, "ID", "runtime id (default swarmtop-demo)"},
	{"speed", 1, OPT_SPEED, "X", "simulation pace multiplier (default 1)"},
	{"duration", 1, OPT_DURATION, "S", "exit after S seconds"},
	{"drop-after", 1, OPT_DROP, "N", "close each connection after sending N events"},
	{"max-message", 1, OPT_MAXMSG, "BYTES", "largest client message (default 1048576)"},
	{"quiet", 0, OPT_QUIET, NULL, "no diagnostics on stderr"},
	{"help", 0, OPT_HELP, NULL, "show this help"},
};

#define DEMO_NOPTS (sizeof(demo_optdefs) / sizeof(demo_optdefs[0]))

/* Print usage generated from the option table. */
static void demo_usage(FILE *f)
{
	fputs("usage: swarmtop demo [OPTIONS]\n"
	      "Run the demo agent runtime: a WebSocket server speaking swarmtop protocol v1.\n\n",
	      f);
	for (size_t i = 0; i < DEMO_NOPTS; i++) {
		char left[40];

		snprintf(left, sizeof(left), "--%s%s%s", demo_optdefs[i].name,
			 demo_optdefs[i].arg ? " " : "",
			 demo_optdefs[i].arg ? demo_optdefs[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, demo_optdefs[i].help);
	}
}

/* Parse a number within [lo, hi]; 0 or -1 with a message on stderr. */
static int demo_parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v != v || v < lo || v > hi) {
		fprintf(stderr, "swarmtop demo: --%s: '%s' is not a number in %g..%g\n", opt, s,
			lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

/* The `swarmtop demo` subcommand: parse argv (argv[0] = "demo") and run. Exit status. */
int demo_main(int argc, char **argv)
{
	struct option lo[DEMO_NOPTS + 1];
	DemoOptions o;
	int c;

	demo_options_init(&o);
	o.token = getenv("SWARMTOP_DEMO_TOKEN");
	for (size_t i = 0; i < DEMO_NOPTS; i++)
		lo[i] = (struct option){demo_optdefs[i].name, demo_optdefs[i].has_arg, NULL,
					demo_optdefs[i].key};
	lo[DEMO_NOPTS] = (struct option){0};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		const char *name = "";
		double v = 0;
		int rc = 0;

		for (size_t i = 0; i < DEMO_NOPTS; i++)
			if (demo_optdefs[i].key == c)
				name = demo_optdefs[i].name;
		switch (c) {
		case OPT_PORT:
			rc = demo_parse_num(name, optarg, 0, 65535, &v);
			o.port = (int)v;
			break;
		case OPT_HOST: o.host = optarg; break;
		case OPT_AGENTS:
			rc = demo_parse_num(name, optarg, 3, 32, &v);
			o.agents = (int)v;
			break;
		case OPT_RATE: rc = demo_parse_num(name, optarg, 0, 1e9, &v); o.rate = v; break;
		case OPT_SEED:
			rc = demo_parse_num(name, optarg, 0, 1.8e19, &v);
			o.seed = strtoull(optarg, NULL, 10);
			break;
		case OPT_TOKEN: o.token = optarg; break;
		case OPT_RETAIN:
			rc = demo_parse_num(name, optarg, 1, 10000000, &v);
			o.retain = (int)v;
			break;
		case OPT_INSTANCE:
			if (!optarg[0] || strlen(optarg) > EVENT_ID_MAX) {
				fprintf(stderr, "swarmtop demo: --instance must be 1-128 bytes\n");
				rc = -1;
			}
			o.instance = optarg;
			break;
		case OPT_SEQ_START:
			rc = demo_parse_num(name, optarg, 0, 9e15, &v);
			o.seq_start = (long long)v;
			break;
		case OPT_ID: o.runtime_id = optarg; break;
		case OPT_SPEED:
			rc = demo_parse_num(name, optarg, 0.01, 1000, &v);
			o.speed = v;
			break;
		case OPT_DURATION:
			rc = demo_parse_num(name, optarg, 0, 1e7, &v);
			o.duration = v;
			break;
		case OPT_DROP:
			rc = demo_parse_num(name, optarg, 0, 9e15, &v);
			o.drop_after = (long long)v;
			break;
		case OPT_MAXMSG:
			rc = demo_parse_num(name, optarg, 1024, 1 << 30, &v);
			o.max_message = (size_t)v;
			break;
		case OPT_QUIET: o.quiet = true; break;
		case OPT_HELP: demo_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "swarmtop demo: %s needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "swarmtop demo: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
		if (rc)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "swarmtop demo: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (o.token && !o.token[0])
		o.token = NULL;
	return demo_run(&o);
}
