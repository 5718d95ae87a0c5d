#!/bin/sh
# Build the libFuzzer targets (clang, ASan+UBSan) and run each for SECONDS
# (default 60), seeded from tests/fixtures and tests/fuzz/seeds_* (JSON edge
# cases, fragment sequences, kept reproducers). Corpora and crash files live in
# build/fuzz/; a crash makes this script exit non-zero and prints the file.
# Usage: sh tests/fuzz/run.sh [SECONDS] [target...]
#   (targets: decode json_diff sanitize config theme wsmsg agui otlp)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-decode json_diff sanitize config theme wsmsg agui otlp}
OUT=$ROOT/build/fuzz
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (apt-get install clang); skipping"
	exit 77
fi
CJSON_CFLAGS=$(pkg-config --cflags libcjson 2>/dev/null)
CJSON_LIBS=$(pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
FLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
-fno-sanitize-recover=undefined -I$ROOT/include $CJSON_CFLAGS"

# Sources each target needs (pure modules only).
srcs() {
	case $1 in
	decode) echo "$ROOT/src/proto.c $ROOT/src/json.c $ROOT/src/sanitize.c $ROOT/src/arena.c \
$ROOT/src/event.c" ;;
	json_diff) echo "$ROOT/src/json.c $ROOT/src/arena.c" ;;
	sanitize) echo "$ROOT/src/sanitize.c" ;;
	config) echo "$ROOT/src/config.c $ROOT/src/keymap.c $ROOT/src/usage.c $ROOT/src/strmap.c" ;;
	theme) echo "$ROOT/src/theme.c" ;;
	wsmsg) echo "$ROOT/src/wsmsg.c" ;;
	agui | otlp) interop_objs ;;
	esac
}

# The mapper objects fuzz_agui and fuzz_otlp share: compiled once per run, in parallel.
INTEROP_OBJS=""
interop_objs() {
	if [ -z "$INTEROP_OBJS" ]; then
		mkdir -p "$OUT/obj"
		for m in agui otlp_map otlp_http interop sanitize strmap arena event; do
			rm -f "$OUT/obj/$m.o"
			$CC $FLAGS -c -o "$OUT/obj/$m.o" "$ROOT/src/$m.c" &
			INTEROP_OBJS="$INTEROP_OBJS $OUT/obj/$m.o"
		done
		wait
	fi
	echo "$INTEROP_OBJS"
}

# Seed corpus directory for a target, refreshed from the fixtures.
seeds() {
	dir=$OUT/corpus_$1
	mkdir -p "$dir"
	case $1 in
	decode | json_diff) cp "$ROOT"/tests/fixtures/v1/*.json "$ROOT"/tests/fuzz/seeds_decode/*.json "$dir"/ \
		2>/dev/null ;;
	sanitize)
		for f in "$ROOT"/tests/fixtures/escapes/*.bin; do
			# A leading flags/width byte: 0xff = no width limit, no flags.
			{ printf '\377'; cat "$f"; } >"$dir/$(basename "$f")"
		done ;;
	config) cp "$ROOT"/tests/fuzz/seeds_config/* "$dir"/ 2>/dev/null ;;
	theme) cp "$ROOT"/themes/*.theme "$ROOT"/tests/fuzz/seeds_theme/* "$dir"/ 2>/dev/null ;;
	wsmsg) cp "$ROOT"/tests/fuzz/seeds_wsmsg/* "$dir"/ 2>/dev/null ;;
	agui) cp "$ROOT"/tests/fixtures/agui/*.jsonl "$ROOT"/tests/fuzz/seeds_agui/* "$dir"/ \
		2>/dev/null ;;
	otlp) cp "$ROOT"/tests/fuzz/seeds_otlp/* "$dir"/ 2>/dev/null ;;
	esac
	echo "$dir"
}

rc=0
# Build every target first, all at once (the builds, not the runs, share the cores).
case " $TARGETS " in *" agui "* | *" otlp "*) interop_objs >/dev/null ;; esac  # not in $(srcs)
jobs=""
for t in $TARGETS; do
	# shellcheck disable=SC2046
	$CC $FLAGS -o "$OUT/fuzz_$t" "$ROOT/tests/fuzz/fuzz_$t.c" $(srcs "$t") $CJSON_LIBS -lm \
		>"$OUT/build_$t.log" 2>&1 &
	jobs="$jobs $!:$t"
done
built=""
for j in $jobs; do
	t=${j#*:}
	if wait "${j%%:*}"; then
		built="$built $t"
	else
		echo "fuzz: building fuzz_$t failed"
		cat "$OUT/build_$t.log"
		rc=1
	fi
done

for t in $built; do
	bin=$OUT/fuzz_$t
	corpus=$(seeds "$t")
	dict=""
	case $t in
	decode | json_diff) dict="-dict=$ROOT/tests/fuzz/json.dict" ;;
	config|theme) dict="-dict=$ROOT/tests/fuzz/conf.dict" ;;
	agui | otlp)
		# one -dict only: the AG-UI/OTLP keys and the JSON tokens together
		cat "$ROOT/tests/fuzz/interop.dict" "$ROOT/tests/fuzz/json.dict" >"$OUT/interop.dict"
		dict="-dict=$OUT/interop.dict" ;;
	esac
	mkdir -p "$OUT/crashes_$t"
	echo "fuzz: $t for ${SECS}s"
	ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECS" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $dict \
		-artifact_prefix="$OUT/crashes_$t/" "$corpus" >"$OUT/fuzz_$t.log" 2>&1
	frc=$?
	runs=$(grep -a -o 'Done [0-9]* runs in [0-9]* second' "$OUT/fuzz_$t.log" | tail -n 1)
	if [ $frc -ne 0 ]; then
		echo "FAIL fuzz_$t (exit $frc): see $OUT/fuzz_$t.log"
		grep -a -E 'ERROR|SUMMARY|Test unit written' "$OUT/fuzz_$t.log" | head -n 5
		rc=1
	else
		echo "PASS fuzz_$t: ${runs:-?}s, corpus $(ls "$corpus" | wc -l) inputs"
	fi
done
exit $rc
