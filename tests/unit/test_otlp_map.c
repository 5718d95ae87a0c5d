/*
 * test_otlp_map.c: OTLP/HTTP JSON GenAI spans -> protocol-v1 mapping. Requests
 * are checked and cut per service (malformed bodies, invalid spans counted as
 * rejected); spans are folded into a Model and every mapping row is asserted:
 * agents and their runs, sub-agents, tool tasks, LLM tasks with usage (intValue
 * as strings, cached and reasoning as parts), provider and model fallbacks,
 * failures by status or error.type, conversation ids; and placement whatever the
 * order spans arrive in (children first, parents later, through non-GenAI spans).
 * And the fuzz_otlp findings: a clone of a state that never waited for a parent,
 * usage counted once for a span sent twice, cut strings kept valid UTF-8.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "swarmtop/interop.h"
#include "swarmtop/model.h"
#include "swarmtop/otlp.h"
#include "testutil.h"

static Arena arena;

#define TRACE "0af7651916cd43dd8448eb211c80319c"
#define S_AGENT "a000000000000001"
#define S_CHAT1 "c000000000000001"
#define S_CHAT2 "c000000000000002"
#define S_TOOL1 "d000000000000001"
#define S_TOOL2 "d000000000000002"
#define S_HTTP  "e000000000000001"
#define S_SUB   "a000000000000002"

/* One span as OTLP JSON: attrs is the inside of the attributes array. */
static char *span(const char *id, const char *parent, const char *name, const char *attrs,
                  int code)
{
	char *s = NULL;
	int n = asprintf(&s, "{\"traceId\":\"" TRACE "\",\"spanId\":\"%s\",\"parentSpanId\":\"%s\","
	                 "\"name\":\"%s\",\"kind\":1,\"startTimeUnixNano\":\"1764300000000000000\","
	                 "\"endTimeUnixNano\":\"1764300001000000000\",\"attributes\":[%s],"
	                 "\"status\":{\"code\":%d%s}}",
	                 id, parent, name, attrs, code, code == 2 ? ",\"message\":\"boom\"" : "");
	assert_true(n > 0);
	return s;
}

/* A request of one service holding the given spans (comma-joined), freeing them. */
static char *request(const char *service, char **spans, size_t n)
{
	size_t cap = 256;
	for (size_t i = 0; i < n; i++)
		cap += strlen(spans[i]) + 1;
	char *b = malloc(cap);
	int w = snprintf(b, cap, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
	                 "\"service.name\",\"value\":{\"stringValue\":\"%s\"}}]},\"scopeSpans\":"
	                 "[{\"scope\":{\"name\":\"test\"},\"spans\":[", service);
	size_t len = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(b + len, cap - len, "%s%s", i ? "," : "", spans[i]);
		free(spans[i]);
	}
	snprintf(b + len, cap - len, "]}]}]}");
	return b;
}

#define A_STR(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"
#define A_INT(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":\"" v "\"}}"
#define A_NUM(k, v) "{\"key\":\"" k "\",\"value\":{\"intValue\":" v "}}"

static char *agent_span(void)
{
	return span(S_AGENT, "", "invoke_agent Researcher",
	            A_STR("gen_ai.operation.name", "invoke_agent") ","
	            A_STR("gen_ai.agent.id", "agent-r") "," A_STR("gen_ai.agent.name", "Researcher")
	            "," A_STR("gen_ai.conversation.id", "conv-7"), 0);
}

static char *chat_span(const char *id, const char *parent)
{
	return span(id, parent, "chat gpt-4o",
	            A_STR("gen_ai.operation.name", "chat") "," A_STR("gen_ai.provider.name", "openai")
	            "," A_STR("gen_ai.request.model", "gpt-4o") ","
	            A_STR("gen_ai.response.model", "gpt-4o-2024-08-06") ","
	            A_INT("gen_ai.usage.input_tokens", "1000") ","
	            A_NUM("gen_ai.usage.output_tokens", "200") ","
	            A_INT("gen_ai.usage.cache_read.input_tokens", "600") ","
	            A_INT("gen_ai.usage.cache_creation.input_tokens", "100") ","
	            A_INT("gen_ai.usage.reasoning.output_tokens", "50"), 0);
}

static char *tool_span(const char *id, const char *parent, int code)
{
	return span(id, parent, "execute_tool search",
	            A_STR("gen_ai.operation.name", "execute_tool") ","
	            A_STR("gen_ai.tool.name", "web_search") "," A_STR("gen_ai.tool.call.id", "call_1")
	            "," A_STR("gen_ai.tool.call.arguments", "{\\\"q\\\":\\\"x\\\"}"), code);
}

