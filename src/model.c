/*
 * model.c: the fold. Owns every write to a Model: runtimes and their sequence
 * bookkeeping (duplicates, gaps, instances, snapshots), agents with their
 * parent tree, tasks with timing and per-agent counters, usage rows and
 * totals with rates, thread samples and per-core history, the line ring, and
 * the command audit trail with its ack life cycle.
 *
 * Agents and tasks are keyed "<runtime index>\x1f<id>" in StrMaps; references
 * to things that have not appeared yet (a task's agent, an agent's parent)
 * wait in per-key doubly linked lists and are linked when the thing appears,
 * so that no event costs a scan over all tasks or agents.
 *
 * Pure: no I/O, no clock (now_ms is a parameter), no printing, no aborting on
 * hostile input. Strings are copied and truncated at UTF-8 boundaries, never
 * sanitized here (the canvas does that).
 */
#include "swarmtop/model.h"
#include "swarmtop/sanitize.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const conn_state_names[CONN_STATE_COUNT] = {
	[CONN_CONNECTING] = "connecting",
	[CONN_CONNECTED] = "connected",
	[CONN_RECONNECTING] = "reconnecting",
	[CONN_AUTH_FAILED] = "auth failed",
	[CONN_PROTOCOL_ERROR] = "protocol error",
	[CONN_CLOSED] = "closed",
	[CONN_REPLAY] = "replay",
};

const char *const cmd_state_names[CMD_STATE_COUNT] = {
	[CMD_SENT] = "sent",
	[CMD_ACCEPTED] = "accepted",
	[CMD_APPLIED] = "applied",
	[CMD_REJECTED] = "rejected",
	[CMD_UNANSWERED] = "unanswered",
	[CMD_REFUSED] = "refused",
};

/* The level of the local line written when a connection enters a state. */
static const LogLevel conn_state_level[CONN_STATE_COUNT] = {
	[CONN_CONNECTING] = LOG_INFO,
	[CONN_CONNECTED] = LOG_INFO,
	[CONN_RECONNECTING] = LOG_WARN,
	[CONN_AUTH_FAILED] = LOG_ERROR,
	[CONN_PROTOCOL_ERROR] = LOG_ERROR,
	[CONN_CLOSED] = LOG_INFO,
	[CONN_REPLAY] = LOG_INFO,
};

/* The command state an ack status moves a command to. */
static const CmdState ack_cmd_state[ACK_STATUS_COUNT] = {
	[ACK_ACCEPTED] = CMD_ACCEPTED,
	[ACK_APPLIED] = CMD_APPLIED,
	[ACK_REJECTED] = CMD_REJECTED,
};

#define KEY_MAX      1024     /* composite keys: rt, agent id, provider, model */
#define NOT_WAITING  (-2)     /* wait_prev of something in no wait list */
#define PARENT_WALK_MAX 4096  /* longest ancestor chain followed when checking for cycles */
#define COMMANDS_DROP (MODEL_COMMANDS_MAX / 10)  /* dropped at once when full */

/* ---- strings ---- */

