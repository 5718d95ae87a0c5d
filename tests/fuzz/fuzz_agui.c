/*
 * fuzz_agui.c: libFuzzer target for the AG-UI mapper (agui.c, through it
 * interop.c's JSON Patch). The input is a stream: one AG-UI event per line (a
 * leading "data: " is dropped, so SSE transcripts are seeds too; blank lines are
 * skipped), all fed to the same AguiState so that multi-event logic (runs,
 * sub-agents, steps, tool calls, chunks, snapshots, state) is exercised. A line
 * "*N EVENT" feeds EVENT N times with every "$$" replaced by the repetition number
 * and "$-" by the one before (chains: deep nesting). At most FUZZ_REPEATS calls per
 * input: AGUI_MAX_OPEN (4096) is out of reach, as closing thousands of open things is
 * quadratic and the fuzzer's strcmp hooks make that seconds per input; test_agui covers
 * the cap.
 *
 * Checked (fuzz_events.h): every accepted call's events keep the protocol limits,
 * seqs run 1, 2, 3... across calls with none taken by a rejected message, one
 * read-only hello first, valid UTF-8 out when valid UTF-8 came in; a rejection has
 * a reason. And two more states must emit exactly what the first (A) emits: B is
 * fed only the messages A accepted ("a rejected message changes nothing": what
 * replay, which never sees rejected messages, relies on), and C is agui_clone(A)
 * made before the middle line (replay checkpoints). At the end the states'
 * documents are valid JSON and equal. Built by run.sh.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "swarmtop/agui.h"
#include "fuzz_events.h"

#define FUZZ_REPEATS 300       /* mapper calls one input may ask for with "*N" */
#define FUZZ_T0 1764300000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The three states and what A has produced. */
typedef struct Pair {
	AguiState *a, *b, *c;   /* c: NULL before the middle line */
	FuzzStream sa;
	Arena aa, ab;
	int64_t now;
	char agent[EVENT_ID_MAX + 1];   /* the newest agent id seen (its state is compared) */
} Pair;

/* Map msg with state s (at p->now) into arena a: the count, and *digest of the events. */
static int map_digest(Pair *p, AguiState *s, Arena *a, const char *msg, size_t len,
                      uint64_t *digest)
{
	char err[PROTO_ERR_MAX];
	const Event *ev = NULL;
	agui_set_now(s, p->now);
	arena_reset(a);
	int n = agui_map(s, msg, len, a, &ev, err);
	*digest = n > 0 ? fuzz_digest(0, ev, n) : 0;
	return n;
}

/* Feed one message to A and C, check it, and to B when A accepted it; they must agree. */
static void feed(Pair *p, const char *msg, size_t len)
{
	char err[PROTO_ERR_MAX];
	const Event *ea = NULL;
	uint64_t da, d;
	p->now += 1000;
	agui_set_now(p->a, p->now);
	if (p->sa.utf8 && !fuzz_utf8((const unsigned char *)msg, len))
		p->sa.utf8 = false;
	arena_reset(&p->aa);
	int na = agui_map(p->a, msg, len, &p->aa, &ea, err);
	if (na < 0) {
		fuzz_check_err(err);
	} else {
		fuzz_check_events(&p->sa, ea, na);
		for (int i = 0; i < na; i++)
			if (ea[i].type == EV_AGENT)
				snprintf(p->agent, sizeof(p->agent), "%s", ea[i].u.agent.id);
	}
	da = na > 0 ? fuzz_digest(0, ea, na) : 0;
	/* the checkpoint agrees on rejections too */
	if (p->c && (map_digest(p, p->c, &p->ab, msg, len, &d) != na || d != da))
		FUZZ_FAIL();
	/* replay never sees a rejected message */
	if (na >= 0 && (map_digest(p, p->b, &p->ab, msg, len, &d) != na || d != da))
		FUZZ_FAIL();
}

/* Feed one line: "*N EVENT" repeats EVENT with "$$" numbered, budget permitting. */
static void feed_line(Pair *p, const char *line, size_t len, size_t *budget)
{
	if (len >= 6 && !memcmp(line, "data: ", 6))
		line += 6, len -= 6;
	if (len == 0)
		return;
	size_t n, evlen;
	const char *ev;
	if (!fuzz_repeat(line, len, &n, &ev, &evlen)) {
		if (*budget == 0)
			return;
		(*budget)--;
		feed(p, line, len);
		return;
	}
	char *buf = malloc(evlen * 10 + 32);   /* "$-" of 0 prints 20 digits */
	if (buf == NULL)
		return;
	for (size_t r = 0; r < n && *budget > 0; r++, (*budget)--) {
		size_t o = 0;
		for (size_t k = 0; k < evlen; k++) {
			if (k + 1 < evlen && ev[k] == '$' && (ev[k + 1] == '$' || ev[k + 1] == '-')) {
				o += (size_t)sprintf(buf + o, "%zu", ev[k + 1] == '$' ? r : r - 1);
				k++;
			} else {
				buf[o++] = ev[k];
			}
		}
		feed(p, buf, o);
	}
	free(buf);
}

/* An agent's document in A, as valid JSON, and the same in s. */
static void check_state(const Pair *p, const AguiState *s, const char *agent)
{
	char *ja = agui_state_json(p->a, agent), *js = agui_state_json(s, agent);
	if ((ja == NULL) != (js == NULL) || (ja && strcmp(ja, js) != 0))
		FUZZ_FAIL();
	if (ja) {
		cJSON *j = cJSON_Parse(ja);
		if (j == NULL)
			FUZZ_FAIL();
		cJSON_Delete(j);
	}
	free(ja);
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Pair p;
	static bool init;
	if (!init) {
		arena_init(&p.aa, 64 * 1024);
		arena_init(&p.ab, 64 * 1024);
		init = true;
	}
	p.a = agui_new("127.0.0.1:1/agui", "fuzz-1");
	p.b = agui_new("127.0.0.1:1/agui", "fuzz-1");
	p.c = NULL;
	if (!p.a || !p.b)
		FUZZ_FAIL();
	memset(&p.sa, 0, sizeof(p.sa));
	p.sa.utf8 = true;
	p.now = FUZZ_T0;
	p.agent[0] = '\0';

	const char *s = (const char *)data;
	size_t nlines = 0, budget = FUZZ_REPEATS;
	for (size_t i = 0; i < size; i++)
		nlines += s[i] == '\n';
	size_t mid = (nlines + 1) / 2, line = 0, start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && s[i] != '\n')
			continue;
		if (line == mid && (p.c = agui_clone(p.a)) == NULL)
			FUZZ_FAIL();
		size_t len = i - start;
		if (len && s[start + len - 1] == '\r')
			len--;
		feed_line(&p, s + start, len, &budget);
		start = i + 1;
		line++;
	}
	if (agui_unknown(p.a) != agui_unknown(p.b) || agui_unknown(p.a) != agui_unknown(p.c))
		FUZZ_FAIL();
	check_state(&p, p.b, AGUI_DEFAULT_AGENT);
	check_state(&p, p.c, AGUI_DEFAULT_AGENT);
	if (p.agent[0]) {
		check_state(&p, p.b, p.agent);
		check_state(&p, p.c, p.agent);
	}
	agui_free(p.a);
	agui_free(p.b);
	agui_free(p.c);
	return 0;
}
