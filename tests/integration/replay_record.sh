# demo + record for a few seconds with the real binaries, then replay that session from a
# read-only copy (chmod 444, read-only directory): it indexes with nothing undecodable, reaches
# its end, gives one model whichever way a position is reached (test_replay's recorded-db case),
# and leaves the file byte for byte unchanged. The replay-vs-live comparison of a generated
# session is in tests/unit/test_replay.c (the recorder has no hook yet to dump its live model).
. "$ROOT/tests/lib.sh"

BUILD=${BUILD:-$(dirname "$SWARMTOP")}
TR=$BUILD/tests/test_replay
[ -x "$TR" ] || { echo "skip: $TR is not built"; exit 77; }

P=$(free_port)
$SWARMTOP demo --port "$P" --seed 11 --speed 10 --quiet >"$T/demo.out" 2>"$T/demo.err" &
track $!
wait_port "$P" 30 || die "demo did not start: $(cat "$T/demo.err")"
DB=$T/rec/d.db
mkdir -p "$T/rec"

$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
n=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log where seq is not null" 2>/dev/null || echo 0)" -ge 400 ]; do
	n=$((n + 1)); [ $n -lt 900 ] || die "record stored too little: $(tail -3 "$T/rec.err")"
	kill -0 $REC 2>/dev/null || die "record exited early: $(tail -3 "$T/rec.err")"
	sleep 0.1
done
kill -TERM $REC
wait $REC
check $? -eq 0 "record exit code after SIGTERM"

# A copy as if from another machine, read-only.
mkdir -p "$T/ro"
cp "$DB" "$T/ro/copy.db"
chmod 444 "$T/ro/copy.db"
chmod 555 "$T/ro"
before=$(sha256sum <"$T/ro/copy.db")
REPLAY_DB=$T/ro/copy.db "$TR" >"$T/replay.out" 2>&1 || die "replay of the recorded session: $(tail -20 "$T/replay.out")"
grep -q 'PASSED.*1 test' "$T/replay.out" || die "the recorded-session case did not run: $(cat "$T/replay.out")"
after=$(sha256sum <"$T/ro/copy.db")
[ "$before" = "$after" ] || die "the read-only database changed"
chmod 755 "$T/ro"
exit 0
