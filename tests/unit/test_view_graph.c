/*
 * test_view_graph.c: the Graph view through the off-screen canvas: golden
 * renderings at 80x24 and 200x60 (empty, a small DAG with a failed retried
 * task, hostile names, wide CJK names, ASCII mode, list mode, collapse, 10 000
 * tasks), no control bytes ever reach the text, selection kept in view unless
 * the operator panned, and the key-handler helpers.
 *
 * UPDATE_GOLDEN=1 rewrites tests/fixtures/golden/graph_*.txt.
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

#include "swarmtop/canvas.h"
#include "swarmtop/model.h"
#include "swarmtop/taskgraph.h"
#include "swarmtop/view.h"
#include "testutil.h"
#include "tg_fixture.h"

#define NOW_MS (TGF_T0 + 100000)

/* Render the Graph view into a fresh w x h canvas; returns the text (caller frees). */
static char *render(const Model *m, UiState *ui, int w, int h, bool ascii)
{
	Canvas *c = canvas_new(w, h, ascii);
	char *text;

	assert_non_null(c);
	view_graph_draw(m, ui, (Rect){0, 0, w, h}, c);
	text = canvas_to_text(c);
	assert_non_null(text);
	canvas_free(c);
	return text;
}

/* No control bytes (C0 but newline, DEL, UTF-8 C1) in rendered text. */
static void assert_clean(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		assert_true(*p >= 0x20 || *p == '\n');
		assert_true(*p != 0x7f);
		if (p[0] == 0xc2 && p[1])
			assert_false(p[1] >= 0x80 && p[1] <= 0x9f);
	}
}

/* True when every byte is ASCII. */
static bool all_ascii(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p >= 0x80)
			return false;
	return true;
}

/* A UiState for the graph of runtime 0. */
static void ui_graph(UiState *ui)
{
	ui_state_init(ui);
	ui->view = VIEW_GRAPH;
	ui->runtime = 0;
	ui->now_ms = NOW_MS;
}

/* A research pipeline: plan -> 3 searches (one failed and retried) -> merge -> write. */
static Model *pipeline(void)
{
	Model *m = tgf_model();
	EvTask t;
	static const char *merge_deps[] = {"s1", "s2", "s3"};
	static const char *s_deps[] = {"plan"};
	static const char *w_deps[] = {"merge", "style"};

	tgf_agent(m, "researcher", "researcher");
	memset(&t, 0, sizeof t);
	t.has = HAS_STATUS | HAS_DEPS | HAS_INPUT | HAS_OUTPUT;
	t.agent = "researcher";
	t.id = "plan";
	t.name = "plan: vendor pricing study";
	t.kind = "llm";
	t.status = TASK_WORKING;
	t.input = "compare vendor pricing for GPU hours across three providers";
	tgf_task_ev(m, &t);
	t.status = TASK_COMPLETED;
	t.output = "3 searches, 1 merge, 1 report";
	tgf_task_ev(m, &t);
	t.output = NULL;
	t.input = NULL;
	t.deps = s_deps;
	t.ndeps = 1;
	t.kind = "tool";
	t.id = "s1";
	t.name = "search: aws";
	t.status = TASK_WORKING;
	tgf_task_ev(m, &t);
	t.status = TASK_COMPLETED;
	tgf_task_ev(m, &t);
	t.id = "s2";
	t.name = "search: gcp";
	t.status = TASK_WORKING;
	tgf_task_ev(m, &t);
	t.status = TASK_FAILED;
	t.has |= HAS_ERROR | HAS_ATTEMPT;
	t.error = "HTTP 429 Too Many Requests: rate limited by upstream, retry after 30s";
	t.attempt = 2;
	tgf_task_ev(m, &t);
	t.has &= ~(unsigned)(HAS_ERROR | HAS_ATTEMPT);
	t.id = "s3";
	t.name = "search: azure";
	t.status = TASK_WORKING;
	tgf_task_ev(m, &t);
	t.id = "merge";
	t.name = "merge results";
	t.kind = "step";
	t.deps = merge_deps;
	t.ndeps = 3;
	t.status = TASK_SUBMITTED;
	tgf_task_ev(m, &t);
	t.id = "style";
	t.name = "style guide";
	t.deps = NULL;
	t.ndeps = 0;
	t.status = TASK_INPUT_REQUIRED;
	tgf_task_ev(m, &t);
	t.id = "write";
	t.name = "write report";
	t.kind = "llm";
	t.deps = w_deps;
	t.ndeps = 2;
	t.status = TASK_SUBMITTED;
	tgf_task_ev(m, &t);
	return m;
}

