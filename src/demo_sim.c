/*
 * demo_sim.c: the simulated multi-agent service behind `swarmtop demo`.
 *
 * Owns the agents, the task graph, usage totals, the worker threads (one real
 * pthread per top-level agent, doing real CPU work for each step), the flood
 * generator and the /proc sampler that reports true per-thread CPU share and
 * per-core utilization. A planner decomposes goals into a DAG of research,
 * code and review tasks; researchers spawn sub-agents; a reviewer sends work
 * back (attempt + 1); tools fail with real-looking errors; coders wait for
 * approval (input-required). Commands (pause, resume, retry, cancel, inject)
 * take effect at each worker's next checkpoint.
 *
 * Content is deterministic for a seed (each agent has its own generator);
 * timing and interleaving are not. All state is guarded by the hub mutex
 * (demo_mutex), and every event is published under it, so a snapshot taken
 * under the lock is exactly the state at its seq.
 */
#include "swarmtop/demo_sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/procstat.h"

#define SIM_MAX_WORKERS 34        /* 32 agents + the flood generator (+1 spare) */
#define SIM_MAX_AGENTS 128        /* workers plus recycled sub-agent slots */
#define SIM_TASK_CAP 1024         /* task slots, recycled oldest first */
#define SIM_FLOOD_TASKS 64
#define SIM_MAX_USAGE 256
#define SIM_PENDING 256           /* commands waiting for a worker checkpoint */
#define SIM_MAX_DEPS 6
#define SIM_INJECT_MAX 8
#define SIM_TEXT 1200

typedef enum SimKind {
	SK_PLANNER,
	SK_RESEARCHER,
	SK_CODER,
	SK_REVIEWER,
	SK_SUB,
	SK_FLOOD,
	SK_COUNT
} SimKind;

typedef enum SimTaskType {
	TT_PLAN,
	TT_RESEARCH,
	TT_CODE,
	TT_REVIEW,
	TT_SUMMARY,
	TT_TOOL,
	TT_FLOOD,
	TT_COUNT
} SimTaskType;

/* One agent (a worker with a thread, or a sub-agent hosted by one). */
typedef struct SimAgent {
	bool used, worker;
	char id[64], name[80], role[96];
	const char *provider, *model;
	int parent, host;             /* agent indexes; parent -1 for top level */
	SimKind kind;
	AgentStatus status, before_pause;
	/* worker-only */
	bool pause_req, resume_req, paused, canceled;
	int pause_cmds[SIM_INJECT_MAX], npause, resume_cmds[SIM_INJECT_MAX], nresume;
	char inject[SIM_INJECT_MAX][512];
	int inject_cmd[SIM_INJECT_MAX], inject_agent[SIM_INJECT_MAX], ninject;
	char guidance[200];           /* the last operator guidance, quoted in later messages */
	int cur_task, acting;
	pthread_t th;
	bool started;
	volatile pid_t tid;
	uint64_t rng;
	unsigned msgno, subno;
} SimAgent;

/* One task (main task, tool step or flood task). */
typedef struct SimTask {
	bool used;
	unsigned gen;                 /* allocation number: detects a recycled slot */
	char id[32], name[160];
	const char *kind;
	int agent, goal;
	SimTaskType type;
	TaskStatus status;
	int dep_slot[SIM_MAX_DEPS];
	unsigned dep_gen[SIM_MAX_DEPS];
	int ndeps, parent, review_of, rejections, attempt, pause_cmd;
	bool pause_req, dep_canceled;
	double failed_at;
	char error[240], input[240], output[240];
	int topic;                    /* index into the goal's topic lists */
	int tmpl;                     /* the goal's template (sim_goals index) */
	unsigned nsteps;              /* tool steps so far: numbers the step ids */
} SimTask;

/* Usage totals of one agent and model. */
typedef struct SimUsage {
	bool used;
	char agent[64];
	const char *provider, *model;
	long long in, out, cr, cw, reas;
	double cost;
	bool has_cost;
} SimUsage;

/* A command waiting for worker checkpoints before its `applied` ack. */
typedef struct SimPending {
	bool used;
	char id[EVENT_ID_MAX + 1];
	int remaining;
} SimPending;

struct DemoSim {
	Demo *d;
	DemoOptions opt;
	pthread_mutex_t *mu;
	pthread_cond_t cv;
	bool stopping;
	SimAgent agents[SIM_MAX_AGENTS];
	int nworkers, planner, flood;
	SimTask tasks[SIM_TASK_CAP];
	unsigned task_gen;
	long task_num;
	SimTask flood_tasks[SIM_FLOOD_TASKS];
	SimUsage usage[SIM_MAX_USAGE];
	unsigned usage_evict;
	SimPending pending[SIM_PENDING];
	int goal, goal_template;      /* the newest goal and its template */
	double next_goal_at;          /* earliest time the planner starts another goal */
	unsigned assign_rr;           /* tie breaker for least-loaded assignment */
	uint64_t planner_rng;
	long opmsg;
	DemoBuf buf;
	pthread_t sampler;
	bool sampler_started;
};

/* ---- text tables ---- */

typedef struct SimGoalDef {
	const char *title;
	const char *research[4];
	const char *code[3];
} SimGoalDef;

static const SimGoalDef sim_goals[] = {
	{"Move billing to usage-based pricing",
	 {"competitor usage-based pricing pages", "Stripe metered billing API limits",
	  "tax treatment of prepaid credits in the EU", "customer churn after price changes"},
	 {"meter aggregation job for API calls", "invoice line items for overage",
	  "migration 0042: credits ledger table"}},
	{"Cut p99 latency of the search endpoint below 300 ms",
	 {"flame graphs from last week's slow queries", "pgvector HNSW index build options",
	  "connection pool sizing for 40 replicas", "CDN cache hit ratio on /search"},
	 {"cache embeddings for repeated queries", "batch the ranking model calls",
	  "HNSW index with ef_search=64"}},
	{"Answer the security questionnaire from Northwind",
	 {"SOC 2 report sections on access control", "data retention policy v3",
	  "subprocessor list and regions", "incident response runbook"},
	 {"export of IAM role assignments", "evidence bundle generator",
	  "questionnaire answer sheet"}},
	{"Add SSO login with Okta and Entra ID",
	 {"SAML vs OIDC support in our auth library", "Okta OIDC discovery and claims",
	  "Entra ID tenant restrictions", "session lifetime best practice"},
	 {"OIDC callback handler with PKCE", "group-to-role mapping",
	  "admin page for IdP settings"}},
	{"Triage the 40 open bugs tagged checkout",
	 {"duplicate reports in the checkout label", "Sentry events for PaymentIntent errors",
	  "release notes since v2.14", "browser breakdown of failed sessions"},
	 {"fix double-submit on the pay button", "retry idempotency key on 409",
	  "regression test for coupon rounding"}},
	{"Write the Q3 infrastructure cost report",
	 {"AWS Cost Explorer by service for Q3", "GPU reservation utilisation",
	  "egress charges by region", "savings plan coverage"},
	 {"cost query notebook", "charts for the report", "recommendations section draft"}},
};

#define SIM_NGOALS (sizeof(sim_goals) / sizeof(sim_goals[0]))

typedef struct SimKindDef {
	const char *id, *name, *role;
	const char *provider[2], *model[2];
} SimKindDef;

static const SimKindDef sim_kinds[SK_COUNT] = {
	[SK_PLANNER] = {"planner", "Planner", "decomposes goals into a task graph",
			{"openai", "openai"}, {"gpt-5", "gpt-5"}},
	[SK_RESEARCHER] = {"researcher", "Researcher", "searches and reads sources",
			   {"anthropic", "openai"}, {"claude-3-5-haiku", "gpt-5-mini"}},
	[SK_CODER] = {"coder", "Coder", "writes and tests code",
		      {"anthropic", "openai"}, {"claude-sonnet-4", "gpt-5"}},
	[SK_REVIEWER] = {"reviewer", "Reviewer", "reviews changes before merge",
			 {"anthropic", "anthropic"}, {"claude-sonnet-4", "claude-sonnet-4"}},
	[SK_SUB] = {"scout", "Scout", "sub-agent: focused lookups",
		    {"anthropic", "openai"}, {"claude-3-5-haiku", "gpt-5-mini"}},
	[SK_FLOOD] = {"flood", "Flood generator", "synthetic load for benchmarks",
		      {"openai", "anthropic"}, {"gpt-5-mini", "claude-3-5-haiku"}},
};

/* Prices per million tokens (input, output) for providers that report billed cost. */
typedef struct SimPrice {
	const char *model;
	double in, out, cache_read, cache_write;
} SimPrice;

static const SimPrice sim_prices[] = {
	{"claude-sonnet-4", 3.0, 15.0, 0.30, 3.75},
	{"claude-3-5-haiku", 0.80, 4.0, 0.08, 1.0},
};

static const char *const sim_review_notes[] = {
	"the overage rounding uses float math; use integer cents",
	"no test covers the empty-usage month",
	"the migration is not reversible; add a down step",
	"error handling swallows the provider's 409; surface it",
	"this adds a query per row in a loop; batch it",
};

static const char *const sim_approvals[] = {
	"Approval granted by on-call (dana@ops): proceed on staging only",
	"Approved by finance-lead: use the EU price list",
	"Security approved the scope change (ticket SEC-2291)",
};

/* ---- helpers ---- */

/* splitmix64 step: the simulation's deterministic generator. */
static uint64_t sim_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static double sim_unit(uint64_t *s)
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

/* Uniform integer in [lo, hi]. */
static long sim_range(uint64_t *s, long lo, long hi)
{
	return lo + (long)(sim_rand(s) % (uint64_t)(hi - lo + 1));
}

/* Monotonic seconds. */
static double sim_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- publishing (all under the hub mutex) ---- */

/* Append an agent object. */
static void sim_json_agent(DemoSim *s, DemoBuf *b, const SimAgent *a)
{
	demo_buf_add(b, "{\"id\":", 6);
	demo_buf_json_str(b, a->id);
	demo_buf_add(b, ",\"name\":", 8);
	demo_buf_json_str(b, a->name);
	demo_buf_add(b, ",\"role\":", 8);
	demo_buf_json_str(b, a->role);
	demo_buf_add(b, ",\"model\":", 9);
	demo_buf_json_str(b, a->model);
	demo_buf_add(b, ",\"parent\":", 10);
	demo_buf_json_str(b, a->parent >= 0 ? s->agents[a->parent].id : NULL);
	demo_buf_printf(b, ",\"status\":\"%s\"}", agent_status_names[a->status]);
}

/* Does this task slot still hold the task allocated as gen? */
static bool sim_slot_is(const DemoSim *s, int slot, unsigned gen)
{
	return slot >= 0 && s->tasks[slot].used && s->tasks[slot].gen == gen;
}

