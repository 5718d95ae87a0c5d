#!/bin/sh
# make lint: cppcheck and clang-tidy (config: .clang-tidy) over src/. A finding is
# "file: check: message" (no line number, so edits elsewhere do not churn it; a message that
# spans lines, like the analyzer's padding report, keeps its first line). Findings listed
# in tests/lint-baseline.txt are known and reviewed (each is to be fixed or justified and
# removed); anything else fails (exit 1). A tool failure is never a finding and never
# baselined: a file that does not compile ([clang-diagnostic-error]), a non-zero exit without
# a finding, a crash, unexpected stderr or output the parser cannot read all exit 2.
# In the baseline, lines starting with # (the reason for a finding) and blank lines are kept
# out of the comparison. LINT_UPDATE=1 updates the baseline from the current run: comments
# and findings still present stay where they are, gone findings go, new ones are appended.
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

# shellcheck disable=SC2086
cppcheck -q --std=c11 --enable=warning,portability --inline-suppr -Iinclude $DEFS \
	--suppress=missingIncludeSystem --template='{file}: cppcheck-{id}: {message}' src/ \
	2>"$OUT/cppcheck.txt"
CPPRC=$?
# tidy.raw: per file a "@@lint-file FILE RC" marker, clang-tidy's stdout, then its stderr
# with each line prefixed "@@stderr ".
for f in src/*.c; do  # one file at a time (clang-tidy is slow: minutes)
	# shellcheck disable=SC2086
	clang-tidy --quiet "$f" -- -std=c11 -Iinclude $DEFS $PKGF >"$OUT/tidy.out" 2>"$OUT/tidy.err"
	rc=$?
	echo "@@lint-file $f $rc"
	cat "$OUT/tidy.out"
	sed 's/^/@@stderr /' "$OUT/tidy.err"
done >"$OUT/tidy.raw"
rm -f "$OUT/tidy.out" "$OUT/tidy.err"

: >"$OUT/fail.txt"
[ "$CPPRC" -eq 0 ] || echo "cppcheck: exited $CPPRC" >>"$OUT/fail.txt"
# cppcheck: one finding per line; any other line is a tool message, not to be dropped.
awk -v fails="$OUT/fail.txt" '
	/^[^ :][^:]*: cppcheck-[A-Za-z0-9_]+: / { print; next }
	/[^[:space:]]/ { print "cppcheck: unexpected output: " $0 >>fails }
' "$OUT/cppcheck.txt" >"$OUT/cppcheck.findings"
# clang-tidy: a diagnostic starts at "path:line:col: warning|error: message" and ends at the
# first line ending in " [check-name,...]" (the same line, or a later one for a message that
# spans lines). Notes and source excerpts in between are skipped.
awk -v root="$ROOT/" -v fails="$OUT/fail.txt" '
	function fail(file, msg) { print file ": " msg >>fails; nfail++ }
	function emit(file, check, msg) {
		sub(/[ \t]+$/, "", msg)
		sub(/,.*/, "", check)
		if (check == "clang-diagnostic-error") fail(file, "does not compile: " msg)
		else print file ": " check ": " msg
		nfound++
	}
	function unterminated() {
		if (pend) fail(pfile, "clang-tidy message without a [check-name]: " pmsg)
		pend = 0
	}
	function endfile() {
		unterminated()
		if (cur == "") return
		if (rc != 0 && nfound == 0) fail(cur, "clang-tidy exited " rc " without a finding")
		else if (rc != 0 && rc != 1) fail(cur, "clang-tidy exited " rc)
	}
	# the trailing " [check-name]" of a line: sets CHECK and MSG (the text before it)
	function tail(s) {
		if (!match(s, /(^| )\[[A-Za-z0-9_.+]*-[A-Za-z0-9_.,+-]*\]$/)) return 0
		CHECK = substr(s, RSTART, RLENGTH); sub(/^ ?\[/, "", CHECK); sub(/\]$/, "", CHECK)
		MSG = substr(s, 1, RSTART - 1)
		return 1
	}
	/^@@lint-file / { endfile(); cur = $2; rc = $3; nfound = 0; next }
	/^@@stderr / {
		line = substr($0, 10)
		if (line !~ /^[0-9]+ (warnings?|errors?)( and [0-9]+ (warnings?|errors?))? generated\.$/)
			fail(cur, "clang-tidy stderr: " line)
		next
	}
	match($0, /:[0-9]+:[0-9]+: (warning|error|fatal error|note|remark): /) && $0 !~ /^ / {
		unterminated()
		file = substr($0, 1, RSTART - 1)
		if (index(file, root) == 1) file = substr(file, length(root) + 1)
		head = substr($0, RSTART, RLENGTH)
		rest = substr($0, RSTART + RLENGTH)
		if (head ~ /: (note|remark): $/) next
		if (tail(rest)) emit(file, CHECK, MSG)
		else { pend = 1; pfile = file; pmsg = rest }
		next
	}
	/^(warning|error|fatal error): / { unterminated(); fail(cur, "clang-tidy: " $0); next }
	pend && tail($0) { emit(pfile, CHECK, pmsg); pend = 0 }
	END { endfile() }
' "$OUT/tidy.raw" >"$OUT/tidy.txt"
cat "$OUT/cppcheck.findings" "$OUT/tidy.txt" | sed 's/[[:space:]]*$//' | LC_ALL=C sort -u \
	>"$OUT/findings.txt"
if [ -s "$OUT/fail.txt" ]; then
	echo "lint: a tool failed, so src/ was not fully checked (details: $OUT/tidy.raw," \
		"$OUT/cppcheck.txt):"
	LC_ALL=C sort -u "$OUT/fail.txt" | sed 's/^/  /'
	exit 2
fi
[ -f "$BASE" ] || : >"$BASE"
grep -v -e '^#' -e '^[[:space:]]*$' "$BASE" | LC_ALL=C sort -u >"$OUT/base.txt"
if [ -n "${LINT_UPDATE:-}" ]; then
	{
		awk 'NR == FNR { f[$0] = 1; next } /^#/ || !/[^[:space:]]/ || ($0 in f)' \
			"$OUT/findings.txt" "$BASE"
		LC_ALL=C comm -23 "$OUT/findings.txt" "$OUT/base.txt"
	} >"$OUT/base.new" && mv "$OUT/base.new" "$BASE"
	echo "lint: baseline updated: $(wc -l <"$OUT/findings.txt") findings"
	exit 0
fi
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
