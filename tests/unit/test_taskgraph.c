/*
 * test_taskgraph.c: unit tests of the task graph layout: layering of a chain
 * and a diamond, cycles and self-deps survived, unknown deps resolved when the
 * task appears, crossing reduction, collapse of finished work, stability under
 * status changes, the list order, navigation helpers, and 10 000 tasks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "swarmtop/model.h"
#include "swarmtop/taskgraph.h"
#include "tg_fixture.h"

/* The node of task id. */
static const TgNode *node(const TaskGraph *g, const Model *m, const char *id)
{
	int n = taskgraph_node_of(g, model_find_task(m, 0, id));

	assert_true(n >= 0);
	return &g->nodes[n];
}

/* Every pair of nodes in one layer is ordered top to bottom without overlap. */
static void assert_no_overlap(const TaskGraph *g)
{
	for (int l = 0; l < g->nlayers; l++)
		for (int k = g->layer_start[l] + 1; k < g->layer_start[l + 1]; k++) {
			const TgNode *a = &g->nodes[g->by_layer[k - 1]],
			             *b = &g->nodes[g->by_layer[k]];

			assert_true(a->y + a->h < b->y + 1);
			assert_int_equal(a->layer, l);
		}
}

static void test_empty(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;

	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 0);
	assert_int_equal(g.nlayers, 0);
	assert_int_equal(taskgraph_node_of(&g, 0), -1);
	assert_int_equal(taskgraph_node_at(&g, 0, 0), -1);
	assert_int_equal(taskgraph_find(&g, m, -1, 1, ~0u, false), -1);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 0);
	taskgraph_free(&g);
	model_free(m);
}

static void test_chain(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;

	tgf_task(m, "a", TASK_COMPLETED, NULL);
	tgf_task(m, "b", TASK_COMPLETED, "a", NULL);
	tgf_task(m, "c", TASK_WORKING, "b", NULL);
	tgf_task(m, "d", TASK_SUBMITTED, "c", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 4);
	assert_int_equal(g.nlayers, 4);
	assert_int_equal(g.nedges, 3);
	assert_int_equal(g.nback, 0);
	assert_int_equal(node(&g, m, "a")->layer, 0);
	assert_int_equal(node(&g, m, "d")->layer, 3);
	/* a chain is a straight line */
	assert_int_equal(node(&g, m, "a")->y, node(&g, m, "d")->y);
	assert_true(node(&g, m, "a")->x < node(&g, m, "b")->x);
	assert_int_equal(taskgraph_crossings(&g), 0);
	taskgraph_free(&g);
	model_free(m);
}

static void test_diamond(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;

	tgf_task(m, "a", TASK_COMPLETED, NULL);
	tgf_task(m, "b", TASK_WORKING, "a", NULL);
	tgf_task(m, "c", TASK_FAILED, "a", NULL);
	tgf_task(m, "d", TASK_SUBMITTED, "b", "c", "b", NULL); /* duplicate dep */
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 4);
	assert_int_equal(g.nedges, 4);
	assert_int_equal(g.nlayers, 3);
	assert_int_equal(node(&g, m, "a")->layer, 0);
	assert_int_equal(node(&g, m, "b")->layer, 1);
	assert_int_equal(node(&g, m, "c")->layer, 1);
	assert_int_equal(node(&g, m, "d")->layer, 2);
	assert_int_equal(node(&g, m, "b")->x, node(&g, m, "c")->x);
	assert_true(node(&g, m, "b")->y != node(&g, m, "c")->y);
	assert_int_equal(taskgraph_crossings(&g), 0);
	assert_no_overlap(&g);
	assert_true(g.width > 0 && g.height >= TG_BOX_H * 2);
	taskgraph_free(&g);
	model_free(m);
}

