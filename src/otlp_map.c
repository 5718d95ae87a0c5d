/*
 * otlp_map.c: OpenTelemetry GenAI spans (OTLP/HTTP JSON ExportTraceServiceRequest)
 * -> protocol-v1 Events (docs/interop.md, section "OpenTelemetry"). Owns the
 * checking and per-service cutting of request bodies (otlp_split) and, per
 * service, the memory of spans by id that places late and out-of-order spans:
 * a span whose parent has not arrived yet is shown under the service's agent
 * and re-linked (agent, parent task) as soon as the parent arrives.
 *
 * Pure: must not do I/O or read the clock. Every byte is hostile: ids must be
 * hex of the right length, integers may be JSON strings (OTLP JSON encodes
 * int64 as strings) and are range checked, strings are truncated (never inside a
 * UTF-8 sequence), and a span's usage is counted once however often it is sent.
 */
#include "swarmtop/otlp.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/interop.h"
#include "swarmtop/sanitize.h"
#include "swarmtop/strmap.h"

#define OTLP_CHAIN_MAX 64          /* ancestors walked to find an agent */
#define OTLP_UNRESOLVED_MAX 4096   /* spans waiting for an ancestor, re-linked later */
#define OTLP_USAGE_WAIT_MS 30000   /* usage waits this long for its agent, then is counted */

typedef enum OtlpOp {
	OP_OTHER,      /* not GenAI (or an unknown operation): a transparent link */
	OP_AGENT,      /* invoke_agent */
	OP_CREATE,     /* create_agent */
	OP_TOOL,       /* execute_tool */
	OP_LLM,        /* chat, generate_content, text_completion, embeddings */
	OP_COUNT
} OtlpOp;

/* gen_ai.operation.name -> what the span becomes. */
static const struct {
	const char *name;
	OtlpOp op;
	const char *kind;
} otlp_ops[] = {
	{ "invoke_agent", OP_AGENT, "run" },
	{ "create_agent", OP_CREATE, "create" },
	{ "execute_tool", OP_TOOL, "tool" },
	{ "chat", OP_LLM, "llm" },
	{ "generate_content", OP_LLM, "llm" },
	{ "text_completion", OP_LLM, "llm" },
	{ "embeddings", OP_LLM, "embeddings" },
};

/* A span remembered by id. */
typedef struct OtlpSpan {
	char id[17], parent[17];
	OtlpOp op;
	char *agent;         /* OP_AGENT / OP_CREATE: the agent it is */
	char *shown_agent;   /* the agent its task was last shown under */
	char *shown_parent;  /* the parent task last shown (NULL: none) */
	bool unresolved;     /* an ancestor is still missing */
	bool queued;         /* in the state's unresolved list (once, however often it is sent) */
	bool usage_pending;  /* its usage waits for the agent (counted once placed) */
	bool usage_done;     /* its usage was counted (a span sent again is not counted twice) */
	int64_t pend_ms;     /* since when */
	int64_t tok[5];      /* input, output, cache read, cache write, reasoning */
	char *provider, *model;
} OtlpSpan;

struct OtlpState {
	char *service, *instance;
	bool hello_done, service_agent_done;
	int64_t now_ms;
	InteropEvents out;
	OtlpSpan *spans;
	size_t nspans, cap;
	StrMap by_id;
	int *unresolved;     /* indexes in spans */
	size_t nunresolved;
};

/* Duplicate a string on the heap (NULL stays NULL). */
static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A string member, or NULL. */
static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* True when s is exactly n lowercase/uppercase hex digits (and not all zero). */
static bool hex_id(const char *s, size_t n)
{
	bool nonzero = false;
	if (s == NULL || strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return false;
		nonzero |= ch != '0';
	}
	return nonzero;
}

