# One record, several runtimes at once (the demo and a second protocol-v1 runtime): each
# stream stored contiguous and unique under its own runtime id, status line counts both.
. "$ROOT/tests/lib.sh"

P1=$(free_port)
$SWARMTOP demo --port "$P1" --seed 11 --speed 10 --quiet >/dev/null 2>"$T/demo.err" &
track $!
P2=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P2" --mode plain --log "$T/server.log" &
track $!
wait_port "$P1" 30 || die "demo did not start"
wait_port "$P2" 20 || die "server did not start"
DB=$T/m.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P1/swarmtop" "ws://127.0.0.1:$P2/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
n=0
until [ "$(q "select count(*) from event_log where runtime_id = 'hostile' and seq is not null")" = 40 ] &&
      [ "$(q "select count(*) from event_log where runtime_id = 'swarmtop-demo' and seq is not null")" -ge 100 ]; do
	n=$((n + 1)); [ $n -lt 900 ] || die "both streams not stored: $(tail -2 "$T/rec.err")"
	kill -0 $REC 2>/dev/null || die "record exited"
	sleep 0.1
done
# The status line comes once a second: wait for one that counts both.
n=0
until grep -q 'runtimes 2/2' "$T/rec.err"; do
	n=$((n + 1)); [ $n -lt 100 ] || die "status line does not count both runtimes"
	sleep 0.1
done
kill -INT $REC; wait $REC
check $? -eq 0 "record exit code"
for r in hostile swarmtop-demo; do
	check "$(q "select max(seq) - min(seq) + 1 - count(*) from event_log where runtime_id = '$r' and seq is not null")" -eq 0 "$r contiguous"
	check "$(q "select count(*) - count(distinct seq) from event_log where runtime_id = '$r' and seq is not null")" -eq 0 "$r unique"
	check "$(q "select min(seq) from event_log where runtime_id = '$r'")" -eq 1 "$r from seq 1"
done
check "$(q "select count(*) from runtimes where session = 1")" -eq 2 "runtimes of the session"
$SWARMTOP sessions --db "$DB" | grep -Eq '^ +1 .* record +2 ' || die "sessions does not show 2 runtimes"
exit 0
