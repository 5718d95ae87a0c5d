# The demo with --token: handshakes without the bearer token (or with a wrong
# one) get HTTP 401; with it, hello and events flow.
. "$(dirname "$0")/../lib.sh"

out=$T/demo.out
$SWARMTOP demo --port 0 --speed 10 --token s3cret-tok --quiet >"$out" 2>"$T/demo.err" &
DPID=$!
track $DPID
n=0
while ! grep -q '^demo: listening on ' "$out" 2>/dev/null; do
	sleep 0.1; n=$((n + 1))
	[ $n -lt 300 ] || die "demo did not start: $(tail -3 "$T/demo.err")"
done
URL=$(sed -n 's/^demo: listening on \(ws:[^ ]*\).*/\1/p' "$out" | head -1)
$PY "$ROOT/tests/demo_client.py" auth "$URL" --token s3cret-tok || die "auth"
grep -q s3cret-tok "$out" "$T/demo.err" && die "the token was printed"
kill -0 $DPID || die "the demo died"
exit 0
