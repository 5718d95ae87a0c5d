#!/bin/sh
# Python SDK + real binary: a runtime with a token answers HTTP 401 without it; `ctl` and
# `record` work with --token or SWARMTOP_TOKEN, and the token is never stored in the database.
# Skips (77) while `swarmtop ctl/record` or python websockets are unavailable.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/sdk_lib.sh"
TOKEN=sdk-auth-$$-token
unset SWARMTOP_TOKEN

example_start example.log --speed 2 --token "$TOKEN"

# the runtime itself: 401 without the header
$PY - "$PORT" "$TOKEN" <<'PYEOF' || die "runtime did not answer 401 without a token"
import http.client, sys
port, token = int(sys.argv[1]), sys.argv[2]
def status(headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    h.update(headers)
    c.request("GET", "/swarmtop", headers=h)
    return c.getresponse().status
assert status({}) == 401
assert status({"Authorization": "Bearer nope"}) == 401
assert status({"Authorization": "Bearer " + token}) == 101
PYEOF

timeout 30 "$SWARMTOP" ctl "$URL" pause --agent worker-0 --db "$DB" >"$T/out" 2>&1
rc=$?
[ "$rc" -ne 0 ] || die "ctl without token succeeded"
grep -q 401 "$T/out" || die "ctl without token: no 401 in the message: $(cat "$T/out")"
timeout 30 "$SWARMTOP" ctl "$URL" pause --agent worker-0 --token wrong --db "$DB" >"$T/out" 2>&1
[ $? -ne 0 ] || die "ctl with a wrong token succeeded"
timeout 30 "$SWARMTOP" ctl "$URL" pause --agent worker-0 --token "$TOKEN" --db "$DB" \
	>"$T/out" 2>&1 || die "ctl with --token failed: $(cat "$T/out")"
SWARMTOP_TOKEN=$TOKEN timeout 30 "$SWARMTOP" ctl "$URL" resume --agent worker-0 --db "$DB" \
	>"$T/out" 2>&1 || die "ctl with SWARMTOP_TOKEN failed: $(cat "$T/out")"

"$SWARMTOP" record --token "$TOKEN" --db "$DB" "$URL" 2>"$T/record.err" &
REC=$!; track $REC
n=200
while [ $n -gt 0 ]; do
	c=$(sql "SELECT count(*) FROM events" 2>/dev/null)
	[ "${c:-0}" -ge 20 ] && break
	sleep 0.1; n=$((n - 1))
done
kill -INT $REC
wait $REC || die "record with --token failed: $(cat "$T/record.err")"
check "${c:-0}" -ge 20 "events recorded with the token"
if grep -a -q "$TOKEN" "$DB"*; then die "the token was written to the database"; fi
echo "ok: 401 without the token, ctl/record with it, token not persisted"
