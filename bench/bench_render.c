/*
 * bench_render.c: the render benchmark. Builds a model in-process through the
 * real path (protocol JSON -> proto_decode -> model_apply): one runtime with
 * 1 000 agents (a tree), 10 000 tasks with deps, usage for every agent, a
 * threads sample of 64 cores and 1 000 threads, and a full message ring. Then,
 * for each view at 200x60:
 *   build: frame_draw into a Canvas (header, tabs, body, key bar), the clock
 *          advancing one second per frame as in the live 1 Hz redraw;
 *   paint: crt_paint of that canvas (ncurses diff + doupdate), steady state;
 *   switch: crt_paint right after switching from another view (a full repaint).
 * Paint figures need a terminal on stdin/stdout (bench/run.sh runs this inside
 * a 200x60 tmux pane); without one only build is measured. Times are CPU time
 * of the process (the machine is shared: wall time would count other work).
 *
 * Output (to the file named by the first argument, or stdout):
 *   view NAME build MED MIN MAX paint MED MIN MAX switch MED MIN MAX   (ms per frame)
 *
 *   bench_render OUT [--paint]
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "swarmtop/arena.h"
#include "swarmtop/builtin.h"
#include "swarmtop/canvas.h"
#include "swarmtop/crt.h"
#include "swarmtop/frame.h"
#include "swarmtop/keymap.h"
#include "swarmtop/model.h"
#include "swarmtop/proto.h"
#include "swarmtop/theme.h"
#include "swarmtop/usage.h"
#include "swarmtop/view.h"

#define W       200
#define H       60
#define REPS    7      /* repetitions (median and spread over these) */
#define FRAMES  20     /* frames per repetition */
#define T0      1764300000000LL

static Model *model;
static Arena arena;
static int64_t seq, ts = T0;

/* CPU seconds of this process. */
static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Decode one JSON message and apply it to runtime 0; exit on a reject (a bug here). */
static void feed(const char *json)
{
	Event ev;
	char err[PROTO_ERR_MAX];
	arena_reset(&arena);
	if (proto_decode(json, strlen(json), &ev, &arena, err) != PROTO_OK) {
		fprintf(stderr, "bench_render: rejected %.80s: %s\n", json, err);
		exit(1);
	}
	model_apply(model, 0, &ev, ts, NULL);
}

/* Build the 1 000-agent, 10 000-task model with a full message ring. */
static void build_model(void)
{
	static char b[65536];
	model = model_new();
	arena_init(&arena, 1 << 20);
	if (!model)
		exit(1);
	model_add_runtime(model, "ws://127.0.0.1:7700/swarmtop", T0);
	feed("{\"type\":\"hello\",\"proto\":1,\"runtime\":{\"id\":\"bench\",\"instance\":\"b1\","
	     "\"name\":\"bench fleet\",\"lang\":\"python\",\"cores\":64},"
	     "\"capabilities\":[\"pause\",\"resume\",\"retry\",\"cancel\",\"inject\"],"
	     "\"last_seq\":0}");
	model_set_conn(model, 0, CONN_CONNECTED, NULL, 0, T0);
	for (int i = 0; i < 1000; i++) {
		char parent[32] = "null";
		if (i)
			snprintf(parent, sizeof parent, "\"agent-%04d\"", i / 10);
		snprintf(b, sizeof b, "{\"type\":\"agent\",\"seq\":%lld,\"ts\":%lld,\"agent\":{"
		         "\"id\":\"agent-%04d\",\"name\":\"worker %04d\",\"role\":\"worker\","
		         "\"model\":\"%s\",\"parent\":%s,\"status\":\"%s\"}}",
		         (long long)++seq, (long long)++ts, i, i, i % 2 ? "gpt-4o" : "claude-sonnet-4",
		         parent, i % 10 == 3 ? "failed" : (i % 7 == 0 ? "idle" : "working"));
		feed(b);
	}
	for (int i = 0; i < 10000; i++) {
		char deps[64] = "";
		if (i >= 2)
			snprintf(deps, sizeof deps, "\"task-%05d\",\"task-%05d\"", i - 1, i / 2);
		snprintf(b, sizeof b, "{\"type\":\"task\",\"seq\":%lld,\"ts\":%lld,\"task\":{"
		         "\"id\":\"task-%05d\",\"agent\":\"agent-%04d\",\"name\":\"step %d of job %d\","
		         "\"kind\":\"tool\",\"status\":\"%s\",\"deps\":[%s],\"attempt\":1}}",
		         (long long)++seq, (long long)++ts, i, i % 1000, i % 10, i / 10,
		         i % 3 ? "completed" : (i % 30 == 0 ? "failed" : "working"), deps);
		feed(b);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(b, sizeof b, "{\"type\":\"usage\",\"seq\":%lld,\"ts\":%lld,\"agent\":"
		         "\"agent-%04d\",\"task\":\"task-%05d\",\"provider\":\"%s\",\"model\":\"%s\","
		         "\"input_tokens\":%d,\"output_tokens\":%d,\"cache_read_tokens\":0,"
		         "\"cache_write_tokens\":0,\"reasoning_tokens\":0,\"cost_usd\":null}",
		         (long long)++seq, (long long)++ts, i, i, i % 2 ? "openai" : "anthropic",
		         i % 2 ? "gpt-4o" : "claude-sonnet-4", 1000 + i, 100 + i);
		feed(b);
	}
	int n = snprintf(b, sizeof b, "{\"type\":\"threads\",\"seq\":%lld,\"ts\":%lld,"
	                 "\"interval_ms\":1000,\"cores\":[", (long long)++seq, (long long)++ts);
	for (int k = 0; k < 64; k++)
		n += snprintf(b + n, sizeof b - (size_t)n, "%s%.2f", k ? "," : "", (k * 37 % 100) / 100.0);
	n += snprintf(b + n, sizeof b - (size_t)n, "],\"threads\":[");
	for (int i = 0; i < 1000 && (size_t)n + 128 < sizeof b; i++)
		n += snprintf(b + n, sizeof b - (size_t)n, "%s{\"tid\":%d,\"name\":\"w-%d\",\"core\":%d,"
		              "\"cpu\":%.2f,\"agent\":\"agent-%04d\"}", i ? "," : "", 1000 + i, i,
		              i % 64, (i % 100) / 100.0, i);
	snprintf(b + n, sizeof b - (size_t)n, "]}");
	feed(b);
	for (int i = 0; i < MODEL_LINES_MAX + 100; i++) {
		snprintf(b, sizeof b, "{\"type\":\"message\",\"seq\":%lld,\"ts\":%lld,\"agent\":"
		         "\"agent-%04d\",\"task\":\"task-%05d\",\"id\":\"m-%d\",\"role\":\"assistant\","
		         "\"text\":\"%d: comparing the EU and US price lists; the EU list has three "
		         "tiers and a volume discount above 10k seats. Next: shipping terms.\"}",
		         (long long)++seq, (long long)++ts, i % 1000, i % 10000, i, i);
		feed(b);
	}
}

