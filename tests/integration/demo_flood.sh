# Flood mode (--rate 0): synthetic events as fast as one client takes them,
# seqs stay contiguous, backpressure keeps memory bounded. Prints the rate seen
# by a Python client (informational; no timing assertion).
. "$(dirname "$0")/../lib.sh"

demo_start --rate 0
$PY "$ROOT/tests/demo_client.py" flood "$URL" --seconds 3 || die "flood"
$PY "$ROOT/tests/demo_client.py" hello "$URL" || die "hello during flood"
rss=$(awk '/VmRSS/ {print $2}' /proc/$DEMO_PID/status)
echo "demo flood RSS: ${rss} kB"
check "$rss" -lt 1000000 "RSS of the flooding demo in kB"
kill -TERM $DEMO_PID
wait $DEMO_PID; rc=$?
check $rc -eq 0 "exit status after SIGTERM"
exit 0
