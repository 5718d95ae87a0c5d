/*
 * taskgraph.c: layered layout of a task DAG (see taskgraph.h).
 *
 * Owns the whole pipeline from model tasks to graph-space coordinates:
 * filter -> resolve deps and parents -> collapse finished work (completed
 * sub-steps fold into their parent) -> parent -> step layout edges -> dedupe edges -> break
 * cycles (DFS back edges reversed) -> longest-path layering (sources pulled
 * next to their first dependent) -> virtual nodes for long edges -> barycentre
 * sweeps keeping the ordering with the fewest crossings -> y by predecessor
 * barycentre, x by layer -> vertical tracks in the channels -> list order.
 * Everything is O((V + E) log V) per build; builds happen only when the
 * structural signature changes.
 *
 * Pure: no I/O, no clock, no drawing; never writes the model.
 */
#include "swarmtop/taskgraph.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "swarmtop/sanitize.h"

#define TG_FNV_OFFSET 1469598103934665603ull
#define TG_FNV_PRIME  1099511628211ull

/* Everything a build needs only while it runs. */
typedef struct TgScratch {
	int *inc; /* included task indexes, ascending */
	int nt;
	int *miss;     /* per task: unknown deps */
	bool *self;    /* per task: depends on itself */
	int *par;      /* per task: parent task (included) or -1 */
	int (*raw)[2]; /* task edges dep -> task */
	int nraw;
	int *uf, *ufsize;       /* union-find over tasks (collapse) */
	bool *fold;             /* per task: folded into a summary */
	bool *absorb;           /* per task: a completed sub-step folded into its parent */
	int *layer;             /* per node */
	int *lfrom, *lto;       /* per edge: layout direction */
	int *pos;               /* per node: index in its layer */
	int *pred_start, *pred; /* segment CSR by target */
	int *succ_start, *succ; /* segment CSR by source */
} TgScratch;

/* calloc that never asks for zero bytes. */
static void *tg_calloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* Mix one 64-bit word into h (multiply-rotate; fast, not cryptographic). */
static uint64_t tg_mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x9E3779B97F4A7C15ull;
	h = (h << 29) | (h >> 35);
	return h * TG_FNV_PRIME + 0x632BE59BD9B4E019ull;
}

/* Hash n bytes eight at a time. */
static uint64_t tg_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = tg_mix(h, w);
	}
	w = 0;
	memcpy(&w, b, n);
	return tg_mix(h, w ^ ((uint64_t)n << 56));
}

/* Hash a string with its length; NULL hashes differently from "". */
static uint64_t tg_hash_str(uint64_t h, const char *s)
{
	if (!s)
		return tg_mix(h, 0xFFFFFFFFFFFFFFFFull);
	return tg_hash(h, s, strlen(s));
}

/* Hash an int. */
static uint64_t tg_hash_int(uint64_t h, int64_t v)
{
	return tg_mix(h, (uint64_t)v);
}

/* True when task t belongs in a graph of runtime rt, agent (-1 = any). */
static bool tg_included(const ModelTask *t, int rt, int agent)
{
	return (rt < 0 || t->runtime == rt) && (agent < 0 || t->agent == agent);
}

/* Display width of a task's label (name, else id), capped. */
static int tg_label_width(const ModelTask *t)
{
	const char *s = t->name && t->name[0] ? t->name : t->id;
	char buf[TG_BOX_W_MAX * 4 + 8];
	size_t len = 0;

	if (!s)
		return 1;
	return sanitize_text(s, strlen(s), buf, sizeof buf, TG_BOX_W_MAX, 0, &len);
}

/* Prepare an empty graph (no allocation). */
void taskgraph_init(TaskGraph *g)
{
	memset(g, 0, sizeof *g);
	g->sweeps = TG_SWEEPS;
	g->runtime = -1;
	g->agent = -1;
}

/* Free what the graph owns; it can be built again. */
void taskgraph_free(TaskGraph *g)
{
	int sweeps = g->sweeps;

	free(g->nodes);
	free(g->edges);
	free(g->segs);
	free(g->runs);
	free(g->layer_x);
	free(g->layer_w);
	free(g->layer_start);
	free(g->by_layer);
	free(g->seg_start);
	free(g->run_start);
	free(g->node_of_task);
	free(g->rows);
	free(g->order);
	free(g->task_hash);
	taskgraph_init(g);
	g->sweeps = sweeps;
}

/* Content hash of one task's structure (0 when it is not in the graph). */
static uint64_t tg_task_hash(const ModelTask *t, size_t i, int rt, int agent, bool collapse)
{
	uint64_t h = TG_FNV_OFFSET;

	if (!tg_included(t, rt, agent))
		return 0;
	h = tg_hash_int(h, (int64_t)i);
	h = tg_hash_int(h, t->runtime);
	h = tg_hash_int(h, t->agent);
	h = tg_hash_str(h, t->id);
	h = tg_hash_str(h, t->name);
	h = tg_hash_str(h, t->parent);
	h = tg_hash_int(h, (int64_t)t->ndeps);
	for (size_t d = 0; d < t->ndeps; d++)
		h = tg_hash_str(h, t->deps[d]);
	if (collapse)
		h = tg_hash_int(h, t->status == TASK_COMPLETED);
	return h | 1;
}

/* Combine per-task hashes (or compute them when hashes is NULL) into the signature. */
static uint64_t tg_signature(const Model *m, int rt, int agent, bool collapse, uint64_t *hashes)
{
	uint64_t h = TG_FNV_OFFSET;

	h = tg_hash_int(h, rt);
	h = tg_hash_int(h, agent);
	h = tg_hash_int(h, collapse);
	h = tg_hash_int(h, (int64_t)m->ntasks);
	for (size_t i = 0; i < m->ntasks; i++) {
		uint64_t th = tg_task_hash(&m->tasks[i], i, rt, agent, collapse);

		if (hashes)
			hashes[i] = th;
		h = tg_mix(h, th);
	}
	return h;
}