/* Append a task object. */
static void sim_json_task(DemoSim *s, DemoBuf *b, const SimTask *t)
{
	demo_buf_add(b, "{\"id\":", 6);
	demo_buf_json_str(b, t->id);
	demo_buf_add(b, ",\"agent\":", 9);
	demo_buf_json_str(b, s->agents[t->agent].id);
	demo_buf_add(b, ",\"name\":", 8);
	demo_buf_json_str(b, t->name);
	demo_buf_printf(b, ",\"kind\":\"%s\",\"status\":\"%s\",\"deps\":[", t->kind,
			task_status_names[t->status]);
	for (int i = 0, n = 0; i < t->ndeps; i++) {
		const SimTask *dep = &s->tasks[t->dep_slot[i]];

		if (!sim_slot_is(s, t->dep_slot[i], t->dep_gen[i]))
			continue;
		if (n++)
			demo_buf_add(b, ",", 1);
		demo_buf_json_str(b, dep->id);
	}
	demo_buf_add(b, "],\"parent\":", 11);
	demo_buf_json_str(b, t->parent >= 0 ? s->tasks[t->parent].id : NULL);
	demo_buf_printf(b, ",\"attempt\":%d,\"error\":", t->attempt);
	demo_buf_json_str(b, t->error[0] ? t->error : NULL);
	demo_buf_add(b, ",\"input\":", 9);
	demo_buf_json_str(b, t->input[0] ? t->input : NULL);
	demo_buf_add(b, ",\"output\":", 10);
	demo_buf_json_str(b, t->output[0] ? t->output : NULL);
	demo_buf_add(b, "}", 1);
}

/* Publish the body in s->buf as an event of this type. */
static void sim_emit(DemoSim *s, const char *type)
{
	demo_publish_locked(s->d, type, s->buf.p, s->buf.len);
}

/* Publish an agent upsert. */
static void sim_pub_agent(DemoSim *s, const SimAgent *a)
{
	s->buf.len = 0;
	demo_buf_add(&s->buf, "\"agent\":", 8);
	sim_json_agent(s, &s->buf, a);
	sim_emit(s, "agent");
}

/* Publish a task upsert. */
static void sim_pub_task(DemoSim *s, const SimTask *t)
{
	s->buf.len = 0;
	demo_buf_add(&s->buf, "\"task\":", 7);
	sim_json_task(s, &s->buf, t);
	sim_emit(s, "task");
}

/* Set an agent's status, publishing only a change. */
static void sim_agent_status(DemoSim *s, SimAgent *a, AgentStatus st)
{
	if (a->status == st)
		return;
	a->status = st;
	sim_pub_agent(s, a);
}

/* Set a task's status and publish it. */
static void sim_task_status(DemoSim *s, SimTask *t, TaskStatus st)
{
	t->status = st;
	sim_pub_task(s, t);
}

/* Publish a message event. */
static void sim_pub_message(DemoSim *s, SimAgent *a, const SimTask *t, MessageRole role,
			    const char *text)
{
	s->buf.len = 0;
	demo_buf_add(&s->buf, "\"agent\":", 8);
	demo_buf_json_str(&s->buf, a->id);
	demo_buf_add(&s->buf, ",\"task\":", 8);
	demo_buf_json_str(&s->buf, t ? t->id : NULL);
	demo_buf_printf(&s->buf, ",\"id\":\"m-%s-%u\",\"role\":\"%s\",\"text\":", a->id,
			++a->msgno, message_role_names[role]);
	demo_buf_json_str(&s->buf, text);
	sim_emit(s, "message");
}

/* Publish a log event. */
static void sim_pub_log(DemoSim *s, LogLevel lv, const SimAgent *a, const SimTask *t,
			const char *text)
{
	s->buf.len = 0;
	demo_buf_printf(&s->buf, "\"level\":\"%s\",\"text\":", log_level_names[lv]);
	demo_buf_json_str(&s->buf, text);
	demo_buf_add(&s->buf, ",\"agent\":", 9);
	demo_buf_json_str(&s->buf, a ? a->id : NULL);
	demo_buf_add(&s->buf, ",\"task\":", 8);
	demo_buf_json_str(&s->buf, t ? t->id : NULL);
	sim_emit(s, "log");
}

/* Find or make the usage total for an agent and model. */
static SimUsage *sim_usage_slot(DemoSim *s, const SimAgent *a, const char *model)
{
	SimUsage *free_slot = NULL;

	for (int i = 0; i < SIM_MAX_USAGE; i++) {
		SimUsage *u = &s->usage[i];

		if (u->used && u->model == model && strcmp(u->agent, a->id) == 0)
			return u;
		if (!u->used && !free_slot)
			free_slot = u;
	}
	if (!free_slot)
		free_slot = &s->usage[s->usage_evict++ % SIM_MAX_USAGE];
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	snprintf(free_slot->agent, sizeof(free_slot->agent), "%s", a->id);
	return free_slot;
}

/* Publish one model call's usage (inclusive accounting) and add it to the totals. */
static void sim_pub_usage(DemoSim *s, SimAgent *a, const SimTask *t, uint64_t *r, double scale)
{
	long long in = (long long)(sim_range(r, 900, 14000) * scale) + 50;
	long long cr = strcmp(a->provider, "openai") == 0 || sim_unit(r) < 0.6
			       ? (long long)(in * sim_unit(r) * 0.7) : 0;
	long long cw = strcmp(a->provider, "anthropic") == 0 && sim_unit(r) < 0.3
			       ? (long long)((in - cr) * 0.5) : 0;
	long long out = sim_range(r, 60, 1800);
	long long reas = strncmp(a->model, "gpt-5", 5) == 0
				 ? (long long)(out * sim_unit(r) * 0.6) : 0;
	double cost = -1;
	SimUsage *u;

	for (size_t i = 0; i < sizeof(sim_prices) / sizeof(sim_prices[0]); i++)
		if (strcmp(sim_prices[i].model, a->model) == 0)
			cost = ((double)(in - cr - cw) * sim_prices[i].in +
				(double)cr * sim_prices[i].cache_read +
				(double)cw * sim_prices[i].cache_write +
				(double)out * sim_prices[i].out) / 1e6;
	s->buf.len = 0;
	demo_buf_add(&s->buf, "\"agent\":", 8);
	demo_buf_json_str(&s->buf, a->id);
	demo_buf_add(&s->buf, ",\"task\":", 8);
	demo_buf_json_str(&s->buf, t ? t->id : NULL);
	demo_buf_printf(&s->buf, ",\"provider\":\"%s\",\"model\":\"%s\",\"input_tokens\":%lld,"
			"\"output_tokens\":%lld,\"cache_read_tokens\":%lld,"
			"\"cache_write_tokens\":%lld,\"reasoning_tokens\":%lld,\"cost_usd\":",
			a->provider, a->model, in, out, cr, cw, reas);
	if (cost >= 0)
		demo_buf_printf(&s->buf, "%.6f", cost);
	else
		demo_buf_add(&s->buf, "null", 4);
	sim_emit(s, "usage");
	u = sim_usage_slot(s, a, a->model);
	u->provider = a->provider;
	u->model = a->model;
	u->in += in;
	u->out += out;
	u->cr += cr;
	u->cw += cw;
	u->reas += reas;
	if (cost >= 0) {
		u->cost += cost;
		u->has_cost = true;
	}
}

/* ---- commands waiting for checkpoints ---- */

/* Remember a command that waits for n checkpoints; returns its index or -1. */
static int sim_pending_new(DemoSim *s, const char *id, int n)
{
	for (int i = 0; i < SIM_PENDING; i++) {
		if (!s->pending[i].used) {
			s->pending[i].used = true;
			s->pending[i].remaining = n;
			snprintf(s->pending[i].id, sizeof(s->pending[i].id), "%s", id);
			return i;
		}
	}
	return -1;
}

/* One checkpoint reached for a pending command: ack applied when it was the last. */
static void sim_pending_done(DemoSim *s, int i)
{
	if (i < 0 || i >= SIM_PENDING || !s->pending[i].used)
		return;
	if (--s->pending[i].remaining > 0)
		return;
	s->pending[i].used = false;
	demo_ack_locked(s->d, s->pending[i].id, ACK_APPLIED, NULL);
}

/* ---- tasks ---- */

/* Allocate a task slot (recycling the oldest) and fill the common fields. */
static SimTask *sim_task_new(DemoSim *s, const char *id, int agent, SimTaskType type,
			     const char *kind, const char *name)
{
	int slot = (int)(s->task_gen % SIM_TASK_CAP);
	SimTask *t = &s->tasks[slot];

	memset(t, 0, sizeof(*t));
	t->used = true;
	t->gen = s->task_gen++;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->kind = kind;
	t->agent = agent;
	t->type = type;
	t->status = TASK_SUBMITTED;
	t->attempt = 1;
	t->parent = -1;
	t->review_of = -1;
	t->pause_cmd = -1;
	t->goal = s->goal;
	t->tmpl = s->goal_template;
	return t;
}

/* Add a dependency edge dep -> t. */
static void sim_task_dep(DemoSim *s, SimTask *t, const SimTask *dep)
{
	if (t->ndeps < SIM_MAX_DEPS) {
		t->dep_slot[t->ndeps] = (int)(dep - s->tasks);
		t->dep_gen[t->ndeps++] = dep->gen;
	}
}

/* Find a task by id (main, step or flood); NULL when unknown. */
static SimTask *sim_task_find(DemoSim *s, const char *id)
{
	for (int i = 0; i < SIM_TASK_CAP; i++)
		if (s->tasks[i].used && strcmp(s->tasks[i].id, id) == 0)
			return &s->tasks[i];
	for (int i = 0; i < SIM_FLOOD_TASKS; i++)
		if (s->flood_tasks[i].used && strcmp(s->flood_tasks[i].id, id) == 0)
			return &s->flood_tasks[i];
	return NULL;
}

/* Find an agent by id; its index or -1. */
static int sim_agent_find(DemoSim *s, const char *id)
{
	for (int i = 0; i < SIM_MAX_AGENTS; i++)
		if (s->agents[i].used && strcmp(s->agents[i].id, id) == 0)
			return i;
	return -1;
}

/* True when every dependency of t completed (a recycled dependency counts as done). */
static bool sim_deps_done(const DemoSim *s, const SimTask *t)
{
	for (int i = 0; i < t->ndeps; i++)
		if (sim_slot_is(s, t->dep_slot[i], t->dep_gen[i]) &&
		    s->tasks[t->dep_slot[i]].status != TASK_COMPLETED)
			return false;
	return true;
}

/* The worker kind that does each type of main task (SK_COUNT: the planner's own). */
static const SimKind sim_type_kind[TT_COUNT] = {
	[TT_PLAN] = SK_PLANNER,
	[TT_RESEARCH] = SK_RESEARCHER,
	[TT_CODE] = SK_CODER,
	[TT_REVIEW] = SK_REVIEWER,
	[TT_SUMMARY] = SK_PLANNER,
	[TT_TOOL] = SK_COUNT,
	[TT_FLOOD] = SK_COUNT,
};

/* Can this worker take work now (not canceled, paused or about to pause)? */
static bool sim_available(const SimAgent *a)
{
	return !a->canceled && !a->paused && !a->pause_req;
}

/*
 * May worker w take over submitted task t from its owner? Only a worker of the
 * task's kind, and only when the owner is busy with another task or cannot
 * work (paused, pausing, canceled): one paused agent never stalls a pipeline.
 * The planner stands in for an unavailable reviewer.
 */
