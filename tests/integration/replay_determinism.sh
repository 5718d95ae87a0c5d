# Determinism, end to end with the real binaries: record the demo for a while with
# --dump-model (the live model's canonical dump at exit), then `replay --dump` the same
# session to its end: the two dumps are identical, byte for byte.
. "$(dirname "$0")/../lib.sh"

demo_start --seed 21 --speed 10
DB=$T/d.db
"$SWARMTOP" record --db "$DB" --dump-model "$T/live.txt" "$URL" 2>"$T/rec.err" &
REC=$!
track $REC
# Record until a few hundred events, with usage, threads and some finished tasks.
n=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log" 2>/dev/null)" -ge 300 ] 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 600 ] || die "record stored too little: $(tail -2 "$T/rec.err")"
	sleep 0.1
done
kill -INT $REC
wait $REC || die "record exited non-zero: $(tail -3 "$T/rec.err")"
[ -s "$T/live.txt" ] || die "record wrote no model dump"
"$SWARMTOP" replay --db "$DB" --dump > "$T/replayed.txt" 2>"$T/replay.err" ||
	die "replay --dump failed: $(cat "$T/replay.err")"
if ! cmp -s "$T/live.txt" "$T/replayed.txt"; then
	diff "$T/live.txt" "$T/replayed.txt" | head -20
	die "the replayed model differs from the live one"
fi
lines=$(wc -l < "$T/live.txt")
check "$lines" -gt 50 "dump lines"
echo "ok: live and replayed models identical ($lines dump lines)"
