/*
 * procstat.h: CPU accounting from /proc for the demo's `threads` events:
 * per-core utilization from /proc/stat and per-thread CPU time and last core
 * from /proc/self/task/TID/stat. Linux only; every read is bounds-checked.
 */
#ifndef SWARMTOP_PROCSTAT_H
#define SWARMTOP_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCSTAT_MAX_CORES 256

/* Cumulative busy and total jiffies per logical CPU. */
typedef struct ProcCores {
	int n;                                    /* logical CPUs covered (index = CPU number) */
	unsigned long long busy[PROCSTAT_MAX_CORES];
	unsigned long long total[PROCSTAT_MAX_CORES];
} ProcCores;

/* CPU time (user + system) in clock ticks and the CPU a thread last ran on. */
typedef struct ProcThread {
	unsigned long long ticks;
	int core;
} ProcThread;

/* Read /proc/stat into c; 0 or -1. */
int procstat_read_cores(ProcCores *c);

/* Utilization 0..1 per core between two reads into out[max]; returns the count. */
int procstat_core_util(const ProcCores *prev, const ProcCores *cur, double *out, int max);

/* Read /proc/self/task/TID/stat; 0 or -1 (thread gone). */
int procstat_read_thread(pid_t tid, ProcThread *t);

/* Clock ticks per second (sysconf(_SC_CLK_TCK)). */
long procstat_ticks_per_sec(void);

/* Parse the text of a stat line of a task ("pid (comm) state ..."); 0 or -1. */
int procstat_parse_thread(const char *line, size_t len, ProcThread *t);

#endif
