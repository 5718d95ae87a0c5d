/*
 * model_copy.c: deep copies of a Model (replay checkpoints) and an estimate
 * of the heap bytes a model holds (to bound checkpoint memory).
 *
 * Owns: model_clone, model_bytes. A clone shares nothing with its source:
 * every string, array, id map, wait list key and line block is copied, so
 * either can be folded further or freed independently. Index fields (agent,
 * task, parent_idx, wait lists, last_command) are plain indexes and are kept
 * as they are, which is why the arrays keep their order.
 *
 * Pure: no I/O, no clock. Must not write the source model; out of memory is a
 * NULL return (never a partial model).
 */
#include "swarmtop/model.h"

#include <stdlib.h>
#include <string.h>

typedef struct Copy {
	bool oom;    /* some allocation failed: the clone is freed, NULL returned */
} Copy;

/* A malloc'd copy of s (NULL for NULL). */
static char *cp_str(Copy *c, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d == NULL) {
		c->oom = true;
		return NULL;
	}
	memcpy(d, s, n + 1);
	return d;
}

/* A malloc'd copy of n elements of size sz (NULL when n is 0 or src is NULL). */
static void *cp_mem(Copy *c, const void *src, size_t n, size_t sz)
{
	if (src == NULL || n == 0)
		return NULL;
	void *d = malloc(n * sz);
	if (d == NULL) {
		c->oom = true;
		return NULL;
	}
	memcpy(d, src, n * sz);
	return d;
}

/* Copy a StrMap's slots and keys into dst. */
static void cp_map(Copy *c, StrMap *dst, const StrMap *src)
{
	strmap_init(dst);
	if (src->slots == NULL || src->cap == 0)
		return;
	dst->slots = calloc(src->cap, sizeof(*dst->slots));
	if (dst->slots == NULL) {
		c->oom = true;
		return;
	}
	dst->cap = src->cap;
	for (size_t i = 0; i < src->cap; i++) {
		const StrMapSlot *s = &src->slots[i];
		if (s->key == NULL)
			continue;
		char *k = malloc(s->klen + 1);
		if (k == NULL) {
			c->oom = true;
			return;
		}
		memcpy(k, s->key, s->klen + 1);
		dst->slots[i] = *s;
		dst->slots[i].key = k;
		dst->count++;
	}
}

/* Copy one runtime: strings, thread sample, core arrays. */
static void cp_runtime(Copy *c, ModelRuntime *d, const ModelRuntime *s)
{
	*d = *s;
	d->url = cp_str(c, s->url);
	d->id = cp_str(c, s->id);
	d->instance = cp_str(c, s->instance);
	d->name = cp_str(c, s->name);
	d->host = cp_str(c, s->host);
	d->lang = cp_str(c, s->lang);
	d->lang_version = cp_str(c, s->lang_version);
	d->conn_reason = cp_str(c, s->conn_reason);
	d->last_reject = cp_str(c, s->last_reject);
	d->threads = NULL;
	d->nthreads = 0;
	if (s->threads != NULL && s->nthreads > 0) {
		d->threads = calloc(s->nthreads, sizeof(*d->threads));
		if (d->threads == NULL) {
			c->oom = true;
		} else {
			d->nthreads = s->nthreads;
			for (size_t i = 0; i < s->nthreads; i++) {
				d->threads[i] = s->threads[i];
				d->threads[i].name = cp_str(c, s->threads[i].name);
				d->threads[i].agent = cp_str(c, s->threads[i].agent);
				d->threads[i].task = cp_str(c, s->threads[i].task);
			}
		}
	}
	d->cores_now = cp_mem(c, s->cores_now, s->ncores, sizeof(*s->cores_now));
	d->core_hist = cp_mem(c, s->core_hist, s->ncores * MODEL_CORE_HISTORY,
	                      sizeof(*s->core_hist));
}

/* Copy one agent's strings. */
static void cp_agent(Copy *c, ModelAgent *d, const ModelAgent *s)
{
	*d = *s;
	d->id = cp_str(c, s->id);
	d->name = cp_str(c, s->name);
	d->role = cp_str(c, s->role);
	d->model = cp_str(c, s->model);
	d->parent = cp_str(c, s->parent);
	d->last_message = cp_str(c, s->last_message);
}

/* Copy one task's strings and deps. */
static void cp_task(Copy *c, ModelTask *d, const ModelTask *s)
{
	*d = *s;
	d->id = cp_str(c, s->id);
	d->agent_id = cp_str(c, s->agent_id);
	d->name = cp_str(c, s->name);
	d->kind = cp_str(c, s->kind);
	d->parent = cp_str(c, s->parent);
	d->error = cp_str(c, s->error);
	d->input = cp_str(c, s->input);
	d->output = cp_str(c, s->output);
	d->deps = NULL;
	d->ndeps = 0;
	if (s->deps != NULL && s->ndeps > 0) {
		d->deps = calloc(s->ndeps, sizeof(*d->deps));
		if (d->deps == NULL) {
			c->oom = true;
			return;
		}
		d->ndeps = s->ndeps;
		for (size_t i = 0; i < s->ndeps; i++)
			d->deps[i] = cp_str(c, s->deps[i]);
	}
}