static bool sim_can_take(const DemoSim *s, int w, const SimTask *t)
{
	const SimAgent *me = &s->agents[w], *owner = &s->agents[t->agent];
	SimKind k = sim_type_kind[t->type];

	if (!owner->worker || !sim_available(me))
		return false;
	if (k != me->kind && !(k == SK_REVIEWER && me->kind == SK_PLANNER &&
			       !sim_available(owner)))
		return false;
	return !sim_available(owner) || owner->cur_task >= 0;
}

/* The next runnable task of worker w: its own first, else one it may take over
 * (lowest allocation first in both cases), or -1. */
static int sim_pick(DemoSim *s, int w)
{
	int best = -1;
	bool best_own = false;

	for (int i = 0; i < SIM_TASK_CAP; i++) {
		const SimTask *t = &s->tasks[i];
		bool own;

		if (!t->used || t->status != TASK_SUBMITTED || t->type == TT_TOOL)
			continue;
		own = t->agent == w;
		if (!own && (best_own || !sim_can_take(s, w, t)))
			continue;
		if (!sim_deps_done(s, t))
			continue;
		if (best < 0 || (own && !best_own) || t->gen < s->tasks[best].gen) {
			best = i;
			best_own = own;
		}
	}
	return best;
}

/* Unfinished main tasks assigned to worker i, plus one when it is busy right now. */
static int sim_load(const DemoSim *s, int i)
{
	int n = s->agents[i].cur_task >= 0;

	for (int k = 0; k < SIM_TASK_CAP; k++) {
		const SimTask *t = &s->tasks[k];

		if (t->used && t->agent == i && t->type != TT_TOOL &&
		    (t->status == TASK_SUBMITTED || t->status == TASK_PAUSED))
			n++;
	}
	return n;
}

/* The least-loaded live worker of this kind (ties: round robin from n); -1 if none. */
static int sim_live_worker(DemoSim *s, SimKind kind, long n)
{
	int cand[SIM_MAX_WORKERS] = {0}, nc = 0, best = -1, best_load = 0;

	for (int i = 0; i < s->nworkers; i++)
		if (s->agents[i].kind == kind && sim_available(&s->agents[i]))
			cand[nc++] = i;
	if (nc == 0)
		for (int i = 0; i < s->nworkers; i++)
			if (s->agents[i].kind == kind && !s->agents[i].canceled)
				cand[nc++] = i;
	for (int k = 0; k < nc; k++) {
		int i = cand[(k + n) % nc], load = sim_load(s, i);

		if (best < 0 || load < best_load) {
			best = i;
			best_load = load;
		}
	}
	return best;
}

/* ---- checkpoints ---- */

/* Answer queued operator guidance: an assistant message that refers to it. */
static void sim_take_injects(DemoSim *s, SimAgent *w)
{
	for (int i = 0; i < w->ninject; i++) {
		SimAgent *a = &s->agents[w->inject_agent[i]];
		const SimTask *t = w->cur_task >= 0 ? &s->tasks[w->cur_task] : NULL;
		char text[SIM_TEXT];

		if (!a->used || a->status == AGENT_COMPLETED)
			a = w;
		snprintf(text, sizeof(text), "Noted operator guidance: %s — adjusting plan.",
			 w->inject[i]);
		sim_pub_message(s, a, t, ROLE_ASSISTANT, text);
		snprintf(w->guidance, sizeof(w->guidance), "%s", w->inject[i]);
		sim_pending_done(s, w->inject_cmd[i]);
	}
	w->ninject = 0;
}

/* The agent whose name the worker currently acts under (itself or a sub-agent). */
static SimAgent *sim_acting(DemoSim *s, SimAgent *w)
{
	return w->acting >= 0 ? &s->agents[w->acting] : w;
}

/*
 * Honour pause, resume, inject and cancel at a checkpoint. Returns false when
 * the current task must be abandoned (canceled or paused by the operator, the
 * agent canceled, or the simulation stopping).
 */
static bool sim_checkpoint(DemoSim *s, SimAgent *w)
{
	SimAgent *act = sim_acting(s, w);
	SimTask *t = w->cur_task >= 0 ? &s->tasks[w->cur_task] : NULL;

	sim_take_injects(s, w);
	if (w->pause_req && !w->canceled) {
		w->pause_req = false;
		if (!w->paused) {
			w->paused = true;
			w->before_pause = w->status;
			if (t && t->status == TASK_WORKING)
				sim_task_status(s, t, TASK_PAUSED);
			if (act != w)
				sim_agent_status(s, act, AGENT_PAUSED);
			sim_agent_status(s, w, AGENT_PAUSED);
		}
		for (int i = 0; i < w->npause; i++)
			sim_pending_done(s, w->pause_cmds[i]);
		w->npause = 0;
	}
	while (w->paused && !w->resume_req && !w->canceled && !s->stopping)
		pthread_cond_wait(&s->cv, s->mu);
	if (w->paused && (w->resume_req || w->canceled)) {
		w->paused = false;
		if (!w->canceled) {
			sim_agent_status(s, w, w->before_pause == AGENT_PAUSED ? AGENT_IDLE
									   : w->before_pause);
			if (act != w)
				sim_agent_status(s, act, AGENT_WORKING);
			if (t && t->status == TASK_PAUSED)
				sim_task_status(s, t, TASK_WORKING);
		}
	}
	if (w->resume_req || w->canceled) {
		w->resume_req = false;
		for (int i = 0; i < w->nresume; i++)
			sim_pending_done(s, w->resume_cmds[i]);
		for (int i = 0; i < w->npause; i++)
			sim_pending_done(s, w->pause_cmds[i]);
		w->nresume = w->npause = 0;
	}
	sim_take_injects(s, w);
	if (w->canceled || s->stopping)
		return false;
	if (t && t->status == TASK_CANCELED)
		return false;
	if (t && t->pause_req) {
		t->pause_req = false;
		sim_task_status(s, t, TASK_PAUSED);
		sim_pending_done(s, t->pause_cmd);
		t->pause_cmd = -1;
		return false;
	}
	if (act != w && act->status == AGENT_CANCELED)
		return false;
	return true;
}

/* Something for the worker to react to before its sleep ends? */
static bool sim_interrupted(DemoSim *s, SimAgent *w)
{
	const SimTask *t = w->cur_task >= 0 ? &s->tasks[w->cur_task] : NULL;

	return s->stopping || w->pause_req || w->canceled || w->ninject > 0 ||
	       (t && (t->status == TASK_CANCELED || t->pause_req));
}

/* Real CPU work: a hashing loop for about ms milliseconds (called without the lock). */
static uint64_t sim_burn(double ms)
{
	static const unsigned char seed[64] = "swarmtop demo worker: hashing for real CPU";
	double until = sim_now() + ms / 1000.0;
	uint64_t h = 1469598103934665603ULL;

	while (sim_now() < until)
		for (int k = 0; k < 20000; k++)
			h = (h ^ seed[k & 63]) * 1099511628211ULL;
	return h;
}

/* Wait on the condition until the absolute monotonic time `until` or a wake-up (lock held). */
static void sim_wait_until(DemoSim *s, double until)
{
	double left = until - sim_now();
	struct timespec ts;

	if (left <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)left;
	ts.tv_nsec += (long)((left - floor(left)) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->cv, s->mu, &ts);
}

#define SIM_SLICE 0.1             /* seconds: CPU and waiting interleave at this grain */

/*
 * One step of work lasting lo..hi seconds (scaled by --speed), of which about
 * `cpu` (0..1) is real CPU spent in short bursts spread over the step (a model
 * call mostly waits on the network; a test run computes), then a checkpoint.
 * Operator requests cut the waiting short. Called and returns with the lock held.
 */
static bool sim_work(DemoSim *s, SimAgent *w, double lo, double hi, double cpu)
{
	double secs = (lo + (hi - lo) * sim_unit(&w->rng)) / s->opt.speed;
	double frac = cpu * (0.6 + 0.8 * sim_unit(&w->rng));
	double until = sim_now() + secs;

	if (frac > 0.9)
		frac = 0.9;
	while (!sim_interrupted(s, w)) {
		double now = sim_now(), slice = fmin(SIM_SLICE, until - now);

		if (slice <= 0)
			break;
		if (frac > 0) {
			volatile uint64_t sink;

			pthread_mutex_unlock(s->mu);
			sink = sim_burn(slice * frac * 1000.0);
			(void)sink;
			pthread_mutex_lock(s->mu);
			if (sim_interrupted(s, w))
				break;
		}
		sim_wait_until(s, fmin(now + slice, until));
	}
	return sim_checkpoint(s, w);
}

/* Per-call durations (seconds at --speed 1) and CPU share of the simulated tools. */
typedef struct SimToolDef {
	const char *name;
	double lo, hi, cpu;
	const char *errors[2];   /* what this tool says when it fails */
} SimToolDef;

static const SimToolDef sim_tool_defs[] = {
	{"web_search", 1.0, 3.5, 0.03,
	 {"HTTP 429 Too Many Requests from api.search.example.com: rate limit exceeded, "
	  "retry after 20s",
	  "HTTP 503 from api.search.example.com: upstream unavailable"}},
	{"fetch_page", 1.0, 4.0, 0.04,
	 {"TimeoutError: fetch https://docs.example.com/billing took longer than 30s",
	  "HTTP 403 Forbidden: https://www.example.org/pricing blocks automated clients"}},
	{"read_file", 0.3, 1.0, 0.05,
	 {"FileNotFoundError: src/billing/credits.py",
	  "ModuleNotFoundError: No module named 'stripe.billing_meter'"}},
	{"apply_patch", 0.5, 1.5, 0.08,
	 {"hunk 3 of src/billing/meter.py does not apply",
	  "src/billing/invoice.py changed since it was read"}},
	{"run_tests", 3.0, 8.0, 0.15,
	 {"pytest: 2 failed, 118 passed (test_proration_rounding: AssertionError: 10.005 != 10.01)",
	  "psql: ERROR: relation \"credits_ledger\" does not exist (SQLSTATE 42P01)"}},
	{"read_diff", 0.4, 1.2, 0.05,
	 {"git: fatal: bad revision 'review/t-42'",
	  "git: fatal: ambiguous argument 'HEAD~3': unknown revision"}},
};

/* A model call's duration (seconds at --speed 1) and CPU share (streaming, parsing). */
#define SIM_LLM_LO 1.5
#define SIM_LLM_HI 5.0
#define SIM_LLM_CPU 0.02

/* The wait for one model completion (the caller publishes its usage). */
static bool sim_llm(DemoSim *s, SimAgent *w, double lo, double hi)
{
	return sim_work(s, w, lo, hi, SIM_LLM_CPU);
}

/* ---- the work itself ---- */

/* The goal definition of a task. */
static const SimGoalDef *sim_goal_def(const DemoSim *s, const SimTask *t)
{
	(void)s;
	return &sim_goals[(unsigned)t->tmpl % SIM_NGOALS];
}