/* Fingerprint of the task array without reading any string. */
static uint64_t tg_fingerprint(const Model *m, int rt, int agent, bool collapse)
{
	uint64_t h = TG_FNV_OFFSET;

	h = tg_hash_int(h, (int64_t)m->ntasks);
	for (size_t i = 0; i < m->ntasks; i++) {
		const ModelTask *t = &m->tasks[i];

		if (!tg_included(t, rt, agent))
			continue;
		h = tg_mix(h, (uint64_t)(uintptr_t)t->id ^ (uint64_t)i << 40);
		h = tg_mix(h, (uint64_t)(uintptr_t)t->name ^ (uint64_t)(uintptr_t)t->parent << 7);
		h = tg_mix(h, (uint64_t)(uintptr_t)t->deps ^ (uint64_t)t->ndeps << 48);
		h = tg_mix(h, (uint64_t)(uint32_t)t->agent << 1 |
		                      (uint64_t)(collapse && t->status == TASK_COMPLETED));
	}
	return h;
}

/* Structural signature of a graph's inputs. */
uint64_t taskgraph_signature(const Model *m, int rt, int agent, bool collapse)
{
	return tg_signature(m, rt, agent, collapse, NULL);
}

/* Union-find root with path halving. */
static int tg_find(int *uf, int x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

/* Union by size. */
static void tg_union(int *uf, int *size, int a, int b)
{
	a = tg_find(uf, a);
	b = tg_find(uf, b);
	if (a == b)
		return;
	if (size[a] < size[b]) {
		int t = a;

		a = b;
		b = t;
	}
	uf[b] = a;
	size[a] += size[b];
}

/* Order edges by (from, to), a dependency before a parent link between the same nodes. */
static int tg_edge_cmp(const void *a, const void *b)
{
	const TgEdge *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return (x->sub > y->sub) - (x->sub < y->sub);
}

/* Free the per-task scratch arrays (dead once nodes, edges and the list exist). */
static void tg_scratch_free_tasks(TgScratch *s)
{
	free(s->inc);
	free(s->miss);
	free(s->self);
	free(s->par);
	free(s->raw);
	free(s->uf);
	free(s->ufsize);
	free(s->fold);
	free(s->absorb);
	s->inc = s->miss = s->par = s->uf = s->ufsize = NULL;
	s->self = s->fold = s->absorb = NULL;
	s->raw = NULL;
}

/* Free all scratch arrays. */
static void tg_scratch_free(TgScratch *s)
{
	tg_scratch_free_tasks(s);
	free(s->layer);
	free(s->lfrom);
	free(s->lto);
	free(s->pos);
	free(s->pred_start);
	free(s->pred);
	free(s->succ_start);
	free(s->succ);
}

/* Filter tasks, resolve deps and parents into task-level edges. */
static int tg_resolve(const Model *m, int rt, int agent, TgScratch *s, TaskGraph *g)
{
	size_t n = m->ntasks, ndeps = 0;
	char *in = tg_calloc(n, 1);

	s->inc = tg_calloc(n, sizeof *s->inc);
	s->miss = tg_calloc(n, sizeof *s->miss);
	s->self = tg_calloc(n, sizeof *s->self);
	s->par = tg_calloc(n, sizeof *s->par);
	if (!in || !s->inc || !s->miss || !s->self || !s->par) {
		free(in);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (tg_included(&m->tasks[i], rt, agent)) {
			in[i] = 1;
			s->inc[s->nt++] = (int)i;
			ndeps += m->tasks[i].ndeps;
		}
	}
	s->raw = tg_calloc(ndeps, sizeof *s->raw);
	if (!s->raw) {
		free(in);
		return -1;
	}
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k];
		const ModelTask *t = &m->tasks[i];
		int p;

		for (size_t d = 0; d < t->ndeps; d++) {
			int j = t->deps[d] ? model_find_task(m, t->runtime, t->deps[d]) : -1;

			if (j < 0 || (size_t)j >= n) {
				s->miss[i]++;
				g->nmissing++;
			} else if (j == i) {
				s->self[i] = true;
				g->nself++;
			} else if (in[j]) {
				s->raw[s->nraw][0] = j;
				s->raw[s->nraw][1] = i;
				s->nraw++;
			}
		}
		p = t->parent ? model_find_task(m, t->runtime, t->parent) : -1;
		s->par[i] = (p >= 0 && (size_t)p < n && p != i && in[p]) ? p : -1;
	}
	free(in);
	return 0;
}

/* Decide which completed tasks fold into summaries (union-find groups of >= 2). */
static int tg_collapse(const Model *m, TgScratch *s)
{
	size_t n = m->ntasks;
	bool *ok = tg_calloc(n, sizeof *ok);

	s->uf = tg_calloc(n, sizeof *s->uf);
	s->ufsize = tg_calloc(n, sizeof *s->ufsize);
	s->fold = tg_calloc(n, sizeof *s->fold);
	s->absorb = tg_calloc(n, sizeof *s->absorb);
	if (!ok || !s->uf || !s->ufsize || !s->fold || !s->absorb) {
		free(ok);
		return -1;
	}
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k];

		ok[i] = m->tasks[i].status == TASK_COMPLETED;
		s->uf[i] = i;
		s->ufsize[i] = 1;
	}
	/* a completed task stays visible while something after it is not completed */
	for (int e = 0; e < s->nraw; e++)
		if (m->tasks[s->raw[e][1]].status != TASK_COMPLETED)
			ok[s->raw[e][0]] = false;
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k];

		if (s->par[i] >= 0 && m->tasks[i].status != TASK_COMPLETED)
			ok[s->par[i]] = false;
	}
	/* a completed sub-step with nothing unfinished after or under it folds into the box
	 * of its nearest ancestor that stays visible (unfinished work); under a finished
	 * ancestor it joins that ancestor's summary instead */
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k], j = s->par[i], hops = 0;

		if (!ok[i] || j < 0)
			continue;
		while (ok[j] && s->par[j] >= 0 && hops++ < s->nt)
			j = s->par[j];
		s->absorb[i] = !ok[j];
	}
	for (int e = 0; e < s->nraw; e++)
		if (ok[s->raw[e][0]] && ok[s->raw[e][1]] && !s->absorb[s->raw[e][0]] &&
		    !s->absorb[s->raw[e][1]])
			tg_union(s->uf, s->ufsize, s->raw[e][0], s->raw[e][1]);
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k];

		if (ok[i] && !s->absorb[i] && s->par[i] >= 0 && ok[s->par[i]])
			tg_union(s->uf, s->ufsize, i, s->par[i]);
	}
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k];

		s->fold[i] = ok[i] && !s->absorb[i] && s->ufsize[tg_find(s->uf, i)] >= 2;
	}
	free(ok);
	return 0;
}

