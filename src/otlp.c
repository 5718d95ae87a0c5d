/*
 * otlp.c: the OTLP/HTTP listener (I/O edge). Owns a second vhost on the app's
 * libwebsockets context (raw sockets: lws 4.1's HTTP server does not deliver the
 * chunked bodies exporters send, so the framing is otlp_http.c's) that answers
 * POST /v1/traces with JSON bodies the way
 * the OTLP specification asks: 200 with partialSuccess counts, 400 with a
 * message for a malformed body, 415 for protobuf (saying to set http/json), 413
 * above OTLP_MAX_BODY, 401 without the bearer token when one is required, 404 /
 * 405 for other paths and methods (errors close the connection; 200 keeps it). Each accepted request is cut per service
 * (otlp_split), each part folded through that service's OtlpState into the
 * model (one read-only runtime per service.name) and stored once, raw, as a row
 * of type "otlp" (app_on_foreign). The mapping itself is in otlp_map.c (pure).
 */
#include "swarmtop/otlp.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "swarmtop/app.h"
#include "swarmtop/interop.h"
#include "swarmtop/model.h"

#define OTLP_RESP_MAX 512
#define OTLP_SERVICES_MAX 256
#define OTLP_DRAIN_MAX (64LL << 20)  /* a refused body up to this size is read, then answered */

/* One service seen by this listener: a runtime of the model. */
typedef struct OtlpService {
	char *name;
	int rt;
	OtlpState *st;
	int64_t seq;
} OtlpService;

struct OtlpServer {
	App *app;
	struct lws_vhost *vh;
	int port;
	char *token;
	char url[160];
	char instance[40];
	OtlpService svc[OTLP_SERVICES_MAX];
	size_t nsvc;
	Arena arena;
};

/* One client connection (a raw socket: the HTTP framing is ours, see otlp_http.c). */
typedef struct OtlpConn {
	char *buf;         /* bytes received and not yet consumed */
	size_t len, cap;
	int status;        /* answer waiting to be written (0: none) */
	bool close_after;  /* close once it is written */
	char resp[OTLP_RESP_MAX];
	size_t resp_len;
	long long discard; /* bytes of a refused body still to be read and dropped */
} OtlpConn;

/* Short reason phrases of the statuses used. */
static const struct {
	int code;
	const char *text;
} otlp_reasons[] = {
	{ 200, "OK" },          { 400, "Bad Request" },        { 401, "Unauthorized" },
	{ 404, "Not Found" },   { 405, "Method Not Allowed" }, { 413, "Payload Too Large" },
	{ 415, "Unsupported Media Type" },
};

/* Queue the answer: status and a JSON body (a google.rpc.Status for errors). */
static void conn_answer(OtlpConn *c, int status, const char *msg, bool close_after)
{
	char body[OTLP_RESP_MAX / 2];
	const char *reason = "Error";
	for (size_t i = 0; i < sizeof(otlp_reasons) / sizeof(otlp_reasons[0]); i++)
		if (otlp_reasons[i].code == status)
			reason = otlp_reasons[i].text;
	/* msg comes from our own tables and the mapper's reasons: no double quotes */
	if (status == 200)
		snprintf(body, sizeof(body), "%s", msg);
	else
		snprintf(body, sizeof(body), "{\"code\":3,\"message\":\"%s\"}", msg);
	int n = snprintf(c->resp, sizeof(c->resp),
	                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: %s\r\n\r\n%s",
	                 status, reason, strlen(body), close_after ? "close" : "keep-alive", body);
	c->resp_len = n > 0 && (size_t)n < sizeof(c->resp) ? (size_t)n : 0;
	c->status = status;
	c->close_after = close_after;
}

