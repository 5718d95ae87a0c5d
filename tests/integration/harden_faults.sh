# Storage faults: a full disk (2 MiB tmpfs), a read-only database (tmpfs remounted ro), a
# database locked by another process (BEGIN EXCLUSIVE held), a corrupt file.
# record: exits 1 with one clear line saying what failed (exactly one "cannot" line); what was
# committed stays intact, and its summary counts as stored exactly the rows in the database.
# dashboard (tmux): keeps running, shows a banner saying what is wrong, quits with the
# terminal restored (stty: echo, icanon).
# The tmpfs cases need root (mount); without it they are skipped, the others still run.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/ui_tmux.sh"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }

MNT=""
# Unmount what we mounted, then the usual cleanup.
faults_cleanup() {
	tm kill-server 2>/dev/null
	for m in $MNT; do umount -l "$m" 2>/dev/null; done
	cleanup
}
trap faults_cleanup EXIT INT TERM

# mount_small DIR SIZE: a tmpfs of SIZE at DIR; 1 when mounting is not possible.
mount_small() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || return 1
	MNT="$MNT $1"
}

demo_start --rate 20000

# rec_fail NAME DB PATTERN: record must exit 1 within 60 s; its stderr must match PATTERN, name
# the problem in exactly one printable "cannot" line, and nothing may crash.
rec_fail() {
	timeout -k 5 60 $SWARMTOP record --db "$2" "$URL" >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	[ $rc -eq 1 ] || die "$1: record exit $rc, want 1: $(tail -n 3 "$T/$1.err")"
	grep -Eq "$3" "$T/$1.err" || die "$1: no /$3/ in: $(cat "$T/$1.err")"
	grep -q 'AddressSanitizer\|runtime error' "$T/$1.err" && die "$1: sanitizer report"
	check "$(grep -c 'cannot' "$T/$1.err")" -eq 1 "$1: 'cannot' lines in: $(cat "$T/$1.err")"
	# Every line printable (the status lines are \n-separated when stderr is not a tty).
	[ "$(LC_ALL=C tr -d '\n -~' <"$T/$1.err" | wc -c)" -eq 0 ] || die "$1: control bytes"
	echo "$1: $(grep -E "$3" "$T/$1.err" | head -n 1)"
}

# ui_banner NAME DB PATTERN [xfail]: the dashboard on DB shows PATTERN, still switches views,
# and q restores the terminal. With xfail, a missing banner is reported as XFAIL (a known
# dashboard gap, see docs/reliability.md) unless HARDEN_STRICT=1; the rest is still asserted.
ui_banner() {
	ui_start 160 40 -- --db "$2" "$URL"
	wait_for 'STATE +AGENT' 30
	end=$(( $(date +%s) + 15 ))
	until screen | grep -Eq -- "$3"; do
		if [ "$(date +%s)" -ge "$end" ]; then
			[ "${4:-}" = xfail ] && [ -z "${HARDEN_STRICT:-}" ] || ui_die "$1: no banner /$3/"
			echo "$1: XFAIL: the dashboard shows no banner /$3/"
			break
		fi
		sleep 0.2
	done
	keys 3; wait_for 'TOKENS|Tokens by' 10
	keys 1; wait_for 'STATE +AGENT' 10
	ui_quit_check
	tm kill-server
	echo "$1: dashboard ran, switched views, restored the terminal"
}

# 1. Corrupt file: not a database.
head -c 65536 /dev/urandom >"$T/corrupt.db"
rec_fail corrupt "$T/corrupt.db" 'not a database|damaged'
ui_banner corrupt "$T/corrupt.db" 'not recording.*(not a database|damaged)'

# 2. Locked: another process holds an exclusive transaction for the whole step.
timeout 20 $SWARMTOP record --db "$T/locked.db" "$URL" 2>/dev/null &
LP=$!
sleep 2; kill -INT $LP; wait $LP
rm -f "$T/unlock"
$PY -c "
import os, sqlite3, sys, time
c = sqlite3.connect('$T/locked.db', isolation_level=None)
c.execute('BEGIN EXCLUSIVE'); c.execute('insert into migrations values (999, 0)')
open('$T/locked.ok', 'w').close()
while not os.path.exists('$T/unlock'): time.sleep(0.05)
c.execute('ROLLBACK')" &
HOLD=$!
track $HOLD
n=0; until [ -f "$T/locked.ok" ]; do n=$((n + 1)); [ $n -lt 100 ] || die "no lock"; sleep 0.1; done
rec_fail locked "$T/locked.db" 'locked'
ui_banner locked "$T/locked.db" 'locked'
touch "$T/unlock"; wait $HOLD
check "$(sqlite3 "$T/locked.db" 'pragma integrity_check')" = ok "locked: integrity"

if mount_small "$T/full" 2m; then
	# 3. Disk full while ingesting: record stops with exit 1; committed rows stay.
	rec_fail full "$T/full/r.db" 'cannot persist.*(full|disk)'
	check "$(sqlite3 "$T/full/r.db" 'pragma integrity_check')" = ok "full: integrity"
	rows=$(sqlite3 "$T/full/r.db" 'select count(*) from events')
	check "$rows" -gt 0 "full: committed rows"
	# The summary counts only committed rows as stored, and says how many were not persisted.
	sum=$(grep '^record: session' "$T/full.err")
	stored=$(echo "$sum" | sed -n 's/^record: session [0-9]*: \([0-9]*\) events stored.*/\1/p')
	check "${stored:-none}" = "$rows" "full: summary's stored vs rows in the database ($sum)"
	echo "$sum" | grep -Eq ', [1-9][0-9]* not persisted$' || die "full: no 'not persisted': $sum"
	echo "full: $sum"
	# The dashboard on the same full disk.
	ui_banner full "$T/full/r.db" 'not recording|full|disk'
	# 4. Read-only: the filesystem under an existing database becomes read-only.
	mount -o remount,ro "$T/full" || die "remount ro"
	rec_fail readonly "$T/full/r.db" 'read-only|readonly|read only'
	ui_banner readonly "$T/full/r.db" 'read-only|readonly|read only'
else
	echo "tmpfs cases skipped: mount not permitted"
fi
exit 0
