/*
 * bench_store.c: store throughput on a realistic event mix (about 250-byte raw
 * JSON events from two runtime instances): batched inserts on the caller's
 * thread, the same with STORE_ASYNC (loop-thread cost and end-to-end rate),
 * replay reads, and bytes per stored event on disk.
 *
 * Build by hand (make bench builds it too once bench/run.sh does):
 *   cc -O2 -Iinclude bench/bench_store.c src/store.c -lsqlite3 -lpthread -o /tmp/bench_store
 * Usage: bench_store [EVENTS] [DIR] [sync|async]
 *   (default 500000 events, a temp dir under /tmp, both modes)
 * The payloads are generated before timing starts; their seq text does not
 * match the seq column, which the store does not read.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/store.h"

#define PAYLOADS 4096

static char *payload[PAYLOADS];
static size_t payload_len[PAYLOADS];
static const char *payload_type[PAYLOADS];

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of a clock (this thread, or the whole process). */
static double cpu_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wall-clock milliseconds (recv_ms). */
static int64_t wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Build the payload pool: the demo's mix of usage, task, message, log, agent, threads. */
static void make_payloads(void)
{
	static const char *const agents[] = {"planner", "researcher-1", "researcher-2", "coder-1",
					     "coder-2", "reviewer"};
	char b[1024];
	for (int i = 0; i < PAYLOADS; i++) {
		const char *a = agents[i % 6];
		long long ts = 1764300000000LL + i * 7;
		int kind = (i * 7919) % 10;
		int n;
		if (kind < 3) {
			payload_type[i] = "usage";
			n = snprintf(b, sizeof b,
				     "{\"type\":\"usage\",\"seq\":%d,\"ts\":%lld,\"agent\":\"%s\","
				     "\"task\":\"t-%d\",\"provider\":\"openai\",\"model\":\"gpt-5\","
				     "\"input_tokens\":%d,\"output_tokens\":%d,\"cache_read_tokens\":%d,"
				     "\"cache_write_tokens\":0,\"reasoning_tokens\":%d,"
				     "\"cost_usd\":null}",
				     i + 1, ts, a, i % 500, 1000 + i % 3000, 200 + i % 700, i % 800,
				     i % 120);
		} else if (kind < 6) {
			payload_type[i] = "task";
			n = snprintf(b, sizeof b,
				     "{\"type\":\"task\",\"seq\":%d,\"ts\":%lld,\"task\":{\"id\":\"t-%d\","
				     "\"agent\":\"%s\",\"name\":\"search: vendor pricing page %d\","
				     "\"kind\":\"tool\",\"status\":\"working\",\"deps\":[\"t-%d\","
				     "\"t-%d\"],\"parent\":\"t-3\",\"attempt\":1,\"error\":null}}",
				     i + 1, ts, i % 500, a, i, i % 499, i % 497);
		} else if (kind < 8) {
			payload_type[i] = "message";
			n = snprintf(b, sizeof b,
				     "{\"type\":\"message\",\"seq\":%d,\"ts\":%lld,\"agent\":\"%s\","
				     "\"task\":\"t-%d\",\"id\":\"m-%d\",\"role\":\"assistant\","
				     "\"text\":\"Comparing the EU and US price lists; the EU list has "
				     "three tiers and a volume discount above 10k seats.\"}",
				     i + 1, ts, a, i % 500, i);
		} else if (kind < 9) {
			payload_type[i] = "log";
			n = snprintf(b, sizeof b,
				     "{\"type\":\"log\",\"seq\":%d,\"ts\":%lld,\"level\":\"warn\","
				     "\"text\":\"rate limited by provider, backing off %d ms before "
				     "retrying the request\",\"agent\":\"%s\",\"task\":\"t-%d\"}",
				     i + 1, ts, 100 + i % 2000, a, i % 500);
		} else {
			payload_type[i] = "threads";
			n = snprintf(b, sizeof b,
				     "{\"type\":\"threads\",\"seq\":%d,\"ts\":%lld,\"interval_ms\":1000,"
				     "\"cores\":[0.92,0.88],\"threads\":[{\"tid\":4122,\"name\":"
				     "\"worker-0\",\"core\":0,\"cpu\":0.91,\"agent\":\"%s\"},{\"tid\":"
				     "4123,\"name\":\"worker-1\",\"core\":1,\"cpu\":0.87}]}",
				     i + 1, ts, a);
		}
		payload[i] = strdup(b);
		payload_len[i] = (size_t)n;
	}
}

/* Timings of one fill. */
typedef struct Times {
	double append_s;   /* wall time of the appends (the loop thread's view) */
	double total_s;    /* wall time of appends and the final flush */
	double loop_cpu;   /* CPU seconds of the appending thread */
	double proc_cpu;   /* CPU seconds of the whole process (writer, checkpointer) */
} Times;

