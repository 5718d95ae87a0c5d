/*
 * taskgraph.h: the layered layout of a task DAG, for the Graph view.
 *
 * Owns: turning the model's tasks of one runtime (optionally one agent) into
 * nodes and edges (dep -> task, and parent -> sub-step as a quieter layout
 * edge, so a tool step sits in the column after its parent), surviving cycles and self-deps (back edges
 * found by DFS are reversed and marked), longest-path layering, barycentre
 * ordering sweeps that keep the ordering with the fewest crossings, virtual
 * nodes for long edges, coordinates (layers are columns, left to right),
 * vertical tracks in the channels between layers, collapsing finished work
 * into summary nodes (and completed sub-steps into their parent's box), and the tree/list order of the fallback mode.
 *
 * The layout depends only on structure (which tasks, their names, deps,
 * parents, agents; with collapse on, which are completed). A status change
 * that leaves the structure alone does not move anything: callers keep one
 * TaskGraph and call taskgraph_update() every frame; it compares a cheap
 * signature and rebuilds only when the structure changed.
 *
 * Pure: no I/O, no clock, no drawing. Must not write the model.
 */
#ifndef SWARMTOP_TASKGRAPH_H
#define SWARMTOP_TASKGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/model.h"

#define TG_BOX_W_MIN      10 /* node box width, columns */
#define TG_BOX_W_MAX      24
#define TG_BOX_H          3      /* border, name row, border */
#define TG_NODE_GAP       1      /* rows between stacked nodes */
#define TG_TRACKS_MAX     8      /* vertical tracks per channel (more share tracks) */
#define TG_SWEEPS         4      /* barycentre passes (down, up, ...) */
#define TG_NODES_MAX      200000 /* real + virtual nodes; beyond this the graph is too large */
#define TG_TREE_DEPTH_MAX 32     /* list mode: deeper rows are drawn at this depth */

typedef enum TgNodeKind {
	TG_NODE_TASK,    /* one task */
	TG_NODE_SUMMARY, /* finished tasks folded together ("✓ 14 done") */
	TG_NODE_VIRTUAL, /* a waypoint of an edge spanning several layers */
	TG_NODE_KIND_COUNT
} TgNodeKind;

typedef struct TgNode {
	TgNodeKind kind;
	int task;         /* task index; summary: its first member; virtual: -1 */
	int count;        /* tasks it stands for (virtual: 0) */
	int layer, order; /* column and position in it */
	int x, y, w, h;   /* graph space, columns and rows */
	int nmissing;     /* deps naming tasks that do not exist (yet) */
	bool self_dep;    /* a dep on itself (dropped) */
	bool in_cycle;    /* one of its edges was reversed to break a cycle */
	int edge;         /* virtual: the edge it carries; else -1 */
	int nfolded;      /* task: completed sub-steps folded into it (collapse) */
} TgNode;

typedef struct TgEdge {
	int from, to; /* node indexes, dep -> task as on the wire (sub: parent -> step) */
	bool back;    /* laid out reversed to break a cycle */
	bool sub;     /* hierarchy, not a dependency: the task `to` is a sub-step of `from` */
} TgEdge;

/* One hop of an edge between adjacent layers (layout direction, left to right). */
typedef struct TgSeg {
	int from, to;     /* node indexes in layers L and L + 1 */
	int edge;         /* index in edges */
	int track;        /* x of its vertical run when the rows differ */
	bool first, last; /* the hop leaving / entering a real node */
} TgSeg;

/* One vertical run in a channel: the track shared by a source's hops. */
typedef struct TgRun {
	int x, y0, y1;
	bool sub; /* every hop on it is a parent -> sub-step edge */
} TgRun;

/* One row of the tree/list fallback. */
typedef struct TgRow {
	int task;
	int depth;
	uint32_t more; /* bit d: the ancestor at depth d has later siblings */
	bool last;     /* last child of its parent */
} TgRow;

