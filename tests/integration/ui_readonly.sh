# --read-only: the steering keys (p r x i and :pause all) send nothing and say why;
# verified on the runtime side (the demo publishes every ack to every subscriber,
# and a `swarmtop tail --json` alongside sees none) and in the audit trail (empty).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 is not installed"; exit 77; }

demo_start --seed 7 --speed 10
EV=$T/events.jsonl
$SWARMTOP tail --json "$URL" >"$EV" 2>"$T/tail.err" &
track $!
DB=$T/ui.db
ui_start 120 40 -- --read-only --db "$DB" "$URL"
wait_for 'connected'
wait_for 'Coder 1'
wait_for 'READ-ONLY'
screen | grep -q 'pPause' && ui_die "the key bar offers Pause in read-only mode"

why='read-only: steering is disabled'
for view in 1 2; do
	keys $view
	[ $view = 1 ] && keys k
	for k in p r x i; do
		keys Escape
		wait_gone "$why"
		keys $k
		wait_for "$why"
		screen | grep -Eq 'Confirm|inject →' && ui_die "$k opened a dialog in read-only mode"
	done
done
keys Escape : 
type_text 'pause all'
keys Enter
wait_for "$why"

# The runtime answers commands from other clients on the same stream: one ctl proves the
# tail would have seen an ack of ours.
n=$(grep -c '^{"type":"ack"' "$EV")
check "$n" -eq 0 "acks seen by the runtime's subscribers before ctl"
$SWARMTOP ctl "$URL" pause --agent nobody >"$T/ctl.out" 2>&1
end=$(( $(date +%s) + 30 ))
while ! grep -q '^{"type":"ack"' "$EV"; do
	[ "$(date +%s)" -lt "$end" ] || die "the tail never saw ctl's ack"
	sleep 0.2
done
check "$(grep -c '^{"type":"ack"' "$EV")" -eq 1 "acks after one ctl (only ctl's)"
check "$(sqlite3 -cmd '.timeout 5000' "$DB" 'SELECT count(*) FROM commands')" -eq 0 \
	"commands in the dashboard's audit trail"
ui_quit_check
exit 0
