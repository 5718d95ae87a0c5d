# record and tail against a hostile runtime (tests/hostile_server.py): invalid JSON,
# non-objects, wrong types, 100 000-deep nesting, a binary message, a 2 MiB message,
# escape sequences in names, a dependency cycle, duplicate/backwards seqs and a
# fragmented message, interleaved with 40 valid events. swarmtop keeps running, stores
# every valid event exactly once, counts the rejects, and prints nothing raw.
. "$ROOT/tests/lib.sh"

P=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P" --log "$T/server.log" &
track $!
wait_port "$P" 20 || die "hostile server did not start"

DB=$T/rec.db
$SWARMTOP record --db "$DB" "ws://127.0.0.1:$P/swarmtop" 2>"$T/record.err" &
REC=$!
track $REC
# The server writes "done" once the whole script went out (after two forced reconnects).
n=0
until grep -q '^done' "$T/server.log" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 600 ] || die "the hostile script never completed: $(cat "$T/server.log")"
	kill -0 $REC 2>/dev/null || die "record died: $(tail -5 "$T/record.err")"
	sleep 0.1
done
# Every valid event stored: wait (bounded) until the commit timer made them visible.
n=0
while :; do
	got=$(sqlite3 "$DB" "select count(*) from event_log where seq is not null" 2>/dev/null || echo 0)
	[ "$got" = 40 ] && break
	n=$((n + 1)); [ $n -lt 300 ] || die "stored $got valid events, want 40"
	sleep 0.1
done
kill -INT $REC
wait $REC; rc=$?
check $rc -eq 0 "record exit code after SIGINT"

# Exactly once, contiguous, nothing invalid stored.
check "$(sqlite3 "$DB" "select count(distinct seq) from event_log where seq is not null")" -eq 40 "distinct seqs"
check "$(sqlite3 "$DB" "select min(seq) || '-' || max(seq) from event_log where seq is not null" | tr -d '-')" -eq 140 "seq range 1-40"
check "$(sqlite3 "$DB" "select count(*) from event_log where raw like '%backwards%'")" -eq 0 "backwards duplicate stored"
check "$(sqlite3 "$DB" "select count(*) from event_log where seq in (998, 999)")" -eq 0 "oversize/deep message stored"
check "$(sqlite3 "$DB" "select count(*) from gaps")" -eq 0 "gaps recorded for a complete stream"
# The escape-laden agent is stored raw (replay must be faithful).
check "$(sqlite3 "$DB" "select count(*) from event_log where seq = 7 and type = 'agent'")" -eq 1 "hostile-name agent stored"
# Three connections: the binary message (1003) and the 2 MiB one (1009) each closed one.
check "$(grep -c '^connect' "$T/server.log")" -eq 3 "connections (1003 and 1009 closes, then resume)"
grep -q '^since 0' "$T/server.log" || die "first subscribe not since 0"
grep -q '^since 19$' "$T/server.log" || die "resume after the binary close not since 19: $(cat "$T/server.log")"
grep -q '^since 29$' "$T/server.log" || die "resume after the 1009 close not since 29"
# The summary counts what was refused.
summary=$(grep 'record: session' "$T/record.err")
echo "$summary" | grep -q ' 40 events stored' || true
echo "$summary" | grep -q '6 rejected, 1 oversize, 1 binary' || die "summary: $summary"
if grep -q "$(printf '\033')" "$T/record.err"; then die "record printed an ESC byte"; fi

# Run `swarmtop tail ARGS` against a fresh hostile server announcing last_seq 0 (so the live-only
# tail sees the whole script) until it printed the last line, then stop it with SIGINT (exit 0);
# the output is in $T/NAME.out and $T/NAME.err. Usage: tail_script NAME [ARGS...]
tail_script() {
	name=$1; shift
	port=$(free_port)
	$PY "$ROOT/tests/hostile_server.py" --port "$port" --log "$T/server-$name.log" \
		--hello-last-seq 0 &
	track $!
	wait_port "$port" 20 || die "hostile server for tail $* did not start"
	$SWARMTOP tail "$@" "ws://127.0.0.1:$port/swarmtop" >"$T/$name.out" 2>"$T/$name.err" &
	tp=$!
	track $tp
	n=0
	until grep -q '^done' "$T/server-$name.log" 2>/dev/null &&
		grep -q 'valid log 39' "$T/$name.out"; do
		n=$((n + 1)); [ $n -lt 600 ] || die "tail $* did not print the whole script"
		sleep 0.1
	done
	kill -INT $tp
	wait $tp; check $? -eq 0 "tail $* exit code after SIGINT"
}

# tail: no raw control bytes in what it prints, and the rejects reported.
tail_script tail
grep -q 'evil' "$T/tail.out" || die "tail did not print the hostile agent"
for f in "$T/tail.out" "$T/tail.err"; do
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$f"; then
		die "raw control bytes in $(basename "$f"): $(LC_ALL=C grep -n "$(printf '[\001-\010\013-\037\177]')" "$f" | od -c | head)"
	fi
	if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$f"; then die "C1 control in $(basename "$f")"; fi
done
check "$(grep -c 'rejected a message' "$T/tail.err")" -ge 6 "rejects reported by tail"

# tail --json: messages as received, but no raw control bytes either.
tail_script json --json
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T/json.out"; then die "raw control bytes in tail --json"; fi
# Each line is one JSON object; the escape-laden one keeps its meaning (\u001b escapes).
$PY - "$T/json.out" <<'PY' || die "tail --json lines are not the messages"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]
seqs = sorted(o["seq"] for o in objs if "seq" in o)
assert seqs == list(range(1, 41)), seqs
evil = [o for o in objs if o.get("seq") == 7][0]
assert evil["agent"]["name"].startswith("\x1b[2J"), evil
PY
exit 0
