# Steering from the dashboard (issue 5) on the demo runtime, driven through tmux,
# checked on three sides: the screen, the runtime's own event stream (a
# `swarmtop tail --json` alongside sees every event and ack the demo publishes)
# and the audit trail in the dashboard's SQLite store.
#   p pauses a working agent: paused in the Agents view, and no events from it over
#     five of the runtime's thread samples; p again resumes and it goes on working
#   a rejected command shows the runtime's error text in the status line
#   r retries a failed task in the Graph view: attempt 2
#   x asks first, No by default (Enter sends nothing); y cancels (the spare coder)
#   i injects an operator message: in the Log view, then in the agent's next answer
# Every command ends in the commands table with its final status.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 is not installed"; exit 77; }

demo_start --seed 7 --speed 10
EV=$T/events.jsonl
$SWARMTOP tail --json "$URL" >"$EV" 2>"$T/tail.err" &
track $!
DB=$T/ui.db
ui_start 120 40 -- --db "$DB" "$URL"
wait_for 'connected'
wait_for 'Coder 1'

sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# events(FROM): the runtime's events after line FROM of the tail, threads samples left out.
events() { tail -n +"$(( $1 + 1 ))" "$EV" | grep -v '^{"type":"threads"'; }
# wait_events FROM REGEX [SECONDS]: until an event after line FROM matches.
wait_events() {
	end=$(( $(date +%s) + ${3:-60} ))
	while ! events "$1" | grep -Eq -- "$2"; do
		[ "$(date +%s)" -lt "$end" ] || ui_die "the runtime never sent /$2/"
		sleep 0.3
	done
}
# select_agent NAME: filter the Agents view down to NAME and select it.
select_agent() {
	keys 1 /
	type_text "$1"
	keys Enter k
	wait_for "^ *[a-z]+ +$1 "
}

# ---- pause / resume ----
# Pause an agent while it works (a planner, researcher, coder or reviewer, not a scout).
keys 1
wait_for '^ *working +(Planner|Researcher [0-9]|Coder [0-9]|Reviewer)  '
name=$(screen | sed -n 's/^ *working  *\(Planner\|Researcher [0-9]\|Coder [0-9]\|Reviewer\)  .*/\1/p' | head -1)
id=$(echo "$name" | tr 'A-Z ' 'a-z-')
select_agent "$name"
keys p
wait_for "pause $id: (sent|accepted|applied)"
wait_for "paused +$name "
wait_for "pause $id: applied"
mark=$(wc -l <"$EV")
# The runtime's own clock: five thread samples (about a second apart) after the pause ...
end=$(( $(date +%s) + 60 ))
while [ "$(tail -n +"$((mark + 1))" "$EV" | grep -c '^{"type":"threads"')" -lt 5 ]; do
	[ "$(date +%s)" -lt "$end" ] || ui_die "the runtime stopped sampling threads"
	sleep 0.3
done
# ... during which the paused agent sent nothing but its paused state.
bad=$(events "$mark" | grep "\"agent\":\"$id\"" | grep -v '"status":"paused"' | head -3)
[ -z "$bad" ] || die "$id worked while paused: $bad"
screen | grep -Eq "paused +$name " || ui_die "$name no longer shows paused"
mark=$(wc -l <"$EV")
keys p
wait_for "resume $id: applied"
wait_gone "paused +$name "
# It had work: it goes on with it.
wait_events "$mark" "\"type\":\"(message|usage)\".*\"agent\":\"$id\"|\"agent\":\"$id\".*\"status\":\"working\"" 120
keys Escape

# ---- a rejected command shows the runtime's error ----
# The plan task t-1 is done: retrying it is refused by the demo.
keys 2 g
wait_for 'id +t-1$|id +t-1 '
keys r
wait_for 'retry t-1: rejected: .*only failed or canceled tasks can be retried'

