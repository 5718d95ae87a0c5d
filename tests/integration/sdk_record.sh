#!/bin/sh
# Python SDK + real binary: the research_team example served by swarmtop_runtime, recorded by
# `swarmtop record`; the SQLite session must hold a complete, contiguous stream with agents,
# tasks, usage (with cache tokens), messages and thread samples attributed to agents.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
[ -x "$SWARMTOP" ] || { echo "skip: $SWARMTOP not built"; exit 77; }
"$SWARMTOP" ctl --help >/dev/null 2>&1 || { echo "skip: swarmtop ctl/record not available yet"; exit 77; }
$PY -c 'import websockets' 2>/dev/null || { echo "skip: $PY cannot import websockets"; exit 77; }
EXAMPLE=$ROOT/sdk/python/examples/research_team.py

# Query the recording (waits on a busy database instead of failing).
sql() { sqlite3 -cmd ".timeout 5000" "$T/x.db" "$1"; }
# Poll a query until it prints something other than empty/0 (at most $2 s, default 20).
poll_sql() {
	n=$(( ${2:-20} * 10 ))
	while [ $n -gt 0 ]; do
		r=$(sql "$1" 2>/dev/null)
		[ -n "$r" ] && [ "$r" != 0 ] && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

PORT=$(free_port)
URL=ws://127.0.0.1:$PORT/swarmtop
$PY "$EXAMPLE" --port "$PORT" --speed 2 --seed 3 >"$T/example.log" 2>&1 &
track $!
wait_port "$PORT" 15 || die "example did not listen: $(cat "$T/example.log")"
"$SWARMTOP" record --db "$T/x.db" "$URL" 2>"$T/record.err" &
REC=$!; track $REC

RT="runtime_id='research-team'"
poll_sql "SELECT count(*) >= 40 FROM event_log WHERE $RT" 30 || die "fewer than 40 events stored"
for t in agent task usage message threads; do
	poll_sql "SELECT count(*) FROM event_log WHERE $RT AND type='$t'" 20 || die "no $t event stored"
done
poll_sql "SELECT count(*) FROM event_log WHERE $RT AND type='usage'
	AND json_extract(raw,'\$.cache_read_tokens') > 0" 20 || die "no usage with cache tokens"
poll_sql "SELECT count(*) FROM event_log e, json_each(e.raw,'\$.threads') j
	WHERE e.$RT AND e.type='threads' AND json_extract(j.value,'\$.agent') LIKE 'worker-%'" 30 ||
	die "no thread sample attributed to a worker agent"
kill -INT $REC
wait $REC; rc=$?
check "$rc" -eq 0 "record exit status after SIGINT"

INST=$(sed -n 's/.*(instance \([0-9a-f]*\)).*/\1/p' "$T/example.log")
[ -n "$INST" ] || die "example printed no instance"
check "$(sql "SELECT count(*) FROM runtimes WHERE runtime_id='research-team' AND instance='$INST'")" \
	-ge 1 "runtime instance recorded"
check "$(sql "SELECT min(seq) FROM event_log WHERE $RT")" -eq 1 "first seq"
check "$(sql "SELECT max(seq) - min(seq) + 1 - count(DISTINCT seq) FROM event_log WHERE $RT")" \
	-eq 0 "seq gaps or duplicates in the stored stream"
check "$(sql "SELECT count(*) FROM gaps")" -eq 0 "gaps recorded"
check "$(sql "SELECT count(*) FROM event_log WHERE $RT AND type='agent'
	AND json_extract(raw,'\$.agent.id')='planner'")" -ge 1 "planner agent"
echo "ok: $(sql "SELECT count(*) FROM event_log WHERE $RT") events recorded from the Python SDK"
