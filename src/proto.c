/*
 * proto.c: protocol v1 on the wire. Owns the decoding of one runtime -> client
 * message (bytes -> validated Event) and the encoding of client -> runtime
 * messages (subscribe, command).
 *
 * Validation is table-driven: each message type is described by a FieldSpec
 * table (key, kind, required, where the value goes in the Event); one walker
 * validates and copies any table, so snapshot items go through exactly the
 * same validators as the single events.
 *
 * Messages are parsed by the strict reader of json.h (flat nodes, no malloc
 * per node; see docs/architecture.md for why not cJSON here). cJSON is still
 * used by proto_sniff, which runs once per connection.
 *
 * Pure: must not do I/O, read the clock, keep global state or sanitize text
 * (sanitizing happens where text meets a terminal). Every byte is hostile:
 * numbers are checked for integrality and range, strings are truncated at
 * UTF-8 boundaries to the spec's limits. A string holding \u0000 counts up to
 * its first NUL (as it did when cJSON parsed messages).
 */
#include "swarmtop/proto.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "swarmtop/json.h"
#include "swarmtop/sanitize.h"

/* Enum fields are stored through an int. */
_Static_assert(sizeof(AgentStatus) == sizeof(int), "enum size");
_Static_assert(sizeof(TaskStatus) == sizeof(int), "enum size");

/* Utilization values up to this much above 1.0 are rounding noise: clamped to 1. */
#define PROTO_UTIL_SLACK 1.05
/* JSON nodes kept on the stack per message; bigger messages put theirs in the arena. */
#define PROTO_SCRATCH_NODES 512

typedef enum FieldKind {
	F_ID,        /* string, 1..EVENT_ID_MAX bytes (truncated) */
	F_NAME,      /* string, truncated to EVENT_NAME_MAX */
	F_TEXT,      /* string, truncated to EVENT_TEXT_MAX */
	F_UINT,      /* integer >= 0 */
	F_BOOL,      /* true / false */
	F_MONEY,     /* finite number >= 0 */
	F_UTIL,      /* number 0..1 (tiny overshoot clamped) */
	F_ENUM,      /* string from a name table */
	F_OBJECT,    /* nested object, same destination struct */
	F_IDLIST,    /* array of ids -> const char ** + count */
	F_CAPS,      /* array of action names -> CAP_BIT mask */
	F_UTILLIST,  /* array of utilizations -> const double * + count */
	F_OBJLIST,   /* array of objects -> element array + count */
	F_KIND_COUNT
} FieldKind;

typedef struct ObjSpec ObjSpec;

/* Members ordered by size (no padding holes); tables use designated initializers. */
typedef struct FieldSpec {
	const char *key;
	size_t keylen;            /* strlen(key), set by KEY() */
	size_t off;               /* destination offset in the struct */
	size_t count_off;         /* list kinds: offset of the size_t count */
	const char *const *names; /* F_ENUM: name table */
	size_t max;               /* list kinds: items kept (0: all) */
	size_t elem_size;         /* F_OBJLIST: size of one element */
	const ObjSpec *sub;       /* F_OBJECT, F_OBJLIST */
	FieldKind kind;
	unsigned has;             /* presence bit, or 0 */
	int nnames;               /* F_ENUM: entries in names */
	bool required;
	bool nullable;            /* JSON null is a value (sets `has`, pointer NULL) */
} FieldSpec;

struct ObjSpec {
	const FieldSpec *fields;
	size_t nfields;
	size_t has_off;           /* offset of `unsigned has`, or NO_HAS */
};

#define NO_HAS ((size_t)-1)
#define PROTO_MAX_FIELDS 16   /* fields per table (checked at compile time by SPEC) */
#define NFIELDS(arr) (sizeof(arr) / sizeof((arr)[0]))
/* A table longer than PROTO_MAX_FIELDS fails to compile (negative array size). */
#define SPEC(arr, hasoff) \
	{ (arr), NFIELDS(arr) + 0 * sizeof(char[NFIELDS(arr) <= PROTO_MAX_FIELDS ? 1 : -1]), \
	  (hasoff) }

/* Where an object sits in the message, for error paths (built only when needed). */
typedef struct Where {
	const char *key;          /* "" for the message itself */
	size_t idx;
	bool indexed;             /* key[idx] */
} Where;

typedef struct Ctx {
	const Json *doc;
	Arena *arena;
	char *err;
	const char *evname;
} Ctx;

/* ---- field tables ---- */

/* A field's key and its length, known at compile time. */
#define KEY(k) .key = (k), .keylen = sizeof(k) - 1
#define ENUMF(tbl, cnt) .kind = F_ENUM, .names = (tbl), .nnames = (cnt)

