# Steering the demo runtime: pause really stops an agent (acks accepted then
# applied, no events for it while paused), resume, pause/resume all, inject
# shows up as an operator message and in the agent's next assistant message,
# cancel and retry (of canceled and failed tasks, attempt + 1).
. "$(dirname "$0")/../lib.sh"

out=$T/demo.out
$SWARMTOP demo --port 0 --speed 10 --seed 11 --quiet >"$out" 2>"$T/demo.err" &
DPID=$!
track $DPID
n=0
while ! grep -q '^demo: listening on ' "$out" 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
	[ $n -lt 300 ] || die "demo did not start: $(tail -3 "$T/demo.err")"
done
URL=$(sed -n 's/^demo: listening on \(ws:[^ ]*\).*/\1/p' "$out" | head -1)
client() { $PY "$ROOT/tests/demo_client.py" "$@"; }

client pause "$URL" --agent researcher-1 || die "pause/resume researcher-1"
client pause "$URL" --agent coder-1 || die "pause/resume coder-1"
client inject "$URL" --agent coder-1 || die "inject"
client cancel "$URL" --wait 60 || die "cancel"
client retry "$URL" --wait 90 || die "retry of a failed task"
client lifecycle "$URL" --agent coder-2 --wait 60 || die "agent cancel, inject while paused, cancel all"
kill -0 $DPID || die "the demo died"
exit 0
