#!/bin/sh
# Python SDK + real binary: `swarmtop ctl` pause / resume / inject / retry / cancel against the
# research_team example, with the exit codes of the contract (0 applied, 1 rejected) and the
# visible effects checked in a concurrent `swarmtop record` session.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/sdk_lib.sh"

# Run one ctl command; expect exit status $1; keep its output in $T/ctl.out.
ctl() {
	want=$1; shift
	timeout 30 "$SWARMTOP" ctl "$URL" "$@" --db "$T/ctl.db" >"$T/ctl.out" 2>&1
	rc=$?
	[ "$rc" -eq "$want" ] || die "ctl $* exited $rc, want $want: $(cat "$T/ctl.out")"
}
# Newest stored event id matching a condition on the raw JSON (0 when none).
last_id() { sql "SELECT coalesce(max(id),0) FROM event_log WHERE $1"; }

example_start example.log --speed 2 --seed 5 --workers 3
"$SWARMTOP" record --db "$DB" "$URL" 2>"$T/record.err" &
REC=$!; track $REC
poll_sql "SELECT count(*) FROM event_log WHERE type='task'" 20 || die "nothing recorded"

# pause an agent: applied once its worker reached a checkpoint; its status shows paused
ctl 0 pause --agent worker-0 --reason "integration test"
grep -q applied "$T/ctl.out" || die "pause: no applied ack printed"
poll_sql "SELECT count(*) FROM event_log WHERE type='agent'
	AND json_extract(raw,'\$.agent.id')='worker-0'
	AND json_extract(raw,'\$.agent.status')='paused'" || die "worker-0 never shown paused"
P=$(last_id "type='agent' AND json_extract(raw,'\$.agent.status')='paused'")

ctl 0 resume --agent worker-0
poll_sql "SELECT count(*) FROM event_log WHERE id > $P AND type='agent'
	AND json_extract(raw,'\$.agent.id')='worker-0'
	AND json_extract(raw,'\$.agent.status') IN ('working','idle')" ||
	die "worker-0 not back to work after resume"
ctl 1 resume --agent worker-0   # nothing paused any more: rejected
grep -q "not paused" "$T/ctl.out" || die "resume twice: no clear error"

# inject: queued to the planner's inbox, applied when the planner read it
ctl 0 inject --agent planner --text "Use the EU price list."
poll_sql "SELECT count(*) FROM event_log WHERE type='message'
	AND json_extract(raw,'\$.role')='operator'
	AND json_extract(raw,'\$.text')='Use the EU price list.'" || die "operator message not stored"
poll_sql "SELECT count(*) FROM event_log WHERE type='message'
	AND json_extract(raw,'\$.text') LIKE 'Noted operator guidance: Use the EU%'" ||
	die "planner did not react to the injected guidance"

# retry: r1-search-0 fails on its first attempt (scripted outage); retry runs attempt 2
poll_sql "SELECT count(*) FROM event_log WHERE type='task'
	AND json_extract(raw,'\$.task.id')='r1-search-0'
	AND json_extract(raw,'\$.task.status')='failed'" 40 || die "r1-search-0 never failed"
ctl 0 retry --task r1-search-0
poll_sql "SELECT count(*) FROM event_log WHERE type='task'
	AND json_extract(raw,'\$.task.id')='r1-search-0'
	AND json_extract(raw,'\$.task.attempt')=2" || die "no attempt 2 for r1-search-0"
poll_sql "SELECT count(*) FROM event_log WHERE type='task'
	AND json_extract(raw,'\$.task.id')='r1-plan'
	AND json_extract(raw,'\$.task.status')='completed'" || die "r1-plan never completed"
ctl 1 retry --task r1-plan     # completed tasks cannot be retried
grep -q "only failed or canceled" "$T/ctl.out" || die "retry of completed task: no clear error"
ctl 1 pause --agent no-such-agent
grep -q "unknown agent" "$T/ctl.out" || die "unknown agent: no clear error"

# cancel an agent: its current task stops at a checkpoint and the agent becomes canceled
ctl 0 cancel --agent worker-1
poll_sql "SELECT count(*) FROM event_log WHERE type='agent'
	AND json_extract(raw,'\$.agent.id')='worker-1'
	AND json_extract(raw,'\$.agent.status')='canceled'" || die "worker-1 not canceled"
ctl 1 cancel --agent worker-1

# the whole runtime: pause then resume
ctl 0 pause
ctl 0 resume
# 18 acks: 7 commands accepted+applied, 4 rejected
poll_sql "SELECT count(*) >= 18 FROM event_log WHERE type='ack'" || die "acks missing"
ACKS=$(sql "SELECT count(*) FROM event_log WHERE type='ack'")
kill -INT $REC
wait $REC || die "record failed"
echo "ok: ctl round trips against the Python SDK ($ACKS acks recorded)"
