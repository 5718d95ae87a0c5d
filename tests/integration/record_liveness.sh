# A runtime that stops answering (SIGSTOP: the socket stays open, nothing comes back) is
# detected by ping within ~30 s; record reconnects and resumes once it is back, with no
# event lost or duplicated.
. "$ROOT/tests/lib.sh"

P=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P" --mode plain --log "$T/server.log" &
SP=$!
track $SP
wait_port "$P" 20 || die "server did not start"
DB=$T/l.db
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
n=0
until grep -q ': connected' "$T/rec.err" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || die "never connected"; sleep 0.1
done
sleep 0.3
kill -STOP $SP
# Detection: bounded generously (ping after 10 s idle, hang up 30 s after the last valid).
n=0
until grep -q 'disconnected' "$T/rec.err"; do
	n=$((n + 1)); [ $n -lt 900 ] || { kill -CONT $SP; die "a silent runtime was not detected in 90 s"; }
	kill -0 $REC 2>/dev/null || { kill -CONT $SP; die "record exited"; }
	sleep 0.1
done
kill -CONT $SP
n=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log where seq is not null" 2>/dev/null)" = 40 ]; do
	n=$((n + 1)); [ $n -lt 600 ] || die "events after the resume: $(sqlite3 "$DB" "select count(*) from event_log")"
	sleep 0.1
done
check "$(grep -c '^connect$' "$T/server.log")" -ge 2 "connections (the dead one and the resumed one)"
check "$(sqlite3 "$DB" "select count(distinct seq) from event_log where seq is not null")" -eq 40 "distinct seqs"
kill -INT $REC; wait $REC
check $? -eq 0 "record exit code"
exit 0
