# The release binary is hardened: PIE (ELF type DYN), full RELRO (GNU_RELRO segment and
# BIND_NOW), a non-executable stack, stack protector and FORTIFY_SOURCE in effect (the
# __stack_chk_fail and *_chk imports), and the Makefile's release flags still ask for
# -fstack-protector-strong -D_FORTIFY_SOURCE=3 -Wformat-security. The test hooks (the
# injected crash) are not in it. Builds build/release.
. "$(dirname "$0")/../lib.sh"
command -v readelf >/dev/null || { echo "skip: no readelf"; exit 77; }
cd "$ROOT" || exit 1
make -s build/release/swarmtop >"$T/make.log" 2>&1 || { tail -n 20 "$T/make.log"; die "release build"; }
B=$ROOT/build/release/swarmtop
for f in -fstack-protector-strong -D_FORTIFY_SOURCE=3 -Wformat-security -fPIE -pie \
	'-z,relro,-z,now'; do
	grep -q -- "$f" Makefile || die "Makefile release flags lack $f"
done
readelf -h "$B" | grep -q 'Type:.*DYN' || die "not PIE"
readelf -lW "$B" | grep -q 'GNU_RELRO' || die "no RELRO segment"
readelf -dW "$B" | grep -Eq 'BIND_NOW|FLAGS.*NOW' || die "RELRO is not full (no BIND_NOW)"
readelf -lW "$B" | grep 'GNU_STACK' | grep -q 'RWE' && die "executable stack"
readelf -sW --dyn-syms "$B" | grep -q '__stack_chk_fail' || die "no stack protector"
n=$(readelf -sW --dyn-syms "$B" | grep -c '__[a-z]*_chk@')
check "$n" -ge 3 "fortified libc calls (*_chk imports)"
grep -q SWARMTOP_TEST_CRASH "$B" && die "the release binary carries the test crash hook"
grep -q SWARMTOP_TEST_CRASH "$SWARMTOP" || die "the test build lacks the test crash hook"
echo "release: PIE, full RELRO, NX stack, stack protector, $n fortified imports"
exit 0