/* An OTLP integer (a JSON number or a decimal string) in 0..2^63; -1 when invalid. */
static int64_t otlp_int(const cJSON *v)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		return d >= 0 && d < 9.2e18 && d == floor(d) ? (int64_t)d : -1;
	}
	if (!cJSON_IsString(v) || !v->valuestring || !*v->valuestring)
		return -1;
	int64_t r = 0;
	for (const char *s = v->valuestring; *s; s++) {
		if (*s < '0' || *s > '9' || r > (INT64_MAX - 9) / 10)
			return -1;
		r = r * 10 + (*s - '0');
	}
	return r;
}

/* The AnyValue of attribute key in an attributes array, or NULL. */
static const cJSON *attr(const cJSON *attrs, const char *key)
{
	const cJSON *kv;
	cJSON_ArrayForEach(kv, attrs) {
		const char *k = jstr(kv, "key");
		if (k && !strcmp(k, key))
			return cJSON_GetObjectItemCaseSensitive(kv, "value");
	}
	return NULL;
}

/* A string attribute (stringValue; ints and bools as text into buf), or NULL. */
static const char *attr_str(const cJSON *attrs, const char *key, char *buf, size_t cap)
{
	const cJSON *v = attr(attrs, key);
	const char *s = jstr(v, "stringValue");
	if (s)
		return s;
	int64_t i = otlp_int(cJSON_GetObjectItemCaseSensitive(v, "intValue"));
	if (i >= 0 && buf) {
		snprintf(buf, cap, "%lld", (long long)i);
		return buf;
	}
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "boolValue");
	if (cJSON_IsBool(b) && buf) {
		snprintf(buf, cap, "%s", cJSON_IsTrue(b) ? "true" : "false");
		return buf;
	}
	return NULL;
}

/* A count attribute (intValue as string or number, or an integral doubleValue); -1. */
static int64_t attr_count(const cJSON *attrs, const char *key)
{
	const cJSON *v = attr(attrs, key);
	int64_t i = otlp_int(cJSON_GetObjectItemCaseSensitive(v, "intValue"));
	if (i < 0)
		i = otlp_int(cJSON_GetObjectItemCaseSensitive(v, "doubleValue"));
	return i >= 0 && i < EVENT_SAFE_INT ? i : -1;
}

/* The service.name of a resourceSpans entry. */
static const char *service_of(const cJSON *rs)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
	const char *s = attr_str(cJSON_GetObjectItemCaseSensitive(res, "attributes"),
	                         "service.name", NULL, 0);
	return s && *s ? s : OTLP_DEFAULT_SERVICE;
}

/* Why a span is invalid, or NULL when it is fine. */
static const char *span_invalid(const cJSON *sp)
{
	if (!cJSON_IsObject(sp))
		return "span: not an object";
	if (!hex_id(jstr(sp, "traceId"), 32))
		return "span: 'traceId' is not 32 hex digits";
	if (!hex_id(jstr(sp, "spanId"), 16))
		return "span: 'spanId' is not 16 hex digits";
	const char *p = jstr(sp, "parentSpanId");
	if (p && *p && !hex_id(p, 16))
		return "span: 'parentSpanId' is not 16 hex digits";
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(sp, "attributes");
	if (at && !cJSON_IsArray(at))
		return "span: 'attributes' is not an array";
	return NULL;
}