/* Box width of a real node. */
static int tg_box_width(const Model *m, const TgNode *nd)
{
	int w;

	if (nd->kind == TG_NODE_SUMMARY) {
		int digits = 1;

		for (int c = nd->count; c >= 10; c /= 10)
			digits++;
		w = 2 + digits + 5 + 4; /* "✓ 14 done" plus borders and padding */
	} else {
		w = tg_label_width(&m->tasks[nd->task]) + 6;
	}
	if (w < TG_BOX_W_MIN)
		w = TG_BOX_W_MIN;
	return w > TG_BOX_W_MAX ? TG_BOX_W_MAX : w;
}

/* Create real nodes (tasks and summaries) and the node-level edges. */
static int tg_nodes_edges(const Model *m, TgScratch *s, TaskGraph *g, bool collapse)
{
	int *group_node = NULL;

	g->node_of_task = tg_calloc(m->ntasks, sizeof *g->node_of_task);
	g->nodes = tg_calloc((size_t)s->nt, sizeof *g->nodes);
	g->edges = tg_calloc((size_t)s->nraw + (size_t)s->nt, sizeof *g->edges);
	if (collapse)
		group_node = tg_calloc(m->ntasks, sizeof *group_node);
	if (!g->node_of_task || !g->nodes || !g->edges || (collapse && !group_node)) {
		free(group_node);
		return -1;
	}
	for (size_t i = 0; i < m->ntasks; i++) {
		g->node_of_task[i] = -1;
		if (group_node)
			group_node[i] = -1;
	}
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k], n;
		TgNode *nd;

		if (collapse && s->absorb[i])
			continue; /* mapped to its parent's node below */
		if (collapse && s->fold[i]) {
			int r = tg_find(s->uf, i);

			if (group_node[r] < 0) {
				group_node[r] = g->nnodes++;
				nd = &g->nodes[group_node[r]];
				nd->kind = TG_NODE_SUMMARY;
				nd->task = i;
				nd->count = s->ufsize[r];
			}
			n = group_node[r];
		} else {
			n = g->nnodes++;
			g->nodes[n].kind = TG_NODE_TASK;
			g->nodes[n].task = i;
			g->nodes[n].count = 1;
		}
		g->nodes[n].edge = -1;
		g->node_of_task[i] = n;
		g->nodes[n].nmissing += s->miss[i];
		g->nodes[n].self_dep |= s->self[i];
	}
	free(group_node);
	for (int k = 0; collapse && k < s->nt; k++) {
		int i = s->inc[k], j = s->par[i], hops = 0;

		if (!s->absorb[i])
			continue;
		/* the nearest ancestor that kept a box (a parent chain ends within nt hops) */
		while (j >= 0 && s->absorb[j] && s->par[j] >= 0 && hops++ < s->nt)
			j = s->par[j];
		if (j < 0 || g->node_of_task[j] < 0) {
			int n = g->nnodes++;

			g->nodes[n].kind = TG_NODE_TASK;
			g->nodes[n].task = i;
			g->nodes[n].count = 1;
			g->nodes[n].edge = -1;
			g->node_of_task[i] = n;
			continue;
		}
		g->node_of_task[i] = g->node_of_task[j];
		g->nodes[g->node_of_task[j]].nfolded++;
		g->nodes[g->node_of_task[j]].nmissing += s->miss[i];
	}
	g->nreal = g->nnodes;
	for (int e = 0; e < s->nraw; e++) {
		int a = g->node_of_task[s->raw[e][0]], b = g->node_of_task[s->raw[e][1]];

		if (a != b) {
			g->edges[g->nedges].from = a;
			g->edges[g->nedges].to = b;
			g->nedges++;
		}
	}
	/* parent -> sub-step: a layout edge, so steps sit in the column after their parent */
	for (int k = 0; k < s->nt; k++) {
		int i = s->inc[k], a, b;

		if (s->par[i] < 0)
			continue;
		a = g->node_of_task[s->par[i]];
		b = g->node_of_task[i];
		if (a >= 0 && b >= 0 && a != b) {
			g->edges[g->nedges].from = a;
			g->edges[g->nedges].to = b;
			g->edges[g->nedges].sub = true;
			g->nedges++;
		}
	}
	qsort(g->edges, (size_t)g->nedges, sizeof *g->edges, tg_edge_cmp);
	{
		int w = 0;

		/* one edge per node pair: a dependency wins over a parent link (sorted first) */
		for (int e = 0; e < g->nedges; e++)
			if (w == 0 || g->edges[w - 1].from != g->edges[e].from ||
			    g->edges[w - 1].to != g->edges[e].to)
				g->edges[w++] = g->edges[e];
		g->nedges = w;
	}
	for (int n = 0; n < g->nreal; n++)
		g->nodes[n].w = tg_box_width(m, &g->nodes[n]);
	return 0;
}

/* Build a CSR index: start[n + 1], items = values grouped by key. */
static int tg_csr(int n, int count, const int *key, const int *val, int **start, int **items)
{
	int *st = tg_calloc((size_t)n + 1, sizeof *st);
	int *it = tg_calloc((size_t)count, sizeof *it);
	int *fill = tg_calloc((size_t)n + 1, sizeof *fill);

	if (!st || !it || !fill) {
		free(st);
		free(it);
		free(fill);
		return -1;
	}
	for (int i = 0; i < count; i++)
		st[key[i] + 1]++;
	for (int i = 0; i < n; i++)
		st[i + 1] += st[i];
	memcpy(fill, st, sizeof *fill * ((size_t)n + 1));
	for (int i = 0; i < count; i++)
		it[fill[key[i]]++] = val[i];
	free(fill);
	*start = st;
	*items = it;
	return 0;
}

