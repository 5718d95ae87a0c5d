# demo + record for a few seconds with the real binaries, then replay that session from a
# read-only copy (chmod 444, read-only directory): it indexes with nothing undecodable, reaches
# its end, gives one model whichever way a position is reached (test_replay's recorded-db case),
# and leaves the file byte for byte unchanged. The replay-vs-live comparison of a generated
# session is in tests/unit/test_replay.c (the recorder has no hook yet to dump its live model).
. "$ROOT/tests/lib.sh"

BUILD=${BUILD:-$(dirname "$SWARMTOP")}
TR=$BUILD/tests/test_replay
[ -x "$TR" ] || { echo "skip: $TR is not built"; exit 77; }

demo_start --seed 11 --speed 10
DB=$T/rec/d.db
mkdir -p "$T/rec"

record_events "$DB" 400

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
