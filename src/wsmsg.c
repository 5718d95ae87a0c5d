/*
 * wsmsg.c: WebSocket message reassembly under a hard cap (see wsmsg.h).
 *
 * Owns: the fragment state machine (idle -> text -> idle, or -> skip until the
 * final fragment of a binary, oversize or unfinishable message), the growing
 * buffer bounded by max + 1 bytes, and the counters.
 * Pure: no I/O. Must not: keep a buffer above WSMSG_KEEP_MAX between messages.
 */
#include "swarmtop/wsmsg.h"

#include <stdlib.h>
#include <string.h>

enum { WSMSG_IDLE, WSMSG_IN_TEXT, WSMSG_SKIP };

#define WSMSG_FIRST_ALLOC 4096u

/* An empty reassembler accepting messages of at most max bytes. */
void wsmsg_init(Wsmsg *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max > WSMSG_MAX_CAP ? WSMSG_MAX_CAP : max;
	r->state = WSMSG_IDLE;
}

/* Free the buffer and forget any message in progress; counters and max stay. */
void wsmsg_free(Wsmsg *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
	r->delivered = false;
	r->state = WSMSG_IDLE;
}

/* Forget any message in progress (a new connection); a large buffer is freed. */
void wsmsg_reset(Wsmsg *r)
{
	r->len = 0;
	r->delivered = false;
	r->state = WSMSG_IDLE;
	if (r->cap > WSMSG_KEEP_MAX)
		wsmsg_free(r);
}

/* The message of the last WSMSG_TEXT (NUL-terminated, its length in *len), or NULL. */
char *wsmsg_text(Wsmsg *r, size_t *len)
{
	if (len)
		*len = r->delivered ? r->len : 0;
	return r->delivered ? r->buf : NULL;
}

/* Drop the rest of the current message: skip its fragments up to the final one. */
static void wsmsg_skip_rest(Wsmsg *r, unsigned flags)
{
	r->len = 0;
	r->state = (flags & WSMSG_F_FINAL) ? WSMSG_IDLE : WSMSG_SKIP;
}

/* Make room for need bytes (need <= max + 1), doubling from 4 KiB. 0, or -1. */
static int wsmsg_grow(Wsmsg *r, size_t need)
{
	if (need <= r->cap)
		return 0;
	size_t nc = r->cap ? r->cap : WSMSG_FIRST_ALLOC;
	while (nc < need)
		nc *= 2;
	if (nc > r->max + 1)
		nc = r->max + 1;
	char *nb = realloc(r->buf, nc);
	if (!nb)
		return -1;
	r->buf = nb;
	r->cap = nc;
	return 0;
}

/* Take one fragment of n bytes (data may be NULL when n is 0) with WSMSG_F_* flags. */
WsmsgResult wsmsg_feed(Wsmsg *r, const void *data, size_t n, unsigned flags)
{
	if (r->delivered)
		wsmsg_reset(r); /* the last message was handed over: its buffer is free again */
	if (flags & WSMSG_F_FIRST) {
		if (r->state == WSMSG_IN_TEXT)
			r->st.abandoned++;
		if (flags & WSMSG_F_BINARY) {
			r->st.binary++;
			wsmsg_skip_rest(r, flags);
			return WSMSG_BINARY;
		}
		r->state = WSMSG_IN_TEXT;
		r->len = 0;
	} else if (r->state != WSMSG_IN_TEXT) {
		if (r->state == WSMSG_IDLE)
			r->st.orphans++;
		else if (flags & WSMSG_F_FINAL)
			r->state = WSMSG_IDLE;
		return WSMSG_MORE;
	}
	if (n > r->max - r->len) {
		r->st.too_big++;
		wsmsg_free(r);
		wsmsg_skip_rest(r, flags);
		return WSMSG_TOO_BIG;
	}
	if (wsmsg_grow(r, r->len + n + 1) < 0 || !r->buf) {
		r->st.nomem++;
		wsmsg_free(r);
		wsmsg_skip_rest(r, flags);
		return WSMSG_NOMEM;
	}
	if (n)
		memcpy(r->buf + r->len, data, n);
	r->len += n;
	if (!(flags & WSMSG_F_FINAL))
		return WSMSG_MORE;
	r->buf[r->len] = '\0';
	r->state = WSMSG_IDLE;
	r->delivered = true;
	r->st.texts++;
	return WSMSG_TEXT;
}
