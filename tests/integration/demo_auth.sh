# The demo with --token: handshakes without the bearer token (or with a wrong
# one) get HTTP 401; with it, hello and events flow.
. "$(dirname "$0")/../lib.sh"

demo_start --speed 10 --token s3cret-tok
$PY "$ROOT/tests/demo_client.py" auth "$URL" --token s3cret-tok || die "auth"
grep -q s3cret-tok "$DEMO_OUT" "$T/demo.err" && die "the token was printed"
kill -0 $DEMO_PID || die "the demo died"
exit 0