/* Ascending order of doubles (qsort). */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median, min and max of REPS values, in ms. */
static void stats(double *v, double *out)
{
	qsort(v, REPS, sizeof *v, cmp_d);
	out[0] = v[REPS / 2] * 1e3;
	out[1] = v[0] * 1e3;
	out[2] = v[REPS - 1] * 1e3;
}

int main(int argc, char **argv)
{
	FILE *out = argc > 1 ? fopen(argv[1], "w") : stdout;
	bool paint = argc > 2 && strcmp(argv[2], "--paint") == 0;
	char err[256];
	if (!out)
		return 2;
	build_model();
	Keymap km;
	keymap_default(&km);
	PriceTable prices;
	prices_init(&prices);
	prices_parse(&prices, builtin_prices, strlen(builtin_prices), NULL, NULL);
	UiState ui;
	ui_state_init(&ui);
	ui.prices = &prices;
	ui.now_ms = ts + 1000;
	FrameInput in = {.km = &km};
	if (paint) {
		if (crt_init(false, err, sizeof err) != 0) {
			fprintf(out, "# no terminal: %s\n", err);
			paint = false;
		} else {
			Theme th;
			theme_default(&th);
			crt_set_theme(&th);
			int w, h;
			crt_size(&w, &h);
			if (w != W || h != H)
				fprintf(out, "# terminal is %dx%d, not %dx%d\n", w, h, W, H);
		}
	} else {
		setlocale(LC_ALL, "");
	}
	Canvas *c = canvas_new(W, H, false);
	if (!c)
		return 1;
	for (int v = 0; v < VIEW_COUNT; v++) {
		double build[REPS], pnt[REPS], sw[REPS], b3[3], p3[3] = {0}, s3[3] = {0};
		ui.view = (ViewId)v;
		for (int i = 0; i < 3; i++) {   /* warm-up: caches, layout, first paint */
			frame_draw(model, &ui, &in, c);
			if (paint)
				crt_paint(c, -1, -1);
		}
		for (int r = 0; r < REPS; r++) {
			double tb = 0, tp = 0;
			for (int f = 0; f < FRAMES; f++) {
				ui.now_ms += 1000;
				double t0 = cpu_s();
				frame_draw(model, &ui, &in, c);
				double t1 = cpu_s();
				if (paint)
					crt_paint(c, -1, -1);
				tb += t1 - t0;
				tp += cpu_s() - t1;
			}
			build[r] = tb / FRAMES;
			pnt[r] = tp / FRAMES;
			/* A view switch: draw another view, then this one (a full repaint). */
			double ts_sum = 0;
			for (int f = 0; f < 4 && paint; f++) {
				ui.view = (ViewId)((v + 1) % VIEW_COUNT);
				frame_draw(model, &ui, &in, c);
				crt_paint(c, -1, -1);
				ui.view = (ViewId)v;
				frame_draw(model, &ui, &in, c);
				double t0 = cpu_s();
				crt_paint(c, -1, -1);
				ts_sum += cpu_s() - t0;
			}
			sw[r] = ts_sum / 4;
		}
		stats(build, b3);
		if (paint) {
			stats(pnt, p3);
			stats(sw, s3);
		}
		fprintf(out, "view %s build %.3f %.3f %.3f paint %.3f %.3f %.3f switch %.3f %.3f %.3f\n",
		        view_names[v], b3[0], b3[1], b3[2], p3[0], p3[1], p3[2], s3[0], s3[1], s3[2]);
	}
	fprintf(out, "model agents %zu tasks %zu lines %zu\n", model->nagents, model->ntasks,
	        model->nlines);
	if (paint)
		crt_done();
	canvas_free(c);
	ui_state_free(&ui);
	prices_free(&prices);
	model_free(model);
	arena_free(&arena);
	if (out != stdout)
		fclose(out);
	return 0;
}
