# demo + record for a few seconds: the store holds the events, seq contiguous per instance,
# no duplicates; `sessions` lists the session; `export` round-trips the raw JSON.
. "$ROOT/tests/lib.sh"

demo_start --seed 7 --speed 10
DB=$T/d.db

record_events "$DB" 200
grep -q '^record: runtimes 1/1' "$T/rec.err" || die "no status line: $(head -3 "$T/rec.err")"

# Contiguous and unique per instance.
sqlite3 "$DB" "select instance, count(*), count(distinct seq), min(seq), max(seq)
               from event_log where seq is not null group by instance" >"$T/seqs"
check "$(wc -l <"$T/seqs")" -eq 1 "instances"
IFS='|' read -r inst cnt dist mn mx <"$T/seqs"
check "$cnt" -eq "$dist" "duplicates stored"
check "$mn" -eq 1 "first seq"
check "$((mx - mn + 1))" -eq "$cnt" "seq contiguous"
check "$(sqlite3 "$DB" "select count(*) from event_log where type = 'hello'")" -ge 1 "hello stored"
# Everything the status line counted was committed on the clean stop.
stored=$(sed -n 's/^record: session [0-9]*: \([0-9]*\) events stored.*/\1/p' "$T/rec.err")
check "$(sqlite3 "$DB" "select count(*) from event_log")" -eq "$stored" "rows vs reported stored"

# sessions lists it.
$SWARMTOP sessions --db "$DB" >"$T/sessions.out" 2>"$T/sessions.err"
check $? -eq 0 "sessions exit code"
head -1 "$T/sessions.out" | grep -q 'ID.*STARTED.*DURATION.*HOW.*RUNTIMES.*EVENTS.*LABEL' || die "sessions header"
grep -Eq "^ +1 .* record +1 +$stored" "$T/sessions.out" || die "session row: $(cat "$T/sessions.out")"

# export round-trips the raw JSON: identical to what sqlite3 holds, in order.
$SWARMTOP export --db "$DB" 1 --format jsonl >"$T/export.jsonl" 2>"$T/export.err"
check $? -eq 0 "export exit code"
sqlite3 "$DB" "select raw from event_log where session = 1 order by id" >"$T/raw.jsonl"
cmp -s "$T/export.jsonl" "$T/raw.jsonl" || die "export differs from the stored raw JSON"
$SWARMTOP export --db "$DB" latest >"$T/latest.jsonl" && cmp -s "$T/latest.jsonl" "$T/raw.jsonl" || die "export latest"

# Failures are one clear line and the right exit code.
$SWARMTOP export --db "$DB" 99 >/dev/null 2>"$T/e99.err"
check $? -eq 1 "export of a missing session"
check "$(wc -l <"$T/e99.err")" -eq 1 "one-line error"
$SWARMTOP export --db "$DB" 1 --format csv >/dev/null 2>&1
check $? -eq 2 "export with an unknown format"
$SWARMTOP sessions --db "$T/none.db" >/dev/null 2>&1
check $? -eq 0 "sessions on a missing database"
$SWARMTOP record --db "$DB" "http:${URL#ws:}" >/dev/null 2>"$T/bad.err"
check $? -eq 2 "record with a non-ws URL"
grep -q 'ws://' "$T/bad.err" || die "bad URL message"
# Cannot persist (the database's directory is a file): exit 1, one clear line.
: >"$T/notadir"
$SWARMTOP record --db "$T/notadir/x.db" "$URL" >/dev/null 2>"$T/nodb.err"
check $? -eq 1 "record that cannot persist"
check "$(wc -l <"$T/nodb.err")" -eq 1 "one-line error when the store cannot be opened"
grep -q 'notadir' "$T/nodb.err" || die "the error does not name the path: $(cat "$T/nodb.err")"
exit 0