static void test_cycle(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;

	/* a -> b -> c -> a, plus a tail c -> d and a 2-cycle e <-> f */
	tgf_task(m, "a", TASK_WORKING, "c", NULL);
	tgf_task(m, "b", TASK_WORKING, "a", NULL);
	tgf_task(m, "c", TASK_WORKING, "b", NULL);
	tgf_task(m, "d", TASK_SUBMITTED, "c", NULL);
	tgf_task(m, "e", TASK_SUBMITTED, "f", NULL);
	tgf_task(m, "f", TASK_SUBMITTED, "e", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 6);
	assert_int_equal(g.nedges, 6);
	assert_int_equal(g.nback, 2);
	for (int i = 0; i < g.nreal; i++) {
		assert_true(g.nodes[i].layer >= 0 && g.nodes[i].layer < g.nlayers);
		assert_true(g.nodes[i].w >= TG_BOX_W_MIN);
	}
	assert_true(node(&g, m, "a")->in_cycle);
	assert_true(node(&g, m, "e")->in_cycle);
	assert_false(node(&g, m, "d")->in_cycle);
	/* every layout hop goes exactly one layer to the right */
	for (int k = 0; k < g.nsegs; k++)
		assert_int_equal(g.nodes[g.segs[k].to].layer, g.nodes[g.segs[k].from].layer + 1);
	assert_no_overlap(&g);
	taskgraph_free(&g);
	model_free(m);
}

static void test_self_dep(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;

	tgf_task(m, "a", TASK_WORKING, "a", NULL);
	tgf_task(m, "b", TASK_WORKING, "b", "a", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nself, 2);
	assert_int_equal(g.nedges, 1);
	assert_int_equal(g.nback, 0);
	assert_true(node(&g, m, "a")->self_dep);
	assert_int_equal(node(&g, m, "b")->layer, 1);
	taskgraph_free(&g);
	model_free(m);
}

static void test_unknown_dep_appears(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	uint64_t sig;

	tgf_task(m, "b", TASK_SUBMITTED, "a", "ghost", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 1);
	assert_int_equal(g.nreal, 1);
	assert_int_equal(g.nedges, 0);
	assert_int_equal(g.nmissing, 2);
	assert_int_equal(node(&g, m, "b")->nmissing, 2);
	sig = g.sig;
	tgf_task(m, "a", TASK_WORKING, NULL);
	assert_true(taskgraph_signature(m, 0, -1, false) != sig);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 1);
	assert_int_equal(g.nreal, 2);
	assert_int_equal(g.nedges, 1);
	assert_int_equal(g.nmissing, 1);
	assert_int_equal(node(&g, m, "a")->layer, 0);
	assert_int_equal(node(&g, m, "b")->layer, 1);
	taskgraph_free(&g);
	model_free(m);
}

/* Three sources and three sinks wired in reverse: a1->b3, a2->b2, a3->b1. */
static Model *crossed_model(void)
{
	Model *m = tgf_model();

	tgf_task(m, "a1", TASK_WORKING, NULL);
	tgf_task(m, "a2", TASK_WORKING, NULL);
	tgf_task(m, "a3", TASK_WORKING, NULL);
	tgf_task(m, "b1", TASK_SUBMITTED, "a3", NULL);
	tgf_task(m, "b2", TASK_SUBMITTED, "a2", NULL);
	tgf_task(m, "b3", TASK_SUBMITTED, "a1", NULL);
	tgf_task(m, "c1", TASK_SUBMITTED, "b1", "b3", NULL);
	return m;
}

static void test_crossings_reduced(void **state)
{
	(void)state;
	Model *m = crossed_model();
	TaskGraph g;
	long before, after;

	taskgraph_init(&g);
	g.sweeps = 0;
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	before = taskgraph_crossings(&g);
	assert_int_equal(before, 3);
	assert_int_equal(g.sweeps, 0);
	g.sweeps = TG_SWEEPS;
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	after = taskgraph_crossings(&g);
	assert_true(after < before);
	assert_int_equal(after, 0);
	assert_no_overlap(&g);
	taskgraph_free(&g);
	model_free(m);
}

