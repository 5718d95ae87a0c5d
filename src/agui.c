/*
 * agui.c: AG-UI 1.0 events -> protocol-v1 Events (docs/interop.md, section
 * "AG-UI"). Owns the per-connection memory of open runs, sub-agents, steps,
 * tool calls and streamed messages (deltas assembled, chunk runs closed when
 * another event type arrives), the set of message ids already shown (so that
 * MESSAGES_SNAPSHOT never counts twice) and the agents' state documents
 * (STATE_SNAPSHOT replaces, STATE_DELTA applies an RFC 6902 patch).
 *
 * Pure: must not do I/O or read the clock. Every byte is hostile: required
 * fields are checked and named in the rejection, strings are truncated to the
 * protocol's limits (never inside a UTF-8 sequence), counts are checked for
 * integrality and range, and the number of open things is bounded (AGUI_MAX_OPEN).
 * A rejected message changes nothing (replay never sees it): handlers fail before
 * they change the state, and what closing the chunk runs did first is undone.
 */
#include "swarmtop/agui.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/interop.h"
#include "swarmtop/sanitize.h"
#include "swarmtop/strmap.h"

#define AGUI_OUTPUT_MAX 2048   /* bytes of a tool result / custom value kept */

typedef enum AguiKind {
	AK_RUN,
	AK_SUB,
	AK_STEP,
	AK_TOOL,
	AK_MSG,
	AK_DOC,
	AK_KIND_COUNT
} AguiKind;

/* One open thing (or an agent's state document). */
typedef struct AguiItem {
	AguiKind kind;
	char *id;        /* run id, subagent run id, step name, tool call id, message id, agent */
	char *task;      /* the task it is (runs, sub-agents, steps, tools) or belongs to (msgs) */
	char *agent;     /* the agent it belongs to */
	char *scope;     /* runs: thread id; others: the task of the run/sub-agent they are in */
	char *name;      /* tools: the tool name; runs and sub-agents: the last step's task */
	int role;        /* messages: MessageRole */
	bool reasoning;  /* messages: a reasoning message */
	bool chunk;      /* opened by a *_CHUNK event */
	bool closing;    /* messages: closed by close_chunks, forgotten when the call succeeds */
	bool unchunked;  /* tools: chunk cleared by close_chunks (set again if the call fails) */
	char *buf;       /* assembled deltas (NUL-terminated when non-NULL) */
	size_t len;
	cJSON *doc;      /* AK_DOC: the state */
} AguiItem;

struct AguiState {
	char *runtime_id, *instance;
	bool hello_done;
	int64_t now_ms;
	InteropEvents out;
	AguiItem *items;
	size_t nitems, cap;
	size_t nclosing;       /* items with closing set (during one call only) */
	StrMap seen;           /* message ids already shown */
	uint64_t unknown;
	uint64_t nsteps;       /* makes step task ids unique */
};

/* What one call works with. */
typedef struct Ctx {
	AguiState *s;
	Arena *a;
	const cJSON *root;
	const char *type;
	char *err;
} Ctx;

/* Where an event belongs: an agent and the task of its run or sub-agent. */
typedef struct Scope {
	const char *agent, *task;
} Scope;

/* Duplicate a string on the heap (NULL stays NULL). */
static char *xdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Drop (in place) the UTF-8 sequences that a byte-count cut left incomplete. */
static void u8mend(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	while (*r) {
		size_t need = *r >= 0xF0 ? 3 : *r >= 0xE0 ? 2 : *r >= 0xC0 ? 1 : 0, k = 1;
		while (k <= need && (r[k] & 0xC0) == 0x80)
			k++;
		if (k <= need) {
			r += k;
			continue;
		}
		while (k--)
			*w++ = *r++;
	}
	*w = '\0';
}

/* A string member, or NULL. */
static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* A required non-empty string member of the event; NULL with err set when missing. */
static const char *need(Ctx *c, const char *key)
{
	const char *v = jstr(c->root, key);
	if (v == NULL || *v == '\0') {
		snprintf(c->err, PROTO_ERR_MAX, "%.40s: '%s' is missing", c->type, key);
		return NULL;
	}
	return v;
}

/* A count in 0..2^53 from member key, or -1 when absent or invalid. */
static int64_t jcount(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble >= 9007199254740992.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	return (int64_t)v->valuedouble;
}

/* Index of the newest item of kind with id (NULL id: any), or -1. Closing items are gone. */
static int item_find(const AguiState *s, AguiKind kind, const char *id)
{
	for (size_t i = s->nitems; i-- > 0;)
		if (s->items[i].kind == kind && !s->items[i].closing &&
		    (id == NULL || !strcmp(s->items[i].id, id)))
			return (int)i;
	return -1;
}

/* True when message id has been shown (or is being shown by this call's chunk closing). */
static bool msg_seen(const AguiState *s, const char *id)
{
	if (strmap_get(&s->seen, id, strlen(id)) >= 0)
		return true;
	for (size_t i = 0; s->nclosing > 0 && i < s->nitems; i++)
		if (s->items[i].closing && !strcmp(s->items[i].id, id))
			return true;
	return false;
}

/* Free one item's memory. */
static void item_clear(AguiItem *it)
{
	free(it->id);
	free(it->task);
	free(it->agent);
	free(it->scope);
	free(it->name);
	free(it->buf);
	cJSON_Delete(it->doc);
	memset(it, 0, sizeof(*it));
}

/* Forget item i (order of the others kept: newest-last lookups rely on it). */
static void item_drop(AguiState *s, int i)
{
	item_clear(&s->items[i]);
	memmove(&s->items[i], &s->items[i + 1], (s->nitems - (size_t)i - 1) * sizeof(AguiItem));
	s->nitems--;
}

/* True when one more thing may be opened; false with err set (AGUI_MAX_OPEN reached). */
static bool room(Ctx *c)
{
	if (c->s->nitems - c->s->nclosing < AGUI_MAX_OPEN)
		return true;
	snprintf(c->err, PROTO_ERR_MAX, "%.40s: more than %d open runs, steps, tools "
	         "and messages", c->type, AGUI_MAX_OPEN);
	return false;
}