/* An assistant message, quoting operator guidance when there is some. */
static void sim_say(DemoSim *s, SimAgent *w, const SimTask *t, const char *text)
{
	char buf[SIM_TEXT];

	if (w->guidance[0]) {
		snprintf(buf, sizeof(buf), "Following operator guidance (\"%s\"): %s", w->guidance,
			 text);
		sim_pub_message(s, sim_acting(s, w), t, ROLE_ASSISTANT, buf);
	} else {
		sim_pub_message(s, sim_acting(s, w), t, ROLE_ASSISTANT, text);
	}
}

/* Run a tool call as a child task; false when it failed (error copied into t) or was cut short. */
static bool sim_tool(DemoSim *s, SimAgent *w, SimTask *t, const char *tool, const char *input,
		     const char *output, double fail_p, bool *abandoned)
{
	char id[40], text[SIM_TEXT];
	SimTask *step;
	int slot;
	bool fail = sim_unit(&w->rng) < fail_p;
	const SimToolDef *def = &sim_tool_defs[0];

	for (size_t i = 0; i < sizeof(sim_tool_defs) / sizeof(sim_tool_defs[0]); i++)
		if (strcmp(sim_tool_defs[i].name, tool) == 0)
			def = &sim_tool_defs[i];
	const char *err = def->errors[sim_range(&w->rng, 0, 1)];
	snprintf(id, sizeof(id), "%s.%u", t->id, ++t->nsteps);
	step = sim_task_new(s, id, (int)(sim_acting(s, w) - s->agents), TT_TOOL, "tool", tool);
	slot = (int)(step - s->tasks);
	step->parent = (int)(t - s->tasks);
	step->goal = t->goal;
	snprintf(step->input, sizeof(step->input), "%s", input);
	step->status = TASK_WORKING;
	sim_pub_task(s, step);
	if (!sim_work(s, w, def->lo, def->hi, def->cpu)) {
		step = &s->tasks[slot];
		if (step->status == TASK_WORKING)
			sim_task_status(s, step, TASK_CANCELED);
		*abandoned = true;
		return false;
	}
	step = &s->tasks[slot];
	if (fail) {
		snprintf(step->error, sizeof(step->error), "%s", err);
		sim_task_status(s, step, TASK_FAILED);
		snprintf(text, sizeof(text), "%s failed: %s", tool, err);
		sim_pub_message(s, sim_acting(s, w), t, ROLE_TOOL, text);
		sim_pub_log(s, LOG_ERROR, sim_acting(s, w), t, text);
		snprintf(t->error, sizeof(t->error), "%s", err);
		return false;
	}
	snprintf(step->output, sizeof(step->output), "%s", output);
	sim_task_status(s, step, TASK_COMPLETED);
	snprintf(text, sizeof(text), "%s(%s) -> %s", tool, input, output);
	sim_pub_message(s, sim_acting(s, w), t, ROLE_TOOL, text);
	/* The tool message already tells the story; the log gets only what stands out. */
	if (sim_unit(&w->rng) < 0.08)
		sim_pub_log(s, LOG_WARN, sim_acting(s, w), t,
			    "rate limited by the provider (429), backing off 2s");
	return true;
}

/* Fail t with the error already in t->error. */
static void sim_fail(DemoSim *s, SimAgent *w, SimTask *t)
{
	char text[SIM_TEXT];

	t->failed_at = sim_now();
	sim_task_status(s, t, TASK_FAILED);
	snprintf(text, sizeof(text), "%s failed (attempt %d): %s", t->id, t->attempt, t->error);
	sim_pub_log(s, LOG_ERROR, w, t, text);
}

/* Research: an LLM call, a search, maybe a sub-agent, a summary. Returns false if cut short. */
static bool sim_do_research(DemoSim *s, SimAgent *w, SimTask *t, int slot)
{
	const SimGoalDef *g = sim_goal_def(s, t);
	const char *topic = g->research[t->topic % 4];
	char text[SIM_TEXT], input[240], out[240];
	bool cut = false;

	snprintf(text, sizeof(text), "I'll look for primary sources on %s first, then compare.",
		 topic);
	sim_pub_usage(s, w, t, &w->rng, 1.0);
	sim_say(s, w, t, text);
	if (!sim_llm(s, w, SIM_LLM_LO, SIM_LLM_HI))
		return false;
	t = &s->tasks[slot];
	snprintf(input, sizeof(input), "q=\"%s\"", topic);
	snprintf(out, sizeof(out), "%ld results; top: %s (2025)", sim_range(&w->rng, 4, 40), topic);
	if (!sim_tool(s, w, t, "web_search", input, out, t->attempt == 1 ? 0.08 : 0.02, &cut)) {
		if (!cut)
			sim_fail(s, w, &s->tasks[slot]);
		return false;
	}
	t = &s->tasks[slot];
	if (sim_unit(&w->rng) < 0.6) {
		/* Read the best hit itself. */
		snprintf(input, sizeof(input), "url=https://www.example.org/%s/%ld", t->id,
			 sim_range(&w->rng, 1, 40));
		snprintf(out, sizeof(out), "%ld KB of text; %ld relevant paragraphs",
			 sim_range(&w->rng, 8, 220), sim_range(&w->rng, 2, 14));
		if (!sim_tool(s, w, t, "fetch_page", input, out, 0.03, &cut)) {
			if (!cut)
				sim_fail(s, w, &s->tasks[slot]);
			return false;
		}
		t = &s->tasks[slot];
	}
	if (sim_unit(&w->rng) < 0.35) {
		/* Spawn a sub-agent for a focused lookup; it runs on this worker's thread. */
		int sub = -1;

		for (int i = s->nworkers; i < SIM_MAX_AGENTS; i++) {
			if (!s->agents[i].used || s->agents[i].status == AGENT_COMPLETED ||
			    s->agents[i].status == AGENT_CANCELED) {
				sub = i;
				break;
			}
		}
		if (sub >= 0) {
			SimAgent *a = &s->agents[sub];
			unsigned k = ++w->subno;

			memset(a, 0, sizeof(*a));
			a->used = true;
			a->kind = SK_SUB;
			snprintf(a->id, sizeof(a->id), "%s.scout-%u", w->id, k);
			snprintf(a->name, sizeof(a->name), "Scout %u of %s", k, w->name);
			snprintf(a->role, sizeof(a->role), "sub-agent: reads %s", topic);
			a->provider = sim_kinds[SK_SUB].provider[k & 1];
			a->model = sim_kinds[SK_SUB].model[k & 1];
			a->parent = (int)(w - s->agents);
			a->host = a->parent;
			a->cur_task = -1;
			a->status = AGENT_WORKING;
			sim_pub_agent(s, a);
			w->acting = sub;
			snprintf(input, sizeof(input), "url=https://docs.example.com/%u", k);
			snprintf(out, sizeof(out), "extracted %ld facts about %s",
				 sim_range(&w->rng, 3, 12), topic);
			sim_pub_usage(s, a, t, &w->rng, 0.6);
			if (sim_tool(s, w, t, "fetch_page", input, out, 0.0, &cut)) {
				sim_pub_usage(s, a, t, &w->rng, 0.4);
				if (sim_llm(s, w, 1.0, 3.0))
					sim_pub_message(s, a, &s->tasks[slot], ROLE_ASSISTANT,
							"Done: the key numbers are in the extract "
							"above.");
				else
					cut = true;
			}
			w->acting = -1;
			a = &s->agents[sub];
			if (a->status != AGENT_CANCELED)
				sim_agent_status(s, a, cut ? AGENT_CANCELED : AGENT_COMPLETED);
			if (cut && (w->canceled || s->stopping || s->tasks[slot].status ==
				    TASK_CANCELED || s->tasks[slot].status == TASK_PAUSED))
				return false;
		}
	}
	t = &s->tasks[slot];
	sim_pub_usage(s, w, t, &w->rng, 1.5);
	snprintf(text, sizeof(text), "Summary on %s: %ld sources agree; two disagree on the "
		 "numbers, I noted both.", topic, sim_range(&w->rng, 3, 9));
	sim_say(s, w, t, text);
	if (!sim_llm(s, w, SIM_LLM_LO, SIM_LLM_HI))
		return false;
	t = &s->tasks[slot];
	snprintf(t->output, sizeof(t->output), "notes: %s (%ld sources)", topic,
		 sim_range(&w->rng, 3, 9));
	sim_task_status(s, t, TASK_COMPLETED);
	return true;
}

/* Code: plan, patch, maybe wait for approval, tests, summary. Returns false if cut short. */
static bool sim_do_code(DemoSim *s, SimAgent *w, SimTask *t, int slot)
{
	const SimGoalDef *g = sim_goal_def(s, t);
	const char *item = g->code[t->topic % 3];
	char text[SIM_TEXT], input[240], out[240];
	bool cut = false;

	sim_pub_usage(s, w, t, &w->rng, 1.2);
	if (t->attempt > 1)
		snprintf(text, sizeof(text), "Attempt %d on %s: addressing the review comments and "
			 "the last failure first.", t->attempt, item);
	else
		snprintf(text, sizeof(text), "Plan for %s: touch the model, the job and the tests; "
			 "keep the API stable.", item);
	sim_say(s, w, t, text);
	if (!sim_llm(s, w, SIM_LLM_LO, SIM_LLM_HI))
		return false;
	t = &s->tasks[slot];
	snprintf(input, sizeof(input), "src/%s.py", t->id);
	snprintf(out, sizeof(out), "%ld lines", sim_range(&w->rng, 80, 900));
	if (!sim_tool(s, w, t, "read_file", input, out, 0.0, &cut)) {
		if (!cut)
			sim_fail(s, w, &s->tasks[slot]);
		return false;
	}
	t = &s->tasks[slot];
	sim_pub_usage(s, w, t, &w->rng, 1.0);
	if (!sim_llm(s, w, 2.0, 6.0))
		return false;
	t = &s->tasks[slot];
	snprintf(input, sizeof(input), "src/%s.py (+%ld -%ld)", t->id, sim_range(&w->rng, 10, 140),
		 sim_range(&w->rng, 0, 40));
	if (!sim_tool(s, w, t, "apply_patch", input, "patch applied cleanly", 0.03, &cut)) {
		if (!cut)
			sim_fail(s, w, &s->tasks[slot]);
		return false;
	}
	t = &s->tasks[slot];
	if (sim_unit(&w->rng) < 0.12) {
		const char *ok = sim_approvals[sim_range(&w->rng, 0, 2)];
		double until;

		snprintf(text, sizeof(text), "Need approval before running %s against staging.",
			 item);
		sim_task_status(s, t, TASK_INPUT_REQUIRED);
		sim_agent_status(s, w, AGENT_INPUT_REQUIRED);
		sim_pub_message(s, w, t, ROLE_ASSISTANT, text);
		sim_pub_log(s, LOG_WARN, w, t, "waiting for human approval");
		until = sim_now() + (4.0 + 6.0 * sim_unit(&w->rng)) / s->opt.speed;
		while (sim_now() < until) {
			if (!sim_work(s, w, 0.3, 0.6, 0.0))
				return false;
		}
		t = &s->tasks[slot];
		sim_pub_message(s, w, t, ROLE_SYSTEM, ok);
		sim_task_status(s, t, TASK_WORKING);
		sim_agent_status(s, w, AGENT_WORKING);
	}
	snprintf(out, sizeof(out), "%ld passed, 0 failed", sim_range(&w->rng, 40, 300));
	if (!sim_tool(s, w, t, "run_tests", "pytest -q tests/", out,
		      t->attempt == 1 ? 0.18 : 0.04, &cut)) {
		if (!cut)
			sim_fail(s, w, &s->tasks[slot]);
		return false;
	}
	t = &s->tasks[slot];
	sim_pub_usage(s, w, t, &w->rng, 0.8);
	if (!sim_llm(s, w, 1.0, 3.0))
		return false;
	t = &s->tasks[slot];
	snprintf(text, sizeof(text), "%s is done: tests pass; diff is ready for review.", item);
	sim_say(s, w, t, text);
	snprintf(t->output, sizeof(t->output), "diff +%ld -%ld across %ld files",
		 sim_range(&w->rng, 20, 300), sim_range(&w->rng, 0, 80), sim_range(&w->rng, 1, 9));
	sim_task_status(s, t, TASK_COMPLETED);
	return true;
}

