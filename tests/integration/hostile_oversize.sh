# Oversized messages, again and again: each is refused (close 1009, counted), the
# connection resumes, and memory stays flat (RSS after 30 refusals ~ RSS after 5).
. "$ROOT/tests/lib.sh"

P=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P" --mode bigflood --log "$T/server.log" &
track $!
wait_port "$P" 20 || die "server did not start"
# No quarantine: freed blocks are reused, so RSS reflects what is really held.
ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0 \
	$SWARMTOP record --db "$T/o.db" "ws://127.0.0.1:$P/swarmtop" 2>"$T/rec.err" &
REC=$!
track $REC
rounds() { r=$(grep -c '^big' "$T/server.log" 2>/dev/null); echo "${r:-0}"; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$REC/status"; }
wait_rounds() {
	n=0
	until [ "$(rounds)" -ge "$1" ]; do
		n=$((n + 1)); [ $n -lt 1200 ] || die "only $(rounds) oversize rounds"
		kill -0 $REC 2>/dev/null || die "record died: $(tail -3 "$T/rec.err")"
		sleep 0.1
	done
}
wait_rounds 5
R5=$(rss)
wait_rounds 30
R30=$(rss)
# The server logs a round when it starts sending it: the 31st starting means the client
# refused the 30th and reconnected.
wait_rounds 31
kill -INT $REC; wait $REC
check $? -eq 0 "record exit code"
echo "RSS after 5 refusals: $R5 kB, after 30: $R30 kB"
check "$R30" -lt $((R5 + 8192)) "RSS growth over 25 more 2 MiB messages (kB)"
n=$(sed -n 's/.* \([0-9]*\) oversize.*/\1/p' "$T/record.err" "$T/rec.err" 2>/dev/null | tail -1)
check "${n:-0}" -ge 30 "oversize messages counted"
check "$(sqlite3 "$T/o.db" "select count(*) from event_log where seq = 2")" -eq 0 "an oversize message stored"
check "$(sqlite3 "$T/o.db" "select count(*) from event_log where seq = 1")" -eq 1 "the valid event stored once"
exit 0
