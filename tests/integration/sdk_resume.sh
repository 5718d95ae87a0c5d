#!/bin/sh
# Python SDK + real binary: `swarmtop record` stopped and started again on the same database
# resumes from the last stored seq with nothing lost (replay from the runtime's retention ring);
# with a tiny retention the runtime sends a snapshot instead and the gap is recorded visibly.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/sdk_lib.sh"

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
DB=$T/a.db
example_start example.log --speed 2
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
DB=$T/b.db
example_start example2.log --speed 2 --retain 5
sleep 2   # more than 5 events happen before anyone subscribes
record_until 10
check "$(sql "SELECT count(*) FROM event_log WHERE type='snapshot'")" -ge 1 "snapshot stored"
check "$(sql "SELECT count(*) FROM gaps")" -ge 1 "gap recorded"
echo "ok: resume without loss; snapshot and visible gap when history is gone"
