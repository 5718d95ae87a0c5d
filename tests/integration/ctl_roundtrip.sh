# ctl round trips against the demo: pause then resume an agent, inject a message that
# shows up as an operator message, retry a failed task (attempt + 1), a rejected command
# (unknown agent) exits 1 with the runtime's error; every command is in the audit trail
# and in `export`. Against the hostile runtime (no acks, no cancel capability): refused
# locally, and unanswered after 10 s -> exit 1. Usage errors -> exit 2.
. "$ROOT/tests/lib.sh"

DB=$T/c.db
q() { sqlite3 "$DB" "$1" 2>/dev/null; }
demo_start --seed 5 --speed 10
$SWARMTOP record --db "$DB" "$URL" 2>"$T/rec.err" &
REC=$!
track $REC

n=0
until [ "$(q "select count(distinct json_extract(raw, '\$.agent.id')) from event_log where type = 'agent'")" -ge 3 ] 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 600 ] || die "no agents recorded"
	sleep 0.1
done
A=$(q "select json_extract(raw, '\$.agent.id') from event_log where type = 'agent' and json_extract(raw, '\$.agent.id') like 'coder%' limit 1")
[ -n "$A" ] || A=$(q "select json_extract(raw, '\$.agent.id') from event_log where type = 'agent' and json_extract(raw, '\$.agent.id') != 'planner' limit 1")

ctl() { $SWARMTOP ctl --db "$DB" "$URL" "$@" >"$T/ctl.out" 2>"$T/ctl.err"; }

