# Steering the demo runtime: pause really stops an agent (acks accepted then
# applied, no events for it while paused), resume, pause/resume all, inject
# shows up as an operator message and in the agent's next assistant message,
# cancel and retry (of canceled and failed tasks, attempt + 1).
. "$(dirname "$0")/../lib.sh"

demo_start --speed 10 --seed 11
client() { $PY "$ROOT/tests/demo_client.py" "$@"; }

client pause "$URL" --agent researcher-1 || die "pause/resume researcher-1"
client pause "$URL" --agent coder-1 || die "pause/resume coder-1"
client inject "$URL" --agent coder-1 || die "inject"
client cancel "$URL" --wait 60 || die "cancel"
client retry "$URL" --wait 90 || die "retry of a failed task"
client lifecycle "$URL" --agent coder-2 --wait 60 || die "agent cancel, inject while paused, cancel all"
kill -0 $DEMO_PID || die "the demo died"
exit 0