static void test_collapse(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	EvTask t;

	tgf_task(m, "a", TASK_COMPLETED, NULL);
	tgf_task(m, "b", TASK_COMPLETED, "a", NULL);
	tgf_task(m, "e", TASK_COMPLETED, "a", NULL);
	tgf_task(m, "c", TASK_COMPLETED, "b", NULL);
	tgf_task(m, "d", TASK_WORKING, "c", NULL);
	tgf_task(m, "lone", TASK_COMPLETED, NULL); /* a single finished task stays itself */
	tgf_task(m, "p", TASK_COMPLETED, NULL);
	memset(&t, 0, sizeof t);
	t.id = "q";
	t.parent = "p";
	t.status = TASK_COMPLETED;
	t.has = HAS_STATUS | HAS_PARENT;
	tgf_task_ev(m, &t);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 8);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, true), 0);
	/* {a, b, e} and {p, q} fold; c stays because d (working) comes after it */
	assert_int_equal(g.nreal, 5);
	assert_int_equal(node(&g, m, "a"), node(&g, m, "b"));
	assert_int_equal(node(&g, m, "a"), node(&g, m, "e"));
	assert_int_equal(node(&g, m, "a")->kind, TG_NODE_SUMMARY);
	assert_int_equal(node(&g, m, "a")->count, 3);
	assert_int_equal(node(&g, m, "p")->kind, TG_NODE_SUMMARY);
	assert_int_equal(node(&g, m, "p")->count, 2);
	assert_int_equal(node(&g, m, "c")->kind, TG_NODE_TASK);
	assert_int_equal(node(&g, m, "lone")->kind, TG_NODE_TASK);
	assert_int_equal(g.nedges, 2); /* summary -> c -> d */
	assert_true(node(&g, m, "a")->layer < node(&g, m, "c")->layer);
	/* the list still shows every task */
	assert_int_equal(g.nrows, 8);
	/* completing d makes c foldable: structure changes, so the layout is rebuilt */
	tgf_status(m, "d", TASK_COMPLETED);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, true), 1);
	assert_int_equal(node(&g, m, "a"), node(&g, m, "d"));
	assert_int_equal(node(&g, m, "d")->count, 5);
	taskgraph_free(&g);
	model_free(m);
}

static void test_stable_on_status_change(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	TgNode *before;
	int n;

	tgf_big(m, 300);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 1);
	n = g.nnodes;
	before = malloc(sizeof *before * (size_t)n);
	assert_non_null(before);
	memcpy(before, g.nodes, sizeof *before * (size_t)n);
	tgf_status(m, "t10", TASK_FAILED);
	tgf_status(m, "t200", TASK_WORKING);
	tgf_status(m, "t299", TASK_COMPLETED);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 0);
	/* even a forced rebuild gives the same positions: layout depends on structure only */
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nnodes, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(g.nodes[i].x, before[i].x);
		assert_int_equal(g.nodes[i].y, before[i].y);
	}
	/* a new dep is structure */
	tgf_task(m, "t5", TASK_WORKING, "t4", "t0", NULL);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 1);
	free(before);
	taskgraph_free(&g);
	model_free(m);
}

static void test_rolling_check_sees_reused_addresses(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	int rebuilt = 0;

	tgf_task(m, "a", TASK_WORKING, NULL);
	tgf_task(m, "c", TASK_WORKING, NULL);
	tgf_task(m, "b", TASK_WORKING, "a", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 1);
	assert_int_equal(g.edges[0].from, taskgraph_node_of(&g, model_find_task(m, 0, "a")));
	/* same-size replacement: malloc may hand back the very same addresses */
	tgf_task(m, "b", TASK_WORKING, "c", NULL);
	for (int i = 0; i < 10 && !rebuilt; i++)
		rebuilt = taskgraph_update(&g, m, 0, -1, false);
	assert_int_equal(rebuilt, 1);
	assert_int_equal(g.nedges, 1);
	assert_int_equal(g.edges[0].from, taskgraph_node_of(&g, model_find_task(m, 0, "c")));
	taskgraph_free(&g);
	model_free(m);
}