# ---- cancel: a dialog that defaults to No ----
keys 1
select_agent 'Coder 2'
keys x
wait_for 'Cancel agent .coder-2.\?'
wait_for '\[No\]'
keys Enter
wait_for 'cancel: not confirmed, nothing sent'
[ "$(sql "SELECT count(*) FROM commands WHERE action='cancel'")" = 0 ] ||
	die "a cancel was recorded after answering No"
mark=$(wc -l <"$EV")
keys x
wait_for 'Cancel agent'
keys y
wait_for 'reason'
type_text 'test: cancel from the dashboard'
keys Enter
wait_for 'cancel coder-2: applied'
wait_for 'canceled +Coder 2 '
keys Escape

# ---- inject: an operator message, then the agent's answer uses it ----
select_agent 'Coder 1'
keys i
wait_for 'inject → coder-1>'
mark=$(wc -l <"$EV")
type_text 'Use the EU price list.'
keys Enter
wait_for 'inject coder-1: (sent|accepted|applied)'
keys Escape 5
wait_for 'Coder 1 +operator +Use the EU price list\.'
wait_events "$mark" '"role":"operator".*"text":"Use the EU price list\."' 30
wait_events "$mark" '"agent":"coder-1".*"role":"assistant".*Use the EU price list' 120

# ---- retry a failed task in the Graph view ----
# A top-level task whose newest event says failed (the runtime's view), if any.
failed_task() {
	grep '^{"type":"task"' "$EV" |
		sed -n 's/.*"task":{"id":"\([^"]*\)".*"status":"\([a-z_]*\)".*/\1 \2/p' |
		awk '{ s[$1] = $2 } END { for (t in s) if (s[t] == "failed" && t !~ /\./) print t }' |
		head -1
}
keys 2
end=$(( $(date +%s) + 150 ))
found=""
while [ -z "$found" ]; do
	[ "$(date +%s)" -lt "$end" ] || ui_die "never reached a failed task with n"
	failed=$(failed_task)
	if [ -n "$failed" ] && screen | grep -Eq "id +$failed( |$)"; then
		found=$failed
	else
		# n walks the failed and working tasks in layout order.
		keys n
		sleep 0.2
	fi
done
wait_for 'status +. failed'
mark=$(wc -l <"$EV")
keys r
wait_for "retry $failed: (accepted|applied)"
wait_events "$mark" "\"task\":\\{\"id\":\"$failed\".*\"attempt\":2"
wait_for 'attempt +2'

# ---- the audit trail: every command with its final status ----
keys 6
wait_for 'pause +applied'
end=$(( $(date +%s) + 30 ))
while [ "$(sql "SELECT count(*) FROM commands WHERE status IN ('sent','accepted')")" != 0 ]; do
	[ "$(date +%s)" -lt "$end" ] || die "commands without a final status: $(sql 'SELECT * FROM commands')"
	sleep 0.5
done
sql "SELECT action, target, status, who, coalesce(error,'') FROM commands ORDER BY sent_ms" >"$T/audit.txt"
grep -q "^pause|$id|applied|" "$T/audit.txt" || die "audit: pause $(cat "$T/audit.txt")"
grep -q "^resume|$id|applied|" "$T/audit.txt" || die "audit: resume"
grep -q "^retry|t-1|rejected|.*only failed or canceled" "$T/audit.txt" || die "audit: rejected retry"
grep -q "^retry|$failed|applied|" "$T/audit.txt" || die "audit: retry of $failed"
grep -q "^cancel|coder-2|applied|" "$T/audit.txt" || die "audit: cancel"
grep -q "^inject|coder-1|applied|" "$T/audit.txt" || die "audit: inject"
[ "$(sql "SELECT reason FROM commands WHERE action='cancel'")" = 'test: cancel from the dashboard' ] ||
	die "audit: the cancel's reason"
[ "$(sql "SELECT count(DISTINCT who) FROM commands WHERE who LIKE '%@%'")" = 1 ] ||
	die "audit: who is not user@host"
ui_quit_check
exit 0
