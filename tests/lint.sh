#!/bin/sh
# make lint: cppcheck and clang-tidy (config: .clang-tidy) over src/. A finding is
# "file: check: message" (no line number, so edits elsewhere do not churn it). Findings listed
# in tests/lint-baseline.txt are known and reviewed (each is to be fixed or justified and
# removed); anything else fails. LINT_UPDATE=1 rewrites the baseline from the current run.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BASE=tests/lint-baseline.txt
OUT=build/lint
mkdir -p "$OUT"
for t in cppcheck clang-tidy; do
	command -v $t >/dev/null 2>&1 || { echo "lint: $t not installed (apt-get install $t)"; exit 2; }
done
DEFS="-D_GNU_SOURCE -DSWARMTOP_VERSION=\"lint\" -DSWARMTOP_DATADIR=\"/\""
PKGF=$(pkg-config --cflags ncursesw libwebsockets libcjson sqlite3 2>/dev/null)

cppcheck -q --std=c11 --enable=warning,portability --inline-suppr -Iinclude $DEFS \
	--suppress=missingIncludeSystem --template='{file}: cppcheck-{id}: {message}' src/ \
	2>"$OUT/cppcheck.txt"
for f in src/*.c; do  # one file at a time (clang-tidy is slow: minutes)
	# shellcheck disable=SC2086
	clang-tidy --quiet "$f" -- -std=c11 -Iinclude $DEFS $PKGF 2>/dev/null
done >"$OUT/tidy.raw"
sed -n 's|^'"$ROOT"'/\([^:]*\):[0-9]*:[0-9]*: [a-z]*: \(.*\) \[\([^],]*\)[],].*|\1: \3: \2|p' \
	"$OUT/tidy.raw" >"$OUT/tidy.txt"
sed -n 's|^\(src/[^:]*\): \(cppcheck-[^:]*\): \(.*\)|\1: \2: \3|p' "$OUT/cppcheck.txt" \
	| cat - "$OUT/tidy.txt" | sed 's/[[:space:]]*$//' | LC_ALL=C sort -u >"$OUT/findings.txt"
if [ -n "${LINT_UPDATE:-}" ]; then
	cp "$OUT/findings.txt" "$BASE"
	echo "lint: baseline rewritten: $(wc -l <"$BASE") findings"
	exit 0
fi
LC_ALL=C sort -u "$BASE" >"$OUT/base.txt" 2>/dev/null || : >"$OUT/base.txt"
LC_ALL=C comm -23 "$OUT/findings.txt" "$OUT/base.txt" >"$OUT/new.txt"
LC_ALL=C comm -13 "$OUT/findings.txt" "$OUT/base.txt" >"$OUT/fixed.txt"
echo "lint: $(wc -l <"$OUT/findings.txt") findings, $(wc -l <"$OUT/base.txt") in the baseline," \
	"$(wc -l <"$OUT/new.txt") new, $(wc -l <"$OUT/fixed.txt") gone (remove them from $BASE)"
if [ -s "$OUT/new.txt" ]; then
	echo "lint: new findings (details: $OUT/tidy.raw, $OUT/cppcheck.txt):"
	sed 's/^/  /' "$OUT/new.txt"
	exit 1
fi
exit 0