/* Check a request and cut it per service. */
int otlp_split(const char *json, size_t len, Arena *a, OtlpPart **parts, OtlpCounts *c,
               char err[PROTO_ERR_MAX])
{
	char scratch[PROTO_ERR_MAX];
	if (err == NULL)
		err = scratch;
	err[0] = '\0';
	memset(c, 0, sizeof(*c));
	*parts = NULL;
	cJSON *root = json ? cJSON_ParseWithLengthOpts(json, len, NULL, false) : NULL;
	const cJSON *rss = cJSON_GetObjectItemCaseSensitive(root, "resourceSpans");
	if (!cJSON_IsObject(root) || (rss && !cJSON_IsArray(rss))) {
		snprintf(err, PROTO_ERR_MAX, root ? "body: 'resourceSpans' is not an array" :
		         "body: not JSON (an OTLP ExportTraceServiceRequest)");
		cJSON_Delete(root);
		return -1;
	}
	/* one output request per service, in order of first appearance */
	cJSON *outs[64];
	const char *names[64];
	size_t nout = 0, counts[64];
	const cJSON *rs;
	cJSON_ArrayForEach(rs, rss) {
		const char *svc = service_of(rs);
		size_t k;
		for (k = 0; k < nout && strcmp(names[k], svc) != 0; k++)
			;
		const cJSON *sss = cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans"), *ss;
		cJSON *nrs = cJSON_CreateObject();
		cJSON *nsss = cJSON_AddArrayToObject(nrs, "scopeSpans");
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(rs, "resource");
		if (res)
			cJSON_AddItemToObject(nrs, "resource", cJSON_Duplicate(res, true));
		size_t valid = 0;
		cJSON_ArrayForEach(ss, sss) {
			const cJSON *spans = cJSON_GetObjectItemCaseSensitive(ss, "spans"), *sp;
			cJSON *nss = cJSON_CreateObject();
			const cJSON *scope = cJSON_GetObjectItemCaseSensitive(ss, "scope");
			if (scope)
				cJSON_AddItemToObject(nss, "scope", cJSON_Duplicate(scope, true));
			cJSON *nspans = cJSON_AddArrayToObject(nss, "spans");
			cJSON_ArrayForEach(sp, spans) {
				const char *why = span_invalid(sp);
				if (why) {
					if (!c->rejected)
						snprintf(c->message, sizeof(c->message), "%s", why);
					c->rejected++;
					continue;
				}
				cJSON_AddItemToArray(nspans, cJSON_Duplicate(sp, true));
				valid++;
			}
			cJSON_AddItemToArray(nsss, nss);
		}
		c->spans += valid;
		if (valid == 0) {
			cJSON_Delete(nrs);
			continue;
		}
		if (k == nout) {
			if (nout == sizeof(outs) / sizeof(outs[0])) {
				if (!c->rejected)
					snprintf(c->message, sizeof(c->message),
					         "more than 64 services in one request");
				c->rejected += valid;
				c->spans -= valid;
				cJSON_Delete(nrs);
				continue;
			}
			outs[nout] = cJSON_CreateObject();
			cJSON_AddArrayToObject(outs[nout], "resourceSpans");
			names[nout] = svc;
			counts[nout++] = 0;
		}
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(outs[k], "resourceSpans"), nrs);
		counts[k] += valid;
	}
	OtlpPart *pv = nout ? arena_alloc(a, nout * sizeof(*pv)) : NULL;
	for (size_t k = 0; k < nout; k++) {
		char *body = cJSON_PrintUnformatted(outs[k]);
		if (pv && body) {
			pv[k].service = interop_str(a, names[k], EVENT_ID_MAX);
			pv[k].len = strlen(body);
			pv[k].body = arena_strndup(a, body, pv[k].len);
			pv[k].spans = counts[k];
		}
		free(body);
		cJSON_Delete(outs[k]);
	}
	cJSON_Delete(root);
	if (nout && pv == NULL) {
		snprintf(err, PROTO_ERR_MAX, "body: out of memory");
		return -1;
	}
	*parts = pv;
	return (int)nout;
}

/* ---- the state ---- */

/* A mapper for one service. */
OtlpState *otlp_new(const char *service, const char *instance)
{
	OtlpState *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->service = strdup(service ? service : OTLP_DEFAULT_SERVICE);
	s->instance = strdup(instance ? instance : "otlp");
	strmap_init(&s->by_id);
	if (!s->service || !s->instance) {
		otlp_free(s);
		return NULL;
	}
	return s;
}