/* Mark DFS back edges and set the layout direction of every edge. */
static int tg_break_cycles(TaskGraph *g, TgScratch *s)
{
	int n = g->nreal, ne = g->nedges, rc = -1;
	int *from = tg_calloc((size_t)ne, sizeof *from),
	    *eidx = tg_calloc((size_t)ne, sizeof *eidx);
	int *start = NULL, *out = NULL;
	char *color = tg_calloc((size_t)n, 1);
	int(*stack)[2] = tg_calloc((size_t)n, sizeof *stack);

	s->lfrom = tg_calloc((size_t)ne, sizeof *s->lfrom);
	s->lto = tg_calloc((size_t)ne, sizeof *s->lto);
	if (!from || !eidx || !color || !stack || !s->lfrom || !s->lto)
		goto out;
	for (int e = 0; e < ne; e++) {
		from[e] = g->edges[e].from;
		eidx[e] = e;
	}
	if (tg_csr(n, ne, from, eidx, &start, &out) < 0)
		goto out;
	for (int root = 0; root < n; root++) {
		int sp = 0;

		if (color[root])
			continue;
		color[root] = 1;
		stack[sp][0] = root;
		stack[sp][1] = start[root];
		sp++;
		while (sp > 0) {
			int v = stack[sp - 1][0];

			if (stack[sp - 1][1] < start[v + 1]) {
				int e = out[stack[sp - 1][1]++], w = g->edges[e].to;

				if (color[w] == 1) {
					g->edges[e].back = true;
					g->nodes[w].in_cycle = g->nodes[v].in_cycle = true;
					g->nback++;
				} else if (color[w] == 0) {
					color[w] = 1;
					stack[sp][0] = w;
					stack[sp][1] = start[w];
					sp++;
				}
			} else {
				color[v] = 2;
				sp--;
			}
		}
	}
	for (int e = 0; e < ne; e++) {
		s->lfrom[e] = g->edges[e].back ? g->edges[e].to : g->edges[e].from;
		s->lto[e] = g->edges[e].back ? g->edges[e].from : g->edges[e].to;
	}
	rc = 0;
out:
	free(from);
	free(eidx);
	free(start);
	free(out);
	free(color);
	free(stack);
	return rc;
}

/* Longest-path layering; sources move right to sit just before their first dependent. */
static int tg_layering(TaskGraph *g, TgScratch *s)
{
	int n = g->nreal, ne = g->nedges, rc = -1, head = 0, tail = 0, maxl = 0;
	int *start = NULL, *out = NULL, *indeg = tg_calloc((size_t)n, sizeof *indeg);
	int *queue = tg_calloc((size_t)n, sizeof *queue);

	s->layer = tg_calloc((size_t)n, sizeof *s->layer);
	if (!indeg || !queue || !s->layer || tg_csr(n, ne, s->lfrom, s->lto, &start, &out) < 0)
		goto out;
	for (int e = 0; e < ne; e++)
		indeg[s->lto[e]]++;
	for (int v = 0; v < n; v++)
		if (indeg[v] == 0)
			queue[tail++] = v;
	while (head < tail) {
		int v = queue[head++];

		for (int k = start[v]; k < start[v + 1]; k++) {
			int w = out[k];

			if (s->layer[w] < s->layer[v] + 1)
				s->layer[w] = s->layer[v] + 1;
			if (--indeg[w] == 0)
				queue[tail++] = w;
		}
	}
	/* queue now holds a topological order (the graph is acyclic after reversal) */
	for (int e = 0; e < ne; e++)
		indeg[s->lto[e]]++;
	for (int q = tail - 1; q >= 0; q--) {
		int v = queue[q], best = INT_MAX;

		if (indeg[v] != 0 || start[v] == start[v + 1])
			continue;
		for (int k = start[v]; k < start[v + 1]; k++)
			if (s->layer[out[k]] < best)
				best = s->layer[out[k]];
		if (best - 1 > s->layer[v])
			s->layer[v] = best - 1;
	}
	for (int v = 0; v < n; v++)
		if (s->layer[v] > maxl)
			maxl = s->layer[v];
	g->nlayers = n > 0 ? maxl + 1 : 0;
	for (int v = 0; v < n; v++)
		g->nodes[v].layer = s->layer[v];
	rc = 0;
out:
	free(start);
	free(out);
	free(indeg);
	free(queue);
	return rc;
}

/* Split edges spanning several layers with virtual nodes; one segment per hop. */
static int tg_virtuals(TaskGraph *g, TgScratch *s)
{
	long nvirt = 0;
	TgNode *nodes;

	for (int e = 0; e < g->nedges; e++)
		nvirt += g->nodes[s->lto[e]].layer - g->nodes[s->lfrom[e]].layer - 1;
	if (nvirt + g->nreal > TG_NODES_MAX) {
		g->too_large = true;
		return 0;
	}
	nodes = realloc(g->nodes, sizeof *nodes * (size_t)(g->nreal + nvirt + 1));
	if (!nodes)
		return -1;
	g->nodes = nodes;
	g->segs = tg_calloc((size_t)(nvirt + g->nedges), sizeof *g->segs);
	if (!g->segs)
		return -1;
	for (int e = 0; e < g->nedges; e++) {
		int prev = s->lfrom[e], l0 = g->nodes[prev].layer, l1 = g->nodes[s->lto[e]].layer;

		for (int l = l0 + 1; l <= l1; l++) {
			int to = s->lto[e];
			TgSeg *sg = &g->segs[g->nsegs++];

			if (l < l1) {
				to = g->nnodes++;
				memset(&g->nodes[to], 0, sizeof g->nodes[to]);
				g->nodes[to].kind = TG_NODE_VIRTUAL;
				g->nodes[to].task = -1;
				g->nodes[to].layer = l;
				g->nodes[to].w = 1;
				g->nodes[to].edge = e;
			}
			sg->from = prev;
			sg->to = to;
			sg->edge = e;
			sg->first = l == l0 + 1;
			sg->last = l == l1;
			prev = to;
		}
	}
	return 0;
}

