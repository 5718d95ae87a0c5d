/*
 * wsmsg.h: WebSocket message reassembly under a hard cap.
 *
 * Fed the received fragments of messages in order (a fragment is whatever the
 * transport hands over: a frame or a piece of one, flagged first / final /
 * binary), it joins a text message's fragments into one NUL-terminated buffer
 * of at most max bytes and says what happened: more is needed, a text message
 * is complete, a binary message came (ignored, counted), or a text message
 * passed the cap (the caller closes with 1009; the rest of it is dropped).
 * A continuation with no message started is dropped; a first fragment while a
 * text message is open abandons that message. The buffer never holds more
 * than max + 1 bytes, and one larger than WSMSG_KEEP_MAX is freed once its
 * message is done.
 *
 * Pure: no I/O, no libwebsockets types. conn.c feeds it from its lws callback.
 */
#ifndef SWARMTOP_WSMSG_H
#define SWARMTOP_WSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fragment flags. */
#define WSMSG_F_FIRST  1u /* the first fragment of a message */
#define WSMSG_F_FINAL  2u /* the last fragment of a message */
#define WSMSG_F_BINARY 4u /* the message is binary (read on its first fragment) */

#define WSMSG_KEEP_MAX ((size_t)256 * 1024) /* larger buffers are freed after their message */
#define WSMSG_MAX_CAP  ((size_t)1 << 40)    /* max is clamped to this */

/* What one fragment did. */
typedef enum WsmsgResult {
	WSMSG_MORE,    /* taken (or dropped): no message complete */
	WSMSG_TEXT,    /* a text message is complete: wsmsg_text() until the next call */
	WSMSG_BINARY,  /* a binary message started: ignored, its other fragments dropped */
	WSMSG_TOO_BIG, /* the text message passed max: buffer freed, the rest dropped */
	WSMSG_NOMEM,   /* out of memory: the message is dropped like TOO_BIG */
} WsmsgResult;

/* Counters (cumulative). */
typedef struct WsmsgStats {
	uint64_t texts;     /* complete text messages */
	uint64_t binary;    /* binary messages ignored */
	uint64_t too_big;   /* text messages over the cap */
	uint64_t nomem;     /* text messages dropped for lack of memory */
	uint64_t orphans;   /* continuation fragments with no message started (dropped) */
	uint64_t abandoned; /* text messages cut short by a new first fragment */
} WsmsgStats;

/* The reassembler; zero-filled plus wsmsg_init is ready. */
typedef struct Wsmsg {
	char *buf;      /* cap bytes: the message so far; NUL-terminated when complete */
	size_t len;     /* bytes of the message so far (never above max) */
	size_t cap;     /* allocated bytes (never above max + 1) */
	size_t max;     /* the largest message accepted, in bytes */
	int state;      /* idle, in a text message, or dropping the rest of one */
	bool delivered; /* buf holds the message last returned as WSMSG_TEXT */
	WsmsgStats st;
} Wsmsg;

/* An empty reassembler accepting messages of at most max bytes. */
void wsmsg_init(Wsmsg *r, size_t max);

/* Take one fragment of n bytes (data may be NULL when n is 0) with WSMSG_F_* flags. */
WsmsgResult wsmsg_feed(Wsmsg *r, const void *data, size_t n, unsigned flags);

/* The message of the last WSMSG_TEXT (NUL-terminated, its length in *len), or NULL. */
char *wsmsg_text(Wsmsg *r, size_t *len);

/* Forget any message in progress (a new connection); a large buffer is freed. */
void wsmsg_reset(Wsmsg *r);

/* Free the buffer and forget any message in progress; counters and max stay. */
void wsmsg_free(Wsmsg *r);

#endif
