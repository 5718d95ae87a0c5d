# Helpers for the tmux-driven dashboard tests (tests/integration/ui_*.sh), sourced
# after lib.sh: a private tmux server per test, the demo runtime on a free port,
# polling the screen with a deadline (never fixed sleeps), and key presses.
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed"; exit 77; }
# One tmux server per session started (kill-server returns before the old server is gone:
# a new session on the same socket could land on the dying server).
UI_NS=0
TMUXS=swarmtop-test-$$-0
UI_ERR=$T/ui.err
mkdir -p "$XDG_STATE_HOME" "$XDG_CONFIG_HOME/swarmtop"

# tmux on this test's own server.
tm() { tmux -L "$TMUXS" "$@"; }

# Kill every tmux server of this test, then what lib.sh tracks.
ui_cleanup() {
	i=0
	while [ $i -le $UI_NS ]; do
		tmux -L "swarmtop-test-$$-$i" kill-server 2>/dev/null
		i=$((i + 1))
	done
	cleanup
}
trap ui_cleanup EXIT INT TERM

# ui_start W H [ENV=VALUE...] -- ARGS...: run swarmtop ARGS in a W x H pane. When it exits the
# pane prints "swarmtop exited N" and the terminal settings (stty -a) and stays open.
ui_start() {
	w=$1; h=$2; shift 2
	envs="LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs="$envs $1"; shift; done
	[ "${1:-}" = -- ] && shift
	cat >"$T/pane.sh" <<-EOF
	export XDG_STATE_HOME='$XDG_STATE_HOME' XDG_CONFIG_HOME='$XDG_CONFIG_HOME'
	export ASAN_OPTIONS='$ASAN_OPTIONS' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'
	unset NO_COLOR
	env $envs '$SWARMTOP' $* 2>'$UI_ERR'
	echo "swarmtop exited \$?"
	stty -a
	exec sleep 600
	EOF
	UI_NS=$((UI_NS + 1))
	TMUXS=swarmtop-test-$$-$UI_NS
	tm new-session -d -s ui -x "$w" -y "$h" "sh $T/pane.sh"
}

# The pane's text now.
screen() { tm capture-pane -p -t ui; }

# Fail with the screen and swarmtop's stderr attached.
ui_die() {
	echo "--- screen" >&2; screen >&2
	echo "--- stderr" >&2; tail -n 30 "$UI_ERR" >&2 2>/dev/null
	die "$*"
}

# wait_for REGEX [SECONDS]: until the screen matches (extended regex), at most 30 s.
wait_for() {
	end=$(( $(date +%s) + ${2:-30} ))
	while ! screen | grep -Eq -- "$1"; do
		[ "$(date +%s)" -lt "$end" ] || ui_die "screen never showed /$1/"
		sleep 0.2
	done
}

# wait_gone REGEX [SECONDS]: until the screen no longer matches.
wait_gone() {
	end=$(( $(date +%s) + ${2:-30} ))
	while screen | grep -Eq -- "$1"; do
		[ "$(date +%s)" -lt "$end" ] || ui_die "screen still shows /$1/"
		sleep 0.2
	done
}

# keys KEY...: press keys (tmux names: Enter, Escape, Up, ...).
keys() { tm send-keys -t ui "$@"; }

# type_text TEXT: type literal text.
type_text() { tm send-keys -t ui -l -- "$1"; }

# ui_quit_check: press q, wait for the exit line, check the code and that the terminal is
# back in cooked mode with echo.
ui_quit_check() {
	keys q
	wait_for 'swarmtop exited [0-9]+' 30
	screen | grep -q 'swarmtop exited 0' || ui_die "swarmtop did not exit 0"
	s=$(screen)
	echo "$s" | grep -Eq '(^| )icanon( |$)' || ui_die "icanon not restored"
	echo "$s" | grep -Eq '(^| )echo( |$)' || ui_die "echo not restored"
	echo "$s" | grep -Eq '(^| )-icanon( |$)' && ui_die "terminal left in raw mode"
	return 0
}