/* Order segments by channel (kept in track until columns are assigned), source, target. */
static int tg_seg_cmp(const void *a, const void *b)
{
	const TgSeg *x = a, *y = b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

/* Group nodes by layer (initial order: creation order) and segments by channel. */
static int tg_group(TaskGraph *g, TgScratch *s)
{
	int nl = g->nlayers;
	int *fill;

	g->layer_start = tg_calloc((size_t)nl + 1, sizeof *g->layer_start);
	g->by_layer = tg_calloc((size_t)g->nnodes, sizeof *g->by_layer);
	g->seg_start = tg_calloc((size_t)nl + 1, sizeof *g->seg_start);
	s->pos = tg_calloc((size_t)g->nnodes, sizeof *s->pos);
	fill = tg_calloc((size_t)nl + 1, sizeof *fill);
	if (!g->layer_start || !g->by_layer || !g->seg_start || !s->pos || !fill) {
		free(fill);
		return -1;
	}
	for (int v = 0; v < g->nnodes; v++)
		g->layer_start[g->nodes[v].layer + 1]++;
	for (int l = 0; l < nl; l++)
		g->layer_start[l + 1] += g->layer_start[l];
	memcpy(fill, g->layer_start, sizeof *fill * ((size_t)nl + 1));
	for (int v = 0; v < g->nnodes; v++) {
		int l = g->nodes[v].layer;

		s->pos[v] = fill[l] - g->layer_start[l];
		g->by_layer[fill[l]++] = v;
	}
	free(fill);
	for (int k = 0; k < g->nsegs; k++)
		g->segs[k].track = g->nodes[g->segs[k].from].layer;
	qsort(g->segs, (size_t)g->nsegs, sizeof *g->segs, tg_seg_cmp);
	for (int k = 0; k < g->nsegs; k++)
		g->seg_start[g->nodes[g->segs[k].from].layer + 1]++;
	for (int l = 0; l < nl; l++)
		g->seg_start[l + 1] += g->seg_start[l];
	{
		int *sf = tg_calloc((size_t)g->nsegs, sizeof *sf),
		    *st = tg_calloc((size_t)g->nsegs, sizeof *st);

		if (!sf || !st) {
			free(sf);
			free(st);
			return -1;
		}
		for (int k = 0; k < g->nsegs; k++) {
			sf[k] = g->segs[k].from;
			st[k] = g->segs[k].to;
		}
		if (tg_csr(g->nnodes, g->nsegs, st, sf, &s->pred_start, &s->pred) < 0 ||
		    tg_csr(g->nnodes, g->nsegs, sf, st, &s->succ_start, &s->succ) < 0) {
			free(sf);
			free(st);
			return -1;
		}
		free(sf);
		free(st);
	}
	return 0;
}

/* Crossings between adjacent layers for positions pos: segments are bucketed by source
 * position (counting sort), and a Fenwick tree over target positions counts, for each
 * bucket, the earlier segments whose target lies below (Barth, Juenger, Mutzel). */
static long tg_count_crossings(const TaskGraph *g, const int *pos)
{
	long total = 0;
	int maxseg = 0, maxw = 0;
	int *bucket, *start, *bit;

	for (int l = 0; l < g->nlayers; l++) {
		int ns = g->seg_start[l + 1] - g->seg_start[l];
		int w = g->layer_start[l + 1] - g->layer_start[l];

		maxseg = ns > maxseg ? ns : maxseg;
		maxw = w > maxw ? w : maxw;
	}
	bucket = tg_calloc((size_t)maxseg, sizeof *bucket);
	start = tg_calloc((size_t)maxw + 1, sizeof *start);
	bit = tg_calloc((size_t)maxw + 1, sizeof *bit);
	if (!bucket || !start || !bit) {
		free(bucket);
		free(start);
		free(bit);
		return -1;
	}
	for (int l = 0; l + 1 < g->nlayers; l++) {
		int s0 = g->seg_start[l], ns = g->seg_start[l + 1] - s0, seen = 0;
		int wa = g->layer_start[l + 1] - g->layer_start[l];
		int wb = g->layer_start[l + 2] - g->layer_start[l + 1];

		if (ns < 2)
			continue;
		memset(start, 0, sizeof *start * ((size_t)wa + 1));
		for (int k = 0; k < ns; k++)
			start[pos[g->segs[s0 + k].from] + 1]++;
		for (int a = 0; a < wa; a++)
			start[a + 1] += start[a];
		for (int k = 0; k < ns; k++)
			bucket[start[pos[g->segs[s0 + k].from]]++] = pos[g->segs[s0 + k].to];
		memset(bit, 0, sizeof *bit * ((size_t)wb + 1));
		/* start[a] is now the end of bucket a; walk the buckets in order */
		for (int a = 0, k0 = 0; a < wa; a++) {
			int k1 = start[a];

			for (int k = k0; k < k1; k++) {
				long below = seen;

				for (int i = bucket[k] + 1; i > 0; i -= i & -i)
					below -= bit[i];
				total += below;
			}
			for (int k = k0; k < k1; k++)
				for (int i = bucket[k] + 1; i <= wb; i += i & -i)
					bit[i]++;
			seen += k1 - k0;
			k0 = k1;
		}
	}
	free(bucket);
	free(start);
	free(bit);
	return total;
}

typedef struct TgKey {
	double key;
	int pos, node;
} TgKey;

/* Order by barycentre, ties by current position (stable). */
static int tg_key_cmp(const void *x, const void *y)
{
	const TgKey *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return (p->pos > q->pos) - (p->pos < q->pos);
}

/* Reorder layer l by the mean position of each node's neighbours in adj. */
static void tg_reorder(TaskGraph *g, TgScratch *s, int l, const int *start, const int *adj,
                       TgKey *keys)
{
	int b = g->layer_start[l], n = g->layer_start[l + 1] - b;

	for (int k = 0; k < n; k++) {
		int v = g->by_layer[b + k];
		int cnt = start[v + 1] - start[v];
		double sum = 0;

		for (int j = start[v]; j < start[v + 1]; j++)
			sum += s->pos[adj[j]];
		keys[k].key = cnt ? sum / cnt : (double)s->pos[v];
		keys[k].pos = s->pos[v];
		keys[k].node = v;
	}
	qsort(keys, (size_t)n, sizeof *keys, tg_key_cmp);
	for (int k = 0; k < n; k++) {
		g->by_layer[b + k] = keys[k].node;
		s->pos[keys[k].node] = k;
	}
}

/* Barycentre sweeps, keeping the ordering with the fewest crossings. */
static int tg_order(TaskGraph *g, TgScratch *s)
{
	int maxw = 0;
	long best;
	TgKey *keys;
	int *saved = tg_calloc((size_t)g->nnodes, sizeof *saved);

	for (int l = 0; l < g->nlayers; l++)
		if (g->layer_start[l + 1] - g->layer_start[l] > maxw)
			maxw = g->layer_start[l + 1] - g->layer_start[l];
	keys = tg_calloc((size_t)maxw, sizeof *keys);
	if (!keys || !saved) {
		free(keys);
		free(saved);
		return -1;
	}
	best = tg_count_crossings(g, s->pos);
	memcpy(saved, g->by_layer, sizeof *saved * (size_t)g->nnodes);
	for (int sw = 0; sw < g->sweeps && best > 0; sw++) {
		long c;

		if (sw % 2 == 0)
			for (int l = 1; l < g->nlayers; l++)
				tg_reorder(g, s, l, s->pred_start, s->pred, keys);
		else
			for (int l = g->nlayers - 2; l >= 0; l--)
				tg_reorder(g, s, l, s->succ_start, s->succ, keys);
		c = tg_count_crossings(g, s->pos);
		if (c >= 0 && c < best) {
			best = c;
			memcpy(saved, g->by_layer, sizeof *saved * (size_t)g->nnodes);
		}
	}
	memcpy(g->by_layer, saved, sizeof *saved * (size_t)g->nnodes);
	for (int l = 0; l < g->nlayers; l++)
		for (int k = g->layer_start[l]; k < g->layer_start[l + 1]; k++) {
			s->pos[g->by_layer[k]] = k - g->layer_start[l];
			g->nodes[g->by_layer[k]].order = k - g->layer_start[l];
		}
	free(keys);
	free(saved);
	return 0;
}

/* Row where edges attach to a node. */
static int tg_port(const TgNode *n)
{
	return n->kind == TG_NODE_VIRTUAL ? n->y : n->y + 1;
}

/* Rows: each node at its predecessors' mean port row, below the previous node. */
static void tg_rows(TaskGraph *g, TgScratch *s)
{
	g->height = 0;
	for (int l = 0; l < g->nlayers; l++) {
		int next = 0;

		for (int k = g->layer_start[l]; k < g->layer_start[l + 1]; k++) {
			int v = g->by_layer[k], np = s->pred_start[v + 1] - s->pred_start[v];
			TgNode *nd = &g->nodes[v];
			int y = next;

			nd->h = nd->kind == TG_NODE_VIRTUAL ? 1 : TG_BOX_H;
			if (np > 0) {
				long sum = 0;

				for (int j = s->pred_start[v]; j < s->pred_start[v + 1]; j++)
					sum += tg_port(&g->nodes[s->pred[j]]);
				y = (int)(sum / np) - (nd->kind == TG_NODE_VIRTUAL ? 0 : 1);
				if (y < next)
					y = next;
			}
			nd->y = y;
			next = y + nd->h + TG_NODE_GAP;
			if (y + nd->h > g->height)
				g->height = y + nd->h;
		}
	}
}

typedef struct TgRunKey {
	int from, y0, y1, dir, sy;
	bool sub;
} TgRunKey;

/* Track order: runs going up first (lower sources right), then down (upper sources right). */
static int tg_run_cmp(const void *x, const void *y)
{
	const TgRunKey *p = x, *q = y;

	if (p->dir != q->dir)
		return p->dir < q->dir ? -1 : 1;
	if (p->sy != q->sy)
		return (p->dir < 0) == (p->sy < q->sy) ? -1 : 1;
	return (p->from > q->from) - (p->from < q->from);
}

/* Columns: layer x, channel widths, a vertical track per source that turns. */
static int tg_columns(TaskGraph *g)
{
	int nl = g->nlayers, x = 0, chan = 0;
	TgRunKey *rk;

	/* rk is per channel: size it for the widest one, not for every seg (peak memory) */
	for (int l = 0; l < nl; l++)
		if (g->seg_start[l + 1] - g->seg_start[l] > chan)
			chan = g->seg_start[l + 1] - g->seg_start[l];
	rk = tg_calloc((size_t)chan, sizeof *rk);
	g->layer_x = tg_calloc((size_t)nl, sizeof *g->layer_x);
	g->layer_w = tg_calloc((size_t)nl, sizeof *g->layer_w);
	g->run_start = tg_calloc((size_t)nl + 1, sizeof *g->run_start);
	g->runs = tg_calloc((size_t)g->nsegs, sizeof *g->runs);
	if (!rk || !g->layer_x || !g->layer_w || !g->run_start || !g->runs) {
		free(rk);
		return -1;
	}
	for (int v = 0; v < g->nnodes; v++)
		if (g->nodes[v].w > g->layer_w[g->nodes[v].layer])
			g->layer_w[g->nodes[v].layer] = g->nodes[v].w;
	for (int l = 0; l < nl; l++) {
		int cx, nr = 0, ntr;

		g->layer_x[l] = x;
		cx = x + g->layer_w[l];
		/* segs of this channel are sorted by source: one run per turning source */
		for (int k = g->seg_start[l]; k < g->seg_start[l + 1];) {
			int from = g->segs[k].from, sy = tg_port(&g->nodes[from]);
			int y0 = sy, y1 = sy, end = k;
			long sum = 0;
			bool sub = true;

			while (end < g->seg_start[l + 1] && g->segs[end].from == from) {
				int ty = tg_port(&g->nodes[g->segs[end].to]);

				sub = sub && g->edges[g->segs[end].edge].sub;
				y0 = ty < y0 ? ty : y0;
				y1 = ty > y1 ? ty : y1;
				sum += ty - sy;
				end++;
			}
			if (y0 != y1) {
				rk[nr].from = k; /* first seg of the group */
				rk[nr].y0 = y0;
				rk[nr].y1 = y1;
				rk[nr].sy = sy;
				rk[nr].dir = sum < 0 ? -1 : 1;
				rk[nr].sub = sub;
				nr++;
			}
			for (int j = k; j < end; j++)
				g->segs[j].track = cx; /* straight: no run */
			k = end;
		}
		qsort(rk, (size_t)nr, sizeof *rk, tg_run_cmp);
		ntr = nr < TG_TRACKS_MAX ? nr : TG_TRACKS_MAX;
		g->run_start[l] = g->nruns;
		for (int r = 0; r < nr; r++) {
			int slot = nr <= TG_TRACKS_MAX ? r : (int)((long)r * TG_TRACKS_MAX / nr);
			int tx = cx + 1 + slot, k = rk[r].from, from = g->segs[k].from;

			for (; k < g->seg_start[l + 1] && g->segs[k].from == from; k++)
				g->segs[k].track = tx;
			g->runs[g->nruns].x = tx;
			g->runs[g->nruns].y0 = rk[r].y0;
			g->runs[g->nruns].y1 = rk[r].y1;
			g->runs[g->nruns].sub = rk[r].sub;
			g->nruns++;
		}
		g->run_start[l + 1] = g->nruns;
		x = cx + (l + 1 < nl ? ntr + 4 : 0);
	}
	/* every box of a layer gets the layer's width: tidy columns, edges leave together */
	for (int v = 0; v < g->nnodes; v++) {
		g->nodes[v].x = g->layer_x[g->nodes[v].layer];
		g->nodes[v].w = g->layer_w[g->nodes[v].layer];
	}
	g->width = x;
	free(rk);
	/* runs were sized for one per seg; keep only the ones made (a failed shrink keeps all) */
	TgRun *fit = realloc(g->runs, sizeof *fit * (size_t)(g->nruns ? g->nruns : 1));
	if (fit)
		g->runs = fit;
	return 0;
}

/* List order: a tree by parent (else first dep), depth-first, cycles made roots. */
static int tg_list(const Model *m, TgScratch *s, TaskGraph *g)
{
	size_t n = m->ntasks;
	int *tp = tg_calloc(n, sizeof *tp), *kid_start = NULL, *kids = NULL;
	int *key = tg_calloc((size_t)s->nt, sizeof *key),
	    *val = tg_calloc((size_t)s->nt, sizeof *val);
	int *stk = tg_calloc((size_t)s->nt + 1, sizeof *stk), *it = tg_calloc(n, sizeof *it);
	char *seen = tg_calloc(n, 1);
	int nk = 0, rc = -1;

	g->rows = tg_calloc((size_t)s->nt, sizeof *g->rows);
	if (!tp || !key || !val || !stk || !it || !seen || !g->rows)
		goto out;
	for (size_t i = 0; i < n; i++)
		tp[i] = -1;
	for (int k = 0; k < s->nt; k++)
		tp[s->inc[k]] = s->par[s->inc[k]];
	for (int e = 0; e < s->nraw; e++)
		if (tp[s->raw[e][1]] < 0 && s->par[s->raw[e][1]] < 0)
			tp[s->raw[e][1]] = s->raw[e][0];
	for (int k = 0; k < s->nt; k++)
		if (tp[s->inc[k]] >= 0) {
			key[nk] = tp[s->inc[k]];
			val[nk++] = s->inc[k];
		}
	if (tg_csr((int)n, nk, key, val, &kid_start, &kids) < 0)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < s->nt; k++) {
			int r = s->inc[k], sp = 0;

			if (seen[r] || (pass == 0 && tp[r] >= 0))
				continue;
			seen[r] = 1;
			g->rows[g->nrows] = (TgRow){.task = r, .depth = 0, .last = true};
			stk[sp++] = g->nrows++;
			it[r] = kid_start[r];
			while (sp > 0) {
				TgRow *pr = &g->rows[stk[sp - 1]];
				int v = pr->task, c = -1;

				while (it[v] < kid_start[v + 1] && c < 0) {
					c = kids[it[v]++];
					if (seen[c])
						c = -1;
				}
				if (c < 0) {
					sp--;
					continue;
				}
				seen[c] = 1;
				it[c] = kid_start[c];
				{
					bool last = true;
					uint32_t more = pr->more;

					for (int j = it[v]; j < kid_start[v + 1]; j++)
						if (!seen[kids[j]])
							last = false;
					if (pr->depth >= 1 && pr->depth < 32 && !pr->last)
						more |= 1u << pr->depth;
					g->rows[g->nrows] = (TgRow){.task = c,
					                            .depth = pr->depth + 1,
					                            .more = more,
					                            .last = last};
				}
				stk[sp++] = g->nrows++;
			}
		}
	}
	rc = 0;