/* A new item; NULL with err set when too many are open or memory is out. */
static AguiItem *item_add(Ctx *c, AguiKind kind, const char *id, const char *task,
                          const char *agent, const char *scope)
{
	AguiState *s = c->s;
	if (!room(c))
		return NULL;
	if (s->nitems == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		AguiItem *nv = realloc(s->items, nc * sizeof(*nv));
		if (nv == NULL)
			goto oom;
		s->items = nv;
		s->cap = nc;
	}
	AguiItem *it = &s->items[s->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->id = xdup(id);
	it->task = xdup(task);
	it->agent = xdup(agent);
	it->scope = xdup(scope);
	if (!it->id || (task && !it->task) || (agent && !it->agent) || (scope && !it->scope)) {
		item_clear(it);
		goto oom;
	}
	s->nitems++;
	return it;
oom:
	snprintf(c->err, PROTO_ERR_MAX, "%.40s: out of memory", c->type);
	return NULL;
}

/* Append n bytes to an item's text, keeping at most EVENT_TEXT_MAX. */
static void item_append(AguiItem *it, const char *d, size_t n)
{
	if (it->len >= EVENT_TEXT_MAX || n == 0)
		return;
	if (n > EVENT_TEXT_MAX - it->len)
		n = EVENT_TEXT_MAX - it->len;
	char *nb = realloc(it->buf, it->len + n + 1);
	if (nb == NULL)
		return;
	memcpy(nb + it->len, d, n);
	it->len += n;
	nb[it->len] = '\0';
	it->buf = nb;
}

/* Where events of this message belong: its sub-agent, else the newest open run. */
static Scope scope_of(const AguiState *s, const cJSON *root)
{
	const char *sub = jstr(root, "subagentRunId");
	int i = sub ? item_find(s, AK_SUB, sub) : -1;
	if (i < 0)
		i = item_find(s, AK_RUN, NULL);
	if (i >= 0)
		return (Scope){ s->items[i].agent, s->items[i].task };
	return (Scope){ AGUI_DEFAULT_AGENT, NULL };
}

/* The innermost open step of a scope, or -1. */
static int open_step(const AguiState *s, const char *scope_task)
{
	for (size_t i = s->nitems; i-- > 0;) {
		const AguiItem *it = &s->items[i];
		if (it->kind == AK_STEP &&
		    ((scope_task == NULL && it->scope == NULL) ||
		     (scope_task && it->scope && !strcmp(it->scope, scope_task))))
			return (int)i;
	}
	return -1;
}

/* Emit an agent upsert; parent NULL leaves it out, status < 0 too. */
static Event *emit_agent(Ctx *c, const char *id, const char *name, const char *role,
                         const char *parent, int status)
{
	Event *ev = interop_push(&c->s->out, EV_AGENT);
	if (ev == NULL)
		return NULL;
	EvAgent *g = &ev->u.agent;
	g->id = interop_str(c->a, id, EVENT_ID_MAX);
	g->name = interop_str(c->a, name, EVENT_NAME_MAX);
	g->role = interop_str(c->a, role, EVENT_NAME_MAX);
	if (parent) {
		g->parent = interop_str(c->a, parent, EVENT_ID_MAX);
		g->has |= HAS_PARENT;
	}
	if (status >= 0) {
		g->status = (AgentStatus)status;
		g->has |= HAS_STATUS;
	}
	return ev;
}

/* Emit a task upsert with id, agent and status (< 0: left out); the rest set by caller. */
static EvTask *emit_task(Ctx *c, const char *id, const char *agent, int status)
{
	Event *ev = interop_push(&c->s->out, EV_TASK);
	if (ev == NULL)
		return NULL;
	EvTask *t = &ev->u.task;
	t->id = interop_str(c->a, id, EVENT_ID_MAX);
	t->agent = interop_str(c->a, agent, EVENT_ID_MAX);
	if (status >= 0) {
		t->status = (TaskStatus)status;
		t->has |= HAS_STATUS;
	}
	return t;
}

/* Set a task's parent link. */
static void task_parent(Ctx *c, EvTask *t, const char *parent)
{
	if (t && parent) {
		t->parent = interop_str(c->a, parent, EVENT_ID_MAX);
		t->has |= HAS_PARENT;
	}
}

/* Set a task's error. */
static void task_error(Ctx *c, EvTask *t, const char *error)
{
	if (t && error) {
		t->error = interop_str(c->a, error, EVENT_TEXT_MAX);
		t->has |= HAS_ERROR;
	}
}

/* Emit a log line. */
static void emit_log(Ctx *c, LogLevel level, const char *agent, const char *task,
                     const char *text)
{
	Event *ev = interop_push(&c->s->out, EV_LOG);
	if (ev == NULL)
		return;
	ev->u.log.level = level;
	ev->u.log.agent = interop_str(c->a, agent, EVENT_ID_MAX);
	ev->u.log.task = interop_str(c->a, task, EVENT_ID_MAX);
	ev->u.log.text = interop_str(c->a, text ? text : "", EVENT_TEXT_MAX);
}

/* Compact JSON of v cut to max bytes (malloc'd), or NULL. */
static char *json_text(const cJSON *v, size_t max)
{
	char *p = v ? cJSON_PrintUnformatted(v) : NULL;
	if (p && strlen(p) > max) {
		size_t n = max;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		p[n] = '\0';
	}
	return p;
}

/* Text of a string or an array of content parts (text parts joined), malloc'd. */
static char *content_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (!cJSON_IsArray(v))
		return NULL;
	size_t cap = 1, len = 0;
	char *out = calloc(1, 1);
	const cJSON *p;
	cJSON_ArrayForEach(p, v) {
		const char *t = jstr(p, "text");
		const char *ty = jstr(p, "type");
		char tmp[64];
		if (t == NULL && ty) {
			snprintf(tmp, sizeof(tmp), "[%.*s]", sanitize_prec(ty, 40), ty);
			t = tmp;
		}
		if (t == NULL || out == NULL)
			continue;
		size_t n = strlen(t);
		if (len + n + 2 > EVENT_TEXT_MAX)
			break;
		char *nb = realloc(out, cap + n + 1);
		if (nb == NULL)
			break;
		out = nb;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, t, n);
		len += n;
		out[len] = '\0';
		cap = len + 1;
	}
	return out;
}

/* ---- usage ---- */

/* One usage event per TokenUsage entry of the event's "usage" array. */
static void emit_usage(Ctx *c, const char *agent, const char *task)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(c->root, "usage");
	const cJSON *u;
	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(u, arr) {
		int64_t in = jcount(u, "inputTokens"), out = jcount(u, "outputTokens");
		int64_t cr = jcount(u, "cachedInputTokens"), cw = jcount(u, "cacheWriteInputTokens");
		int64_t rs = jcount(u, "reasoningTokens");
		if (!cJSON_IsObject(u) || (in < 0 && out < 0))
			continue;
		Event *ev = interop_push(&c->s->out, EV_USAGE);
		if (ev == NULL)
			return;
		EvUsage *g = &ev->u.usage;
		g->agent = interop_str(c->a, agent, EVENT_ID_MAX);
		g->task = interop_str(c->a, task, EVENT_ID_MAX);
		g->provider = interop_str(c->a, jstr(u, "provider"), EVENT_NAME_MAX);
		g->model = interop_str(c->a, jstr(u, "model"), EVENT_NAME_MAX);
		g->input_tokens = in > 0 ? in : 0;
		g->output_tokens = out > 0 ? out : 0;
		/* parts of input/output, never additions: clamp to the whole */
		g->cache_read_tokens = cr > 0 ? (cr < g->input_tokens ? cr : g->input_tokens) : 0;
		g->cache_write_tokens = cw > 0 ? cw : 0;
		if (g->cache_read_tokens + g->cache_write_tokens > g->input_tokens)
			g->cache_write_tokens = g->input_tokens - g->cache_read_tokens;
		g->reasoning_tokens = rs > 0 ? (rs < g->output_tokens ? rs : g->output_tokens) : 0;
	}
}

/* ---- closing things ---- */

