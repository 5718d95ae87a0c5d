#!/bin/sh
# Run every test: CMocka unit binaries, integration scripts (real binaries on
# loopback), and the Python SDK's unittest suites. Prints one line per test
# and a closing "N passed, N failed" line; exits non-zero when any failed.
#
# Env: SWARMTOP (binary under test), BUILD (build dir with tests/), ONLY=unit|integration|python
# Integration scripts exit 0 (pass), 77 (skip) or anything else (fail).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/asan}
export SWARMTOP=${SWARMTOP:-$BUILD/swarmtop}
export ROOT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PY=/usr/bin/python3
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
pass=0; fail=0; skip=0; failed=""

run_one() { # name, command...
	name=$1; shift
	start=$(date +%s)
	log=$LOGDIR/$(echo "$name" | tr / _).log
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-40s %3ss\n' "$name" "$secs"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $name"
		printf 'FAIL  %-40s %3ss (exit %s)\n' "$name" "$secs" "$rc"
		sed 's/^/    | /' "$log" | tail -n 40
	fi
}

if [ "${ONLY:-unit}" = unit ] || [ -z "${ONLY:-}" ]; then
	for t in "$BUILD"/tests/test_*; do
		case $t in *.o|*.d) continue ;; esac
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = integration ]; then
	for t in "$ROOT"/tests/integration/*.sh; do
		[ -f "$t" ] || continue
		run_one "integration/$(basename "$t" .sh)" timeout -k 5 240 sh "$t"
	done
fi
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = python ]; then
	if [ -d "$ROOT/sdk/python/tests" ]; then
		run_one "python/sdk" timeout -k 5 300 env PYTHONPATH="$ROOT/sdk/python" \
			$PY -m unittest discover -s "$ROOT/sdk/python/tests" -t "$ROOT/sdk/python"
	fi
fi

[ -n "$failed" ] && echo "failed:$failed"
echo "swarmtop tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