/* Review: approve, or send the work back (attempt + 1 for both tasks). */
static bool sim_do_review(DemoSim *s, SimAgent *w, SimTask *t, int slot)
{
	char text[SIM_TEXT], input[80], out[80];
	SimTask *code;
	bool cut = false;

	code = t->review_of >= 0 ? &s->tasks[t->review_of] : NULL;
	snprintf(input, sizeof(input), "%s", code ? code->id : t->id);
	snprintf(out, sizeof(out), "%ld files, +%ld -%ld", sim_range(&w->rng, 1, 9),
		 sim_range(&w->rng, 20, 300), sim_range(&w->rng, 0, 80));
	if (!sim_tool(s, w, t, "read_diff", input, out, 0.0, &cut)) {
		if (!cut)
			sim_fail(s, w, &s->tasks[slot]);
		return false;
	}
	t = &s->tasks[slot];
	sim_pub_usage(s, w, t, &w->rng, 1.4);
	if (!sim_llm(s, w, 2.0, 5.0))
		return false;
	t = &s->tasks[slot];
	code = t->review_of >= 0 ? &s->tasks[t->review_of] : NULL;
	if (code && code->status == TASK_COMPLETED && t->rejections < 2 &&
	    sim_unit(&w->rng) < 0.3) {
		const char *note = sim_review_notes[sim_range(&w->rng, 0, 4)];

		t->rejections++;
		snprintf(text, sizeof(text), "Changes requested on %s: %s.", code->id, note);
		sim_say(s, w, t, text);
		code->attempt++;
		code->output[0] = 0;
		snprintf(code->error, sizeof(code->error), "review: %s", note);
		sim_task_status(s, code, TASK_SUBMITTED);
		code->error[0] = 0;
		t->attempt++;
		sim_task_status(s, t, TASK_SUBMITTED);
		return true;
	}
	snprintf(text, sizeof(text), "Approved %s: clear change, tests cover the edge cases.",
		 code ? code->id : "the change");
	sim_say(s, w, t, text);
	snprintf(t->output, sizeof(t->output), "approved");
	sim_task_status(s, t, TASK_COMPLETED);
	return true;
}

/* Expand a goal into its task DAG once the plan task finished. */
static void sim_expand_goal(DemoSim *s, SimTask *plan)
{
	const SimGoalDef *g = sim_goal_def(s, plan);
	uint64_t *r = &s->planner_rng;
	int nres = (int)sim_range(r, 2, 4), ncode = (int)sim_range(r, 1, 3);
	SimTask *res[4], *code[3], *rev[3], *sum;
	char id[32], name[160];
	int plan_slot = (int)(plan - s->tasks);
	unsigned plan_gen = plan->gen;
	int goal = plan->goal, tmpl = plan->tmpl, save_goal = s->goal, save_tmpl = s->goal_template;

	/* New tasks belong to the plan's goal, which need not be the newest. */
	s->goal = goal;
	s->goal_template = tmpl;

	for (int i = 0; i < nres; i++) {
		int a = sim_live_worker(s, SK_RESEARCHER, (long)s->assign_rr++);

		a = a < 0 ? s->planner : a;

		snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
		snprintf(name, sizeof(name), "research: %s", g->research[i]);
		res[i] = sim_task_new(s, id, a, TT_RESEARCH, i & 1 ? "llm" : "agent", name);
		res[i]->topic = i;
		if (sim_slot_is(s, plan_slot, plan_gen))
			sim_task_dep(s, res[i], &s->tasks[plan_slot]);
		sim_pub_task(s, res[i]);
	}
	for (int i = 0; i < ncode; i++) {
		int a = sim_live_worker(s, SK_CODER, (long)s->assign_rr++);

		a = a < 0 ? s->planner : a;

		snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
		snprintf(name, sizeof(name), "code: %s", g->code[i]);
		code[i] = sim_task_new(s, id, a, TT_CODE, "step", name);
		code[i]->topic = i;
		sim_task_dep(s, code[i], res[i % nres]);
		if (nres > 1 && sim_unit(r) < 0.5)
			sim_task_dep(s, code[i], res[(i + 1) % nres]);
		sim_pub_task(s, code[i]);
	}
	for (int i = 0; i < ncode; i++) {
		snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
		snprintf(name, sizeof(name), "review: %s", g->code[i]);
		int a = sim_live_worker(s, SK_REVIEWER, (long)s->assign_rr++);

		rev[i] = sim_task_new(s, id, a < 0 ? s->planner : a, TT_REVIEW, "llm", name);
		rev[i]->review_of = (int)(code[i] - s->tasks);
		sim_task_dep(s, rev[i], code[i]);
		sim_pub_task(s, rev[i]);
	}
	snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
	snprintf(name, sizeof(name), "summarize: %s", g->title);
	sum = sim_task_new(s, id, s->planner, TT_SUMMARY, "step", name);
	for (int i = 0; i < ncode; i++)
		sim_task_dep(s, sum, rev[i]);
	sim_pub_task(s, sum);
	s->goal = save_goal;
	s->goal_template = save_tmpl;
}

/* Planner steps: plan a goal into a DAG, or summarize it. */
static bool sim_do_planner(DemoSim *s, SimAgent *w, SimTask *t, int slot)
{
	const SimGoalDef *g = sim_goal_def(s, t);
	char text[SIM_TEXT];

	sim_pub_usage(s, w, t, &w->rng, t->type == TT_PLAN ? 2.0 : 1.0);
	if (t->type == TT_PLAN) {
		snprintf(text, sizeof(text), "Goal: %s. Plan: research in parallel, then implement "
			 "each change with a review gate, then summarize.", g->title);
		sim_say(s, w, t, text);
	}
	if (!sim_llm(s, w, 1.5, 4.0))
		return false;
	t = &s->tasks[slot];
	if (t->type == TT_PLAN) {
		snprintf(t->output, sizeof(t->output), "task graph for: %s", g->title);
		sim_task_status(s, t, TASK_COMPLETED);
		sim_expand_goal(s, t);
	} else {
		snprintf(text, sizeof(text), "Goal complete: %s. Findings and diffs are attached "
			 "to each task.", g->title);
		sim_say(s, w, t, text);
		snprintf(t->output, sizeof(t->output), "report delivered");
		sim_task_status(s, t, TASK_COMPLETED);
		sim_pub_log(s, LOG_INFO, w, t,
			    "goal finished; picking the next one from the queue");
	}
	pthread_cond_broadcast(&s->cv);
	return true;
}

/* Run one task on worker w (lock held; dropped while working). */
static void sim_run_task(DemoSim *s, SimAgent *w, int slot)
{
	SimTask *t = &s->tasks[slot];
	int idx = (int)(w - s->agents);

	if (t->agent != idx) {
		/* Taken over from a busy or unavailable worker (sim_can_take). */
		const SimAgent *owner = &s->agents[t->agent];

		if (!sim_available(owner)) {
			char text[SIM_TEXT];

			snprintf(text, sizeof(text), "%s takes over %s from %s (%s)", w->id, t->id,
				 owner->id, owner->canceled ? "canceled" : "paused");
			sim_pub_log(s, LOG_INFO, w, t, text);
		}
		t->agent = idx;
	}
	w->cur_task = slot;
	if (w->ninject == 0)
		w->guidance[0] = 0;   /* guidance shapes the task it arrived in */
	t->error[0] = 0;
	sim_task_status(s, t, TASK_WORKING);
	sim_agent_status(s, w, AGENT_WORKING);
	switch (t->type) {
	case TT_RESEARCH: sim_do_research(s, w, t, slot); break;
	case TT_CODE: sim_do_code(s, w, t, slot); break;
	case TT_REVIEW: sim_do_review(s, w, t, slot); break;
	default: sim_do_planner(s, w, t, slot); break;
	}
	t = &s->tasks[slot];
	if (t->status == TASK_WORKING && t->agent == (int)(w - s->agents) && w->canceled)
		sim_task_status(s, t, TASK_CANCELED);
	w->cur_task = -1;
	w->acting = -1;
	pthread_cond_broadcast(&s->cv);
}

#define SIM_GOALS_IN_FLIGHT 5     /* at most this many goals at once */
#define SIM_GOAL_GAP_LO 3.0       /* seconds between starting goals (at --speed 1) */
#define SIM_GOAL_GAP_HI 6.0

/* Is this main task still to be done (unfinished, or failed with retries left)? */
static bool sim_task_open(const SimTask *t)
{
	return !task_status_is_final(t->status) || (t->status == TASK_FAILED && t->attempt < 3);
}

/* How many goals still have open main tasks (counting at most `cap`)? */
static int sim_goals_open(const DemoSim *s, int cap)
{
	int seen[SIM_GOALS_IN_FLIGHT * 4], n = 0;

	for (int i = 0; i < SIM_TASK_CAP && n < cap && n < (int)(sizeof(seen) / sizeof(seen[0]));
	     i++) {
		const SimTask *t = &s->tasks[i];
		bool dup = false;

		if (!t->used || t->type == TT_TOOL || !sim_task_open(t))
			continue;
		for (int k = 0; k < n && !dup; k++)
			dup = seen[k] == t->goal;
		if (!dup)
			seen[n++] = t->goal;
	}
	return n;
}

/* Submitted research tasks: the queue that keeps researchers busy. */
static int sim_research_queued(const DemoSim *s)
{
	int n = 0;

	for (int i = 0; i < SIM_TASK_CAP; i++)
		n += s->tasks[i].used && s->tasks[i].type == TT_RESEARCH &&
		     s->tasks[i].status == TASK_SUBMITTED;
	return n;
}

/* Workers of a kind. */
static int sim_workers_of(const DemoSim *s, SimKind kind)
{
	int n = 0;

	for (int i = 0; i < s->nworkers; i++)
		n += s->agents[i].kind == kind;
	return n;
}

