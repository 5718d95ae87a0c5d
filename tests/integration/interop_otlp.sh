# OpenTelemetry GenAI spans over OTLP/HTTP JSON: the real OpenTelemetry JS SDK
# (@opentelemetry/sdk-trace-base + @opentelemetry/exporter-trace-otlp-http, installed
# here into tests/node/, ignored by git) emits an agent invoking a model twice and two
# tools (one failing), children before their parent, into `swarmtop record --otlp` (one
# raw row per request, type otlp, runtime = service.name) and `swarmtop tail --otlp`
# (agents, tasks re-linked under the agent, usage once per call, statuses). Then the
# answers the OTLP spec asks for: partial success, malformed JSON, protobuf, oversized
# bodies (declared and chunked), missing token, wrong path and method; and spans sent
# child first, parent in a later request.
. "$ROOT/tests/lib.sh"

command -v npm >/dev/null 2>&1 || sh "$ROOT/.ci/deps.sh" nodejs npm >/dev/null 2>&1
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || {
	echo "SKIP: node/npm not available" >&2; exit 77; }
NODE_DIR=$ROOT/tests/node
PKGS="@opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/exporter-trace-otlp-http
      @opentelemetry/resources"
if [ ! -d "$NODE_DIR/node_modules/@opentelemetry/exporter-trace-otlp-http" ]; then
	mkdir -p "$NODE_DIR"
	# shellcheck disable=SC2086
	timeout 120 npm install --prefix "$NODE_DIR" --no-audit --no-fund --no-save \
		--no-package-lock --silent $PKGS >"$T/npm.out" 2>&1 || {
		echo "SKIP: npm install failed: $(tail -2 "$T/npm.out")" >&2; exit 77; }
fi
export OTEL_NODE_MODULES=$NODE_DIR/node_modules
EMIT="node $ROOT/tests/otel/emit_genai.mjs"
POST="$PY $ROOT/tests/otel/post.py"

# 1. record: one raw row per export request (SimpleSpanProcessor: one per span).
P=$(free_port)
DB=$T/o.db
$SWARMTOP record --db "$DB" --otlp "127.0.0.1:$P" --otlp-token s3cret 2>"$T/rec.err" &
REC=$!
track $REC
wait_port "$P" 20 || die "record --otlp does not listen: $(cat "$T/rec.err")"
timeout 30 $EMIT "http://127.0.0.1:$P" s3cret >"$T/emit.out" 2>&1 || die "emit: $(cat "$T/emit.out")"
i=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log" 2>/dev/null || echo 0)" -ge 5 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || die "record stored too little: $(tail -2 "$T/rec.err")"
	sleep 0.1
done
# a wrong token is refused and stores nothing
out=$(timeout 20 $EMIT "http://127.0.0.1:$P" wrong 2>&1) && die "emit with a wrong token succeeded"
echo "$out" | grep -q '401\|Unauthorized' || die "wrong token: $out"
kill -TERM $REC
wait $REC
check $? -eq 0 "record exit code"
check "$(sqlite3 "$DB" "select count(*) from event_log")" -eq 5 "rows stored"
check "$(sqlite3 "$DB" "select count(*) from event_log where type = 'otlp' and
         runtime_id = 'research-service' and instance like 'otlp-%'")" -eq 5 "rows are otlp"
[ "$(sqlite3 "$DB" "select min(seq), max(seq), count(distinct seq) from event_log")" = "1|5|5" ] ||
	die "seqs: $(sqlite3 "$DB" "select seq from event_log")"
check "$(sqlite3 "$DB" "select count(*) from runtimes where runtime_id = 'research-service'
         and url = 'otlp://127.0.0.1:$P'")" -eq 1 "runtime row"
check "$(sqlite3 "$DB" "select count(*) from event_log where raw like '%\"gen_ai.usage.input_tokens\"%'")" \
	-eq 2 "the two model calls stored with their usage"
$SWARMTOP export --db "$DB" 1 >"$T/export.jsonl" || die "export failed"
sqlite3 "$DB" "select raw from event_log order by id" >"$T/raw.jsonl"
cmp -s "$T/export.jsonl" "$T/raw.jsonl" || die "export differs from the stored rows"

