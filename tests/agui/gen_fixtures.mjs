// gen_fixtures.mjs: writes tests/fixtures/agui/*.jsonl, real AG-UI 1.0 event streams:
// every event is validated by @ag-ui/core's EventSchema and serialised by @ag-ui/encoder
// (the SSE frame's JSON, one event per line). Deterministic (fixed ids and timestamps).
//
//   npm install --prefix DIR @ag-ui/core @ag-ui/encoder
//   AGUI_NODE_MODULES=DIR/node_modules node tests/agui/gen_fixtures.mjs tests/fixtures/agui
import { createRequire } from "node:module";
import { writeFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const mods = resolve(process.env.AGUI_NODE_MODULES || "tests/node_modules");
const require = createRequire(join(mods, "noop.js"));
const core = require("@ag-ui/core");
const { EventSchema } = require("@ag-ui/core/schemas");
const { EventEncoder } = require("@ag-ui/encoder");
const T = core.EventType;
const outDir = process.argv[2] || "tests/fixtures/agui";
mkdirSync(outDir, { recursive: true });

// Validate, encode, and write one stream.
function write(name, events) {
  const enc = new EventEncoder();
  let ts = 1764300000000;
  const lines = events.map((e) => {
    const ev = EventSchema.parse({ timestamp: (ts += 10), ...e });
    const sse = enc.encodeSSE(ev);
    if (!sse.startsWith("data: ")) throw new Error("unexpected SSE frame");
    return sse.slice(6).trimEnd();
  });
  writeFileSync(join(outDir, name), lines.join("\n") + "\n");
  console.log(`${name}: ${lines.length} events`);
}

// A completed run: steps, tool calls (streamed and chunked) with arguments, messages
// assembled from deltas, reasoning, state, a messages snapshot, usage for two models.
write("completed.jsonl", [
  { type: T.RUN_STARTED, threadId: "thread-1", runId: "run-1" },
  { type: T.STATE_SNAPSHOT, snapshot: { plan: [], done: false } },
  { type: T.STEP_STARTED, stepName: "plan" },
  { type: T.TEXT_MESSAGE_START, messageId: "msg-1", role: "assistant" },
  { type: T.TEXT_MESSAGE_CONTENT, messageId: "msg-1", delta: "I will search " },
  { type: T.TEXT_MESSAGE_CONTENT, messageId: "msg-1", delta: "for vendor " },
  { type: T.TEXT_MESSAGE_CONTENT, messageId: "msg-1", delta: "pricing." },
  { type: T.TEXT_MESSAGE_END, messageId: "msg-1" },
  { type: T.STATE_DELTA, delta: [{ op: "add", path: "/plan/-", value: "search" }] },
  { type: T.STEP_FINISHED, stepName: "plan" },
  { type: T.STEP_STARTED, stepName: "act" },
  { type: T.TOOL_CALL_START, toolCallId: "call-1", toolCallName: "web_search",
    parentMessageId: "msg-1" },
  { type: T.TOOL_CALL_ARGS, toolCallId: "call-1", delta: "{\"query\":" },
  { type: T.TOOL_CALL_ARGS, toolCallId: "call-1", delta: "\"vendor pricing\"}" },
  { type: T.TOOL_CALL_END, toolCallId: "call-1" },
  { type: T.TOOL_CALL_RESULT, messageId: "msg-2", toolCallId: "call-1",
    content: "3 results: acme $10, globex $12, initech $9", role: "tool" },
  { type: T.TOOL_CALL_CHUNK, toolCallId: "call-2", toolCallName: "fetch_page",
    delta: "{\"url\":" },
  { type: T.TOOL_CALL_CHUNK, delta: "\"https://acme.example\"}" },
  { type: T.TOOL_CALL_RESULT, messageId: "msg-3", toolCallId: "call-2",
    content: [{ type: "text", text: "Acme pricing page" }] },
  { type: T.REASONING_START, messageId: "rs-1" },
  { type: T.REASONING_MESSAGE_START, messageId: "rs-1", role: "reasoning" },
  { type: T.REASONING_MESSAGE_CONTENT, messageId: "rs-1", delta: "Initech is " },
  { type: T.REASONING_MESSAGE_CONTENT, messageId: "rs-1", delta: "cheapest." },
  { type: T.REASONING_MESSAGE_END, messageId: "rs-1" },
  { type: T.REASONING_END, messageId: "rs-1" },
  { type: T.STATE_DELTA, delta: [{ op: "replace", path: "/done", value: true }] },
  { type: T.TEXT_MESSAGE_CHUNK, messageId: "msg-4", role: "assistant", delta: "Initech " },
  { type: T.TEXT_MESSAGE_CHUNK, delta: "is cheapest at $9." },
  { type: T.STEP_FINISHED, stepName: "act" },
  { type: T.MESSAGES_SNAPSHOT, messages: [
    { id: "user-0", role: "user", content: "Find the cheapest vendor." },
    { id: "msg-1", role: "assistant", content: "I will search for vendor pricing." },
    { id: "msg-2", role: "tool", toolCallId: "call-1",
      content: "3 results: acme $10, globex $12, initech $9" },
    { id: "msg-4", role: "assistant", content: "Initech is cheapest at $9." },
  ] },
  { type: T.CUSTOM, name: "progress", value: { percent: 100 } },
  { type: T.RAW, source: "langgraph", event: { node: "act", kind: "end" } },
  { type: T.RUN_FINISHED, threadId: "thread-1", runId: "run-1",
    result: { vendor: "initech" }, outcome: { type: "success" },
    usage: [
      { provider: "openai", model: "gpt-4o", inputTokens: 1200, outputTokens: 300,
        totalTokens: 1500, cachedInputTokens: 1000 },
      { provider: "anthropic", model: "claude-sonnet-4", inputTokens: 800, outputTokens: 500,
        totalTokens: 1300, reasoningTokens: 200, cacheWriteInputTokens: 100 },
    ] },
]);

// A run that fails through RUN_ERROR (no run id: the run in progress) with its usage.
write("run_error.jsonl", [
  { type: T.RUN_STARTED, threadId: "thread-2", runId: "run-2" },
  { type: T.STEP_STARTED, stepName: "call_model" },
  { type: T.TOOL_CALL_START, toolCallId: "call-9", toolCallName: "db_query" },
  { type: T.TOOL_CALL_ARGS, toolCallId: "call-9", delta: "{\"sql\":\"select 1\"}" },
  { type: T.TOOL_CALL_END, toolCallId: "call-9" },
  { type: T.RUN_ERROR, message: "rate limit exceeded", code: "429",
    usage: [{ provider: "openai", model: "gpt-4o-mini", inputTokens: 50, outputTokens: 0 }] },
]);

// A sub-agent error inside a run that still completes.
write("subagent_error.jsonl", [
  { type: T.RUN_STARTED, threadId: "thread-3", runId: "run-3" },
  { type: T.TOOL_CALL_START, toolCallId: "call-d", toolCallName: "delegate" },
  { type: T.TOOL_CALL_ARGS, toolCallId: "call-d", delta: "{\"to\":\"researcher\"}" },
  { type: T.TOOL_CALL_END, toolCallId: "call-d" },
  { type: T.SUBAGENT_STARTED, subagentRunId: "sub-1", name: "researcher",
    description: "looks things up", parentToolCallId: "call-d" },
  { type: T.STEP_STARTED, stepName: "lookup", subagentRunId: "sub-1" },
  { type: T.TEXT_MESSAGE_START, messageId: "sm-1", subagentRunId: "sub-1" },
  { type: T.TEXT_MESSAGE_CONTENT, messageId: "sm-1", delta: "Looking up.",
    subagentRunId: "sub-1" },
  { type: T.TEXT_MESSAGE_END, messageId: "sm-1", subagentRunId: "sub-1" },
  { type: T.SUBAGENT_ERROR, subagentRunId: "sub-1", message: "search backend unreachable",
    code: "UNAVAILABLE" },
  { type: T.TOOL_CALL_RESULT, messageId: "msg-r", toolCallId: "call-d",
    content: "researcher failed; answering from memory" },
  { type: T.TEXT_MESSAGE_START, messageId: "msg-f" },
  { type: T.TEXT_MESSAGE_CONTENT, messageId: "msg-f", delta: "Best guess: initech." },
  { type: T.TEXT_MESSAGE_END, messageId: "msg-f" },
  { type: T.RUN_FINISHED, threadId: "thread-3", runId: "run-3", outcome: { type: "success" },
    usage: [{ provider: "openai", model: "gpt-4o", inputTokens: 400, outputTokens: 40 }] },
]);

// A run that ends waiting for a human: an interrupt with its reason.
write("interrupt.jsonl", [
  { type: T.RUN_STARTED, threadId: "thread-4", runId: "run-4" },
  { type: T.TOOL_CALL_START, toolCallId: "call-w", toolCallName: "wire_transfer" },
  { type: T.TOOL_CALL_ARGS, toolCallId: "call-w", delta: "{\"amount\":5000}" },
  { type: T.TOOL_CALL_END, toolCallId: "call-w" },
  { type: T.RUN_FINISHED, threadId: "thread-4", runId: "run-4",
    outcome: { type: "interrupt", interrupts: [
      { id: "int-1", reason: "approval", message: "Approve a transfer of 5000?",
        toolCallId: "call-w" },
    ] } },
]);
