#!/bin/sh
# Resource soak (`make soak`): SOAK_RUNTIMES demo runtimes (default 10) emitting SOAK_RATE
# events/s in all (default 2000) for SOAK_SECONDS (default 1800), watched at once by the
# dashboard (in tmux, 160x45, recording to its own database) and by `record`. Every
# SOAK_INTERVAL seconds (default 10) it samples, for both: RSS (kB), open fds, CPU % over the
# interval; for the dashboard also the frame time as the operator sees it: ms from a view key
# to the new view on the screen (tmux capture). Samples go to build/soak/samples.tsv.
# Verdict after SOAK_WARMUP seconds (default 600: at 2 000 ev/s the demo fleet creates about
# 40 tasks/s, so the task table reaches its cap, MODEL_TASKS_MAX, after about 500 s): RSS may
# not grow by more than 10 % or 2 MiB, whichever is larger, fds may not grow, nothing may
# exit; the RSS slope over the second half of the run is reported. Exit 0 flat, 1 otherwise.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SWARMTOP=${SWARMTOP:-$ROOT/build/release/swarmtop}
SECS=${SOAK_SECONDS:-1800}
NRT=${SOAK_RUNTIMES:-10}
RATE=${SOAK_RATE:-2000}
IV=${SOAK_INTERVAL:-10}
WARM=${SOAK_WARMUP:-600}
OUT=$ROOT/build/soak
. "$ROOT/tests/lib.sh"
. "$ROOT/tests/ui_tmux.sh"
mkdir -p "$OUT"
[ -x "$SWARMTOP" ] || die "no binary $SWARMTOP (make build/release/swarmtop)"
per=$((RATE / NRT))
echo "soak: $NRT runtimes x $per ev/s for ${SECS}s, sampling every ${IV}s ($SWARMTOP)"

URLS=""
i=0
while [ $i -lt "$NRT" ]; do
	i=$((i + 1))
	p=$(free_port)
	$SWARMTOP demo --port "$p" --rate "$per" --id "soak-$i" --quiet >"$T/demo$i.log" 2>&1 &
	track $!
	URLS="$URLS ws://127.0.0.1:$p/swarmtop"
	wait_port "$p" 20 || die "demo $i did not start"
done
$SWARMTOP record --db "$T/rec.db" $URLS 2>"$T/rec.err" &
REC=$!
track $REC
ui_start 160 45 -- --db "$T/ui.db" $URLS
wait_for 'STATE +AGENT' 30
UI=$(pgrep -f "^$SWARMTOP --db $T/ui.db" | head -n 1)
[ -n "$UI" ] || UI=$(pgrep -n -f "$T/ui.db")
[ -n "$UI" ] || die "dashboard pid not found"

hz=$(getconf CLK_TCK)
# cpu PID: utime+stime ticks.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Frame time: ms from pressing a view key until that view is on the screen.
frame_ms() {
	t=$(now_ms)
	keys 3
	n=0; while screen | grep -Eq 'STATE +AGENT'; do n=$((n + 1)); [ $n -lt 500 ] || break; done
	a=$(( $(now_ms) - t ))
	t=$(now_ms)
	keys 1
	n=0; until screen | grep -Eq 'STATE +AGENT'; do n=$((n + 1)); [ $n -lt 500 ] || break; done
	b=$(( $(now_ms) - t ))
	echo $(( (a + b) / 2 ))
}

S=$OUT/samples.tsv
printf 't_s\tui_rss_kb\tui_fds\tui_cpu_pct\tframe_ms\trec_rss_kb\trec_fds\trec_cpu_pct\tstored\n' >"$S"
start=$(date +%s)
cu=$(cpu "$UI"); cr=$(cpu "$REC")
while :; do
	sleep "$IV"
	el=$(( $(date +%s) - start ))
	kill -0 "$UI" 2>/dev/null || die "the dashboard exited at ${el}s: $(tail -n 5 "$UI_ERR")"
	kill -0 "$REC" 2>/dev/null || die "record exited at ${el}s: $(tail -n 5 "$T/rec.err")"
	nu=$(cpu "$UI"); nr=$(cpu "$REC")
	fm=$(frame_ms)
	stored=$(tail -n 1 "$T/rec.err" | sed -n 's/.*stored \([0-9]*\).*/\1/p')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$el" "$(rss "$UI")" "$(fds "$UI")" \
		$(( (nu - cu) * 100 / hz / IV )) "$fm" "$(rss "$REC")" "$(fds "$REC")" \
		$(( (nr - cr) * 100 / hz / IV )) "${stored:-?}" >>"$S"
	tail -n 1 "$S"
	cu=$nu; cr=$nr
	[ "$el" -lt "$SECS" ] || break
done
ui_quit_check
kill -INT $REC; wait $REC || die "record exit $?"

# Verdict: compare the first sample after warm-up with the maximum after it; the slope is
# a least-squares fit of RSS against time over the second half of the samples.
awk -v warm="$WARM" -F'\t' 'NR == 1 { next }
	{ t[NR] = $1; ur[NR] = $2; rr[NR] = $6; last = NR }
	$1 >= warm && !base { base = 1; u0 = $2; f0 = $3; r0 = $6; g0 = $7 }
	base { if ($2 > u1) u1 = $2; if ($3 > f1) f1 = $3; if ($6 > r1) r1 = $6; if ($7 > g1) g1 = $7
	       fm += $5; n++; if ($5 > fmax) fmax = $5; cpu += $4; rcpu += $8 }
	function slope(y,   i, k, st, sy, stt, sty) {
		k = 0; st = sy = stt = sty = 0
		for (i = int((last + 2) / 2); i <= last; i++) {
			k++; st += t[i]; sy += y[i]; stt += t[i] * t[i]; sty += t[i] * y[i] }
		return k > 1 && k * stt != st * st ? (k * sty - st * sy) / (k * stt - st * st) : 0 }
	function grows(a, b) { return b - a > (a * 0.10 > 2048 ? a * 0.10 : 2048) }
	END {
		if (!base) { print "soak: too short for the warm-up"; exit 1 }
		printf "after warm-up (%d s): dashboard RSS %d -> max %d kB, fds %d -> %d, cpu %.0f%%, " \
			"frame %.0f ms mean / %d ms max; record RSS %d -> max %d kB, fds %d -> %d, " \
			"cpu %.0f%%\n", warm, u0, u1, f0, f1, cpu / n, fm / n, fmax, r0, r1, g0, g1, rcpu / n
		printf "RSS slope over the second half: dashboard %.2f kB/s, record %.2f kB/s\n", \
			slope(ur), slope(rr)
		bad = 0
		if (grows(u0, u1)) { print "dashboard RSS grows"; bad = 1 }
		if (grows(r0, r1)) { print "record RSS grows"; bad = 1 }
		if (f1 > f0 || g1 > g0) { print "fds grow"; bad = 1 }
		exit bad }' "$S" >"$OUT/verdict.txt"
rc=$?
cat "$OUT/verdict.txt"
echo "events stored by record: $(sqlite3 "$T/rec.db" 'select count(*) from events')"
exit $rc
