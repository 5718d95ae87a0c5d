/*
 * json.h: a small, strict JSON reader (RFC 8259) for the decode hot path.
 * One call parses a whole document into a flat array of nodes allocated from
 * the caller's Arena (no malloc per node, nothing to free); nodes are in
 * document order, each container followed by its descendants.
 *
 * Strict: no trailing commas, comments, leading zeros, BOM, single quotes or
 * bare control characters in strings; only space, tab, LF and CR as
 * whitespace; nothing but whitespace after the value. Containers nest at most
 * JSON_MAX_DEPTH deep (the limit docs/protocol.md promises; cJSON's too).
 * Escapes are decoded to UTF-8, \u surrogate pairs combined; a lone surrogate
 * becomes U+FFFD. Raw bytes >= 0x80 are kept as they are (invalid UTF-8 is
 * repaired where text meets a terminal, see sanitize.h). Duplicate keys are
 * all kept; json_get returns the FIRST (what the decoder has always done).
 * Strings may contain NUL bytes (from \u0000): use len, not strlen.
 *
 * Pure: no I/O, no global state. cJSON remains the project's general JSON
 * library (encoders, config, tests); this reader exists for speed.
 */
#ifndef SWARMTOP_JSON_H
#define SWARMTOP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/arena.h"

#define JSON_MAX_DEPTH 1000
/* Integers strictly inside (-2^53, 2^53) are exact (JSON_INT set). */
#define JSON_INT_LIMIT 9007199254740992LL

typedef enum JsonType {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
	JSON_TYPE_COUNT
} JsonType;

typedef enum JsonError {
	JSON_OK,
	JSON_E_END,          /* unexpected end of input */
	JSON_E_TOKEN,        /* a byte that cannot start or continue anything here */
	JSON_E_LEADING_ZERO, /* 01, -00 */
	JSON_E_NUMBER,       /* '-', '.', 'e' without digits after */
	JSON_E_CONTROL,      /* bare control character inside a string */
	JSON_E_ESCAPE,       /* unknown escape or bad \u hex digits */
	JSON_E_DEPTH,        /* nested deeper than JSON_MAX_DEPTH */
	JSON_E_TRAILING,     /* something other than whitespace after the value */
	JSON_E_TOO_BIG,      /* more than 2^32 - 2 bytes or nodes */
	JSON_E_NOMEM,        /* the arena could not grow */
	JSON_ERROR_COUNT
} JsonError;

/* Node flags. */
#define JSON_INT 1u /* number with an integral value in (-2^53, 2^53): i is exact */
#define JSON_NUL 2u /* string containing a NUL byte (from \u0000) */

typedef struct JsonNode {
	const char *key; /* object member: its key (keylen bytes, not NUL-terminated); else NULL */
	union {
		const char *str; /* JSON_STRING: len bytes, not NUL-terminated */
		int64_t i;       /* JSON_NUMBER with JSON_INT */
	};
	double num; /* JSON_NUMBER: the value (strtod's rounding when not an exact int) */
	uint32_t keylen;
	uint32_t len;  /* JSON_STRING: bytes; JSON_ARRAY/JSON_OBJECT: number of children */
	uint32_t next; /* index of the node after this one and all its descendants */
	uint8_t type;  /* JsonType */
	uint8_t flags; /* JSON_INT, JSON_NUL */
} JsonNode;

typedef struct Json {
	JsonNode *nodes; /* nodes[0] is the root */
	uint32_t count;
	JsonError err;
	size_t err_at;     /* byte offset of the error (JSON_E_TRAILING: end of the value) */
	unsigned replaced; /* lone surrogates replaced by U+FFFD */
} Json;

/* Parse len bytes of buf (need not be NUL-terminated) into j, allocating from a.
 * Strings without escapes point into buf, so buf must outlive j. Returns false
 * with j->err and j->err_at set when the document is not valid JSON. */
bool json_parse(Json *j, const char *buf, size_t len, Arena *a);

/* Parse like json_parse, but keep the nodes in the caller's scratch array (nscratch nodes,
 * e.g. on the stack) while they fit; only a larger document's nodes go to the arena. Saves
 * the arena from holding the node array of every message decoded into it. */
bool json_parse_with(Json *j, const char *buf, size_t len, Arena *a, JsonNode *scratch,
		     size_t nscratch);

/* A short English reason for an error code ("unexpected end of input"). */
const char *json_error_str(JsonError e);

/* The first child of an array or object, or NULL when it has none. */
static inline const JsonNode *json_first(const Json *j, const JsonNode *n)
{
	(void)j;
	return n->len > 0 ? n + 1 : NULL;
}

/* The node after child c and its descendants: c's next sibling while the parent has one.
 * Loop as: c = json_first(j, n); for (i = 0; i < n->len; i++, c = json_after(j, c)). */
static inline const JsonNode *json_after(const Json *j, const JsonNode *c)
{
	return j->nodes + c->next;
}

/* The first member of object obj whose key is key (keylen bytes), or NULL. */
const JsonNode *json_get(const Json *j, const JsonNode *obj, const char *key, size_t keylen);

#endif
