# The demo runtime speaks protocol v1: hello fields, contiguous seqs from 1 for
# every client, resume at since+1, snapshot when history is gone, drop-after
# with lossless resume, and hostile client input never hurts it.
. "$(dirname "$0")/../lib.sh"

# Start a demo with the protocol tests' speed and seed and extra args; sets URL and DEMO_PID.
start_demo() { demo_start --speed 10 --seed 5 "$@"; }
client() { $PY "$ROOT/tests/demo_client.py" "$@"; }

start_demo --instance proto-a
client hello "$URL" --expect-instance proto-a || die "hello"
client stream "$URL" --count 300 || die "since=0: contiguous from 1, same for two clients"
client resume "$URL" || die "since=N resumes at N+1"
client reject "$URL" || die "rejections"
client hostile "$URL" || die "hostile client input"
kill -0 $DEMO_PID || die "the demo died"
client hello "$URL" --expect-instance proto-a || die "hello after hostile input"

# A retention of 50: since=0 after many events gets a snapshot, then live events.
start_demo --retain 50
n=0
while :; do
	last=$($PY - "$URL" <<'PYEOF'
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        print(json.loads(await ws.recv())["last_seq"])
asyncio.run(main())
PYEOF
)
	[ "${last:-0}" -gt 200 ] && break
	sleep 0.5; n=$((n + 1))
	[ $n -lt 120 ] || die "the demo did not get past 200 events"
done
client snapshot "$URL" --retain 50 || die "snapshot beyond retention"

# Drop after 25 events per connection: resuming three times loses nothing.
start_demo --drop-after 25
client drop "$URL" --count 25 || die "drop-after resume"

# Usage errors exit 2 with a one-line message.
$SWARMTOP demo --port nope >/dev/null 2>"$T/usage.err"; rc=$?
check $rc -eq 2 "exit status of a bad --port"
grep -q -- "--port" "$T/usage.err" || die "usage error does not name the option"
$SWARMTOP demo --frobnicate >/dev/null 2>&1; rc=$?
check $rc -eq 2 "exit status of an unknown option"

# SIGTERM stops it cleanly (exit 0).
kill -TERM $DEMO_PID
wait $DEMO_PID; rc=$?
check $rc -eq 0 "exit status after SIGTERM"
exit 0