# Pause, then resume.
ctl pause --agent "$A" --reason "integration test"
check $? -eq 0 "ctl pause exit code ($(cat "$T/ctl.out" "$T/ctl.err"))"
grep -q ' accepted$' "$T/ctl.out" || die "no accepted ack printed: $(cat "$T/ctl.out")"
grep -q ' applied$' "$T/ctl.out" || die "no applied ack printed"
PAUSE_ID=$(sed -n 's/ sent$//p' "$T/ctl.out")
n=0
until [ "$(q "select count(*) from event_log where type = 'agent' and json_extract(raw, '\$.agent.id') = '$A' and json_extract(raw, '\$.agent.status') = 'paused'")" -ge 1 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || die "agent $A never reported paused"
	sleep 0.1
done
ctl resume --agent "$A"
check $? -eq 0 "ctl resume exit code"
grep -q ' applied$' "$T/ctl.out" || die "resume not applied"

# Inject: appears as an operator message of that agent.
ctl inject --agent planner --text "Use the EU price list."
check $? -eq 0 "ctl inject exit code"
n=0
until [ "$(q "select count(*) from event_log where type = 'message' and json_extract(raw, '\$.role') = 'operator' and json_extract(raw, '\$.agent') = 'planner' and json_extract(raw, '\$.text') = 'Use the EU price list.'")" -ge 1 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || die "the injected text never came back as an operator message"
	sleep 0.1
done

# Rejected: unknown agent -> exit 1 with the runtime's error text.
ctl pause --agent no-such-agent
check $? -eq 1 "ctl on an unknown agent exit code"
grep -q "unknown agent 'no-such-agent'" "$T/ctl.out" || die "runtime error text not printed: $(cat "$T/ctl.out")"
grep -q "unknown agent 'no-such-agent'" "$T/ctl.err" || die "runtime error text not on stderr"

# Retry a failed task: wait for one whose latest state is failed, retry it, see attempt + 1.
retried=""
tries=0
n=0
while [ -z "$retried" ]; do
	n=$((n + 1)); [ $n -lt 1500 ] || die "no failed task could be retried"
	cand=$(q "select t.id, t.att from (select json_extract(raw, '\$.task.id') id,
	          json_extract(raw, '\$.task.status') st, json_extract(raw, '\$.task.attempt') att,
	          row_number() over (partition by json_extract(raw, '\$.task.id') order by seq desc) rn
	          from event_log where type = 'task' and json_extract(raw, '\$.task.status') is not null) t
	          where t.rn = 1 and t.st = 'failed' and t.id not in (select json_extract(raw, '\$.task.id')
	          from event_log where type = 'task' and json_extract(raw, '\$.task.parent') is not null)
	          order by random() limit 1")
	if [ -z "$cand" ]; then sleep 0.1; continue; fi
	TID=${cand%%|*}; ATT=${cand#*|}; ATT=${ATT:-1}
	ctl retry --task "$TID"
	rc=$?
	if [ $rc -eq 0 ]; then retried=$TID; break; fi
	tries=$((tries + 1)); [ $tries -lt 8 ] || die "retry kept failing: $(cat "$T/ctl.out")"
	sleep 0.5
done
n=0
until [ "$(q "select count(*) from event_log where type = 'task' and json_extract(raw, '\$.task.id') = '$TID' and json_extract(raw, '\$.task.attempt') = $((ATT + 1))")" -ge 1 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || die "task $TID never ran attempt $((ATT + 1))"
	sleep 0.1
done

# The audit trail holds each command with its outcome; export includes them.
check "$(q "select count(*) from commands where status = 'applied'")" -ge 4 "applied commands in the audit trail"
check "$(q "select count(*) from commands where id = '$PAUSE_ID' and action = 'pause' and target = '$A' and reason = 'integration test' and accepted_ms is not null and final_ms is not null")" -eq 1 "pause audit row"
check "$(q "select count(*) from commands where status = 'rejected' and error like '%unknown agent%'")" -eq 1 "rejected audit row"
S=$(q "select session from commands where id = '$PAUSE_ID'")
$SWARMTOP export --db "$DB" "$S" >"$T/ctl-export.jsonl" || die "export of the ctl session"
$PY - "$T/ctl-export.jsonl" "$PAUSE_ID" <<'PY' || die "export lacks the x-command line"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cmds = [r for r in rows if r.get("type") == "x-command"]
assert any(c["id"] == sys.argv[2] and c["status"] == "applied" and c["action"] == "pause" for c in cmds), cmds
PY
kill -INT $REC; wait $REC
check $? -eq 0 "record exit code"

# Usage errors: exit 2, nothing sent.
$SWARMTOP ctl "$URL" explode --agent x >/dev/null 2>&1; check $? -eq 2 "unknown action"
$SWARMTOP ctl "$URL" inject --agent x >/dev/null 2>&1; check $? -eq 2 "inject without text"
$SWARMTOP ctl "$URL" pause --agent a --task b >/dev/null 2>&1; check $? -eq 2 "two targets"
$SWARMTOP ctl "$URL" >/dev/null 2>&1; check $? -eq 2 "missing action"
# Connection error: nothing listens -> exit 2.
P0=$(free_port)
timeout 60 $SWARMTOP ctl "ws://127.0.0.1:$P0/swarmtop" pause >/dev/null 2>"$T/noconn.err"
check $? -eq 2 "ctl with nothing listening"
grep -q 'cannot connect' "$T/noconn.err" || die "connection error message: $(cat "$T/noconn.err")"

# The hostile runtime lists only pause/resume and never acks.
PH=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$PH" --mode plain --log "$T/h.log" &
track $!
wait_port "$PH" 20 || die "hostile server did not start"
timeout 60 $SWARMTOP ctl --db "$DB" "ws://127.0.0.1:$PH/swarmtop" cancel --agent evil >"$T/cap.out" 2>"$T/cap.err"
check $? -eq 1 "ctl cancel on a runtime without that capability"
grep -q "does not support 'cancel'" "$T/cap.err" || die "capability message: $(cat "$T/cap.err")"
timeout 60 $SWARMTOP ctl --db "$DB" "ws://127.0.0.1:$PH/swarmtop" pause --agent evil >"$T/un.out" 2>"$T/un.err"
check $? -eq 1 "ctl with no ack"
grep -q ' unanswered$' "$T/un.out" || die "unanswered not printed: $(cat "$T/un.out" "$T/un.err")"
check "$(q "select count(*) from commands where status = 'unanswered'")" -eq 1 "unanswered audit row"
exit 0
