/*
 * fuzz_events.h: what the interop fuzz targets (fuzz_agui, fuzz_otlp) check on the
 * protocol-v1 Events a mapper emits, and a digest of them: only the types a mapper
 * makes, enums in range, required strings present, every string within its spec
 * limit (and valid UTF-8 when the input was), usage parts never above their whole,
 * times in 0..2^53, one read-only hello first, seqs 1, 2, 3... without a gap (a
 * rejected message takes none). Header-only: each target is one translation unit.
 */
#ifndef FUZZ_EVENTS_H
#define FUZZ_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/event.h"
#include "swarmtop/proto.h"

/* Report which check failed (file and line: the crash log names the invariant), abort. */
#define FUZZ_FAIL() fuzz_fail(__FILE__, __LINE__)

/* Print where an invariant failed and abort. */
static void fuzz_fail(const char *file, int line)
{
	fprintf(stderr, "fuzz invariant failed at %s:%d\n", file, line);
	abort();
}

/* What a stream of calls on one mapper state has produced so far. */
typedef struct FuzzStream {
	int64_t seq;      /* last seq seen */
	bool hello;       /* the hello has been emitted */
	bool utf8;        /* the input so far was valid UTF-8: the output must be too */
} FuzzStream;

/* True when n bytes at s are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static bool fuzz_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

/* Abort unless an optional string is within max bytes (and valid UTF-8 when owed). */
static void fuzz_str(const FuzzStream *st, const char *s, size_t max)
{
	if (s == NULL)
		return;
	size_t n = strlen(s);
	if (n > max)
		FUZZ_FAIL();
	if (st->utf8 && !fuzz_utf8((const unsigned char *)s, n))
		FUZZ_FAIL();
}

/* Abort unless a required string is present and within max bytes. */
static void fuzz_need(const FuzzStream *st, const char *s, size_t max)
{
	if (s == NULL)
		FUZZ_FAIL();
	fuzz_str(st, s, max);
}

/* Abort unless the n events of one accepted call keep the mapper's promises. */
static void fuzz_check_events(FuzzStream *st, const Event *ev, int n)
{
	if (n < 0 || (n > 0 && ev == NULL))
		FUZZ_FAIL();
	for (int i = 0; i < n; i++) {
		const Event *e = &ev[i];
		if (e->type_name == NULL || (unsigned)e->type >= EV_COUNT)
			FUZZ_FAIL();
		if (e->type == EV_HELLO) {
			/* once, first, read-only, no seq */
			if (st->hello || i != 0 || e->seq != 0 || e->u.hello.capabilities != 0 ||
			    e->u.hello.proto != PROTO_VERSION)
				FUZZ_FAIL();
			fuzz_need(st, e->u.hello.id, EVENT_ID_MAX);
			fuzz_need(st, e->u.hello.instance, EVENT_ID_MAX);
			fuzz_str(st, e->u.hello.name, EVENT_NAME_MAX);
			st->hello = true;
			continue;
		}
		if (!st->hello || e->seq != st->seq + 1 || e->ts < 0 || e->ts >= EVENT_SAFE_INT)
			FUZZ_FAIL();
		st->seq = e->seq;
		switch (e->type) {
		case EV_AGENT: {
			const EvAgent *g = &e->u.agent;
			fuzz_need(st, g->id, EVENT_ID_MAX);
			fuzz_str(st, g->name, EVENT_NAME_MAX);
			fuzz_str(st, g->role, EVENT_NAME_MAX);
			fuzz_str(st, g->model, EVENT_NAME_MAX);
			fuzz_str(st, g->parent, EVENT_ID_MAX);
			if ((g->has & HAS_STATUS) && (unsigned)g->status >= AGENT_STATUS_COUNT)
				FUZZ_FAIL();
			break;
		}
		case EV_TASK: {
			const EvTask *t = &e->u.task;
			fuzz_need(st, t->id, EVENT_ID_MAX);
			fuzz_str(st, t->agent, EVENT_ID_MAX);
			fuzz_str(st, t->name, EVENT_NAME_MAX);
			fuzz_str(st, t->kind, EVENT_NAME_MAX);
			fuzz_str(st, t->parent, EVENT_ID_MAX);
			fuzz_str(st, t->error, EVENT_TEXT_MAX);
			fuzz_str(st, t->input, EVENT_TEXT_MAX);
			fuzz_str(st, t->output, EVENT_TEXT_MAX);
			if (t->ndeps > EVENT_MAX_DEPS || (t->ndeps && t->deps == NULL))
				FUZZ_FAIL();
			for (size_t k = 0; k < t->ndeps; k++)
				fuzz_need(st, t->deps[k], EVENT_ID_MAX);
			if ((t->has & HAS_STATUS) && (unsigned)t->status >= TASK_STATUS_COUNT)
				FUZZ_FAIL();
			break;
		}
		case EV_USAGE: {
			const EvUsage *u = &e->u.usage;
			fuzz_str(st, u->agent, EVENT_ID_MAX);
			fuzz_str(st, u->task, EVENT_ID_MAX);
			fuzz_str(st, u->provider, EVENT_NAME_MAX);
			fuzz_str(st, u->model, EVENT_NAME_MAX);
			/* cache read/write are parts of input, reasoning of output: never additions */
			if (u->input_tokens < 0 || u->output_tokens < 0 || u->cache_read_tokens < 0 ||
			    u->cache_write_tokens < 0 || u->reasoning_tokens < 0 ||
			    u->input_tokens >= EVENT_SAFE_INT || u->output_tokens >= EVENT_SAFE_INT ||
			    u->cache_read_tokens + u->cache_write_tokens > u->input_tokens ||
			    u->reasoning_tokens > u->output_tokens)
				FUZZ_FAIL();
			break;
		}
		case EV_MESSAGE: {
			const EvMessage *m = &e->u.message;
			fuzz_need(st, m->text, EVENT_TEXT_MAX);
			fuzz_str(st, m->agent, EVENT_ID_MAX);
			fuzz_str(st, m->task, EVENT_ID_MAX);
			fuzz_str(st, m->id, EVENT_ID_MAX);
			if ((unsigned)m->role >= ROLE_COUNT)
				FUZZ_FAIL();
			break;
		}
		case EV_LOG: {
			const EvLog *l = &e->u.log;
			fuzz_need(st, l->text, EVENT_TEXT_MAX);
			fuzz_str(st, l->agent, EVENT_ID_MAX);
			fuzz_str(st, l->task, EVENT_ID_MAX);
			if ((unsigned)l->level >= LOG_LEVEL_COUNT)
				FUZZ_FAIL();
			break;
		}
		default:
			FUZZ_FAIL();   /* a mapper makes no threads, ack, snapshot or unknown events */
		}
	}
}

