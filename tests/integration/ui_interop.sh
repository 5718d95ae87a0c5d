# The dashboard with an AG-UI runtime and an OTLP source side by side with a protocol-v1
# runtime (the demo): all three in the header (AG-UI says it cannot resume, OTLP that it
# is read-only), their agents in the Agents view, and steering refused on the foreign
# ones. The screen is kept in $T/interop.txt (KEEP_TMP=1 to look at it).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"

demo_start --seed 7 --speed 10
AP=$(free_port)
$PY "$ROOT/tests/agui/agui_server.py" "$AP" "$ROOT/tests/fixtures/agui" 2>"$T/srv.err" &
track $!
wait_port "$AP" 20 || die "AG-UI test server did not start: $(cat "$T/srv.err")"
OP=$(free_port)
ui_start 140 40 -- --db "$T/ui.db" --otlp "127.0.0.1:$OP" "$URL" "ws://127.0.0.1:$AP/completed"
wait_for 'Coder 1'
wait_port "$OP" 20 || ui_die "the dashboard does not listen for OTLP"
TR=0af7651916cd43dd8448eb211c80319c
body='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"otel-svc"}}]},"scopeSpans":[{"spans":[
{"traceId":"'$TR'","spanId":"c000000000000001","parentSpanId":"a000000000000001","name":"chat gpt-4o","endTimeUnixNano":"1764300001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"100"}}]},
{"traceId":"'$TR'","spanId":"a000000000000001","name":"invoke_agent Summarizer","endTimeUnixNano":"1764300002000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},{"key":"gen_ai.agent.name","value":{"stringValue":"Summarizer"}}]}]}]}]}'
out=$($PY "$ROOT/tests/otel/post.py" "http://127.0.0.1:$OP/v1/traces" --data "$body")
[ "$out" = '200 {"partialSuccess":{}}' ] || ui_die "OTLP answer: $out"
wait_for 'AG-UI: no resume'
wait_for 'OTLP: read-only'
wait_for 'thread thread-1'
wait_for 'Summarizer'
screen | grep -q 'connected' || ui_die "the demo runtime is not connected"
screen >"$T/interop.txt"
# Rows are committed in batches (<= 100 ms): poll rather than race the commit.
eventually 33 10 "AG-UI rows recorded by the dashboard" \
	sqlite3 "$T/ui.db" "select count(*) from event_log where type = 'agui'"
eventually 1 10 "OTLP rows recorded by the dashboard" \
	sqlite3 "$T/ui.db" "select count(*) from event_log where type = 'otlp'"
ui_quit_check
exit 0