/* Forget every span. */
static void spans_clear(OtlpState *s)
{
	for (size_t i = 0; i < s->nspans; i++) {
		free(s->spans[i].agent);
		free(s->spans[i].shown_agent);
		free(s->spans[i].shown_parent);
		free(s->spans[i].provider);
		free(s->spans[i].model);
	}
	s->nspans = 0;
	s->nunresolved = 0;
	strmap_clear(&s->by_id);
}

/* Free it. */
void otlp_free(OtlpState *s)
{
	if (s == NULL)
		return;
	spans_clear(s);
	free(s->spans);
	free(s->unresolved);
	strmap_free(&s->by_id);
	interop_events_free(&s->out);
	free(s->service);
	free(s->instance);
	free(s);
}

/* A deep copy. */
OtlpState *otlp_clone(const OtlpState *s)
{
	OtlpState *c = otlp_new(s->service, s->instance);
	if (c == NULL)
		return NULL;
	c->hello_done = s->hello_done;
	c->service_agent_done = s->service_agent_done;
	c->now_ms = s->now_ms;
	c->out.seq = s->out.seq;
	c->spans = calloc(s->cap ? s->cap : 1, sizeof(OtlpSpan));
	c->unresolved = calloc(OTLP_UNRESOLVED_MAX, sizeof(int));
	if (!c->spans || !c->unresolved) {
		otlp_free(c);
		return NULL;
	}
	c->cap = s->cap;
	for (size_t i = 0; i < s->nspans; i++) {
		c->spans[i] = s->spans[i];
		c->spans[i].agent = xdup(s->spans[i].agent);
		c->spans[i].shown_agent = xdup(s->spans[i].shown_agent);
		c->spans[i].shown_parent = xdup(s->spans[i].shown_parent);
		c->spans[i].provider = xdup(s->spans[i].provider);
		c->spans[i].model = xdup(s->spans[i].model);
		c->nspans++;
		strmap_put(&c->by_id, c->spans[i].id, 16, (int)i);
	}
	if (s->nunresolved)   /* s->unresolved is made on first use: NULL until then */
		memcpy(c->unresolved, s->unresolved, s->nunresolved * sizeof(int));
	c->nunresolved = s->nunresolved;
	return c;
}

/* The time for spans without an end time. */
void otlp_set_now(OtlpState *s, int64_t now_ms)
{
	s->now_ms = now_ms;
}

/* The index of the span with this id, or -1. */
static int span_index(const OtlpState *s, const char *id)
{
	if (id == NULL || !*id)
		return -1;
	return strmap_get(&s->by_id, id, strlen(id));
}

/* The span with this id, or NULL. */
static OtlpSpan *span_get(OtlpState *s, const char *id)
{
	int i = span_index(s, id);
	return i >= 0 ? &s->spans[i] : NULL;
}

/* Where a span belongs: the agent of its nearest agent ancestor (or the service's),
 * the task of its nearest GenAI ancestor, and whether an ancestor is still missing. */
typedef struct Placement {
	const char *agent;   /* NULL: the service's agent */
	const char *parent;  /* parent task (a span id), or NULL */
	const char *parent_agent;  /* agents: the agent of the nearest agent ancestor */
	bool unresolved;
} Placement;

/* Walk up from span sp. */
static Placement place(OtlpState *s, const OtlpSpan *sp)
{
	Placement p = { 0 };
	const char *up = sp->parent;
	for (int depth = 0; *up && depth < OTLP_CHAIN_MAX; depth++) {
		const OtlpSpan *a = span_get(s, up);
		if (a == NULL) {
			p.unresolved = true;
			break;
		}
		if (a->op != OP_OTHER && p.parent == NULL)
			p.parent = a->id;
		if (a->op == OP_AGENT && a->agent) {
			p.parent_agent = a->agent;
			break;
		}
		up = a->parent;
	}
	p.agent = sp->op == OP_AGENT || sp->op == OP_CREATE ? sp->agent : p.parent_agent;
	return p;
}