/* Abort unless a rejection's reason is a non-empty string of less than PROTO_ERR_MAX. */
static void fuzz_check_err(const char *err)
{
	size_t n = strnlen(err, PROTO_ERR_MAX);
	if (n == 0 || n >= PROTO_ERR_MAX)
		FUZZ_FAIL();
}

/* A "*N REST" line (N repeats, capped at 100 000): N and REST; false for any other line. */
static bool fuzz_repeat(const char *line, size_t len, size_t *n, const char **rest,
                        size_t *rest_len)
{
	if (len < 2 || line[0] != '*' || line[1] < '0' || line[1] > '9')
		return false;
	size_t i = 1;
	*n = 0;
	while (i < len && line[i] >= '0' && line[i] <= '9' && *n < 100000)
		*n = *n * 10 + (size_t)(line[i++] - '0');
	if (i < len && line[i] == ' ')
		i++;
	*rest = line + i;
	*rest_len = len - i;
	return true;
}

/* FNV-1a over n bytes. */
static uint64_t fuzz_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* Fold an optional string (NULL distinct from "") into h. */
static uint64_t fuzz_fnv_str(uint64_t h, const char *s)
{
	unsigned char tag = s ? 1 : 0;
	h = fuzz_fnv(h, &tag, 1);
	return s ? fuzz_fnv(h, s, strlen(s) + 1) : h;
}

/* A digest of every field of n events (two mappers fed alike must agree on it). */
static uint64_t fuzz_digest(uint64_t h, const Event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		const Event *e = &ev[i];
		int64_t head[3] = { e->type, e->seq, e->ts };
		h = fuzz_fnv(h, head, sizeof(head));
		switch (e->type) {
		case EV_HELLO: {
			const EvHello *x = &e->u.hello;
			h = fuzz_fnv_str(h, x->id), h = fuzz_fnv_str(h, x->instance);
			h = fuzz_fnv_str(h, x->name), h = fuzz_fnv_str(h, x->lang);
			h = fuzz_fnv(h, &x->capabilities, sizeof(x->capabilities));
			break;
		}
		case EV_AGENT: {
			const EvAgent *x = &e->u.agent;
			int64_t v[2] = { x->status, x->has };
			h = fuzz_fnv_str(h, x->id), h = fuzz_fnv_str(h, x->name);
			h = fuzz_fnv_str(h, x->role), h = fuzz_fnv_str(h, x->model);
			h = fuzz_fnv_str(h, x->parent), h = fuzz_fnv(h, v, sizeof(v));
			break;
		}
		case EV_TASK: {
			const EvTask *x = &e->u.task;
			int64_t v[4] = { x->status, x->has, x->attempt, (int64_t)x->ndeps };
			h = fuzz_fnv_str(h, x->id), h = fuzz_fnv_str(h, x->agent);
			h = fuzz_fnv_str(h, x->name), h = fuzz_fnv_str(h, x->kind);
			h = fuzz_fnv_str(h, x->parent), h = fuzz_fnv_str(h, x->error);
			h = fuzz_fnv_str(h, x->input), h = fuzz_fnv_str(h, x->output);
			h = fuzz_fnv(h, v, sizeof(v));
			for (size_t k = 0; k < x->ndeps; k++)
				h = fuzz_fnv_str(h, x->deps[k]);
			break;
		}
		case EV_USAGE: {
			const EvUsage *x = &e->u.usage;
			int64_t v[5] = { x->input_tokens, x->output_tokens, x->cache_read_tokens,
			                 x->cache_write_tokens, x->reasoning_tokens };
			h = fuzz_fnv_str(h, x->agent), h = fuzz_fnv_str(h, x->task);
			h = fuzz_fnv_str(h, x->provider), h = fuzz_fnv_str(h, x->model);
			h = fuzz_fnv(h, v, sizeof(v));
			break;
		}
		case EV_MESSAGE: {
			const EvMessage *x = &e->u.message;
			h = fuzz_fnv_str(h, x->agent), h = fuzz_fnv_str(h, x->task);
			h = fuzz_fnv_str(h, x->id), h = fuzz_fnv_str(h, x->text);
			h = fuzz_fnv(h, &x->role, sizeof(x->role));
			break;
		}
		case EV_LOG: {
			const EvLog *x = &e->u.log;
			h = fuzz_fnv_str(h, x->agent), h = fuzz_fnv_str(h, x->task);
			h = fuzz_fnv_str(h, x->text), h = fuzz_fnv(h, &x->level, sizeof(x->level));
			break;
		}
		default:
			break;
		}
	}
	return h;
}

#endif
