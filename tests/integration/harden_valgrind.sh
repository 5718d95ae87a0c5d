# valgrind --error-exitcode=1 over the pure unit tests, built here WITHOUT sanitizers
# (build/valgrind: gcc -O1 -g, the pure modules + cJSON + CMocka): no invalid access, no
# uninitialised use, no leak ("definitely"/"indirectly" lost). Bounded: HARDEN_VALGRIND_TESTS
# (default: every pure test) within ~60 s; a test over 60 s alone fails.
. "$(dirname "$0")/../lib.sh"
command -v valgrind >/dev/null || { echo "skip: valgrind not installed"; exit 77; }
cd "$ROOT" || exit 1
B=$ROOT/build/valgrind
mkdir -p "$B"
IO=$(sed -n 's/^IO_MODULES *:= *//p' Makefile)
CFLAGS="-std=c11 -O1 -g -D_GNU_SOURCE -Iinclude $(pkg-config --cflags libcjson cmocka 2>/dev/null)"
CFLAGS="$CFLAGS -DSWARMTOP_VERSION=\"vg\" -DFIXTURES=\"$ROOT/tests/fixtures\""
make -s build/asan/builtin.c >/dev/null 2>&1 || die "builtin.c"
objs=""
for f in src/*.c build/asan/builtin.c; do
	m=$(basename "$f" .c)
	case " $IO " in *" $m "*) continue ;; esac
	o=$B/$m.o
	# Rebuilt when its source or any header is newer (a header change moves struct fields).
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ -n "$(find include -newer "$o" -print -quit)" ]; then
		cc $CFLAGS -c "$f" -o "$o" 2>"$B/$m.log" || die "compile $f: $(head -n 5 "$B/$m.log")"
	fi
	objs="$objs $o"
done
LIBS="$(pkg-config --libs libcjson cmocka 2>/dev/null) -lm"
tests=${HARDEN_VALGRIND_TESTS:-}
if [ -z "$tests" ]; then
	for t in tests/unit/test_*.c; do
		n=$(basename "$t" .c)
		case " $IO " in *" ${n#test_} "*) continue ;; esac
		tests="$tests $n"
	done
fi
fail=0
for n in $tests; do
	cc $CFLAGS -Wno-missing-prototypes "tests/unit/$n.c" $objs $LIBS -o "$B/$n" 2>"$B/$n.log" ||
		die "link $n: $(head -n 5 "$B/$n.log")"
	s=$(date +%s)
	if timeout 60 valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$B/$n" >"$B/$n.vg" 2>&1; then
		echo "valgrind $n: clean ($(( $(date +%s) - s )) s)"
	else
		echo "valgrind $n: FAILED"; grep -m 20 '==[0-9]*==' "$B/$n.vg"; fail=1
	fi
done
exit $fail
