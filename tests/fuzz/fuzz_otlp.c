/*
 * fuzz_otlp.c: libFuzzer target for the pure OTLP path, as the listener runs it:
 * HTTP framing (otlp_http.c), then per-service cutting (otlp_split) and GenAI
 * mapping (otlp_map.c).
 *
 * The input is a request or a bare body. When otlp_http_head finds a complete
 * head, the body after it (decoded when chunked, cut at Content-Length) goes on;
 * otherwise the whole input is the body (and otlp_http_chunked also gets it). The
 * body is one ExportTraceServiceRequest per line, fed in order to one OtlpState per
 * service (so spans whose parents come in a later request are re-linked). A line
 * "*N BODY" feeds BODY N times with "$$" replaced by 16 hex digits of the repetition
 * number plus 1, "$-" by the number and "$+" by the number plus 2 (chains of spans,
 * parents first or last), at most FUZZ_REPEATS requests per input.
 *
 * Checked: the head parser keeps its bounds, parses the head alone the same, and asks
 * for more bytes (0) on every prefix cut inside the head's blank line; a complete
 * chunked body decodes to the concatenation of its chunks, a prefix of it needs more
 * bytes, and the size limit is exact. otlp_split's parts are valid requests of one
 * service whose span counts add up (cut again: the same part); otlp_map accepts every
 * part, and its events keep the protocol limits (fuzz_events.h), with seqs 1, 2, 3...
 * per service and each span's usage counted at most once. A clone of every state made
 * before the middle line emits exactly the same afterwards. Built by run.sh.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "swarmtop/otlp.h"
#include "swarmtop/strmap.h"
#include "fuzz_events.h"

#define FUZZ_REPEATS 200       /* requests one input may ask for with "*N" */
#define FUZZ_SERVICES 8        /* services given a state (later ones: split only) */
#define FUZZ_T0 1764300000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One service's state, its checkpoint and what they have produced. */
typedef struct Svc {
	char *name;
	OtlpState *s, *c;    /* c: the clone, NULL before the middle line */
	FuzzStream st;
	StrMap usage;        /* span ids whose usage was counted */
} Svc;

/* Everything one input works with. */
typedef struct Run {
	Svc svc[FUZZ_SERVICES];
	size_t nsvc;
	OtlpState *raw;      /* fed whole (unsplit) lines */
	FuzzStream raw_st;
	Arena a, b;
	int64_t now;
	bool cloned, utf8;
} Run;

/* ---- HTTP ---- */

/* Abort unless the head h parsed from len bytes keeps otlp_http_head's promises. */
static void check_head(const char *buf, size_t len, const OtlpHttp *h)
{
	if (h->head_len < 4 || h->head_len > len || h->head_len > OTLP_HTTP_HEAD_MAX + 4 ||
	    memcmp(buf + h->head_len - 4, "\r\n\r\n", 4) != 0)
		FUZZ_FAIL();
	if (strnlen(h->method, sizeof(h->method)) == sizeof(h->method) ||
	    strnlen(h->path, sizeof(h->path)) == sizeof(h->path) ||
	    strnlen(h->content_type, sizeof(h->content_type)) == sizeof(h->content_type) ||
	    strnlen(h->encoding, sizeof(h->encoding)) == sizeof(h->encoding) ||
	    strnlen(h->auth, sizeof(h->auth)) == sizeof(h->auth))
		FUZZ_FAIL();
	if (h->content_length < -1 || (h->chunked && h->content_length >= 0))
		FUZZ_FAIL();
	/* the head alone parses the same; a cut inside its blank line needs more bytes */
	OtlpHttp again;
	if (otlp_http_head(buf, h->head_len, &again) != 1 || memcmp(&again, h, sizeof(*h)) != 0)
		FUZZ_FAIL();
	for (size_t cut = 1; cut <= 3; cut++)
		if (otlp_http_head(buf, h->head_len - cut, &again) != 0)
			FUZZ_FAIL();
}

/* A chunked body decoded by a plain reading of RFC 9112 7.1 (valid input only): the
 * decoded length, with the bytes in out. */
static size_t ref_chunked(const char *in, char *out)
{
	size_t pos = 0, o = 0;
	for (;;) {
		size_t n = 0;
		for (; in[pos] != '\r' && in[pos] != ';'; pos++)
			n = n * 16 + (size_t)(in[pos] <= '9' ? in[pos] - '0' : (in[pos] | 0x20) - 'a' + 10);
		while (in[pos] != '\r')
			pos++;
		pos += 2;
		if (n == 0)
			return o;
		memcpy(out + o, in + pos, n);
		o += n;
		pos += n + 2;
	}
}

/* otlp_http_chunked on a copy of len bytes with limit max (*body, *used filled). */
static int chunked_copy(const char *in, size_t len, size_t max, char *work, size_t *body,
                        size_t *used)
{
	memcpy(work, in, len);
	*body = *used = 0;
	return otlp_http_chunked(work, len, max, body, used);
}