/* Planner housekeeping: auto-retry, cancel orphans, reassign, start the next goal. */
static void sim_planner_tick(DemoSim *s, SimAgent *w)
{
	double now = sim_now();
	char text[SIM_TEXT];

	for (int i = 0; i < SIM_TASK_CAP; i++) {
		SimTask *t = &s->tasks[i];

		if (!t->used || t->type == TT_TOOL)
			continue;
		if (t->status == TASK_FAILED && t->attempt < 3 && t->failed_at > 0 &&
		    now - t->failed_at > fmax(8.0 / s->opt.speed, 8.0)) {
			int a = sim_live_worker(s, s->agents[t->agent].kind, t->gen);

			snprintf(text, sizeof(text), "auto-retrying %s (attempt %d) after: %s",
				 t->id, t->attempt + 1, t->error);
			sim_pub_log(s, LOG_WARN, w, t, text);
			if (!sim_available(&s->agents[t->agent]) && a >= 0 &&
			    sim_available(&s->agents[a]))
				t->agent = a;
			t->attempt++;
			t->error[0] = 0;
			t->failed_at = 0;
			sim_task_status(s, t, TASK_SUBMITTED);
		}
		if (t->status == TASK_SUBMITTED || t->status == TASK_PAUSED) {
			for (int k = 0; k < t->ndeps; k++) {
				const SimTask *dep = &s->tasks[t->dep_slot[k]];

				if (!sim_slot_is(s, t->dep_slot[k], t->dep_gen[k]))
					continue;
				if (dep->status == TASK_CANCELED ||
				    (dep->status == TASK_FAILED && dep->attempt >= 3)) {
					char why[120];

					snprintf(why, sizeof(why), "dependency %s was %s", dep->id,
						 task_status_names[dep->status]);
					memcpy(t->error, why, sizeof(why));
					t->dep_canceled = true;
					sim_task_status(s, t, TASK_CANCELED);
					break;
				}
			}
		}
		if ((t->status == TASK_SUBMITTED || t->status == TASK_PAUSED) &&
		    s->agents[t->agent].canceled) {
			int a = sim_live_worker(s, s->agents[t->agent].kind, t->gen);

			if (a >= 0) {
				snprintf(text, sizeof(text), "reassigning %s from %s to %s", t->id,
					 s->agents[t->agent].id, s->agents[a].id);
				sim_pub_log(s, LOG_INFO, w, t, text);
				t->agent = a;
				sim_pub_task(s, t);
			}
		}
	}
	/* Another goal when none is open, or when the research queue runs dry. */
	if (sim_goals_open(s, SIM_GOALS_IN_FLIGHT) == 0 ||
	    (now >= s->next_goal_at && sim_goals_open(s, SIM_GOALS_IN_FLIGHT) < SIM_GOALS_IN_FLIGHT &&
	     sim_research_queued(s) < sim_workers_of(s, SK_RESEARCHER))) {
		SimTask *plan;
		char id[32], name[200];

		s->goal++;
		s->goal_template = (int)sim_range(&s->planner_rng, 0, (long)SIM_NGOALS - 1);
		s->next_goal_at = now + (SIM_GOAL_GAP_LO + (SIM_GOAL_GAP_HI - SIM_GOAL_GAP_LO) *
					 sim_unit(&s->planner_rng)) / s->opt.speed;
		snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
		snprintf(name, sizeof(name), "plan: %s", sim_goals[s->goal_template].title);
		plan = sim_task_new(s, id, s->planner, TT_PLAN, "llm", name);
		sim_pub_task(s, plan);
		snprintf(text, sizeof(text), "New goal from the queue: %s",
			 sim_goals[s->goal_template].title);
		sim_pub_message(s, w, plan, ROLE_USER, text);
	}
}

/* Wait on the shared condition for at most secs (lock held). */
static void sim_wait(DemoSim *s, double secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - floor(secs)) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->cv, s->mu, &ts);
}

/* Thread argument: the simulation and a worker index. */
typedef struct SimThreadArg {
	DemoSim *s;
	int idx;
} SimThreadArg;

/* One flood event: usage, a task upsert, a log or a message, cycling. */
static void sim_flood_one(DemoSim *s, SimAgent *w, uint64_t n)
{
	SimTask *t = &s->flood_tasks[n % SIM_FLOOD_TASKS];
	unsigned kind = (unsigned)(n % 10);

	if (kind < 5) {
		w->provider = sim_kinds[SK_FLOOD].provider[n & 1];
		w->model = sim_kinds[SK_FLOOD].model[n & 1];
		sim_pub_usage(s, w, t, &w->rng, 0.2);
	} else if (kind < 8) {
		t->status = t->status == TASK_WORKING ? TASK_COMPLETED : TASK_WORKING;
		sim_pub_task(s, t);
	} else if (kind == 8) {
		sim_pub_log(s, LOG_DEBUG, w, t, "flood: synthetic step finished in 1 ms");
	} else {
		sim_pub_message(s, w, t, ROLE_ASSISTANT, "flood: synthetic assistant reply");
	}
}

/* The flood generator: synthetic-but-valid events at --rate (0 = as fast as clients take). */
static void sim_flood_loop(DemoSim *s, SimAgent *w)
{
	double start = sim_now();
	uint64_t n = 0;

	sim_agent_status(s, w, AGENT_WORKING);
	while (!s->stopping) {
		int batch = 256;

		if (!sim_checkpoint(s, w)) {
			if (w->canceled && !s->stopping)
				pthread_cond_wait(&s->cv, s->mu);
			continue;
		}
		if (demo_subscribers_locked(s->d) == 0) {
			/* Nobody to flood: idle instead of burning a core on the ring. */
			sim_wait(s, 0.05);
			start = sim_now() - (double)n / (s->opt.rate > 0 ? s->opt.rate : 1e9);
			continue;
		}
		if (s->opt.rate > 0) {
			double due = (sim_now() - start) * s->opt.rate - (double)n;

			if (due < 1) {
				pthread_mutex_unlock(s->mu);
				usleep(1000);
				pthread_mutex_lock(s->mu);
				continue;
			}
			if (due < batch)
				batch = (int)due;
		}
		for (int i = 0; i < batch && !s->stopping; i++) {
			demo_wait_space_locked(s->d);
			sim_flood_one(s, w, n++);
		}
		pthread_mutex_unlock(s->mu);
		sched_yield();
		pthread_mutex_lock(s->mu);
	}
}

/* Worker thread: check in, pick a runnable task, run it; the planner also plans. */
static void *sim_worker_main(void *arg)
{
	SimThreadArg *ta = arg;
	DemoSim *s = ta->s;
	SimAgent *w = &s->agents[ta->idx];
	int idx = ta->idx;
	char tname[16];

	free(ta);
	snprintf(tname, sizeof(tname), "st-%s", w->id);
	pthread_setname_np(pthread_self(), tname);
	w->tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(s->mu);
	if (w->kind == SK_FLOOD) {
		sim_flood_loop(s, w);
		pthread_mutex_unlock(s->mu);
		return NULL;
	}
	while (!s->stopping) {
		int t;

		if (!sim_checkpoint(s, w)) {
			if (w->canceled && !s->stopping)
				pthread_cond_wait(&s->cv, s->mu);
			continue;
		}
		if (idx == s->planner)
			sim_planner_tick(s, w);
		t = sim_pick(s, idx);
		if (t < 0) {
			sim_agent_status(s, w, AGENT_IDLE);
			sim_wait(s, idx == s->planner ? 0.5 / s->opt.speed + 0.05 : 1.0);
			continue;
		}
		sim_run_task(s, w, t);
	}
	pthread_mutex_unlock(s->mu);
	return NULL;
}

/* Sampler thread: once a second, true per-thread CPU share and per-core utilization. */
static void *sim_sampler_main(void *arg)
{
	DemoSim *s = arg;
	ProcCores *prev = calloc(2, sizeof(ProcCores)), *cur = prev ? prev + 1 : NULL;
	unsigned long long last_ticks[SIM_MAX_WORKERS] = {0};
	double last_t = sim_now(), hz = (double)procstat_ticks_per_sec();
	double util[PROCSTAT_MAX_CORES];
	const int nw = s->nworkers;  /* fixed before the threads start */

	pthread_setname_np(pthread_self(), "st-sampler");
	if (!prev)
		return NULL;
	procstat_read_cores(prev);
	for (int i = 0; i < nw; i++) {
		ProcThread pt;

		if (s->agents[i].tid && procstat_read_thread(s->agents[i].tid, &pt) == 0)
			last_ticks[i] = pt.ticks;
	}
	pthread_mutex_lock(s->mu);
	while (!s->stopping) {
		ProcThread pt[SIM_MAX_WORKERS];
		bool ok[SIM_MAX_WORKERS];
		double now, dt;
		int ncores;

		sim_wait(s, 1.0);
		if (s->stopping)
			break;
		now = sim_now();
		if (now - last_t < 0.95)
			continue;
		pthread_mutex_unlock(s->mu);
		/* Read /proc without the lock. */
		dt = now - last_t;
		last_t = now;
		if (procstat_read_cores(cur) == 0) {
			ncores = procstat_core_util(prev, cur, util, PROCSTAT_MAX_CORES);
			*prev = *cur;
		} else {
			ncores = 0;
		}
		for (int i = 0; i < nw; i++)
			ok[i] = s->agents[i].tid &&
				procstat_read_thread(s->agents[i].tid, &pt[i]) == 0;
		pthread_mutex_lock(s->mu);
		s->buf.len = 0;
		demo_buf_printf(&s->buf, "\"interval_ms\":%d,\"cores\":[", (int)(dt * 1000 + 0.5));
		for (int i = 0; i < ncores; i++)
			demo_buf_printf(&s->buf, "%s%.3f", i ? "," : "", util[i]);
		demo_buf_add(&s->buf, "],\"threads\":[", 13);
		for (int i = 0, n = 0; i < nw; i++) {
			SimAgent *w = &s->agents[i];
			SimAgent *act = sim_acting(s, w);
			double cpu;

			if (!ok[i])
				continue;
			cpu = (double)(pt[i].ticks - last_ticks[i]) / hz / dt;
			last_ticks[i] = pt[i].ticks;
			if (cpu > 1)
				cpu = 1;
			if (cpu < 0)
				cpu = 0;
			demo_buf_printf(&s->buf, "%s{\"tid\":%d,\"name\":", n++ ? "," : "",
					(int)w->tid);
			{
				char name[96];

				snprintf(name, sizeof(name), "worker:%s", w->id);
				demo_buf_json_str(&s->buf, name);
			}
			demo_buf_printf(&s->buf, ",\"core\":%d,\"cpu\":%.3f,\"agent\":", pt[i].core,
					cpu);
			demo_buf_json_str(&s->buf, act->id);
			demo_buf_add(&s->buf, ",\"task\":", 8);
			demo_buf_json_str(&s->buf, w->cur_task >= 0 ? s->tasks[w->cur_task].id
				: NULL);
			demo_buf_add(&s->buf, "}", 1);
		}
		demo_buf_add(&s->buf, "]", 1);
		sim_emit(s, "threads");
	}
	pthread_mutex_unlock(s->mu);
	free(prev);
	return NULL;
}

