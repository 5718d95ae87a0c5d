/*
 * interop.h: what the AG-UI and OpenTelemetry mappers share, and the one entry
 * point replay uses to turn a stored AG-UI / OTLP row back into protocol-v1
 * Events.
 *
 * Stored rows: a message received on an AG-UI connection is stored exactly as
 * received with type INTEROP_TYPE_AGUI ("agui") and the connection's synthetic
 * seq; an OTLP span batch is stored as one row per service (the resourceSpans
 * of that service re-serialised as an ExportTraceServiceRequest) with type
 * INTEROP_TYPE_OTLP ("otlp") and the listener's synthetic seq. Neither stores
 * the synthesised hello: interop_decode emits it before the first event of a
 * decoder (runtime id and instance come from the row).
 *
 * Pure: no I/O, no clock (the receive time is a parameter).
 */
#ifndef SWARMTOP_INTEROP_H
#define SWARMTOP_INTEROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/arena.h"
#include "swarmtop/event.h"
#include "swarmtop/proto.h"

#define INTEROP_TYPE_AGUI "agui"
#define INTEROP_TYPE_OTLP "otlp"

/* A growable array of Events owned by a mapper (strings live in the caller's Arena). */
typedef struct InteropEvents {
	Event *v;
	size_t n, cap;
	int64_t seq;        /* last synthetic seq handed out */
	int64_t ts;         /* ts given to events that carry no time of their own */
	bool oom;
} InteropEvents;

/* Append a zeroed event of type t (seq numbered, ts set); NULL when out of memory. */
Event *interop_push(InteropEvents *e, EventType t);

/* Free the array. */
void interop_events_free(InteropEvents *e);

/* Copy s (len bytes) into a, cut at a UTF-8 boundary to at most max bytes; NULL if s is. */
const char *interop_dup(Arena *a, const char *s, size_t len, size_t max);

/* interop_dup of a NUL-terminated string (NULL stays NULL, "" stays ""). */
const char *interop_str(Arena *a, const char *s, size_t max);

/* Apply an RFC 6902 JSON Patch (a cJSON array) to *doc (a cJSON document, replaced in
 * place on success). Returns 0, or -1 with err set (the document is then unchanged). */
struct cJSON;
int interop_json_patch(struct cJSON **doc, const struct cJSON *patch, char *err, size_t cap);

/* A replay decoder: one per (runtime id, instance) of a stored session. */
typedef struct InteropDecoder InteropDecoder;

/* A decoder for rows of type ("agui" or "otlp") of runtime id / instance; NULL for any
 * other type or when out of memory. */
InteropDecoder *interop_decoder_new(const char *type, const char *runtime_id,
                                    const char *instance);

/* A deep copy (replay checkpoints); NULL when out of memory. */
InteropDecoder *interop_decoder_clone(const InteropDecoder *d);

/* Free it (NULL ignored). */
void interop_decoder_free(InteropDecoder *d);

/* True when rows of this type need an interop decoder rather than proto_decode. */
bool interop_type(const char *type);

/* Decode one stored row (raw, len bytes, received at recv_ms) into *out (count returned,
 * valid until the next call; strings in a). The first call also yields the synthesised
 * hello. Returns the count (>= 0), or -1 with err naming what was wrong. */
int interop_decode(InteropDecoder *d, const char *raw, size_t len, int64_t recv_ms, Arena *a,
                   const Event **out, char err[PROTO_ERR_MAX]);

/* The decoders of a whole session, one per (runtime id, instance) and type, made on first
 * use: what a replay keeps next to each model (and clones with each checkpoint). */
typedef struct InteropSet InteropSet;

/* An empty set; NULL when out of memory. */
InteropSet *interop_set_new(void);

/* A deep copy; NULL when out of memory. */
InteropSet *interop_set_clone(const InteropSet *s);

/* Free it (NULL ignored). */
void interop_set_free(InteropSet *s);

/* interop_decode with the decoder of (type, runtime id, instance). -1 with err also when
 * the type is not a foreign one. */
int interop_set_decode(InteropSet *s, const char *type, const char *runtime_id,
                       const char *instance, const char *raw, size_t len, int64_t recv_ms,
                       Arena *a, const Event **out, char err[PROTO_ERR_MAX]);

#endif
