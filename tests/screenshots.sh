#!/bin/sh
# make screenshots: run the demo at a fixed seed, drive swarmtop in tmux at
# 120x40 to each view, and write screenshots/<view>.txt (plain text) and
# screenshots/<view>.png (capture-pane -e -> aha -> headless Chromium).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SWARMTOP:-$ROOT/build/release/swarmtop}
OUT=$ROOT/screenshots
W=${SHOT_W:-120}
H=${SHOT_H:-40}
PY=/usr/bin/python3
sh "$ROOT/.ci/deps.sh" tmux aha chromium fonts-dejavu-core
T=$(mktemp -d /tmp/swarmtop-shots.XXXXXX)
SESSION=swarmtop-shots-$$
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
	tmux kill-session -t "$SESSION" 2>/dev/null || true
	[ -n "${DEMO_PID:-}" ] && kill "$DEMO_PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

"$BIN" demo --port "$PORT" --seed 42 --agents 8 >"$T/demo.log" 2>&1 &
DEMO_PID=$!
sleep 1
export XDG_STATE_HOME=$T/state XDG_CONFIG_HOME=$T/config
# TERM as tmux sets it (no bce: highlighted bars are real cells that capture-pane keeps).
tmux new-session -d -s "$SESSION" -x "$W" -y "$H" \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color XDG_STATE_HOME=$T/state \
	 XDG_CONFIG_HOME=$T/config $BIN ws://127.0.0.1:$PORT/swarmtop"
sleep "${SHOT_WARMUP:-12}"
mkdir -p "$OUT"

# shot NAME KEYS...: press the keys, wait, capture text and PNG.
shot() {
	name=$1; shift
	for k in "$@"; do tmux send-keys -t "$SESSION" "$k"; done
	sleep 1.5
	tmux capture-pane -p -t "$SESSION" > "$OUT/$name.txt"
	# -N keeps trailing cells: highlighted bars reach the right edge as on screen.
	tmux capture-pane -e -N -p -t "$SESSION" > "$T/$name.ans"
	{
		printf '<html><head><meta charset="utf-8"><style>'
		printf 'body{margin:0;background:#1c1c1c;color:#d0d0d0}'
		printf 'pre{margin:10px;font-family:"DejaVu Sans Mono",monospace;font-size:14px;line-height:17px}'
		printf '</style></head><body><pre>'
		aha --no-header --black < "$T/$name.ans"
		printf '</pre></body></html>'
	} > "$T/$name.html"
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-quic \
		--user-data-dir="$T/chrome" --hide-scrollbars \
		--window-size=$((W * 85 / 10 + 20)),$((H * 17 + 20)) \
		--screenshot="$OUT/$name.png" "file://$T/$name.html" >/dev/null 2>&1
	echo "screenshots/$name.png"
}

shot agents 1
shot graph 2
shot tokens 3
shot cores 4
shot log 5
shot help '?'
tmux send-keys -t "$SESSION" Escape
# Steer a little so that the audit trail has a story: pause and resume the first agent,
# then inject guidance into it.
for k in 1 g p; do tmux send-keys -t "$SESSION" "$k"; done
sleep 2
tmux send-keys -t "$SESSION" p
sleep 2
tmux send-keys -t "$SESSION" i
tmux send-keys -t "$SESSION" -l "Use the EU price list."
tmux send-keys -t "$SESSION" Enter
shot commands 6
tmux send-keys -t "$SESSION" q
