/*
 * fuzz_wsmsg.c: libFuzzer target for wsmsg (WebSocket fragment reassembly).
 * The input is a cap and a sequence of fragments:
 *   2 bytes  max (little endian; times 16 when the first fragment's flags say so)
 *   then, per fragment: 1 flags byte, 1 length byte (2, little endian, when bit 5 is
 *   set), then that many bytes (fewer at the end of the input).
 * Flags: bit 0 first, bit 1 final, bit 2 binary (the WSMSG_F_* values), bit 3 reset
 * before feeding, bit 4 free before feeding, bit 5 two-byte length, bit 6 the bytes
 * repeated 64 times (long messages past WSMSG_KEEP_MAX), bit 7 of the first fragment's
 * flags: max times 16.
 * A shadow model written independently (a growing string and a three-state machine)
 * predicts every result; the target aborts when wsmsg disagrees, when a complete message
 * is not the concatenation of its fragments, when the buffer exceeds max + 1 bytes or
 * the message max bytes, when a counter is off, or when a buffer above WSMSG_KEEP_MAX
 * is kept between messages. Built by run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/wsmsg.h"

#define REPEAT 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The independent model of what wsmsg should do. */
typedef struct Shadow {
	int state;          /* 0 idle, 1 in a text message, 2 dropping the rest of one */
	unsigned char *msg; /* the text message so far */
	size_t len, cap;
	WsmsgStats st;
} Shadow;

/* Append n bytes to the shadow message (it never holds more than max). */
static void shadow_append(Shadow *s, const unsigned char *p, size_t n)
{
	if (s->len + n > s->cap) {
		size_t nc = (s->len + n) * 2 + 16;
		unsigned char *m = realloc(s->msg, nc);
		if (!m)
			abort();
		s->msg = m;
		s->cap = nc;
	}
	if (n)
		memcpy(s->msg + s->len, p, n);
	s->len += n;
}

/* Predict the result of one fragment and update the shadow. */
static WsmsgResult shadow_feed(Shadow *s, const unsigned char *p, size_t n, unsigned fl, size_t max)
{
	if (fl & WSMSG_F_FIRST) {
		if (s->state == 1)
			s->st.abandoned++;
		s->len = 0;
		if (fl & WSMSG_F_BINARY) {
			s->st.binary++;
			s->state = (fl & WSMSG_F_FINAL) ? 0 : 2;
			return WSMSG_BINARY;
		}
		s->state = 1;
	} else if (s->state == 0) {
		s->st.orphans++;
		return WSMSG_MORE;
	} else if (s->state == 2) {
		if (fl & WSMSG_F_FINAL)
			s->state = 0;
		return WSMSG_MORE;
	}
	if (s->len + n > max) {
		s->st.too_big++;
		s->len = 0;
		s->state = (fl & WSMSG_F_FINAL) ? 0 : 2;
		return WSMSG_TOO_BIG;
	}
	shadow_append(s, p, n);
	if (!(fl & WSMSG_F_FINAL))
		return WSMSG_MORE;
	s->st.texts++;
	s->state = 0;
	return WSMSG_TEXT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char rep[65535 * REPEAT];
	if (size < 3)
		return 0;
	size_t max = (size_t)data[0] | (size_t)data[1] << 8;
	if (data[2] & 0x80)
		max *= 16;
	size_t i = 2;
	Wsmsg r;
	Shadow s;
	memset(&s, 0, sizeof(s));
	wsmsg_init(&r, max);
	while (i < size) {
		unsigned fl = data[i++];
		size_t n = 0;
		if (i < size)
			n = data[i++];
		if ((fl & 0x20) && i < size)
			n |= (size_t)data[i++] << 8;
		if (n > size - i)
			n = size - i;
		const unsigned char *p = data + i;
		i += n;
		if (fl & 0x40) {
			for (int k = 0; k < REPEAT; k++)
				memcpy(rep + (size_t)k * n, p, n);
			p = rep;
			n *= REPEAT;
		}
		if (fl & 0x08) {
			wsmsg_reset(&r);
			s.state = 0;
			s.len = 0;
			if (r.cap > WSMSG_KEEP_MAX)
				abort();
		}
		if (fl & 0x10) {
			wsmsg_free(&r);
			s.state = 0;
			s.len = 0;
			if (r.buf || r.cap)
				abort();
		}
		unsigned wfl = fl & (WSMSG_F_FIRST | WSMSG_F_FINAL | WSMSG_F_BINARY);
		WsmsgResult want = shadow_feed(&s, p, n, wfl, max);
		WsmsgResult got = wsmsg_feed(&r, n ? p : NULL, n, wfl);
		if (got != want)
			abort();
		/* The bounds hold after every fragment. */
		if (r.len > max || r.cap > max + 1 || (r.buf == NULL) != (r.cap == 0))
			abort();
		size_t tl = 0;
		char *t = wsmsg_text(&r, &tl);
		if (got == WSMSG_TEXT) {
			if (!t || tl != s.len || tl > max || t[tl] != '\0' ||
			    (tl && memcmp(t, s.msg, tl) != 0))
				abort();
		} else if (t || tl) {
			abort();
		}
		if (got == WSMSG_TOO_BIG && r.buf)
			abort(); /* an oversize message's buffer is freed at once */
		if (memcmp(&r.st, &s.st, sizeof(s.st)) != 0)
			abort();
	}
	/* Between messages no buffer above WSMSG_KEEP_MAX is kept. */
	wsmsg_reset(&r);
	if (r.cap > WSMSG_KEEP_MAX || wsmsg_text(&r, NULL))
		abort();
	wsmsg_free(&r);
	free(s.msg);
	return 0;
}
