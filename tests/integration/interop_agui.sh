# AG-UI 1.0 over WebSocket: real fixture streams (generated with @ag-ui/core and
# @ag-ui/encoder, tests/agui/gen_fixtures.mjs) played by a test server into `swarmtop
# record`: every message stored once, raw, type "agui", seqs 1..N per connection, one
# runtime per URL (host:port/path); export round-trips them. `swarmtop tail` shows the
# mapped model: runs, steps, tool calls, assembled messages, usage per model, and the
# final statuses (completed, failed through RUN_ERROR, a failed sub-agent inside a
# completed run, an interrupt). Malformed messages are rejected, not stored.
. "$ROOT/tests/lib.sh"

FX=$ROOT/tests/fixtures/agui
P=$(free_port)
$PY "$ROOT/tests/agui/agui_server.py" "$P" "$FX" 2>"$T/srv.err" &
track $!
wait_port "$P" 20 || die "AG-UI test server did not start: $(cat "$T/srv.err")"
DB=$T/a.db
NAMES="completed run_error subagent_error interrupt malformed"
URLS=""
for n in $NAMES; do URLS="$URLS ws://127.0.0.1:$P/$n"; done
want=0
for n in $NAMES; do want=$((want + $(grep -c '^{' "$FX/$n.jsonl"))); done
want=$((want - 2)) # malformed.jsonl: two messages are JSON objects but invalid

# shellcheck disable=SC2086
$SWARMTOP record --db "$DB" $URLS 2>"$T/rec.err" &
REC=$!
track $REC
i=0
until [ "$(sqlite3 "$DB" "select count(*) from event_log" 2>/dev/null || echo 0)" -ge "$want" ]; do
	i=$((i + 1)); [ $i -lt 400 ] || die "record stored too little: $(tail -3 "$T/rec.err")"
	kill -0 $REC 2>/dev/null || die "record exited early: $(tail -3 "$T/rec.err")"
	sleep 0.1
done
kill -TERM $REC
wait $REC
check $? -eq 0 "record exit code"
grep -q 'record: session 1: [0-9]* events stored, 0 gaps, 3 rejected' "$T/rec.err" ||
	die "record summary: $(tail -2 "$T/rec.err")"

check "$(sqlite3 "$DB" "select count(*) from event_log")" -eq "$want" "rows stored"
check "$(sqlite3 "$DB" "select count(*) from event_log where type <> 'agui'")" -eq 0 \
	"every row has type agui"
check "$(sqlite3 "$DB" "select count(*) from runtimes where instance like 'agui-%'")" -eq 5 \
	"one runtime per URL"
for n in completed run_error subagent_error interrupt; do
	rid="127.0.0.1:$P/$n"
	check "$(sqlite3 "$DB" "select count(*) from runtimes where runtime_id = '$rid'
	                        and url = 'ws://127.0.0.1:$P/$n'")" -eq 1 "runtime row of $n"
	# stored exactly as received, numbered 1..N
	sqlite3 "$DB" "select raw from event_log where runtime_id = '$rid' order by seq" >"$T/$n.raw"
	cmp -s "$T/$n.raw" "$FX/$n.jsonl" || die "$n: stored rows differ from the stream"
	sqlite3 "$DB" "select min(seq), max(seq), count(*) from event_log where runtime_id = '$rid'" \
		>"$T/$n.seq"
	lines=$(wc -l <"$FX/$n.jsonl")
	[ "$(cat "$T/$n.seq")" = "1|$lines|$lines" ] || die "$n: seqs $(cat "$T/$n.seq")"
done
$SWARMTOP export --db "$DB" 1 >"$T/export.jsonl" 2>"$T/export.err" || die "export failed"
sqlite3 "$DB" "select raw from event_log where session = 1 order by id" >"$T/all.raw"
cmp -s "$T/export.jsonl" "$T/all.raw" || die "export differs from the stored rows"

# The mapped model, as tail prints it.
tail_of() {
	timeout 20 $SWARMTOP tail "$@" >"$T/tail.out" 2>"$T/tail.err" &
	tp=$!
	i=0
	until grep -q "$LAST" "$T/tail.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 150 ] || die "tail $*: no '$LAST': $(tail -3 "$T/tail.err")"
		sleep 0.1
	done
	kill -TERM $tp 2>/dev/null
	wait $tp 2>/dev/null
}
has() { grep -q -- "$1" "$T/tail.out" || die "tail: no '$1' in: $(cat "$T/tail.out")"; }
count() { grep -c -- "$1" "$T/tail.out"; }

LAST="agent    thread-1 completed"
tail_of "ws://127.0.0.1:$P/completed"
has "hello    id=127.0.0.1:$P/completed instance=agui-"
has "task     run-1 working agent=thread-1 name=run run-1"
has "task     run-1/step:plan#1 working agent=thread-1 name=plan"
has "task     run-1/step:act#2 completed"
has "task     call-1 working agent=thread-1 name=web_search"
has "task     call-1 completed"
has "task     call-2 working agent=thread-1 name=fetch_page"
check "$(count 'assistant: I will search for vendor pricing.$')" -eq 1 "assembled message once"
check "$(count 'assistant: Initech is cheapest at \$9.$')" -eq 1 "chunked message once"
has "assistant: \[reasoning\] Initech is cheapest."
check "$(count 'user: Find the cheapest vendor.$')" -eq 1 "snapshot-only message"
check "$(count 'message ')" -eq 4 "messages (no double counting)"
has "usage    agent=thread-1 model=gpt-4o in=1200 out=300 cache_read=1000 reasoning=0"
has "usage    agent=thread-1 model=claude-sonnet-4 in=800 out=500 cache_read=0 reasoning=200"
has "custom progress: {\"percent\":100}"
has "task     run-1 completed"
grep -q 'connected: AG-UI: read-only, no resume' "$T/tail.err" || die "tail: AG-UI notice"

# tail --json prints an AG-UI message once, as received, however many events it maps to
# (messages that map to none, like text chunks, are not printed: tail shows the mapped stream).
LAST='"type":"RUN_FINISHED"'
tail_of --json "ws://127.0.0.1:$P/completed"
check "$(sort "$T/tail.out" | uniq -d | wc -l)" -eq 0 "tail --json lines printed twice"
check "$(count '"type":"TOOL_CALL_START"')" -eq \
	"$(grep -c '"type":"TOOL_CALL_START"' "$FX/completed.jsonl")" "tail --json tool calls"

LAST="agent    thread-2 failed"
tail_of "ws://127.0.0.1:$P/run_error"
has "task     call-9 failed"
has "task     run-2 failed"
has "usage    agent=thread-2 model=gpt-4o-mini in=50"

LAST="agent    thread-3 completed"
tail_of "ws://127.0.0.1:$P/subagent_error"
has "agent    sub-1 working name=researcher"
has "agent    sub-1 failed"
has "task     sub-1 failed"
has "task     run-3 completed"
has "message  sub-1 assistant: Looking up."

LAST="agent    thread-4 input-required"
tail_of --protocol agui "ws://127.0.0.1:$P/interrupt"
has "task     run-4 input-required"
has "task     call-w input-required"
has "run run-4 interrupted: approval: Approve a transfer of 5000?"

$SWARMTOP tail --protocol bogus "ws://127.0.0.1:$P/interrupt" >/dev/null 2>"$T/bogus.err"
check $? -eq 2 "--protocol with an unknown name"
grep -q 'expected v1 or agui' "$T/bogus.err" || die "--protocol error: $(cat "$T/bogus.err")"
exit 0