out:
	free(tp);
	free(key);
	free(val);
	free(stk);
	free(it);
	free(seen);
	free(kid_start);
	free(kids);
	return rc;
}

/* Lay the graph out from scratch. */
int taskgraph_build(TaskGraph *g, const Model *m, int rt, int agent, bool collapse)
{
	TgScratch s;

	memset(&s, 0, sizeof s);
	taskgraph_free(g);
	g->runtime = rt;
	g->agent = agent;
	g->collapse = collapse;
	g->ntasks_model = m->ntasks;
	g->task_hash = tg_calloc(m->ntasks, sizeof *g->task_hash);
	if (!g->task_hash)
		goto fail;
	g->sig = tg_signature(m, rt, agent, collapse, g->task_hash);
	g->fp = tg_fingerprint(m, rt, agent, collapse);
	if (tg_resolve(m, rt, agent, &s, g) < 0)
		goto fail;
	if (collapse && tg_collapse(m, &s) < 0)
		goto fail;
	if (tg_nodes_edges(m, &s, g, collapse) < 0 || tg_list(m, &s, g) < 0)
		goto fail;
	tg_scratch_free_tasks(&s); /* before the layout allocates: lower peak memory */
	if (tg_break_cycles(g, &s) < 0 || tg_layering(g, &s) < 0 || tg_virtuals(g, &s) < 0)
		goto fail;
	if (!g->too_large) {
		if (tg_group(g, &s) < 0 || tg_order(g, &s) < 0)
			goto fail;
		tg_rows(g, &s);
		if (tg_columns(g) < 0)
			goto fail;
		g->order = tg_calloc((size_t)g->nreal, sizeof *g->order);
		if (!g->order)
			goto fail;
		for (int k = 0; k < g->nnodes; k++)
			if (g->nodes[g->by_layer[k]].kind != TG_NODE_VIRTUAL)
				g->order[g->norder++] = g->nodes[g->by_layer[k]].task;
	}
	g->built = true;
	tg_scratch_free(&s);
	return 0;
fail:
	tg_scratch_free(&s);
	taskgraph_free(g);
	return -1;
}