/* Emit the service's own agent once (home of spans with no agent ancestor). */
static void service_agent(OtlpState *s, Arena *a)
{
	if (s->service_agent_done)
		return;
	Event *ev = interop_push(&s->out, EV_AGENT);
	if (ev == NULL)
		return;
	ev->u.agent.id = interop_str(a, s->service, EVENT_ID_MAX);
	ev->u.agent.name = interop_str(a, s->service, EVENT_NAME_MAX);
	ev->u.agent.role = "OpenTelemetry service";
	ev->u.agent.status = AGENT_IDLE;
	ev->u.agent.has = HAS_STATUS;
	s->service_agent_done = true;
}

/* Replace *dst by a copy of src; true when it changed. */
static bool set_str(char **dst, const char *src)
{
	if ((*dst == NULL && src == NULL) || (*dst && src && !strcmp(*dst, src)))
		return false;
	free(*dst);
	*dst = xdup(src);
	return true;
}

/* Show span sp's links (agent, parent) if they changed; first: always. */
static EvTask *relink(OtlpState *s, OtlpSpan *sp, Arena *a, bool first)
{
	Placement p = place(s, sp);
	const char *agent = p.agent ? p.agent : s->service;
	if (p.agent == NULL)
		service_agent(s, a);
	bool ca = set_str(&sp->shown_agent, agent);
	bool cp = set_str(&sp->shown_parent, p.parent);
	sp->unresolved = p.unresolved;
	EvTask *t = NULL;
	if ((sp->op == OP_AGENT || sp->op == OP_CREATE) && (first || cp)) {
		Event *ev = interop_push(&s->out, EV_AGENT);
		if (ev) {
			ev->u.agent.id = interop_str(a, sp->agent, EVENT_ID_MAX);
			ev->u.agent.parent = interop_str(a, p.parent_agent, EVENT_ID_MAX);
			ev->u.agent.has |= HAS_PARENT;
		}
	}
	if (first || ca || cp) {
		Event *ev = interop_push(&s->out, EV_TASK);
		if (ev) {
			t = &ev->u.task;
			t->id = interop_str(a, sp->id, EVENT_ID_MAX);
			t->agent = interop_str(a, agent, EVENT_ID_MAX);
			t->parent = interop_str(a, p.parent, EVENT_ID_MAX);
			t->has |= HAS_PARENT;
		}
	}
	return t;
}

/* The kind of an operation name, OP_OTHER when unknown. */
static int op_index(const char *name)
{
	for (size_t i = 0; name && i < sizeof(otlp_ops) / sizeof(otlp_ops[0]); i++)
		if (!strcmp(otlp_ops[i].name, name))
			return (int)i;
	return -1;
}

/* Remember a span; NULL when out of memory. Too many: the oldest are all forgotten. */
static OtlpSpan *span_add(OtlpState *s, const char *id, const char *parent, OtlpOp op)
{
	int old = span_index(s, id);
	if (old >= 0)
		return &s->spans[old];   /* a span sent twice: update in place */
	if (s->nspans >= OTLP_MAX_SPANS)
		spans_clear(s);
	if (s->nspans == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		OtlpSpan *nv = realloc(s->spans, nc * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		s->spans = nv;
		s->cap = nc;
	}
	OtlpSpan *sp = &s->spans[s->nspans];
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->id, sizeof(sp->id), "%s", id);
	snprintf(sp->parent, sizeof(sp->parent), "%s", parent ? parent : "");
	sp->op = op;
	if (strmap_put(&s->by_id, sp->id, 16, (int)s->nspans) < 0)
		return NULL;
	s->nspans++;
	return sp;
}

static void usage_emit(OtlpState *s, OtlpSpan *sp, Arena *a);

/* An agent span's agent: gen_ai.agent.id, else gen_ai.agent.name, else the span id. */
static void agent_of(OtlpSpan *rec, const cJSON *at)
{
	char b[32];
	const char *aid = attr_str(at, "gen_ai.agent.id", b, sizeof(b));
	const char *aname = attr_str(at, "gen_ai.agent.name", NULL, 0);
	set_str(&rec->agent, aid ? aid : aname ? aname : rec->id);
}