/* Append n events to a fresh session; returns the session id and fills *t. */
static int64_t fill(Store *s, long n, Times *t)
{
	StoreSessionInfo info = {.started_ms = wall_ms(), .how = "bench", .label = "bench_store"};
	int64_t session = store_session_begin(s, &info);
	if (session < 0) {
		fprintf(stderr, "bench_store: %s\n", store_error(s));
		exit(1);
	}
	static const char *const inst[] = {"5f0c2a9e", "77a01b3c"};
	int64_t seq[2] = {0, 0};
	double t0 = now_s(), c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID), p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		int r = (int)(i & 1);
		int p = (int)(i % PAYLOADS);
		int64_t now = wall_ms();
		StoreEventRow row = {.session = session, .runtime_id = r ? "billing-agents" : "search",
				     .instance = inst[r], .seq = ++seq[r], .ts = now, .recv_ms = now,
				     .type = payload_type[p], .raw = payload[p],
				     .raw_len = payload_len[p]};
		if (store_append(s, &row) < 0 || ((i & 63) == 0 && store_maybe_flush(s, now) < 0)) {
			fprintf(stderr, "bench_store: %s\n", store_error(s));
			exit(1);
		}
	}
	double t1 = now_s();
	if (store_flush(s) < 0) {
		fprintf(stderr, "bench_store: %s\n", store_error(s));
		exit(1);
	}
	t->append_s = t1 - t0;
	t->total_s = now_s() - t0;
	t->loop_cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	t->proc_cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0;
	return session;
}

/* Read a session back in order; rows per second. */
static double read_back(const char *path, int64_t session, long n)
{
	char err[512];
	Store *s = store_open(path, STORE_READONLY, err, sizeof err);
	if (!s) {
		fprintf(stderr, "bench_store: %s\n", err);
		exit(1);
	}
	double t0 = now_s();
	StoreIter *it = store_iter_open(s, session, 0);
	StoreEvent ev;
	long rows = 0;
	size_t bytes = 0;
	while (it && store_iter_step(it, &ev) == 1) {
		rows++;
		bytes += ev.raw_len;
	}
	store_iter_close(it);
	double dt = now_s() - t0;
	store_close(s);
	if (rows != n || bytes == 0) {
		fprintf(stderr, "bench_store: read back %ld rows, expected %ld\n", rows, n);
		exit(1);
	}
	return (double)rows / dt;
}

/* Size of a file, 0 when missing. */
static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 500000;
	char tmpl[] = "/tmp/bench_store.XXXXXX";
	const char *dir = argc > 2 && strcmp(argv[2], "-") ? argv[2] : mkdtemp(tmpl);
	if (n <= 0 || !dir) {
		fprintf(stderr, "usage: bench_store [EVENTS] [DIR|-] [sync|async]\n");
		return 2;
	}
	make_payloads();
	size_t total = 0;
	for (int i = 0; i < PAYLOADS; i++)
		total += payload_len[i];
	printf("store bench: %ld events, mean raw %zu bytes, 2 runtime instances, batch %d/%d ms\n",
	       n, total / PAYLOADS, STORE_BATCH_EVENTS, STORE_BATCH_MS);
	static const struct {
		const char *name;
		unsigned flags;
	} modes[] = {{"sync", STORE_READWRITE}, {"async", STORE_ASYNC}};
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		if (argc > 3 && strcmp(argv[3], modes[m].name))
			continue;
		char path[4096], err[512];
		snprintf(path, sizeof path, "%s/%s.db", dir, modes[m].name);
		Store *s = store_open(path, modes[m].flags, err, sizeof err);
		if (!s) {
			fprintf(stderr, "bench_store: %s\n", err);
			return 1;
		}
		Times t;
		int64_t session = fill(s, n, &t);
		StoreStats st;
		store_stats(s, &st);
		if (store_close(s) < 0 || st.committed != (uint64_t)n || st.inserted != (uint64_t)n) {
			fprintf(stderr, "bench_store: committed %llu inserted %llu of %ld\n",
				(unsigned long long)st.committed, (unsigned long long)st.inserted, n);
			return 1;
		}
		double rd = read_back(path, session, n);
		printf("  %-5s  insert %9.0f rows/s (wall)  loop thread %.2f us/row CPU"
		       " (%.0f rows per CPU-s)  process %.2f us/row CPU\n",
		       modes[m].name, (double)n / t.total_s, t.loop_cpu * 1e6 / (double)n,
		       (double)n / t.loop_cpu, t.proc_cpu * 1e6 / (double)n);
		printf("  %-5s  appends %9.0f/s (wall)  commits %llu  checkpoints %llu  WAL peak"
		       " %llu KiB  queue peak %llu KiB  producer waits %llu\n",
		       modes[m].name, (double)n / t.append_s, (unsigned long long)st.commits,
		       (unsigned long long)st.checkpoints,
		       (unsigned long long)st.wal_peak_pages * 4,
		       (unsigned long long)st.queue_peak / 1024,
		       (unsigned long long)st.producer_waits);
		printf("  %-5s  replay read %9.0f rows/s  disk %.0f bytes/event\n", modes[m].name, rd,
		       (double)file_size(path) / (double)n);
		unlink(path);
	}
	if (dir == tmpl)
		rmdir(dir);
	return 0;
}