/* The service slot of name, created (with its runtime) when new; NULL when full. */
static OtlpService *otlp_service(OtlpServer *o, const char *name, int64_t now)
{
	for (size_t i = 0; i < o->nsvc; i++)
		if (!strcmp(o->svc[i].name, name))
			return &o->svc[i];
	if (o->nsvc == OTLP_SERVICES_MAX)
		return NULL;
	Model *m = app_model(o->app);
	OtlpService *s = &o->svc[o->nsvc];
	s->name = strdup(name);
	s->st = otlp_new(name, o->instance);
	s->rt = model_add_runtime(m, o->url, now);
	if (!s->name || !s->st || s->rt < 0) {
		free(s->name);
		otlp_free(s->st);
		return NULL;
	}
	m->runtimes[s->rt].read_only = true;
	m->runtimes[s->rt].dialect = DIALECT_OTLP;
	model_set_conn(m, s->rt, CONN_CONNECTED, NULL, 0, now);
	o->nsvc++;
	return s;
}

/* Fold an accepted body into the model and the store; queues the answer. */
static void otlp_body(OtlpServer *o, OtlpConn *c, const char *body, size_t len, bool keep)
{
	OtlpPart *parts;
	OtlpCounts k;
	char err[PROTO_ERR_MAX];
	int64_t now = app_now_ms();
	Model *m = app_model(o->app);
	arena_reset(&o->arena);
	int np = otlp_split(body, len, &o->arena, &parts, &k, err);
	if (np < 0) {
		conn_answer(c, 400, err, !keep);
		return;
	}
	for (int p = 0; p < np; p++) {
		OtlpService *s = otlp_service(o, parts[p].service, now);
		const Event *evs = NULL;
		int n = -1;
		if (s) {
			otlp_set_now(s->st, now);
			n = otlp_map(s->st, parts[p].body, parts[p].len, &o->arena, &evs, err);
		} else {
			snprintf(err, sizeof(err), "more than %d services", OTLP_SERVICES_MAX);
		}
		if (n < 0) {
			if (!k.rejected)
				snprintf(k.message, sizeof(k.message), "%s", err);
			k.rejected += parts[p].spans;
			continue;
		}
		unsigned dirty = 0;
		for (int i = 0; i < n; i++)
			dirty |= model_apply(m, s->rt, &evs[i], now, NULL);
		app_on_foreign(o->app, s->rt, o->url, s->name, o->instance, INTEROP_TYPE_OTLP,
		               ++s->seq, now, parts[p].body, parts[p].len, evs, (size_t)n, dirty, now);
	}
	char ok[OTLP_RESP_MAX / 2];
	if (k.rejected)
		snprintf(ok, sizeof(ok),
		         "{\"partialSuccess\":{\"rejectedSpans\":%zu,\"errorMessage\":\"%s\"}}",
		         k.rejected, k.message);
	else
		snprintf(ok, sizeof(ok), "{\"partialSuccess\":{}}");
	conn_answer(c, 200, ok, !keep);
}

/* What a request will get whatever its body: 0 (go on), or an error status with msg. */
static int otlp_check(OtlpServer *o, const OtlpHttp *h, char *msg, size_t cap)
{
	if (strcmp(h->method, "POST") != 0) {
		snprintf(msg, cap, "use POST /v1/traces");
		return 405;
	}
	if (o->token) {
		char want[600];
		snprintf(want, sizeof(want), "Bearer %s", o->token);
		if (strcmp(h->auth, want) != 0) {
			snprintf(msg, cap, "a bearer token is required (Authorization: Bearer ...)");
			return 401;
		}
	}
	if (strcmp(h->path, "/v1/traces") != 0) {
		snprintf(msg, cap, "only /v1/traces is served (traces over OTLP/HTTP JSON)");
		return 404;
	}
	if (strstr(h->content_type, "protobuf")) {
		snprintf(msg, cap, "protobuf bodies are not supported: set "
		                   "OTEL_EXPORTER_OTLP_PROTOCOL=http/json");
		return 415;
	}
	if (h->encoding[0] && strcasecmp(h->encoding, "identity") != 0) {
		snprintf(msg, cap, "compressed bodies are not supported: set "
		                   "OTEL_EXPORTER_OTLP_COMPRESSION=none");
		return 415;
	}
	if (h->content_length > (long long)OTLP_MAX_BODY) {
		snprintf(msg, cap, "body larger than %u bytes", OTLP_MAX_BODY);
		return 413;
	}
	return 0;
}