/* Split body and map each part into m (runtime 0 for every service: one here). */
static int feed(OtlpState *s, Model *m, const char *body, OtlpCounts *c)
{
	OtlpPart *parts;
	OtlpCounts tmp;
	char err[PROTO_ERR_MAX];
	arena_reset(&arena);
	int np = otlp_split(body, strlen(body), &arena, &parts, c ? c : &tmp, err);
	for (int p = 0; p < np; p++) {
		const Event *ev;
		int n = otlp_map(s, parts[p].body, parts[p].len, &arena, &ev, err);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++)
			model_apply(m, 0, &ev[i], 5000, NULL);
	}
	return np;
}

/* The task with id, asserted to exist. */
static const ModelTask *task(const Model *m, const char *id)
{
	int i = model_find_task(m, 0, id);
	if (i < 0)
		fail_msg("no task '%s'", id);
	return &m->tasks[i];
}

/* An agent invoking a model twice and two tools (one failing), in order. */
static void test_agent_trace(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	char *spans[] = { chat_span(S_CHAT1, S_AGENT), chat_span(S_CHAT2, S_AGENT),
		          tool_span(S_TOOL1, S_AGENT, 0), tool_span(S_TOOL2, S_AGENT, 2),
		          agent_span() };
	char *body = request("svc", spans, 5);
	OtlpCounts c;
	assert_int_equal(feed(s, m, body, &c), 1);
	free(body);
	assert_int_equal(c.spans, 5);
	assert_int_equal(c.rejected, 0);
	const ModelRuntime *r = &m->runtimes[0];
	assert_string_equal(r->id, "svc");
	assert_string_equal(r->instance, "inst");
	assert_string_equal(r->lang, "OpenTelemetry");
	assert_int_equal(r->caps, 0);
	int ai = model_find_agent(m, 0, "agent-r");
	assert_true(ai >= 0);
	assert_string_equal(m->agents[ai].name, "Researcher");
	assert_int_equal(m->agents[ai].status, AGENT_COMPLETED);
	const ModelTask *run = task(m, S_AGENT);
	assert_string_equal(run->kind, "run");
	assert_string_equal(run->agent_id, "agent-r");
	assert_non_null(strstr(run->input, "conversation conv-7"));
	const ModelTask *c1 = task(m, S_CHAT1);
	assert_string_equal(c1->kind, "llm");
	assert_string_equal(c1->agent_id, "agent-r");
	assert_string_equal(c1->parent, S_AGENT);
	assert_int_equal(c1->status, TASK_COMPLETED);
	const ModelTask *t1 = task(m, S_TOOL1), *t2 = task(m, S_TOOL2);
	assert_string_equal(t1->name, "web_search");
	assert_string_equal(t1->kind, "tool");
	assert_string_equal(t1->input, "call call_1 · {\"q\":\"x\"}");
	assert_int_equal(t1->status, TASK_COMPLETED);
	assert_int_equal(t2->status, TASK_FAILED);
	assert_string_equal(t2->error, "boom");
	/* usage: two calls, response model wins, parts never added */
	assert_int_equal(m->nusage, 1);
	assert_string_equal(m->usage[0].model, "gpt-4o-2024-08-06");
	assert_string_equal(m->usage[0].provider, "openai");
	assert_int_equal(m->usage[0].calls, 2);
	assert_int_equal(r->tokens.input, 2000);
	assert_int_equal(r->tokens.output, 400);
	assert_int_equal(r->tokens.cache_read, 1200);
	assert_int_equal(r->tokens.cache_write, 200);
	assert_int_equal(r->tokens.reasoning, 100);
	assert_int_equal(m->agents[ai].tokens.input, 2000);
	otlp_free(s);
	model_free(m);
}

