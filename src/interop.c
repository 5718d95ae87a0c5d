/*
 * interop.c: what the AG-UI (agui.c) and OpenTelemetry (otlp_map.c) mappers
 * share: the growable output array with synthetic seqs, bounded string copies,
 * RFC 6902 JSON Patch over cJSON documents, and the replay decoder that turns a
 * stored "agui" / "otlp" row back into Events through the same mappers.
 *
 * Pure: must not do I/O or read the clock; every input is hostile.
 */
#include "swarmtop/interop.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/agui.h"
#include "swarmtop/otlp.h"

/* Append a zeroed event of type t (seq numbered, ts set); NULL when out of memory. */
Event *interop_push(InteropEvents *e, EventType t)
{
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 16;
		Event *nv = realloc(e->v, nc * sizeof(*nv));
		if (nv == NULL) {
			e->oom = true;
			return NULL;
		}
		e->v = nv;
		e->cap = nc;
	}
	Event *ev = &e->v[e->n++];
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->type_name = event_type_names[t];
	if (t != EV_HELLO) {
		ev->seq = ++e->seq;
		ev->ts = e->ts;
	}
	return ev;
}

/* Free the array. */
void interop_events_free(InteropEvents *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Copy s (len bytes) into a, cut at a UTF-8 boundary to at most max bytes; NULL if s is. */
const char *interop_dup(Arena *a, const char *s, size_t len, size_t max)
{
	if (s == NULL)
		return NULL;
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	return arena_strndup(a, s, len);
}

/* interop_dup of a NUL-terminated string (NULL stays NULL, "" stays ""). */
const char *interop_str(Arena *a, const char *s, size_t max)
{
	return s ? interop_dup(a, s, strlen(s), max) : NULL;
}

/* ---- RFC 6902 ---- */

/* One decoded JSON Pointer token (RFC 6901: ~1 is '/', ~0 is '~'). */
static int ptr_token(const char **p, char *tok, size_t cap)
{
	size_t n = 0;
	const char *s = *p;
	if (*s != '/')
		return -1;
	s++;
	while (*s && *s != '/') {
		char ch = *s++;
		if (ch == '~') {
			if (*s == '0')
				ch = '~';
			else if (*s == '1')
				ch = '/';
			else
				return -1;
			s++;
		}
		if (n + 1 >= cap)
			return -1;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	*p = s;
	return 0;
}

/* An array index token: digits without leading zeros, or "-" (append: returns size). */
static int ptr_index(const char *tok, int size, bool allow_end)
{
	if (allow_end && strcmp(tok, "-") == 0)
		return size;
	if (*tok == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return -1;
	long v = 0;
	for (const char *s = tok; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= size ? (int)v : -1;
}

/* Resolve a pointer to (container, last token); the container is NULL when missing. */
static cJSON *ptr_parent(cJSON *doc, const char *path, char *last, size_t cap)
{
	cJSON *cur = doc;
	const char *p = path;
	if (ptr_token(&p, last, cap) < 0)
		return NULL;
	while (*p) {
		if (cJSON_IsArray(cur)) {
			int i = ptr_index(last, cJSON_GetArraySize(cur) - 1, false);
			cur = i < 0 ? NULL : cJSON_GetArrayItem(cur, i);
		} else if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, last);
		} else {
			cur = NULL;
		}
		if (cur == NULL || ptr_token(&p, last, cap) < 0)
			return NULL;
	}
	return cur;
}

/* The value at path ("" is the whole document), or NULL. */
static cJSON *ptr_get(cJSON *doc, const char *path)
{
	char tok[EVENT_TEXT_MAX / 64];
	if (*path == '\0')
		return doc;
	cJSON *par = ptr_parent(doc, path, tok, sizeof(tok));
	if (par == NULL)
		return NULL;
	if (cJSON_IsArray(par)) {
		int i = ptr_index(tok, cJSON_GetArraySize(par) - 1, false);
		return i < 0 ? NULL : cJSON_GetArrayItem(par, i);
	}
	return cJSON_IsObject(par) ? cJSON_GetObjectItemCaseSensitive(par, tok) : NULL;
}

/* Detach the value at path; NULL when missing (the root cannot be removed this way). */
static cJSON *ptr_detach(cJSON *doc, const char *path)
{
	char tok[EVENT_TEXT_MAX / 64];
	if (*path == '\0')
		return NULL;
	cJSON *par = ptr_parent(doc, path, tok, sizeof(tok));
	if (par == NULL)
		return NULL;
	if (cJSON_IsArray(par)) {
		int i = ptr_index(tok, cJSON_GetArraySize(par) - 1, false);
		return i < 0 ? NULL : cJSON_DetachItemFromArray(par, i);
	}
	return cJSON_IsObject(par) ? cJSON_DetachItemFromObjectCaseSensitive(par, tok) : NULL;
}

/* Add v at path (RFC 6902 add: replaces a member, inserts into an array). Takes v. */
static int ptr_add(cJSON **doc, const char *path, cJSON *v)
{
	char tok[EVENT_TEXT_MAX / 64];
	if (*path == '\0') {
		cJSON_Delete(*doc);
		*doc = v;
		return 0;
	}
	cJSON *par = ptr_parent(*doc, path, tok, sizeof(tok));
	if (par == NULL)
		return -1;
	if (cJSON_IsArray(par)) {
		int n = cJSON_GetArraySize(par);
		int i = ptr_index(tok, n, true);
		if (i < 0)
			return -1;
		/* cJSON_InsertItemInArray of Debian's cJSON 1.7.15 inserts nothing: move the
		 * tail out, append, move it back */
		cJSON *tail = cJSON_CreateArray();
		if (tail == NULL)
			return -1;
		while (cJSON_GetArraySize(par) > i)
			cJSON_AddItemToArray(tail, cJSON_DetachItemFromArray(par, i));
		cJSON_bool ok = cJSON_AddItemToArray(par, v);
		while (cJSON_GetArraySize(tail) > 0)
			cJSON_AddItemToArray(par, cJSON_DetachItemFromArray(tail, 0));
		cJSON_Delete(tail);
		return ok ? 0 : -1;
	}
	if (!cJSON_IsObject(par))
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(par, tok))
		return cJSON_ReplaceItemInObjectCaseSensitive(par, tok, v) ? 0 : -1;
	return cJSON_AddItemToObject(par, tok, v) ? 0 : -1;
}

/* Apply one operation to *doc; 0 or -1 with err. */
static int patch_op(cJSON **doc, const cJSON *op, char *err, size_t cap)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(op, "op");
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(op, "path");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(op, "from");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	if (!cJSON_IsString(o) || !cJSON_IsString(path)) {
		snprintf(err, cap, "patch: 'op' and 'path' must be strings");
		return -1;
	}
	const char *name = o->valuestring, *p = path->valuestring;
	cJSON *v = NULL;
	if (!strcmp(name, "add") || !strcmp(name, "replace")) {
		if (value == NULL)
			goto missing;
		if (!strcmp(name, "replace") && ptr_get(*doc, p) == NULL)
			goto nopath;
		v = cJSON_Duplicate(value, true);
	} else if (!strcmp(name, "remove")) {
		cJSON *d = ptr_detach(*doc, p);
		if (d == NULL)
			goto nopath;
		cJSON_Delete(d);
		return 0;
	} else if (!strcmp(name, "move") || !strcmp(name, "copy")) {
		if (!cJSON_IsString(from))
			goto missing;
		if (!strcmp(name, "move"))
			v = ptr_detach(*doc, from->valuestring);
		else
			v = cJSON_Duplicate(ptr_get(*doc, from->valuestring), true);
		if (v == NULL)
			goto nopath;
	} else if (!strcmp(name, "test")) {
		if (value == NULL)
			goto missing;
		cJSON *cur = ptr_get(*doc, p);
		if (cur == NULL || !cJSON_Compare(cur, value, true)) {
			snprintf(err, cap, "patch: test failed at '%.60s'", p);
			return -1;
		}
		return 0;
	} else {
		snprintf(err, cap, "patch: unknown op '%.30s'", name);
		return -1;
	}
	if (v == NULL || ptr_add(doc, p, v) < 0) {
		cJSON_Delete(v);
		goto nopath;
	}
	return 0;
missing:
	snprintf(err, cap, "patch: %.20s needs %s", name,
	         strcmp(name, "move") != 0 && strcmp(name, "copy") != 0 ? "'value'" : "'from'");
	return -1;
nopath:
	snprintf(err, cap, "patch: %.20s: no such path '%.60s'", name, p);
	return -1;
}