/* Copy one usage row's strings. */
static void cp_usage(Copy *c, ModelUsage *d, const ModelUsage *s)
{
	*d = *s;
	d->agent = cp_str(c, s->agent);
	d->provider = cp_str(c, s->provider);
	d->model = cp_str(c, s->model);
}

/* Copy one command's strings (its id is inline). */
static void cp_command(Copy *c, ModelCommand *d, const ModelCommand *s)
{
	*d = *s;
	d->target = cp_str(c, s->target);
	d->text = cp_str(c, s->text);
	d->reason = cp_str(c, s->reason);
	d->who = cp_str(c, s->who);
	d->error = cp_str(c, s->error);
}

/* Copy one sequence gap (its instance string). */
static void cp_gap(Copy *c, ModelGap *d, const ModelGap *s)
{
	*d = *s;
	d->instance = cp_str(c, s->instance);
}

/* Copy one ring line: text, agent and task live in one block owned by text. */
static void cp_line(Copy *c, ModelLine *d, const ModelLine *s)
{
	*d = *s;
	d->text = NULL;
	d->agent = NULL;
	d->task = NULL;
	if (s->text == NULL)
		return;
	size_t tl = strlen(s->text);
	size_t al = s->agent ? strlen(s->agent) : 0;
	size_t kl = s->task ? strlen(s->task) : 0;
	char *blk = malloc(tl + 1 + al + 1 + kl + 1);
	if (blk == NULL) {
		c->oom = true;
		return;
	}
	char *ap = blk + tl + 1, *kp = ap + al + 1;
	memcpy(blk, s->text, tl + 1);
	ap[0] = '\0';
	kp[0] = '\0';
	if (s->agent)
		memcpy(ap, s->agent, al + 1);
	if (s->task)
		memcpy(kp, s->task, kl + 1);
	d->text = blk;
	d->agent = s->agent ? ap : NULL;
	d->task = s->task ? kp : NULL;
}

/* An array of n elements of size sz with capacity cap (at least n), zeroed; NULL when
 * cap is 0. */
static void *cp_array(Copy *c, size_t cap, size_t sz)
{
	if (cap == 0)
		return NULL;
	void *d = calloc(cap, sz);
	if (d == NULL)
		c->oom = true;
	return d;
}

/*
 * Copy m's array f (with its count n##f and capacity cap_##f) into d, one element at a
 * time with cp. d's count grows with each element so model_free frees what was copied.
 */