/* Decode a chunked body in[0..len) into out (len bytes at least); the body length or -1. */
static long check_chunked(const char *in, size_t len, char *out)
{
	char *work = malloc(len + 1), *ref = malloc(len + 1);
	size_t body, used, b2, u2;
	if (!work || !ref)
		FUZZ_FAIL();
	int r = chunked_copy(in, len, OTLP_MAX_BODY, work, &body, &used);
	long res = -1;
	if (r < -2 || r > 1)
		FUZZ_FAIL();
	if (r == 1) {
		if (body > used || used > len || body > OTLP_MAX_BODY)
			FUZZ_FAIL();
		memcpy(out, work, body);
		/* the same as a plain decoder's */
		if (ref_chunked(in, ref) != body || memcmp(ref, out, body) != 0)
			FUZZ_FAIL();
		/* what follows the body is not looked at; every prefix needs more bytes */
		if (chunked_copy(in, used, OTLP_MAX_BODY, work, &b2, &u2) != 1 || b2 != body ||
		    u2 != used)
			FUZZ_FAIL();
		if (chunked_copy(in, used - 1, OTLP_MAX_BODY, work, &b2, &u2) != 0 ||
		    chunked_copy(in, used / 2, OTLP_MAX_BODY, work, &b2, &u2) != 0)
			FUZZ_FAIL();
		/* the limit is exact */
		if (chunked_copy(in, len, body, work, &b2, &u2) != 1 || b2 != body || u2 != used)
			FUZZ_FAIL();
		if (body > 0 && chunked_copy(in, len, body - 1, work, &b2, &u2) != -2)
			FUZZ_FAIL();
		res = (long)body;
	}
	free(work);
	free(ref);
	return res;
}

/* ---- OTLP ---- */

/* The state of a service, made on first use; NULL past FUZZ_SERVICES. */
static Svc *svc_of(Run *r, const char *name)
{
	for (size_t i = 0; i < r->nsvc; i++)
		if (!strcmp(r->svc[i].name, name))
			return &r->svc[i];
	if (r->nsvc == FUZZ_SERVICES)
		return NULL;
	Svc *v = &r->svc[r->nsvc++];
	memset(v, 0, sizeof(*v));
	v->name = strdup(name);
	v->s = otlp_new(name, "fuzz-1");
	if (!v->name || !v->s)
		FUZZ_FAIL();
	strmap_init(&v->usage);
	if (r->cloned && (v->c = otlp_new(name, "fuzz-1")) == NULL)
		FUZZ_FAIL();   /* born after the checkpoint: its clone starts empty too */
	return v;
}

/* Abort unless each span's usage is counted once per service. */
static void check_usage(Svc *v, const Event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (ev[i].type != EV_USAGE)
			continue;
		const char *t = ev[i].u.usage.task;
		if (t == NULL || strmap_get(&v->usage, t, strlen(t)) >= 0)
			FUZZ_FAIL();
		strmap_put(&v->usage, t, strlen(t), 1);
	}
}

/* Map one part into its service's state (and its clone): accepted, checked, agreeing. */
static void map_part(Run *r, const OtlpPart *p)
{
	Svc *v = svc_of(r, p->service);
	char err[PROTO_ERR_MAX];
	const Event *ev, *ec;
	if (v == NULL)
		return;
	v->st.utf8 = r->utf8;
	otlp_set_now(v->s, r->now);
	arena_reset(&r->b);
	int n = otlp_map(v->s, p->body, p->len, &r->b, &ev, err);
	if (n < 0)
		FUZZ_FAIL();   /* a part otlp_split made is always a valid request */
	fuzz_check_events(&v->st, ev, n);
	check_usage(v, ev, n);
	if (v->c) {
		uint64_t d = fuzz_digest(0, ev, n);
		otlp_set_now(v->c, r->now);
		arena_reset(&r->b);
		if (otlp_map(v->c, p->body, p->len, &r->b, &ec, err) != n ||
		    fuzz_digest(0, ec, n) != d)
			FUZZ_FAIL();
	}
}

/* Abort unless the parts of one otlp_split keep its promises. */
static void check_parts(Run *r, const OtlpPart *parts, int np, const OtlpCounts *k)
{
	size_t spans = 0;
	if (np > 64 || (k->rejected > 0) != (k->message[0] != '\0') ||
	    strnlen(k->message, sizeof(k->message)) == sizeof(k->message))
		FUZZ_FAIL();
	for (int i = 0; i < np; i++) {
		const OtlpPart *p = &parts[i];
		if (p->service == NULL || strlen(p->service) > EVENT_ID_MAX || p->body == NULL ||
		    strlen(p->body) != p->len || p->spans == 0)
			FUZZ_FAIL();
		for (int j = 0; j < i; j++)
			if (!strcmp(parts[j].service, p->service))
				FUZZ_FAIL();
		spans += p->spans;
		/* cut again: one part, the same service, the same spans, none rejected */
		OtlpPart *again;
		OtlpCounts k2;
		char err[PROTO_ERR_MAX];
		if (otlp_split(p->body, p->len, &r->a, &again, &k2, err) != 1 ||
		    strcmp(again[0].service, p->service) != 0 || again[0].spans != p->spans ||
		    k2.spans != p->spans || k2.rejected != 0)
			FUZZ_FAIL();
	}
	if (spans != k->spans)
		FUZZ_FAIL();
}