/* Map one valid span. */
static void map_span(OtlpState *s, const cJSON *sp, Arena *a)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(sp, "attributes");
	char b1[32];
	const char *opname = attr_str(at, "gen_ai.operation.name", NULL, 0);
	int oi = op_index(opname);
	OtlpOp op = oi >= 0 ? otlp_ops[oi].op : OP_OTHER;
	const char *id = jstr(sp, "spanId"), *parent = jstr(sp, "parentSpanId");
	int64_t end = otlp_int(cJSON_GetObjectItemCaseSensitive(sp, "endTimeUnixNano"));
	s->out.ts = end > 0 ? end / 1000000 : s->now_ms;
	OtlpSpan *rec = span_add(s, id, parent, op);
	if (rec == NULL) {
		s->out.oom = true;
		return;
	}
	if (op == OP_OTHER)
		return;
	/* status */
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(sp, "status");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(st, "code");
	const char *etype = attr_str(at, "error.type", NULL, 0);
	bool failed = (cJSON_IsNumber(code) && code->valuedouble == 2) ||
	              (cJSON_IsString(code) && !strcmp(code->valuestring, "STATUS_CODE_ERROR")) ||
	              etype != NULL;
	const char *smsg = jstr(st, "message");
	const char *conv = attr_str(at, "gen_ai.conversation.id", b1, sizeof(b1));
	const char *model = attr_str(at, "gen_ai.response.model", NULL, 0);
	if (model == NULL)
		model = attr_str(at, "gen_ai.request.model", NULL, 0);
	const char *provider = attr_str(at, "gen_ai.provider.name", NULL, 0);
	if (provider == NULL)
		provider = attr_str(at, "gen_ai.system", NULL, 0);
	if (op == OP_AGENT || op == OP_CREATE) {
		const char *aname = attr_str(at, "gen_ai.agent.name", NULL, 0);
		agent_of(rec, at);
		Event *ev = interop_push(&s->out, EV_AGENT);
		if (ev) {
			EvAgent *g = &ev->u.agent;
			g->id = interop_str(a, rec->agent, EVENT_ID_MAX);
			g->name = interop_str(a, aname ? aname : rec->agent, EVENT_NAME_MAX);
			g->role = interop_str(a, attr_str(at, "gen_ai.agent.description", NULL, 0),
			                      EVENT_NAME_MAX);
			g->model = interop_str(a, model, EVENT_NAME_MAX);
			g->status = failed ? AGENT_FAILED : op == OP_CREATE ? AGENT_IDLE : AGENT_COMPLETED;
			g->has |= HAS_STATUS;
		}
	}
	EvTask *t = relink(s, rec, a, true);
	if (t == NULL)
		return;
	const char *name = jstr(sp, "name");
	if (op == OP_TOOL) {
		const char *tn = attr_str(at, "gen_ai.tool.name", NULL, 0);
		if (tn)
			name = tn;
	}
	t->name = interop_str(a, name ? name : opname, EVENT_NAME_MAX);
	t->kind = otlp_ops[oi].kind;
	t->status = failed ? TASK_FAILED : TASK_COMPLETED;
	t->has |= HAS_STATUS;
	if (failed) {
		char e[EVENT_NAME_MAX * 2];
		const char *et = etype ? etype : "";
		const char *sm = smsg && *smsg ? smsg : etype ? "" : "error";
		snprintf(e, sizeof(e), "%.*s%s%.*s", sanitize_prec(et, 200), et, etype && *sm ? ": " : "",
		         sanitize_prec(sm, 200), sm);
		t->error = interop_str(a, e, EVENT_TEXT_MAX);
		t->has |= HAS_ERROR;
	}
	/* input: arguments / call id / conversation; output: tool result */
	char in[EVENT_NAME_MAX * 3];
	size_t n = 0;
	in[0] = '\0';
	if (op == OP_TOOL) {
		const char *args = attr_str(at, "gen_ai.tool.call.arguments", NULL, 0);
		const char *cid = attr_str(at, "gen_ai.tool.call.id", NULL, 0);
		const char *res = attr_str(at, "gen_ai.tool.call.result", NULL, 0);
		if (cid)
			n += (size_t)snprintf(in + n, sizeof(in) - n, "call %.*s", sanitize_prec(cid, 100), cid);
		if (args)
			n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%.*s", n ? " · " : "",
			                      sanitize_prec(args, 400), args);
		if (res) {
			t->output = interop_str(a, res, 2048);
			t->has |= HAS_OUTPUT;
		}
	} else if (op == OP_LLM && model) {
		const char *pv = provider ? provider : "";
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%.*s%s%.*s", sanitize_prec(pv, 60), pv,
		                      provider ? " " : "", sanitize_prec(model, 100), model);
	}
	if (conv && n < sizeof(in) - 1)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%sconversation %.*s",
		                      n ? " · " : "", sanitize_prec(conv, 100), conv);
	if (n) {
		t->input = interop_str(a, in, EVENT_TEXT_MAX);
		t->has |= HAS_INPUT;
	}
	if (op != OP_LLM || rec->usage_done || rec->usage_pending)
		goto linked;   /* an exporter's retry, or the span twice in a request: counted once */
	int64_t itok = attr_count(at, "gen_ai.usage.input_tokens");
	int64_t otok = attr_count(at, "gen_ai.usage.output_tokens");
	if (itok < 0 && otok < 0)
		goto linked;
	int64_t *k = rec->tok;
	k[0] = itok > 0 ? itok : 0;
	k[1] = otok > 0 ? otok : 0;
	int64_t cr = attr_count(at, "gen_ai.usage.cache_read.input_tokens");
	int64_t cw = attr_count(at, "gen_ai.usage.cache_creation.input_tokens");
	int64_t rs = attr_count(at, "gen_ai.usage.reasoning.output_tokens");
	/* parts of input / output, never additions */
	k[2] = cr > 0 ? (cr < k[0] ? cr : k[0]) : 0;
	k[3] = cw > 0 ? cw : 0;
	if (k[2] + k[3] > k[0])
		k[3] = k[0] - k[2];
	k[4] = rs > 0 ? (rs < k[1] ? rs : k[1]) : 0;
	set_str(&rec->provider, provider);
	set_str(&rec->model, model);
	rec->usage_pending = true;
	rec->pend_ms = s->now_ms;
	if (!rec->unresolved)
		usage_emit(s, rec, a);
