/*
 * otlp.c: the OTLP/HTTP listener (I/O edge). Owns a second vhost on the app's
 * libwebsockets context that answers POST /v1/traces with JSON bodies the way
 * the OTLP specification asks: 200 with partialSuccess counts, 400 with a
 * message for a malformed body, 415 for protobuf (saying to set http/json), 413
 * above OTLP_MAX_BODY, 401 without the bearer token when one is required, 404 /
 * 405 for other paths and methods. Each accepted request is cut per service
 * (otlp_split), each part folded through that service's OtlpState into the
 * model (one read-only runtime per service.name) and stored once, raw, as a row
 * of type "otlp" (app_on_foreign). The mapping itself is in otlp_map.c (pure).
 */
#include "swarmtop/otlp.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/app.h"
#include "swarmtop/interop.h"
#include "swarmtop/model.h"

#define OTLP_RESP_MAX 512
#define OTLP_SERVICES_MAX 256

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

/* One HTTP request. */
typedef struct OtlpReq {
	char *body;
	size_t len, cap;
	int status;        /* decided early (non-zero) or after the body */
	bool early;        /* answer without reading a body, then close */
	bool skip_body;    /* the body is read and dropped */
	char resp[OTLP_RESP_MAX];
} OtlpReq;

/* Set the answer: status and a JSON body (a google.rpc.Status for errors). */
static void req_answer(OtlpReq *r, int status, const char *msg)
{
	r->status = status;
	if (status == 200) {
		snprintf(r->resp, sizeof(r->resp), "%s", msg);
		return;
	}
	/* msg comes from our own tables and the mapper's reasons: no quotes to escape */
	snprintf(r->resp, sizeof(r->resp), "{\"code\":3,\"message\":\"%s\"}", msg);
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

/* Fold an accepted body into the model and the store; sets the answer. */
static void otlp_body(OtlpServer *o, OtlpReq *r)
{
	OtlpPart *parts;
	OtlpCounts c;
	char err[PROTO_ERR_MAX];
	int64_t now = app_now_ms();
	Model *m = app_model(o->app);
	arena_reset(&o->arena);
	int np = otlp_split(r->body, r->len, &o->arena, &parts, &c, err);
	if (np < 0) {
		req_answer(r, 400, err);
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
			if (!c.rejected)
				snprintf(c.message, sizeof(c.message), "%s", err);
			c.rejected += parts[p].spans;
			continue;
		}
		unsigned dirty = 0;
		for (int i = 0; i < n; i++)
			dirty |= model_apply(m, s->rt, &evs[i], now, NULL);
		app_on_foreign(o->app, s->rt, o->url, s->name, o->instance, INTEROP_TYPE_OTLP,
		               ++s->seq, now, parts[p].body, parts[p].len, evs, (size_t)n, dirty, now);
	}
	char ok[OTLP_RESP_MAX];
	if (c.rejected)
		snprintf(ok, sizeof(ok),
		         "{\"partialSuccess\":{\"rejectedSpans\":%zu,\"errorMessage\":\"%s\"}}",
		         c.rejected, c.message);
	else
		snprintf(ok, sizeof(ok), "{\"partialSuccess\":{}}");
	req_answer(r, 200, ok);
}

/* Decide what a new request gets before its body (path, method, token, type, size). */
static void otlp_request(OtlpServer *o, struct lws *wsi, OtlpReq *r, const char *path)
{
	char hdr[512];
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0) {
		req_answer(r, 405, "use POST /v1/traces");
		r->early = true;
		return;
	}
	if (o->token) {
		char want[600];
		snprintf(want, sizeof(want), "Bearer %s", o->token);
		if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
		    strcmp(hdr, want) != 0) {
			req_answer(r, 401, "a bearer token is required (Authorization: Bearer ...)");
			r->skip_body = true;
			return;
		}
	}
	if (strcmp(path, "/v1/traces") != 0) {
		req_answer(r, 404, "only /v1/traces is served (traces over OTLP/HTTP JSON)");
		r->skip_body = true;
		return;
	}
	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
	    strstr(hdr, "protobuf")) {
		req_answer(r, 415, "protobuf bodies are not supported: set "
		                   "OTEL_EXPORTER_OTLP_PROTOCOL=http/json");
		r->skip_body = true;
		return;
	}
	if (lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
	    strtoull(hdr, NULL, 10) > OTLP_MAX_BODY) {
		char msg[96];
		snprintf(msg, sizeof(msg), "body larger than %u bytes", OTLP_MAX_BODY);
		req_answer(r, 413, msg);
		r->early = true;
	}
}

/* Keep (or drop) a piece of the body. */
static void otlp_chunk(OtlpReq *r, const char *in, size_t len)
{
	if (r->status)
		return;
	if (r->len + len > OTLP_MAX_BODY) {
		char msg[96];
		snprintf(msg, sizeof(msg), "body larger than %u bytes", OTLP_MAX_BODY);
		req_answer(r, 413, msg);
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return;
	}
	if (r->len + len + 1 > r->cap) {
		size_t nc = r->cap ? r->cap : 65536;
		while (nc < r->len + len + 1)
			nc *= 2;
		char *nb = realloc(r->body, nc);
		if (!nb) {
			req_answer(r, 413, "out of memory for the body");
			return;
		}
		r->body = nb;
		r->cap = nc;
	}
	memcpy(r->body + r->len, in, len);
	r->len += len;
	r->body[r->len] = '\0';
}

/* Write the answer; -1 closes the connection. */
static int otlp_write(struct lws *wsi, OtlpReq *r)
{
	unsigned char buf[LWS_PRE + 1024 + OTLP_RESP_MAX];
	unsigned char *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof(buf) - 1];
	size_t n = strlen(r->resp);
	if (lws_add_http_common_headers(wsi, (unsigned)r->status, "application/json", n, &p,
	                                end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	memcpy(start, r->resp, n);
	if (lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) != (int)n)
		return -1;
	free(r->body);
	r->body = NULL;
	if (r->early)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The vhost's HTTP callback. */
static int otlp_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
	OtlpReq *r = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	OtlpServer *o = vh ? lws_vhost_user(vh) : NULL;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (!o || !r)
			return -1;
		memset(r, 0, sizeof(*r));
		otlp_request(o, wsi, r, in ? (const char *)in : "");
		if (r->early)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (r && !r->early && !r->skip_body)
			otlp_chunk(r, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!o || !r)
			return -1;
		if (!r->status && !r->early)
			otlp_body(o, r);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!r || !r->status)
			return 0;
		return otlp_write(wsi, r);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (r) {
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
		}
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols otlp_protocols[] = {
	{ .name = "otlp-http", .callback = otlp_callback, .per_session_data_size = sizeof(OtlpReq),
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
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(host, ':') == NULL);
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