/* Remember message id as shown (the set starts again when full). */
static void msg_mark_seen(AguiState *s, const char *id)
{
	if (s->seen.count >= AGUI_MAX_SEEN)
		strmap_clear(&s->seen);
	strmap_put(&s->seen, id, strlen(id), 1);
}

/* Emit an open message unless it has been shown. */
static void msg_emit(Ctx *c, const AguiItem *it)
{
	if (!msg_seen(c->s, it->id)) {
		Event *ev = interop_push(&c->s->out, EV_MESSAGE);
		if (ev) {
			EvMessage *m = &ev->u.message;
			m->agent = interop_str(c->a, it->agent, EVENT_ID_MAX);
			m->task = interop_str(c->a, it->task, EVENT_ID_MAX);
			m->id = interop_str(c->a, it->id, EVENT_ID_MAX);
			m->role = (MessageRole)it->role;
			if (it->reasoning) {
				size_t n = strlen(AGUI_REASONING_PREFIX) + it->len + 1;
				char *t = arena_alloc(c->a, n);
				if (t)
					snprintf(t, n, "%s%s", AGUI_REASONING_PREFIX, it->buf ? it->buf : "");
				m->text = t ? interop_str(c->a, t, EVENT_TEXT_MAX) : "";
			} else {
				m->text = interop_dup(c->a, it->buf ? it->buf : "", it->len,
				                      EVENT_TEXT_MAX);
			}
		}
	}
}

/* Emit an open message (if it has not been shown) and forget it. */
static void msg_flush(Ctx *c, int i)
{
	msg_emit(c, &c->s->items[i]);
	msg_mark_seen(c->s, c->s->items[i].id);
	item_drop(c->s, i);
}

/* Emit a tool call's assembled arguments (its call is complete). */
static void tool_args(Ctx *c, const AguiItem *it)
{
	EvTask *t = emit_task(c, it->task, it->agent, -1);
	if (t) {
		t->input = interop_dup(c->a, it->buf ? it->buf : "", it->len, EVENT_TEXT_MAX);
		t->has |= HAS_INPUT;
	}
}

/* Close whatever a *_CHUNK run left open when a different event type arrives: the
 * events go out first, but the messages are only marked closing (forgotten by
 * chunks_done when the call succeeds) so that a rejected message changes nothing. */
static void close_chunks(Ctx *c)
{
	for (size_t i = c->s->nitems; i-- > 0;) {
		AguiItem *it = &c->s->items[i];
		if (!it->chunk || it->closing)
			continue;
		if (it->kind == AK_MSG) {
			bool reasoning = it->reasoning;
			if (!strcmp(c->type, reasoning ? "REASONING_MESSAGE_CHUNK" : "TEXT_MESSAGE_CHUNK"))
				continue;
			msg_emit(c, it);
			it->closing = true;
			c->s->nclosing++;
		} else if (it->kind == AK_TOOL && strcmp(c->type, "TOOL_CALL_CHUNK") != 0) {
			it->chunk = false;
			it->unchunked = true;
			tool_args(c, it);
		}
	}
}

/* After the call: what close_chunks did is kept (ok) or undone (the message was rejected). */
static void chunks_done(AguiState *s, bool ok)
{
	for (size_t i = s->nitems; i-- > 0;) {
		AguiItem *it = &s->items[i];
		if (it->unchunked && !ok)
			it->chunk = true;
		it->unchunked = false;
		if (!it->closing)
			continue;
		it->closing = false;
		if (ok) {
			msg_mark_seen(s, it->id);
			item_drop(s, (int)i);
		}
	}
	s->nclosing = 0;
}

/* The newest item (not a run or document) opened inside scope task, or -1. */
static int scope_find(const AguiState *s, const char *scope_task)
{
	for (size_t i = s->nitems; i-- > 0;) {
		const AguiItem *it = &s->items[i];
		if (it->kind != AK_DOC && it->kind != AK_RUN && !it->closing && it->scope &&
		    !strcmp(it->scope, scope_task))
			return (int)i;
	}
	return -1;
}

/* Close everything opened inside scope task (a run, sub-agent or step that ended) with st;
 * nested scopes first. scope_task must not be an item's own string (items are freed here).
 * Each item found is forgotten before its own scope is closed, so this ends even when an
 * item's task is its own scope (a sub-agent id equal to its run's), and the item forgotten
 * is the one found, not another of the same kind and id (steps are named, not unique). */
static void close_scope(Ctx *c, const char *scope_task, TaskStatus st, const char *why)
{
	int i;
	while ((i = scope_find(c->s, scope_task)) >= 0) {
		AguiItem *it = &c->s->items[i];
		if (it->kind == AK_MSG) {
			msg_flush(c, i);
			continue;
		}
		AguiKind kind = it->kind;
		char *task = xdup(it->task), *agent = xdup(it->agent);
		if (task && agent && kind == AK_TOOL && it->chunk)
			tool_args(c, it);
		item_drop(c->s, i);
		if (task && agent) {
			if (kind == AK_SUB || kind == AK_STEP)
				close_scope(c, task, st, why);
			if (kind == AK_SUB) {
				AgentStatus as = st == TASK_FAILED ? AGENT_FAILED :
				                 st == TASK_CANCELED ? AGENT_CANCELED :
				                 st == TASK_INPUT_REQUIRED ? AGENT_INPUT_REQUIRED :
				                 AGENT_COMPLETED;
				emit_agent(c, agent, NULL, NULL, NULL, (int)as);
			}
			EvTask *t = emit_task(c, task, agent, (int)st);
			if (st == TASK_FAILED)
				task_error(c, t, why);
		}
		free(task), free(agent);
	}
}

/* ---- runs ---- */

/* RUN_STARTED: a run is an agent-level task of the thread's agent. */
static int on_run_started(Ctx *c)
{
	const char *thread = need(c, "threadId"), *run;
	if (!thread || !(run = need(c, "runId")))
		return -1;
	const char *parent = jstr(c->root, "parentRunId");
	if (item_find(c->s, AK_RUN, run) >= 0) {
		snprintf(c->err, PROTO_ERR_MAX, "RUN_STARTED: run '%.*s' is already running",
		         sanitize_prec(run, 60), run);
		return -1;
	}
	if (!item_add(c, AK_RUN, run, run, thread, thread))
		return -1;
	char name[EVENT_NAME_MAX];
	snprintf(name, sizeof(name), "thread %.*s", sanitize_prec(thread, 200), thread);
	emit_agent(c, thread, name, "AG-UI agent", NULL, AGENT_WORKING);
	EvTask *t = emit_task(c, run, thread, TASK_WORKING);
	if (t == NULL)
		return 0;
	char in[EVENT_NAME_MAX * 3];
	snprintf(in, sizeof(in), "thread %.*s · run %.*s%s%.*s", sanitize_prec(thread, 128), thread,
	         sanitize_prec(run, 128), run, parent ? " · parent run " : "",
	         parent ? sanitize_prec(parent, 128) : 0, parent ? parent : "");
	snprintf(name, sizeof(name), "run %.*s", sanitize_prec(run, 200), run);
	t->name = interop_str(c->a, name, EVENT_NAME_MAX);
	t->kind = "run";
	t->input = interop_str(c->a, in, EVENT_TEXT_MAX);
	t->has |= HAS_INPUT;
	task_parent(c, t, parent);
	return 0;
}

