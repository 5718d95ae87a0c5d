/*
 * procstat.c: per-core utilization (/proc/stat) and per-thread CPU time and
 * last core (/proc/self/task/TID/stat) for the demo runtime's `threads`
 * events. Owns nothing but the parsing; callers keep the previous samples.
 */
#include "swarmtop/procstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read /proc/stat into c; 0 or -1. */
int procstat_read_cores(ProcCores *c)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];

	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = {0};
		char *p = line + 3, *end;
		long cpu;
		int i;

		if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9')
			continue;
		cpu = strtol(p, &end, 10);
		if (end == p || cpu < 0 || cpu >= PROCSTAT_MAX_CORES)
			continue;
		p = end;
		for (i = 0; i < 10; i++) {
			v[i] = strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		if (i < 4)
			continue;
		/* user nice system idle iowait irq softirq steal (guest counted in user) */
		c->total[cpu] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
		c->busy[cpu] = c->total[cpu] - v[3] - v[4];
		if (cpu + 1 > c->n)
			c->n = (int)cpu + 1;
	}
	fclose(f);
	return c->n > 0 ? 0 : -1;
}

/* Utilization 0..1 per core between two reads into out[max]; returns the count. */
int procstat_core_util(const ProcCores *prev, const ProcCores *cur, double *out, int max)
{
	int n = cur->n < max ? cur->n : max;

	for (int i = 0; i < n; i++) {
		unsigned long long dt = cur->total[i] - prev->total[i];
		unsigned long long db = cur->busy[i] - prev->busy[i];

		if (cur->total[i] < prev->total[i] || cur->busy[i] < prev->busy[i] || dt == 0)
			out[i] = 0.0;
		else
			out[i] = db >= dt ? 1.0 : (double)db / (double)dt;
	}
	return n;
}

/* Parse the text of a stat line of a task ("pid (comm) state ..."); 0 or -1. */
int procstat_parse_thread(const char *line, size_t len, ProcThread *t)
{
	const char *p = NULL, *end = line + len;
	unsigned long long ut = 0, st = 0;
	long core = -1;
	int field = 3;

	for (const char *q = line; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p)
		return -1;
	p++;
	/* Fields after the comm: 3 state, ..., 14 utime, 15 stime, ..., 39 processor. */
	while (p < end && field <= 39) {
		const char *tok;
		char num[32];
		size_t n;

		while (p < end && *p == ' ')
			p++;
		tok = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		n = (size_t)(p - tok);
		if (n == 0)
			break;
		if (field == 14 || field == 15 || field == 39) {
			if (n >= sizeof(num))
				return -1;
			memcpy(num, tok, n);
			num[n] = 0;
			if (field == 14)
				ut = strtoull(num, NULL, 10);
			else if (field == 15)
				st = strtoull(num, NULL, 10);
			else
				core = strtol(num, NULL, 10);
		}
		field++;
	}
	if (field <= 39)
		return -1;
	t->ticks = ut + st;
	t->core = core < 0 || core >= PROCSTAT_MAX_CORES ? -1 : (int)core;
	return 0;
}

/* Read /proc/self/task/TID/stat; 0 or -1 (thread gone). */
int procstat_read_thread(pid_t tid, ProcThread *t)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return procstat_parse_thread(buf, n, t);
}

/* Clock ticks per second (sysconf(_SC_CLK_TCK)). */
long procstat_ticks_per_sec(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? t : 100;
}
