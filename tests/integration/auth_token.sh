# Token auth: without the token record/ctl/tail fail fast with a message naming 401 /
# unauthorized after exactly one attempt (no reconnect storm); with --token or
# SWARMTOP_TOKEN everything works. The token never appears in output or the store.
. "$ROOT/tests/lib.sh"

TOKEN=s3cr3t-$$-token
P=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P" --log "$T/server.log" --token "$TOKEN" --mode plain &
track $!
wait_port "$P" 20 || die "server did not start"
URL=ws://127.0.0.1:$P/swarmtop
DB=$T/a.db
unset SWARMTOP_TOKEN

# record without a token: exit 1, says why, one attempt only.
timeout 60 $SWARMTOP record --db "$DB" "$URL" >"$T/rec.out" 2>"$T/rec.err"
rc=$?
check $rc -eq 1 "record without token exit code"
grep -qi '401\|unauthorized' "$T/rec.err" || die "record message lacks 401/unauthorized: $(cat "$T/rec.err")"
check "$(grep -c '^connect-unauthorized' "$T/server.log")" -eq 1 "handshakes by record without token"

# ctl without a token: a connection error, exit 2, one attempt.
timeout 60 $SWARMTOP ctl --db "$DB" "$URL" pause --agent evil >"$T/ctl.out" 2>"$T/ctl.err"
check $? -eq 2 "ctl without token exit code"
grep -qi '401\|unauthorized' "$T/ctl.err" || die "ctl message lacks 401/unauthorized: $(cat "$T/ctl.err")"
check "$(grep -c '^connect-unauthorized' "$T/server.log")" -eq 2 "handshakes after ctl without token"

# A wrong token is refused the same way.
timeout 60 $SWARMTOP tail --token wrong "$URL" >"$T/tail.out" 2>"$T/tail.err"
check $? -eq 1 "tail with a wrong token exit code"
grep -qi '401\|unauthorized' "$T/tail.err" || die "tail message lacks 401/unauthorized"

# With the token (environment): record stores the whole stream.
SWARMTOP_TOKEN=$TOKEN $SWARMTOP record --db "$DB" "$URL" 2>"$T/rec2.err" &
REC=$!
track $REC
n=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log where seq is not null" 2>/dev/null)" = 40 ]; do
	n=$((n + 1)); [ $n -lt 600 ] || die "record with token did not store 40 events: $(tail -3 "$T/rec2.err")"
	kill -0 $REC 2>/dev/null || die "record with token exited: $(tail -3 "$T/rec2.err")"
	sleep 0.1
done
kill -INT $REC; wait $REC
check $? -eq 0 "record with token exit code"
# With --token on the command line: tail gets the hello.
timeout 60 $SWARMTOP tail --token "$TOKEN" "$URL" >"$T/tail2.out" 2>"$T/tail2.err" &
TP=$!
track $TP
n=0
until grep -q 'hello' "$T/tail2.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || die "tail with --token printed no hello: $(cat "$T/tail2.err")"
	sleep 0.1
done
kill -INT $TP; wait $TP

# The token is nowhere: not in any output, not in the database.
for f in "$T"/*.out "$T"/*.err; do
	if grep -q "$TOKEN" "$f"; then die "token leaked into $(basename "$f")"; fi
done
if sqlite3 "$DB" .dump | grep -q "$TOKEN"; then die "token stored in the database"; fi

# A runtime that accepts the handshake and then closes with 1008 (policy): auth failed,
# no reconnect.
P2=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P2" --log "$T/s1008.log" --close-1008 &
track $!
wait_port "$P2" 20 || die "1008 server did not start"
timeout 60 $SWARMTOP record --db "$DB" "ws://127.0.0.1:$P2/swarmtop" >/dev/null 2>"$T/r1008.err"
check $? -eq 1 "record against a 1008 close"
grep -q '1008' "$T/r1008.err" || die "1008 not reported: $(cat "$T/r1008.err")"
grep -qi 'unauthorized' "$T/r1008.err" || die "1008 reason not reported"
check "$(grep -c '^connect$' "$T/s1008.log")" -eq 1 "connections after a 1008 close"
exit 0