/* Children before their parents, through a non-GenAI span; linked once parents arrive. */
static void test_out_of_order(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	/* batch 1: a chat under an HTTP span under the agent; neither has arrived */
	char *b1s[] = { chat_span(S_CHAT1, S_HTTP) };
	char *b = request("svc", b1s, 1);
	feed(s, m, b, NULL);
	free(b);
	const ModelTask *c1 = task(m, S_CHAT1);
	assert_string_equal(c1->agent_id, "svc");   /* the service's agent until placed */
	assert_int_equal(m->runtimes[0].tokens.input, 0);
	assert_null(c1->parent);
	assert_true(model_find_agent(m, 0, "svc") >= 0);
	/* batch 2: the agent span (still not linked: the HTTP span is missing) */
	char *b2s[] = { agent_span() };
	b = request("svc", b2s, 1);
	feed(s, m, b, NULL);
	free(b);
	assert_string_equal(task(m, S_CHAT1)->agent_id, "svc");
	/* batch 3: the HTTP span (no gen_ai attributes) closes the chain */
	char *b3s[] = { span(S_HTTP, S_AGENT, "POST /v1/chat", A_STR("http.method", "POST"), 0) };
	b = request("svc", b3s, 1);
	feed(s, m, b, NULL);
	free(b);
	c1 = task(m, S_CHAT1);
	assert_string_equal(c1->agent_id, "agent-r");
	assert_string_equal(c1->parent, S_AGENT);
	assert_int_equal(model_find_task(m, 0, S_HTTP), -1);   /* transparent */
	/* usage waited for the agent: counted once, under it */
	assert_int_equal(m->runtimes[0].tokens.input, 1000);
	assert_int_equal(m->agents[model_find_agent(m, 0, "agent-r")].tokens.input, 1000);
	otlp_free(s);
	model_free(m);
}

/* Usage of a span whose parent never arrives (another service's) is counted after
 * OTLP_USAGE_WAIT_MS, with the next request, under the service's agent. */
static void test_usage_wait(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	otlp_set_now(s, 1000);
	char *b1s[] = { chat_span(S_CHAT1, S_HTTP) };
	char *b = request("svc", b1s, 1);
	feed(s, m, b, NULL);
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 0);
	otlp_set_now(s, 1000 + 29999);
	assert_int_equal(otlp_map(s, "{}", 2, &arena, &(const Event *){ NULL }, NULL), 0);
	assert_int_equal(m->runtimes[0].tokens.input, 0);
	otlp_set_now(s, 1000 + 30000);
	char *b2s[] = { tool_span(S_TOOL1, "", 0) };
	b = request("svc", b2s, 1);
	feed(s, m, b, NULL);
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 1000);
	assert_int_equal(m->agents[model_find_agent(m, 0, "svc")].tokens.input, 1000);
	/* counted once */
	otlp_set_now(s, 1000 + 90000);
	b = request("svc", (char *[]){ tool_span(S_TOOL2, "", 0) }, 1);
	feed(s, m, b, NULL);
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 1000);
	otlp_free(s);
	model_free(m);
}

/* A sub-agent (invoke_agent under invoke_agent), parent arriving later; gen_ai.system
 * fallback; error.type alone fails; create_agent. */
static void test_sub_agents_and_fallbacks(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	char *b1s[] = {
		span(S_SUB, S_AGENT, "invoke_agent Helper",
		     A_STR("gen_ai.operation.name", "invoke_agent") ","
		     A_STR("gen_ai.agent.name", "Helper"), 0),
		span(S_CHAT2, S_SUB, "chat",
		     A_STR("gen_ai.operation.name", "chat") "," A_STR("gen_ai.system", "anthropic")
		     "," A_STR("gen_ai.request.model", "claude") ","
		     A_NUM("gen_ai.usage.input_tokens", "10") "," A_STR("error.type", "timeout"), 0),
		span("f000000000000001", "", "create_agent Planner",
		     A_STR("gen_ai.operation.name", "create_agent") ","
		     A_STR("gen_ai.agent.id", "planner"), 0),
	};
	char *b = request("svc", b1s, 3);
	feed(s, m, b, NULL);
	free(b);
	int hi = model_find_agent(m, 0, "Helper");
	assert_true(hi >= 0);
	assert_null(m->agents[hi].parent);
	const ModelTask *c2 = task(m, S_CHAT2);
	assert_string_equal(c2->agent_id, "Helper");
	assert_int_equal(c2->status, TASK_FAILED);
	assert_string_equal(c2->error, "timeout");
	assert_string_equal(m->usage[0].provider, "anthropic");
	int pi = model_find_agent(m, 0, "planner");
	assert_true(pi >= 0);
	assert_int_equal(m->agents[pi].status, AGENT_IDLE);
	char *b2s[] = { agent_span() };
	b = request("svc", b2s, 1);
	feed(s, m, b, NULL);
	free(b);
	hi = model_find_agent(m, 0, "Helper");
	assert_string_equal(m->agents[hi].parent, "agent-r");
	assert_string_equal(task(m, S_SUB)->parent, S_AGENT);
	otlp_free(s);
	model_free(m);
}

