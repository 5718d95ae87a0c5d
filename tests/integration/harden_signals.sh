# Signals against the dashboard in a pty (tmux pane on a demo runtime, recording):
# SIGINT, SIGTERM and SIGHUP stop it cleanly (exit 0, session closed, batch flushed);
# SIGSEGV (injected: SWARMTOP_TEST_CRASH=segv, then Ctrl-]) kills it after the crash
# handler ran. Every time the pane's terminal must be back: stty shows echo and icanon,
# the cursor is visible, the alternate screen is left; the database passes integrity_check
# and holds at least every row that was visible (committed) before the signal.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
demo_start --rate 200

# pane_flag NAME: a tmux format flag of the pane (cursor_flag, alternate_on).
pane_flag() { tm display -p -t ui "#{$1}"; }

for sig in INT TERM HUP SEGV; do
	DB=$T/$sig.db
	ui_start 140 40 SWARMTOP_TEST_CRASH=segv -- --db "$DB" "$URL"
	wait_for 'STATE +AGENT' 30
	n=0; c1=0
	until [ "$c1" -gt 50 ]; do
		c1=$(sqlite3 "$DB" 'select count(*) from events' 2>/dev/null || echo 0)
		n=$((n + 1)); [ $n -lt 300 ] || ui_die "$sig: nothing committed"
		sleep 0.1
	done
	[ "$(pane_flag alternate_on)" = 1 ] || ui_die "$sig: not on the alternate screen while running"
	pid=$(pgrep -f "swarmtop --db $DB" | head -n 1)
	[ -n "$pid" ] || ui_die "$sig: no pid"
	if [ $sig = SEGV ]; then keys C-]; else kill -$sig "$pid"; fi
	wait_for 'swarmtop exited [0-9]+' 30
	code=$(screen | sed -n 's/.*swarmtop exited \([0-9]*\).*/\1/p' | head -n 1)
	s=$(screen)
	echo "$s" | grep -Eq '(^| )icanon( |$)' || ui_die "$sig: icanon not restored"
	echo "$s" | grep -Eq '(^| )echo( |$)' || ui_die "$sig: echo not restored"
	[ "$(pane_flag cursor_flag)" = 1 ] || ui_die "$sig: cursor left hidden"
	[ "$(pane_flag alternate_on)" = 0 ] || ui_die "$sig: still on the alternate screen"
	check "$(sqlite3 "$DB" 'pragma integrity_check')" = ok "$sig: integrity_check"
	c2=$(sqlite3 "$DB" 'select count(*) from events')
	check "$c2" -ge "$c1" "$sig: rows after the signal (before: $c1)"
	ended=$(sqlite3 "$DB" 'select count(*) from sessions where ended_ms is not null')
	if [ $sig = SEGV ]; then
		check "$code" -eq 139 "$sig: exit status (128 + SIGSEGV)"
	else
		check "$code" -eq 0 "$sig: exit status"
		check "$ended" -eq 1 "$sig: session closed (clean stop)"
	fi
	grep -q 'runtime error\|AddressSanitizer: [a-z-]*[^S]' "$UI_ERR" &&
		[ $sig != SEGV ] && ui_die "$sig: sanitizer report"
	echo "$sig: exit $code, terminal restored, $c1 -> $c2 rows, sessions ended $ended"
	tm kill-server
done
exit 0