/* Handle what has arrived: one request at a time (its answer is written first). Errors
 * are answered once the body is read (so the client reads the answer, not a reset), and
 * close the connection; a body declared too large is read and dropped (up to
 * OTLP_DRAIN_MAX) before the 413. */
static void otlp_parse_conn(OtlpServer *o, OtlpConn *c)
{
	if (c->status || c->len == 0)
		return;
	OtlpHttp h;
	char msg[160];
	int r = otlp_http_head(c->buf, c->len, &h);
	if (r < 0) {
		conn_answer(c, 400, "malformed HTTP request", true);
		return;
	}
	if (r == 0)
		return;
	int pre = otlp_check(o, &h, msg, sizeof(msg));
	char *body = c->buf + h.head_len;
	size_t avail = c->len - h.head_len, blen = 0, used = 0;
	if (pre == 413 && !h.chunked) {
		conn_answer(c, 413, msg, true);
		c->discard = h.content_length - (long long)avail;
		c->len = 0;
		if (h.content_length > OTLP_DRAIN_MAX)
			c->discard = 0;   /* not worth reading: answer and close now */
		return;
	}
	if (h.chunked) {
		r = otlp_http_chunked(body, avail, OTLP_MAX_BODY, &blen, &used);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "body larger than %u bytes", OTLP_MAX_BODY);
			conn_answer(c, r == -2 ? 413 : 400, r == -2 ? msg : "malformed chunked body",
			            true);
			return;
		}
		if (r == 0)
			return;
	} else if (h.content_length > 0) {
		if (avail < (size_t)h.content_length)
			return;
		blen = used = (size_t)h.content_length;
	}
	if (pre) {
		conn_answer(c, pre, msg, true);
		return;
	}
	char save = body[blen];
	body[blen] = '\0';
	otlp_body(o, c, body, blen, h.keep_alive);
	body[blen] = save;
	size_t consumed = h.head_len + used;
	memmove(c->buf, c->buf + consumed, c->len - consumed);
	c->len -= consumed;
}

/* Keep received bytes (bounded: one head and one body at most). -1: too much. */
static int otlp_take(OtlpConn *c, const char *in, size_t len)
{
	size_t limit = OTLP_HTTP_HEAD_MAX + OTLP_MAX_BODY + OTLP_MAX_BODY / 8 + 64;
	if (c->len + len > limit)
		return -1;
	if (c->len + len + 1 > c->cap) {
		size_t nc = c->cap ? c->cap : 65536;
		while (nc < c->len + len + 1)
			nc *= 2;
		char *nb = realloc(c->buf, nc);
		if (!nb)
			return -1;
		c->buf = nb;
		c->cap = nc;
	}
	memcpy(c->buf + c->len, in, len);
	c->len += len;
	c->buf[c->len] = '\0';
	return 0;
}

/* Write the queued answer; -1 closes the connection. */
static int otlp_write(OtlpServer *o, struct lws *wsi, OtlpConn *c)
{
	unsigned char out[LWS_PRE + OTLP_RESP_MAX];
	if (!c->status || c->discard > 0)
		return 0;
	memcpy(out + LWS_PRE, c->resp, c->resp_len);
	if (lws_write(wsi, out + LWS_PRE, c->resp_len, LWS_WRITE_RAW) != (int)c->resp_len ||
	    c->close_after)
		return -1;
	c->status = 0;
	otlp_parse_conn(o, c);   /* a pipelined request may be waiting */
	if (c->status)
		lws_callback_on_writable(wsi);
	return 0;
}