linked:
	if (rec->unresolved && !rec->queued && s->nunresolved < OTLP_UNRESOLVED_MAX) {
		if (s->unresolved == NULL)
			s->unresolved = calloc(OTLP_UNRESOLVED_MAX, sizeof(int));
		if (s->unresolved) {
			s->unresolved[s->nunresolved++] = (int)(rec - s->spans);
			rec->queued = true;
		}
	}
}

/* Count a span's usage (once) under the agent it is shown under now. */
static void usage_emit(OtlpState *s, OtlpSpan *sp, Arena *a)
{
	Event *ev = interop_push(&s->out, EV_USAGE);
	if (ev == NULL)
		return;
	EvUsage *u = &ev->u.usage;
	u->agent = interop_str(a, sp->shown_agent, EVENT_ID_MAX);
	u->task = interop_str(a, sp->id, EVENT_ID_MAX);
	u->provider = interop_str(a, sp->provider, EVENT_NAME_MAX);
	u->model = interop_str(a, sp->model, EVENT_NAME_MAX);
	u->input_tokens = sp->tok[0];
	u->output_tokens = sp->tok[1];
	u->cache_read_tokens = sp->tok[2];
	u->cache_write_tokens = sp->tok[3];
	u->reasoning_tokens = sp->tok[4];
	sp->usage_pending = false;
	sp->usage_done = true;
}