/* Malformed bodies fail; invalid spans are counted as rejected; services are cut apart. */
static void test_split(void **state)
{
	(void)state;
	OtlpPart *parts;
	OtlpCounts c;
	char err[PROTO_ERR_MAX];
	static const char *bad[] = { "", "{", "[]", "\"x\"", "{\"resourceSpans\":{}}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(otlp_split(bad[i], strlen(bad[i]), &arena, &parts, &c, err), -1);
		assert_true(strncmp(err, "body: ", 6) == 0);
	}
	assert_int_equal(otlp_split("{}", 2, &arena, &parts, &c, err), 0);
	assert_int_equal(c.spans, 0);
	const char *body =
	    "{\"resourceSpans\":["
	    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
	    "\"a\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TRACE "\",\"spanId\":\""
	    S_CHAT1 "\"},{\"traceId\":\"xyz\",\"spanId\":\"" S_CHAT2 "\"}]}]},"
	    "{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TRACE "\",\"spanId\":\"12\"},"
	    "{\"traceId\":\"" TRACE "\",\"spanId\":\"" S_TOOL1 "\",\"parentSpanId\":\"zz\"},"
	    "{\"traceId\":\"" TRACE "\",\"spanId\":\"" S_TOOL2 "\"}]}]},"
	    "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
	    "\"a\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" TRACE "\",\"spanId\":\""
	    S_HTTP "\"}]}]}]}";
	int n = otlp_split(body, strlen(body), &arena, &parts, &c, err);
	assert_int_equal(n, 2);
	assert_int_equal(c.spans, 3);
	assert_int_equal(c.rejected, 3);
	assert_string_equal(c.message, "span: 'traceId' is not 32 hex digits");
	assert_string_equal(parts[0].service, "a");
	assert_int_equal(parts[0].spans, 2);
	assert_string_equal(parts[1].service, OTLP_DEFAULT_SERVICE);
	assert_int_equal(parts[1].spans, 1);
	/* each part is a request of its own, and maps */
	OtlpState *s = otlp_new("a", "i");
	const Event *ev;
	assert_true(otlp_map(s, parts[0].body, parts[0].len, &arena, &ev, err) >= 1);
	assert_int_equal(otlp_map(s, "nope", 4, &arena, &ev, err), -1);
	assert_string_equal(err, "otlp: not an ExportTraceServiceRequest");
	otlp_free(s);
}

