/*
 * agui.h: AG-UI 1.0 events (one JSON object per WebSocket text message, type in
 * UPPER_SNAKE_CASE, no hello, no seq) mapped onto protocol-v1 Events, so an AG-UI
 * stream folds into the same model as any runtime. docs/interop.md has the table.
 *
 * One AguiState per connection (or per replayed AG-UI runtime): it remembers the
 * open runs, sub-agents, steps, tool calls and messages so that deltas are
 * assembled and ends find their starts. Output events are numbered 1, 2, 3...
 * (synthetic seqs: such a stream cannot resume); the first call also yields a
 * synthesised hello with no capabilities (read-only).
 *
 * Pure: no I/O, no clock (agui_set_now gives the time for events without one).
 */
#ifndef SWARMTOP_AGUI_H
#define SWARMTOP_AGUI_H

#include <stddef.h>
#include <stdint.h>

#include "swarmtop/arena.h"
#include "swarmtop/event.h"
#include "swarmtop/proto.h"

/* Reasoning messages are shown folded: their text starts with this marker. */
#define AGUI_REASONING_PREFIX "[reasoning] "
/* Open runs, sub-agents, steps, tool calls and messages tracked at once. */
#define AGUI_MAX_OPEN 4096
/* Message ids remembered so that MESSAGES_SNAPSHOT does not repeat streamed ones. */
#define AGUI_MAX_SEEN 65536
/* Default agent (before any run names a thread). */
#define AGUI_DEFAULT_AGENT "agui"

typedef struct AguiState AguiState;

/* A mapper for one connection: runtime id (e.g. "host:port/path") and instance (a
 * per-connection random). NULL when out of memory. */
AguiState *agui_new(const char *runtime_id, const char *instance);

/* Free it (NULL ignored). */
void agui_free(AguiState *s);

/* A deep copy (for replay checkpoints). NULL when out of memory. */
AguiState *agui_clone(const AguiState *s);

/* The time (epoch ms) given to events that carry no timestamp. */
void agui_set_now(AguiState *s, int64_t now_ms);

/* Map one AG-UI event (len bytes of JSON) into *out: the count of Events (>= 0; valid
 * until the next call, strings in a), or -1 with err naming the field when the message is
 * not an AG-UI event. Unknown event types yield 0 events (counted). */
int agui_map(AguiState *s, const char *json, size_t len, Arena *a, const Event **out,
             char err[PROTO_ERR_MAX]);

/* The current STATE_SNAPSHOT/STATE_DELTA document of an agent as compact JSON (malloc'd;
 * the caller frees), or NULL when that agent has no state. */
char *agui_state_json(const AguiState *s, const char *agent);

/* Messages of an unknown type ignored so far. */
uint64_t agui_unknown(const AguiState *s);

#endif