/* The listener's raw-socket callback. */
static int otlp_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
	OtlpConn *c = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	OtlpServer *o = vh ? lws_vhost_user(vh) : NULL;
	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT:
		if (c)
			memset(c, 0, sizeof(*c));
		return 0;
	case LWS_CALLBACK_RAW_RX:
		if (!o || !c)
			return -1;
		if (c->discard > 0) {
			c->discard -= (long long)len;
			if (c->discard <= 0)
				lws_callback_on_writable(wsi);
			return 0;
		}
		if (c->status && c->close_after)
			return 0;   /* answered, closing: the rest is dropped */
		if (otlp_take(c, in, len) < 0) {
			char msg[96];
			snprintf(msg, sizeof(msg), "body larger than %u bytes", OTLP_MAX_BODY);
			conn_answer(c, 413, msg, true);
		} else {
			otlp_parse_conn(o, c);
		}
		if (c->status && c->discard <= 0)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		return c && o ? otlp_write(o, wsi, c) : -1;
	case LWS_CALLBACK_RAW_CLOSE:
		if (c) {
			free(c->buf);
			c->buf = NULL;
			c->len = c->cap = 0;
		}
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols otlp_protocols[] = {
	{ .name = "otlp-http", .callback = otlp_callback, .per_session_data_size = sizeof(OtlpConn),
	  .rx_buffer_size = 65536 },
	{ .name = NULL },
};

/* Split "HOST:PORT" ("[v6]:PORT", ":PORT" or "PORT"); host defaults to loopback. */
static int otlp_parse(const char *hp, char *host, size_t cap, int *port)
{
	const char *colon = strrchr(hp, ':');
	const char *ps = colon ? colon + 1 : hp;
	char *e;
	long p = strtol(ps, &e, 10);
	if (!*ps || *e || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	size_t hl = colon ? (size_t)(colon - hp) : 0;
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl == 0) {
		snprintf(host, cap, "127.0.0.1");
		return 0;
	}
	if (hl >= cap)
		return -1;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	return 0;
}

/* Listen for POST /v1/traces on hostport in the app's loop. */
OtlpServer *otlp_listen(App *app, const char *hostport, const char *token, char *err,
                        size_t cap)
{
	char host[128];
	int port;
	if (!hostport || otlp_parse(hostport, host, sizeof(host), &port) < 0) {
		snprintf(err, cap, "--otlp %.60s: expected HOST:PORT (e.g. 127.0.0.1:4318)",
		         hostport ? hostport : "");
		return NULL;
	}
	OtlpServer *o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	o->app = app;
	o->token = token && *token ? strdup(token) : NULL;
	arena_init(&o->arena, 1 << 16);
	unsigned char rnd[6] = { 0 };
	lws_get_random(app_lws(app), rnd, sizeof(rnd));
	snprintf(o->instance, sizeof(o->instance), "otlp-%02x%02x%02x%02x%02x%02x", rnd[0],
	         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.vhost_name = "otlp";
	info.protocols = otlp_protocols;
	info.user = o;
	info.options = LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG |
	               LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(host, ':') == NULL);
	info.listen_accept_role = "raw-skt";
	info.listen_accept_protocol = "otlp-http";
	o->vh = lws_create_vhost(app_lws(app), &info);
	if (!o->vh) {
		snprintf(err, cap, "--otlp %.60s: cannot listen (address in use or not local?)",
		         hostport);
		otlp_close(o);
		return NULL;
	}
	o->port = lws_get_vhost_listen_port(o->vh);
	snprintf(o->url, sizeof(o->url), "otlp://%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
	         strchr(host, ':') ? "]" : "", o->port);
	return o;
}

/* The port actually bound. */
int otlp_port(const OtlpServer *o)
{
	return o ? o->port : -1;
}

/* Free the listener's memory (its vhost goes with the app's context). */
void otlp_close(OtlpServer *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nsvc; i++) {
		free(o->svc[i].name);
		otlp_free(o->svc[i].st);
	}
	arena_free(&o->arena);
	free(o->token);
	free(o);
}