#define CP_ARRAY(c, d, m, f, cp)                                                   \
	do {                                                                       \
		(d)->f = cp_array((c), (m)->cap_##f, sizeof(*(d)->f));             \
		if ((d)->f == NULL)                                                \
			break;                                                     \
		(d)->cap_##f = (m)->cap_##f;                                       \
		for (; (d)->n##f < (m)->n##f; (d)->n##f++)                         \
			cp((c), &(d)->f[(d)->n##f], &(m)->f[(d)->n##f]);           \
	} while (0)

/* A deep copy of m: folding either afterwards never affects the other. NULL when out of
 * memory (or m is NULL). */
Model *model_clone(const Model *m)
{
	if (m == NULL)
		return NULL;
	Copy c = {.oom = false};
	Model *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	*d = *m;
	/* Everything owned starts empty so that model_free works at any failure point. */
	d->runtimes = NULL;
	d->agents = NULL;
	d->tasks = NULL;
	d->usage = NULL;
	d->commands = NULL;
	d->gaps = NULL;
	d->nruntimes = d->nagents = d->ntasks = d->nusage = d->ncommands = d->ngaps = 0;
	d->cap_runtimes = d->cap_agents = d->cap_tasks = d->cap_usage = 0;
	d->cap_commands = d->cap_gaps = 0;
	d->nlines = 0;
	strmap_init(&d->agent_map);
	strmap_init(&d->task_map);
	strmap_init(&d->usage_map);
	strmap_init(&d->command_map);
	strmap_init(&d->agent_wait);
	strmap_init(&d->task_wait);
	d->lines = calloc(MODEL_LINES_MAX, sizeof(*d->lines));
	if (d->lines == NULL) {
		free(d);
		return NULL;
	}

	CP_ARRAY(&c, d, m, runtimes, cp_runtime);
	CP_ARRAY(&c, d, m, agents, cp_agent);
	CP_ARRAY(&c, d, m, tasks, cp_task);
	CP_ARRAY(&c, d, m, usage, cp_usage);
	CP_ARRAY(&c, d, m, commands, cp_command);
	CP_ARRAY(&c, d, m, gaps, cp_gap);
	/* The ring keeps its slots: model_line and the head stay valid as they are. */
	for (size_t i = 0; i < m->nlines; i++) {
		size_t idx = (m->lines_head + MODEL_LINES_MAX - m->nlines + i) % MODEL_LINES_MAX;
		cp_line(&c, &d->lines[idx], &m->lines[idx]);
	}
	d->nlines = m->nlines;
	cp_map(&c, &d->agent_map, &m->agent_map);
	cp_map(&c, &d->task_map, &m->task_map);
	cp_map(&c, &d->usage_map, &m->usage_map);
	cp_map(&c, &d->command_map, &m->command_map);
	cp_map(&c, &d->agent_wait, &m->agent_wait);
	cp_map(&c, &d->task_wait, &m->task_wait);
	if (c.oom) {
		model_free(d);
		return NULL;
	}
	return d;
}

/* Heap bytes of a string (with a typical allocator overhead). */
static size_t str_bytes(const char *s)
{
	return s ? strlen(s) + 1 + 16 : 0;
}

/* Heap bytes of a map's slots and keys. */
static size_t map_bytes(const StrMap *m)
{
	size_t n = m->cap * sizeof(StrMapSlot);
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			n += m->slots[i].klen + 1 + 16;
	return n;
}

/* An estimate of the heap bytes m owns (what a clone of it costs). */
size_t model_bytes(const Model *m)
{
	if (m == NULL)
		return 0;
	size_t n = sizeof(*m) + MODEL_LINES_MAX * sizeof(*m->lines);
	n += m->cap_runtimes * sizeof(*m->runtimes) + m->cap_agents * sizeof(*m->agents) +
	     m->cap_tasks * sizeof(*m->tasks) + m->cap_usage * sizeof(*m->usage) +
	     m->cap_commands * sizeof(*m->commands) + m->cap_gaps * sizeof(*m->gaps);
	for (size_t i = 0; i < m->nruntimes; i++) {
		const ModelRuntime *r = &m->runtimes[i];
		n += str_bytes(r->url) + str_bytes(r->id) + str_bytes(r->instance) +
		     str_bytes(r->name) + str_bytes(r->host) + str_bytes(r->lang) +
		     str_bytes(r->lang_version) + str_bytes(r->conn_reason) +
		     str_bytes(r->last_reject);
		n += r->nthreads * sizeof(*r->threads);
		for (size_t t = 0; t < r->nthreads; t++)
			n += str_bytes(r->threads[t].name) + str_bytes(r->threads[t].agent) +
			     str_bytes(r->threads[t].task);
		n += r->ncores * (sizeof(double) + MODEL_CORE_HISTORY * sizeof(float));
	}
	for (size_t i = 0; i < m->nagents; i++) {
		const ModelAgent *a = &m->agents[i];
		n += str_bytes(a->id) + str_bytes(a->name) + str_bytes(a->role) +
		     str_bytes(a->model) + str_bytes(a->parent) + str_bytes(a->last_message);
	}
	for (size_t i = 0; i < m->ntasks; i++) {
		const ModelTask *t = &m->tasks[i];
		n += str_bytes(t->id) + str_bytes(t->agent_id) + str_bytes(t->name) +
		     str_bytes(t->kind) + str_bytes(t->parent) + str_bytes(t->error) +
		     str_bytes(t->input) + str_bytes(t->output) + t->ndeps * sizeof(char *);
		for (size_t k = 0; k < t->ndeps; k++)
			n += str_bytes(t->deps[k]);
	}
	for (size_t i = 0; i < m->nusage; i++)
		n += str_bytes(m->usage[i].agent) + str_bytes(m->usage[i].provider) +
		     str_bytes(m->usage[i].model);
	for (size_t i = 0; i < m->ncommands; i++) {
		const ModelCommand *c = &m->commands[i];
		n += str_bytes(c->target) + str_bytes(c->text) + str_bytes(c->reason) +
		     str_bytes(c->who) + str_bytes(c->error);
	}
	for (size_t i = 0; i < m->ngaps; i++)
		n += str_bytes(m->gaps[i].instance);
	for (size_t i = 0; i < m->nlines; i++) {
		const ModelLine *l = model_line(m, i);
		n += str_bytes(l->text) + (l->agent ? strlen(l->agent) + 1 : 1) +
		     (l->task ? strlen(l->task) + 1 : 1);
	}
	n += map_bytes(&m->agent_map) + map_bytes(&m->task_map) + map_bytes(&m->usage_map) +
	     map_bytes(&m->command_map) + map_bytes(&m->agent_wait) + map_bytes(&m->task_wait);
	return n;
}
