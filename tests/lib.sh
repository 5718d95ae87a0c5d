# Shared helpers for integration tests (sourced). Every test gets a private
# temp dir, random free loopback ports, and a trap that kills what it started.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SWARMTOP=${SWARMTOP:-$ROOT/build/asan/swarmtop}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/swarmtop-test.XXXXXX)
export XDG_STATE_HOME=$T/state XDG_CONFIG_HOME=$T/config
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
PIDS=""

cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

# Remember a background pid for cleanup.
track() { PIDS="$PIDS $1"; }

# A free TCP port on 127.0.0.1.
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Wait until something listens on 127.0.0.1:$1 (at most $2 seconds, default 10).
wait_port() {
	n=$(( ${2:-10} * 10 ))
	while [ $n -gt 0 ]; do
		$PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" && return 0
		sleep 0.1; n=$((n - 1))
	done
	echo "nothing listens on port $1" >&2; return 1
}

# Fail the test with a message.
die() { echo "FAIL: $*" >&2; exit 1; }

# Assert: $1 op $3 numerically, with a message.
check() { [ "$1" "$2" "$3" ] || die "$4 (got $1, want $2 $3)"; }

# Poll a shell command until its output equals $1 (at most $2 seconds); then check it.
# Usage: eventually 1 5 "OTLP rows" sqlite3 "$DB" "select count(*) ..."
eventually() {
	want=$1; secs=$2; what=$3; shift 3
	n=$((secs * 10))
	while [ $n -gt 0 ]; do
		got=$("$@" 2>/dev/null)
		[ "$got" = "$want" ] && return 0
		sleep 0.1; n=$((n - 1))
	done
	die "$what (got $got, want $want)"
}

# demo_start [ARGS...]: the demo runtime (quiet) on a free port, stdout in DEMO_OUT=$T/demo.N.out
# (N counts the demos started), stderr appended to $T/demo.err; sets URL and DEMO_PID.
demo_start() {
	NDEMO=$(( ${NDEMO:-0} + 1 ))
	DEMO_OUT=$T/demo.$NDEMO.out
	$SWARMTOP demo --port 0 --quiet "$@" >"$DEMO_OUT" 2>>"$T/demo.err" &
	DEMO_PID=$!
	track $DEMO_PID
	n=0
	while ! grep -q '^demo: listening on ' "$DEMO_OUT" 2>/dev/null; do
		sleep 0.1; n=$((n + 1))
		[ $n -lt 300 ] || die "demo did not start: $(tail -3 "$T/demo.err")"
	done
	URL=$(sed -n 's/^demo: listening on \(ws:[^ ]*\).*/\1/p' "$DEMO_OUT" | head -1)
}

# record_events DB N: `swarmtop record` of $URL into DB (stderr in $T/rec.err) until DB holds
# at least N sequenced events, then SIGTERM; it must exit 0.
record_events() {
	$SWARMTOP record --db "$1" "$URL" 2>"$T/rec.err" &
	REC=$!
	track $REC
	n=0
	count_sql="select count(*) from event_log where seq is not null"
	until [ "$(sqlite3 "$1" "$count_sql" 2>/dev/null || echo 0)" -ge "$2" ]; do
		n=$((n + 1)); [ $n -lt 900 ] || die "record stored too little: $(tail -3 "$T/rec.err")"
		kill -0 $REC 2>/dev/null || die "record exited early: $(tail -3 "$T/rec.err")"
		sleep 0.1
	done
	kill -TERM $REC
	wait $REC
	check $? -eq 0 "record exit code after SIGTERM"
}
