#!/bin/sh
# Python SDK + real binary: the research_team example served by swarmtop_runtime, recorded by
# `swarmtop record`; the SQLite session must hold a complete, contiguous stream with agents,
# tasks, usage (with cache tokens), messages and thread samples attributed to agents.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/sdk_lib.sh"

example_start example.log --speed 2 --seed 3
"$SWARMTOP" record --db "$DB" "$URL" 2>"$T/record.err" &
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
