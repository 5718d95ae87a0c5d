#!/bin/sh
# bench/run.sh: the body of `make bench` (the Makefile has built build/release/swarmtop).
#
# Installs what the comparison needs (htop and tmux from Debian packages via .ci/deps.sh,
# Node.js and npm when missing, the Node reference's modules into bench/node/node_modules,
# never committed), builds the bench programs (bench/bench_*.c, release flags; one that does
# not build only marks its row), then runs bench/bench.py, which prints the table and writes
# docs/performance.md. Arguments are passed to bench.py (--quick for a smoke run).
#
# A fresh machine compiles better-sqlite3 from source (several minutes on 2 cores): that runs
# in the background at nice 19 while the benchmarks that do not need Node.js go first.
set -e
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}

sh .ci/deps.sh htop tmux python3-websockets
command -v node >/dev/null 2>&1 || sh .ci/deps.sh nodejs
command -v npm >/dev/null 2>&1 || sh .ci/deps.sh npm

for src in bench/bench_*.c; do
	b=$(basename "$src" .c)
	$MAKE -s "build/release/bench/$b" >/dev/null 2>build/bench-$b.log ||
		echo "bench: $b did not build (see build/bench-$b.log); its row is marked" >&2
done

# The Node.js reference's modules: ws and better-sqlite3 12 (a native module).
NPM_INSTALL="npm install --prefix bench/node --no-save --no-package-lock --no-audit --no-fund \
	ws better-sqlite3@12 >/dev/null 2>&1
node bench/node/check.js >/dev/null 2>&1 || (
	# Install scripts may be blocked by policy: approve this one and build it.
	cd bench/node && npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3
) >/dev/null 2>&1
node bench/node/check.js >/dev/null 2>&1 && echo 'bench: Node.js modules ready' >&2 ||
	echo 'bench: Node.js modules unavailable: the Node.js rows are marked' >&2"
BENCH_NPM_PID=""
if ! node bench/node/check.js >/dev/null 2>&1; then
	echo "bench: installing ws and better-sqlite3@12 into bench/node (background, nice 19)" >&2
	mkdir -p bench/node
	nice -n 19 sh -c "$NPM_INSTALL" &
	BENCH_NPM_PID=$!
fi
export BENCH_NPM_PID
exec /usr/bin/python3 bench/bench.py "$@"
