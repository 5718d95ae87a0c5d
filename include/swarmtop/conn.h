/*
 * conn.h: one WebSocket connection per runtime URL (ws:// or wss://), in the
 * App's single libwebsockets loop.
 *
 * Owns: URL parsing, connect (TLS verified unless --insecure), the bearer
 * token header, reassembly of fragmented messages under a hard cap, the
 * hello -> subscribe(since) resume handshake, per-instance seq tracking
 * (duplicates dropped, gaps recorded), the command send queue, reconnect with
 * exponential backoff and jitter, and the connection state shown to users.
 * Every decoded message goes through model_apply; persistence goes through
 * app_persist_* (app.c owns the store). Must never log, store or show the token.
 */
#ifndef SWARMTOP_CONN_H
#define SWARMTOP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "swarmtop/event.h"
#include "swarmtop/model.h"

#define CONN_HOST_MAX       256
#define CONN_PATH_MAX       1024
#define CONN_DEFAULT_PORT   7700
#define CONN_DEFAULT_PATH   "/swarmtop"
#define CONN_SUBPROTOCOL    "swarmtop.v1"
#define CONN_BACKOFF_MIN_MS 250
#define CONN_BACKOFF_MAX_MS 30000
#define CONN_QUEUE_MAX      256 /* commands waiting to be written */

typedef struct App App;
typedef struct Conn Conn;

/* A parsed runtime URL. */
typedef struct ConnUrl {
	bool tls;                 /* wss:// */
	char host[CONN_HOST_MAX]; /* without brackets for IPv6 literals */
	int port;
	char path[CONN_PATH_MAX]; /* starts with '/' */
} ConnUrl;

/* Counters of one connection (cumulative over reconnects). */
typedef struct ConnStats {
	uint64_t messages;   /* complete text messages received */
	uint64_t events;     /* accepted, non-duplicate events */
	uint64_t duplicates; /* seq <= last seen: dropped */
	uint64_t rejects;    /* failed proto_decode */
	uint64_t oversize;   /* messages over the cap (closed with 1009) */
	uint64_t binary;     /* binary messages (closed with 1003) */
	uint64_t gaps;       /* gaps recorded */
	uint64_t connects;   /* connection attempts */
	uint64_t hellos;     /* successful hellos */
	uint64_t commands;   /* commands queued */
} ConnStats;

/* Parse ws://host[:port][/path] or wss://...; 0, or -1 with err set. */
int conn_parse_url(const char *url, ConnUrl *out, char *err, size_t cap);

/* A connection for url, reporting into model runtime rt. NULL with err set. */
Conn *conn_new(App *app, const char *url, int rt, char *err, size_t cap);

/* Close (if open) and free. */
void conn_free(Conn *c);

/* Start connecting (now). */
void conn_start(Conn *c);

/* Close for good (no reconnect): used on shutdown. */
void conn_close(Conn *c);

/* Queue a command (its id already set). Refused locally when the runtime's
 * hello did not list the action or the queue is full: returns -1 with err set. */
int conn_send_command(Conn *c, const Command *cmd, char *err, size_t cap);

/* The model runtime index, the URL, the state and the counters. */
int conn_runtime(const Conn *c);
const char *conn_url(const Conn *c);
ConnState conn_state(const Conn *c);
const ConnStats *conn_stats(const Conn *c);

/* The hello of the current connection, or NULL before it arrives. */
bool conn_hello_seen(const Conn *c);

/* True while a WebSocket is open (or opening). */
bool conn_is_open(const Conn *c);

/* The runtime id and instance of the current/last hello ("" before any). */
const char *conn_runtime_id(const Conn *c);
const char *conn_instance(const Conn *c);

/* The AG-UI mapper of the connection (agui.h: agui_state_json gives an agent's state
 * document for the details pane), or NULL when it does not speak AG-UI. */
struct AguiState;
const struct AguiState *conn_agui_state(const Conn *c);

/* True when the connection was refused for authentication (no more retries). */
bool conn_auth_failed(const Conn *c);

/* Why the connection last failed (sanitized, never the token), or "". */
const char *conn_reason(const Conn *c);

/* The libwebsockets protocol callback for client connections (registered by app.c). */
int conn_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);

/* Exponential backoff with jitter: the delay before attempt n (0-based), given a
 * random 32-bit value. Between CONN_BACKOFF_MIN_MS*3/4 and CONN_BACKOFF_MAX_MS. */
int64_t conn_backoff_ms(unsigned attempt, uint32_t rnd);

#endif