static void test_agent_filter(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	EvTask t;

	tgf_agent(m, "planner", "Planner");
	tgf_agent(m, "coder", "Coder");
	memset(&t, 0, sizeof t);
	t.has = HAS_STATUS;
	t.status = TASK_WORKING;
	t.id = "p1";
	t.agent = "planner";
	tgf_task_ev(m, &t);
	t.id = "c1";
	t.agent = "coder";
	tgf_task_ev(m, &t);
	t.id = "c2";
	tgf_task_ev(m, &t);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, model_find_agent(m, 0, "coder"), false), 0);
	assert_int_equal(g.nreal, 2);
	assert_int_equal(taskgraph_node_of(&g, model_find_task(m, 0, "p1")), -1);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 3);
	/* another runtime index has nothing */
	assert_int_equal(taskgraph_build(&g, m, 5, -1, false), 0);
	assert_int_equal(g.nreal, 0);
	taskgraph_free(&g);
	model_free(m);
}

static void test_navigation(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	const TgNode *b;
	int ia, ib, ic, id;

	tgf_task(m, "a", TASK_COMPLETED, NULL);
	tgf_task(m, "b", TASK_FAILED, "a", NULL);
	tgf_task(m, "c", TASK_WORKING, "a", NULL);
	tgf_task(m, "d", TASK_FAILED, "b", "c", NULL);
	ia = model_find_task(m, 0, "a");
	ib = model_find_task(m, 0, "b");
	ic = model_find_task(m, 0, "c");
	id = model_find_task(m, 0, "d");
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	b = node(&g, m, "b");
	assert_int_equal(taskgraph_node_at(&g, b->x + 1, b->y + 1), taskgraph_node_of(&g, ib));
	assert_int_equal(taskgraph_node_at(&g, b->x + b->w, b->y + 1), -1); /* the channel */
	assert_int_equal(taskgraph_node_at(&g, -1, 0), -1);
	/* n: failed tasks in layout order, wrapping */
	assert_int_equal(taskgraph_find(&g, m, ia, 1, 1u << TASK_FAILED, false), ib);
	assert_int_equal(taskgraph_find(&g, m, ib, 1, 1u << TASK_FAILED, false), id);
	assert_int_equal(taskgraph_find(&g, m, id, 1, 1u << TASK_FAILED, false), ib);
	assert_int_equal(taskgraph_find(&g, m, ib, -1, 1u << TASK_FAILED, false), id);
	assert_int_equal(taskgraph_find(&g, m, -1, 1, 1u << TASK_WORKING, false), ic);
	assert_int_equal(taskgraph_find(&g, m, ia, 1, 1u << TASK_REJECTED, false), -1);
	/* neighbours */
	assert_int_equal(taskgraph_neighbour(&g, taskgraph_node_of(&g, ia), 1, 0),
	                 taskgraph_node_of(&g, g.nodes[g.by_layer[g.layer_start[1]]].task));
	assert_int_equal(taskgraph_neighbour(&g, taskgraph_node_of(&g, ia), -1, 0), -1);
	assert_int_equal(taskgraph_neighbour(&g, taskgraph_node_of(&g, ib), 0, 1) >= 0 ||
	                         taskgraph_neighbour(&g, taskgraph_node_of(&g, ib), 0, -1) >= 0,
	                 1);
	assert_int_equal(taskgraph_neighbour(&g, taskgraph_node_of(&g, id), 1, 0), -1);
	assert_int_equal(taskgraph_neighbour(&g, 9999, 1, 0), -1);
	assert_int_equal(taskgraph_node_of(&g, -1), -1);
	assert_int_equal(taskgraph_node_of(&g, 1 << 20), -1);
	taskgraph_free(&g);
	model_free(m);
}