static const FieldSpec runtime_fields[] = {
	{ KEY("id"), .kind = F_ID, .required = true, .off = offsetof(EvHello, id) },
	{ KEY("instance"), .kind = F_ID, .required = true, .off = offsetof(EvHello, instance) },
	{ KEY("name"), .kind = F_NAME, .off = offsetof(EvHello, name) },
	{ KEY("host"), .kind = F_NAME, .off = offsetof(EvHello, host) },
	{ KEY("lang"), .kind = F_NAME, .off = offsetof(EvHello, lang) },
	{ KEY("lang_version"), .kind = F_NAME, .off = offsetof(EvHello, lang_version) },
	{ KEY("pid"), .kind = F_UINT, .off = offsetof(EvHello, pid), .has = HAS_PID },
	{ KEY("cores"), .kind = F_UINT, .off = offsetof(EvHello, cores), .has = HAS_CORES },
	{ KEY("free_threaded"), .kind = F_BOOL, .off = offsetof(EvHello, free_threaded),
	  .has = HAS_FREE_THREADED },
	{ KEY("started_ts"), .kind = F_UINT, .off = offsetof(EvHello, started_ts),
	  .has = HAS_STARTED_TS },
};
static const ObjSpec runtime_spec = SPEC(runtime_fields, offsetof(EvHello, has));

static const FieldSpec hello_fields[] = {
	{ KEY("proto"), .kind = F_UINT, .off = offsetof(EvHello, proto) },
	{ KEY("runtime"), .kind = F_OBJECT, .required = true, .sub = &runtime_spec },
	{ KEY("capabilities"), .kind = F_CAPS, .required = true,
	  .off = offsetof(EvHello, capabilities) },
	{ KEY("last_seq"), .kind = F_UINT, .required = true, .off = offsetof(EvHello, last_seq) },
};

static const FieldSpec agent_item_fields[] = {
	{ KEY("id"), .kind = F_ID, .required = true, .off = offsetof(EvAgent, id) },
	{ KEY("name"), .kind = F_NAME, .off = offsetof(EvAgent, name) },
	{ KEY("role"), .kind = F_NAME, .off = offsetof(EvAgent, role) },
	{ KEY("model"), .kind = F_NAME, .off = offsetof(EvAgent, model) },
	{ KEY("parent"), .kind = F_ID, .nullable = true, .off = offsetof(EvAgent, parent),
	  .has = HAS_PARENT },
	{ ENUMF(agent_status_names, AGENT_STATUS_COUNT), KEY("status"),
	  .off = offsetof(EvAgent, status), .has = HAS_STATUS },
};
static const ObjSpec agent_item_spec = SPEC(agent_item_fields, offsetof(EvAgent, has));

static const FieldSpec agent_fields[] = {
	{ KEY("agent"), .kind = F_OBJECT, .required = true, .sub = &agent_item_spec },
};

static const FieldSpec task_item_fields[] = {
	{ KEY("id"), .kind = F_ID, .required = true, .off = offsetof(EvTask, id) },
	{ KEY("agent"), .kind = F_ID, .off = offsetof(EvTask, agent) },
	{ KEY("name"), .kind = F_NAME, .off = offsetof(EvTask, name) },
	{ KEY("kind"), .kind = F_NAME, .off = offsetof(EvTask, kind) },
	{ ENUMF(task_status_names, TASK_STATUS_COUNT), KEY("status"),
	  .off = offsetof(EvTask, status), .has = HAS_STATUS },
	{ KEY("deps"), .kind = F_IDLIST, .off = offsetof(EvTask, deps),
	  .count_off = offsetof(EvTask, ndeps), .has = HAS_DEPS, .max = EVENT_MAX_DEPS },
	{ KEY("parent"), .kind = F_ID, .nullable = true, .off = offsetof(EvTask, parent),
	  .has = HAS_PARENT },
	{ KEY("attempt"), .kind = F_UINT, .off = offsetof(EvTask, attempt), .has = HAS_ATTEMPT },
	{ KEY("error"), .kind = F_TEXT, .nullable = true, .off = offsetof(EvTask, error),
	  .has = HAS_ERROR },
	{ KEY("input"), .kind = F_TEXT, .off = offsetof(EvTask, input), .has = HAS_INPUT },
	{ KEY("output"), .kind = F_TEXT, .off = offsetof(EvTask, output), .has = HAS_OUTPUT },
};
static const ObjSpec task_item_spec = SPEC(task_item_fields, offsetof(EvTask, has));

static const FieldSpec task_fields[] = {
	{ KEY("task"), .kind = F_OBJECT, .required = true, .sub = &task_item_spec },
};

static const FieldSpec usage_fields[] = {
	{ KEY("agent"), .kind = F_ID, .off = offsetof(EvUsage, agent) },
	{ KEY("task"), .kind = F_ID, .off = offsetof(EvUsage, task) },
	{ KEY("provider"), .kind = F_NAME, .off = offsetof(EvUsage, provider) },
	{ KEY("model"), .kind = F_NAME, .off = offsetof(EvUsage, model) },
	{ KEY("input_tokens"), .kind = F_UINT, .required = true,
	  .off = offsetof(EvUsage, input_tokens), .has = HAS_INPUT },
	{ KEY("output_tokens"), .kind = F_UINT, .required = true,
	  .off = offsetof(EvUsage, output_tokens), .has = HAS_OUTPUT },
	{ KEY("cache_read_tokens"), .kind = F_UINT, .off = offsetof(EvUsage, cache_read_tokens) },
	{ KEY("cache_write_tokens"), .kind = F_UINT,
	  .off = offsetof(EvUsage, cache_write_tokens) },
	{ KEY("reasoning_tokens"), .kind = F_UINT, .off = offsetof(EvUsage, reasoning_tokens) },
	{ KEY("cost_usd"), .kind = F_MONEY, .off = offsetof(EvUsage, cost_usd), .has = HAS_COST },
};
static const ObjSpec usage_item_spec = SPEC(usage_fields, offsetof(EvUsage, has));