/* Fill a worker agent of a kind; n is its number within the kind (1-based). */
static void sim_agent_init(DemoSim *s, int i, SimKind kind, int n, bool numbered)
{
	SimAgent *a = &s->agents[i];
	const SimKindDef *k = &sim_kinds[kind];

	memset(a, 0, sizeof(*a));
	a->used = a->worker = true;
	a->kind = kind;
	if (numbered) {
		snprintf(a->id, sizeof(a->id), "%s-%d", k->id, n);
		snprintf(a->name, sizeof(a->name), "%s %d", k->name, n);
	} else {
		snprintf(a->id, sizeof(a->id), "%s", k->id);
		snprintf(a->name, sizeof(a->name), "%s", k->name);
	}
	snprintf(a->role, sizeof(a->role), "%s", k->role);
	a->provider = k->provider[(n + 1) & 1];
	a->model = k->model[(n + 1) & 1];
	a->parent = -1;
	a->host = i;
	a->cur_task = -1;
	a->acting = -1;
	a->status = AGENT_IDLE;
	a->rng = s->opt.seed * 0x100000001b3ULL + (uint64_t)i * 0x9e3779b97f4a7c15ULL + 1;
}

/*
 * A goal that starts part done, as if the runtime had been running for a
 * while: its plan and its research completed (all but the last when
 * open_research), and with one_code the first code change whose research is
 * in already written (its review is next). Lock held, before the threads start.
 */
static void sim_warm_goal(DemoSim *s, bool open_research, bool one_code)
{
	const SimGoalDef *g;
	SimTask *plan;
	char id[32], name[200];
	int last_res = -1, first = (int)(s->task_gen % SIM_TASK_CAP);
	bool coded = !one_code;

	s->goal++;
	s->goal_template = (int)sim_range(&s->planner_rng, 0, (long)SIM_NGOALS - 1);
	g = &sim_goals[s->goal_template];
	snprintf(id, sizeof(id), "t-%ld", ++s->task_num);
	snprintf(name, sizeof(name), "plan: %s", g->title);
	plan = sim_task_new(s, id, s->planner, TT_PLAN, "llm", name);
	plan->status = TASK_COMPLETED;
	snprintf(plan->output, sizeof(plan->output), "task graph for: %s", g->title);
	sim_pub_usage(s, &s->agents[s->planner], plan, &s->planner_rng, 2.0);
	sim_pub_task(s, plan);
	sim_expand_goal(s, plan);
	for (int i = 0; i < SIM_TASK_CAP; i++)
		if (s->tasks[i].used && s->tasks[i].type == TT_RESEARCH && open_research &&
		    s->tasks[i].goal == s->goal)
			last_res = i;
	for (int i = 0; i < SIM_TASK_CAP; i++) {
		SimTask *t = &s->tasks[i];

		if (!t->used || t->goal != s->goal || i < first ||
		    (t->type != TT_RESEARCH && t->type != TT_CODE) || i == last_res)
			continue;
		if (t->type == TT_CODE && (coded || !sim_deps_done(s, t)))
			continue;
		if (t->type == TT_RESEARCH)
			snprintf(t->output, sizeof(t->output), "notes: %s (%ld sources)",
				 g->research[t->topic % 4], sim_range(&s->planner_rng, 3, 9));
		else
			snprintf(t->output, sizeof(t->output), "diff +%ld -%ld across %ld files",
				 sim_range(&s->planner_rng, 20, 300),
				 sim_range(&s->planner_rng, 0, 80), sim_range(&s->planner_rng, 1, 9));
		coded = coded || t->type == TT_CODE;
		sim_pub_usage(s, &s->agents[t->agent], t, &s->planner_rng, 2.0);
		sim_task_status(s, t, TASK_COMPLETED);
	}
}

/* Start the simulation threads; NULL on failure. */
DemoSim *demo_sim_start(Demo *d, const DemoOptions *o)
{
	DemoSim *s = calloc(1, sizeof(*s));
	int n = o->agents < 3 ? 3 : o->agents > 32 ? 32 : o->agents;
	int nres = (n - 2 + 1) / 2, ncode = (n - 2) / 2, i = 0;

	if (!s)
		return NULL;
	s->d = d;
	s->opt = *o;
	if (s->opt.speed <= 0)
		s->opt.speed = 1;
	if (!s->opt.seed)
		s->opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	s->mu = demo_mutex(d);
	pthread_cond_init(&s->cv, NULL);
	s->planner_rng = s->opt.seed ^ 0x5eed5eed5eedULL;
	s->planner = i;
	sim_agent_init(s, i++, SK_PLANNER, 1, false);
	for (int k = 1; k <= nres; k++)
		sim_agent_init(s, i++, SK_RESEARCHER, k, true);
	for (int k = 1; k <= ncode; k++)
		sim_agent_init(s, i++, SK_CODER, k, true);
	sim_agent_init(s, i++, SK_REVIEWER, 1, false);
	s->flood = -1;
	if (o->rate >= 0) {
		s->flood = i;
		sim_agent_init(s, i++, SK_FLOOD, 1, false);
		for (int k = 0; k < SIM_FLOOD_TASKS; k++) {
			SimTask *t = &s->flood_tasks[k];

			t->used = true;
			snprintf(t->id, sizeof(t->id), "ft-%d", k);
			snprintf(t->name, sizeof(t->name), "synthetic step %d", k);
			t->kind = "step";
			t->agent = s->flood;
			t->type = TT_FLOOD;
			t->status = TASK_SUBMITTED;
			t->attempt = 1;
			t->parent = -1;
			t->review_of = -1;
		}
	}
	s->nworkers = i;
	pthread_mutex_lock(s->mu);
	for (int k = 0; k < s->nworkers; k++)
		sim_pub_agent(s, &s->agents[k]);
	if (s->flood < 0) {
		/* Two goals under way, so every kind of worker has work from the start. */
		sim_warm_goal(s, false, true);
		sim_warm_goal(s, true, false);
	}
	pthread_mutex_unlock(s->mu);
	for (int k = 0; k < s->nworkers; k++) {
		SimThreadArg *ta = malloc(sizeof(*ta));

		if (!ta)
			break;
		ta->s = s;
		ta->idx = k;
		if (pthread_create(&s->agents[k].th, NULL, sim_worker_main, ta) != 0) {
			free(ta);
			break;
		}
		s->agents[k].started = true;
	}
	/* Let the workers record their tids before the sampler's first read. */
	for (int tries = 0; tries < 100; tries++) {
		bool all = true;

		for (int k = 0; k < s->nworkers; k++)
			all = all && (!s->agents[k].started || s->agents[k].tid);
		if (all)
			break;
		usleep(2000);
	}
	s->sampler_started = pthread_create(&s->sampler, NULL, sim_sampler_main, s) == 0;
	return s;
}