typedef struct TaskGraph {
	/* what it was built from */
	uint64_t sig;
	bool built;
	int runtime, agent;
	bool collapse;
	int sweeps;          /* ordering passes (TG_SWEEPS; 0 keeps input order) */
	size_t ntasks_model; /* model->ntasks at build */
	/* result */
	bool too_large; /* over TG_NODES_MAX: draw as a list */
	TgNode *nodes;
	int nnodes, nreal; /* real (task + summary) nodes come first */
	TgEdge *edges;
	int nedges, nback, nself, nmissing;
	TgSeg *segs; /* sorted by layer of from */
	int nsegs;
	TgRun *runs;
	int nruns;
	int nlayers;
	int *layer_x, *layer_w; /* nlayers */
	int *layer_start;       /* nlayers + 1: into by_layer */
	int *by_layer;          /* node indexes by (layer, order); y increases with order */
	int *seg_start;         /* nlayers + 1: segs of the channel right of each layer */
	int *run_start;         /* nlayers + 1 */
	int *node_of_task;      /* ntasks_model: node index or -1 (not in the graph) */
	int width, height;      /* graph extent */
	TgRow *rows;            /* list mode order (every task in the graph) */
	int nrows;
	int *order; /* real nodes' tasks in layout order (layer, top to bottom) */
	int norder;
	/* change detection (see taskgraph_update) */
	uint64_t fp;         /* fingerprint of pointers and scalars, no string reads */
	uint64_t *task_hash; /* ntasks_model: content hash per task (0 = not included) */
	size_t verify_pos;   /* next task the rolling content check looks at */
} TaskGraph;

/* Prepare an empty graph (no allocation). */
void taskgraph_init(TaskGraph *g);

/* Free what the graph owns; it can be built again. */
void taskgraph_free(TaskGraph *g);

/* Structural signature of the tasks of runtime rt (-1 all) restricted to agent (-1 all):
 * changes when tasks, names, deps, parents or agents change (and, with collapse, which
 * tasks are completed), not on other status changes. */
uint64_t taskgraph_signature(const Model *m, int rt, int agent, bool collapse);

/* Lay the graph out from scratch. Returns 0, or -1 when out of memory (g is then empty). */
int taskgraph_build(TaskGraph *g, const Model *m, int rt, int agent, bool collapse);

/* Rebuild only when the structure changed. Returns 1 rebuilt, 0 unchanged, -1 no memory.
 * Cheap enough for every frame at 10 000 tasks: a fingerprint of the task array (pointers,
 * counts, no string reads) catches most changes; when it differs the full signature decides;
 * when it does not, a rolling slice of tasks has its content re-hashed, so a change that
 * reused freed addresses is still seen within a few frames. */
int taskgraph_update(TaskGraph *g, const Model *m, int rt, int agent, bool collapse);

/* The node drawing task (its summary when folded), or -1. */
int taskgraph_node_of(const TaskGraph *g, int task);

/* Crossings between adjacent layers under the current ordering (straight-segment model). */
long taskgraph_crossings(const TaskGraph *g);

/* The layer whose column range (its x up to the next layer's x) holds gx, or -1. */
int taskgraph_layer_at(const TaskGraph *g, int gx);

/* The first position (index into by_layer) in layer l whose node reaches row y or below. */
int taskgraph_layer_first(const TaskGraph *g, int l, int y);

/* The real node whose box covers graph cell (gx, gy), or -1. */
int taskgraph_node_at(const TaskGraph *g, int gx, int gy);

/* The nearest real node from node n in direction (dx, dy): dx moves across layers, dy
 * within one. -1 when there is none. */
int taskgraph_neighbour(const TaskGraph *g, int n, int dx, int dy);

/* The next (dir > 0) or previous (dir < 0) task after task `from` in layout order (layer,
 * then top to bottom; list order when list or too large) whose status bit (1u << TaskStatus)
 * is in mask, wrapping around; from = -1 starts at the ends. Returns a task index or -1. */
int taskgraph_find(const TaskGraph *g, const Model *m, int from, int dir, unsigned mask, bool list);

/*
 * Graph view helpers for the key handlers (defined in view_graph.c, declared here so that
 * view.h stays untouched): they work on the layout the Graph view draws (same runtime, agent
 * and collapse setting in ui).
 */
struct UiState;
/* The task after (dir > 0) or before (dir < 0) the selection in display order whose status
 * bit (1u << TaskStatus) is in status_mask, wrapping around; -1 none (keys n / N). */
int view_graph_find(const Model *m, const struct UiState *ui, int dir, unsigned status_mask);
/* The nearest task from the selection in direction (dx, dy): dx across layers, dy within one
 * (in list mode, the row above/below). -1 none. */
int view_graph_neighbour(const Model *m, const struct UiState *ui, int dx, int dy);
/* The task drawn at screen cell (x, y) by the last graph frame (mouse click), or -1. */
int view_graph_task_at(const Model *m, const struct UiState *ui, int x, int y);
/* Free the Graph view's cached layout (at exit, and between tests). */
void view_graph_release(void);

#endif