/* The interrupts of an interrupt outcome as "reason: message; ..." (malloc'd). */
static char *interrupt_text(const cJSON *outcome)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(outcome, "interrupts"), *it;
	char buf[EVENT_NAME_MAX * 4];
	size_t n = 0;
	buf[0] = '\0';
	cJSON_ArrayForEach(it, arr) {
		const char *r = jstr(it, "reason"), *m = jstr(it, "message");
		r = r ? r : "interrupt";
		m = m ? m : "";
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%.*s%s%.*s", n ? "; " : "",
		                 sanitize_prec(r, 100), r, *m ? ": " : "", sanitize_prec(m, 200), m);
		if (w < 0 || (size_t)w >= sizeof(buf) - n) {
			buf[n] = '\0';   /* not the part of an interrupt that did not fit */
			break;
		}
		n += (size_t)w;
	}
	return strdup(n ? buf : "interrupt");
}

/* End run i (an index in items, or -1 for an unknown run id) with status st. */
static void run_end(Ctx *c, int i, const char *run, const char *thread, TaskStatus st,
                    const char *error, const char *output)
{
	char *rid = xdup(i >= 0 ? c->s->items[i].task : run);
	char *agent = xdup(i >= 0 ? c->s->items[i].agent : thread ? thread : AGUI_DEFAULT_AGENT);
	if (rid == NULL || agent == NULL)
		goto out;
	close_scope(c, rid, st, "run failed");
	emit_usage(c, agent, rid);
	EvTask *t = emit_task(c, rid, agent, (int)st);
	task_error(c, t, error);
	if (t && output) {
		t->output = interop_str(c->a, output, EVENT_TEXT_MAX);
		t->has |= HAS_OUTPUT;
	}
	AgentStatus as = st == TASK_FAILED ? AGENT_FAILED : st == TASK_CANCELED ? AGENT_CANCELED :
	                 st == TASK_INPUT_REQUIRED ? AGENT_INPUT_REQUIRED : AGENT_COMPLETED;
	emit_agent(c, agent, NULL, NULL, NULL, (int)as);
	i = item_find(c->s, AK_RUN, rid);
	if (i >= 0)
		item_drop(c->s, i);
out:
	free(rid);
	free(agent);
}

/* RUN_FINISHED: outcome success -> completed, interrupt -> input-required, cancelled. */
static int on_run_finished(Ctx *c)
{
	const char *run = need(c, "runId");
	if (!run)
		return -1;
	const cJSON *oc = cJSON_GetObjectItemCaseSensitive(c->root, "outcome");
	const char *ot = jstr(oc, "type");
	TaskStatus st = TASK_COMPLETED;
	char *out = NULL;
	if (ot && !strcmp(ot, "interrupt")) {
		st = TASK_INPUT_REQUIRED;
		out = interrupt_text(oc);
		char line[EVENT_NAME_MAX * 5];
		snprintf(line, sizeof(line), "run %.*s interrupted: %s", sanitize_prec(run, 100), run,
		         out ? out : "");
		Scope sc = scope_of(c->s, c->root);
		emit_log(c, LOG_WARN, sc.agent, run, line);
	} else if (ot && !strcmp(ot, "cancelled")) {
		st = TASK_CANCELED;
	} else if (ot && strcmp(ot, "success") != 0) {
		snprintf(c->err, PROTO_ERR_MAX, "RUN_FINISHED: unknown 'outcome.type' '%.*s'",
		         sanitize_prec(ot, 30), ot);
		return -1;
	} else {
		out = json_text(cJSON_GetObjectItemCaseSensitive(c->root, "result"), AGUI_OUTPUT_MAX);
	}
	run_end(c, item_find(c->s, AK_RUN, run), run, jstr(c->root, "threadId"), st, NULL, out);
	free(out);
	return 0;
}

/* RUN_ERROR: fails the run in progress (it carries no run id) with its message. */
static int on_run_error(Ctx *c)
{
	const char *msg = need(c, "message");
	if (!msg)
		return -1;
	const char *code = jstr(c->root, "code");
	char err[EVENT_NAME_MAX * 2];
	snprintf(err, sizeof(err), "%s%.*s%s%.*s", code ? "[" : "", code ? sanitize_prec(code, 60) : 0,
	         code ? code : "", code ? "] " : "", sanitize_prec(msg, 400), msg);
	int i = item_find(c->s, AK_RUN, NULL);
	if (i < 0) {
		emit_usage(c, AGUI_DEFAULT_AGENT, NULL);
		emit_log(c, LOG_ERROR, AGUI_DEFAULT_AGENT, NULL, err);
		return 0;
	}
	run_end(c, i, NULL, NULL, TASK_FAILED, err, NULL);
	return 0;
}

/* ---- sub-agents ---- */

/* SUBAGENT_STARTED: an agent with a parent, and its task. */
static int on_sub_started(Ctx *c)
{
	const char *id = need(c, "subagentRunId"), *name;
	if (!id || !(name = need(c, "name")))
		return -1;
	if (item_find(c->s, AK_SUB, id) >= 0) {
		snprintf(c->err, PROTO_ERR_MAX, "SUBAGENT_STARTED: '%.*s' is already running",
		         sanitize_prec(id, 60), id);
		return -1;
	}
	const char *psub = jstr(c->root, "parentSubagentRunId");
	int pi = psub ? item_find(c->s, AK_SUB, psub) : -1;
	if (pi < 0)
		pi = item_find(c->s, AK_RUN, NULL);
	const char *pagent = pi >= 0 ? c->s->items[pi].agent : AGUI_DEFAULT_AGENT;
	const char *ptask = pi >= 0 ? c->s->items[pi].task : NULL;
	const char *ptool = jstr(c->root, "parentToolCallId");
	Event *ag = emit_agent(c, id, name, jstr(c->root, "description"), pagent, AGENT_WORKING);
	EvTask *t = emit_task(c, id, id, TASK_WORKING);
	if (t) {
		t->name = interop_str(c->a, name, EVENT_NAME_MAX);
		t->kind = "subagent";
		task_parent(c, t, ptool && item_find(c->s, AK_TOOL, ptool) >= 0 ? ptool : ptask);
	}
	(void)ag;
	return item_add(c, AK_SUB, id, id, id, ptask) ? 0 : -1;
}