static const FieldSpec thread_fields[] = {
	{ KEY("tid"), .kind = F_UINT, .required = true, .off = offsetof(EvThread, tid) },
	{ KEY("name"), .kind = F_NAME, .off = offsetof(EvThread, name) },
	{ KEY("agent"), .kind = F_ID, .off = offsetof(EvThread, agent) },
	{ KEY("task"), .kind = F_ID, .off = offsetof(EvThread, task) },
	{ KEY("core"), .kind = F_UINT, .off = offsetof(EvThread, core), .has = HAS_CORE },
	{ KEY("cpu"), .kind = F_UTIL, .off = offsetof(EvThread, cpu), .has = HAS_CPU },
};
static const ObjSpec thread_spec = SPEC(thread_fields, offsetof(EvThread, has));

static const FieldSpec threads_fields[] = {
	{ KEY("interval_ms"), .kind = F_UINT, .off = offsetof(EvThreads, interval_ms),
	  .has = HAS_INTERVAL },
	{ KEY("cores"), .kind = F_UTILLIST, .off = offsetof(EvThreads, cores),
	  .count_off = offsetof(EvThreads, ncores), .max = EVENT_MAX_CORES },
	{ KEY("threads"), .kind = F_OBJLIST, .off = offsetof(EvThreads, threads),
	  .count_off = offsetof(EvThreads, nthreads), .max = EVENT_MAX_THREADS,
	  .elem_size = sizeof(EvThread), .sub = &thread_spec },
};

static const FieldSpec message_fields[] = {
	{ ENUMF(message_role_names, ROLE_COUNT), KEY("role"), .required = true,
	  .off = offsetof(EvMessage, role) },
	{ KEY("text"), .kind = F_TEXT, .required = true, .off = offsetof(EvMessage, text) },
	{ KEY("agent"), .kind = F_ID, .off = offsetof(EvMessage, agent) },
	{ KEY("task"), .kind = F_ID, .off = offsetof(EvMessage, task) },
	{ KEY("id"), .kind = F_ID, .off = offsetof(EvMessage, id) },
};

static const FieldSpec log_fields[] = {
	{ ENUMF(log_level_names, LOG_LEVEL_COUNT), KEY("level"), .required = true,
	  .off = offsetof(EvLog, level) },
	{ KEY("text"), .kind = F_TEXT, .required = true, .off = offsetof(EvLog, text) },
	{ KEY("agent"), .kind = F_ID, .off = offsetof(EvLog, agent) },
	{ KEY("task"), .kind = F_ID, .off = offsetof(EvLog, task) },
};

static const FieldSpec ack_fields[] = {
	{ KEY("command"), .kind = F_ID, .required = true, .off = offsetof(EvAck, command) },
	{ ENUMF(ack_status_names, ACK_STATUS_COUNT), KEY("status"), .required = true,
	  .off = offsetof(EvAck, status) },
	{ KEY("error"), .kind = F_TEXT, .off = offsetof(EvAck, error) },
};

static const FieldSpec snapshot_fields[] = {
	{ KEY("agents"), .kind = F_OBJLIST, .off = offsetof(EvSnapshot, agents),
	  .count_off = offsetof(EvSnapshot, nagents), .elem_size = sizeof(EvAgent),
	  .sub = &agent_item_spec },
	{ KEY("tasks"), .kind = F_OBJLIST, .off = offsetof(EvSnapshot, tasks),
	  .count_off = offsetof(EvSnapshot, ntasks), .elem_size = sizeof(EvTask),
	  .sub = &task_item_spec },
	{ KEY("usage"), .kind = F_OBJLIST, .off = offsetof(EvSnapshot, usage),
	  .count_off = offsetof(EvSnapshot, nusage), .elem_size = sizeof(EvUsage),
	  .sub = &usage_item_spec },
};

/* Top-level table per event type; EV_UNKNOWN has none. */
static const ObjSpec event_specs[EV_COUNT] = {
	[EV_HELLO] = SPEC(hello_fields, offsetof(EvHello, has)),
	[EV_AGENT] = SPEC(agent_fields, NO_HAS),
	[EV_TASK] = SPEC(task_fields, NO_HAS),
	[EV_USAGE] = SPEC(usage_fields, offsetof(EvUsage, has)),
	[EV_THREADS] = SPEC(threads_fields, offsetof(EvThreads, has)),
	[EV_MESSAGE] = SPEC(message_fields, NO_HAS),
	[EV_LOG] = SPEC(log_fields, NO_HAS),
	[EV_ACK] = SPEC(ack_fields, NO_HAS),
	[EV_SNAPSHOT] = SPEC(snapshot_fields, NO_HAS),
};