/* One request: split and mapped per service, and mapped whole by the raw state. */
static void feed(Run *r, const char *body, size_t len)
{
	OtlpPart *parts;
	OtlpCounts k;
	char err[PROTO_ERR_MAX];
	const Event *ev;
	r->now += 20000;   /* usage waiting for its agent gives up after 30 s */
	if (r->utf8 && !fuzz_utf8((const unsigned char *)body, len))
		r->utf8 = false;
	arena_reset(&r->a);
	int np = otlp_split(body, len, &r->a, &parts, &k, err);
	if (np < 0)
		fuzz_check_err(err);
	else
		check_parts(r, parts, np, &k);
	for (int i = 0; i < np; i++)
		map_part(r, &parts[i]);
	r->raw_st.utf8 = r->utf8;
	otlp_set_now(r->raw, r->now);
	arena_reset(&r->b);
	int n = otlp_map(r->raw, body, len, &r->b, &ev, err);
	if (n < 0)
		fuzz_check_err(err);
	else
		fuzz_check_events(&r->raw_st, ev, n);
}

/* Feed one line: "*N BODY" repeats BODY with "$$", "$-", "$+" as span ids. */
static void feed_line(Run *r, const char *line, size_t len, size_t *budget)
{
	if (len == 0)
		return;
	size_t n, blen;
	const char *b;
	if (!fuzz_repeat(line, len, &n, &b, &blen)) {
		if (*budget > 0) {
			(*budget)--;
			feed(r, line, len);
		}
		return;
	}
	char *buf = malloc(blen * 8 + 32);   /* 2 bytes -> 16 at most */
	if (buf == NULL)
		return;
	for (size_t rep = 0; rep < n && *budget > 0; rep++, (*budget)--) {
		size_t o = 0;
		for (size_t k = 0; k < blen; k++) {
			char c2 = k + 1 < blen ? b[k + 1] : 0;
			if (b[k] == '$' && (c2 == '$' || c2 == '-' || c2 == '+')) {
				size_t id = rep + (c2 == '$' ? 1 : c2 == '+' ? 2 : 0);
				o += (size_t)sprintf(buf + o, "%016zx", id);
				k++;
			} else {
				buf[o++] = b[k];
			}
		}
		feed(r, buf, o);
	}
	free(buf);
}

/* The body of the input: after an HTTP head when there is one (decoded, cut). */
static const char *body_of(const uint8_t *data, size_t size, char *dec, size_t *blen)
{
	const char *in = (const char *)data;
	OtlpHttp h;
	int r = otlp_http_head(in, size, &h);
	if (r < -1 || r > 1)
		FUZZ_FAIL();
	if (r != 1) {
		(void)check_chunked(in, size, dec);
		*blen = size;
		return in;
	}
	check_head(in, size, &h);
	const char *body = in + h.head_len;
	size_t avail = size - h.head_len;
	if (h.chunked) {
		long n = check_chunked(body, avail, dec);
		*blen = n > 0 ? (size_t)n : 0;
		return dec;
	}
	*blen = h.content_length >= 0 && (size_t)h.content_length < avail ?
	        (size_t)h.content_length : avail;
	return body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Run r;
	static bool init;
	if (!init) {
		arena_init(&r.a, 64 * 1024);
		arena_init(&r.b, 64 * 1024);
		init = true;
	}
	char *dec = malloc(size + 1);
	if (dec == NULL)
		return 0;
	size_t blen;
	const char *s = body_of(data, size, dec, &blen);

	r.nsvc = 0;
	r.cloned = false;
	r.utf8 = true;
	r.now = FUZZ_T0;
	memset(&r.raw_st, 0, sizeof(r.raw_st));
	if ((r.raw = otlp_new("raw", "fuzz-1")) == NULL)
		FUZZ_FAIL();
	size_t nlines = 0, budget = FUZZ_REPEATS, line = 0, start = 0;
	for (size_t i = 0; i < blen; i++)
		nlines += s[i] == '\n';
	size_t mid = (nlines + 1) / 2;
	for (size_t i = 0; i <= blen; i++) {
		if (i < blen && s[i] != '\n')
			continue;
		if (line == mid) {
			/* checkpoints: from here on each clone must do what its state does */
			for (size_t k = 0; k < r.nsvc; k++)
				if ((r.svc[k].c = otlp_clone(r.svc[k].s)) == NULL)
					FUZZ_FAIL();
			r.cloned = true;
		}
		size_t len = i - start;
		if (len && s[start + len - 1] == '\r')
			len--;
		feed_line(&r, s + start, len, &budget);
		start = i + 1;
		line++;
	}
	for (size_t k = 0; k < r.nsvc; k++) {
		free(r.svc[k].name);
		otlp_free(r.svc[k].s);
		otlp_free(r.svc[k].c);
		strmap_free(&r.svc[k].usage);
	}
	otlp_free(r.raw);
	free(dec);
	return 0;
}
