/*
 * demo_sim.h: the simulated multi-agent service behind the demo runtime, and
 * the narrow hub interface it uses to publish events through demo.c.
 *
 * Locking: one mutex (demo_mutex) guards both the simulation state and the
 * retention ring, so an event's seq and the state it describes always agree
 * (a snapshot taken under the lock reflects exactly the events up to its seq).
 * Every function named *_locked must be called with that mutex held.
 */
#ifndef SWARMTOP_DEMO_SIM_H
#define SWARMTOP_DEMO_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmtop/demo.h"
#include "swarmtop/event.h"

/* A growable text buffer for building JSON. */
typedef struct DemoBuf {
	char *p;
	size_t len, cap;
} DemoBuf;

/* Append n bytes. */
void demo_buf_add(DemoBuf *b, const char *s, size_t n);
/* Append a formatted string. */
void demo_buf_printf(DemoBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (quoted, escaped); NULL appends null. */
void demo_buf_json_str(DemoBuf *b, const char *s);
/* Free the buffer's memory. */
void demo_buf_free(DemoBuf *b);

/* A command from a client, validated for shape (not for state) by demo.c. */
typedef struct DemoCmd {
	const char *id;
	CommandAction action;
	TargetKind kind;
	const char *target;      /* "" for the runtime */
	const char *text;        /* inject text or NULL */
} DemoCmd;

typedef struct DemoSim DemoSim;

/* The hub mutex shared by the server and the simulation. */
pthread_mutex_t *demo_mutex(Demo *d);

/* Assign the next seq and retain {"type":T,"seq":N,"ts":MS,<body>}; body may be empty. */
int64_t demo_publish_locked(Demo *d, const char *type, const char *body, size_t len);

/* Publish an ack for a command and remember its latest status for repeats. */
void demo_ack_locked(Demo *d, const char *cmd, AckStatus st, const char *err);

/* Number of subscribed connections. */
int demo_subscribers_locked(Demo *d);

/* Flood backpressure: wait (bounded) until publishing one event overwrites nothing unsent. */
void demo_wait_space_locked(Demo *d);

/* Start the simulation threads; NULL on failure. */
DemoSim *demo_sim_start(Demo *d, const DemoOptions *o);

/* Stop and join every simulation thread, then free (NULL is fine). */
void demo_sim_stop(DemoSim *s);

/* Validate and apply a command: 0 (accepted ack published) or -1 with err set. */
int demo_sim_command_locked(DemoSim *s, const DemoCmd *c, char *err, size_t errlen);

/* Append the snapshot body: "agents":[..],"tasks":[..],"usage":[..]. */
void demo_sim_snapshot_locked(DemoSim *s, DemoBuf *b);

#endif
