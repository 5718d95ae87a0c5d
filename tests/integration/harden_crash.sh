# Crash consistency: LOOPS times (default 50; HARDEN_CRASH_LOOPS), `record` ingests a demo
# flood and is killed with SIGKILL at a random moment (seeded: HARDEN_CRASH_SEED). A reader on
# its own connection logs what it saw committed while record ran (max event id, row count:
# a row another connection can read is committed). After each kill the file must pass
# PRAGMA integrity_check, and every row ever seen committed must still be there.
# The kill moments span startup (schema creation, migration), the handshake and steady ingest.
. "$ROOT/tests/lib.sh"

LOOPS=${HARDEN_CRASH_LOOPS:-50}
SEED=${HARDEN_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "loops $LOOPS seed $SEED"
DB=$T/crash.db
SEEN=$T/seen.txt
: >"$SEEN"

$SWARMTOP demo --port 0 --rate 20000 --quiet >"$T/demo.out" 2>"$T/demo.err" &
DP=$!
track $DP
n=0
until grep -q '^demo: listening on ' "$T/demo.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 300 ] || die "demo did not start: $(cat "$T/demo.err")"; sleep 0.1
done
URL=$(sed -n 's/^demo: listening on \(ws:[^ ]*\).*/\1/p' "$T/demo.out" | head -n 1)

# The reader: "max_id count" whenever it changes, until told to stop (file $T/stop).
cat >"$T/reader.py" <<'PYEOF'
import os, sqlite3, sys, time
db, out, stop = sys.argv[1:4]
last = None
with open(out, "a") as f:
    while not os.path.exists(stop):
        try:
            c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=0.05)
            r = c.execute("select max(id), count(*) from events").fetchone()
            c.close()
            if r[0] is not None and r != last:
                f.write("%d %d\n" % r); f.flush(); last = r
        except sqlite3.Error:
            pass  # not created yet, schema not committed yet, or busy
        time.sleep(0.02)
PYEOF
DELAYS=$($PY -c "import random; r=random.Random($SEED); print(' '.join('%.2f' % r.uniform(0.05, 1.0) for _ in range($LOOPS)))")

i=0
for d in $DELAYS; do
	i=$((i + 1))
	rm -f "$T/stop"
	$PY "$T/reader.py" "$DB" "$SEEN" "$T/stop" &
	RD=$!
	ASAN_OPTIONS=detect_leaks=0 $SWARMTOP record --db "$DB" "$URL" 2>>"$T/rec.err" &
	RP=$!
	sleep "$d"
	kill -KILL $RP 2>/dev/null
	wait $RP 2>/dev/null
	touch "$T/stop"; wait $RD
	ic=$(sqlite3 "$DB" 'pragma integrity_check' 2>&1)
	[ "$ic" = ok ] || die "loop $i (kill after ${d}s): integrity_check: $ic"
done
grep -q 'AddressSanitizer\|runtime error' "$T/rec.err" && die "sanitizer report: $(grep -m3 'ERROR\|runtime error' "$T/rec.err")"
[ -s "$SEEN" ] || die "the reader never saw a committed row"

# Every (max id, count) a reader saw must still hold: no committed row lost or rewritten.
$PY - "$DB" "$SEEN" <<'PYEOF' || die "committed rows lost"
import sqlite3, sys
db, seen = sys.argv[1:3]
c = sqlite3.connect(db)
pairs = [tuple(map(int, l.split())) for l in open(seen) if l.strip()]
bad = 0
for mx, cnt in pairs:
    have = c.execute("select count(*) from events where id <= ?", (mx,)).fetchone()[0]
    if have != cnt:
        bad += 1
        print("seen %d rows up to id %d, now %d" % (cnt, mx, have))
dups = c.execute("select count(*) from (select stream, seq from events where seq is not null "
                 "group by 1, 2 having count(*) > 1)").fetchone()[0]
total = c.execute("select count(*) from events").fetchone()[0]
sess = c.execute("select count(*) from sessions").fetchone()[0]
print("checked %d committed snapshots; %d events in %d sessions; duplicates %d"
      % (len(pairs), total, sess, dups))
sys.exit(1 if bad or dups else 0)
PYEOF
check "$(sqlite3 "$DB" "select count(*) from sessions")" -ge 1 "sessions recorded"
echo "crash loops: $i"
exit 0