/* String limits per string kind. */
static const size_t kind_max_len[F_KIND_COUNT] = {
	[F_ID] = EVENT_ID_MAX, [F_NAME] = EVENT_NAME_MAX, [F_TEXT] = EVENT_TEXT_MAX,
};

/* ---- helpers ---- */

/* Write "<event>: <message>" into the context's error buffer; returns false. */
__attribute__((format(printf, 2, 3)))
static bool fail(Ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, PROTO_ERR_MAX, "%s: ", c->evname);

	if (n < 0 || n >= PROTO_ERR_MAX)
		return false;
	va_start(ap, fmt);
	vsnprintf(c->err + n, PROTO_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* Join where an object sits and a key ("tasks"[3] + "id" -> "tasks[3].id") into buf. */
static const char *path_join(char *buf, size_t cap, const Where *w, const char *key)
{
	if (w->key[0] == '\0')
		snprintf(buf, cap, "%s", key);
	else if (w->indexed)
		snprintf(buf, cap, "%s[%zu].%s", w->key, w->idx, key);
	else
		snprintf(buf, cap, "%s.%s", w->key, key);
	return buf;
}

/* The key a child of w is known by: the field key itself at the root, else its full path. */
static const char *child_key(char *buf, size_t cap, const Where *w, const char *key)
{
	return w->key[0] == '\0' ? key : path_join(buf, cap, w, key);
}

/* Copy at most 32 printable ASCII bytes of a hostile string (len bytes) for an error message. */
static void printable_excerpt(const char *s, size_t len, char *out, size_t cap)
{
	size_t i = 0;

	for (; i < len && i + 1 < cap && i < 32; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	out[i] = '\0';
}

/* Bytes of a JSON string up to its first NUL (a C string's view of it). */
static size_t str_len(const JsonNode *it)
{
	const char *nul;

	if (!(it->flags & JSON_NUL))
		return it->len;
	nul = memchr(it->str, '\0', it->len);
	return nul ? (size_t)(nul - it->str) : it->len;
}

/* Index of the len-byte name s in a name table, or -1. */
static int name_lookup(const char *const *table, int count, const char *s, size_t len)
{
	for (int i = 0; i < count; i++)
		if (table[i] != NULL && table[i][0] == (len ? s[0] : '\0') &&
		    strncmp(table[i], s, len) == 0 && table[i][len] == '\0')
			return i;
	return -1;
}

/* True when a node is a string. */
static bool is_str(const JsonNode *it)
{
	return it->type == JSON_STRING;
}

/* Read an exact integer in (-2^53, 2^53) from a JSON number; false if not one. */
static bool json_int(const JsonNode *it, int64_t *out)
{
	/* json.c sets JSON_INT exactly when the value is integral and inside the range. */
	if (it->type != JSON_NUMBER || !(it->flags & JSON_INT))
		return false;
	*out = it->i;
	return true;
}

/* Read a utilization: 0..1, values in (1, 1.05] clamped to 1; false otherwise. */
static bool json_util(const JsonNode *it, double *out)
{
	double d;

	if (it->type != JSON_NUMBER)
		return false;
	d = it->num;
	if (!(d >= 0.0 && d <= PROTO_UTIL_SLACK))
		return false;
	*out = d > 1.0 ? 1.0 : d;
	return true;
}

/* Copy a JSON string into the arena, truncated to max bytes at a UTF-8 boundary. */
static const char *copy_str(Ctx *c, const JsonNode *it, size_t max)
{
	const char *s = it->str;
	size_t len = str_len(it);
	char *p = arena_strndup(c->arena, s, sanitize_utf8_cut(s, len, max));

	if (p == NULL)
		fail(c, "out of memory");
	return p;
}

/* Store a pointer-sized value at an offset of a destination struct. */
static void put_ptr(void *base, size_t off, const void *p)
{
	memcpy((char *)base + off, &p, sizeof(p));
}

/* Store a size_t at an offset of a destination struct. */
static void put_size(void *base, size_t off, size_t n)
{
	memcpy((char *)base + off, &n, sizeof(n));
}

static bool decode_object(Ctx *c, const JsonNode *obj, const ObjSpec *spec, void *base,
                          const Where *w);

/* The path of a list field, for its decoders' error messages. */
#define LPATH() path_join(pbuf, sizeof(pbuf), w, f->key)

/* An arena array for list field f: it->len elements of size sz, at most f->max (the count
 * in *n); NULL (err set) when too long or out of memory. */
static void *list_alloc(Ctx *c, const JsonNode *it, const FieldSpec *f, size_t sz,
                        const Where *w, size_t *n)
{
	char pbuf[128];
	void *v;

	*n = it->len;
	if (f->max && *n > f->max)
		*n = f->max;
	if (*n > SIZE_MAX / sz - 1) {
		fail(c, "'%s' is too long", LPATH());
		return NULL;
	}
	v = arena_alloc(c->arena, (*n ? *n : 1) * sz);
	if (v == NULL)
		fail(c, "out of memory");
	return v;
}

/* Store list v of n elements in field f of base. */
static bool list_put(void *base, const FieldSpec *f, const void *v, size_t n)
{
	put_ptr(base, f->off, v);
	put_size(base, f->count_off, n);
	return true;
}

/* Decode an array of identifiers (deps): items must be non-empty strings. */
static bool decode_idlist(Ctx *c, const JsonNode *it, const FieldSpec *f, void *base,
                          const Where *w)
{
	char pbuf[128];
	size_t n;
	const char **v = list_alloc(c, it, f, sizeof(*v), w, &n);
	const JsonNode *e = json_first(c->doc, it);

	if (v == NULL)
		return false;
	for (size_t i = 0; i < n; i++, e = json_after(c->doc, e)) {
		if (!is_str(e) || str_len(e) == 0)
			return fail(c, "'%s[%zu]' must be a non-empty string", LPATH(), i);
		if ((v[i] = copy_str(c, e, EVENT_ID_MAX)) == NULL)
			return false;
	}
	return list_put(base, f, v, n);
}

/* Decode the capabilities array into a CAP_BIT mask; unknown names are ignored. */
static bool decode_caps(Ctx *c, const JsonNode *it, const FieldSpec *f, void *base,
                        const Where *w)
{
	char pbuf[128];
	unsigned mask = 0;
	const JsonNode *e = json_first(c->doc, it);

	for (size_t i = 0; i < it->len; i++, e = json_after(c->doc, e)) {
		if (!is_str(e))
			return fail(c, "'%s[%zu]' must be a string", LPATH(), i);
		int a = name_lookup(command_action_names, ACTION_COUNT, e->str, str_len(e));
		if (a >= 0)
			mask |= CAP_BIT(a);
	}
	memcpy((char *)base + f->off, &mask, sizeof(mask));
	return true;
}

/* Decode an array of utilizations (threads.cores). */
static bool decode_utillist(Ctx *c, const JsonNode *it, const FieldSpec *f, void *base,
                            const Where *w)
{
	char pbuf[128];
	size_t n;
	double *v = list_alloc(c, it, f, sizeof(*v), w, &n);
	const JsonNode *e = json_first(c->doc, it);

	if (v == NULL)
		return false;
	for (size_t i = 0; i < n; i++, e = json_after(c->doc, e))
		if (!json_util(e, &v[i]))
			return fail(c, "'%s[%zu]' must be a number in 0..1", LPATH(), i);
	return list_put(base, f, v, n);
}

/* Decode an array of objects, each through the element's own table. */
static bool decode_objlist(Ctx *c, const JsonNode *it, const FieldSpec *f, void *base,
                           const Where *w)
{
	size_t n;
	char kbuf[128];
	char *v = list_alloc(c, it, f, f->elem_size, w, &n);
	const char *lkey = child_key(kbuf, sizeof(kbuf), w, f->key);
	const JsonNode *e = json_first(c->doc, it);

	if (v == NULL)
		return false;
	memset(v, 0, (n ? n : 1) * f->elem_size);
	for (size_t i = 0; i < n; i++, e = json_after(c->doc, e)) {
		Where ew = { .key = lkey, .idx = i, .indexed = true };
		if (e->type != JSON_OBJECT)
			return fail(c, "'%s[%zu]' must be an object", lkey, i);
		if (!decode_object(c, e, f->sub, v + i * f->elem_size, &ew))
			return false;
	}
	return list_put(base, f, v, n);
}

/* Validate one present, non-null field and store it; false (err set) when invalid. */
static bool decode_field(Ctx *c, const JsonNode *it, const FieldSpec *f, void *base,
                         const Where *w)
{
	char *dst = (char *)base + f->off;
	char pbuf[128];
	/* The field's path is only built when it is needed (errors, nested values). */
#define PATH() path_join(pbuf, sizeof(pbuf), w, f->key)
	int64_t iv;
	double dv;

	switch (f->kind) {
	case F_ID:
	case F_NAME:
	case F_TEXT: {
		if (!is_str(it))
			return fail(c, "'%s' must be a string", PATH());
		if (f->kind == F_ID && f->required && str_len(it) == 0)
			return fail(c, "'%s' must not be empty", PATH());
		if (f->kind == F_ID && str_len(it) == 0) {
			put_ptr(base, f->off, NULL);   /* optional id "": same as null */
			return true;
		}
		const char *s = copy_str(c, it, kind_max_len[f->kind]);
		if (s == NULL)
			return false;
		put_ptr(base, f->off, s);
		return true;
	}
	case F_UINT:
		if (!json_int(it, &iv) || iv < 0)
			return fail(c, "'%s' must be a non-negative integer", PATH());
		memcpy(dst, &iv, sizeof(iv));
		return true;
	case F_BOOL:
		if (it->type != JSON_TRUE && it->type != JSON_FALSE)
			return fail(c, "'%s' must be true or false", PATH());
		*(bool *)dst = it->type == JSON_TRUE;
		return true;
	case F_MONEY:
		if (it->type != JSON_NUMBER || !(it->num >= 0.0 && it->num < 1e15))
			return fail(c, "'%s' must be a non-negative number", PATH());
		dv = it->num;
		memcpy(dst, &dv, sizeof(dv));
		return true;
	case F_UTIL:
		if (!json_util(it, &dv))
			return fail(c, "'%s' must be a number in 0..1", PATH());
		memcpy(dst, &dv, sizeof(dv));
		return true;
	case F_ENUM: {
		char ex[40];
		if (!is_str(it))
			return fail(c, "'%s' must be a string", PATH());
		int v = name_lookup(f->names, f->nnames, it->str, str_len(it));
		if (v < 0) {
			printable_excerpt(it->str, str_len(it), ex, sizeof(ex));
			return fail(c, "'%s' has unknown value \"%s\"", PATH(), ex);
		}
		memcpy(dst, &v, sizeof(v));
		return true;
	}
	case F_OBJECT:
		if (it->type != JSON_OBJECT)
			return fail(c, "'%s' must be an object", PATH());
		{
			Where sub = { .key = child_key(pbuf, sizeof(pbuf), w, f->key) };
			return decode_object(c, it, f->sub, base, &sub);
		}
	case F_IDLIST:
	case F_CAPS:
	case F_UTILLIST:
	case F_OBJLIST:
		if (it->type != JSON_ARRAY)
			return fail(c, "'%s' must be an array", PATH());
		if (f->kind == F_IDLIST)
			return decode_idlist(c, it, f, base, w);
		if (f->kind == F_CAPS)
			return decode_caps(c, it, f, base, w);
		if (f->kind == F_UTILLIST)
			return decode_utillist(c, it, f, base, w);
		return decode_objlist(c, it, f, base, w);
	case F_KIND_COUNT:
		break;
	}
	return fail(c, "'%s' has an unsupported field kind", PATH());
#undef PATH
}

/* True when member ch's key is field f's key. */
static bool key_is(const JsonNode *ch, const FieldSpec *f)
{
	return ch->keylen == f->keylen && memcmp(ch->key, f->key, f->keylen) == 0;
}

/* Walk a field table over one JSON object, storing into base. */
static bool decode_object(Ctx *c, const JsonNode *obj, const ObjSpec *spec, void *base,
                          const Where *w)
{
	unsigned has = 0;
	char path[128];
	const JsonNode *vals[PROTO_MAX_FIELDS];
	const JsonNode *ch = json_first(c->doc, obj);

	/* One pass over the object's members (first of duplicate keys wins), then the
	 * table in order, so errors come in table order. Members usually come in table
	 * order, so each search starts after the previous match. */
	size_t hint = 0, nf = spec->nfields;
	memset(vals, 0, sizeof(vals));
	for (uint32_t m = 0; m < obj->len; m++, ch = json_after(c->doc, ch)) {
		for (size_t k = 0; k < nf; k++) {
			size_t i = hint + k < nf ? hint + k : hint + k - nf;
			if (key_is(ch, &spec->fields[i])) {
				if (vals[i] == NULL)
					vals[i] = ch;
				hint = i + 1 < nf ? i + 1 : 0;
				break;
			}
		}
	}
	for (size_t i = 0; i < spec->nfields; i++) {
		const FieldSpec *f = &spec->fields[i];
		const JsonNode *it = vals[i];

		if (it == NULL || it->type == JSON_NULL) {
			if (f->required) {
				path_join(path, sizeof(path), w, f->key);
				return fail(c, "'%s' is missing", path);
			}
			if (it != NULL && f->nullable) {
				put_ptr(base, f->off, NULL);
				has |= f->has;
			}
			continue;
		}
		if (!decode_field(c, it, f, base, w))
			return false;
		has |= f->has;
	}
	if (spec->has_off != NO_HAS) {
		unsigned old;
		memcpy(&old, (char *)base + spec->has_off, sizeof(old));
		old |= has;
		memcpy((char *)base + spec->has_off, &old, sizeof(old));
	}
	return true;
}

/* The envelope members of a message (first occurrence of each), found in one pass. */
typedef struct Envelope {
	const JsonNode *type, *seq, *ts;
} Envelope;

/* Find type, seq and ts among the top-level members. */
static void find_envelope(const Json *doc, const JsonNode *root, Envelope *env)
{
	const JsonNode *ch = json_first(doc, root);

	memset(env, 0, sizeof(*env));
	for (uint32_t m = 0; m < root->len; m++, ch = json_after(doc, ch)) {
		const char *k = ch->key;
		if (ch->keylen == 4 && memcmp(k, "type", 4) == 0 && env->type == NULL)
			env->type = ch;
		else if (ch->keylen == 3 && memcmp(k, "seq", 3) == 0 && env->seq == NULL)
			env->seq = ch;
		else if (ch->keylen == 2 && memcmp(k, "ts", 2) == 0 && env->ts == NULL)
			env->ts = ch;
	}
}

/* Decode the envelope (seq, ts) of a non-hello event; lenient for unknown types. */
static bool decode_envelope(Ctx *c, const Envelope *env, Event *ev, bool strict)
{
	const JsonNode *seq = env->seq, *ts = env->ts;
	int64_t v;

	if (seq == NULL || seq->type == JSON_NULL) {
		if (strict)
			return fail(c, "'seq' is missing");
	} else if (!json_int(seq, &v) || v < 1) {
		if (strict)
			return fail(c, "'seq' must be an integer >= 1");
	} else {
		ev->seq = v;
	}
	if (ts == NULL || ts->type == JSON_NULL) {
		if (strict)
			return fail(c, "'ts' is missing");
	} else if (!json_int(ts, &v) || v < 0) {
		if (strict)
			return fail(c, "'ts' must be a non-negative integer");
	} else {
		ev->ts = v;
	}
	return true;
}

static const Where root_where = { .key = "" };

/* Decode one complete message of len bytes into ev, allocating from a. */
ProtoResult proto_decode(const char *buf, size_t len, Event *ev, Arena *a, char err[PROTO_ERR_MAX])
{
	char local_err[PROTO_ERR_MAX];
	Ctx c = { .arena = a, .err = err ? err : local_err, .evname = "message" };
	JsonNode scratch[PROTO_SCRATCH_NODES];
	Json doc;
	const JsonNode *root;
	Envelope env;
	const JsonNode *type;
	int t;

	memset(ev, 0, sizeof(*ev));
	c.err[0] = '\0';
	if (buf == NULL || len == 0) {
		fail(&c, "empty message");
		return PROTO_REJECT;
	}
	if (!json_parse_with(&doc, buf, len, a, scratch, PROTO_SCRATCH_NODES)) {
		if (doc.err == JSON_E_TRAILING)
			fail(&c, "trailing data after the JSON value at byte %zu", doc.err_at);
		else if (doc.err == JSON_E_NOMEM)
			fail(&c, "out of memory");
		else
			fail(&c, "invalid JSON at byte %zu: %s", doc.err_at,
			     json_error_str(doc.err));
		return PROTO_REJECT;
	}
	c.doc = &doc;
	root = &doc.nodes[0];
	if (root->type != JSON_OBJECT) {
		fail(&c, "not a JSON object");
		return PROTO_REJECT;
	}
	find_envelope(&doc, root, &env);
	type = env.type;
	if (type == NULL || type->type == JSON_NULL) {
		fail(&c, "'type' is missing");
		return PROTO_REJECT;
	}
	if (!is_str(type) || str_len(type) == 0) {
		fail(&c, "'type' must be a non-empty string");
		return PROTO_REJECT;
	}
	t = name_lookup(event_type_names, EV_UNKNOWN, type->str, str_len(type));
	if (t < 0) {
		/* Unknown type: skipped and counted by the caller; seq kept for gap tracking. */
		ev->type = EV_UNKNOWN;
		ev->type_name = copy_str(&c, type, EVENT_ID_MAX);
		if (ev->type_name != NULL && decode_envelope(&c, &env, ev, false))
			return PROTO_OK;
		goto reject;
	}
	ev->type = (EventType)t;
	ev->type_name = event_type_names[t];
	c.evname = event_type_names[t];
	if (t != EV_HELLO && !decode_envelope(&c, &env, ev, true))
		goto reject;
	if (!decode_object(&c, root, &event_specs[t], &ev->u, &root_where))
		goto reject;
	if (t == EV_HELLO) {
		const JsonNode *p = json_get(&doc, root, "proto", 5);
		if (p == NULL || p->type == JSON_NULL)
			ev->u.hello.proto = PROTO_VERSION;
		if (ev->u.hello.proto != PROTO_VERSION) {
			fail(&c, "'proto' is %lld but this client speaks %d",
			     (long long)ev->u.hello.proto, PROTO_VERSION);
			goto reject;
		}
	}
	return PROTO_OK;
reject:
	memset(ev, 0, sizeof(*ev));
	return PROTO_REJECT;
}

/* Guess the dialect from a connection's first message: UPPER_SNAKE type -> AG-UI. */
ProtoDialect proto_sniff(const char *buf, size_t len)
{
	cJSON *root;
	const cJSON *type;
	ProtoDialect d = DIALECT_V1;

	if (buf == NULL || len == 0)
		return DIALECT_V1;
	root = cJSON_ParseWithLengthOpts(buf, len, NULL, false);
	if (root == NULL)
		return DIALECT_V1;
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (cJSON_IsString(type) && type->valuestring != NULL) {
		const char *s = type->valuestring;
		bool upper = s[0] >= 'A' && s[0] <= 'Z';
		for (; upper && *s; s++)
			upper = (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_';
		if (upper)
			d = DIALECT_AGUI;
	}
	cJSON_Delete(root);
	return d;
}

/* Encode {"type":"subscribe","since":N}; returns bytes written or -1. */
int proto_encode_subscribe(long long since, char *out, size_t cap)
{
	int n;

	if (out == NULL || cap == 0 || since < 0)
		return -1;
	n = snprintf(out, cap, "{\"type\":\"subscribe\",\"since\":%lld}", since);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}

typedef struct Out {
	char *p;
	size_t cap, len;
	bool overflow;
} Out;

/* Append n raw bytes to an Out buffer, keeping room for the NUL. */
static void out_put(Out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Append a NUL-terminated string to an Out buffer. */
static void out_str(Out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* Append s as a JSON string literal: escaped, invalid UTF-8 replaced by U+FFFD. */
static void out_json_string(Out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i = 0;

	out_put(o, "\"", 1);
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		uint32_t cp;
		int n;

		if (ch == '"' || ch == '\\') {
			char esc[2] = { '\\', (char)ch };
			out_put(o, esc, 2);
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
			out_put(o, esc, 6);
			i++;
			continue;
		}
		if (ch < 0x80) {
			out_put(o, (const char *)&s[i], 1);
			i++;
			continue;
		}
		n = sanitize_utf8_decode(s + i, len - i, &cp);
		if (cp == 0xFFFD && n == 1)
			out_str(o, "\xEF\xBF\xBD");
		else if (cp == 0x2028 || cp == 0x2029)
			out_str(o, cp == 0x2028 ? "\\u2028" : "\\u2029");
		else
			out_put(o, s + i, (size_t)n);
		i += (size_t)n;
	}
	out_put(o, "\"", 1);
}

/* Encode a command; returns bytes written (excl. NUL) or -1 if out is too small or invalid. */
int proto_encode_command(const Command *cmd, char *out, size_t cap)
{
	Out o = { .p = out, .cap = cap };

	if (cmd == NULL || out == NULL || cap == 0)
		return -1;
	if ((unsigned)cmd->action >= ACTION_COUNT)
		return -1;
	if ((unsigned)cmd->target_kind >= TARGET_KIND_COUNT)
		return -1;
	if (memchr(cmd->id, '\0', sizeof(cmd->id)) == NULL || cmd->id[0] == '\0')
		return -1;
	if (memchr(cmd->target, '\0', sizeof(cmd->target)) == NULL)
		return -1;
	if (cmd->target_kind != TARGET_RUNTIME && cmd->target[0] == '\0')
		return -1;
	if (cmd->action == ACTION_INJECT && cmd->text == NULL)
		return -1;
	out_str(&o, "{\"type\":\"command\",\"id\":");
	out_json_string(&o, cmd->id);
	out_str(&o, ",\"action\":\"");
	out_str(&o, command_action_names[cmd->action]);
	out_str(&o, "\",\"target\":{");
	if (cmd->target_kind != TARGET_RUNTIME) {
		out_json_string(&o, target_kind_names[cmd->target_kind]);
		out_str(&o, ":");
		out_json_string(&o, cmd->target);
	}
	out_str(&o, "}");
	if (cmd->text != NULL) {
		out_str(&o, ",\"text\":");
		out_json_string(&o, cmd->text);
	}
	if (cmd->reason != NULL) {
		out_str(&o, ",\"reason\":");
		out_json_string(&o, cmd->reason);
	}
	out_str(&o, "}");
	if (o.overflow) {
		out[0] = '\0';
		return -1;
	}
	out[o.len] = '\0';
	return (int)o.len;
}

/* Fill a command from CLI-ish words; 0, or -1 with err set. */
int proto_command_init(Command *cmd, const char *id, const char *action, TargetKind kind,
                       const char *target, char err[PROTO_ERR_MAX])
{
	char local_err[PROTO_ERR_MAX];
	char *e = err ? err : local_err;
	int a;
	size_t tlen = target ? strlen(target) : 0;

	memset(cmd, 0, sizeof(*cmd));
	e[0] = '\0';
	if (id == NULL || id[0] == '\0' || strlen(id) >= sizeof(cmd->id)) {
		snprintf(e, PROTO_ERR_MAX, "command: id must be 1..%zu bytes", sizeof(cmd->id) - 1);
		return -1;
	}
	a = event_name_lookup(command_action_names, ACTION_COUNT, action);
	if (a < 0) {
		snprintf(e, PROTO_ERR_MAX, "command: unknown action "
		         "(expected pause, resume, retry, cancel or inject)");
		return -1;
	}
	if ((unsigned)kind >= TARGET_KIND_COUNT) {
		snprintf(e, PROTO_ERR_MAX, "command: unknown target kind");
		return -1;
	}
	if (kind != TARGET_RUNTIME && (tlen == 0 || tlen > EVENT_ID_MAX)) {
		snprintf(e, PROTO_ERR_MAX, "command: %s target must be 1..%d bytes",
		         target_kind_names[kind], EVENT_ID_MAX);
		return -1;
	}
	if (a == ACTION_INJECT && kind != TARGET_AGENT) {
		snprintf(e, PROTO_ERR_MAX, "command: inject needs an agent target");
		return -1;
	}
	memcpy(cmd->id, id, strlen(id) + 1);
	cmd->action = (CommandAction)a;
	cmd->target_kind = kind;
	if (kind != TARGET_RUNTIME)
		memcpy(cmd->target, target, tlen + 1);
	return 0;
}
