/*
 * demo.h: the demo runtime, a real libwebsockets WebSocket server speaking
 * protocol v1 (hello, subscribe with replay from a retention ring, snapshot
 * when history is gone, commands with acks, token auth, size limits) in front
 * of a simulated multi-agent service whose workers are real threads
 * (demo_sim.h). Used by `swarmtop demo`, by the dashboard when no URL is
 * given (demo_start), by tests and by benchmarks (flood mode).
 *
 * Restarting with the same --instance: nothing is persisted. The restarted
 * process continues its seq after --seq-start N (default 0), so a client that
 * stored up to K <= N and subscribes with since=K gets a snapshot (seq N) and
 * then live events from N+1; the gap K+1..N is announced, never silent.
 */
#ifndef SWARMTOP_DEMO_H
#define SWARMTOP_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Demo Demo;

typedef struct DemoOptions {
	const char *host;        /* listen address, default 127.0.0.1 */
	int port;                /* default 7700; 0 = pick a free port */
	int agents;              /* worker agents incl. planner and reviewer, default 8 (3..32) */
	double rate;             /* flood mode: events/s (0 = unlimited); < 0 = off (default) */
	uint64_t seed;           /* simulation content seed; 0 = from the clock */
	const char *token;       /* require "Authorization: Bearer <token>"; NULL = open */
	int retain;              /* events kept for resume, default 10000 */
	const char *instance;    /* runtime.instance; NULL = random */
	bool quiet;              /* no diagnostics on stderr */
	double speed;            /* simulation pace multiplier, default 1.0 (tests use 10+) */
	double duration;         /* demo_run: stop after this many seconds; 0 = never */
	long long drop_after;    /* close each connection after sending N events; 0 = never */
	long long seq_start;     /* first seq is seq_start + 1 (restart with the same instance) */
	const char *runtime_id;  /* runtime.id, default "swarmtop-demo" */
	size_t max_message;      /* largest client message accepted, default 1 MiB */
} DemoOptions;

/* Fill o with the defaults. */
void demo_options_init(DemoOptions *o);

/* Run the demo in this thread until SIGINT/SIGTERM or the duration ends; 0 on a clean stop. */
int demo_run(const DemoOptions *o);

/* Start the demo in its own thread; *bound_port gets the listening port. NULL + err on failure. */
Demo *demo_start(const DemoOptions *o, int *bound_port, char *err, size_t errlen);

/* Stop a demo started with demo_start and free it (NULL is fine). */
void demo_stop(Demo *d);

/* The `swarmtop demo` subcommand: parse argv (argv[0] = "demo") and run. Exit status. */
int demo_main(int argc, char **argv);

#endif
