/*
 * proto.h: protocol v1 on the wire. Bytes of one WebSocket text message become
 * a validated Event, or a rejection with a one-line reason that names the
 * field; Commands and subscribes become JSON text.
 *
 * Pure: no I/O, no clock. Messages are parsed by json.h's strict reader
 * (cJSON only for sniffing); decoded strings are copied into the caller's
 * Arena, truncated to the spec's limits (never rejected for length alone),
 * but NOT sanitized: sanitizing happens where text meets a terminal (see
 * sanitize.h, canvas.h). The decoder keeps up to 20 KiB of JSON nodes on the
 * stack.
 */
#ifndef SWARMTOP_PROTO_H
#define SWARMTOP_PROTO_H

#include <stddef.h>

#include "swarmtop/arena.h"
#include "swarmtop/event.h"

#define PROTO_VERSION 1
#define PROTO_ERR_MAX 160

typedef enum ProtoResult {
	PROTO_OK,        /* ev is a valid event (possibly EV_UNKNOWN: skip and count) */
	PROTO_REJECT,    /* not valid: err says why in one line naming the field */
} ProtoResult;

/* Which wire dialect a connection speaks (AG-UI, section 6, is an extension point). */
typedef enum ProtoDialect {
	DIALECT_V1,
	DIALECT_AGUI,
	DIALECT_OTLP,    /* OpenTelemetry spans received over OTLP/HTTP (otlp.c), not a WebSocket */
	DIALECT_COUNT
} ProtoDialect;

/* Decode one complete message of len bytes into ev, allocating from a.
 * On PROTO_REJECT, err (PROTO_ERR_MAX bytes, may be NULL) holds one line naming the field, e.g.
 * "task: 'task.id' is missing", and ev is zeroed. Rules: docs/protocol.md section 3.1. */
ProtoResult proto_decode(const char *buf, size_t len, Event *ev, Arena *a, char err[PROTO_ERR_MAX]);

/* Guess the dialect from a connection's first message: UPPER_SNAKE type and no hello -> AG-UI. */
ProtoDialect proto_sniff(const char *buf, size_t len);

/* Encode {"type":"subscribe","since":N}; returns bytes written (excl. NUL) or -1 if out is too
 * small or since < 0. */
int proto_encode_subscribe(long long since, char *out, size_t cap);

/* Encode a command; returns bytes written (excl. NUL) or -1 if out is too small or the command
 * is invalid (no id, no target for an agent/task, inject without text). text and reason are
 * JSON-escaped; invalid UTF-8 in them becomes U+FFFD. Never writes a partial message. */
int proto_encode_command(const Command *cmd, char *out, size_t cap);

/* Parse a command's action/target from CLI-ish words: "pause", TARGET_AGENT, "planner".
 * Returns 0, or -1 with err set. */
int proto_command_init(Command *cmd, const char *id, const char *action, TargetKind kind,
                       const char *target, char err[PROTO_ERR_MAX]);

#endif
