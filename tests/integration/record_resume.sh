# Resume across disconnects: the demo drops every connection after N events -> every event
# stored exactly once; kill -9 and restart with the same instance -> the runtime's
# snapshot and the gap are recorded, no duplicates; restart with a new instance -> its
# sequence is stored alongside the old; retention smaller than an outage -> snapshot + gap.
. "$ROOT/tests/lib.sh"

DB=$T/r.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
# Wait until a query's result is >= a number (bounded), record must keep running.
wait_ge() { # query, value, what
	n=0
	while :; do
		v=$(q "$1"); v=${v:-0}
		[ "$v" -ge "$2" ] && return 0
		n=$((n + 1)); [ $n -lt 1200 ] || die "$3: got $v, want >= $2 ($(tail -3 "$T/rec.err"))"
		kill -0 $REC 2>/dev/null || die "record exited: $(tail -3 "$T/rec.err")"
		sleep 0.1
	done
}
# Per instance: rows == distinct seqs (no duplicates).
no_dups() {
	check "$(q "select count(*) - count(distinct instance || ':' || seq) from event_log where seq is not null")" -eq 0 "duplicate (instance, seq) rows"
}

start_demo() { # extra args...
	P_=$1; shift
	$SWARMTOP demo --port "$P_" --seed 3 --speed 10 --quiet "$@" >>"$T/demo.out" 2>>"$T/demo.err" &
	DEMO=$!
	track $DEMO
	wait_port "$P_" 30 || die "demo did not start: $(tail -3 "$T/demo.err")"
}

P=$(free_port)
start_demo "$P" --drop-after 40 --instance inst-a
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC

# A. Server-side drops every 40 events: resume loses nothing, duplicates nothing.
wait_ge "select count(*) from event_log where seq is not null" 200 "events across drops"
check "$(grep -c ': connected' "$T/rec.err")" -ge 4 "reconnections after server-side drops"
no_dups
check "$(q "select max(seq) - min(seq) + 1 - count(*) from event_log where seq is not null")" -eq 0 "holes in the sequence"
check "$(q "select min(seq) from event_log")" -eq 1 "first seq"
check "$(q "select count(*) from gaps")" -eq 0 "gaps after lossless resumes"

# B. kill -9, restart with the same instance further on: snapshot + gap, nothing duplicated.
kill -KILL $DEMO; wait $DEMO 2>/dev/null
sleep 0.5
K=$(q "select max(seq) from event_log where instance = 'inst-a'")
start_demo "$P" --instance inst-a --seq-start $((K + 50))
wait_ge "select count(*) from event_log where instance = 'inst-a' and seq > $((K + 50))" 20 "events after the restart"
# The runtime retains only what it made since its restart: a snapshot stands for K+1..S.
S=$(q "select to_seq from gaps where instance = 'inst-a' and from_seq = $((K + 1)) and reason = 'snapshot'")
[ -n "$S" ] || die "no snapshot gap from $((K + 1)): $(q "select * from gaps")"
check "$S" -ge $((K + 50)) "snapshot gap end"
check "$(q "select count(*) from gaps")" -eq 1 "gaps"
check "$(q "select count(*) from event_log where instance = 'inst-a' and type = 'snapshot' and seq = $S")" -eq 1 "the snapshot stored at its seq"
check "$(q "select count(*) from event_log where instance = 'inst-a' and seq > $K and seq < $S")" -eq 0 "events inside the gap"
no_dups
check "$(q "select max(seq) - $S + 1 - count(*) from event_log where instance = 'inst-a' and seq >= $S")" -eq 0 "holes after the snapshot"

# C. Restart with a new instance: a new sequence from 1, stored alongside the old one.
kill -KILL $DEMO; wait $DEMO 2>/dev/null
start_demo "$P" --instance inst-b
wait_ge "select count(*) from event_log where instance = 'inst-b' and seq is not null" 50 "events of the new instance"
check "$(q "select min(seq) from event_log where instance = 'inst-b'")" -eq 1 "new instance starts at 1"
check "$(q "select max(seq) - count(*) from event_log where instance = 'inst-b' and seq is not null")" -eq 0 "new instance contiguous"
check "$(q "select count(distinct instance) from event_log")" -eq 2 "instances stored"
no_dups
kill -INT $REC; wait $REC
check $? -eq 0 "record exit code"
kill -KILL $DEMO; wait $DEMO 2>/dev/null

# D. Retention smaller than the outage: record, stop, let the demo run past its retention,
# record again into the same database: since = last stored seq -> snapshot + gap.
P2=$(free_port)
start_demo "$P2" --retain 20 --instance inst-c
DB=$T/r2.db
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P2/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
wait_ge "select count(*) from event_log where seq is not null" 30 "first recording"
kill -INT $REC; wait $REC
K=$(q "select max(seq) from event_log")
# Watch the runtime (live only, nothing stored) until it is well past its retention.
$SWARMTOP tail --json "ws://127.0.0.1:$P2/swarmtop" >"$T/watch.jsonl" 2>/dev/null &
W=$!
track $W
n=0
until [ "$($PY -c "
import json,sys
m=0
for l in open(sys.argv[1]):
    try: o=json.loads(l)
    except Exception: continue
    m=max(m,o.get('seq',0) or 0,o.get('last_seq',0) or 0)
print(m)" "$T/watch.jsonl")" -gt $((K + 60)) ]; do
	n=$((n + 1)); [ $n -lt 1200 ] || die "the demo did not move past its retention"
	sleep 0.1
done
kill -INT $W; wait $W
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P2/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
wait_ge "select count(*) from gaps where from_seq = $((K + 1)) and reason = 'snapshot'" 1 "gap after the outage"
S=$(q "select to_seq from gaps where from_seq = $((K + 1))")
check "$S" -gt $((K + 20)) "gap covers what the runtime no longer retains"
check "$(q "select count(*) from event_log where type = 'snapshot' and seq = $S")" -eq 1 "snapshot stored"
wait_ge "select count(*) from event_log where seq > $S" 5 "live events after the snapshot"
no_dups
kill -INT $REC; wait $REC
check $? -eq 0 "second record exit code"
exit 0
