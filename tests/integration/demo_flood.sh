# Flood mode (--rate 0): synthetic events as fast as one client takes them,
# seqs stay contiguous, backpressure keeps memory bounded. Prints the rate seen
# by a Python client (informational; no timing assertion).
. "$(dirname "$0")/../lib.sh"

out=$T/demo.out
$SWARMTOP demo --port 0 --rate 0 --quiet >"$out" 2>"$T/demo.err" &
DPID=$!
track $DPID
n=0
while ! grep -q '^demo: listening on ' "$out" 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
	[ $n -lt 300 ] || die "demo did not start: $(tail -3 "$T/demo.err")"
done
URL=$(sed -n 's/^demo: listening on \(ws:[^ ]*\).*/\1/p' "$out" | head -1)
$PY "$ROOT/tests/demo_client.py" flood "$URL" --seconds 3 || die "flood"
$PY "$ROOT/tests/demo_client.py" hello "$URL" || die "hello during flood"
rss=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
echo "demo flood RSS: ${rss} kB"
check "$rss" -lt 1000000 "RSS of the flooding demo in kB"
kill -TERM $DPID
wait $DPID; rc=$?
check $rc -eq 0 "exit status after SIGTERM"
exit 0
