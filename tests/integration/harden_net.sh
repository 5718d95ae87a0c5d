# Network faults, all at once against one `record` and one dashboard (tmux):
#   killed   a demo runtime killed with SIGKILL: detected at once, reconnect attempts back off
#            (the announced delays grow), and it connects again when restarted on its port;
#   stopped  a demo runtime stopped with SIGSTOP (half-open: the socket stays up, nothing
#            answers): detected by the ping timeout (docs/reliability.md: 30 s after the last
#            valid traffic, pings after 10 s idle), reconnects after SIGCONT;
#   silent   a server that accepts TCP and never answers the upgrade;
#   loris    a server that answers the upgrade one byte per second.
# For silent and loris the handshake must time out and be retried: the servers count
# connection attempts. Throughout, the dashboard must still switch views on key presses.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"

START=$(date +%s)
# demo_on PORT LOG: a demo runtime on a fixed port; prints its pid.
demo_on() {
	$SWARMTOP demo --port "$1" --rate 50 --quiet >>"$2" 2>&1 &
	echo $!
}
PK=$(free_port); PS=$(free_port); PL=$(free_port); PH=$(free_port); PL2=$(free_port)
PH2=$(free_port)
DK=$(demo_on "$PK" "$T/dk.log"); track $DK
DS=$(demo_on "$PS" "$T/ds.log"); track $DS
$PY "$ROOT/tests/harden_servers.py" silent --port "$PH" --log "$T/silent.log" &
track $!
$PY "$ROOT/tests/harden_servers.py" loris --port "$PL" --log "$T/loris.log" &
track $!
# The dashboard gets its own silent and loris servers, so each count is one client's.
$PY "$ROOT/tests/harden_servers.py" silent --port "$PH2" --log "$T/silent-ui.log" &
track $!
$PY "$ROOT/tests/harden_servers.py" loris --port "$PL2" --log "$T/loris-ui.log" &
track $!
for p in $PK $PS $PH $PL $PH2 $PL2; do wait_port "$p" 20 || die "port $p"; done
u() { echo "ws://127.0.0.1:$1/swarmtop"; }
URLS="$(u $PK) $(u $PS) $(u $PH) $(u $PL)"

$SWARMTOP record --db "$T/r.db" $URLS 2>"$T/rec.err" &
RP=$!
track $RP
ui_start 160 40 -- --db "$T/ui.db" $(u $PK) $(u $PS) $(u $PH2) $(u $PL2)
wait_for 'STATE +AGENT' 30
echo "started after $(( $(date +%s) - START )) s"

# lines PORT REGEX: record's lines about that runtime matching REGEX.
lines() { grep "127.0.0.1:$1/swarmtop: $2" "$T/rec.err"; }
# until_line PORT REGEX SECONDS WHAT: wait for such a line, pressing view keys meanwhile.
until_line() {
	end=$(( $(date +%s) + $3 ))
	v=1
	until lines "$1" "$2" >/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		kill -0 $RP 2>/dev/null || die "record exited: $(tail -n 5 "$T/rec.err")"
		sleep 0.5
	done
}
until_line $PK 'connected' 30 || die "killed: never connected"
until_line $PS 'connected' 30 || die "stopped: never connected"

# UI responsiveness probe: switch to view $1 and wait for its marker.
ui_probe() {
	case $1 in
	1) keys 1; wait_for 'STATE +AGENT' 10 ;;
	3) keys 3; wait_gone 'STATE +AGENT' 10 ;;
	esac
}

kill -KILL $DK
kill -STOP $DS
t0=$(date +%s)
until_line $PK 'disconnected' 10 || die "killed runtime not detected in 10 s"
ui_probe 3
sleep 4
DK=$(demo_on "$PK" "$T/dk.log"); track $DK
ui_probe 1
until_line $PK 'connected.*' 40 || die "killed runtime: no reconnect"
n=$(lines $PK 'connected$' | wc -l)
until [ "$(lines $PK 'connected$' | wc -l)" -ge 2 ]; do
	[ $(( $(date +%s) - t0 )) -lt 60 ] || die "killed runtime: never reconnected after restart"
	sleep 0.5
done
# The announced retry delays while it was down grow (exponential backoff with jitter).
lines $PK 'disconnected.*reconnecting in' | sed 's/.*reconnecting in \([0-9.]*\) s.*/\1/' >"$T/delays"
echo "killed: delays $(tr '\n' ' ' <"$T/delays")"
check "$(wc -l <"$T/delays")" -ge 3 "killed: reconnect attempts while down"
awk 'NR > 1 && $1 + 0.05 < prev * 1.2 && prev < 20 { bad = 1 } { prev = $1 } END { exit bad }' \
	"$T/delays" || die "killed: backoff does not grow: $(tr '\n' ' ' <"$T/delays")"

echo "killed: reconnected after $(( $(date +%s) - t0 )) s"
ui_probe 3
until_line $PS 'disconnected' 50 || { kill -CONT $DS; die "stopped runtime not detected in 50 s"; }
echo "stopped: detected after $(( $(date +%s) - t0 )) s"
ui_probe 1
kill -CONT $DS
until [ "$(lines $PS 'connected$' | wc -l)" -ge 2 ]; do
	[ $(( $(date +%s) - t0 )) -lt 100 ] || die "stopped runtime: no reconnect after SIGCONT"
	sleep 0.5
done
echo "stopped: reconnected after $(( $(date +%s) - t0 )) s"

# Handshake that never completes: timed out (record says so) and retried by each client.
for p in $PH $PL; do
	lines $p 'disconnected' | head -n 1
	lines $p 'disconnected' >/dev/null || die "port $p: a stalled handshake is never reported"
done
for s in silent loris silent-ui loris-ui; do
	c=$(grep -c '^connect' "$T/$s.log")
	echo "$s: $c connection attempts in $(( $(date +%s) - t0 + 5 )) s"
	check "$c" -ge 2 "$s: connection attempts (a stalled handshake must be retried)"
done
ui_probe 3
ui_probe 1
ui_quit_check; echo "ui quit after $(( $(date +%s) - t0 )) s"
kill -INT $RP; wait $RP
check $? -eq 0 "record exit"; echo "record exit after $(( $(date +%s) - t0 )) s"
grep -q 'AddressSanitizer\|runtime error' "$T/rec.err" "$UI_ERR" && die "sanitizer report"
exit 0
