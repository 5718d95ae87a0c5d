# `swarmtop replay` in tmux over a session recorded from the demo: the header's
# REPLAY position bar (with a failure mark), pause (Space), speed (< >), seek (g,
# arrows, G), jump to a failure (]) and find its line in the Log view (/ and n),
# steering refused, q restores the terminal; bad --speed / --at are usage errors,
# --at 50% starts midway.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 is not installed"; exit 77; }

demo_start --seed 7 --speed 10
DB=$T/rec.db
$SWARMTOP record --db "$DB" "$URL" 2>"$T/record.err" &
REC=$!
track $REC
rec_start=$(date +%s)
# Record until a task has failed (and a little after it).
end=$(( $(date +%s) + 120 ))
until [ "$(sqlite3 -cmd '.timeout 5000' "$DB" \
	"SELECT count(*) FROM events WHERE type='task' AND raw LIKE '%\"status\":\"failed\"%'" \
	2>/dev/null)" -gt 0 ] 2>/dev/null; do
	[ "$(date +%s)" -lt "$end" ] || die "no failure recorded"
	sleep 0.5
done
n0=$(sqlite3 -cmd '.timeout 5000' "$DB" 'SELECT count(*) FROM events')
until [ "$(sqlite3 -cmd '.timeout 5000' "$DB" 'SELECT count(*) FROM events')" -gt $((n0 + 50)) ]; do
	[ "$(date +%s)" -lt "$end" ] || die "the recording stalled"
	sleep 0.3
done
# At least 8 s of recording, so that --at 50% at 1x below is still midway when drawn.
while [ $(( $(date +%s) - rec_start )) -lt 8 ]; do sleep 0.3; done
kill -INT $REC
wait $REC || die "record exited $?"
kill "$DEMO_PID"

# Usage errors before the screen is touched.
$SWARMTOP replay --db "$DB" --speed fast </dev/null >"$T/bad.out" 2>&1
check $? -eq 2 "exit code of a bad --speed"
grep -q "bad --speed 'fast'" "$T/bad.out" || die "bad --speed message: $(cat "$T/bad.out")"
$SWARMTOP replay --db "$DB" --at yesterday </dev/null >"$T/bad.out" 2>&1
check $? -eq 2 "exit code of a bad --at"
$SWARMTOP replay --db "$T/none.db" </dev/null >"$T/bad.out" 2>&1
check $? -eq 1 "exit code of a missing database"

ui_start 120 40 -- replay --db "$DB" --speed 1
wait_for 'REPLAY +[0-9:]+ ▶ 1x'
wait_for 'Swarmtop demo service +replay'
# The position bar carries the failure's mark once indexed.
wait_for 'REPLAY +[0-9:]+ . [0-9.]+x [0-9]+% .*✗'
keys ' '
wait_for 'REPLAY +[0-9:]+ ⏸ 1x'
keys '>' '>'
wait_for 'REPLAY +[0-9:]+ ⏸ 4x'
keys '<'
wait_for 'REPLAY +[0-9:]+ ⏸ 2x'
keys g
wait_for 'REPLAY +[0-9:]+ ⏸ 2x 0%'
# The failure: ] jumps to it (the Graph view counts it), and seeking on shows its log lines.
keys 2
wait_for 'Tasks all runtimes'
screen | grep -Eq 'Tasks all runtimes .*failed' && ui_die "a failure at 0%"
keys ']'
wait_for 'replay: jumped to the next mark'
wait_for 'Tasks all runtimes +✗ [0-9]+ failed'
p1=$(screen | sed -n 's/.*REPLAY [0-9:]* ⏸ 2x \([0-9]*\)%.*/\1/p' | head -1)
keys 5 Right
wait_gone "REPLAY +[0-9:]+ ⏸ 2x $p1%"
# Its log line: search for it and n brings it to the bottom.
keys /
type_text 'failed (attempt'
keys Enter n
wait_for 'error +t-[0-9.]+ failed \(attempt [0-9]+\)'
keys Escape
p2=$(screen | sed -n 's/.*REPLAY [0-9:]* ⏸ 2x \([0-9]*\)%.*/\1/p' | head -1)
check "$p2" -gt "$p1" "position after seeking forward"
keys G
wait_for 'REPLAY +[0-9:]+ ⏸ 2x 100%'
# Same views, no steering.
keys 1
wait_for 'STATE +AGENT'
wait_for 'Coder 1'
keys p
wait_for 'replay: steering is disabled'
screen | grep -q 'pPause' && ui_die "the key bar offers Pause in replay"
keys 2
wait_for 'Tasks (all runtimes|swarmtop-demo)'
ui_quit_check
tm kill-server

# --at 50%: starts midway.
ui_start 120 40 -- replay --db "$DB" --speed 1 --at 50%
wait_for 'REPLAY +[0-9:]+ ▶ 1x (4[5-9]|5[0-9])%'
ui_quit_check
exit 0