/* Length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	return sanitize_utf8_cut(s, strnlen(s, max + 1), max);
}

/* A malloc'd copy of s cut to max bytes; NULL for NULL (or out of memory). */
static char *sdup(const char *s, size_t max)
{
	if (s == NULL)
		return NULL;
	size_t n = utf8_cut(s, max);
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* True when stored equals s cut to max bytes (both NULL counts as equal). */
static bool str_same(const char *stored, const char *s, size_t max)
{
	if (stored == NULL || s == NULL)
		return stored == s;
	size_t n = utf8_cut(s, max);
	return strncmp(stored, s, n) == 0 && stored[n] == '\0';
}

/* Replace *dst with a copy of s (NULL clears) unless equal. True when it changed. */
static bool sset(char **dst, const char *s, size_t max)
{
	if (s == NULL) {
		if (*dst == NULL)
			return false;
		free(*dst);
		*dst = NULL;
		return true;
	}
	/* One length scan of s serves the comparison, the in-place copy and the new copy. */
	size_t n = utf8_cut(s, max);
	if (*dst != NULL) {
		if (strncmp(*dst, s, n) == 0 && (*dst)[n] == '\0')
			return false;
		if (strlen(*dst) >= n) {
			/* Fits where the old value was: no allocation. */
			memcpy(*dst, s, n);
			(*dst)[n] = '\0';
			return true;
		}
	}
	char *d = malloc(n + 1);
	if (d == NULL)
		return false;
	memcpy(d, s, n);
	d[n] = '\0';
	free(*dst);
	*dst = d;
	return true;
}

/* Write the decimal digits of v (>= 0) at p; returns the count written. */
static size_t put_uint(char *p, unsigned long v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Build the key "<rt>\x1f<a>[\x1f<b>\x1f<c>]" (parts cut to limits); returns its length. */
static size_t mkey(char key[KEY_MAX], int rt, const char *a, const char *b, const char *c,
                   int nparts)
{
	const char *parts[3] = {a, b, c};
	static const size_t lim[3] = {EVENT_ID_MAX, EVENT_NAME_MAX, EVENT_NAME_MAX};
	size_t n = put_uint(key, (unsigned long)(rt < 0 ? 0 : rt));
	for (int i = 0; i < nparts; i++) {
		const char *s = parts[i] ? parts[i] : "";
		size_t len = utf8_cut(s, lim[i]);
		key[n++] = '\x1f';
		memcpy(key + n, s, len);
		n += len;
	}
	return n;
}

/* ---- growth ---- */

/* Make room for one more element of size sz in *v (count n, capacity *cap). 0 or -1. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	if (nc > (size_t)INT32_MAX || nc > SIZE_MAX / sz)
		return -1;
	void *nv = realloc(*v, nc * sz);
	if (nv == NULL)
		return -1;
	*v = nv;
	*cap = nc;
	return 0;
}

/* ---- lines ---- */

/* Append a line to the ring; agent/task/text live in one block owned by text. */
static void line_push(Model *m, int rt, LineKind kind, int sub, int64_t ts, const char *agent,
                      const char *task, const char *text)
{
	size_t tl = utf8_cut(text ? text : "", MODEL_LINE_TEXT_MAX);
	size_t al = agent ? utf8_cut(agent, EVENT_ID_MAX) : 0;
	size_t kl = task ? utf8_cut(task, EVENT_ID_MAX) : 0;
	ModelLine *l = &m->lines[m->lines_head];
	size_t need = tl + 1 + al + 1 + kl + 1;
	char *blk = l->text;
	/* A slot's block is reused on the next lap of the ring when the new line fits in
	 * the bytes the old one used (measured, so a block from anywhere is safe). */
	size_t have = blk ? strlen(blk) + 1 + (l->agent ? strlen(l->agent) : 0) + 1 +
	                            (l->task ? strlen(l->task) : 0) + 1
	                  : 0;
	if (blk == NULL || have < need) {
		free(blk);
		blk = malloc(need);
		if (blk == NULL) {
			*l = (ModelLine){0};
			if (m->nlines == MODEL_LINES_MAX)
				m->nlines--;   /* the slot lost its line */
			return;
		}
	}
	memcpy(blk, text ? text : "", tl);
	blk[tl] = '\0';
	char *ap = blk + tl + 1, *kp = ap + al + 1;
	if (agent) {
		memcpy(ap, agent, al);
		ap[al] = '\0';
	}
	if (task) {
		memcpy(kp, task, kl);
		kp[kl] = '\0';
	}
	if (m->nlines < MODEL_LINES_MAX)
		m->nlines++;
	*l = (ModelLine){
		.runtime = rt, .kind = kind, .sub = sub, .ts = ts,
		.agent = agent ? ap : NULL, .task = task ? kp : NULL, .text = blk,
	};
	m->lines_head = (m->lines_head + 1) % MODEL_LINES_MAX;
	m->lines_total++;
}

/* Append a local line with printf-style text. */
static void line_localf(Model *m, int rt, LogLevel level, int64_t now_ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void line_localf(Model *m, int rt, LogLevel level, int64_t now_ms, const char *fmt, ...)
{
	char buf[MODEL_LINE_TEXT_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	line_push(m, rt, LINE_LOCAL, (int)level, now_ms, NULL, NULL, buf);
}

/* The i-th line counted from the oldest kept (0 <= i < nlines). */
const ModelLine *model_line(const Model *m, size_t i)
{
	if (m == NULL || i >= m->nlines)
		return NULL;
	size_t idx = (m->lines_head + MODEL_LINES_MAX - m->nlines + i) % MODEL_LINES_MAX;
	return &m->lines[idx];
}

/* ---- lifetime ---- */

/* A new, empty model. NULL when out of memory. */
Model *model_new(void)
{
	Model *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->lines = calloc(MODEL_LINES_MAX, sizeof(*m->lines));
	if (m->lines == NULL) {
		free(m);
		return NULL;
	}
	strmap_init(&m->agent_map);
	strmap_init(&m->task_map);
	strmap_init(&m->usage_map);
	strmap_init(&m->command_map);
	strmap_init(&m->agent_wait);
	strmap_init(&m->task_wait);
	return m;
}

/* Free an agent's strings. */
static void agent_clear(ModelAgent *a)
{
	free(a->id);
	free(a->name);
	free(a->role);
	free(a->model);
	free(a->parent);
	free(a->last_message);
}

/* Free a task's strings. */
static void task_clear(ModelTask *t)
{
	free(t->id);
	free(t->agent_id);
	free(t->name);
	free(t->kind);
	free(t->parent);
	free(t->error);
	free(t->input);
	free(t->output);
	for (size_t i = 0; i < t->ndeps; i++)
		free(t->deps[i]);
	free(t->deps);
}

/* Free a usage row's strings. */
static void usage_clear(ModelUsage *u)
{
	free(u->agent);
	free(u->provider);
	free(u->model);
	u->agent = u->provider = u->model = NULL;
}

/* Free a command's strings. */
static void command_clear(ModelCommand *c)
{
	free(c->target);
	free(c->text);
	free(c->reason);
	free(c->who);
	free(c->error);
}

/* Free a runtime's thread sample. */
static void threads_clear(ModelRuntime *r)
{
	for (size_t i = 0; i < r->nthreads; i++) {
		free(r->threads[i].name);
		free(r->threads[i].agent);
		free(r->threads[i].task);
	}
	free(r->threads);
	r->threads = NULL;
	r->nthreads = 0;
}

/* Free a runtime's strings and buffers. */
static void runtime_clear(ModelRuntime *r)
{
	free(r->url);
	free(r->id);
	free(r->instance);
	free(r->name);
	free(r->host);
	free(r->lang);
	free(r->lang_version);
	free(r->conn_reason);
	free(r->last_reject);
	threads_clear(r);
	free(r->cores_now);
	free(r->core_hist);
}

/* Free the model and everything it owns. */
void model_free(Model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nruntimes; i++)
		runtime_clear(&m->runtimes[i]);
	for (size_t i = 0; i < m->nagents; i++)
		agent_clear(&m->agents[i]);
	for (size_t i = 0; i < m->ntasks; i++)
		task_clear(&m->tasks[i]);
	for (size_t i = 0; i < m->nusage; i++)
		usage_clear(&m->usage[i]);
	for (size_t i = 0; i < m->ncommands; i++)
		command_clear(&m->commands[i]);
	for (size_t i = 0; i < m->ngaps; i++)
		free(m->gaps[i].instance);
	for (size_t i = 0; i < MODEL_LINES_MAX; i++)
		free(m->lines[i].text);
	free(m->runtimes);
	free(m->agents);
	free(m->tasks);
	free(m->usage);
	free(m->commands);
	free(m->gaps);
	free(m->lines);
	strmap_free(&m->agent_map);
	strmap_free(&m->task_map);
	strmap_free(&m->usage_map);
	strmap_free(&m->command_map);
	strmap_free(&m->agent_wait);
	strmap_free(&m->task_wait);
	free(m);
}

/* Add a runtime slot for a source (URL or label); returns its index. */
int model_add_runtime(Model *m, const char *url, int64_t now_ms)
{
	if (grow((void **)&m->runtimes, m->nruntimes, &m->cap_runtimes, sizeof(*m->runtimes)))
		return -1;
	ModelRuntime *r = &m->runtimes[m->nruntimes];
	memset(r, 0, sizeof(*r));
	r->url = sdup(url ? url : "", EVENT_TEXT_MAX);
	r->conn = CONN_CONNECTING;
	r->conn_since_ms = now_ms;
	r->pid = -1;
	m->generation++;
	return (int)m->nruntimes++;
}

/* Index of a runtime by hello id, or -1. */
int model_find_runtime(const Model *m, const char *id)
{
	if (m == NULL || id == NULL)
		return -1;
	for (size_t i = 0; i < m->nruntimes; i++)
		if (m->runtimes[i].id != NULL && strcmp(m->runtimes[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Index of an agent/task of runtime rt by id, or -1. */
int model_find_agent(const Model *m, int rt, const char *id)
{
	char key[KEY_MAX];
	if (m == NULL || id == NULL || rt < 0)
		return -1;
	return strmap_get(&m->agent_map, key, mkey(key, rt, id, NULL, NULL, 1));
}

/* Index of a task of runtime rt by id, or -1. */
int model_find_task(const Model *m, int rt, const char *id)
{
	char key[KEY_MAX];
	if (m == NULL || id == NULL || rt < 0)
		return -1;
	return strmap_get(&m->task_map, key, mkey(key, rt, id, NULL, NULL, 1));
}

/* ---- wait lists: references to agents that have not appeared yet ---- */

/*
 * Agents wait for their parent in m->agent_wait, tasks for their agent in m->task_wait: each
 * map holds the head of a list per awaited (runtime, id), linked through wait_prev/wait_next
 * (wait_prev -1 at the head, NOT_WAITING when on no list).
 */

/* The wait links of element i of the list family heads (tasks or agents). */
static void wait_links(Model *m, const StrMap *heads, int i, int **prev, int **next)
{
	if (heads == &m->task_wait) {
		*prev = &m->tasks[i].wait_prev;
		*next = &m->tasks[i].wait_next;
	} else {
		*prev = &m->agents[i].wait_prev;
		*next = &m->agents[i].wait_next;
	}
}

/* Put element i on the list of those waiting in heads for (rt, id). */
static void wait_add(Model *m, StrMap *heads, int i, int rt, const char *id)
{
	char key[KEY_MAX];
	size_t kl = mkey(key, rt, id, NULL, NULL, 1);
	int head = strmap_get(heads, key, kl);
	int *prev, *next;
	if (strmap_put(heads, key, kl, i) != 0)
		return;
	wait_links(m, heads, i, &prev, &next);
	*prev = -1;
	*next = head;
	if (head >= 0) {
		wait_links(m, heads, head, &prev, &next);
		*prev = i;
	}
}

/* Take element i off the list it waits on in heads (the one for (rt, id)), if any. */
static void wait_remove(Model *m, StrMap *heads, int i, int rt, const char *id)
{
	int *prev, *next, *p, *n;
	wait_links(m, heads, i, &prev, &next);
	if (*prev == NOT_WAITING)
		return;
	if (*prev >= 0) {
		wait_links(m, heads, *prev, &p, &n);
		*n = *next;
	} else {
		char key[KEY_MAX];
		strmap_put(heads, key, mkey(key, rt, id, NULL, NULL, 1), *next);
	}
	if (*next >= 0) {
		wait_links(m, heads, *next, &p, &n);
		*p = *prev;
	}
	*prev = NOT_WAITING;
	*next = -1;
}

/* ---- agents ---- */

/* True when making p the parent of ai would close a cycle (or the chain is absurdly deep). */
static bool parent_would_cycle(const Model *m, int ai, int p)
{
	int steps = 0;
	for (int x = p; x >= 0; x = m->agents[x].parent_idx) {
		if (x == ai || ++steps > PARENT_WALK_MAX)
			return true;
	}
	return false;
}

/* Resolve agent ai's parent_idx from its parent id, or queue it until the parent appears. */
static void agent_link_parent(Model *m, int ai)
{
	ModelAgent *a = &m->agents[ai];
	a->parent_idx = -1;
	if (a->parent == NULL)
		return;
	int p = model_find_agent(m, a->runtime, a->parent);
	if (p < 0)
		wait_add(m, &m->agent_wait, ai, a->runtime, a->parent);
	else if (!parent_would_cycle(m, ai, p))
		a->parent_idx = p;
}

/* Count task t in (sign +1) or out of (-1) its agent's counters. */
static void task_account(Model *m, const ModelTask *t, int sign)
{
	if (t->agent < 0)
		return;
	ModelAgent *a = &m->agents[t->agent];
	a->ntasks += sign;
	if (t->status == TASK_COMPLETED)
		a->ntasks_done += sign;
	else if (t->status == TASK_FAILED)
		a->ntasks_failed += sign;
}

/* Link task ti to agent ai (counting it, and making it current when working). */
static void task_attach(Model *m, int ti, int ai)
{
	ModelTask *t = &m->tasks[ti];
	t->agent = ai;
	task_account(m, t, +1);
	if (t->status == TASK_WORKING && m->agents[ai].current_task < 0)
		m->agents[ai].current_task = ti;
}

/* Unlink task ti from its agent (or from the wait list). */
static void task_detach(Model *m, int ti)
{
	ModelTask *t = &m->tasks[ti];
	wait_remove(m, &m->task_wait, ti, t->runtime, t->agent_id);
	if (t->agent < 0)
		return;
	task_account(m, t, -1);
	if (m->agents[t->agent].current_task == ti)
		m->agents[t->agent].current_task = -1;
	t->agent = -1;
}

/* Resolve task ti's agent from its agent id, or queue it until that agent appears. */
static void task_link_agent(Model *m, int ti)
{
	ModelTask *t = &m->tasks[ti];
	if (t->agent_id == NULL)
		return;
	int ai = model_find_agent(m, t->runtime, t->agent_id);
	if (ai >= 0)
		task_attach(m, ti, ai);
	else
		wait_add(m, &m->task_wait, ti, t->runtime, t->agent_id);
}

/* A new agent ni appeared: link the agents and tasks that were waiting for it. */
static void agent_resolve_waiters(Model *m, int ni, const char *key, size_t kl)
{
	int h = strmap_get(&m->agent_wait, key, kl);
	if (h >= 0) {
		while (h >= 0) {
			ModelAgent *c = &m->agents[h];
			int next = c->wait_next;
			c->wait_prev = NOT_WAITING;
			c->wait_next = -1;
			if (!parent_would_cycle(m, h, ni))
				c->parent_idx = ni;
			h = next;
		}
		strmap_put(&m->agent_wait, key, kl, -1);
	}
	h = strmap_get(&m->task_wait, key, kl);
	if (h >= 0) {
		while (h >= 0) {
			ModelTask *t = &m->tasks[h];
			int next = t->wait_next;
			t->wait_prev = NOT_WAITING;
			t->wait_next = -1;
			task_attach(m, h, ni);
			h = next;
		}
		strmap_put(&m->task_wait, key, kl, -1);
	}
}

static void model_relink(Model *m);
static int usage_row(Model *m, int rt, const EvUsage *ev);

/* Fold usage row ui (of an agent being forgotten) into its runtime's row for the same
 * provider and model with no agent, so per-model totals stay whole; frees row ui's strings. */
static void usage_fold(Model *m, size_t ui)
{
	ModelUsage *u = &m->usage[ui];
	EvUsage k = {.agent = NULL, .provider = u->provider, .model = u->model};
	int di = usage_row(m, u->runtime, &k);   /* may move m->usage */
	u = &m->usage[ui];
	if (di >= 0) {
		ModelUsage *d = &m->usage[di];
		tokens_add(&d->tokens, &u->tokens);
		tokens_add(&d->unbilled, &u->unbilled);
		d->billed_usd += u->billed_usd;
		d->calls += u->calls;
		rate_merge(&d->rate, &u->rate);
	}
	usage_clear(u);
}

/* Count the finished agents (completed, failed, canceled) afresh. */
static void agents_count_final(Model *m)
{
	m->agents_final = 0;
	for (size_t i = 0; i < m->nagents; i++)
		m->agents_final += agent_status_is_final(m->agents[i].status);
}

/* Keep the finished agents bounded: past MODEL_AGENTS_DONE_MAX of them, forget the oldest
 * (completed and canceled ones first, failed ones only when those run out) until a tenth of
 * that room is free. Live agents are never forgotten. The forgotten agents' usage rows
 * fold into per-model rows, so runtime, model and fleet totals are unchanged; their tasks
 * stay (unlinked) until the task table forgets them. Deterministic, like tasks_evict. */
static void agents_evict(Model *m)
{
	size_t target = MODEL_AGENTS_DONE_MAX - MODEL_AGENTS_DONE_MAX / 10;
	size_t drop = m->agents_final > target ? m->agents_final - target : 0;
	size_t w = 0;
	char key[KEY_MAX];
	StrMap gone;

	strmap_init(&gone);
	for (int pass = 0; pass < 2 && drop > 0; pass++) {
		for (size_t i = 0; i < m->nagents && drop > 0; i++) {
			ModelAgent *a = &m->agents[i];
			if (!agent_status_is_final(a->status) || (pass == 0) == (a->status == AGENT_FAILED))
				continue;
			if (strmap_put(&gone, key, mkey(key, a->runtime, a->id, NULL, NULL, 1), 1) == 0)
				drop--;
		}
	}
	for (size_t i = 0; i < m->nagents; i++) {
		ModelAgent *a = &m->agents[i];
		if (strmap_get(&gone, key, mkey(key, a->runtime, a->id, NULL, NULL, 1)) >= 0)
			agent_clear(a);
		else
			m->agents[w++] = *a;
	}
	if (w < m->nagents) {
		m->nagents = w;
		size_t nu = m->nusage;
		for (size_t i = 0; i < nu; i++) {
			ModelUsage *u = &m->usage[i];
			if (u->agent != NULL && u->agent[0] != '\0' &&
			    strmap_get(&gone, key, mkey(key, u->runtime, u->agent, NULL, NULL, 1)) >= 0)
				usage_fold(m, i);
		}
		/* Compact the usage rows whose strings were freed, and re-key the rest. */
		strmap_clear(&m->usage_map);
		w = 0;
		for (size_t i = 0; i < m->nusage; i++) {
			ModelUsage u = m->usage[i];
			if (u.agent == NULL)
				continue;
			size_t kl = mkey(key, u.runtime, u.agent, u.provider, u.model, 3);
			strmap_put(&m->usage_map, key, kl, (int)w);
			m->usage[w++] = u;
		}
		m->nusage = w;
		m->reindexed++;
		model_relink(m);
	}
	strmap_free(&gone);
	agents_count_final(m);
}

/* The agent (rt, id), created when absent. -1 when out of memory. */
static int agent_get(Model *m, int rt, const char *id, int64_t now_ms, bool *created)
{
	char key[KEY_MAX];
	size_t kl = mkey(key, rt, id, NULL, NULL, 1);
	int ai = strmap_get(&m->agent_map, key, kl);
	*created = false;
	if (ai >= 0)
		return ai;
	if (grow((void **)&m->agents, m->nagents, &m->cap_agents, sizeof(*m->agents)))
		return -1;
	ai = (int)m->nagents;
	ModelAgent *a = &m->agents[ai];
	memset(a, 0, sizeof(*a));
	a->runtime = rt;
	a->id = sdup(id, EVENT_ID_MAX);
	if (a->id == NULL || strmap_put(&m->agent_map, key, kl, ai) != 0) {
		free(a->id);
		return -1;
	}
	a->parent_idx = -1;
	a->current_task = -1;
	a->last_command = -1;
	a->wait_prev = NOT_WAITING;
	a->wait_next = -1;
	a->status = AGENT_IDLE;
	a->created_ms = now_ms;
	a->status_ms = now_ms;
	a->last_event_ms = now_ms;
	m->nagents++;
	*created = true;
	agent_resolve_waiters(m, ai, key, kl);
	return ai;
}

/* Upsert one agent; returns DIRTY_* bits. */
static unsigned agent_upsert(Model *m, int rt, const EvAgent *ev, int64_t now_ms)
{
	bool created;
	if (ev->id == NULL)
		return 0;
	int ai = agent_get(m, rt, ev->id, now_ms, &created);
	if (ai < 0)
		return 0;
	unsigned dirty = DIRTY_AGENTS | (created ? DIRTY_HEADER : 0);
	ModelAgent *a = &m->agents[ai];
	a->last_event_ms = now_ms;
	if (ev->name)
		sset(&a->name, ev->name, EVENT_NAME_MAX);
	if (ev->role)
		sset(&a->role, ev->role, EVENT_NAME_MAX);
	if (ev->model)
		sset(&a->model, ev->model, EVENT_NAME_MAX);
	if (ev->has & HAS_PARENT) {
		if (!str_same(a->parent, ev->parent, EVENT_ID_MAX)) {
			wait_remove(m, &m->agent_wait, ai, a->runtime, a->parent);
			sset(&a->parent, ev->parent, EVENT_ID_MAX);
			agent_link_parent(m, ai);
		}
	}
	if ((ev->has & HAS_STATUS) && (unsigned)ev->status < AGENT_STATUS_COUNT &&
	    ev->status != a->status) {
		m->agents_final += (size_t)agent_status_is_final(ev->status);
		m->agents_final -= (size_t)agent_status_is_final(a->status);
		a->status = ev->status;
		a->status_ms = now_ms;
		dirty |= DIRTY_HEADER;
	}
	/* Last: this may move every agent, a included. */
	if (m->agents_final > MODEL_AGENTS_DONE_MAX)
		agents_evict(m);
	return dirty;
}

/* Mark agent (rt, id) as having had an event now; its index or -1. */
static int agent_touch(Model *m, int rt, const char *id, int64_t now_ms)
{
	int ai = model_find_agent(m, rt, id);
	if (ai >= 0)
		m->agents[ai].last_event_ms = now_ms;
	return ai;
}

/* ---- tasks ---- */

/* Replace task t's deps with a copy of the event's. */
static void task_set_deps(ModelTask *t, const EvTask *ev)
{
	for (size_t i = 0; i < t->ndeps; i++)
		free(t->deps[i]);
	free(t->deps);
	t->deps = NULL;
	t->ndeps = 0;
	size_t n = ev->ndeps < EVENT_MAX_DEPS ? ev->ndeps : EVENT_MAX_DEPS;
	if (n == 0 || ev->deps == NULL)
		return;
	t->deps = calloc(n, sizeof(*t->deps));
	if (t->deps == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ev->deps[i] == NULL)
			continue;
		char *d = sdup(ev->deps[i], EVENT_ID_MAX);
		if (d != NULL)
			t->deps[t->ndeps++] = d;
	}
}

/* Keep the task table bounded: past MODEL_TASKS_MAX, forget the oldest finished tasks
 * until a tenth of the room is free. Live tasks are never forgotten, so the table can
 * stay over the cap; the next attempt then waits until it has grown by another tenth,
 * which keeps inserts amortized O(1) however many tasks are live. Deterministic (a
 * function of the events), so a replay evicts exactly what the live model did. */
static void tasks_evict(Model *m)
{
	size_t target = MODEL_TASKS_MAX - MODEL_TASKS_MAX / 10;
	size_t drop = m->ntasks > target ? m->ntasks - target : 0;
	int *tmap = drop ? malloc(m->ntasks * sizeof(*tmap)) : NULL;
	size_t w = 0;

	if (tmap != NULL) {
		for (size_t i = 0; i < m->ntasks; i++) {
			if (drop > 0 && task_status_is_final(m->tasks[i].status)) {
				task_clear(&m->tasks[i]);
				tmap[i] = -1;
				drop--;
			} else {
				tmap[i] = (int)w;
				m->tasks[w++] = m->tasks[i];
			}
		}
		if (w < m->ntasks) {
			m->ntasks = w;
			for (size_t i = 0; i < m->nagents; i++) {
				ModelAgent *a = &m->agents[i];
				if (a->current_task >= 0)
					a->current_task = tmap[a->current_task];
			}
			m->reindexed++;
			model_relink(m);
		}
		free(tmap);
	}
	size_t step = m->ntasks / 10 > MODEL_TASKS_MAX / 10 ? m->ntasks / 10 : MODEL_TASKS_MAX / 10;
	m->tasks_evict_at = m->ntasks < MODEL_TASKS_MAX ? MODEL_TASKS_MAX : m->ntasks + step;
}

/* Upsert one task (ts: the runtime clock of the event); returns DIRTY_* bits. */
static unsigned task_upsert(Model *m, int rt, const EvTask *ev, int64_t ts, int64_t now_ms)
{
	char key[KEY_MAX];
	unsigned dirty = DIRTY_TASKS;

	if (ev->id == NULL)
		return 0;
	size_t kl = mkey(key, rt, ev->id, NULL, NULL, 1);
	int ti = strmap_get(&m->task_map, key, kl);
	if (ti < 0 && m->ntasks >= (m->tasks_evict_at ? m->tasks_evict_at : MODEL_TASKS_MAX))
		tasks_evict(m);
	if (ti < 0) {
		if (grow((void **)&m->tasks, m->ntasks, &m->cap_tasks, sizeof(*m->tasks)))
			return 0;
		ti = (int)m->ntasks;
		ModelTask *n = &m->tasks[ti];
		memset(n, 0, sizeof(*n));
		n->runtime = rt;
		n->agent = -1;
		n->id = sdup(ev->id, EVENT_ID_MAX);
		if (n->id == NULL || strmap_put(&m->task_map, key, kl, ti) != 0) {
			free(n->id);
			return 0;
		}
		n->status = TASK_SUBMITTED;
		n->created_ts = ts;
		n->created_ms = now_ms;
		n->status_ms = now_ms;
		n->last_command = -1;
		n->wait_prev = NOT_WAITING;
		n->wait_next = -1;
		m->ntasks++;
		dirty |= DIRTY_HEADER;
	}
	ModelTask *t = &m->tasks[ti];

	if (ev->agent != NULL && !str_same(t->agent_id, ev->agent, EVENT_ID_MAX)) {
		task_detach(m, ti);
		sset(&t->agent_id, ev->agent, EVENT_ID_MAX);
		task_link_agent(m, ti);
		dirty |= DIRTY_AGENTS;
	}
	if (ev->name)
		sset(&t->name, ev->name, EVENT_NAME_MAX);
	if (ev->kind)
		sset(&t->kind, ev->kind, EVENT_NAME_MAX);
	if (ev->has & HAS_PARENT)
		sset(&t->parent, ev->parent, EVENT_ID_MAX);
	if (ev->has & HAS_ERROR)
		sset(&t->error, ev->error, EVENT_TEXT_MAX);
	if (ev->has & HAS_INPUT)
		sset(&t->input, ev->input, EVENT_TEXT_MAX);
	if (ev->has & HAS_OUTPUT)
		sset(&t->output, ev->output, EVENT_TEXT_MAX);
	if (ev->has & HAS_DEPS)
		task_set_deps(t, ev);
	if ((ev->has & HAS_ATTEMPT) && ev->attempt != t->attempt) {
		if (t->attempt != 0 && ev->attempt > t->attempt) {
			/* A new try: its timing starts over. */
			t->started_ts = 0;
			t->ended_ts = 0;
		}
		t->attempt = ev->attempt;
	}
	if ((ev->has & HAS_STATUS) && (unsigned)ev->status < TASK_STATUS_COUNT &&
	    ev->status != t->status) {
		task_account(m, t, -1);
		t->status = ev->status;
		t->status_ms = now_ms;
		task_account(m, t, +1);
		if (t->agent >= 0)
			dirty |= DIRTY_AGENTS | DIRTY_HEADER;
		if (t->status == TASK_WORKING) {
			if (t->started_ts == 0)
				t->started_ts = ts;
			t->ended_ts = 0;
			if (t->agent >= 0)
				m->agents[t->agent].current_task = ti;
		} else if (task_status_is_final(t->status)) {
			if (t->ended_ts == 0)
				t->ended_ts = ts;
			if (t->agent >= 0 && m->agents[t->agent].current_task == ti)
				m->agents[t->agent].current_task = -1;
		} else {
			t->ended_ts = 0;
		}
	}
	if (t->agent >= 0) {
		m->agents[t->agent].last_event_ms = now_ms;
		dirty |= DIRTY_AGENTS;
	}
	return dirty;
}

/* ---- usage ---- */

/* The usage row (rt, agent, provider, model), created when absent; -1 when out of memory. */
static int usage_row(Model *m, int rt, const EvUsage *ev)
{
	char key[KEY_MAX];
	size_t kl = mkey(key, rt, ev->agent, ev->provider, ev->model, 3);
	int ui = strmap_get(&m->usage_map, key, kl);
	if (ui >= 0)
		return ui;
	if (grow((void **)&m->usage, m->nusage, &m->cap_usage, sizeof(*m->usage)))
		return -1;
	ui = (int)m->nusage;
	ModelUsage *u = &m->usage[ui];
	memset(u, 0, sizeof(*u));
	u->runtime = rt;
	u->agent = sdup(ev->agent ? ev->agent : "", EVENT_ID_MAX);
	u->provider = sdup(ev->provider ? ev->provider : "", EVENT_NAME_MAX);
	u->model = sdup(ev->model ? ev->model : "", EVENT_NAME_MAX);
	if (u->agent == NULL || u->provider == NULL || u->model == NULL ||
	    strmap_put(&m->usage_map, key, kl, ui) != 0) {
		usage_clear(u);
		return -1;
	}
	m->nusage++;
	return ui;
}

/* The event's token counts, negatives as 0. */
static Tokens usage_tokens(const EvUsage *ev)
{
	Tokens t = {
		.input = ev->input_tokens > 0 ? ev->input_tokens : 0,
		.output = ev->output_tokens > 0 ? ev->output_tokens : 0,
		.cache_read = ev->cache_read_tokens > 0 ? ev->cache_read_tokens : 0,
		.cache_write = ev->cache_write_tokens > 0 ? ev->cache_write_tokens : 0,
		.reasoning = ev->reasoning_tokens > 0 ? ev->reasoning_tokens : 0,
	};
	return t;
}

/* Add one call's tokens to a set of counters: billed when cost is known, else unbilled. */
static void usage_count(Tokens *tok, Tokens *unbilled, double *billed, const Tokens *t,
                        bool has_cost, double cost)
{
	tokens_add(tok, t);
	if (has_cost)
		*billed += cost;
	else
		tokens_add(unbilled, t);
}

/* Apply a usage delta (or, with total, a snapshot's total row); returns DIRTY_* bits. */
static unsigned usage_apply(Model *m, int rt, const EvUsage *ev, int64_t now_ms, bool total)
{
	Tokens t = usage_tokens(ev);
	bool has_cost = (ev->has & HAS_COST) && isfinite(ev->cost_usd) && ev->cost_usd >= 0;
	double cost = has_cost ? ev->cost_usd : 0.0;
	int64_t n = tokens_total(&t);
	unsigned dirty = DIRTY_USAGE | DIRTY_HEADER;
	ModelRuntime *r = &m->runtimes[rt];

	int ui = usage_row(m, rt, ev);
	if (ui >= 0) {
		ModelUsage *u = &m->usage[ui];
		usage_count(&u->tokens, &u->unbilled, &u->billed_usd, &t, has_cost, cost);
		if (!total) {
			u->calls++;
			rate_add(&u->rate, now_ms, n);
		}
	}
	int ai = ev->agent ? (total ? model_find_agent(m, rt, ev->agent)
	                            : agent_touch(m, rt, ev->agent, now_ms))
	                   : -1;
	if (ai >= 0) {
		ModelAgent *a = &m->agents[ai];
		usage_count(&a->tokens, &a->unbilled, &a->billed_usd, &t, has_cost, cost);
		if (!total)
			rate_add(&a->rate, now_ms, n);
		dirty |= DIRTY_AGENTS;
	}
	usage_count(&r->tokens, &r->unbilled, &r->billed_usd, &t, has_cost, cost);
	usage_count(&m->tokens, &m->unbilled, &m->billed_usd, &t, has_cost, cost);
	if (!total) {
		rate_add(&r->rate, now_ms, n);
		rate_add(&m->rate, now_ms, n);
	}
	return dirty;
}

/* a -= b, field by field, never below 0. */
static void tokens_sub(Tokens *a, const Tokens *b)
{
	a->input = a->input > b->input ? a->input - b->input : 0;
	a->output = a->output > b->output ? a->output - b->output : 0;
	a->cache_read = a->cache_read > b->cache_read ? a->cache_read - b->cache_read : 0;
	a->cache_write = a->cache_write > b->cache_write ? a->cache_write - b->cache_write : 0;
	a->reasoning = a->reasoning > b->reasoning ? a->reasoning - b->reasoning : 0;
}

/* ---- removing a runtime's state ---- */

/* Rebuild the id maps and every cross reference after agents/tasks were compacted. */
static void model_relink(Model *m)
{
	char key[KEY_MAX];

	strmap_clear(&m->agent_map);
	strmap_clear(&m->task_map);
	strmap_clear(&m->agent_wait);
	strmap_clear(&m->task_wait);
	for (size_t i = 0; i < m->nagents; i++) {
		ModelAgent *a = &m->agents[i];
		strmap_put(&m->agent_map, key, mkey(key, a->runtime, a->id, NULL, NULL, 1), (int)i);
		a->wait_prev = NOT_WAITING;
		a->wait_next = -1;
		a->parent_idx = -1;
	}
	for (size_t i = 0; i < m->ntasks; i++) {
		ModelTask *t = &m->tasks[i];
		strmap_put(&m->task_map, key, mkey(key, t->runtime, t->id, NULL, NULL, 1), (int)i);
		t->wait_prev = NOT_WAITING;
		t->wait_next = -1;
	}
	for (size_t i = 0; i < m->nagents; i++)
		agent_link_parent(m, (int)i);
	for (size_t i = 0; i < m->ntasks; i++) {
		ModelTask *t = &m->tasks[i];
		t->agent = t->agent_id ? model_find_agent(m, t->runtime, t->agent_id) : -1;
		if (t->agent_id != NULL && t->agent < 0)
			wait_add(m, &m->task_wait, (int)i, t->runtime, t->agent_id);
	}
	for (size_t r = 0; r < m->nruntimes; r++) {
		ModelRuntime *rt = &m->runtimes[r];
		for (size_t i = 0; i < rt->nthreads; i++) {
			ModelThread *th = &rt->threads[i];
			th->agent_idx = model_find_agent(m, (int)r, th->agent);
		}
	}
}

/* Drop runtime rt's agents and tasks (and its usage rows when usage is true). */
static void model_purge(Model *m, int rt, bool usage)
{
	int *tmap = m->ntasks ? malloc(m->ntasks * sizeof(*tmap)) : NULL;
	size_t w = 0;

	for (size_t i = 0; i < m->ntasks; i++) {
		if (m->tasks[i].runtime == rt) {
			task_clear(&m->tasks[i]);
			if (tmap)
				tmap[i] = -1;
		} else {
			if (tmap)
				tmap[i] = (int)w;
			m->tasks[w++] = m->tasks[i];
		}
	}
	m->ntasks = w;
	m->tasks_evict_at = 0;   /* the table shrank: the cap applies afresh */
	m->reindexed++;
	w = 0;
	for (size_t i = 0; i < m->nagents; i++) {
		ModelAgent *a = &m->agents[i];
		if (a->runtime == rt) {
			agent_clear(a);
			continue;
		}
		if (a->current_task >= 0)
			a->current_task = tmap ? tmap[a->current_task] : -1;
		m->agents[w++] = *a;
	}
	m->nagents = w;
	agents_count_final(m);
	free(tmap);
	model_relink(m);

	if (!usage)
		return;
	char key[KEY_MAX];
	w = 0;
	strmap_clear(&m->usage_map);
	for (size_t i = 0; i < m->nusage; i++) {
		ModelUsage u = m->usage[i];
		if (u.runtime == rt) {
			usage_clear(&u);
			continue;
		}
		size_t kl = mkey(key, u.runtime, u.agent, u.provider, u.model, 3);
		strmap_put(&m->usage_map, key, kl, (int)w);
		m->usage[w++] = u;
	}
	m->nusage = w;
}

/* ---- sequence ---- */

/* Record a gap of lost seqs [from, to] for runtime rt. */
static void gap_record(Model *m, int rt, int64_t from, int64_t to, int64_t now_ms,
                       ApplyInfo *info)
{
	ModelRuntime *r = &m->runtimes[rt];
	r->gaps++;
	r->gap_events += (uint64_t)(to - from) + 1;
	if (m->ngaps == MODEL_GAPS_MAX) {
		free(m->gaps[0].instance);
		memmove(m->gaps, m->gaps + 1, (m->ngaps - 1) * sizeof(*m->gaps));
		m->ngaps--;
	}
	if (grow((void **)&m->gaps, m->ngaps, &m->cap_gaps, sizeof(*m->gaps)) == 0) {
		m->gaps[m->ngaps++] = (ModelGap){
			.runtime = rt, .instance = sdup(r->instance, EVENT_ID_MAX),
			.from = from, .to = to, .at_ms = now_ms,
		};
	}
	if (from == to)
		line_localf(m, rt, LOG_WARN, now_ms, "gap: event %lld was lost", (long long)from);
	else
		line_localf(m, rt, LOG_WARN, now_ms, "gap: events %lld..%lld (%lld) were lost",
		            (long long)from, (long long)to, (long long)to - (long long)from + 1);
	if (info) {
		info->gap = true;
		info->gap_from = from;
		info->gap_to = to;
	}
}

/* ---- per-type application ---- */

/* Apply hello: runtime info, and a new instance's fresh start. */
static unsigned apply_hello(Model *m, int rt, const EvHello *h, int64_t now_ms, ApplyInfo *info)
{
	ModelRuntime *r = &m->runtimes[rt];
	const char *id = h->id ? h->id : "", *inst = h->instance ? h->instance : "";
	unsigned dirty = DIRTY_HEADER | DIRTY_RUNTIMES;

	bool differs = r->instance != NULL &&
	               (strcmp(r->instance, inst) != 0 || (r->id && strcmp(r->id, id) != 0));
	if (differs) {
		line_localf(m, rt, LOG_WARN, now_ms,
		            "runtime %.128s: new instance %.128s (was %.128s), starting over",
		            id, inst, r->instance);
		model_purge(m, rt, false);
		threads_clear(r);
		r->last_seq = 0;
		if (info)
			info->new_instance = true;
		dirty |= DIRTY_AGENTS | DIRTY_TASKS | DIRTY_THREADS | DIRTY_LINES;
	}
	sset(&r->id, id, EVENT_ID_MAX);
	sset(&r->instance, inst, EVENT_ID_MAX);
	sset(&r->name, h->name, EVENT_NAME_MAX);
	sset(&r->host, h->host, EVENT_NAME_MAX);
	sset(&r->lang, h->lang, EVENT_NAME_MAX);
	sset(&r->lang_version, h->lang_version, EVENT_NAME_MAX);
	r->has = h->has & (HAS_PID | HAS_CORES | HAS_FREE_THREADED | HAS_STARTED_TS);
	r->pid = (h->has & HAS_PID) ? h->pid : -1;
	r->cores = (h->has & HAS_CORES) ? h->cores : 0;
	r->free_threaded = (h->has & HAS_FREE_THREADED) ? h->free_threaded : false;
	r->started_ts = (h->has & HAS_STARTED_TS) ? h->started_ts : 0;
	r->proto = h->proto;
	r->caps = h->capabilities & ((1u << ACTION_COUNT) - 1);
	r->hello_seen = true;
	return dirty;
}

/* Apply a threads sample: replace the runtime's, push core history, agents' cpu. */
static unsigned apply_threads(Model *m, int rt, const EvThreads *ev, int64_t now_ms)
{
	ModelRuntime *r = &m->runtimes[rt];
	unsigned dirty = DIRTY_THREADS | DIRTY_HEADER;

	/* Only agents named by the previous sample can have a non-zero share. */
	for (size_t i = 0; i < r->nthreads; i++) {
		int ai = r->threads[i].agent_idx;
		if (ai >= 0 && m->agents[ai].cpu != 0) {
			m->agents[ai].cpu = 0;
			dirty |= DIRTY_AGENTS;
		}
	}
	size_t nt = ev->threads ? ev->nthreads : 0;
	if (nt > EVENT_MAX_THREADS)
		nt = EVENT_MAX_THREADS;
	if (nt == 0) {
		threads_clear(r);
	} else if (nt != r->nthreads) {
		/* The array always holds exactly nthreads slots. */
		for (size_t i = nt; i < r->nthreads; i++) {
			free(r->threads[i].name);
			free(r->threads[i].agent);
			free(r->threads[i].task);
		}
		ModelThread *nv = realloc(r->threads, nt * sizeof(*nv));
		if (nv == NULL) {
			nt = nt < r->nthreads ? nt : r->nthreads;
		} else {
			if (nt > r->nthreads)
				memset(nv + r->nthreads, 0, (nt - r->nthreads) * sizeof(*nv));
			for (size_t i = r->nthreads; i < nt; i++)
				nv[i].agent_idx = -1;
			r->threads = nv;
		}
	}
	/* Update the slots in place: names rarely change between samples, so this
	 * usually allocates nothing. */
	for (size_t i = 0; i < nt; i++) {
		const EvThread *s = &ev->threads[i];
		ModelThread *d = &r->threads[i];
		double cpu = (s->has & HAS_CPU) && isfinite(s->cpu) ? s->cpu : 0.0;
		d->tid = s->tid;
		sset(&d->name, s->name, EVENT_NAME_MAX);
		sset(&d->task, s->task, EVENT_ID_MAX);
		if (sset(&d->agent, s->agent, EVENT_ID_MAX) || d->agent_idx < 0)
			d->agent_idx = model_find_agent(m, rt, d->agent);
		d->core = (s->has & HAS_CORE) ? s->core : -1;
		d->cpu = cpu < 0 ? 0 : cpu > 1 ? 1 : cpu;
		if (d->agent_idx >= 0) {
			m->agents[d->agent_idx].cpu += d->cpu;
			dirty |= DIRTY_AGENTS;
		}
	}
	r->nthreads = nt;

	size_t nc = ev->cores ? ev->ncores : 0;
	if (nc > EVENT_MAX_CORES)
		nc = EVENT_MAX_CORES;
	if (nc != r->ncores) {
		free(r->cores_now);
		free(r->core_hist);
		r->cores_now = nc ? calloc(nc, sizeof(*r->cores_now)) : NULL;
		r->core_hist = nc ? calloc(nc * MODEL_CORE_HISTORY, sizeof(*r->core_hist)) : NULL;
		r->ncores = (r->cores_now && r->core_hist) ? nc : 0;
		if (r->ncores == 0) {
			free(r->cores_now);
			free(r->core_hist);
			r->cores_now = NULL;
			r->core_hist = NULL;
		}
		r->hist_len = 0;
		r->hist_head = 0;
	}
	if (nc > 0 && r->ncores == nc) {
		for (size_t c = 0; c < nc; c++) {
			double v = isfinite(ev->cores[c]) ? ev->cores[c] : 0.0;
			v = v < 0 ? 0 : v > 1 ? 1 : v;
			r->cores_now[c] = v;
			r->core_hist[c * MODEL_CORE_HISTORY + (size_t)r->hist_head] = (float)v;
		}
		r->hist_head = (r->hist_head + 1) % MODEL_CORE_HISTORY;
		if (r->hist_len < MODEL_CORE_HISTORY)
			r->hist_len++;
	}
	if (ev->has & HAS_INTERVAL)
		r->interval_ms = ev->interval_ms;
	r->threads_ms = now_ms;
	return dirty;
}

/* Apply a message: a line, and the agent's last message. */
static unsigned apply_message(Model *m, int rt, const Event *ev, int64_t now_ms)
{
	const EvMessage *msg = &ev->u.message;
	unsigned dirty = DIRTY_LINES;
	int role = (unsigned)msg->role < ROLE_COUNT ? (int)msg->role : ROLE_ASSISTANT;

	line_push(m, rt, LINE_MESSAGE, role, ev->ts, msg->agent, msg->task, msg->text);
	int ai = msg->agent ? agent_touch(m, rt, msg->agent, now_ms) : -1;
	if (ai >= 0) {
		ModelAgent *a = &m->agents[ai];
		sset(&a->last_message, msg->text ? msg->text : "", MODEL_LINE_TEXT_MAX);
		a->last_message_ms = now_ms;
		dirty |= DIRTY_AGENTS;
	}
	return dirty;
}

/* Apply a log line. */
static unsigned apply_log(Model *m, int rt, const Event *ev, int64_t now_ms)
{
	const EvLog *lg = &ev->u.log;
	int level = (unsigned)lg->level < LOG_LEVEL_COUNT ? (int)lg->level : LOG_INFO;
	unsigned dirty = DIRTY_LINES;

	line_push(m, rt, LINE_LOG, level, ev->ts, lg->agent, lg->task, lg->text);
	if (lg->agent && agent_touch(m, rt, lg->agent, now_ms) >= 0)
		dirty |= DIRTY_AGENTS;
	return dirty;
}

/* Apply an ack: the command's new state, and a line either way. */
static unsigned apply_ack(Model *m, int rt, const Event *ev, int64_t now_ms)
{
	const EvAck *ack = &ev->u.ack;
	const char *cid = ack->command ? ack->command : "";
	AckStatus st = (unsigned)ack->status < ACK_STATUS_COUNT ? ack->status : ACK_REJECTED;
	const char *err = ack->error;
	char text[MODEL_LINE_TEXT_MAX + 1];
	unsigned dirty = DIRTY_LINES;

	int ci = strmap_get(&m->command_map, cid, utf8_cut(cid, sizeof(m->commands[0].id) - 1));
	if (ci >= 0 && m->commands[ci].runtime == rt) {
		ModelCommand *c = &m->commands[ci];
		/* Never step back from a final answer: a late "accepted" after "applied"
		 * (or a repeated ack) changes nothing. */
		if (c->state != CMD_APPLIED && c->state != CMD_REJECTED) {
			c->state = ack_cmd_state[st];
			c->acked_ms = now_ms;
			if (err)
				sset(&c->error, err, EVENT_TEXT_MAX);
		}
		dirty |= DIRTY_COMMANDS;
		snprintf(text, sizeof(text), "%s %s%s%.128s: %s%s%.900s", c->id,
		         command_action_names[c->action], c->target && *c->target ? " " : "",
		         c->target ? c->target : "", ack_status_names[st], err ? ": " : "",
		         err ? err : "");
	} else {
		snprintf(text, sizeof(text), "%.64s (another client's command): %s%s%.900s", cid,
		         ack_status_names[st], err ? ": " : "", err ? err : "");
	}
	line_push(m, rt, LINE_ACK, (int)st, ev->ts, NULL, NULL, text);
	return dirty;
}

/* Apply a snapshot: replace the runtime's agents, tasks and usage. */
static unsigned apply_snapshot(Model *m, int rt, const Event *ev, int64_t now_ms)
{
	const EvSnapshot *s = &ev->u.snapshot;
	ModelRuntime *r = &m->runtimes[rt];

	model_purge(m, rt, true);
	tokens_sub(&m->tokens, &r->tokens);
	tokens_sub(&m->unbilled, &r->unbilled);
	m->billed_usd -= r->billed_usd;
	if (m->billed_usd < 0)
		m->billed_usd = 0;
	memset(&r->tokens, 0, sizeof(r->tokens));
	memset(&r->unbilled, 0, sizeof(r->unbilled));
	r->billed_usd = 0;
	for (size_t i = 0; s->agents && i < s->nagents; i++)
		agent_upsert(m, rt, &s->agents[i], now_ms);
	for (size_t i = 0; s->tasks && i < s->ntasks; i++)
		task_upsert(m, rt, &s->tasks[i], ev->ts, now_ms);
	for (size_t i = 0; s->usage && i < s->nusage; i++)
		usage_apply(m, rt, &s->usage[i], now_ms, true);
	return DIRTY_AGENTS | DIRTY_TASKS | DIRTY_USAGE | DIRTY_HEADER | DIRTY_RUNTIMES |
	       DIRTY_LINES;
}

/* Apply one decoded event from runtime rt at time now_ms; returns DIRTY_* bits.
 * info (may be NULL) says whether it was a duplicate or opened a gap. */
unsigned model_apply(Model *m, int rt, const Event *ev, int64_t now_ms, ApplyInfo *info)
{
	if (info)
		memset(info, 0, sizeof(*info));
	if (m == NULL || ev == NULL || rt < 0 || (size_t)rt >= m->nruntimes ||
	    (unsigned)ev->type >= EV_COUNT)
		return 0;
	ModelRuntime *r = &m->runtimes[rt];
	unsigned dirty = 0;

	m->generation++;
	if (ev->type == EV_HELLO)
		return apply_hello(m, rt, &ev->u.hello, now_ms, info);

	if (ev->seq <= r->last_seq) {
		r->duplicates++;
		if (info)
			info->duplicate = true;
		return DIRTY_RUNTIMES;
	}
	if (ev->type == EV_SNAPSHOT) {
		gap_record(m, rt, r->last_seq + 1, ev->seq, now_ms, info);
		dirty |= DIRTY_RUNTIMES | DIRTY_LINES | DIRTY_HEADER;
	} else if (ev->seq > r->last_seq + 1) {
		gap_record(m, rt, r->last_seq + 1, ev->seq - 1, now_ms, info);
		dirty |= DIRTY_RUNTIMES | DIRTY_LINES | DIRTY_HEADER;
	}
	r->last_seq = ev->seq;
	r->last_ts = ev->ts;
	r->last_event_ms = now_ms;
	if (ev->type == EV_UNKNOWN) {
		r->unknown++;
		return dirty | DIRTY_RUNTIMES;
	}
	r->events++;
	m->events++;

	switch (ev->type) {
	case EV_AGENT:
		dirty |= agent_upsert(m, rt, &ev->u.agent, now_ms);
		break;
	case EV_TASK:
		dirty |= task_upsert(m, rt, &ev->u.task, ev->ts, now_ms);
		break;
	case EV_USAGE:
		dirty |= usage_apply(m, rt, &ev->u.usage, now_ms, false);
		break;
	case EV_THREADS:
		dirty |= apply_threads(m, rt, &ev->u.threads, now_ms);
		break;
	case EV_MESSAGE:
		dirty |= apply_message(m, rt, ev, now_ms);
		break;
	case EV_LOG:
		dirty |= apply_log(m, rt, ev, now_ms);
		break;
	case EV_ACK:
		dirty |= apply_ack(m, rt, ev, now_ms);
		break;
	case EV_SNAPSHOT:
		dirty |= apply_snapshot(m, rt, ev, now_ms);
		break;
	default:
		break;
	}
	return dirty;
}

/* ---- local notices ---- */

/* Record a rejected message (counted; reason kept and logged as a local line). */
unsigned model_reject(Model *m, int rt, const char *reason, int64_t now_ms)
{
	if (m == NULL || rt < 0 || (size_t)rt >= m->nruntimes)
		return 0;
	ModelRuntime *r = &m->runtimes[rt];
	const char *why = reason ? reason : "unknown reason";
	r->rejects++;
	sset(&r->last_reject, why, EVENT_NAME_MAX);
	line_localf(m, rt, LOG_WARN, now_ms, "rejected message: %.900s", why);
	m->generation++;
	return DIRTY_RUNTIMES | DIRTY_HEADER | DIRTY_LINES;
}

/* The client subscribed from seq since: move last_seq forward (never back). */
void model_resume_from(Model *m, int rt, int64_t since)
{
	if (rt >= 0 && (size_t)rt < m->nruntimes && m->runtimes[rt].last_seq < since)
		m->runtimes[rt].last_seq = since;
}

/* Set a runtime's connection state (reason may be NULL; retry_at_ms for reconnecting). */
unsigned model_set_conn(Model *m, int rt, ConnState st, const char *reason,
                        int64_t retry_at_ms, int64_t now_ms)
{
	if (m == NULL || rt < 0 || (size_t)rt >= m->nruntimes || (unsigned)st >= CONN_STATE_COUNT)
		return 0;
	ModelRuntime *r = &m->runtimes[rt];
	bool same_reason = (reason == NULL && r->conn_reason == NULL) ||
	                   (reason && r->conn_reason && strcmp(reason, r->conn_reason) == 0);
	if (st == r->conn && same_reason && r->retry_at_ms == retry_at_ms)
		return 0;
	bool changed = st != r->conn || !same_reason;
	if (st != r->conn)
		r->conn_since_ms = now_ms;
	r->conn = st;
	sset(&r->conn_reason, reason, EVENT_NAME_MAX);
	r->retry_at_ms = st == CONN_RECONNECTING ? retry_at_ms : 0;
	m->generation++;
	if (!changed)
		return DIRTY_HEADER | DIRTY_RUNTIMES;
	const char *who = r->id ? r->id : r->url ? r->url : "";
	long long in_s = (long long)((retry_at_ms - now_ms + 999) / 1000);
	if (st == CONN_RECONNECTING && retry_at_ms > now_ms)
		line_localf(m, rt, conn_state_level[st], now_ms,
		            "%.256s: reconnecting in %lld s%s%.256s", who, in_s,
		            reason ? ": " : "", reason ? reason : "");
	else
		line_localf(m, rt, conn_state_level[st], now_ms, "%.256s: %s%s%.256s", who,
		            conn_state_names[st], reason ? ": " : "", reason ? reason : "");
	return DIRTY_HEADER | DIRTY_RUNTIMES | DIRTY_LINES;
}

/* Append one of swarmtop's own notices to the line ring. */
unsigned model_note(Model *m, int rt, LogLevel level, const char *text, int64_t now_ms)
{
	if (m == NULL)
		return 0;
	if ((unsigned)level >= LOG_LEVEL_COUNT)
		level = LOG_INFO;
	line_push(m, rt, LINE_LOCAL, (int)level, now_ms, NULL, NULL, text ? text : "");
	m->generation++;
	return DIRTY_LINES;
}

/* ---- commands ---- */

/* Drop the oldest COMMANDS_DROP commands, fixing every index that points at commands. */
static void commands_drop_oldest(Model *m)
{
	size_t d = COMMANDS_DROP < m->ncommands ? COMMANDS_DROP : m->ncommands;
	for (size_t i = 0; i < d; i++)
		command_clear(&m->commands[i]);
	memmove(m->commands, m->commands + d, (m->ncommands - d) * sizeof(*m->commands));
	m->ncommands -= d;
	strmap_clear(&m->command_map);
	for (size_t i = 0; i < m->ncommands; i++)
		strmap_put(&m->command_map, m->commands[i].id, strlen(m->commands[i].id), (int)i);
	for (size_t i = 0; i < m->nagents; i++) {
		int *lc = &m->agents[i].last_command;
		*lc = *lc >= (int)d ? *lc - (int)d : -1;
	}
	for (size_t i = 0; i < m->ntasks; i++) {
		int *lc = &m->tasks[i].last_command;
		*lc = *lc >= (int)d ? *lc - (int)d : -1;
	}
}

/* Record a command as sent (state CMD_SENT) or refused locally (CMD_REFUSED with error).
 * Returns its index in commands. */
int model_command(Model *m, int rt, const Command *cmd, const char *who, CmdState st,
                  const char *error, int64_t now_ms)
{
	if (m == NULL || cmd == NULL || rt < 0 || (size_t)rt >= m->nruntimes ||
	    (unsigned)st >= CMD_STATE_COUNT || (unsigned)cmd->action >= ACTION_COUNT ||
	    (unsigned)cmd->target_kind >= TARGET_KIND_COUNT)
		return -1;
	size_t idlen = strnlen(cmd->id, sizeof(cmd->id) - 1);
	int ci = strmap_get(&m->command_map, cmd->id, idlen);
	ModelCommand *c;
	if (ci >= 0) {
		/* The same id again: a resend after a reconnect. */
		c = &m->commands[ci];
		c->state = st;
		c->sent_ms = now_ms;
		c->acked_ms = 0;
		sset(&c->error, error, EVENT_TEXT_MAX);
	} else {
		if (m->ncommands >= MODEL_COMMANDS_MAX)
			commands_drop_oldest(m);
		if (grow((void **)&m->commands, m->ncommands, &m->cap_commands,
		         sizeof(*m->commands)))
			return -1;
		ci = (int)m->ncommands;
		c = &m->commands[ci];
		memset(c, 0, sizeof(*c));
		memcpy(c->id, cmd->id, idlen);
		c->id[idlen] = '\0';
		if (strmap_put(&m->command_map, c->id, idlen, ci) != 0)
			return -1;
		m->ncommands++;
		c->runtime = rt;
		c->action = cmd->action;
		c->target_kind = cmd->target_kind;
		c->target = sdup(cmd->target, EVENT_ID_MAX);
		c->text = sdup(cmd->text, EVENT_TEXT_MAX);
		c->reason = sdup(cmd->reason, EVENT_TEXT_MAX);
		c->who = sdup(who, EVENT_NAME_MAX);
		c->error = sdup(error, EVENT_TEXT_MAX);
		c->state = st;
		c->sent_ms = now_ms;
	}
	if (cmd->target_kind == TARGET_AGENT) {
		int ai = model_find_agent(m, rt, cmd->target);
		if (ai >= 0)
			m->agents[ai].last_command = ci;
	} else if (cmd->target_kind == TARGET_TASK) {
		int ti = model_find_task(m, rt, cmd->target);
		if (ti >= 0)
			m->tasks[ti].last_command = ci;
	}
	char text[MODEL_LINE_TEXT_MAX + 1];
	snprintf(text, sizeof(text), "%s %s %s%s%.128s%s%.300s%s", c->id,
	         command_action_names[c->action], target_kind_names[c->target_kind],
	         c->target && *c->target ? " " : "", c->target ? c->target : "",
	         st == CMD_REFUSED ? ": refused: " : c->reason ? " (reason: " : "",
	         st == CMD_REFUSED ? (c->error ? c->error : "") : c->reason ? c->reason : "",
	         st != CMD_REFUSED && c->reason ? ")" : "");
	line_push(m, rt, LINE_COMMAND, (int)st, now_ms, NULL, NULL, text);
	m->generation++;
	return ci;
}

/* Time passes: unanswered commands, rate windows. Returns DIRTY_* bits. */
unsigned model_tick(Model *m, int64_t now_ms)
{
	unsigned dirty = 0;
	if (m == NULL)
		return 0;
	for (size_t i = 0; i < m->ncommands; i++) {
		ModelCommand *c = &m->commands[i];
		if ((c->state == CMD_SENT || c->state == CMD_ACCEPTED) &&
		    now_ms - c->sent_ms >= MODEL_ACK_TIMEOUT_MS) {
			c->state = CMD_UNANSWERED;
			line_localf(m, c->runtime, LOG_WARN, now_ms,
			            "command %s (%s %s%s%.128s) unanswered after %d s", c->id,
			            command_action_names[c->action],
			            target_kind_names[c->target_kind],
			            c->target && *c->target ? " " : "", c->target ? c->target : "",
			            MODEL_ACK_TIMEOUT_MS / 1000);
			dirty |= DIRTY_COMMANDS | DIRTY_LINES;
		}
	}
	if (dirty)
		m->generation++;
	/* Rates slide with time even without events: redraw while any are non-zero. */
	double recent[2];
	rate_series(&m->rate, now_ms, recent, 2);
	if (recent[0] > 0 || recent[1] > 0 || rate_per_sec(&m->rate, now_ms, 60) > 0)
		dirty |= DIRTY_HEADER | DIRTY_USAGE;
	return dirty;
}

/* ---- reading helpers ---- */

/* The i-th per-core history sample of core c, oldest first (0 <= i < hist_len). */
float model_core_sample(const ModelRuntime *r, size_t c, int i)
{
	if (r == NULL || c >= r->ncores || i < 0 || i >= r->hist_len || r->core_hist == NULL)
		return 0.0f;
	int idx = (r->hist_head - r->hist_len + i + 2 * MODEL_CORE_HISTORY) % MODEL_CORE_HISTORY;
	return r->core_hist[c * MODEL_CORE_HISTORY + (size_t)idx];
}

/* True when a working agent has had no event for stuck_ms. */
bool model_agent_stuck(const ModelAgent *a, int64_t now_ms, int64_t stuck_ms)
{
	return a != NULL && stuck_ms > 0 && a->status == AGENT_WORKING &&
	       now_ms - a->last_event_ms >= stuck_ms;
}

/* ---- dump ---- */

typedef struct DumpBuf {
	char *s;
	size_t len, cap;
	bool oom;
} DumpBuf;

/* Append printf-style text to the dump. */
static void dumpf(DumpBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dumpf(DumpBuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t nc = b->cap * 2 + (size_t)n + 1;
		char *ns = realloc(b->s, nc);
		if (ns == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = nc;
	}
}

/* Append s quoted, with bytes outside printable ASCII as \xNN (NULL as -). */
static void dumpq(DumpBuf *b, const char *s)
{
	if (s == NULL) {
		dumpf(b, "-");
		return;
	}
	dumpf(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			dumpf(b, "\\x%02x", *p);
		else
			dumpf(b, "%c", *p);
	}
	dumpf(b, "\"");
}

/* Append a Tokens value. */
static void dumpt(DumpBuf *b, const char *name, const Tokens *t)
{
	dumpf(b, " %s=%lld/%lld/%lld/%lld/%lld", name, (long long)t->input, (long long)t->output,
	      (long long)t->cache_read, (long long)t->cache_write, (long long)t->reasoning);
}

typedef struct DumpKey {
	const char *a, *b, *c, *d;
	int idx;
} DumpKey;

/* Compare two optional strings, NULL first. */
static int cmp_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* qsort order of DumpKeys: by a, b, c, d, then index. */
static int dumpkey_cmp(const void *pa, const void *pb)
{
	const DumpKey *x = pa, *y = pb;
	int c;
	if ((c = cmp_str(x->a, y->a)) || (c = cmp_str(x->b, y->b)) || (c = cmp_str(x->c, y->c)) ||
	    (c = cmp_str(x->d, y->d)))
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The name a runtime has in the dump: its hello id, else its slot. */
static const char *dump_rt(const Model *m, int rt, char buf[24])
{
	if (rt >= 0 && (size_t)rt < m->nruntimes && m->runtimes[rt].id != NULL)
		return m->runtimes[rt].id;
	snprintf(buf, 24, "#%d", rt);
	return buf;
}

/* Sorted indexes of n items described by keys (freed by the caller); NULL when n is 0. */
static DumpKey *dump_sorted(DumpKey *keys, size_t n)
{
	if (keys != NULL && n > 1)
		qsort(keys, n, sizeof(*keys), dumpkey_cmp);
	return keys;
}

/* Canonical text dump of the model's state (sorted, no wall-clock fields), for
 * determinism tests. Returns a malloc'd NUL-terminated string. */
char *model_dump(const Model *m)
{
	DumpBuf b = {.s = malloc(4096), .cap = 4096};
	char rb[24], rb2[24];
	if (b.s == NULL)
		return NULL;
	b.s[0] = '\0';
	if (m == NULL)
		return b.s;

	/* Runtime slots get synthetic names, so sort them by id too. */
	size_t nmax = m->nruntimes;
	if (m->nagents > nmax)
		nmax = m->nagents;
	if (m->ntasks > nmax)
		nmax = m->ntasks;
	if (m->nusage > nmax)
		nmax = m->nusage;
	if (m->ncommands > nmax)
		nmax = m->ncommands;
	DumpKey *k = calloc(nmax ? nmax : 1, sizeof(*k));
	char (*names)[24] = calloc(m->nruntimes ? m->nruntimes : 1, sizeof(*names));
	if (k == NULL || names == NULL) {
		free(k);
		free(names);
		free(b.s);
		return NULL;
	}

	dumpf(&b, "model events=%llu", (unsigned long long)m->events);
	dumpt(&b, "tokens", &m->tokens);
	dumpt(&b, "unbilled", &m->unbilled);
	dumpf(&b, " billed=%.6f\n", m->billed_usd);

	for (size_t i = 0; i < m->nruntimes; i++)
		k[i] = (DumpKey){.a = dump_rt(m, (int)i, names[i]), .idx = (int)i};
	dump_sorted(k, m->nruntimes);
	for (size_t j = 0; j < m->nruntimes; j++) {
		const ModelRuntime *r = &m->runtimes[k[j].idx];
		dumpf(&b, "runtime ");
		dumpq(&b, k[j].a);
		dumpf(&b, " instance=");
		dumpq(&b, r->instance);
		dumpf(&b, " name=");
		dumpq(&b, r->name);
		dumpf(&b, " host=");
		dumpq(&b, r->host);
		dumpf(&b, " lang=");
		dumpq(&b, r->lang);
		dumpf(&b, "/");
		dumpq(&b, r->lang_version);
		dumpf(&b, " pid=%lld cores=%lld ft=%d started=%lld proto=%lld caps=%u hello=%d",
		      (long long)r->pid, (long long)r->cores, r->free_threaded,
		      (long long)r->started_ts, (long long)r->proto, r->caps, r->hello_seen);
		dumpf(&b, " last_seq=%lld last_ts=%lld events=%llu rejects=%llu unknown=%llu"
		      " duplicates=%llu gaps=%llu gap_events=%llu",
		      (long long)r->last_seq, (long long)r->last_ts, (unsigned long long)r->events,
		      (unsigned long long)r->rejects, (unsigned long long)r->unknown,
		      (unsigned long long)r->duplicates, (unsigned long long)r->gaps,
		      (unsigned long long)r->gap_events);
		dumpt(&b, "tokens", &r->tokens);
		dumpt(&b, "unbilled", &r->unbilled);
		dumpf(&b, " billed=%.6f interval=%lld\n", r->billed_usd, (long long)r->interval_ms);
		dumpf(&b, "  cores");
		for (size_t c = 0; c < r->ncores; c++)
			dumpf(&b, " %.3f", r->cores_now[c]);
		dumpf(&b, " hist=%d\n", r->hist_len);
		for (size_t t = 0; t < r->nthreads; t++) {
			const ModelThread *th = &r->threads[t];
			dumpf(&b, "  thread %lld ", (long long)th->tid);
			dumpq(&b, th->name);
			dumpf(&b, " core=%lld cpu=%.3f agent=", (long long)th->core, th->cpu);
			dumpq(&b, th->agent);
			dumpf(&b, " task=");
			dumpq(&b, th->task);
			dumpf(&b, "\n");
		}
	}

	for (size_t i = 0; i < m->nagents; i++)
		k[i] = (DumpKey){.a = dump_rt(m, m->agents[i].runtime, names[m->agents[i].runtime]),
		                 .b = m->agents[i].id, .idx = (int)i};
	dump_sorted(k, m->nagents);
	for (size_t j = 0; j < m->nagents; j++) {
		const ModelAgent *a = &m->agents[k[j].idx];
		dumpf(&b, "agent ");
		dumpq(&b, k[j].a);
		dumpf(&b, " ");
		dumpq(&b, a->id);
		dumpf(&b, " name=");
		dumpq(&b, a->name);
		dumpf(&b, " role=");
		dumpq(&b, a->role);
		dumpf(&b, " model=");
		dumpq(&b, a->model);
		dumpf(&b, " parent=");
		dumpq(&b, a->parent);
		dumpf(&b, " parent_linked=");
		dumpq(&b, a->parent_idx >= 0 ? m->agents[a->parent_idx].id : NULL);
		dumpf(&b, " status=%s current=", agent_status_names[a->status]);
		dumpq(&b, a->current_task >= 0 ? m->tasks[a->current_task].id : NULL);
		dumpf(&b, " ntasks=%d done=%d failed=%d created=%lld status_ms=%lld last=%lld",
		      a->ntasks, a->ntasks_done, a->ntasks_failed, (long long)a->created_ms,
		      (long long)a->status_ms, (long long)a->last_event_ms);
		dumpt(&b, "tokens", &a->tokens);
		dumpt(&b, "unbilled", &a->unbilled);
		dumpf(&b, " billed=%.6f cpu=%.3f msg=", a->billed_usd, a->cpu);
		dumpq(&b, a->last_message);
		dumpf(&b, " msg_ms=%lld\n", (long long)a->last_message_ms);
	}

	for (size_t i = 0; i < m->ntasks; i++)
		k[i] = (DumpKey){.a = dump_rt(m, m->tasks[i].runtime, names[m->tasks[i].runtime]),
		                 .b = m->tasks[i].id, .idx = (int)i};
	dump_sorted(k, m->ntasks);
	for (size_t j = 0; j < m->ntasks; j++) {
		const ModelTask *t = &m->tasks[k[j].idx];
		dumpf(&b, "task ");
		dumpq(&b, k[j].a);
		dumpf(&b, " ");
		dumpq(&b, t->id);
		dumpf(&b, " agent=");
		dumpq(&b, t->agent_id);
		dumpf(&b, " linked=%d name=", t->agent >= 0);
		dumpq(&b, t->name);
		dumpf(&b, " kind=");
		dumpq(&b, t->kind);
		dumpf(&b, " parent=");
		dumpq(&b, t->parent);
		dumpf(&b, " status=%s attempt=%lld deps=[", task_status_names[t->status],
		      (long long)t->attempt);
		for (size_t d = 0; d < t->ndeps; d++) {
			dumpf(&b, d ? "," : "");
			dumpq(&b, t->deps[d]);
		}
		dumpf(&b, "] error=");
		dumpq(&b, t->error);
		dumpf(&b, " input=");
		dumpq(&b, t->input);
		dumpf(&b, " output=");
		dumpq(&b, t->output);
		dumpf(&b, " ts=%lld/%lld/%lld ms=%lld/%lld\n", (long long)t->created_ts,
		      (long long)t->started_ts, (long long)t->ended_ts, (long long)t->created_ms,
		      (long long)t->status_ms);
	}

	for (size_t i = 0; i < m->nusage; i++) {
		const ModelUsage *u = &m->usage[i];
		k[i] = (DumpKey){.a = dump_rt(m, u->runtime, names[u->runtime]), .b = u->agent,
		                 .c = u->provider, .d = u->model, .idx = (int)i};
	}
	dump_sorted(k, m->nusage);
	for (size_t j = 0; j < m->nusage; j++) {
		const ModelUsage *u = &m->usage[k[j].idx];
		dumpf(&b, "usage ");
		dumpq(&b, k[j].a);
		dumpf(&b, " ");
		dumpq(&b, u->agent);
		dumpf(&b, " ");
		dumpq(&b, u->provider);
		dumpf(&b, " ");
		dumpq(&b, u->model);
		dumpf(&b, " calls=%llu", (unsigned long long)u->calls);
		dumpt(&b, "tokens", &u->tokens);
		dumpt(&b, "unbilled", &u->unbilled);
		dumpf(&b, " billed=%.6f\n", u->billed_usd);
	}

	for (size_t i = 0; i < m->ncommands; i++)
		k[i] = (DumpKey){.a = m->commands[i].id, .idx = (int)i};
	dump_sorted(k, m->ncommands);
	for (size_t j = 0; j < m->ncommands; j++) {
		const ModelCommand *c = &m->commands[k[j].idx];
		dumpf(&b, "command ");
		dumpq(&b, c->id);
		dumpf(&b, " rt=");
		dumpq(&b, dump_rt(m, c->runtime, rb));
		dumpf(&b, " %s %s ", command_action_names[c->action],
		      target_kind_names[c->target_kind]);
		dumpq(&b, c->target);
		dumpf(&b, " text=");
		dumpq(&b, c->text);
		dumpf(&b, " reason=");
		dumpq(&b, c->reason);
		dumpf(&b, " who=");
		dumpq(&b, c->who);
		dumpf(&b, " state=%s error=", cmd_state_names[c->state]);
		dumpq(&b, c->error);
		dumpf(&b, " sent=%lld acked=%lld\n", (long long)c->sent_ms, (long long)c->acked_ms);
	}

	for (size_t i = 0; i < m->ngaps; i++) {
		const ModelGap *g = &m->gaps[i];
		dumpf(&b, "gap ");
		dumpq(&b, dump_rt(m, g->runtime, rb));
		dumpf(&b, " ");
		dumpq(&b, g->instance);
		dumpf(&b, " %lld..%lld at=%lld\n", (long long)g->from, (long long)g->to,
		      (long long)g->at_ms);
	}

	static const char *const line_kind_names[LINE_KIND_COUNT] = {
		[LINE_MESSAGE] = "message", [LINE_LOG] = "log", [LINE_ACK] = "ack",
		[LINE_COMMAND] = "command", [LINE_LOCAL] = "local",
	};
	for (size_t i = 0; i < m->nlines; i++) {
		const ModelLine *l = model_line(m, i);
		if (l->kind == LINE_LOCAL || l->kind == LINE_COMMAND)
			continue;   /* this client's own doings: differ between live and replay */
		dumpf(&b, "line %s/%d rt=", line_kind_names[l->kind], l->sub);
		dumpq(&b, dump_rt(m, l->runtime, rb2));
		dumpf(&b, " ts=%lld agent=", (long long)l->ts);
		dumpq(&b, l->agent);
		dumpf(&b, " task=");
		dumpq(&b, l->task);
		dumpf(&b, " ");
		dumpq(&b, l->text);
		dumpf(&b, "\n");
	}
	free(k);
	free(names);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