/* SUBAGENT_FINISHED / SUBAGENT_ERROR: the sub-agent and its task end. */
static int sub_end(Ctx *c, bool error)
{
	const char *id = need(c, "subagentRunId");
	const char *msg = error ? need(c, "message") : NULL;
	if (!id || (error && !msg))
		return -1;
	TaskStatus st = error ? TASK_FAILED : TASK_COMPLETED;
	const char *ot = jstr(cJSON_GetObjectItemCaseSensitive(c->root, "outcome"), "type");
	if (ot && !strcmp(ot, "suspended"))
		st = TASK_INPUT_REQUIRED;
	close_scope(c, id, st, "sub-agent failed");
	EvTask *t = emit_task(c, id, id, (int)st);
	if (error) {
		const char *code = jstr(c->root, "code");
		char e[EVENT_NAME_MAX * 2];
		snprintf(e, sizeof(e), "%s%.*s%s%.*s", code ? "[" : "", code ? sanitize_prec(code, 60) : 0,
		         code ? code : "", code ? "] " : "", sanitize_prec(msg, 400), msg);
		task_error(c, t, e);
	} else if (t) {
		char *out = json_text(cJSON_GetObjectItemCaseSensitive(c->root, "result"),
		                      AGUI_OUTPUT_MAX);
		if (out) {
			t->output = interop_str(c->a, out, EVENT_TEXT_MAX);
			t->has |= HAS_OUTPUT;
		}
		free(out);
	}
	emit_agent(c, id, NULL, NULL, NULL,
	           error ? AGENT_FAILED : st == TASK_INPUT_REQUIRED ? AGENT_INPUT_REQUIRED :
	           AGENT_COMPLETED);
	int i = item_find(c->s, AK_SUB, id);
	if (i >= 0)
		item_drop(c->s, i);
	return 0;
}

/* SUBAGENT_FINISHED. */
static int on_sub_finished(Ctx *c)
{
	return sub_end(c, false);
}

/* SUBAGENT_ERROR. */
static int on_sub_error(Ctx *c)
{
	return sub_end(c, true);
}

/* ---- steps ---- */

/* The run or sub-agent item of a scope task, or -1. */
static int scope_item(const AguiState *s, const char *task)
{
	for (size_t i = s->nitems; i-- > 0;)
		if ((s->items[i].kind == AK_RUN || s->items[i].kind == AK_SUB) && task &&
		    !strcmp(s->items[i].task, task))
			return (int)i;
	return -1;
}

/* STEP_STARTED: a task under its run (or the enclosing step), after the previous step. */
static int on_step_started(Ctx *c)
{
	const char *name = need(c, "stepName");
	if (!name || !room(c))   /* before the step count and the previous step change */
		return -1;
	Scope sc = scope_of(c->s, c->root);
	int ps = open_step(c->s, sc.task);
	char id[EVENT_ID_MAX + 1];
	const char *where = sc.task ? sc.task : sc.agent;
	snprintf(id, sizeof(id), "%.*s/step:%.*s#%llu", sanitize_prec(where, 60), where,
	         sanitize_prec(name, 40), name, (unsigned long long)++c->s->nsteps);
	const char *parent = ps >= 0 ? c->s->items[ps].task : sc.task;
	EvTask *t = emit_task(c, id, sc.agent, TASK_WORKING);
	if (t) {
		t->name = interop_str(c->a, name, EVENT_NAME_MAX);
		t->kind = "step";
		task_parent(c, t, parent);
		int si = scope_item(c->s, sc.task);
		const char *prev = si >= 0 ? c->s->items[si].name : NULL;
		if (prev) {
			const char **deps = arena_alloc(c->a, sizeof(*deps));
			if (deps) {
				deps[0] = interop_str(c->a, prev, EVENT_ID_MAX);
				t->deps = deps;
				t->ndeps = 1;
				t->has |= HAS_DEPS;
			}
		}
		if (si >= 0) {
			char *n = strdup(t->id);
			if (n) {
				free(c->s->items[si].name);
				c->s->items[si].name = n;
			}
		}
	}
	return item_add(c, AK_STEP, name, id, sc.agent, sc.task) ? 0 : -1;
}

/* STEP_FINISHED: the open step of that name completes. */
static int on_step_finished(Ctx *c)
{
	const char *name = need(c, "stepName");
	if (!name)
		return -1;
	Scope sc = scope_of(c->s, c->root);
	for (size_t i = c->s->nitems; i-- > 0;) {
		AguiItem *it = &c->s->items[i];
		if (it->kind != AK_STEP || strcmp(it->id, name) != 0)
			continue;
		if (sc.task && it->scope && strcmp(sc.task, it->scope) != 0)
			continue;
		/* this step (not the newest of its name) is forgotten, then what it opened */
		char *task = xdup(it->task), *agent = xdup(it->agent);
		item_drop(c->s, (int)i);
		if (task && agent) {
			close_scope(c, task, TASK_COMPLETED, NULL);
			emit_task(c, task, agent, TASK_COMPLETED);
		}
		free(task), free(agent);
		return 0;
	}
	emit_log(c, LOG_WARN, sc.agent, sc.task, "STEP_FINISHED without STEP_STARTED");
	return 0;
}

/* ---- tool calls ---- */

/* Open a tool call task (START or the first CHUNK). */
static AguiItem *tool_open(Ctx *c, const char *id, const char *name, bool chunk)
{
	Scope sc = scope_of(c->s, c->root);
	int ps = open_step(c->s, sc.task);
	const char *parent = ps >= 0 ? c->s->items[ps].task : sc.task;
	if (item_find(c->s, AK_TOOL, id) >= 0) {
		snprintf(c->err, PROTO_ERR_MAX, "%.40s: tool call '%.*s' is already open", c->type,
		         sanitize_prec(id, 60), id);
		return NULL;
	}
	EvTask *t = emit_task(c, id, sc.agent, TASK_WORKING);
	if (t) {
		t->name = interop_str(c->a, name, EVENT_NAME_MAX);
		t->kind = "tool";
		task_parent(c, t, parent);
	}
	/* the scope is the step's task when inside one: a step's end closes its calls */
	AguiItem *it = item_add(c, AK_TOOL, id, id, sc.agent, parent ? parent : sc.task);
	if (it) {
		it->name = xdup(name);
		it->chunk = chunk;
	}
	return it;
}

/* TOOL_CALL_START. */
static int on_tool_start(Ctx *c)
{
	const char *id = need(c, "toolCallId"), *name;
	if (!id || !(name = need(c, "toolCallName")))
		return -1;
	return tool_open(c, id, name, false) ? 0 : -1;
}

/* TOOL_CALL_ARGS: a fragment of the arguments. */
static int on_tool_args(Ctx *c)
{
	const char *id = need(c, "toolCallId");
	const char *d = jstr(c->root, "delta");
	if (!id)
		return -1;
	if (d == NULL) {
		snprintf(c->err, PROTO_ERR_MAX, "TOOL_CALL_ARGS: 'delta' is missing");
		return -1;
	}
	int i = item_find(c->s, AK_TOOL, id);
	if (i >= 0)
		item_append(&c->s->items[i], d, strlen(d));
	return 0;
}

/* TOOL_CALL_END: the arguments are complete. */
static int on_tool_end(Ctx *c)
{
	const char *id = need(c, "toolCallId");
	if (!id)
		return -1;
	int i = item_find(c->s, AK_TOOL, id);
	if (i >= 0)
		tool_args(c, &c->s->items[i]);
	return 0;
}

