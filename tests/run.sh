#!/bin/bash
# Run every test: CMocka unit binaries, integration scripts (real binaries on
# loopback), and the Python SDK's unittest suites. Prints one line per test
# and a closing "N passed, N failed" line; exits non-zero when any failed.
#
# Integration scripts mostly wait on sockets and child processes, so they run
# JOBS at a time (default 3); each has its own temp dir, ports and tmux socket.
#
# Env: SWARMTOP (binary under test), BUILD (build dir with tests/),
#      ONLY=unit|integration|python, JOBS, TEST_FILTER (substring of test names)
# Integration scripts exit 0 (pass), 77 (skip) or anything else (fail).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/asan}
export SWARMTOP=${SWARMTOP:-$BUILD/swarmtop}
export ROOT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PY=/usr/bin/python3
JOBS=${JOBS:-3}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
pass=0; fail=0; skip=0; failed=""
declare -A started=() names=()

# Record and print the result of one finished test.
report() { # name rc secs log
	local name=$1 rc=$2 secs=$3 log=$4
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-40s %3ss\n' "$name" "$secs"
	elif [ "$rc" -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $name"
		printf 'FAIL  %-40s %3ss (exit %s)\n' "$name" "$secs" "$rc"
		sed 's/^/    | /' "$log" | tail -n 40
	fi
}

logof() { echo "$LOGDIR/$(echo "$1" | tr / _).log"; }

# Run one test in the foreground.
run_one() { # name, command...
	local name=$1; shift
	case $name in *"${TEST_FILTER:-}"*) ;; *) return ;; esac
	local log start rc
	log=$(logof "$name"); start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	report "$name" $rc $(( $(date +%s) - start )) "$log"
}

# Wait for one background test to finish and report it.
reap_one() {
	local pid rc
	wait -n -p pid; rc=$?
	report "${names[$pid]}" $rc $(( $(date +%s) - ${started[$pid]} )) "$(logof "${names[$pid]}")"
	unset "names[$pid]" "started[$pid]"
}

# Run one test in the background, at most JOBS at once.
run_bg() { # name, command...
	local name=$1; shift
	case $name in *"${TEST_FILTER:-}"*) ;; *) return ;; esac
	while [ "${#names[@]}" -ge "$JOBS" ]; do reap_one; done
	"$@" >"$(logof "$name")" 2>&1 &
	names[$!]=$name; started[$!]=$(date +%s)
}

if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		case $t in *.o|*.d) continue ;; esac
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = python ]; then
	if [ -d "$ROOT/sdk/python/tests" ]; then
		run_bg "python/sdk" timeout -k 5 300 env PYTHONPATH="$ROOT/sdk/python" \
			$PY -m unittest discover -s "$ROOT/sdk/python/tests" -t "$ROOT/sdk/python"
	fi
fi
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = integration ]; then
	# Longest first, so the slow ones overlap the many short ones.
	for t in $(ls -S "$ROOT"/tests/integration/*.sh 2>/dev/null); do
		run_bg "integration/$(basename "$t" .sh)" timeout -k 5 240 sh "$t"
	done
fi
while [ "${#names[@]}" -gt 0 ]; do reap_one; done

# A runner that ran nothing has failed, whatever else it says.
if [ $((pass + fail + skip)) -eq 0 ]; then
	echo "no test ran"; fail=1
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "swarmtop tests: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