static void test_empty(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	char *text;

	ui_graph(&ui);
	text = render(m, &ui, 80, 24, false);
	assert_non_null(strstr(text, "no tasks yet"));
	assert_int_equal(ui.nrows, 0);
	test_golden("graph_empty_80x24", text);
	free(text);
	assert_int_equal(view_graph_task_at(m, &ui, 10, 10), -1);
	assert_int_equal(view_graph_find(m, &ui, 1, ~0u), -1);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_pipeline_goldens(void **state)
{
	(void)state;
	Model *m = pipeline();
	UiState ui;
	char *text;

	ui_graph(&ui);
	ui.sel_task = model_find_task(m, 0, "s2");
	text = render(m, &ui, 200, 60, false);
	assert_clean(text);
	assert_non_null(strstr(text, "search: gcp"));
	assert_non_null(strstr(text, "\xe2\x86\xbb"
	                             "2"));            /* ↻2 */
	assert_non_null(strstr(text, "HTTP 429"));     /* details pane */
	assert_non_null(strstr(text, "\xe2\x96\xb6")); /* ▶ arrowheads */
	assert_non_null(strstr(text, "1 failed"));
	test_golden("graph_pipeline_200x60", text);
	free(text);
	/* 80x24: no side pane, a footer line instead */
	text = render(m, &ui, 80, 24, false);
	assert_clean(text);
	assert_non_null(strstr(text, "attempt 2"));
	test_golden("graph_pipeline_80x24", text);
	free(text);
	/* the rows published for the key handlers are the tasks in layout order */
	assert_int_equal(ui.nrows, 7);
	assert_int_equal(ui.rows[0], model_find_task(m, 0, "plan"));
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_ascii_mode(void **state)
{
	(void)state;
	Model *m = pipeline();
	UiState ui;
	char *text;

	ui_graph(&ui);
	ui.sel_task = model_find_task(m, 0, "merge");
	text = render(m, &ui, 200, 60, true);
	assert_true(all_ascii(text));
	assert_non_null(strstr(text, "r2"));
	test_golden("graph_pipeline_ascii_200x60", text);
	free(text);
	ui.graph_list = true;
	text = render(m, &ui, 80, 24, true);
	assert_true(all_ascii(text));
	free(text);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_hostile_names(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	EvTask t;
	char *text;
	static const char *deps[] = {"evil1"};

	memset(&t, 0, sizeof t);
	t.has = HAS_STATUS | HAS_ERROR | HAS_INPUT;
	t.status = TASK_FAILED;
	t.id = "evil1";
	t.name = "\x1b[2J\x1b[31mred\x1b[0m\x1b]0;pwned\x07 title";
	t.error = "boom\r\n\x1b[1A\x9b"
	          "5m\xc2\x9b"
	          "1m\x7f tail";
	t.input = "\x1bP+q\x1b\\dcs \xe2\x80\xae"
	          "bidi";
	tgf_task_ev(m, &t);
	t.id = "evil2";
	t.name = "tab\there\x08\x08 bell\x07 \xff\xfe bad utf8";
	t.deps = deps;
	t.ndeps = 1;
	t.has = HAS_STATUS | HAS_DEPS;
	t.status = TASK_WORKING;
	tgf_task_ev(m, &t);
	ui_graph(&ui);
	ui.sel_task = model_find_task(m, 0, "evil1");
	text = render(m, &ui, 200, 60, false);
	assert_clean(text);
	assert_null(strstr(text, "pwned\x07"));
	assert_non_null(strstr(text, "red"));
	test_golden("graph_hostile_200x60", text);
	free(text);
	text = render(m, &ui, 80, 24, false);
	assert_clean(text);
	test_golden("graph_hostile_80x24", text);
	free(text);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

/* Display columns of one line of UTF-8 text (wide CJK counts 2). */
static int line_cols(const char *s, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		int k = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
		uint32_t cp = b;

		if (k == 3)
			cp = (uint32_t)(b & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 |
			     (uint32_t)(s[i + 2] & 0x3f);
		cols += (k == 3 && cp >= 0x3000 && cp <= 0x9fff) ? 2 : 1;
		i += (size_t)k;
	}
	return cols;
}

static void test_cjk_names(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	char *text;

	tgf_task(m, "検索タスク：価格比較とベンダー調査", TASK_COMPLETED, NULL);
	tgf_task(m, "要約", TASK_WORKING, "検索タスク：価格比較とベンダー調査", NULL);
	tgf_task(m, "翻訳する", TASK_SUBMITTED, "要約", NULL);
	ui_graph(&ui);
	ui.sel_task = model_find_task(m, 0, "要約");
	text = render(m, &ui, 200, 60, false);
	assert_clean(text);
	assert_non_null(strstr(text, "要約"));
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		assert_true(line_cols(p, n) <= 200);
		p += n + (e ? 1 : 0);
	}
	test_golden("graph_cjk_200x60", text);
	free(text);
	text = render(m, &ui, 80, 24, false);
	test_golden("graph_cjk_80x24", text);
	free(text);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_list_and_collapse(void **state)
{
	(void)state;
	Model *m = pipeline();
	UiState ui;
	char *text;

	ui_graph(&ui);
	ui.graph_list = true;
	ui.sel_task = model_find_task(m, 0, "merge");
	text = render(m, &ui, 80, 24, false);
	assert_non_null(strstr(text, "[list]"));
	assert_non_null(strstr(text, "merge results"));
	test_golden("graph_list_80x24", text);
	free(text);
	assert_int_equal(ui.nrows, 7);
	assert_int_equal(view_graph_neighbour(m, &ui, 0, 1), ui.rows[3]);
	ui.graph_list = false;
	ui.collapse_done = true;
	text = render(m, &ui, 200, 60, false);
	assert_non_null(strstr(text, "[collapsed]"));
	free(text);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_collapse_summary(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	char *text;

	tgf_task(m, "fetch", TASK_COMPLETED, NULL);
	tgf_task(m, "parse", TASK_COMPLETED, "fetch", NULL);
	tgf_task(m, "index", TASK_COMPLETED, "parse", NULL);
	tgf_task(m, "rank", TASK_COMPLETED, "index", NULL);
	tgf_task(m, "answer", TASK_WORKING, "rank", NULL);
	ui_graph(&ui);
	ui.collapse_done = true;
	ui.sel_task = model_find_task(m, 0, "fetch");
	text = render(m, &ui, 200, 60, false);
	assert_non_null(strstr(text, "3 done"));
	assert_non_null(strstr(text, "3 completed tasks"));
	test_golden("graph_collapse_200x60", text);
	free(text);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_autopan_and_helpers(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	char *text, id[16], prev[16];
	int last, first, x, y, hit = -1;
	Canvas *c;

	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "step%d", i);
		snprintf(prev, sizeof prev, "step%d", i - 1);
		tgf_task(m, id,
		         i == 9  ? TASK_FAILED
		         : i < 9 ? TASK_COMPLETED
		                 : TASK_SUBMITTED,
		         i ? prev : NULL, NULL);
	}
	last = model_find_task(m, 0, "step11");
	first = model_find_task(m, 0, "step0");
	ui_graph(&ui);
	ui.sel_task = last;
	text = render(m, &ui, 80, 24, false);
	free(text);
	assert_true(ui.pan_x > 0); /* auto-panned to the far right */
	/* the selected task is on screen: a click somewhere in the area finds it */
	c = canvas_new(80, 24, false);
	view_graph_draw(m, &ui, (Rect){0, 0, 80, 24}, c);
	for (y = 1; y < 23 && hit != last; y++)
		for (x = 0; x < 80 && hit != last; x++)
			hit = view_graph_task_at(m, &ui, x, y);
	canvas_free(c);
	assert_int_equal(hit, last);
	assert_int_equal(view_graph_task_at(m, &ui, -1, 5), -1);
	/* the operator pans away: the view stays where they put it */
	ui.pan_x = 0;
	text = render(m, &ui, 80, 24, false);
	free(text);
	assert_int_equal(ui.pan_x, 0);
	/* moving the selection brings it back into view */
	ui.sel_task = view_graph_find(m, &ui, 1, 1u << TASK_FAILED);
	assert_int_equal(ui.sel_task, model_find_task(m, 0, "step9"));
	text = render(m, &ui, 80, 24, false);
	free(text);
	assert_true(ui.pan_x > 0);
	assert_int_equal(view_graph_neighbour(m, &ui, 1, 0), model_find_task(m, 0, "step10"));
	assert_int_equal(view_graph_neighbour(m, &ui, 0, 1), -1);
	ui.sel_task = first;
	assert_int_equal(view_graph_neighbour(m, &ui, -1, 0), -1);
	/* an invalid selection is replaced by the first task in layout order */
	ui.sel_task = 12345;
	text = render(m, &ui, 80, 24, false);
	free(text);
	assert_int_equal(ui.sel_task, first);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

static void test_ten_thousand(void **state)
{
	(void)state;
	Model *m = tgf_model();
	UiState ui;
	Canvas *c = canvas_new(200, 60, false);
	struct timespec t0, t1;
	char *text;
	double first_ms, frame_ms;
	int frames = 50;

	tgf_big(m, 10000);
	ui_graph(&ui);
	ui.sel_task = model_find_task(m, 0, "t5000");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	view_graph_draw(m, &ui, (Rect){0, 0, 200, 60}, c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	first_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	text = canvas_to_text(c);
	assert_clean(text);
	assert_non_null(strstr(text, "step 5000"));
	test_golden("graph_10k_200x60", text);
	free(text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < frames; i++) {
		char id[16];

		snprintf(id, sizeof id, "t%d", 4990 + i % 20);
		tgf_status(m, id, i % 2 ? TASK_WORKING : TASK_FAILED); /* recolour, not re-layout */
		view_graph_draw(m, &ui, (Rect){0, 0, 200, 60}, c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	frame_ms =
	        ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) /
	        frames;
	printf("# 10000 tasks at 200x60: first frame (layout + draw) %.1f ms, "
	       "later frames %.2f ms (this build)\n",
	       first_ms, frame_ms);
	/* list mode on the same graph */
	ui.graph_list = true;
	text = render(m, &ui, 200, 60, false);
	assert_non_null(strstr(text, "step 5000"));
	test_golden("graph_10k_list_200x60", text);
	free(text);
	canvas_free(c);
	ui_state_free(&ui);
	view_graph_release();
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_pipeline_goldens),
	        cmocka_unit_test(test_ascii_mode),
	        cmocka_unit_test(test_hostile_names),
	        cmocka_unit_test(test_cjk_names),
	        cmocka_unit_test(test_list_and_collapse),
	        cmocka_unit_test(test_collapse_summary),
	        cmocka_unit_test(test_autopan_and_helpers),
	        cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