/* Apply an RFC 6902 JSON Patch to *doc atomically; 0, or -1 with err (doc unchanged). */
int interop_json_patch(cJSON **doc, const cJSON *patch, char *err, size_t cap)
{
	if (!cJSON_IsArray(patch)) {
		snprintf(err, cap, "patch: not an array");
		return -1;
	}
	cJSON *work = *doc ? cJSON_Duplicate(*doc, true) : cJSON_CreateObject();
	if (work == NULL) {
		snprintf(err, cap, "patch: out of memory");
		return -1;
	}
	const cJSON *op;
	cJSON_ArrayForEach(op, patch) {
		if (patch_op(&work, op, err, cap) < 0) {
			cJSON_Delete(work);
			return -1;
		}
	}
	cJSON_Delete(*doc);
	*doc = work;
	return 0;
}

/* ---- replay ---- */

struct InteropDecoder {
	bool otlp;
	AguiState *agui;
	OtlpState *otlp_state;
};

/* True when rows of this type need an interop decoder rather than proto_decode. */
bool interop_type(const char *type)
{
	return type && (!strcmp(type, INTEROP_TYPE_AGUI) || !strcmp(type, INTEROP_TYPE_OTLP));
}

/* A decoder for rows of type ("agui" or "otlp"); NULL for any other type or on OOM. */
InteropDecoder *interop_decoder_new(const char *type, const char *runtime_id,
                                    const char *instance)
{
	if (!interop_type(type) || runtime_id == NULL || instance == NULL)
		return NULL;
	InteropDecoder *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->otlp = !strcmp(type, INTEROP_TYPE_OTLP);
	if (d->otlp)
		d->otlp_state = otlp_new(runtime_id, instance);
	else
		d->agui = agui_new(runtime_id, instance);
	if (d->agui == NULL && d->otlp_state == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

/* A deep copy (replay checkpoints); NULL when out of memory. */
InteropDecoder *interop_decoder_clone(const InteropDecoder *d)
{
	InteropDecoder *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->otlp = d->otlp;
	if (d->otlp)
		c->otlp_state = otlp_clone(d->otlp_state);
	else
		c->agui = agui_clone(d->agui);
	if (c->agui == NULL && c->otlp_state == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* Free it (NULL ignored). */
void interop_decoder_free(InteropDecoder *d)
{
	if (d == NULL)
		return;
	agui_free(d->agui);
	otlp_free(d->otlp_state);
	free(d);
}

/* Decode one stored row into *out; the count, or -1 with err. */
int interop_decode(InteropDecoder *d, const char *raw, size_t len, int64_t recv_ms, Arena *a,
                   const Event **out, char err[PROTO_ERR_MAX])
{
	if (d->otlp) {
		otlp_set_now(d->otlp_state, recv_ms);
		return otlp_map(d->otlp_state, raw, len, a, out, err);
	}
	agui_set_now(d->agui, recv_ms);
	return agui_map(d->agui, raw, len, a, out, err);
}

/* ---- a session's decoders ---- */

typedef struct InteropSlot {
	char *type, *runtime_id, *instance;
	InteropDecoder *d;
} InteropSlot;

struct InteropSet {
	InteropSlot *v;
	size_t n, cap;
};

/* An empty set. */
InteropSet *interop_set_new(void)
{
	return calloc(1, sizeof(InteropSet));
}

/* Free it. */
void interop_set_free(InteropSet *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].type);
		free(s->v[i].runtime_id);
		free(s->v[i].instance);
		interop_decoder_free(s->v[i].d);
	}
	free(s->v);
	free(s);
}

/* Add a slot (strings copied, decoder taken); -1 when out of memory (d is then freed). */
static int set_add(InteropSet *s, const char *type, const char *rid, const char *inst,
                   InteropDecoder *d)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		InteropSlot *nv = realloc(s->v, nc * sizeof(*nv));
		if (nv == NULL) {
			interop_decoder_free(d);
			return -1;
		}
		s->v = nv;
		s->cap = nc;
	}
	InteropSlot *o = &s->v[s->n];
	o->type = strdup(type);
	o->runtime_id = strdup(rid);
	o->instance = strdup(inst);
	o->d = d;
	if (!o->type || !o->runtime_id || !o->instance || !d) {
		free(o->type), free(o->runtime_id), free(o->instance);
		interop_decoder_free(d);
		return -1;
	}
	s->n++;
	return 0;
}