/* TOOL_CALL_CHUNK: opens (new id) or continues the open chunked call. */
static int on_tool_chunk(Ctx *c)
{
	const char *id = jstr(c->root, "toolCallId"), *d = jstr(c->root, "delta");
	int i = -1;
	for (size_t k = c->s->nitems; k-- > 0 && i < 0;)
		if (c->s->items[k].kind == AK_TOOL && c->s->items[k].chunk)
			i = (int)k;
	if (id && (i < 0 || strcmp(c->s->items[i].id, id) != 0)) {
		if (item_find(c->s, AK_TOOL, id) < 0 && !room(c))
			return -1;   /* before the open chunk is closed */
		if (i >= 0) {
			c->s->items[i].chunk = false;
			tool_args(c, &c->s->items[i]);
		}
		i = item_find(c->s, AK_TOOL, id);
		if (i < 0) {
			const char *name = jstr(c->root, "toolCallName");
			if (!tool_open(c, id, name ? name : "tool", true))
				return -1;
			i = (int)c->s->nitems - 1;
		}
	}
	if (i < 0) {
		snprintf(c->err, PROTO_ERR_MAX, "TOOL_CALL_CHUNK: 'toolCallId' is missing");
		return -1;
	}
	if (d)
		item_append(&c->s->items[i], d, strlen(d));
	return 0;
}

/* TOOL_CALL_RESULT: the call completes with its result summary. */
static int on_tool_result(Ctx *c)
{
	const char *id = need(c, "toolCallId");
	if (!id)
		return -1;
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(c->root, "content");
	if (!cJSON_IsString(content) && !cJSON_IsArray(content)) {
		snprintf(c->err, PROTO_ERR_MAX, "TOOL_CALL_RESULT: 'content' is missing");
		return -1;
	}
	int i = item_find(c->s, AK_TOOL, id);
	Scope sc = scope_of(c->s, c->root);
	char *text = content_text(content);
	EvTask *t = emit_task(c, id, i >= 0 ? c->s->items[i].agent : sc.agent, TASK_COMPLETED);
	if (t) {
		t->output = interop_str(c->a, text ? text : "", AGUI_OUTPUT_MAX);
		t->has |= HAS_OUTPUT;
		if (i < 0) {
			t->kind = "tool";
			task_parent(c, t, sc.task);
		}
	}
	free(text);
	const char *mid = jstr(c->root, "messageId");
	if (mid && c->s->seen.count < AGUI_MAX_SEEN)
		strmap_put(&c->s->seen, mid, strlen(mid), 1);
	if (i >= 0)
		item_drop(c->s, i);
	return 0;
}

/* ---- messages ---- */

/* The protocol role of an AG-UI role name (absent: assistant). */
static int role_of(const char *r)
{
	static const struct {
		const char *name;
		MessageRole role;
	} roles[] = {
		{ "assistant", ROLE_ASSISTANT }, { "user", ROLE_USER }, { "system", ROLE_SYSTEM },
		{ "developer", ROLE_SYSTEM },    { "tool", ROLE_TOOL }, { "reasoning", ROLE_ASSISTANT },
	};
	for (size_t i = 0; r && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(roles[i].name, r))
			return (int)roles[i].role;
	return r ? -1 : (int)ROLE_ASSISTANT;
}

/* Open a streamed message. */
static AguiItem *msg_open(Ctx *c, const char *id, bool reasoning, bool chunk)
{
	Scope sc = scope_of(c->s, c->root);
	if (item_find(c->s, AK_MSG, id) >= 0) {
		snprintf(c->err, PROTO_ERR_MAX, "%.40s: message '%.*s' is already open", c->type,
		         sanitize_prec(id, 60), id);
		return NULL;
	}
	int role = role_of(jstr(c->root, "role"));
	AguiItem *it = item_add(c, AK_MSG, id, sc.task, sc.agent, sc.task);
	if (it) {
		it->role = role < 0 ? ROLE_ASSISTANT : role;
		it->reasoning = reasoning;
		it->chunk = chunk;
	}
	return it;
}

/* TEXT_MESSAGE_START / REASONING_MESSAGE_START. */
static int msg_start(Ctx *c, bool reasoning)
{
	const char *id = need(c, "messageId");
	return id && msg_open(c, id, reasoning, false) ? 0 : -1;
}

/* TEXT_MESSAGE_CONTENT / REASONING_MESSAGE_CONTENT: a fragment. */
static int msg_content(Ctx *c)
{
	const char *id = need(c, "messageId");
	const char *d = jstr(c->root, "delta");
	if (!id)
		return -1;
	if (d == NULL) {
		snprintf(c->err, PROTO_ERR_MAX, "%.40s: 'delta' is missing", c->type);
		return -1;
	}
	int i = item_find(c->s, AK_MSG, id);
	if (i >= 0)
		item_append(&c->s->items[i], d, strlen(d));
	return 0;
}

/* TEXT_MESSAGE_END / REASONING_MESSAGE_END: the assembled message is shown. */
static int msg_end(Ctx *c)
{
	const char *id = need(c, "messageId");
	if (!id)
		return -1;
	int i = item_find(c->s, AK_MSG, id);
	if (i >= 0)
		msg_flush(c, i);
	return 0;
}

/* *_MESSAGE_CHUNK: opens (new id) or continues the open chunked message. */
static int msg_chunk(Ctx *c, bool reasoning)
{
	const char *id = jstr(c->root, "messageId"), *d = jstr(c->root, "delta");
	int i = -1;
	for (size_t k = c->s->nitems; k-- > 0 && i < 0;)
		if (c->s->items[k].kind == AK_MSG && c->s->items[k].chunk &&
		    !c->s->items[k].closing && c->s->items[k].reasoning == reasoning)
			i = (int)k;
	if (id && (i < 0 || strcmp(c->s->items[i].id, id) != 0)) {
		if (i >= 0)
			msg_flush(c, i);
		i = item_find(c->s, AK_MSG, id);
		if (i < 0) {
			if (!msg_open(c, id, reasoning, true))
				return -1;
			i = (int)c->s->nitems - 1;
		}
	}
	if (i < 0) {
		snprintf(c->err, PROTO_ERR_MAX, "%.40s: 'messageId' is missing", c->type);
		return -1;
	}
	if (d)
		item_append(&c->s->items[i], d, strlen(d));
	return 0;
}

/* Dispatchers for the text / reasoning variants. */
static int on_text_start(Ctx *c) { return msg_start(c, false); }
static int on_reason_start(Ctx *c) { return msg_start(c, true); }
static int on_text_chunk(Ctx *c) { return msg_chunk(c, false); }
static int on_reason_chunk(Ctx *c) { return msg_chunk(c, true); }

/* Events that are accepted and yield nothing (REASONING_START, ACTIVITY_*...). */
static int on_nothing(Ctx *c)
{
	(void)c;
	return 0;
}