static void test_list_order(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	EvTask t;

	tgf_task(m, "root", TASK_WORKING, NULL);
	memset(&t, 0, sizeof t);
	t.id = "child";
	t.parent = "root";
	t.status = TASK_WORKING;
	t.has = HAS_STATUS | HAS_PARENT;
	tgf_task_ev(m, &t);
	tgf_task(m, "after", TASK_SUBMITTED, "child", NULL);
	tgf_task(m, "x", TASK_SUBMITTED, "y", NULL); /* x <-> y: a cycle of tree parents */
	tgf_task(m, "y", TASK_SUBMITTED, "x", NULL);
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nrows, 5);
	assert_int_equal(g.rows[0].task, model_find_task(m, 0, "root"));
	assert_int_equal(g.rows[0].depth, 0);
	assert_int_equal(g.rows[1].task, model_find_task(m, 0, "child"));
	assert_int_equal(g.rows[1].depth, 1);
	assert_int_equal(g.rows[2].task, model_find_task(m, 0, "after"));
	assert_int_equal(g.rows[2].depth, 2);
	/* the cycle still shows both tasks once */
	assert_true((g.rows[3].task == model_find_task(m, 0, "x") &&
	             g.rows[4].task == model_find_task(m, 0, "y")) ||
	            (g.rows[3].task == model_find_task(m, 0, "y") &&
	             g.rows[4].task == model_find_task(m, 0, "x")));
	assert_int_equal(taskgraph_find(&g, m, -1, 1, 1u << TASK_SUBMITTED, true),
	                 model_find_task(m, 0, "after"));
	taskgraph_free(&g);
	model_free(m);
}

static void test_too_large_falls_back(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	char id[32], prev[32];

	/* a 1000-long chain, and 300 tasks each depending on its first and last task: the edges
	 * from t0 span 1000 layers, which is too many waypoints to draw */
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "t%d", i);
		snprintf(prev, sizeof prev, "t%d", i - 1);
		tgf_task(m, id, TASK_COMPLETED, i ? prev : NULL, NULL);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "w%d", i);
		tgf_task(m, id, TASK_WORKING, "t0", "t999", NULL);
	}
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_true(g.too_large);
	assert_int_equal(g.nrows, 1300);
	assert_int_equal(taskgraph_node_at(&g, 0, 0), -1);
	assert_int_equal(taskgraph_crossings(&g), 0);
	assert_int_equal(taskgraph_find(&g, m, -1, 1, 1u << TASK_WORKING, false),
	                 model_find_task(m, 0, "w0"));
	taskgraph_free(&g);
	model_free(m);
}

/* Add a tool step: a task with a parent and no deps. */
static void step(Model *m, const char *id, const char *parent, TaskStatus st)
{
	EvTask t;

	memset(&t, 0, sizeof t);
	t.id = id;
	t.name = id;
	t.kind = "tool";
	t.parent = parent;
	t.status = st;
	t.has = HAS_STATUS | HAS_PARENT;
	tgf_task_ev(m, &t);
}

/* Sub-steps sit in the column after their parent, joined by parent (not dep) edges; the
 * layout does not move when their statuses change; collapse folds finished ones in. */