# 2. tail: the mapped model.
P2=$(free_port)
timeout 40 $SWARMTOP tail --otlp "127.0.0.1:$P2" >"$T/tail.out" 2>"$T/tail.err" &
TP=$!
track $TP
wait_port "$P2" 20 || die "tail --otlp does not listen: $(cat "$T/tail.err")"
timeout 30 $EMIT "http://127.0.0.1:$P2" >"$T/emit2.out" 2>&1 || die "emit: $(cat "$T/emit2.out")"
has() { grep -q -- "$1" "$T/tail.out" || die "tail: no '$1' in: $(cat "$T/tail.out")"; }
count() { grep -c -- "$1" "$T/tail.out"; }
i=0
until [ "$(count 'usage    agent=researcher-1')" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || die "tail: usage never placed: $(cat "$T/tail.out")"
	sleep 0.1
done
has "hello    id=research-service instance=otlp-"
has "agent    researcher-1 completed name=Researcher"
has "completed agent=researcher-1 name=invoke_agent Researcher"
has "completed agent=research-service name=web_search"      # before its parent arrived
has "failed agent=research-service name=fetch_url attempt=0 error=http_503: HTTP 503 from vendor site"
check "$(count ' - agent=researcher-1 ')" -eq 4 "four children re-linked under the agent"
has "usage    agent=researcher-1 model=gpt-4o-2024-08-06 in=1200 out=150 cache_read=800 reasoning=0"
has "usage    agent=researcher-1 model=gpt-4o-2024-08-06 in=1500 out=300 cache_read=0 reasoning=100"
check "$(count 'usage ')" -eq 2 "usage counted once per model call"

# 3. the answers, and spans out of order across requests.
U=http://127.0.0.1:$P2/v1/traces
TR=0af7651916cd43dd8448eb211c80319c
ATTR='{"key":"gen_ai.operation.name","value":{"stringValue":"%s"}}'
span() { # id parent op name [more attributes]
	printf '{"traceId":"%s","spanId":"%s","parentSpanId":"%s","name":"%s","endTimeUnixNano":"1764300001000000000","attributes":[%s%s]}' \
		"$TR" "$1" "$2" "$4" "$(printf "$ATTR" "$3")" "${5:-}"
}
req() { printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late-svc"}}]},"scopeSpans":[{"spans":[%s]}]}]}' "$1"; }
expect() { # status pattern args...
	st=$1; pat=$2; shift 2
	got=$($POST "$U" "$@")
	case "$got" in "$st "*"$pat"*) ;; *) die "expected $st ..$pat.. for $*: got $got" ;; esac
}
expect 200 '"rejectedSpans":1,"errorMessage":"span: '"'"'spanId'"'"' is not 16 hex digits"' \
	--data "$(req "$(span bad1 "" chat x)")"
expect 200 '{"partialSuccess":{}}' --data "$(req "$(span c100000000000001 a100000000000001 execute_tool late_tool \
	',{"key":"gen_ai.tool.name","value":{"stringValue":"late_tool"}}')")"
expect 200 '{"partialSuccess":{}}' --chunked --data "$(req "$(span a100000000000001 "" invoke_agent 'invoke_agent Late' \
	',{"key":"gen_ai.agent.name","value":{"stringValue":"Late"}}')")"
expect 400 'body: not JSON' --data '{"resourceSpans":['
expect 400 "'resourceSpans' is not an array" --data '{"resourceSpans":{}}'
expect 415 'OTEL_EXPORTER_OTLP_PROTOCOL=http/json' --type application/x-protobuf --data 'x'
expect 413 'body larger than 4194304 bytes' --zeros 5000000
expect 413 'body larger than 4194304 bytes' --zeros 5000000 --chunked
expect 405 'use POST' --method GET
U=http://127.0.0.1:$P2/v1/metrics expect 404 'only /v1/traces' --data '{}'
i=0
until grep -q "task     c100000000000001 - agent=Late" "$T/tail.out"; do
	i=$((i + 1)); [ $i -lt 50 ] || die "late parent did not re-link its child: $(tail -5 "$T/tail.out")"
	sleep 0.1
done
has "agent    Late completed name=Late"
kill -TERM $TP
wait $TP 2>/dev/null
exit 0