/* MESSAGES_SNAPSHOT: messages not already shown (streamed or earlier snapshots). */
static int on_messages_snapshot(Ctx *c)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(c->root, "messages"), *m;
	if (!cJSON_IsArray(arr)) {
		snprintf(c->err, PROTO_ERR_MAX, "MESSAGES_SNAPSHOT: 'messages' is missing");
		return -1;
	}
	Scope sc = scope_of(c->s, c->root);
	cJSON_ArrayForEach(m, arr) {
		const char *id = jstr(m, "id"), *rn = jstr(m, "role");
		int role = role_of(rn);
		if (!id || !*id || !rn || role < 0 || item_find(c->s, AK_MSG, id) >= 0 ||
		    msg_seen(c->s, id))
			continue;
		char *text = content_text(cJSON_GetObjectItemCaseSensitive(m, "content"));
		const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "toolCalls"), *tc;
		if ((text == NULL || !*text) && cJSON_IsArray(calls)) {
			char buf[EVENT_NAME_MAX * 2] = "tool calls:";
			size_t n = strlen(buf);
			cJSON_ArrayForEach(tc, calls) {
				const char *fn = jstr(cJSON_GetObjectItemCaseSensitive(tc, "function"),
				                      "name");
				fn = fn ? fn : "?";
				int w = snprintf(buf + n, sizeof(buf) - n, " %.*s", sanitize_prec(fn, 60), fn);
				if (w < 0 || (size_t)w >= sizeof(buf) - n) {
					buf[n] = '\0';   /* not the name that did not fit */
					break;
				}
				n += (size_t)w;
			}
			free(text);
			text = strdup(buf);
		}
		Event *ev = interop_push(&c->s->out, EV_MESSAGE);
		if (ev) {
			bool reasoning = !strcmp(rn, "reasoning");
			char *full = NULL;
			if (reasoning && text && asprintf(&full, "%s%s", AGUI_REASONING_PREFIX, text) < 0)
				full = NULL;
			ev->u.message.agent = interop_str(c->a, sc.agent, EVENT_ID_MAX);
			ev->u.message.task = interop_str(c->a, sc.task, EVENT_ID_MAX);
			ev->u.message.id = interop_str(c->a, id, EVENT_ID_MAX);
			ev->u.message.role = (MessageRole)role;
			ev->u.message.text = interop_str(c->a, full ? full : text ? text : "",
			                                 EVENT_TEXT_MAX);
			free(full);
		}
		free(text);
		msg_mark_seen(c->s, id);
	}
	return 0;
}

/* ---- state ---- */

/* The state document item of an agent, created when missing; NULL on failure. */
static AguiItem *doc_of(Ctx *c, const char *agent)
{
	int i = item_find(c->s, AK_DOC, agent);
	if (i >= 0)
		return &c->s->items[i];
	return item_add(c, AK_DOC, agent, NULL, agent, NULL);
}

/* STATE_SNAPSHOT: the agent's state is replaced. */
static int on_state_snapshot(Ctx *c)
{
	const cJSON *snap = cJSON_GetObjectItemCaseSensitive(c->root, "snapshot");
	if (snap == NULL) {
		snprintf(c->err, PROTO_ERR_MAX, "STATE_SNAPSHOT: 'snapshot' is missing");
		return -1;
	}
	Scope sc = scope_of(c->s, c->root);
	AguiItem *d = doc_of(c, sc.agent);
	if (d == NULL)
		return -1;
	cJSON *copy = cJSON_Duplicate(snap, true);
	if (copy == NULL) {
		snprintf(c->err, PROTO_ERR_MAX, "STATE_SNAPSHOT: out of memory");
		return -1;
	}
	cJSON_Delete(d->doc);
	d->doc = copy;
	char line[96];
	char *txt = cJSON_PrintUnformatted(copy);
	snprintf(line, sizeof(line), "state snapshot (%zu bytes)", txt ? strlen(txt) : 0);
	free(txt);
	emit_log(c, LOG_DEBUG, sc.agent, sc.task, line);
	return 0;
}

/* STATE_DELTA: an RFC 6902 patch applied to the agent's state. */
static int on_state_delta(Ctx *c)
{
	const cJSON *delta = cJSON_GetObjectItemCaseSensitive(c->root, "delta");
	if (!cJSON_IsArray(delta)) {
		snprintf(c->err, PROTO_ERR_MAX, "STATE_DELTA: 'delta' is missing");
		return -1;
	}
	Scope sc = scope_of(c->s, c->root);
	AguiItem *d = doc_of(c, sc.agent);
	if (d == NULL)
		return -1;
	char why[PROTO_ERR_MAX], line[PROTO_ERR_MAX + 40];
	if (interop_json_patch(&d->doc, delta, why, sizeof(why)) < 0) {
		u8mend(why);   /* interop.c cuts the path it names by bytes */
		snprintf(line, sizeof(line), "state delta not applied: %s", why);
		emit_log(c, LOG_WARN, sc.agent, sc.task, line);
		return 0;
	}
	snprintf(line, sizeof(line), "state delta (%d operations)", cJSON_GetArraySize(delta));
	emit_log(c, LOG_DEBUG, sc.agent, sc.task, line);
	return 0;
}

/* ---- custom, raw ---- */

/* CUSTOM: "custom NAME: VALUE" in the log. */
static int on_custom(Ctx *c)
{
	const char *name = need(c, "name");
	if (!name)
		return -1;
	Scope sc = scope_of(c->s, c->root);
	char *v = json_text(cJSON_GetObjectItemCaseSensitive(c->root, "value"), AGUI_OUTPUT_MAX);
	char *line = NULL;
	if (asprintf(&line, "custom %.*s: %s", sanitize_prec(name, 200), name, v ? v : "null") < 0)
		line = NULL;
	emit_log(c, LOG_INFO, sc.agent, sc.task, line ? line : name);
	free(line);
	free(v);
	return 0;
}

/* RAW: "raw[SOURCE]: EVENT" in the log. */
static int on_raw(Ctx *c)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(c->root, "event");
	if (ev == NULL) {
		snprintf(c->err, PROTO_ERR_MAX, "RAW: 'event' is missing");
		return -1;
	}
	const char *src = jstr(c->root, "source");
	Scope sc = scope_of(c->s, c->root);
	char *v = json_text(ev, AGUI_OUTPUT_MAX);
	char *line = NULL;
	src = src ? src : "?";
	if (asprintf(&line, "raw[%.*s]: %s", sanitize_prec(src, 60), src, v ? v : "") < 0)
		line = NULL;
	emit_log(c, LOG_DEBUG, sc.agent, sc.task, line ? line : "raw");
	free(line);
	free(v);
	return 0;
}

