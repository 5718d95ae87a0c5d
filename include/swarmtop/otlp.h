/*
 * otlp.h: OpenTelemetry GenAI spans (OTLP/HTTP with JSON bodies,
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json) mapped onto protocol-v1 Events, and the
 * HTTP listener that receives them. docs/interop.md has the mapping table.
 *
 * The pure part (otlp_map.c): otlp_split checks an ExportTraceServiceRequest
 * body and cuts it into one part per service.name (each part a valid request of
 * its own: what the store keeps, one row per runtime); otlp_map folds one
 * service's parts, in any order, into Events. One OtlpState per service: it
 * remembers spans by id so that a child that arrives before its parent is
 * re-linked (agent and parent task) when the parent arrives.
 *
 * The I/O part (otlp.c): POST /v1/traces on a vhost of the app's libwebsockets
 * context.
 */
#ifndef SWARMTOP_OTLP_H
#define SWARMTOP_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/arena.h"
#include "swarmtop/event.h"
#include "swarmtop/proto.h"

#define OTLP_MAX_BODY   (4u << 20)   /* bytes of one request body */
#define OTLP_MAX_SPANS  100000       /* spans remembered per service (oldest forgotten) */
#define OTLP_DEFAULT_SERVICE "unknown_service"

/* What a request held: spans accepted and rejected (partialSuccess), and why. */
typedef struct OtlpCounts {
	size_t spans, rejected;
	char message[PROTO_ERR_MAX];   /* first rejection reason, "" when none */
} OtlpCounts;

/* One service's share of a request: an ExportTraceServiceRequest of its own. */
typedef struct OtlpPart {
	const char *service;   /* resource attribute service.name (or OTLP_DEFAULT_SERVICE) */
	const char *body;      /* compact JSON, NUL-terminated (in the arena) */
	size_t len;
	size_t spans;          /* valid spans in it */
} OtlpPart;

/* Check a request body and cut it per service: the count of parts (>= 0) in *parts (in
 * a), with counts filled; -1 with err when the body is not an OTLP JSON request. Invalid
 * spans (no ids, bad hex) are left out and counted as rejected. */
int otlp_split(const char *json, size_t len, Arena *a, OtlpPart **parts, OtlpCounts *c,
               char err[PROTO_ERR_MAX]);

typedef struct OtlpState OtlpState;

/* A mapper for one service (the runtime id) and the listener's instance. NULL on OOM. */
OtlpState *otlp_new(const char *service, const char *instance);

/* Free it (NULL ignored). */
void otlp_free(OtlpState *s);

/* A deep copy (replay checkpoints). NULL when out of memory. */
OtlpState *otlp_clone(const OtlpState *s);

/* The time (epoch ms) given to events whose span carries no end time. */
void otlp_set_now(OtlpState *s, int64_t now_ms);

/* Map one part (or any request body whose spans belong to this service) into *out:
 * the count (>= 0; valid until the next call; strings in a), or -1 with err. The first
 * call also yields a synthesised hello (read-only: no capabilities). */
int otlp_map(OtlpState *s, const char *json, size_t len, Arena *a, const Event **out,
             char err[PROTO_ERR_MAX]);

/* ---- HTTP/1.1 request framing (otlp_http.c, pure) ---- */

#define OTLP_HTTP_HEAD_MAX 16384   /* bytes of a request line + headers */

/* The head of one request: what the listener looks at. */
typedef struct OtlpHttp {
	char method[16], path[256], content_type[128], encoding[32], auth[512];
	long long content_length;  /* -1 when absent */
	bool chunked, keep_alive;
	size_t head_len;           /* bytes of the head, blank line included */
} OtlpHttp;

/* Parse the head of a request in buf[0..len): 1 complete (h filled), 0 need more bytes,
 * -1 malformed (also: too long, Content-Length with chunked, a coding but chunked). */
int otlp_http_head(const char *buf, size_t len, OtlpHttp *h);

/* A chunked body at buf[0..len): 1 complete (decoded in place: buf[0..*body), *used bytes of
 * input consumed), 0 need more bytes, -1 malformed, -2 larger than max. */
int otlp_http_chunked(char *buf, size_t len, size_t max, size_t *body, size_t *used);

/* ---- the listener (otlp.c, I/O) ---- */

typedef struct App App;
typedef struct OtlpServer OtlpServer;

/* Listen for POST /v1/traces on "HOST:PORT" (loopback unless a host is given) in the
 * app's loop; token (may be NULL) is the bearer token required. NULL with err set. */
OtlpServer *otlp_listen(App *app, const char *hostport, const char *token, char *err,
                        size_t cap);

/* The port actually bound (useful with port 0). */
int otlp_port(const OtlpServer *o);

/* Stop listening and free (NULL ignored). */
void otlp_close(OtlpServer *o);

#endif