/* Rebuild only when the structure changed (fingerprint, then signature, rolling check). */
int taskgraph_update(TaskGraph *g, const Model *m, int rt, int agent, bool collapse)
{
	size_t n = m->ntasks, slice, end;
	uint64_t fp;

	if (!g->built || g->runtime != rt || g->agent != agent || g->collapse != collapse ||
	    g->ntasks_model != n)
		goto rebuild;
	fp = tg_fingerprint(m, rt, agent, collapse);
	if (fp != g->fp) {
		if (tg_signature(m, rt, agent, collapse, NULL) != g->sig)
			goto rebuild;
		g->fp = fp;
		return 0;
	}
	slice = n / 8 > 256 ? n / 8 : 256;
	if (g->verify_pos >= n)
		g->verify_pos = 0;
	end = g->verify_pos + slice < n ? g->verify_pos + slice : n;
	for (size_t i = g->verify_pos; i < end; i++)
		if (tg_task_hash(&m->tasks[i], i, rt, agent, collapse) != g->task_hash[i])
			goto rebuild;
	g->verify_pos = end;
	return 0;
rebuild:
	return taskgraph_build(g, m, rt, agent, collapse) < 0 ? -1 : 1;
}

/* The node drawing task, or -1. */
int taskgraph_node_of(const TaskGraph *g, int task)
{
	if (!g->node_of_task || task < 0 || (size_t)task >= g->ntasks_model)
		return -1;
	return g->node_of_task[task];
}