/* A clone maps later batches exactly like the original; interop_decode does too. */
static void test_clone_and_decode(void **state)
{
	(void)state;
	Model *a = model_new(), *b = NULL, *c = model_new();
	model_add_runtime(a, "otlp", 0);
	model_add_runtime(c, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	otlp_set_now(s, 5000);
	InteropDecoder *d = interop_decoder_new("otlp", "svc", "inst");
	char *bodies[2];
	char *b1s[] = { chat_span(S_CHAT1, S_AGENT) };
	bodies[0] = request("svc", b1s, 1);
	char *b2s[] = { agent_span() };
	bodies[1] = request("svc", b2s, 1);
	feed(s, a, bodies[0], NULL);
	OtlpState *k = otlp_clone(s);
	b = model_clone(a);
	feed(s, a, bodies[1], NULL);
	feed(k, b, bodies[1], NULL);
	for (int i = 0; i < 2; i++) {
		const Event *ev;
		char err[PROTO_ERR_MAX];
		int n = interop_decode(d, bodies[i], strlen(bodies[i]), 5000, &arena, &ev, err);
		assert_true(n > 0);
		for (int j = 0; j < n; j++)
			model_apply(c, 0, &ev[j], 5000, NULL);
	}
	char *da = model_dump(a), *db = model_dump(b), *dc = model_dump(c);
	assert_string_equal(da, db);
	assert_string_equal(da, dc);
	free(da), free(db), free(dc);
	free(bodies[0]), free(bodies[1]);
	interop_decoder_free(d);
	otlp_free(s);
	otlp_free(k);
	model_free(a);
	model_free(b);
	model_free(c);
}

/* HTTP heads: fields found, bounds and conflicts refused. */
static void test_http_head(void **state)
{
	(void)state;
	OtlpHttp h;
	const char *req = "POST /v1/traces?x=1 HTTP/1.1\r\nHost: a\r\ncontent-type:  application/json \r\n"
	                  "Authorization: Bearer t\r\nContent-Length: 12\r\n\r\n{\"a\":1}";
	assert_int_equal(otlp_http_head(req, strlen(req), &h), 1);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/v1/traces");
	assert_string_equal(h.content_type, "application/json");
	assert_string_equal(h.auth, "Bearer t");
	assert_int_equal(h.content_length, 12);
	assert_false(h.chunked);
	assert_true(h.keep_alive);
	assert_int_equal(h.head_len, strlen(req) - 7);
	/* incomplete: need more */
	assert_int_equal(otlp_http_head(req, 20, &h), 0);
	static const char *bad[] = {
		"POST /v1/traces\r\n\r\n",
		"POST /v1/traces HTTP/2.0\r\n\r\n",
		"POST /v1/traces HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
		"POST /v1/traces HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		"POST /v1/traces HTTP/1.1\r\nno colon\r\n\r\n",
		"POSTPOSTPOSTPOSTPOST / HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otlp_http_head(bad[i], strlen(bad[i]), &h), -1);
	/* a head that never ends is refused past the limit */
	char *big = malloc(OTLP_HTTP_HEAD_MAX + 100);
	memset(big, 'a', OTLP_HTTP_HEAD_MAX + 100);
	assert_int_equal(otlp_http_head(big, OTLP_HTTP_HEAD_MAX + 100, &h), -1);
	free(big);
	const char *ten = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
	assert_int_equal(otlp_http_head(ten, strlen(ten), &h), 1);
	assert_false(h.keep_alive);
}

/* Chunked bodies: decoded in place, incomplete, malformed, too large. */
static void test_http_chunked(void **state)
{
	(void)state;
	char buf[128];
	size_t body, used;
	strcpy(buf, "4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT");
	size_t len = strlen(buf);
	assert_int_equal(otlp_http_chunked(buf, len, 100, &body, &used), 1);
	assert_int_equal(body, 14);
	assert_memory_equal(buf, "abcd0123456789", 14);
	assert_int_equal(used, len - 4);
	strcpy(buf, "4\r\nabcd\r\n0\r\n");
	assert_int_equal(otlp_http_chunked(buf, strlen(buf), 100, &body, &used), 0);
	strcpy(buf, "4\r\nab");
	assert_int_equal(otlp_http_chunked(buf, strlen(buf), 100, &body, &used), 0);
	static const char *bad[] = { "g\r\nx\r\n0\r\n\r\n", "4\r\nabcdX\r\n0\r\n\r\n",
		                     "\r\n\r\n", "123456789\r\n", "0\r\nbad\n\r\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, bad[i]);
		assert_int_equal(otlp_http_chunked(buf, strlen(buf), 100, &body, &used), -1);
	}
	strcpy(buf, "A\r\n0123456789\r\n0\r\n\r\n");
	assert_int_equal(otlp_http_chunked(buf, strlen(buf), 9, &body, &used), -2);
}

/* Hostile input: every prefix of a request (split, map, HTTP framing): no crash. */
static void test_truncations(void **state)
{
	(void)state;
	char *spans[] = { chat_span(S_CHAT1, S_AGENT), tool_span(S_TOOL1, S_AGENT, 2),
		          agent_span() };
	char *body = request("svc", spans, 3);
	size_t n = strlen(body);
	OtlpState *s = otlp_new("svc", "i");
	for (size_t k = 0; k <= n; k++) {
		OtlpPart *parts;
		OtlpCounts c;
		const Event *ev;
		char err[PROTO_ERR_MAX];
		arena_reset(&arena);
		(void)otlp_split(body, k, &arena, &parts, &c, err);
		(void)otlp_map(s, body, k, &arena, &ev, err);
		char *copy = malloc(k + 1);
		memcpy(copy, body, k);
		copy[k] = '\0';
		OtlpHttp h;
		size_t bl, used;
		(void)otlp_http_head(copy, k, &h);
		(void)otlp_http_chunked(copy, k, 1 << 20, &bl, &used);
		free(copy);
	}
	otlp_free(s);
	free(body);
}

/* Arena set-up shared by the tests. */
static int setup(void **state)
{
	(void)state;
	arena_init(&arena, 1 << 16);
	return 0;
}

/* Arena tear-down. */
static int teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/* fuzz_otlp (tests/fuzz/seeds_otlp/regress-clone-fresh.json): cloning a state whose
 * list of spans waiting for a parent was never made passed NULL to memcpy (UBSan). */
static void test_clone_fresh(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	char *spans[] = { agent_span() };
	char *body = request("svc", spans, 1);
	feed(s, m, body, NULL);
	free(body);
	OtlpState *c = otlp_clone(s);
	assert_non_null(c);
	otlp_free(c);
	otlp_free(s);
	model_free(m);
}

/* fuzz_otlp (tests/fuzz/seeds_otlp/regress-usage-twice.jsonl): a span sent twice (twice
 * in one request, or again by an exporter's retry) had its usage counted each time. */
static void test_usage_once(void **state)
{
	(void)state;
	Model *m = model_new();
	model_add_runtime(m, "otlp", 0);
	OtlpState *s = otlp_new("svc", "inst");
	char *b1s[] = { agent_span(), chat_span(S_CHAT1, S_AGENT), chat_span(S_CHAT1, S_AGENT) };
	char *b = request("svc", b1s, 3);
	feed(s, m, b, NULL);
	feed(s, m, b, NULL);   /* the retry of a request whose answer was lost */
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 1000);
	assert_int_equal(m->runtimes[0].tokens.output, 200);
	/* waiting for its parent, sent twice, then placed: counted once, under the agent */
	char *b2s[] = { chat_span(S_CHAT2, S_SUB) };
	b = request("svc", b2s, 1);
	feed(s, m, b, NULL);
	feed(s, m, b, NULL);
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 1000);
	char *b3s[] = { span(S_SUB, S_AGENT, "invoke_agent Sub",
	                     A_STR("gen_ai.operation.name", "invoke_agent") ","
	                     A_STR("gen_ai.agent.id", "agent-s"), 0) };
	b = request("svc", b3s, 1);
	feed(s, m, b, NULL);
	free(b);
	assert_int_equal(m->runtimes[0].tokens.input, 2000);
	int ai = model_find_agent(m, 0, "agent-s");
	assert_true(ai >= 0);
	assert_int_equal(m->agents[ai].tokens.input, 1000);
	otlp_free(s);
	model_free(m);
}