/* The event table: AG-UI type -> handler. */
static const struct {
	const char *type;
	int (*fn)(Ctx *c);
} agui_handlers[] = {
	{ "RUN_STARTED", on_run_started },
	{ "RUN_FINISHED", on_run_finished },
	{ "RUN_ERROR", on_run_error },
	{ "SUBAGENT_STARTED", on_sub_started },
	{ "SUBAGENT_FINISHED", on_sub_finished },
	{ "SUBAGENT_ERROR", on_sub_error },
	{ "STEP_STARTED", on_step_started },
	{ "STEP_FINISHED", on_step_finished },
	{ "TOOL_CALL_START", on_tool_start },
	{ "TOOL_CALL_ARGS", on_tool_args },
	{ "TOOL_CALL_END", on_tool_end },
	{ "TOOL_CALL_CHUNK", on_tool_chunk },
	{ "TOOL_CALL_RESULT", on_tool_result },
	{ "TEXT_MESSAGE_START", on_text_start },
	{ "TEXT_MESSAGE_CONTENT", msg_content },
	{ "TEXT_MESSAGE_END", msg_end },
	{ "TEXT_MESSAGE_CHUNK", on_text_chunk },
	{ "REASONING_START", on_nothing },
	{ "REASONING_MESSAGE_START", on_reason_start },
	{ "REASONING_MESSAGE_CONTENT", msg_content },
	{ "REASONING_MESSAGE_END", msg_end },
	{ "REASONING_MESSAGE_CHUNK", on_reason_chunk },
	{ "REASONING_END", on_nothing },
	{ "REASONING_ENCRYPTED_VALUE", on_nothing },
	{ "MESSAGES_SNAPSHOT", on_messages_snapshot },
	{ "STATE_SNAPSHOT", on_state_snapshot },
	{ "STATE_DELTA", on_state_delta },
	{ "ACTIVITY_SNAPSHOT", on_nothing },
	{ "ACTIVITY_DELTA", on_nothing },
	{ "CUSTOM", on_custom },
	{ "RAW", on_raw },
};

/* A mapper for one connection. */
AguiState *agui_new(const char *runtime_id, const char *instance)
{
	AguiState *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->runtime_id = strdup(runtime_id ? runtime_id : "agui");
	s->instance = strdup(instance ? instance : "agui");
	strmap_init(&s->seen);
	if (!s->runtime_id || !s->instance) {
		agui_free(s);
		return NULL;
	}
	return s;
}

/* Free it. */
void agui_free(AguiState *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nitems; i++)
		item_clear(&s->items[i]);
	free(s->items);
	strmap_free(&s->seen);
	interop_events_free(&s->out);
	free(s->runtime_id);
	free(s->instance);
	free(s);
}

/* A deep copy. */
AguiState *agui_clone(const AguiState *s)
{
	/* the array before the state: a failure past agui_new frees a state with its array */
	AguiItem *items = calloc(s->cap ? s->cap : 1, sizeof(AguiItem));
	if (items == NULL)
		return NULL;
	AguiState *c = agui_new(s->runtime_id, s->instance);
	if (c == NULL) {
		free(items);
		return NULL;
	}
	c->hello_done = s->hello_done;
	c->now_ms = s->now_ms;
	c->out.seq = s->out.seq;
	c->out.ts = s->out.ts;
	c->unknown = s->unknown;
	c->nsteps = s->nsteps;
	c->items = items;
	c->cap = s->cap;
	for (size_t i = 0; i < s->nitems; i++) {
		const AguiItem *f = &s->items[i];
		AguiItem *t = &c->items[i];
		*t = *f;
		t->id = xdup(f->id);
		t->task = xdup(f->task);
		t->agent = xdup(f->agent);
		t->scope = xdup(f->scope);
		t->name = xdup(f->name);
		t->buf = f->buf ? malloc(f->len + 1) : NULL;
		if (t->buf)
			memcpy(t->buf, f->buf, f->len + 1);
		t->doc = f->doc ? cJSON_Duplicate(f->doc, true) : NULL;
		c->nitems++;
	}
	for (size_t i = 0; i < s->seen.cap; i++)
		if (s->seen.slots[i].key &&
		    strmap_put(&c->seen, s->seen.slots[i].key, s->seen.slots[i].klen, 1) < 0)
			goto fail;
	return c;
fail:
	agui_free(c);
	return NULL;
}

/* The time for events without one. */
void agui_set_now(AguiState *s, int64_t now_ms)
{
	s->now_ms = now_ms;
}

/* Messages of an unknown type ignored so far. */
uint64_t agui_unknown(const AguiState *s)
{
	return s->unknown;
}

/* The agent's state document as compact JSON (malloc'd), or NULL. */
char *agui_state_json(const AguiState *s, const char *agent)
{
	int i = agent ? item_find(s, AK_DOC, agent) : -1;
	return i >= 0 && s->items[i].doc ? cJSON_PrintUnformatted(s->items[i].doc) : NULL;
}

/* Emit the synthesised hello: this runtime speaks AG-UI and cannot be steered. */
static void emit_hello(Ctx *c)
{
	Event *ev = interop_push(&c->s->out, EV_HELLO);
	if (ev == NULL)
		return;
	EvHello *h = &ev->u.hello;
	h->proto = PROTO_VERSION;
	h->id = interop_str(c->a, c->s->runtime_id, EVENT_ID_MAX);
	h->instance = interop_str(c->a, c->s->instance, EVENT_ID_MAX);
	h->name = interop_str(c->a, c->s->runtime_id, EVENT_NAME_MAX);
	h->lang = "AG-UI";
	h->capabilities = 0;
	c->s->hello_done = true;
}

/* Map one AG-UI event into Events. */
int agui_map(AguiState *s, const char *json, size_t len, Arena *a, const Event **out,
             char err[PROTO_ERR_MAX])
{
	char scratch[PROTO_ERR_MAX];
	Ctx c = { .s = s, .a = a, .err = err ? err : scratch, .type = "AG-UI" };
	c.err[0] = '\0';
	*out = NULL;
	s->out.n = 0;
	s->out.oom = false;
	cJSON *root = json ? cJSON_ParseWithLengthOpts(json, len, NULL, false) : NULL;
	if (!cJSON_IsObject(root)) {
		snprintf(c.err, PROTO_ERR_MAX, "AG-UI: not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	c.root = root;
	const char *type = jstr(root, "type");
	if (type == NULL) {
		snprintf(c.err, PROTO_ERR_MAX, "AG-UI: 'type' is missing");
		cJSON_Delete(root);
		return -1;
	}
	c.type = type;
	int64_t ts = jcount(root, "timestamp");
	s->out.ts = ts > 0 ? ts : s->now_ms;
	if (!s->hello_done)
		emit_hello(&c);
	close_chunks(&c);
	int rc = 0;
	size_t k;
	for (k = 0; k < sizeof(agui_handlers) / sizeof(agui_handlers[0]); k++)
		if (!strcmp(agui_handlers[k].type, type))
			break;
	if (k < sizeof(agui_handlers) / sizeof(agui_handlers[0]))
		rc = agui_handlers[k].fn(&c);
	else
		s->unknown++;
	if (s->out.oom) {
		snprintf(c.err, PROTO_ERR_MAX, "%.*s: out of memory", sanitize_prec(type, 40), type);
		rc = -1;
	}
	cJSON_Delete(root);
	chunks_done(s, rc >= 0);
	if (rc < 0) {
		/* a rejected message changes nothing: the hello waits for the next one */
		if (s->out.n > 0 && s->out.v[0].type == EV_HELLO)
			s->hello_done = false;
		s->out.seq -= (int64_t)s->out.n - (s->out.n > 0 && s->out.v[0].type == EV_HELLO);
		s->out.n = 0;
		return -1;
	}
	*out = s->out.v;
	return (int)s->out.n;
}