/* Crossings under the current ordering. */
long taskgraph_crossings(const TaskGraph *g)
{
	int *pos;
	long c;

	if (g->too_large || !g->by_layer)
		return 0;
	pos = tg_calloc((size_t)g->nnodes, sizeof *pos);
	if (!pos)
		return -1;
	for (int v = 0; v < g->nnodes; v++)
		pos[v] = g->nodes[v].order;
	c = tg_count_crossings(g, pos);
	free(pos);
	return c;
}

/* First index in layer l (by_layer range) whose node bottom reaches row y. */
int taskgraph_layer_first(const TaskGraph *g, int l, int y)
{
	int lo = g->layer_start[l], hi = g->layer_start[l + 1];

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const TgNode *n = &g->nodes[g->by_layer[mid]];

		if (n->y + n->h <= y)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The layer whose column range [x, next x) holds gx, or -1. */
int taskgraph_layer_at(const TaskGraph *g, int gx)
{
	int lo = 0, hi = g->nlayers - 1;

	if (g->nlayers == 0 || gx < 0)
		return -1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;

		if (g->layer_x[mid] <= gx)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The real node whose box covers (gx, gy), or -1. */
int taskgraph_node_at(const TaskGraph *g, int gx, int gy)
{
	int l;

	if (g->too_large || !g->by_layer)
		return -1;
	l = taskgraph_layer_at(g, gx);
	if (l < 0)
		return -1;
	for (int k = taskgraph_layer_first(g, l, gy); k < g->layer_start[l + 1]; k++) {
		const TgNode *n = &g->nodes[g->by_layer[k]];

		if (n->y > gy)
			break;
		if (n->kind != TG_NODE_VIRTUAL && gx >= n->x && gx < n->x + n->w &&
		    gy < n->y + n->h)
			return g->by_layer[k];
	}
	return -1;
}

/* The nearest real node from n in direction (dx, dy). */
int taskgraph_neighbour(const TaskGraph *g, int n, int dx, int dy)
{
	const TgNode *from;

	if (g->too_large || !g->by_layer || n < 0 || n >= g->nnodes)
		return -1;
	from = &g->nodes[n];
	if (dy != 0) {
		int l = from->layer;

		for (int k = g->layer_start[l] + from->order + (dy > 0 ? 1 : -1);
		     k >= g->layer_start[l] && k<g->layer_start[l + 1]; k += dy> 0 ? 1 : -1)
			if (g->nodes[g->by_layer[k]].kind != TG_NODE_VIRTUAL)
				return g->by_layer[k];
		return -1;
	}
	if (dx == 0)
		return -1;
	for (int l = from->layer + (dx > 0 ? 1 : -1); l >= 0 && l<g->nlayers; l += dx> 0 ? 1 : -1) {
		int best = -1, bestd = INT_MAX;

		for (int k = g->layer_start[l]; k < g->layer_start[l + 1]; k++) {
			const TgNode *c = &g->nodes[g->by_layer[k]];
			int d = abs(c->y - from->y);

			if (c->kind != TG_NODE_VIRTUAL && d < bestd) {
				bestd = d;
				best = g->by_layer[k];
			}
		}
		if (best >= 0)
			return best;
	}
	return -1;
}

/* The i-th task of the layout or list order, or -1 for virtual nodes. */
static int tg_seq_task(const TaskGraph *g, bool list, int i)
{
	if (list)
		return g->rows[i].task;
	return g->nodes[g->by_layer[i]].kind == TG_NODE_VIRTUAL ? -1
	                                                        : g->nodes[g->by_layer[i]].task;
}

/* Next/previous task with a status in mask. */
int taskgraph_find(const TaskGraph *g, const Model *m, int from, int dir, unsigned mask, bool list)
{
	int n, start = -1;

	list = list || g->too_large || !g->by_layer;
	n = list ? g->nrows : g->nnodes;
	if (n <= 0 || dir == 0)
		return -1;
	if (from >= 0) {
		int fn = taskgraph_node_of(g, from);

		for (int i = 0; i < n && start < 0; i++) {
			int t = tg_seq_task(g, list, i);

			if (t == from || (!list && fn >= 0 && g->by_layer[i] == fn))
				start = i;
		}
	}
	if (start < 0)
		start = dir > 0 ? n - 1 : 0;
	for (int k = 1; k <= n; k++) {
		int i = ((start + (dir > 0 ? k : -k)) % n + n) % n;
		int t = tg_seq_task(g, list, i);

		if (t >= 0 && (size_t)t < m->ntasks && t != from &&
		    (mask & (1u << m->tasks[t].status)))
			return t;
	}
	return -1;
}