static void test_substeps(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	TgNode *before;
	int n, nsub = 0, ndep = 0;

	tgf_task(m, "plan", TASK_COMPLETED, NULL);
	tgf_task(m, "research", TASK_WORKING, "plan", NULL);
	tgf_task(m, "code", TASK_SUBMITTED, "research", NULL);
	step(m, "research.1", "research", TASK_COMPLETED);
	step(m, "research.2", "research", TASK_FAILED);
	step(m, "research.3", "research", TASK_WORKING);
	step(m, "research.3.1", "research.3", TASK_COMPLETED); /* a step of a step */
	taskgraph_init(&g);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nreal, 7);
	assert_int_equal(g.nback, 0);
	assert_no_overlap(&g);
	/* no step is an unconnected box in the first column */
	assert_int_equal(node(&g, m, "plan")->layer, 0);
	for (int i = 1; i <= 3; i++) {
		char id[16];

		snprintf(id, sizeof id, "research.%d", i);
		assert_int_equal(node(&g, m, id)->layer, node(&g, m, "research")->layer + 1);
	}
	assert_int_equal(node(&g, m, "research.3.1")->layer, node(&g, m, "research")->layer + 2);
	for (int e = 0; e < g.nedges; e++) {
		const TgEdge *ed = &g.edges[e];

		if (ed->sub) {
			nsub++;
			/* a parent edge always leaves the parent for one of its steps */
			assert_int_equal(m->tasks[g.nodes[ed->to].task].parent != NULL, 1);
			assert_string_equal(m->tasks[g.nodes[ed->to].task].parent,
			                    m->tasks[g.nodes[ed->from].task].id);
		} else {
			ndep++;
		}
	}
	assert_int_equal(nsub, 4);
	assert_int_equal(ndep, 2); /* plan -> research -> code */
	/* steps next to their parent: the first step's box shares the parent's rows */
	assert_true(abs(node(&g, m, "research.1")->y - node(&g, m, "research")->y) <=
	            3 * (TG_BOX_H + TG_NODE_GAP));
	/* status changes of steps are not structure: nothing moves */
	n = g.nnodes;
	before = malloc(sizeof *before * (size_t)n);
	assert_non_null(before);
	memcpy(before, g.nodes, sizeof *before * (size_t)n);
	tgf_status(m, "research.3", TASK_COMPLETED);
	tgf_status(m, "research.2", TASK_WORKING);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 0);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	assert_int_equal(g.nnodes, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(g.nodes[i].x, before[i].x);
		assert_int_equal(g.nodes[i].y, before[i].y);
	}
	free(before);
	/* collapse: completed steps (and their completed steps) fold into the working parent */
	assert_int_equal(taskgraph_build(&g, m, 0, -1, true), 0);
	assert_int_equal(node(&g, m, "research.1"), node(&g, m, "research"));
	assert_int_equal(node(&g, m, "research.3"), node(&g, m, "research"));
	assert_int_equal(node(&g, m, "research.3.1"), node(&g, m, "research"));
	assert_int_equal(node(&g, m, "research")->kind, TG_NODE_TASK);
	assert_int_equal(node(&g, m, "research")->nfolded, 3);
	/* the unfinished step keeps its own box, still after its parent */
	assert_ptr_not_equal(node(&g, m, "research.2"), node(&g, m, "research"));
	assert_int_equal(node(&g, m, "research.2")->layer, node(&g, m, "research")->layer + 1);
	/* when it finishes, it folds in too (structure changed in collapse mode) */
	tgf_status(m, "research.2", TASK_COMPLETED);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, true), 1);
	assert_int_equal(node(&g, m, "research")->nfolded, 4);
	assert_int_equal(g.nreal, 3);
	/* the list still shows every task */
	assert_int_equal(g.nrows, 7);
	taskgraph_free(&g);
	model_free(m);
}

static void test_ten_thousand(void **state)
{
	(void)state;
	Model *m = tgf_model();
	TaskGraph g;
	struct timespec t0, t1;
	double ms;

	tgf_big(m, 10000);
	taskgraph_init(&g);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(taskgraph_build(&g, m, 0, -1, false), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# 10000 tasks: %d nodes (%d virtual), %d layers, %d segments, %ld crossings, "
	       "layout %.1f ms (this build)\n",
	       g.nnodes, g.nnodes - g.nreal, g.nlayers, g.nsegs, taskgraph_crossings(&g), ms);
	assert_false(g.too_large);
	assert_int_equal(g.nreal, 10000);
	assert_int_equal(g.nback, 0);
	assert_int_equal(g.nrows, 10000);
	assert_no_overlap(&g);
	for (int k = 0; k < g.nsegs; k++)
		assert_int_equal(g.nodes[g.segs[k].to].layer, g.nodes[g.segs[k].from].layer + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(taskgraph_update(&g, m, 0, -1, false), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# 10000 tasks: unchanged-structure check %.2f ms\n", ms);
	taskgraph_free(&g);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_chain),
	        cmocka_unit_test(test_diamond),
	        cmocka_unit_test(test_cycle),
	        cmocka_unit_test(test_self_dep),
	        cmocka_unit_test(test_unknown_dep_appears),
	        cmocka_unit_test(test_crossings_reduced),
	        cmocka_unit_test(test_collapse),
	        cmocka_unit_test(test_substeps),
	        cmocka_unit_test(test_stable_on_status_change),
	        cmocka_unit_test(test_rolling_check_sees_reused_addresses),
	        cmocka_unit_test(test_agent_filter),
	        cmocka_unit_test(test_navigation),
	        cmocka_unit_test(test_list_order),
	        cmocka_unit_test(test_too_large_falls_back),
	        cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
