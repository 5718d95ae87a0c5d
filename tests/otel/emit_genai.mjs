// emit_genai.mjs: the real OpenTelemetry JS SDK emitting GenAI spans (semantic
// conventions for agents, model calls and tools) over OTLP/HTTP with JSON bodies.
//
//   OTEL_NODE_MODULES=DIR/node_modules node emit_genai.mjs http://127.0.0.1:PORT [TOKEN]
//
// An agent ("Researcher") invokes a model twice and two tools, one of which fails.
// SimpleSpanProcessor exports every span when it ends, so children reach the
// collector before their parent (one request each): the order a real service sends.
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(process.env.OTEL_NODE_MODULES), "noop.js"));
const api = require("@opentelemetry/api");
const { BasicTracerProvider, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
const { resourceFromAttributes } = require("@opentelemetry/resources");

const [base, token] = process.argv.slice(2);
const exporter = new OTLPTraceExporter({
  url: `${base}/v1/traces`,
  headers: token ? { Authorization: `Bearer ${token}` } : {},
});
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "research-service" }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer("swarmtop-test", "1.0.0");

// A child span of parent, ended after fn(span).
function child(parent, name, attributes, fn) {
  const ctx = api.trace.setSpan(api.context.active(), parent);
  const span = tracer.startSpan(name, { kind: api.SpanKind.CLIENT, attributes }, ctx);
  if (fn) fn(span);
  span.end();
}

const agent = tracer.startSpan("invoke_agent Researcher", {
  kind: api.SpanKind.INTERNAL,
  attributes: {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.id": "researcher-1",
    "gen_ai.agent.name": "Researcher",
    "gen_ai.agent.description": "finds vendor prices",
    "gen_ai.conversation.id": "conv-42",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
  },
});
child(agent, "chat gpt-4o", {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "openai",
  "gen_ai.request.model": "gpt-4o",
  "gen_ai.response.model": "gpt-4o-2024-08-06",
  "gen_ai.usage.input_tokens": 1200,
  "gen_ai.usage.output_tokens": 150,
  "gen_ai.usage.cache_read.input_tokens": 800,
});
child(agent, "execute_tool web_search", {
  "gen_ai.operation.name": "execute_tool",
  "gen_ai.tool.name": "web_search",
  "gen_ai.tool.call.id": "call_a",
  "gen_ai.tool.call.arguments": "{\"query\":\"vendor pricing\"}",
});
child(agent, "chat gpt-4o", {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "openai",
  "gen_ai.request.model": "gpt-4o",
  "gen_ai.response.model": "gpt-4o-2024-08-06",
  "gen_ai.usage.input_tokens": 1500,
  "gen_ai.usage.output_tokens": 300,
  "gen_ai.usage.reasoning.output_tokens": 100,
}, (s) => s.setAttribute("gen_ai.usage.cache_creation.input_tokens", 200));
child(agent, "execute_tool fetch_url", {
  "gen_ai.operation.name": "execute_tool",
  "gen_ai.tool.name": "fetch_url",
  "gen_ai.tool.call.id": "call_b",
}, (s) => {
  s.setAttribute("error.type", "http_503");
  s.setStatus({ code: api.SpanStatusCode.ERROR, message: "HTTP 503 from vendor site" });
});
agent.end();
await provider.forceFlush();
await provider.shutdown();
console.log("emitted 5 spans");