/* A deep copy. */
InteropSet *interop_set_clone(const InteropSet *s)
{
	InteropSet *c = interop_set_new();
	for (size_t i = 0; c && i < s->n; i++) {
		const InteropSlot *o = &s->v[i];
		if (set_add(c, o->type, o->runtime_id, o->instance, interop_decoder_clone(o->d)) < 0) {
			interop_set_free(c);
			return NULL;
		}
	}
	return c;
}

/* Decode a stored row with the decoder of its (type, runtime, instance). */
int interop_set_decode(InteropSet *s, const char *type, const char *runtime_id,
                       const char *instance, const char *raw, size_t len, int64_t recv_ms,
                       Arena *a, const Event **out, char err[PROTO_ERR_MAX])
{
	if (!interop_type(type) || runtime_id == NULL || instance == NULL) {
		if (err)
			snprintf(err, PROTO_ERR_MAX, "interop: not an AG-UI or OTLP row");
		return -1;
	}
	size_t i;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].type, type) && !strcmp(s->v[i].runtime_id, runtime_id) &&
		    !strcmp(s->v[i].instance, instance))
			break;
	if (i == s->n &&
	    set_add(s, type, runtime_id, instance,
	            interop_decoder_new(type, runtime_id, instance)) < 0) {
		if (err)
			snprintf(err, PROTO_ERR_MAX, "interop: out of memory");
		return -1;
	}
	return interop_decode(s->v[i].d, raw, len, recv_ms, a, out, err);
}