/* Re-link the spans that were waiting for an ancestor; forget the settled ones. */
static void relink_waiting(OtlpState *s, Arena *a)
{
	size_t keep = 0;
	for (size_t i = 0; i < s->nunresolved; i++) {
		int k = s->unresolved[i];
		if (k < 0 || (size_t)k >= s->nspans)
			continue;
		OtlpSpan *sp = &s->spans[k];
		s->out.ts = s->now_ms;
		relink(s, sp, a, false);
		if (sp->usage_pending &&
		    (!sp->unresolved || s->now_ms - sp->pend_ms >= OTLP_USAGE_WAIT_MS))
			usage_emit(s, sp, a);
		if (sp->unresolved)
			s->unresolved[keep++] = k;
		else
			sp->queued = false;
	}
	s->nunresolved = keep;
}

/* Map one request (one service's part) into Events. */
int otlp_map(OtlpState *s, const char *json, size_t len, Arena *a, const Event **out,
             char err[PROTO_ERR_MAX])
{
	char scratch[PROTO_ERR_MAX];
	if (err == NULL)
		err = scratch;
	err[0] = '\0';
	*out = NULL;
	s->out.n = 0;
	s->out.oom = false;
	cJSON *root = json ? cJSON_ParseWithLengthOpts(json, len, NULL, false) : NULL;
	const cJSON *rss = cJSON_GetObjectItemCaseSensitive(root, "resourceSpans"), *rs;
	if (!cJSON_IsObject(root) || (rss && !cJSON_IsArray(rss))) {
		snprintf(err, PROTO_ERR_MAX, "otlp: not an ExportTraceServiceRequest");
		cJSON_Delete(root);
		return -1;
	}
	if (!s->hello_done) {
		Event *ev = interop_push(&s->out, EV_HELLO);
		if (ev) {
			EvHello *h = &ev->u.hello;
			h->proto = PROTO_VERSION;
			h->id = interop_str(a, s->service, EVENT_ID_MAX);
			h->instance = interop_str(a, s->instance, EVENT_ID_MAX);
			h->name = interop_str(a, s->service, EVENT_NAME_MAX);
			h->lang = "OpenTelemetry";
			s->hello_done = true;
		}
	}
	/* three passes: every span of the request is known before any is placed, and agents
	 * exist before what they did is counted, so the order inside a request never matters */
	for (int pass = 0; pass < 3; pass++) {
		cJSON_ArrayForEach(rs, rss) {
			const cJSON *ss;
			cJSON_ArrayForEach(ss, cJSON_GetObjectItemCaseSensitive(rs, "scopeSpans")) {
				const cJSON *sp;
				cJSON_ArrayForEach(sp, cJSON_GetObjectItemCaseSensitive(ss, "spans")) {
					if (span_invalid(sp) != NULL)
						continue;
					const cJSON *at = cJSON_GetObjectItemCaseSensitive(sp, "attributes");
					int oi = op_index(attr_str(at, "gen_ai.operation.name", NULL, 0));
					OtlpOp op = oi >= 0 ? otlp_ops[oi].op : OP_OTHER;
					bool agentish = op == OP_AGENT || op == OP_CREATE;
					if (pass > 0) {
						if (agentish == (pass == 1))
							map_span(s, sp, a);
						continue;
					}
					OtlpSpan *rec = span_add(s, jstr(sp, "spanId"),
					                         jstr(sp, "parentSpanId"), op);
					if (rec == NULL)
						s->out.oom = true;
					else if (op == OP_AGENT || op == OP_CREATE)
						agent_of(rec, at);
				}
			}
		}
	}
	relink_waiting(s, a);
	cJSON_Delete(root);
	if (s->out.oom) {
		snprintf(err, PROTO_ERR_MAX, "otlp: out of memory");
		return -1;
	}
	*out = s->out.v;
	return (int)s->out.n;
}