/* Stop and join every simulation thread, then free (NULL is fine). */
void demo_sim_stop(DemoSim *s)
{
	if (!s)
		return;
	pthread_mutex_lock(s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(s->mu);
	/* The flood thread may wait for ring space: demo.c's stop flag wakes it. */
	for (int k = 0; k < s->nworkers; k++)
		if (s->agents[k].started)
			pthread_join(s->agents[k].th, NULL);
	if (s->sampler_started)
		pthread_join(s->sampler, NULL);
	pthread_cond_destroy(&s->cv);
	demo_buf_free(&s->buf);
	free(s);
}

/* ---- commands ---- */

typedef int (*SimCmdFn)(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			size_t errlen);

/* Accept: publish the accepted ack. */
static void sim_accept(DemoSim *s, const DemoCmd *c)
{
	demo_ack_locked(s->d, c->id, ACK_ACCEPTED, NULL);
}

/* Accept and apply at once. */
static int sim_accept_applied(DemoSim *s, const DemoCmd *c)
{
	sim_accept(s, c);
	demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
	return 0;
}

/* Why an agent cannot be steered, or NULL when it can. */
static const char *sim_agent_dead(const SimAgent *a)
{
	if (a->status == AGENT_CANCELED || (a->worker && a->canceled))
		return "canceled";
	if (a->status == AGENT_COMPLETED)
		return "completed";
	return NULL;
}

/* Ask worker w to pause at its next checkpoint for pending command p. */
static void sim_request_pause(SimAgent *w, int p)
{
	w->pause_req = true;
	w->resume_req = false;
	if (w->npause < SIM_INJECT_MAX)
		w->pause_cmds[w->npause++] = p;
}

/* pause: an agent's worker or all workers stop at their next checkpoint; a task is parked. */
static int sim_cmd_pause(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			 size_t errlen)
{
	int n = 0, p;

	if (t) {
		if (task_status_is_final(t->status) || t->type == TT_TOOL || t->type == TT_FLOOD) {
			snprintf(err, errlen, t->type == TT_TOOL || t->type == TT_FLOOD
				 ? "task %s is a step; pause its parent task or agent"
				 : "task %s is %s; only unfinished tasks can be paused",
				 t->id, task_status_names[t->status]);
			return -1;
		}
		if (t->status == TASK_WORKING || t->status == TASK_INPUT_REQUIRED) {
			sim_accept(s, c);
			t->pause_req = true;
			t->pause_cmd = sim_pending_new(s, c->id, 1);
			pthread_cond_broadcast(&s->cv);
			return 0;
		}
		if (t->status == TASK_SUBMITTED)
			sim_task_status(s, t, TASK_PAUSED);
		return sim_accept_applied(s, c);
	}
	for (int i = 0; i < s->nworkers; i++) {
		SimAgent *w = &s->agents[i];

		if (agent >= 0 && i != s->agents[agent].host)
			continue;
		if (w->canceled || (w->paused && !w->resume_req))
			continue;
		n++;
	}
	if (agent >= 0 && sim_agent_dead(&s->agents[agent])) {
		snprintf(err, errlen, "agent '%s' is %s; nothing to pause", s->agents[agent].id,
			 sim_agent_dead(&s->agents[agent]));
		return -1;
	}
	if (n == 0)
		return sim_accept_applied(s, c);
	sim_accept(s, c);
	p = sim_pending_new(s, c->id, n);
	for (int i = 0; i < s->nworkers; i++) {
		SimAgent *w = &s->agents[i];

		if (agent >= 0 && i != s->agents[agent].host)
			continue;
		if (w->canceled || (w->paused && !w->resume_req))
			continue;
		sim_request_pause(w, p);
	}
	pthread_cond_broadcast(&s->cv);
	return 0;
}

/* resume: paused workers continue at their checkpoint; a parked task is runnable again. */
static int sim_cmd_resume(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			  size_t errlen)
{
	int n = 0, parked = 0, p;

	if (t) {
		if (t->status != TASK_PAUSED) {
			snprintf(err, errlen, t->pause_req
				 ? "task %s is still pausing; resume it once it is paused"
				 : "task %s is %s; only paused tasks can be resumed",
				 t->id, task_status_names[t->status]);
			return -1;
		}
		sim_task_status(s, t, TASK_SUBMITTED);
		pthread_cond_broadcast(&s->cv);
		return sim_accept_applied(s, c);
	}
	if (agent >= 0 && sim_agent_dead(&s->agents[agent])) {
		snprintf(err, errlen, "agent '%s' is %s; it cannot be resumed", s->agents[agent].id,
			 sim_agent_dead(&s->agents[agent]));
		return -1;
	}
	for (int i = 0; i < s->nworkers; i++) {
		SimAgent *w = &s->agents[i];

		if (agent >= 0 && i != s->agents[agent].host)
			continue;
		if (!w->canceled && (w->paused || w->pause_req) && !w->resume_req)
			n++;
	}
	if (agent < 0)
		for (int i = 0; i < SIM_TASK_CAP; i++)
			if (s->tasks[i].used && s->tasks[i].status == TASK_PAUSED &&
			    s->agents[s->tasks[i].agent].cur_task != i)
				parked++;
	if (n == 0 && parked == 0) {
		if (agent >= 0)
			snprintf(err, errlen, "agent '%s' is not paused", s->agents[agent].id);
		else
			snprintf(err, errlen, "nothing is paused");
		return -1;
	}
	sim_accept(s, c);
	for (int i = 0; agent < 0 && i < SIM_TASK_CAP; i++)
		if (s->tasks[i].used && s->tasks[i].status == TASK_PAUSED &&
		    s->agents[s->tasks[i].agent].cur_task != i)
			sim_task_status(s, &s->tasks[i], TASK_SUBMITTED);
	if (n == 0) {
		demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
		return 0;
	}
	p = sim_pending_new(s, c->id, n);
	for (int i = 0; i < s->nworkers; i++) {
		SimAgent *w = &s->agents[i];

		if (agent >= 0 && i != s->agents[agent].host)
			continue;
		if (!w->canceled && (w->paused || w->pause_req) && !w->resume_req) {
			w->resume_req = true;
			if (w->nresume < SIM_INJECT_MAX)
				w->resume_cmds[w->nresume++] = p;
		}
	}
	pthread_cond_broadcast(&s->cv);
	return 0;
}

/* retry: a failed or canceled task runs again with attempt + 1. */
static int sim_cmd_retry(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			 size_t errlen)
{
	(void)agent;
	if (!t) {
		snprintf(err, errlen, "retry needs a task target, e.g. {\"task\":\"t-9\"}");
		return -1;
	}
	if (t->type == TT_TOOL || t->type == TT_FLOOD) {
		snprintf(err, errlen, "task %s is a step; retry its parent task", t->id);
		return -1;
	}
	if (t->status != TASK_FAILED && t->status != TASK_CANCELED) {
		snprintf(err, errlen, "task %s is %s; only failed or canceled tasks can be retried",
			 t->id, task_status_names[t->status]);
		return -1;
	}
	sim_accept(s, c);
	if (s->agents[t->agent].canceled) {
		int a = sim_live_worker(s, s->agents[t->agent].kind, t->gen);

		if (a >= 0)
			t->agent = a;
	}
	t->attempt++;
	t->error[0] = 0;
	t->failed_at = 0;
	t->dep_canceled = false;
	sim_task_status(s, t, TASK_SUBMITTED);
	/* Tasks canceled only because this one was canceled come back too. */
	for (int i = 0; i < SIM_TASK_CAP; i++) {
		SimTask *o = &s->tasks[i];

		if (!o->used || !o->dep_canceled || o->status != TASK_CANCELED)
			continue;
		for (int k = 0; k < o->ndeps; k++) {
			if (o->dep_slot[k] == (int)(t - s->tasks) && o->dep_gen[k] == t->gen) {
				o->dep_canceled = false;
				o->error[0] = 0;
				sim_task_status(s, o, TASK_SUBMITTED);
				break;
			}
		}
	}
	demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
	pthread_cond_broadcast(&s->cv);
	return 0;
}

/* cancel: a task or an agent stops and becomes canceled; {} cancels unfinished tasks. */
static int sim_cmd_cancel(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			  size_t errlen)
{
	if (t) {
		if (task_status_is_final(t->status) || t->type == TT_FLOOD) {
			snprintf(err, errlen,
				 "task %s is %s; only unfinished tasks can be canceled", t->id,
				 task_status_names[t->status]);
			return -1;
		}
		sim_accept(s, c);
		snprintf(t->error, sizeof(t->error), "canceled by operator");
		sim_task_status(s, t, TASK_CANCELED);
		demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
		pthread_cond_broadcast(&s->cv);
		return 0;
	}
	if (agent >= 0) {
		SimAgent *a = &s->agents[agent];

		if (sim_agent_dead(a)) {
			snprintf(err, errlen, "agent '%s' is already %s", a->id, sim_agent_dead(a));
			return -1;
		}
		sim_accept(s, c);
		if (a->worker) {
			a->canceled = true;
			if (a->cur_task >= 0 &&
			    !task_status_is_final(s->tasks[a->cur_task].status)) {
				SimTask *cur = &s->tasks[a->cur_task];

				char why[120];

				snprintf(why, sizeof(why), "agent %s canceled", a->id);
				memcpy(cur->error, why, sizeof(why));
				sim_task_status(s, cur, TASK_CANCELED);
			}
		}
		a->status = AGENT_CANCELED;
		sim_pub_agent(s, a);
		demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
		pthread_cond_broadcast(&s->cv);
		return 0;
	}
	sim_accept(s, c);
	for (int i = 0; i < SIM_TASK_CAP; i++) {
		SimTask *o = &s->tasks[i];

		if (o->used && !task_status_is_final(o->status)) {
			snprintf(o->error, sizeof(o->error),
				 "canceled by operator (whole runtime)");
			sim_task_status(s, o, TASK_CANCELED);
		}
	}
	demo_ack_locked(s->d, c->id, ACK_APPLIED, NULL);
	pthread_cond_broadcast(&s->cv);
	return 0;
}

/* inject: an operator message now; the agent answers it at its next checkpoint. */
static int sim_cmd_inject(DemoSim *s, const DemoCmd *c, int agent, SimTask *t, char *err,
			  size_t errlen)
{
	SimAgent *a, *w;
	char id[40];

	(void)t;
	if (agent < 0) {
		snprintf(err, errlen, "inject needs an agent target, e.g. {\"agent\":\"planner\"}");
		return -1;
	}
	a = &s->agents[agent];
	w = &s->agents[a->host];
	if (sim_agent_dead(a) || w->canceled) {
		snprintf(err, errlen, "agent '%s' is %s; it cannot take guidance", a->id,
			 sim_agent_dead(a) ? sim_agent_dead(a) : "canceled");
		return -1;
	}
	if (w->ninject >= SIM_INJECT_MAX) {
		snprintf(err, errlen, "agent '%s' has %d unread operator messages; try again soon",
			 a->id, SIM_INJECT_MAX);
		return -1;
	}
	sim_accept(s, c);
	s->buf.len = 0;
	snprintf(id, sizeof(id), "op-%ld", ++s->opmsg);
	demo_buf_add(&s->buf, "\"agent\":", 8);
	demo_buf_json_str(&s->buf, a->id);
	demo_buf_add(&s->buf, ",\"task\":", 8);
	demo_buf_json_str(&s->buf, w->cur_task >= 0 ? s->tasks[w->cur_task].id : NULL);
	demo_buf_printf(&s->buf, ",\"id\":\"%s\",\"role\":\"operator\",\"text\":", id);
	demo_buf_json_str(&s->buf, c->text);
	sim_emit(s, "message");
	snprintf(w->inject[w->ninject], sizeof(w->inject[0]), "%s", c->text);
	w->inject_agent[w->ninject] = agent;
	w->inject_cmd[w->ninject++] = sim_pending_new(s, c->id, 1);
	pthread_cond_broadcast(&s->cv);
	return 0;
}

static const SimCmdFn sim_cmd_table[ACTION_COUNT] = {
	[ACTION_PAUSE] = sim_cmd_pause,
	[ACTION_RESUME] = sim_cmd_resume,
	[ACTION_RETRY] = sim_cmd_retry,
	[ACTION_CANCEL] = sim_cmd_cancel,
	[ACTION_INJECT] = sim_cmd_inject,
};

/* Validate and apply a command: 0 (accepted ack published) or -1 with err set. */
int demo_sim_command_locked(DemoSim *s, const DemoCmd *c, char *err, size_t errlen)
{
	SimTask *t = NULL;
	int agent = -1;

	if (c->kind == TARGET_AGENT) {
		agent = sim_agent_find(s, c->target);
		if (agent < 0) {
			snprintf(err, errlen, "unknown agent '%.128s'", c->target);
			return -1;
		}
	} else if (c->kind == TARGET_TASK) {
		t = sim_task_find(s, c->target);
		if (!t) {
			snprintf(err, errlen, "unknown task '%.128s'", c->target);
			return -1;
		}
	}
	if ((unsigned)c->action >= ACTION_COUNT || !sim_cmd_table[c->action]) {
		snprintf(err, errlen, "unsupported action");
		return -1;
	}
	return sim_cmd_table[c->action](s, c, agent, t, err, errlen);
}

/* Append the snapshot body: "agents":[..],"tasks":[..],"usage":[..]. */
void demo_sim_snapshot_locked(DemoSim *s, DemoBuf *b)
{
	int n = 0;

	demo_buf_add(b, "\"agents\":[", 10);
	for (int i = 0; i < SIM_MAX_AGENTS; i++) {
		if (!s->agents[i].used)
			continue;
		if (n++)
			demo_buf_add(b, ",", 1);
		sim_json_agent(s, b, &s->agents[i]);
	}
	demo_buf_add(b, "],\"tasks\":[", 11);
	n = 0;
	for (unsigned g = s->task_gen > SIM_TASK_CAP ? s->task_gen - SIM_TASK_CAP : 0;
	     g < s->task_gen; g++) {
		const SimTask *t = &s->tasks[g % SIM_TASK_CAP];

		if (!t->used || t->gen != g)
			continue;
		if (n++)
			demo_buf_add(b, ",", 1);
		sim_json_task(s, b, t);
	}
	for (int i = 0; s->flood >= 0 && i < SIM_FLOOD_TASKS; i++) {
		if (n++)
			demo_buf_add(b, ",", 1);
		sim_json_task(s, b, &s->flood_tasks[i]);
	}
	demo_buf_add(b, "],\"usage\":[", 11);
	n = 0;
	for (int i = 0; i < SIM_MAX_USAGE; i++) {
		const SimUsage *u = &s->usage[i];

		if (!u->used)
			continue;
		if (n++)
			demo_buf_add(b, ",", 1);
		demo_buf_add(b, "{\"agent\":", 9);
		demo_buf_json_str(b, u->agent);
		demo_buf_printf(b, ",\"provider\":\"%s\",\"model\":\"%s\","
				"\"input_tokens\":%lld,\"output_tokens\":%lld,"
				"\"cache_read_tokens\":%lld,\"cache_write_tokens\":%lld,"
				"\"reasoning_tokens\":%lld,\"cost_usd\":",
				u->provider, u->model, u->in, u->out, u->cr, u->cw, u->reas);
		if (u->has_cost)
			demo_buf_printf(b, "%.6f}", u->cost);
		else
			demo_buf_add(b, "null}", 5);
	}
	demo_buf_add(b, "]", 1);
}
