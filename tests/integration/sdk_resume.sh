#!/bin/sh
# Python SDK + real binary: `swarmtop record` stopped and started again on the same database
# resumes from the last stored seq with nothing lost (replay from the runtime's retention ring);
# with a tiny retention the runtime sends a snapshot instead and the gap is recorded visibly.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
[ -x "$SWARMTOP" ] || { echo "skip: $SWARMTOP not built"; exit 77; }
"$SWARMTOP" ctl --help >/dev/null 2>&1 || { echo "skip: swarmtop ctl/record not available yet"; exit 77; }
$PY -c 'import websockets' 2>/dev/null || { echo "skip: $PY cannot import websockets"; exit 77; }
EXAMPLE=$ROOT/sdk/python/examples/research_team.py

# Query a recording (waits on a busy database instead of failing).
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
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
# Record $URL into $DB until at least $1 events of research-team are stored, then stop.
record_until() {
	"$SWARMTOP" record --db "$DB" "$URL" 2>>"$T/record.err" &
	rp=$!; track $rp
	poll_sql "SELECT count(*) >= $1 FROM event_log WHERE runtime_id='research-team'" 40 ||
		die "record did not reach $1 events"
	kill -TERM $rp
	wait $rp || die "record exited non-zero on SIGTERM"
}

# 1. resume from the retention ring: no loss across two record runs
PORT=$(free_port)
URL=ws://127.0.0.1:$PORT/swarmtop
DB=$T/a.db
$PY "$EXAMPLE" --port "$PORT" --speed 2 >"$T/example.log" 2>&1 &
EX=$!; track $EX
wait_port "$PORT" 15 || die "example did not listen"
record_until 30
FIRST=$(sql "SELECT max(seq) FROM event_log")
sleep 3   # the runtime keeps going while nobody listens
record_until $((FIRST + 30))
check "$(sql "SELECT count(DISTINCT session) FROM event_log")" -eq 2 "two sessions"
check "$(sql "SELECT min(seq) FROM event_log")" -eq 1 "first seq"
check "$(sql "SELECT max(seq) - count(DISTINCT seq) FROM event_log")" -eq 0 "events lost on resume"
check "$(sql "SELECT count(seq) - count(DISTINCT seq) FROM event_log")" -eq 0 "duplicate events"
check "$(sql "SELECT count(*) FROM gaps")" -eq 0 "gaps"
check "$(sql "SELECT count(*) FROM event_log WHERE type='snapshot'")" -eq 0 "snapshots"
kill -TERM $EX

# 2. history no longer retained: a snapshot, and the gap is recorded
PORT=$(free_port)
URL=ws://127.0.0.1:$PORT/swarmtop
DB=$T/b.db
$PY "$EXAMPLE" --port "$PORT" --speed 2 --retain 5 >"$T/example2.log" 2>&1 &
track $!
wait_port "$PORT" 15 || die "example did not listen"
sleep 2   # more than 5 events happen before anyone subscribes
record_until 10
check "$(sql "SELECT count(*) FROM event_log WHERE type='snapshot'")" -ge 1 "snapshot stored"
check "$(sql "SELECT count(*) FROM gaps")" -ge 1 "gap recorded"
echo "ok: resume without loss; snapshot and visible gap when history is gone"