/* fuzz_otlp (tests/fuzz/seeds_otlp/regress-utf8-cut.json): a tool's input and a failed
 * span's error built with "%.Ns" cut multi-byte characters in two. */
static void test_utf8_cuts(void **state)
{
	(void)state;
	char big[1200] = "", attrs[8192];
	for (int i = 0; i < 301; i++)
		strcat(big, i ? "\xe2\x82\xac" : "x");   /* "x€€€...": 3-byte characters, odd start */
	snprintf(attrs, sizeof(attrs),
	         A_STR("gen_ai.operation.name", "execute_tool") ",{\"key\":\"gen_ai.tool.call.id\","
	         "\"value\":{\"stringValue\":\"%s\"}},{\"key\":\"gen_ai.tool.call.arguments\","
	         "\"value\":{\"stringValue\":\"%s\"}},{\"key\":\"error.type\",\"value\":"
	         "{\"stringValue\":\"%s\"}},{\"key\":\"gen_ai.conversation.id\",\"value\":"
	         "{\"stringValue\":\"%s\"}}", big, big, big, big);
	char *spans[] = { span(S_TOOL1, "", "t", attrs, 2),
	                  span(S_CHAT1, "", "c", A_STR("gen_ai.operation.name", "chat") ","
	                       A_STR("gen_ai.provider.name", "p\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
	                             "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac") ","
	                       A_STR("gen_ai.request.model", "m"), 0) };
	char *body = request("svc", spans, 2);
	OtlpState *s = otlp_new("svc", "inst");
	const Event *ev;
	char err[PROTO_ERR_MAX];
	arena_reset(&arena);
	int n = otlp_map(s, body, strlen(body), &arena, &ev, err);
	assert_true(n > 0);
	int tasks = 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].type != EV_TASK)
			continue;
		tasks++;
		const EvTask *t = &ev[i].u.task;
		if ((t->input && !test_utf8_ok(t->input)) || (t->error && !test_utf8_ok(t->error)))
			fail_msg("task %s: '%s' / '%s'", t->id, t->input, t->error);
	}
	assert_int_equal(tasks, 2);
	free(body);
	otlp_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_trace),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_usage_wait),
		cmocka_unit_test(test_sub_agents_and_fallbacks),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_http_head),
		cmocka_unit_test(test_http_chunked),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_clone_and_decode),
		cmocka_unit_test(test_clone_fresh),
		cmocka_unit_test(test_usage_once),
		cmocka_unit_test(test_utf8_cuts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
