# Helpers for the Python SDK tests (tests/integration/sdk_*.sh), sourced after lib.sh:
# skip (77) unless `swarmtop ctl/record` and python websockets are there, start the
# research_team example on a free port, and query the recording in $DB.
[ -x "$SWARMTOP" ] || { echo "skip: $SWARMTOP not built"; exit 77; }
"$SWARMTOP" ctl --help >/dev/null 2>&1 || { echo "skip: swarmtop ctl/record not available yet"; exit 77; }
$PY -c 'import websockets' 2>/dev/null || { echo "skip: $PY cannot import websockets"; exit 77; }
EXAMPLE=$ROOT/sdk/python/examples/research_team.py
DB=$T/x.db

# Start the example (output in $T/$1, the other arguments its options) on a free port;
# sets PORT, URL and EX (its pid), and waits until it listens.
example_start() {
	log=$T/$1; shift
	PORT=$(free_port)
	URL=ws://127.0.0.1:$PORT/swarmtop
	$PY "$EXAMPLE" --port "$PORT" "$@" >"$log" 2>&1 &
	EX=$!; track $EX
	wait_port "$PORT" 15 || die "example did not listen: $(cat "$log")"
}

# Query the recording in $DB (waits on a busy database instead of failing).
sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
# Poll a query until it prints something other than empty/0 (at most $2 s, default 20).
poll_sql() {
	n=$(( ${2:-20} * 10 ))
	while [ $n -gt 0 ]; do
		r=$(sql "$1" 2>/dev/null)
		[ -n "$r" ] && [ "$r" != 0 ] && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
